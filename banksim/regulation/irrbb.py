"""IRRBB standardised framework: ΔEVE per currency and scenario, aggregation, outlier tests, ΔNII.

``compute_irrbb`` is a pure function of a repricing table, base curves and Tier 1: cash flows in the
19 buckets, EVE under the six shocks, the Basel and EU aggregations, the 15% test, ΔNII (methodology 13).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from banksim.errors import InputError
from banksim.positions.repricing import validate_base_curve, validate_repricing
from banksim.regulation.irrbb_cashflows import repricing_events, slotted_cash_flows
from banksim.regulation.irrbb_parameters import IRRBB_PARAMETERS, SCENARIOS
from banksim.regulation.irrbb_shocks import ShockedCurves, shocked_curves

__all__ = [
    "IrrbbResult",
    "NiiTest",
    "OutlierTest",
    "aggregate_eve",
    "compute_irrbb",
    "economic_value",
    "eve_outlier_test",
    "irrbb_parameters",
    "net_interest_income",
    "nii_outlier_test",
]

OPTIONS = {
    "irrbb_calibration": ("bcbs2016", "bcbs2024"),
    "post_shock_floor": ("eba2022", "none", "zero"),
    "eve_aggregation": ("basel", "eu_sot"),
}
SHAPE_RULES = {
    "parallel_up": "SRP31.91 parallel up",
    "parallel_down": "SRP31.91 parallel down",
    "steepener": "SRP31.91-92 steepener",
    "flattener": "SRP31.91-92 flattener",
    "short_up": "SRP31.91 short rates up",
    "short_down": "SRP31.91 short rates down",
}


def irrbb_parameters(parameters: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``IRRBB_PARAMETERS`` with ``parameters`` overriding keys; unknown keys and options are errors."""
    params = dict(IRRBB_PARAMETERS)
    unknown = sorted(set(parameters or {}) - set(params))
    if unknown:
        raise InputError("parameters", f"unknown IRRBB parameters {unknown}", allowed=sorted(params))
    params.update(parameters or {})
    for key, allowed in OPTIONS.items():
        if params[key] not in allowed:
            raise InputError(f"parameters[{key!r}]", f"unknown option {params[key]!r}", allowed=allowed)
    return params


@dataclass(frozen=True)
class OutlierTest:
    """The supervisory outlier test on one ΔEVE aggregation (SRP31.82; methodology 13.7, C.44)."""

    aggregation: str
    measure: float  # max(0, max_i ΔEVE_i)
    worst_scenario: str
    tier1: float
    ratio: float  # measure / Tier 1
    threshold: float
    outlier: bool  # measure > threshold x Tier 1 x (1 + 1e-9)


@dataclass(frozen=True)
class NiiTest:
    """The EU large-decline test on ΔNII (Delegated Reg. (EU) 2024/856 Art. 5(1); methodology 13.8)."""

    delta_nii_up: float  # ΔNII^eu of parallel up
    delta_nii_down: float
    decline: float  # max(0, -min(up, down))
    ratio: float
    threshold: float
    flagged: bool


@dataclass(frozen=True)
class IrrbbResult:
    """IRRBB of a run: flows, per-bucket and per-currency ΔEVE, aggregates, ΔNII and the tests."""

    cash_flows: pd.DataFrame  # netted per currency, bucket and kind (``slotted_cash_flows``)
    buckets: pd.DataFrame  # currency x scenario x bucket
    eve: pd.DataFrame  # currency x scenario
    eve_by_scenario: pd.DataFrame  # scenario: Basel and EU aggregates
    eve_outlier: dict[str, OutlierTest]  # "basel" and "eu_sot"
    eve_risk_measure: OutlierTest  # the one chosen by ``eve_aggregation``
    nii_events: pd.DataFrame
    nii: pd.DataFrame  # currency x scenario
    nii_by_scenario: pd.DataFrame
    nii_test: NiiTest


def _fx(currencies: list[str], params: Mapping[str, Any]) -> dict[str, float]:
    """Reporting units per unit of each currency (methodology C.44); the reporting currency is 1."""
    fx = {
        params["reporting_currency"]: 1.0,
        **{str(k): float(v) for k, v in params["fx_to_reporting"].items()},
    }
    missing = [c for c in currencies if c not in fx]
    if missing:
        raise InputError(
            "parameters['fx_to_reporting']",
            "has no rate for currencies of the positions",
            failure_cases=missing,
        )
    return {c: fx[c] for c in currencies}


