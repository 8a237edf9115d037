"""Risk-weighted assets of a positions table: SA and IRB credit, SA-CCR, operational risk, floor.

``risk_weighted_assets`` returns one row per credit line, one per derivative netting set and one
for operational risk, each with its exposure, risk weight, RWA, standardised RWA and rule;
``rwa_summary`` and ``output_floor`` aggregate it.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from banksim.errors import InputError
from banksim.positions.validation import validate_positions
from banksim.positions.vocabulary import (
    CREDIT_EXPOSURE_CLASSES,
    IRB_CLASSES,
    PROJECT_FINANCE_SUB_CLASSES,
    SME_SUPPORTING_FACTOR_CLASSES,
)
from banksim.regulation._frame import categorical, concat_categorical, fail, is_in
from banksim.regulation.citations import subset
from banksim.regulation.irb import irb_risk_weights
from banksim.regulation.operational import operational_risk
from banksim.regulation.parameters import regulatory_parameters
from banksim.regulation.saccr import netting_set_ids, saccr_netting_sets
from banksim.regulation.standardised import (
    ccf_citations,
    counterparty_risk_weight,
    credit_conversion_factor,
    standardised_risk_weights,
)
from banksim.synthetic.proxy import business_indicator_proxy

__all__ = ["RWA_CLASSES", "output_floor", "risk_weighted_assets", "rwa_summary"]

RWA_CLASSES = (*CREDIT_EXPOSURE_CLASSES, "counterparty_credit_risk", "operational_risk")
RISK_TYPES = ("credit", "counterparty", "operational")


def risk_weighted_assets(
    positions: pd.DataFrame,
    parameters: Mapping[str, Any] | None = None,
    business_indicator: pd.DataFrame | None = None,
    annual_losses: Sequence[float] | None = None,
) -> pd.DataFrame:
    """RWA line by line: credit (SA or IRB), counterparty (SA-CCR) and operational risk.

    Parameters
    ----------
    positions : pandas.DataFrame
        A positions table (validated here, see :func:`banksim.validate_positions`).
    parameters : dict, optional
        Overrides of :data:`banksim.regulation.DEFAULT_PARAMETERS` (a jurisdiction's variant).
    business_indicator : pandas.DataFrame, optional
        Three years of OPE25 items in EUR millions; by default derived from the balance sheet
        with :func:`banksim.regulation.business_indicator_proxy`.
    annual_losses : sequence of float, optional
        Annual operational losses in EUR millions (fewer than five years: ILM = 1).

    Returns
    -------
    pandas.DataFrame
        One row per credit line (assets and off-balance items), per derivative netting set and one
        ``operational_risk`` row; columns ``exposure`` (EAD), ``risk_weight``, ``rwa``,
        ``sa_exposure``, ``sa_risk_weight``, ``rwa_standardised`` (the SA view of every line, for
        the output floor), ``rule`` (paragraph applied), the CCF, the IRB
        parameters used, ``supporting_factor`` (the EU SME or infrastructure factor applied to
        ``rwa``, 1 where none; methodology 8.2-8.3) and ``leverage_exposure`` for the leverage
        ratio.
    """
    params = regulatory_parameters(parameters)
    frame = validate_positions(positions)
    credit_mask = is_in(frame, "side", "asset", "off_balance")
    credit = frame[list(CREDIT_COLUMNS)].loc[credit_mask]
    fail(
        credit,
        is_in(credit, "exposure_class", "none"),
        "exposure_class",
        "is 'none' on asset or off-balance lines; every credit exposure needs an SA class",
        allowed=CREDIT_EXPOSURE_CLASSES,
    )
    parts = [_credit_lines(credit, params)]
    derivatives = frame.loc[is_in(frame, "side", "derivative")]
    if len(derivatives):
        parts.append(_counterparty_lines(derivatives, params))
    if business_indicator is None:
        business_indicator = business_indicator_proxy(frame)
    parts.append(_operational_line(operational_risk(business_indicator, annual_losses, params)))
    result = concat_categorical(parts, CATEGORICAL_COLUMNS)
    result["exposure_class"] = result["exposure_class"].cat.set_categories(RWA_CLASSES)
    result["risk_type"] = result["risk_type"].cat.set_categories(RISK_TYPES)
    return result


CREDIT_COLUMNS = (
    "position_id", "side", "product", "counterparty_type", "exposure_class", "sub_class", "rating",
    "scra_grade", "counterparty_cet1_ratio", "counterparty_leverage_ratio", "issuer_risk_weight", "approach",
    "irb_class", "elbe", "country", "currency", "drawn_amount", "off_balance_amount", "off_balance_type",
    "underlying_off_balance_type",
    "specific_provisions", "ltv", "cash_flow_dependent", "annual_sales", "residual_maturity",
    "original_maturity", "pd", "lgd", "is_defaulted", "currency_mismatch_unhedged",
    "large_financial_institution", "qualifying_infrastructure",
)  # fmt: skip
CATEGORICAL_COLUMNS = (
    "risk_type", "side", "product", "exposure_class", "sub_class", "counterparty_type", "country",
    "approach", "rule", "sa_rule", "irb_class",
)  # fmt: skip


def _credit_lines(credit: pd.DataFrame, params: Mapping[str, Any]) -> pd.DataFrame:
    drawn = credit["drawn_amount"].to_numpy()
    off_balance = credit["off_balance_amount"].to_numpy()
    provisions = credit["specific_provisions"].to_numpy()
    ccf = credit_conversion_factor(credit, params)
    gross = drawn + ccf * off_balance
    exposure = np.maximum(gross - provisions, 0.0)  # CRE20.1, methodology C.2
    ccf_notes = ccf_citations(credit, params)  # the CCF paragraph in every rule (methodology C.45)
    sa_rw, sa_rule, mismatch = standardised_risk_weights(credit, gross, params, ccf_notes)
    rwa_standardised = exposure * sa_rw
    n = len(credit)
    out = pd.DataFrame(
        {
            "position_id": credit["position_id"].array,
            "risk_type": categorical(np.zeros(n, dtype=np.int8), ["credit"]),
            "side": credit["side"].array,
            "product": credit["product"].array,
            "exposure_class": credit["exposure_class"].array,
            "sub_class": credit["sub_class"].array,
            "counterparty_type": credit["counterparty_type"].array,
            "country": credit["country"].array,
            "approach": credit["approach"].array,
            "drawn_amount": drawn,
            "off_balance_amount": off_balance,
            "ccf": ccf,
            "specific_provisions": provisions,
            "exposure": exposure,
            "risk_weight": sa_rw,
            "rwa": rwa_standardised,
            "rule": sa_rule,
            "sa_exposure": exposure,
            "sa_risk_weight": sa_rw,
            "rwa_standardised": rwa_standardised,
            "sa_rule": sa_rule,
            "currency_mismatch": mismatch,
            "irb_class": categorical(np.full(n, IRB_CLASSES.index("none"), dtype=np.int8), IRB_CLASSES),
            "pd_used": np.nan,
            "lgd_used": np.nan,
            "maturity_used": np.nan,
            "correlation": np.nan,
            "k": np.nan,
            "leverage_exposure": exposure,  # LEV30: on-balance net of provisions, CCF-converted off-balance
        }
    )
    irb = ~is_in(credit, "approach", "sa")
    if irb.any():
        ead = gross[irb]  # IRB EAD is gross of provisions, which are compared with EL instead
        where = np.flatnonzero(irb)
        lines = irb_risk_weights(credit.loc[irb], ead, params, subset(ccf_notes, where))
        for column, values in (
            ("exposure", ead),
            ("risk_weight", lines["risk_weight"]),
            ("rwa", lines["rwa"]),
        ):
            out[column] = _put(out[column].to_numpy(), where, np.asarray(values))
        for column in ("pd_used", "lgd_used", "maturity_used", "correlation", "k"):
            out[column] = _put(out[column].to_numpy(), where, lines[column].to_numpy())
        out["irb_class"] = _put_categorical(out["irb_class"].array, where, lines["irb_class"].array)
        out["rule"] = _put_categorical(out["rule"].array, where, lines["rule"].array)
    return supporting_factors(credit, out, params)


def supporting_factors(credit: pd.DataFrame, out: pd.DataFrame, params: Mapping[str, Any]) -> pd.DataFrame:
    """The EU supporting factors on the credit lines' RWA, both views (methodology 8.2-8.3, C.21-C.22).

    Infrastructure (CRR Art. 501a): ``sa.infrastructure_supporting_factor`` on non-defaulted
    project finance flagged ``qualifying_infrastructure``. SME (CRR Art. 501): RWA x
    (min(E*, T) x f1 + max(E* - T, 0) x f2) / E* on non-defaulted exposures to SMEs (turnover up to
    the limit) of :data:`SME_SUPPORTING_FACTOR_CLASSES`, E* being the line's exposure (C.21); a line
    that takes the infrastructure factor does not take the SME factor too. A factor of 1 is not
    applied; a line a factor changes has the article appended to its rule.
    """
    sa = params["sa"]
    project_finance = is_in(credit, "exposure_class", "specialised_lending") & is_in(
        credit, "sub_class", *PROJECT_FINANCE_SUB_CLASSES
    )
    flagged = credit["qualifying_infrastructure"].to_numpy()
    fail(
        credit,
        flagged & ~project_finance & ~is_in(credit, "exposure_class", "defaulted"),
        "qualifying_infrastructure",
        "is set on a line that is not project finance (CRR Art. 501a, methodology C.22)",
        allowed="True only for specialised_lending of a project_finance sub-class",
    )
    out["supporting_factor"] = 1.0
    performing = ~credit["is_defaulted"].to_numpy() & ~is_in(credit, "exposure_class", "defaulted")
    infrastructure = flagged & project_finance & performing
    if sa["infrastructure_supporting_factor"] != 1.0 and infrastructure.any():
        factor = np.where(infrastructure, sa["infrastructure_supporting_factor"], 1.0)
        _apply_factor(out, infrastructure, factor, factor, "CRR Art. 501a")
    else:
        infrastructure = np.zeros(len(credit), dtype=bool)
    sme = sa["sme_supporting_factor"]
    if sme["factor"] == 1.0 and sme["factor_above_threshold"] == 1.0:
        return out
    sales = credit["annual_sales"].to_numpy()
    qualifying = (
        (
            is_in(credit, "counterparty_type", "sme")
            | (is_in(credit, "exposure_class", "corporate") & is_in(credit, "sub_class", "sme"))
        )
        & ~(sales > sme["turnover_limit"])  # NaN (turnover unknown): the counterparty type decides
        & is_in(credit, "exposure_class", *SME_SUPPORTING_FACTOR_CLASSES)
        & performing
        & ~infrastructure
    )
    if qualifying.any():
        own = _sme_factor(out["exposure"].to_numpy(), sme)
        standardised = _sme_factor(out["sa_exposure"].to_numpy(), sme)
        _apply_factor(out, qualifying, own, standardised, "CRR Art. 501")
    return out


def _sme_factor(exposure: np.ndarray, sme: Mapping[str, float]) -> np.ndarray:
    """(min(E*, T) x f1 + max(E* - T, 0) x f2) / E* (CRR Art. 501); f1 where E* is 0."""
    threshold = sme["threshold"]
    blended = (
        np.minimum(exposure, threshold) * sme["factor"]
        + np.maximum(exposure - threshold, 0.0) * sme["factor_above_threshold"]
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(exposure > 0, blended / np.where(exposure > 0, exposure, 1.0), sme["factor"])


def _apply_factor(
    out: pd.DataFrame, mask: np.ndarray, own: np.ndarray, standardised: np.ndarray, article: str
) -> None:
    """Scale ``rwa`` by ``own`` and ``rwa_standardised`` by ``standardised`` on ``mask``; cite it."""
    out["rwa"] = np.where(mask, out["rwa"].to_numpy() * own, out["rwa"].to_numpy())
    out["rwa_standardised"] = np.where(
        mask, out["rwa_standardised"].to_numpy() * standardised, out["rwa_standardised"].to_numpy()
    )
    out["supporting_factor"] = np.where(mask, own, out["supporting_factor"].to_numpy())
    for column in ("rule", "sa_rule"):
        out[column] = _append_rule(out[column].array, mask, article)


def _append_rule(values: Any, mask: np.ndarray, article: str) -> pd.Categorical:
    """The rule of the lines in ``mask`` followed by `` + article`` (codes only, no string per row)."""
    categories = [str(c) for c in values.categories]
    codes = values.codes.astype(np.int32)
    used = np.unique(codes[mask])  # the few rules of the lines in mask, each gets a suffixed twin
    shifted = codes.copy()
    shifted[mask] = len(categories) + np.searchsorted(used, codes[mask])
    labels = [*categories, *(f"{categories[int(c)]} + {article}" for c in used)]
    return categorical(shifted, labels)


def _put(values: np.ndarray, where: np.ndarray, new: np.ndarray) -> np.ndarray:
    values = values.copy()
    values[where] = new
    return values


def _put_categorical(values: Any, where: np.ndarray, new: Any) -> pd.Categorical:
    categories = list(dict.fromkeys([*values.categories, *new.categories]))
    codes = values.set_categories(categories).codes.copy()
    codes[where] = new.set_categories(categories).codes
    return categorical(codes, categories)


def _counterparty_lines(derivatives: pd.DataFrame, params: Mapping[str, Any]) -> pd.DataFrame:
    sets = saccr_netting_sets(derivatives, params)
    first_trade = (
        derivatives.assign(_set=netting_set_ids(derivatives))
        .drop_duplicates("_set")
        .set_index("_set")
        .loc[sets["netting_set"]]
    )
    rw = counterparty_risk_weight(first_trade, params, "the SA-CCR exposure of a netting set")
    leverage = params["saccr"]["alpha"] * (
        np.maximum(sets["mtm"].to_numpy(), 0.0) + sets["add_on"].to_numpy()
    )
    ead = sets["ead"].to_numpy()
    # CRE52.2: the margined EAD capped at the unmargined one, cited where the cap lowered it (C.45).
    rule = categorical(
        sets["margined_cap_binding"].to_numpy().astype(np.int8),
        ["CRE52.1", "CRE52.1; CRE52.2 (margined EAD capped at the unmargined EAD)"],
    )
    return pd.DataFrame(
        {
            "position_id": pd.array(sets["netting_set"].to_numpy(), dtype="str"),
            "risk_type": "counterparty",
            "side": "derivative",
            "product": "derivative",
            "exposure_class": "counterparty_credit_risk",
            "sub_class": "none",
            "counterparty_type": first_trade["counterparty_type"].array,
            "country": first_trade["country"].array,
            "approach": "sa",
            "exposure": ead,
            "risk_weight": rw,
            "rwa": ead * rw,
            "rule": rule,
            "sa_exposure": ead,
            "sa_risk_weight": rw,
            "rwa_standardised": ead * rw,
            "sa_rule": rule,
            "currency_mismatch": False,
            "irb_class": "none",
            "supporting_factor": 1.0,
            # LEV30 derivatives: 1.4 x (RC + PFE) with the multiplier at 1 and no collateral offset.
            "leverage_exposure": leverage,
        }
    )


def _operational_line(op: Mapping[str, Any]) -> pd.DataFrame:
    rwa = op["rwa"] * 1e6  # EUR millions -> EUR
    return pd.DataFrame(
        {
            "position_id": pd.array(["operational_risk"], dtype="str"),
            "risk_type": "operational",
            "side": "none",
            "product": "none",
            "exposure_class": "operational_risk",
            "sub_class": "none",
            "counterparty_type": "none",
            "country": "none",
            "approach": "sa",
            "exposure": op["bi"] * 1e6,  # the business indicator, EUR
            "risk_weight": np.nan,
            "rwa": rwa,
            "rule": "OPE25.2",
            "sa_exposure": op["bi"] * 1e6,
            "sa_risk_weight": np.nan,
            "rwa_standardised": rwa,
            "sa_rule": "OPE25.2",
            "currency_mismatch": False,
            "irb_class": "none",
            "supporting_factor": 1.0,
            "k": op["ilm"],
            "leverage_exposure": 0.0,
        }
    )


def rwa_summary(rwa: pd.DataFrame) -> pd.DataFrame:
    """Lines, exposure, RWA, standardised RWA and average risk weight by risk type, class and approach."""
    groups = rwa.groupby(["risk_type", "exposure_class", "approach"], observed=True, sort=True)
    summary = groups.agg(
        lines=("position_id", "size"),
        exposure=("exposure", "sum"),
        rwa=("rwa", "sum"),
        rwa_standardised=("rwa_standardised", "sum"),
    ).reset_index()
    summary["average_risk_weight"] = np.where(
        summary["exposure"] > 0, summary["rwa"] / summary["exposure"], np.nan
    )
    return summary


def floor_rate(as_of: dt.date | None = None, params: Mapping[str, Any] | None = None) -> float:
    """Output-floor percentage in force on ``as_of`` (RBC90.1); ``None`` means fully phased in."""
    schedule = (params or regulatory_parameters())["output_floor"]["schedule"]
    years = sorted(int(y) for y in schedule)
    if as_of is None:
        return float(schedule[years[-1]])
    if not isinstance(as_of, dt.date):
        raise InputError("as_of", f"expected a date, got {type(as_of).__name__}")
    if as_of.year < years[0]:
        return 0.0
    return float(schedule[max(y for y in years if y <= as_of.year)])


def output_floor(
    rwa: pd.DataFrame,
    as_of: dt.date | None = None,
    floor: float | None = None,
    parameters: Mapping[str, Any] | None = None,
) -> dict[str, float | bool]:
    """Pre-floor RWA, standardised RWA and the floored total (RBC20.11-20.13, RBC90.1-90.2).

    ``floor`` (a decimal) overrides the phase-in rate of ``as_of``; by default 72.5%.
    ``parameters`` may override the phase-in schedule (``{"output_floor": {"schedule": ...}}``)
    and apply the RBC90.2 transitional cap (``{"output_floor": {"transitional_cap": 0.25}}``):
    while ``as_of`` falls before the last year of the schedule, the floor then raises RWA by at
    most that share of pre-floor RWA.
    """
    params = regulatory_parameters(parameters)
    rate = floor_rate(as_of, params) if floor is None else float(floor)
    if not 0 <= rate <= 1:
        raise InputError("floor", f"must be between 0 and 1, got {floor!r}")
    pre_floor = float(rwa["rwa"].sum())
    standardised = float(rwa["rwa_standardised"].sum())
    floored = max(pre_floor, rate * standardised)
    final_year = max(int(year) for year in params["output_floor"]["schedule"])
    cap_share = params["output_floor"]["transitional_cap"]
    in_phase_in = as_of is not None and as_of.year < final_year
    cap = pre_floor * (1 + cap_share) if in_phase_in and math.isfinite(cap_share) else math.inf
    return {
        "pre_floor_rwa": pre_floor,
        "standardised_rwa": standardised,
        "floor_rate": rate,
        "floor_amount": rate * standardised,
        "floored_rwa": min(floored, cap),
        "floor_binding": rate * standardised > pre_floor,
        "transitional_cap_binding": floored > cap,
        "floor_add_on": min(floored, cap) - pre_floor,
    }
