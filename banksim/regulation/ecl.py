"""IFRS 9 expected credit loss: scenarios, PD term structure, EAD profile, 12-month and lifetime ECL.

``compute_ecl`` is a pure, vectorised function of an exposure table and scenarios: one line per
exposure (stage, triggers, PDs, EAD, LGD, ECL per scenario and weighted) and a summary (methodology 12).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from banksim.errors import InputError
from banksim.positions.credit_quality import validate_ecl_exposures
from banksim.regulation.ecl_parameters import ECL_PARAMETERS
from banksim.regulation.ecl_staging import allocate_stages, pd_test

__all__ = [
    "EclResult",
    "EclScenario",
    "compute_ecl",
    "ecl_by_scenario",
    "ecl_parameters",
    "ecl_scenarios",
    "ecl_summary",
    "exposure_at_default",
    "scenario_inputs",
]

GRID_TOLERANCE = 1e-9  # methodology C.39: n = smallest integer >= T - 1e-9


@dataclass(frozen=True)
class EclScenario:
    """One forward-looking scenario (IFRS 9 5.5.17-18; methodology 12.4, C.38).

    Scenario annual PD ``min(1, pd_multiplier x pd)``; scenario LGD ``min(1, max(0, lgd + lgd_addon))``.
    """

    name: str
    weight: float
    pd_multiplier: float = 1.0
    lgd_addon: float = 0.0


@dataclass(frozen=True)
class EclResult:
    """The ECL of a run: ``lines`` (one per exposure) and ``summary`` (by stage and class)."""

    lines: pd.DataFrame
    summary: pd.DataFrame
    scenarios: tuple[EclScenario, ...]


def ecl_parameters(parameters: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``ECL_PARAMETERS`` with ``parameters`` overriding keys; unknown keys and bad thresholds are errors."""
    params = dict(ECL_PARAMETERS)
    unknown = sorted(set(parameters or {}) - set(params))
    if unknown:
        raise InputError("parameters", f"unknown ECL parameters {unknown}", allowed=sorted(params))
    params.update(parameters or {})
    if not float(params["sicr_relative_threshold"]) > 1.0:
        raise InputError("parameters['sicr_relative_threshold']", "must be > 1", allowed="> 1")
    if not float(params["sicr_absolute_threshold"]) >= 0.0:
        raise InputError("parameters['sicr_absolute_threshold']", "must be >= 0", allowed=">= 0")
    return params


def ecl_scenarios(
    scenarios: Sequence[EclScenario] | pd.DataFrame | None, params: Mapping[str, Any]
) -> tuple[EclScenario, ...]:
    """Scenarios from a sequence of ``EclScenario`` or a table (``scenario``, ``weight``,
    ``pd_multiplier``, ``lgd_addon``); ``None`` takes ``params['scenarios']``.

    Raises
    ------
    InputError
        No scenario; duplicate names; a weight < 0 or not finite; weights not summing to 1 within
        1e-9; a PD multiplier < 0 (methodology C.38).
    """
    if scenarios is None:
        scenarios = _plain_scenarios(params["scenarios"]) or pd.DataFrame(list(params["scenarios"]))
    if isinstance(scenarios, pd.DataFrame):
        table = scenarios.rename(columns={"name": "scenario"})
        if not {"scenario", "weight"} <= set(table.columns):
            raise InputError(
                "scenarios",
                "needs columns 'scenario' and 'weight'",
                allowed=list(EclScenario.__annotations__),
            )
        numbers = {
            column: pd.to_numeric(table.get(column, default), errors="coerce")  # text -> NaN -> error
            for column, default in (("weight", np.nan), ("pd_multiplier", 1.0), ("lgd_addon", 0.0))
        }
        frame = pd.DataFrame(numbers, index=table.index).astype(float)
        scenarios = [
            EclScenario(str(name), *(float(v) for v in values))
            for name, values in zip(table["scenario"], frame.to_numpy().tolist(), strict=True)
        ]
    result = tuple(scenarios)
    _check_scenarios(result, params["weight_tolerance"])
    return result


_NUMBERS = ("weight", "pd_multiplier", "lgd_addon")


def _plain_scenarios(entries: Any) -> list[EclScenario] | None:
    """The scenarios of ``entries`` as the table route reads them, for the plain case only: dicts
    with the same keys, a text ``scenario`` (or ``name``), a ``weight`` and optionally the other
    numbers, each a Python int (below 2**53) or float; None for anything else (the table route)."""
    if not isinstance(entries, (list, tuple)) or not entries:
        return None
    if not all(type(entry) is dict for entry in entries):
        return None
    keys = set(entries[0])
    label = "scenario" if "scenario" in keys else "name"
    if label not in keys or "weight" not in keys or not keys <= {label, *_NUMBERS}:
        return None
    result = []
    for entry in entries:
        if set(entry) != keys or type(entry[label]) is not str:
            return None
        numbers = [entry.get(name, default) for name, default in zip(_NUMBERS, (0.0, 1.0, 0.0), strict=True)]
        if not all(type(v) is float or (type(v) is int and abs(v) < 2**53) for v in numbers):
            return None
        result.append(EclScenario(entry[label], *(float(v) for v in numbers)))
    return result


