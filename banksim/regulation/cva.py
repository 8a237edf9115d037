"""CVA risk capital (MAR50): the materiality alternative, reduced BA-CVA and full BA-CVA with hedges.

``cva_capital`` takes one row per derivative netting set (SA-CCR EAD, effective maturity and the
counterparty's sector and credit quality) and an optional hedges table; it returns one line per
counterparty, per netting set and per hedge, and the aggregate K and RWA (methodology 10).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from banksim.errors import InputError
from banksim.regulation.cva_inputs import index_constituents, validate_hedges, validate_netting_sets
from banksim.regulation.cva_parameters import CVA_PARAMETERS

__all__ = ["CVA_APPROACHES", "CvaCapital", "cva_capital", "discount_factor", "netting_set_maturities"]

CVA_APPROACHES = ("materiality_alternative", "ba_cva_reduced", "ba_cva_full")
RELATIVE_TOLERANCE = 1e-9  # methodology C.31: the materiality threshold is inclusive


@dataclass(frozen=True)
class CvaCapital:
    """The CVA charge of a portfolio.

    ``counterparties`` has one line per counterparty (risk weight, effective discount factor,
    SCVA, SNH, HMA, rule); ``netting_sets`` one per netting set (M used, DF, M x EAD x DF);
    ``hedges`` one per hedge (RW, DF, r_hc, contribution). ``k_hedged`` and ``k_full`` are NaN
    unless the approach is ``ba_cva_full``; ``k_reduced`` is NaN under the materiality alternative.
    """

    approach: str
    counterparties: pd.DataFrame
    netting_sets: pd.DataFrame
    hedges: pd.DataFrame
    k_reduced: float
    k_hedged: float
    k_full: float
    k_cva: float
    rwa: float
    rule: str

    def summary(self) -> dict[str, float | str]:
        """The aggregate figures as a dict."""
        return {
            "approach": self.approach,
            "k_reduced": self.k_reduced,
            "k_hedged": self.k_hedged,
            "k_full": self.k_full,
            "k_cva": self.k_cva,
            "rwa": self.rwa,
            "rule": self.rule,
        }


def discount_factor(maturity: np.ndarray | float, rate: float = 0.05) -> np.ndarray:
    """Supervisory discount factor (1 - exp(-r M)) / (r M) of MAR50.15 (methodology 10.2); M > 0."""
    m = np.asarray(maturity, dtype=float)
    return -np.expm1(-rate * m) / (rate * m)


def netting_set_maturities(positions: pd.DataFrame) -> pd.DataFrame:
    """Notional-weighted average residual maturity of each derivative netting set (methodology C.30).

    Reads the derivative lines of a positions table (``notional``, ``residual_maturity``) with the
    netting sets of SA-CCR, so its rows join the SA-CCR netting-set rows on ``netting_set``. The
    value is before the one-year floor, which :func:`cva_capital` applies (CRE32.46, MAR50.15).
    """
    from banksim.positions.validation import validate_positions
    from banksim.regulation._frame import is_in
    from banksim.regulation.saccr import netting_set_codes

    frame = validate_positions(positions)
    frame = frame.loc[is_in(frame, "side", "derivative")].reset_index(drop=True)
    codes, names = netting_set_codes(frame)
    notional = np.abs(frame["notional"].to_numpy())
    weighted = np.bincount(
        codes, weights=notional * frame["residual_maturity"].to_numpy(), minlength=len(names)
    )
    total = np.bincount(codes, weights=notional, minlength=len(names))
    with np.errstate(invalid="ignore", divide="ignore"):
        maturity = np.where(total > 0, weighted / total, 0.0)
    return pd.DataFrame({"netting_set": names, "effective_maturity": maturity})


def _risk_weight(params: Mapping[str, Any], sector: pd.Series, quality: pd.Series) -> np.ndarray:
    """MAR50.16 Table 1 weight by sector and IG / HY-NR column (methodology 10.2)."""
    lookup = {f"{s}|{c}": w for s, row in params["risk_weight"].items() for c, w in row.items()}
    column = np.where(quality.to_numpy() == "IG", "|IG", "|HY_NR")
    key = pd.Series(sector.to_numpy(), dtype=object) + column
    return key.map(lookup).to_numpy(dtype=float)


def cva_capital(
    netting_sets: pd.DataFrame,
    hedges: pd.DataFrame | None = None,
    *,
    approach: str | None = None,
    non_centrally_cleared_notional: float | None = None,
    parameters: Mapping[str, Any] | None = None,
) -> CvaCapital:
    """CVA capital of the derivative netting sets under ``approach`` (MAR50, methodology 10).

    Parameters
    ----------
    netting_sets : pandas.DataFrame
        One row per netting set: ``netting_set``, ``counterparty_id``, ``counterparty_sector``
        (MAR50.16 Table 1 row), ``counterparty_credit_quality`` (IG/HY/NR, or blank to derive it
        from ``rating``), ``ead`` (SA-CCR), ``effective_maturity`` (before the one-year floor, see
        :func:`netting_set_maturities`) and, for the materiality alternative, ``ccr_risk_weight``.
    hedges : pandas.DataFrame, optional
        Eligible CVA hedges (``ba_cva_full`` only): ``hedge_id``, ``hedge_type`` (single_name |
        index), ``hedged_counterparty_id``, ``relation``, ``reference_sector``,
        ``reference_credit_quality``, ``index_constituents``, ``notional``, ``remaining_maturity``.
    approach : str, optional
        ``materiality_alternative``, ``ba_cva_reduced`` or ``ba_cva_full``; by default the
        parameters' ``approach`` (``ba_cva_reduced`` unless overridden).
    non_centrally_cleared_notional : float, optional
        Required by the materiality alternative (at most EUR 100 bn, MAR50.9).
    parameters : dict, optional
        Overrides of :data:`banksim.regulation.cva_parameters.CVA_PARAMETERS`.

    Returns
    -------
    CvaCapital
        Lines per counterparty, netting set and hedge, and K_reduced, K_hedged, K_full, K_CVA,
        RWA = 12.5 x K_CVA.
    """
    params = _parameters(parameters)
    approach = params["approach"] if approach is None else approach
    if approach not in CVA_APPROACHES:
        raise InputError("approach", f"unknown CVA approach {approach!r}", allowed=CVA_APPROACHES)
    given_hedges = hedges is not None and len(hedges) > 0
    if given_hedges and approach != "ba_cva_full":
        raise InputError(
            "hedges",
            f"are recognised only under 'ba_cva_full', not {approach!r} (MAR50.12)",
            allowed="hedges=None, or approach='ba_cva_full'",
        )
    sets = _netting_set_lines(validate_netting_sets(netting_sets), params)
    if approach == "materiality_alternative":
        return _materiality(sets, non_centrally_cleared_notional, params)
    parties = _counterparty_lines(sets, params)
    scva = parties["scva"].to_numpy()
    rho = params["rho"]
    k_reduced = math.sqrt((rho * scva.sum()) ** 2 + (1 - rho**2) * float(np.sum(scva**2)))  # MAR50.14
    if approach == "ba_cva_reduced":
        k_cva = params["discount_scalar"] * k_reduced
        return CvaCapital(
            approach,
            parties,
            sets,
            _empty_hedges(),
            k_reduced,
            math.nan,
            math.nan,
            k_cva,
            params["rwa_multiplier"] * k_cva,
            "MAR50.14",
        )
    hedge_lines = _hedge_lines(hedges, parties, params) if given_hedges else _empty_hedges()
    parties, index_hedge = _apply_hedges(parties, hedge_lines)
    net = parties["scva_net"].to_numpy()
    k_hedged = math.sqrt(
        (rho * net.sum() - index_hedge) ** 2 + (1 - rho**2) * float(np.sum(net**2)) + parties["hma"].sum()
    )  # MAR50.21
    k_full = params["beta"] * k_reduced + (1 - params["beta"]) * k_hedged  # MAR50.20
    k_cva = params["discount_scalar"] * k_full
    return CvaCapital(
        approach,
        parties,
        sets,
        hedge_lines,
        k_reduced,
        k_hedged,
        k_full,
        k_cva,
        params["rwa_multiplier"] * k_cva,
        "MAR50.20",
    )


def _parameters(overrides: Mapping[str, Any] | None) -> dict[str, Any]:
    params = copy.deepcopy(CVA_PARAMETERS)
    for key, value in (overrides or {}).items():
        if key not in params:
            raise InputError("parameters", f"unknown CVA parameter {key!r}", allowed=list(params))
        if isinstance(params[key], dict) and isinstance(value, Mapping):
            params[key].update(copy.deepcopy(dict(value)))
        else:
            params[key] = value
    return params


def _netting_set_lines(frame: pd.DataFrame, params: Mapping[str, Any]) -> pd.DataFrame:
    """M_NS = max(1, M), DF and M x EAD x DF per netting set (MAR50.15, methodology 10.2, C.30)."""
    maturity = np.maximum(frame["effective_maturity"].to_numpy(), params["maturity_floor"])
    df = discount_factor(maturity, params["discount_rate"])
    ead = frame["ead"].to_numpy()
    return pd.DataFrame(
        {
            "netting_set": frame["netting_set"].to_numpy(),
            "counterparty_id": frame["counterparty_id"].to_numpy(),
            "counterparty_sector": frame["counterparty_sector"].to_numpy(),
            "credit_quality": frame["credit_quality"].to_numpy(),
            "ead": ead,
            "effective_maturity": frame["effective_maturity"].to_numpy(),
            "maturity_used": maturity,
            "discount_factor": df,
            "weighted_exposure": maturity * ead * df,
            "ccr_risk_weight": frame["ccr_risk_weight"].to_numpy(),
            "rule": "MAR50.15",
        }
    )


def _counterparty_lines(sets: pd.DataFrame, params: Mapping[str, Any]) -> pd.DataFrame:
    """SCVA_c = RW_c / alpha x sum over its netting sets of M x EAD x DF (MAR50.15, methodology 10.2)."""
    codes, ids = pd.factorize(sets["counterparty_id"], sort=False)
    first = np.unique(codes, return_index=True)[1]
    n = len(ids)
    ead = sets["ead"].to_numpy()
    maturity = sets["maturity_used"].to_numpy()
    weighted = np.bincount(codes, weights=sets["weighted_exposure"].to_numpy(), minlength=n)
    m_ead = np.bincount(codes, weights=maturity * ead, minlength=n)
    ead_sum = np.bincount(codes, weights=ead, minlength=n)
    sector = sets["counterparty_sector"].iloc[first].reset_index(drop=True)
    quality = sets["credit_quality"].iloc[first].reset_index(drop=True)
    rw = _risk_weight(params, sector, quality)
    with np.errstate(invalid="ignore", divide="ignore"):
        return pd.DataFrame(
            {
                "counterparty_id": np.asarray(ids, dtype=object),
                "counterparty_sector": sector.to_numpy(),
                "credit_quality": quality.to_numpy(),
                "risk_weight": rw,
                "netting_sets": np.bincount(codes, minlength=n),
                "ead": ead_sum,
                "effective_maturity": np.where(ead_sum > 0, m_ead / ead_sum, np.nan),  # EAD-weighted M_NS
                "discount_factor": np.where(m_ead > 0, weighted / m_ead, np.nan),  # (M x EAD)-weighted DF
                "weighted_exposure": weighted,
                "scva": rw / params["alpha"] * weighted,
                "rule": "MAR50.15",
            }
        )


def _materiality(sets: pd.DataFrame, notional: float | None, params: Mapping[str, Any]) -> CvaCapital:
    """RWA_CVA = 100% of the CCR RWA of the netting sets (MAR50.9, methodology 10.4, C.31)."""
    threshold = params["materiality_threshold"]
    if notional is None or not math.isfinite(notional) or notional < 0:
        raise InputError(
            "non_centrally_cleared_notional",
            "is required by the materiality alternative (MAR50.9)",
            allowed=f">= 0 and <= {threshold:,.0f}",
        )
    if notional > threshold * (1 + RELATIVE_TOLERANCE):
        raise InputError(
            "non_centrally_cleared_notional",
            f"{notional:,.0f} exceeds the MAR50.9 threshold; the materiality alternative is not available",
            allowed=f"<= {threshold:,.0f}",
        )
    rw = sets["ccr_risk_weight"].to_numpy()
    if np.isnan(rw).any():
        raise InputError(
            "netting_sets['ccr_risk_weight']",
            "is needed on every netting set by the materiality alternative (its CCR RWA, MAR50.9)",
            failure_cases=sets.loc[np.isnan(rw), "netting_set"].tolist()[:5],
        )
    ccr_rwa = sets["ead"].to_numpy() * rw
    codes, ids = pd.factorize(sets["counterparty_id"], sort=False)
    parties = pd.DataFrame(
        {
            "counterparty_id": np.asarray(ids, dtype=object),
            "ead": np.bincount(codes, weights=sets["ead"].to_numpy(), minlength=len(ids)),
            "ccr_rwa": np.bincount(codes, weights=ccr_rwa, minlength=len(ids)),
        }
    )
    parties["rwa"] = params["materiality_ccr_share"] * parties["ccr_rwa"]
    parties["rule"] = "MAR50.9"
    rwa = float(parties["rwa"].sum())
    k_cva = rwa / params["rwa_multiplier"]
    return CvaCapital(
        "materiality_alternative",
        parties,
        sets.assign(rule="MAR50.9"),
        _empty_hedges(),
        math.nan,
        math.nan,
        math.nan,
        k_cva,
        rwa,
        "MAR50.9",
    )


def _empty_hedges() -> pd.DataFrame:
    text = ("hedge_id", "hedge_type", "hedged_counterparty_id")
    numbers = ("risk_weight", "discount_factor", "correlation", "hedge_value", "snh", "hma", "ih")
    columns = {c: pd.Series(dtype=object) for c in text} | {c: pd.Series(dtype=float) for c in numbers}
    return pd.DataFrame({**columns, "rule": pd.Series(dtype=object)})


def _hedge_lines(
    hedges: pd.DataFrame | None, parties: pd.DataFrame, params: Mapping[str, Any]
) -> pd.DataFrame:
    """RW x M x B x DF of every hedge, split into SNH, HMA and IH (MAR50.23-50.25, methodology 10.3)."""
    assert hedges is not None
    frame = validate_hedges(hedges, parties)
    single = (frame["hedge_type"] == "single_name").to_numpy()
    maturity = frame["remaining_maturity"].to_numpy()  # not floored (C.30)
    df = discount_factor(maturity, params["discount_rate"])
    rw = np.full(len(frame), np.nan)
    listed = (frame["reference_sector"] != "").to_numpy() & (
        frame["reference_credit_quality"] != ""
    ).to_numpy()
    rw[listed] = _risk_weight(
        params, frame["reference_sector"][listed], frame["reference_credit_quality"][listed]
    )
    by_list = (frame["index_constituents"] != "").to_numpy() & ~single
    if by_list.any():
        names = index_constituents(frame.loc[by_list])
        names["rw"] = _risk_weight(params, names["sector"], names["quality"])
        totals = names.assign(w=names["rw"] * names["count"]).groupby("hedge_id")[["w", "count"]].sum()
        rw[by_list] = (totals["w"] / totals["count"]).reindex(frame.loc[by_list, "hedge_id"]).to_numpy()
    rw = np.where(single, rw, params["index_scalar"] * rw)  # MAR50.24(4)
    r = frame["relation"].map(params["hedge_correlation"]).to_numpy(dtype=float)
    value = rw * maturity * frame["notional"].to_numpy() * df
    return pd.DataFrame(
        {
            "hedge_id": frame["hedge_id"].to_numpy(),
            "hedge_type": frame["hedge_type"].to_numpy(),
            "hedged_counterparty_id": frame["hedged_counterparty_id"].to_numpy(),
            "risk_weight": rw,
            "discount_factor": df,
            "correlation": np.where(single, r, np.nan),
            "hedge_value": value,
            "snh": np.where(single, r * value, 0.0),
            "hma": np.where(single, (1 - r**2) * value**2, 0.0),
            "ih": np.where(single, 0.0, value),
            "rule": np.where(single, "MAR50.23", "MAR50.24"),
        }
    )


def _apply_hedges(parties: pd.DataFrame, hedges: pd.DataFrame) -> tuple[pd.DataFrame, float]:
    """SNH_c and HMA_c per counterparty and the index total IH (MAR50.21, methodology 10.3)."""
    single = hedges.loc[hedges["hedge_type"] == "single_name"]
    per = single.groupby("hedged_counterparty_id")[["snh", "hma"]].sum()
    snh = parties["counterparty_id"].map(per["snh"]).fillna(0.0).to_numpy(dtype=float)
    hma = parties["counterparty_id"].map(per["hma"]).fillna(0.0).to_numpy(dtype=float)
    hedged = parties["counterparty_id"].isin(per.index).to_numpy()
    out = parties.assign(snh=snh, hma=hma, scva_net=parties["scva"].to_numpy() - snh)
    out["rule"] = np.where(hedged, "MAR50.15; MAR50.23", "MAR50.15")
    return out, float(hedges["ih"].sum())