def economic_value(
    flows: pd.DataFrame, curves: Mapping[str, ShockedCurves], params: Mapping[str, Any]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-bucket and per-currency EVE and ΔEVE = EVE_0 - EVE_i (SRP31.129(1)-(4); methodology 13.7).

    Flows are netted per currency and bucket, CF_c(k), and discounted at exp(-R(t_k) t_k) at the
    bucket mid-points. Positive ΔEVE is a loss.
    """
    midpoints = np.asarray(params["bucket_midpoints"], dtype=float)
    nb, ns = len(midpoints), len(SCENARIOS)
    bucket_rows, eve_rows = [], []
    for currency, curve in curves.items():
        mine = flows["currency"].to_numpy() == currency
        cash = np.bincount(
            flows["bucket"].to_numpy()[mine] - 1, flows["amount"].to_numpy()[mine], minlength=nb
        )
        pv_base = cash * np.exp(-curve.base * midpoints)
        pv_shocked = cash * np.exp(-curve.shocked * midpoints)
        binds = curve.floor_binds
        bucket_rows.append(
            pd.DataFrame(
                {
                    "currency": currency,
                    "scenario": np.repeat(SCENARIOS, nb),
                    "bucket": np.tile(np.arange(1, nb + 1), ns),
                    "midpoint": np.tile(midpoints, ns),
                    "cash_flow": np.tile(cash, ns),
                    "base_rate": np.tile(curve.base, ns),
                    "shock": curve.delta.ravel(),
                    "shocked_rate": curve.shocked.ravel(),
                    "floor_binds": binds.ravel(),
                    "pv_base": np.tile(pv_base, ns),
                    "pv_shocked": pv_shocked.ravel(),
                    "delta_eve": (pv_base - pv_shocked).ravel(),
                    "rule": [
                        SHAPE_RULES[s] + ("; SRP31.93 floor binds" if b else "")
                        for s, b in zip(np.repeat(SCENARIOS, nb), binds.ravel(), strict=True)
                    ],
                }
            )
        )
        eve_base = float(pv_base.sum())
        for i, scenario in enumerate(SCENARIOS):
            shocked = float(pv_shocked[i].sum())
            eve_rows.append((currency, scenario, eve_base, shocked, eve_base - shocked))
    columns = ["currency", "scenario", "eve_base", "eve_shocked", "delta_eve"]
    buckets = pd.concat(bucket_rows, ignore_index=True) if bucket_rows else pd.DataFrame()
    eve = pd.DataFrame(eve_rows, columns=columns)
    eve["rule"] = "SRP31.129(1)-(4)"
    return buckets, eve


def aggregate_eve(eve: pd.DataFrame, fx: Mapping[str, float], params: Mapping[str, Any]) -> pd.DataFrame:
    """ΔEVE per scenario across currencies (SRP31.129(5); methodology 13.7, C.44).

    ``basel``: Σ_c max(0, ΔEVE_c fx_c) (losses only); ``eu_sot``: gains (ΔEVE < 0) count at 50%.
    """
    reporting = eve["delta_eve"].to_numpy() * eve["currency"].map(fx).to_numpy(dtype=float)
    gain_weight = params["eu_gain_weight"]
    table = pd.DataFrame(
        {
            "scenario": eve["scenario"],
            "basel": np.maximum(reporting, 0.0),
            "eu_sot": np.where(reporting > 0, reporting, gain_weight * reporting),
        }
    )
    result = table.groupby("scenario", sort=False).sum().reindex(list(SCENARIOS)).fillna(0.0).reset_index()
    return result.rename(columns={"basel": "delta_eve_basel", "eu_sot": "delta_eve_eu_sot"})


def eve_outlier_test(
    by_scenario: pd.DataFrame, aggregation: str, tier1: float, params: Mapping[str, Any]
) -> OutlierTest:
    """measure = max(0, max_i ΔEVE_i); outlier iff measure > 15% Tier 1 (1 + 1e-9) (SRP31.82; C.44)."""
    values = by_scenario[f"delta_eve_{aggregation}"].to_numpy()
    worst = int(np.argmax(values))
    measure = max(0.0, float(values[worst]))
    threshold = params["eve_outlier_threshold"]
    outlier = measure > threshold * tier1 * (1 + params["outlier_tolerance"])
    return OutlierTest(
        aggregation, measure, SCENARIOS[worst], tier1, measure / tier1, threshold, bool(outlier)
    )


def net_interest_income(
    events: pd.DataFrame, curves: Mapping[str, ShockedCurves], params: Mapping[str, Any]
) -> pd.DataFrame:
    """ΔNII per currency and scenario over the horizon H (DIS70, SRP31.90; methodology 13.8, C.44).

    ΔNII_c = Σ sign · amount · Δ_eff(tenor bucket) · (H - t) over the repricing events t < H, with
    Δ_eff the floored shocked rate minus the base rate. Positive ΔNII is a gain.
    """
    horizon, rows = params["nii_horizon_years"], []
    weight = events["amount"].to_numpy() * (horizon - events["time"].to_numpy())
    tenor = events["tenor_bucket"].to_numpy() - 1
    buckets = len(params["bucket_midpoints"])
    for currency, curve in curves.items():
        mine = _currency_rows(events, currency)
        # sum_events delta(tenor bucket) x weight = sum_b delta(b) x (weights of the events in b)
        by_bucket = np.bincount(tenor[mine], weights=weight[mine], minlength=buckets)
        for i, scenario in enumerate(SCENARIOS):
            rows.append((currency, scenario, float(curve.effective_delta[i] @ by_bucket)))
    nii = pd.DataFrame(rows, columns=["currency", "scenario", "delta_nii"])
    nii["rule"] = "DIS70: constant balance sheet, 12 months"
    return nii


def _currency_rows(table: pd.DataFrame, currency: str) -> np.ndarray:
    """Rows of ``currency`` (on the codes of a categorical column: no string per row)."""
    column = table["currency"]
    if isinstance(column.dtype, pd.CategoricalDtype):
        categories = list(map(str, column.cat.categories))
        if currency not in categories:
            return np.zeros(len(table), dtype=bool)
        return np.asarray(column.cat.codes.to_numpy() == categories.index(currency))
    return np.asarray(column.to_numpy() == currency)


def nii_outlier_test(by_scenario: pd.DataFrame, tier1: float, params: Mapping[str, Any]) -> NiiTest:
    """Decline = max(0, -min(ΔNII^eu up, down)), flagged iff > 5% Tier 1 (1 + 1e-9) (methodology C.44)."""
    values = by_scenario.set_index("scenario")["delta_nii_eu_sot"]
    up, down = float(values["parallel_up"]), float(values["parallel_down"])
    decline = max(0.0, -min(up, down))
    threshold = params["nii_outlier_threshold"]
    flagged = decline > threshold * tier1 * (1 + params["outlier_tolerance"])
    return NiiTest(up, down, decline, decline / tier1, threshold, bool(flagged))


def _nii_by_scenario(nii: pd.DataFrame, fx: Mapping[str, float], params: Mapping[str, Any]) -> pd.DataFrame:
    reporting = nii["delta_nii"].to_numpy() * nii["currency"].map(fx).to_numpy(dtype=float)
    table = pd.DataFrame(
        {
            "scenario": nii["scenario"],
            "delta_nii_total": reporting,
            "delta_nii_eu_sot": np.where(reporting < 0, reporting, params["eu_gain_weight"] * reporting),
        }
    )
    return table.groupby("scenario", sort=False).sum().reindex(list(SCENARIOS)).fillna(0.0).reset_index()


def compute_irrbb(
    positions: pd.DataFrame, base_curve: Any, tier1: float, parameters: Mapping[str, Any] | None = None
) -> IrrbbResult:
    """ΔEVE under the six standard shocks, the outlier tests and ΔNII (methodology 13).

    Parameters
    ----------
    positions : DataFrame
        The columns of ``REPRICING_COLUMNS`` (methodology C.43).
    base_curve : DataFrame or mapping
        Continuously compounded zero rates per currency at the 19 mid-points (``validate_base_curve``).
    tier1 : float
        Tier 1 capital in the reporting currency (> 0).
    parameters : mapping, optional
        Overrides of ``IRRBB_PARAMETERS`` (calibration, floor, aggregation, ``fx_to_reporting``, ...).
    """
    params = irrbb_parameters(parameters)
    if not (isinstance(tier1, int | float) and np.isfinite(tier1) and tier1 > 0):
        raise InputError("tier1", "must be a finite number > 0", failure_cases=[tier1])
    frame = validate_repricing(positions)
    in_scope = (frame["repricing_type"] != "none").to_numpy()
    codes = np.unique(frame["currency"].cat.codes.to_numpy()[in_scope])
    currencies = sorted(str(frame["currency"].cat.categories[i]) for i in codes)
    rates = validate_base_curve(base_curve, params["bucket_midpoints"], currencies)
    curves = {c: shocked_curves(c, rates[c], params) for c in currencies}
    fx = _fx(currencies, params)
    flows = slotted_cash_flows(frame, params)
    buckets, eve = economic_value(flows, curves, params)
    eve["fx"] = eve["currency"].map(fx).astype(float)
    eve["delta_eve_reporting"] = eve["delta_eve"] * eve["fx"]
    by_scenario = aggregate_eve(eve, fx, params)
    tests = {a: eve_outlier_test(by_scenario, a, float(tier1), params) for a in OPTIONS["eve_aggregation"]}
    events = repricing_events(frame, params)
    nii = net_interest_income(events, curves, params)
    nii["fx"] = nii["currency"].map(fx).astype(float)
    nii["delta_nii_reporting"] = nii["delta_nii"] * nii["fx"]
    nii_scenarios = _nii_by_scenario(nii, fx, params)
    return IrrbbResult(
        flows, buckets, eve, by_scenario, tests, tests[params["eve_aggregation"]], events, nii, nii_scenarios,
        nii_outlier_test(nii_scenarios, float(tier1), params),
    )  # fmt: skip