def _check_scenarios(scenarios: tuple[EclScenario, ...], tolerance: float) -> None:
    if not scenarios:
        raise InputError("scenarios", "is empty", allowed="at least one scenario")
    names = [s.name for s in scenarios]
    if len(set(names)) < len(names):
        raise InputError("scenarios", "scenario names must be unique", failure_cases=names)
    values = [(s.weight, s.pd_multiplier, s.lgd_addon) for s in scenarios]
    if not all(math.isfinite(v) for row in values for v in row):
        raise InputError("scenarios", "weights, multipliers and add-ons must be finite", failure_cases=names)
    bad = [s.name for s in scenarios if s.weight < 0]
    if bad:
        raise InputError("scenarios['weight']", "must be >= 0", failure_cases=bad)
    total = math.fsum(s.weight for s in scenarios)
    if abs(total - 1.0) > tolerance:
        raise InputError("scenarios['weight']", f"must sum to 1 (sum {total!r})", allowed="sum 1 within 1e-9")
    bad = [s.name for s in scenarios if s.pd_multiplier < 0]
    if bad:
        raise InputError("scenarios['pd_multiplier']", "must be >= 0", failure_cases=bad)


def scenario_inputs(frame: pd.DataFrame, scenarios: Sequence[EclScenario]) -> tuple[np.ndarray, np.ndarray]:
    """(exposures x scenarios) annual PDs p_s and LGDs LGD_s (methodology C.38)."""
    multiplier = np.array([s.pd_multiplier for s in scenarios])
    addon = np.array([s.lgd_addon for s in scenarios])
    pd_s = np.minimum(1.0, frame["pd"].to_numpy()[:, None] * multiplier)
    lgd_s = np.clip(frame["lgd"].to_numpy()[:, None] + addon, 0.0, 1.0)
    return pd_s, lgd_s


def exposure_at_default(frame: pd.DataFrame) -> np.ndarray:
    """EAD_0 = drawn + ecl_ccf x undrawn (IFRS 9 B5.5.31; methodology 12.5, C.39)."""
    undrawn = frame["off_balance_amount"].to_numpy()
    drawdown = np.where(undrawn > 0, frame["ecl_ccf"].to_numpy(), 0.0)
    return frame["drawn_amount"].to_numpy() + drawdown * undrawn


def _annuity_factor(years: np.ndarray, rate: np.ndarray) -> np.ndarray:
    """a(x) = (1 - (1 + r)^-x) / r, and x where r = 0 (methodology C.39)."""
    safe = np.where(rate > 0, rate, 1.0)
    return np.where(rate > 0, (1.0 - (1.0 + safe) ** -years) / safe, years)


def ecl_by_scenario(
    frame: pd.DataFrame, pd_s: np.ndarray, lgd_s: np.ndarray, ead_0: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """12-month and lifetime ECL per exposure and scenario, discounted at the EIR (IFRS 9 5.5.19, B5.5.44).

    Annual periods (t_(k-1), t_k], t_k = min(k, T), k = 1 .. ceil(T - 1e-9); constant hazard survival
    S_s(t) = (1 - p_s)^t; EAD at the start of each period along the amortisation profile; defaults
    mid-period, DF_k = (1 + eir)^-(t_(k-1) + t_k)/2 (methodology 12.5, C.39-C.40). The 12-month ECL
    is the first period's term (its start is the only one before min(1, T)). Loops over periods only,
    each on the exposures still alive: the bullet and the annuity exposures apart (a bullet's EAD
    profile is 1), each sorted longest first; whole periods advance the powers by one
    multiplication, the short last period uses them at T.
    """
    maturity = frame["residual_maturity"].to_numpy()
    periods = np.ceil(maturity - GRID_TOLERANCE)
    horizon = int(periods.max(initial=0))
    annuity = (frame["amortisation_type"] == "annuity").to_numpy()
    # Bullet lines then annuity lines, each longest first (a stable sort: the order is the same
    # whatever the integer type; 16-bit keys take NumPy's radix sort).
    key = np.where(annuity, horizon + 1, 0) + (horizon - np.maximum(periods, 0.0))
    small = len(key) == 0 or key.max() < np.iinfo(np.int16).max
    order = np.argsort(key.astype(np.int16 if small else np.int64), kind="stable")
    maturity, periods, rate = maturity[order], periods[order], frame["eir"].to_numpy()[order]
    pd_s, lgd_s, ead_0 = pd_s[order], lgd_s[order], ead_0[order]
    twelve, lifetime = np.zeros_like(pd_s), np.zeros_like(pd_s)
    bullets = len(annuity) - int(annuity.sum())
    for part, is_annuity in ((slice(0, bullets), False), (slice(bullets, len(order)), True)):
        _period_terms(
            maturity[part], periods[part], rate[part], pd_s[part], lgd_s[part], ead_0[part], is_annuity,
            twelve[part], lifetime[part],
        )  # fmt: skip
    inverse = np.empty_like(order)
    inverse[order] = np.arange(len(order))
    return twelve[inverse], lifetime[inverse]


def _period_terms(
    maturity: np.ndarray,
    periods: np.ndarray,
    rate: np.ndarray,
    pd_s: np.ndarray,
    lgd_s: np.ndarray,
    ead_0: np.ndarray,
    annuity: bool,
    twelve: np.ndarray,
    lifetime: np.ndarray,
) -> None:
    """Add the 12-month and lifetime terms of exposures of one amortisation type, sorted by
    ``periods`` descending, to ``twelve`` and ``lifetime`` (zeros; ``ecl_by_scenario``): period k
    works on the prefix still alive, of which only the lines whose last period is k (the end of the
    prefix) may end before k. The same operations, element by element, in the same order as one
    loop over all exposures: profile 1 for a bullet (EAD_0 x 1 is EAD_0)."""
    if len(maturity) == 0:
        return
    alive = np.searchsorted(-periods, -np.arange(1, int(periods.max(initial=0)) + 1), side="right")
    growth = 1.0 + rate
    survive_at_maturity = (1.0 - pd_s) ** maturity[:, None]
    discount_last = growth ** -((periods - 1.0 + maturity) / 2.0)  # DF of the period ending at T
    discount_half = growth**-0.5
    if annuity:
        safe = np.where(rate > 0, rate, 1.0)
        positive = rate > 0
        v_maturity = growth**-maturity
        a_total = _annuity_factor(maturity, rate)
    survival = 1.0 - pd_s
    survive = np.ones_like(pd_s)  # S_s(t_(k-1))
    compound = np.ones_like(rate)  # (1 + r)^(k-1)
    weights, terms = np.empty_like(rate), np.empty_like(pd_s)  # work space (no new array per period)
    for k, m in enumerate(alive, start=1):
        c = compound[:m]
        discount = np.divide(discount_half[:m], c, out=weights[:m])
        term = np.multiply(survive[:m], pd_s[:m], out=terms[:m])  # the marginal PD of a whole period
        last = slice(alive[k] if k < len(alive) else 0, m)  # lines with periods == k; the others have T > k
        whole = k <= maturity[last]  # t_k = k; otherwise the period ends at T
        if not whole.all():
            discount[last] = np.where(whole, discount[last], discount_last[last])
            term[last] = np.where(whole[:, None], term[last], survive[last] - survive_at_maturity[last])
        if annuity:
            t = maturity[:m]
            start = np.minimum(k - 1, t)
            remaining = np.where(positive[:m], (1.0 - v_maturity[:m] * c) / safe[:m], t - start)  # a(T - t)
            profile = np.divide(remaining, a_total[:m], out=remaining)
            weight = np.multiply(np.multiply(ead_0[:m], profile, out=profile), discount, out=discount)
        else:
            weight = np.multiply(ead_0[:m], discount, out=discount)
        np.multiply(term, lgd_s[:m], out=term)
        np.multiply(term, weight[:, None], out=term)
        lifetime[:m] += term
        if k == 1:
            twelve[:m] = term
        survive[:m] *= survival[:m]
        compound[:m] *= growth[:m]


def compute_ecl(
    exposures: pd.DataFrame,
    scenarios: Sequence[EclScenario] | pd.DataFrame | None = None,
    parameters: Mapping[str, Any] | None = None,
) -> EclResult:
    """IFRS 9 loss allowance of each exposure with its stage and the triggers that set it.

    Parameters
    ----------
    exposures : DataFrame
        The columns of ``ECL_EXPOSURE_COLUMNS`` (methodology C.35).
    scenarios : sequence of EclScenario, DataFrame or None
        Forward-looking scenarios (methodology 12.4); ``None``: one base scenario.
    parameters : mapping, optional
        Overrides of ``ECL_PARAMETERS``.

    Returns
    -------
    EclResult
        ``lines``: stage, triggers, rule, PDs, EAD_0, LGD, per-scenario and weighted 12-month and
        lifetime ECL, loss allowance; ``summary`` by stage and exposure class (``ecl_summary``).
    """
    params = ecl_parameters(parameters)
    chosen = ecl_scenarios(scenarios, params)
    frame = validate_ecl_exposures(exposures)
    weights = np.array([s.weight for s in chosen])
    pd_s, lgd_s = scenario_inputs(frame, chosen)
    test = pd_test(frame, pd_s, weights, params)
    staging = allocate_stages(frame, test, params)
    ead_0 = exposure_at_default(frame)
    twelve, lifetime = ecl_by_scenario(frame, pd_s, lgd_s, ead_0)
    impaired = staging.stage == 3
    credit_impaired = lgd_s * ead_0[:, None]  # IFRS 9 B5.5.33: PD 1, no discounting (methodology 12.6)
    twelve = np.where(impaired[:, None], credit_impaired, twelve)
    lifetime = np.where(impaired[:, None], credit_impaired, lifetime)
    lines = pd.DataFrame(
        {
            "position_id": frame["position_id"],
            "exposure_class": frame["exposure_class"],
            "stage": staging.stage,
            "triggers": staging.triggers(),
            "rule": staging.rules(),
            "convention": staging.conventions(),
            "low_credit_risk": staging.low_credit_risk,
            "pd_12m": pd_s @ weights,
            "pd_lifetime": test.lpd_reporting,
            "lpd_reporting": test.lpd_reporting,
            "lpd_origination": test.lpd_origination,
            "pd_test_relative": test.relative,
            "pd_test_absolute": test.absolute,
            "ead_0": ead_0,
            "lgd": lgd_s @ weights,
            **{f"ecl_12m_{s.name}": twelve[:, i] for i, s in enumerate(chosen)},
            **{f"ecl_lifetime_{s.name}": lifetime[:, i] for i, s in enumerate(chosen)},
            "ecl_12m": twelve @ weights,
            "ecl_lifetime": lifetime @ weights,
        }
    )
    lines["loss_allowance"] = np.where(staging.stage == 1, lines["ecl_12m"], lines["ecl_lifetime"])
    return EclResult(lines, ecl_summary(lines), chosen)


SUMMARY_SUMS = ("ead_0", "ecl_12m", "ecl_lifetime", "loss_allowance")


def ecl_summary(lines: pd.DataFrame) -> pd.DataFrame:
    """Exposures, EAD_0 and loss allowance by stage and exposure class, with the coverage ratio.

    One row per (stage, exposure class) present, sorted by stage and then in the order of the class
    categories. The sums are pandas' grouped sums (Kahan-compensated, in the order of the lines);
    the groups are numbered from the integer stage and the class codes (no hashing), or by
    ``DataFrame.groupby`` itself for lines of another form (the same table).
    """
    groups = _stage_class_groups(lines)
    if groups is None:
        summary = (
            lines.groupby(["stage", "exposure_class"], observed=True)
            .agg(
                exposures=("position_id", "size"),
                **{name: (name, "sum") for name in SUMMARY_SUMS},
            )
            .reset_index()
        )
    else:
        stage, classes, counts, label = groups
        group: Any = pd.Categorical.from_codes(label, dtype=pd.CategoricalDtype(pd.RangeIndex(len(counts))))
        sums = lines[list(SUMMARY_SUMS)].groupby(group, observed=False, sort=True).sum().to_numpy()
        summary = pd.DataFrame(
            {
                "stage": stage,
                "exposure_class": classes,
                "exposures": counts,
                **{name: sums[:, i] for i, name in enumerate(SUMMARY_SUMS)},
            }
        )
    ead = summary["ead_0"].to_numpy()
    summary["coverage"] = np.divide(
        summary["loss_allowance"].to_numpy(), ead, out=np.full(len(ead), np.nan), where=ead > 0
    )
    return summary


def _stage_class_groups(
    lines: pd.DataFrame,
) -> tuple[np.ndarray, Any, np.ndarray, np.ndarray] | None:
    """The (stage, exposure class) groups of ``lines`` in the order ``groupby`` sorts them: the
    stage and class of each group, its row count, and each line's group number; None (leave it
    to ``groupby``) unless the stage is int64 and the class a categorical with no missing value."""
    if len(lines) == 0 or not {"position_id", "stage", "exposure_class", *SUMMARY_SUMS} <= set(lines.columns):
        return None
    if not lines.columns.is_unique:
        return None
    stage, classes = lines["stage"].to_numpy(), lines["exposure_class"]
    if stage.dtype != np.int64 or not isinstance(classes.dtype, pd.CategoricalDtype):
        return None
    codes = classes.cat.codes.to_numpy().astype(np.int64)
    width, low = len(classes.cat.categories), int(stage.min())
    if codes.min() < 0 or (int(stage.max()) - low + 1) * width > 1_000_000:
        return None
    key = (stage - low) * width + codes  # sorts as (stage, class code)
    counts = np.bincount(key)
    present = np.flatnonzero(counts)
    label = (np.cumsum(counts > 0) - 1)[key]
    chosen = pd.Categorical.from_codes(present % width, dtype=classes.dtype)
    return present // width + low, chosen, counts[present], label
