"""Standardised approach for credit risk (CRE20-22): CCFs, risk weights and exposure amounts.

Vectorised over a validated positions table; each line gets a risk weight and the paragraph it
comes from, and a line no rule covers is an error, never a default weight (methodology 2, C.2).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from banksim.errors import InputError
from banksim.positions.vocabulary import COMMITMENTS
from banksim.regulation._frame import Rules, fail, is_in, labels, lookup
from banksim.regulation.citations import Note, cite, flag
from banksim.regulation.parameters import BUCKETS, RATING_BUCKETS

__all__ = [
    "SUB_CLASSES_BY_EXPOSURE_CLASS",
    "RiskWeightAssignment",
    "bank_risk_weight",
    "bank_weights",
    "ccf_citations",
    "corporate_weights",
    "counterparty_risk_weight",
    "covered_bond_weights",
    "credit_conversion_factor",
    "currency_mismatch",
    "defaulted_weights",
    "equity_and_other_weights",
    "loan_splitting",
    "ltv_band",
    "rating_bucket",
    "real_estate_weights",
    "retail_weights",
    "sovereign_pse_mdb_weights",
    "standardised_risk_weights",
]

# The sub-classes each SA exposure class accepts (methodology C.1 plus banksim's additions).
SUB_CLASSES_BY_EXPOSURE_CLASS: dict[str, tuple[str, ...]] = {
    "sovereign": ("general", "international_organisation"),
    "pse": ("general",),
    "mdb": ("general", "eligible_mdb"),
    "bank": ("general",),
    "covered_bond": ("general",),
    "corporate": ("general", "sme", "investment_grade"),
    "specialised_lending": (
        "object_finance",
        "commodities_finance",
        "project_finance_pre_operational",
        "project_finance_operational",
        "project_finance_high_quality_operational",
    ),
    "retail": ("regulatory_retail", "regulatory_retail_transactor", "other_retail"),
    "residential_real_estate": (
        "general",
        "income_producing",
        "adc",
        "adc_residential_qualifying",
        "non_regulatory",
    ),
    "commercial_real_estate": ("general", "income_producing", "adc", "non_regulatory"),
    "defaulted": ("general", "residential_re_not_dependent"),
    "equity": (
        "general",
        "listed",
        "speculative_unlisted",
        "legislated_programme",
        "significant_investment",
        "threshold_deduction_item",
    ),
    "subordinated_debt": ("general",),
    "other_assets": ("cash", "gold", "cash_items_in_collection", "other"),
}
RELATIVE_TOLERANCE = 1e-9  # methodology C.2: band and threshold tests on ratios


def rating_bucket(frame: pd.DataFrame) -> np.ndarray:
    """Index into ``BUCKETS`` (0 = AAA..AA-, ..., 5 = below B-, 6 = unrated) of each line's rating."""
    return lookup(frame, "rating", {r: BUCKETS.index(b) for r, b in RATING_BUCKETS.items()}, 6).astype(int)


def _table(sa: Mapping[str, Any], name: str) -> np.ndarray:
    return np.array([sa[name][bucket] for bucket in BUCKETS], dtype=float)


def credit_conversion_factor(frame: pd.DataFrame, params: Mapping[str, Any]) -> np.ndarray:
    """CCF of each line's ``off_balance_type`` (CRE20.94-101).

    A commitment to provide another off-balance item takes the lower of the two CCFs (CRE20.101).
    """
    ccf = lookup(frame, "off_balance_type", params["sa"]["ccf"]).astype(float)
    underlying = ~is_in(frame, "underlying_off_balance_type", "none")
    fail(
        frame,
        underlying & ~is_in(frame, "off_balance_type", *COMMITMENTS),
        "underlying_off_balance_type",
        "is set on a line that is not a commitment (only commitments provide another item)",
        allowed="'none' unless off_balance_type is a commitment",
    )
    if underlying.any():
        other = lookup(frame, "underlying_off_balance_type", params["sa"]["ccf"]).astype(float)
        ccf = np.where(underlying, np.minimum(ccf, other), ccf)
    fail(
        frame,
        (frame["off_balance_amount"].to_numpy() > 0) & is_in(frame, "off_balance_type", "none"),
        "off_balance_type",
        "is 'none' on lines with an off-balance amount; a CCF needs the item type",
        allowed=[k for k in params["sa"]["ccf"] if k != "none"],
    )
    return ccf


# The paragraph of each off-balance item's CCF (CRE20.95-100); CRE20.101 takes the lower of two.
CCF_RULES = {
    "direct_credit_substitute": "CRE20.95",
    "repo_or_asset_sale_with_recourse": "CRE20.95",
    "securities_lending": "CRE20.95",
    "forward_asset_purchase": "CRE20.95",
    "nif_ruf": "CRE20.96",
    "transaction_related_contingent": "CRE20.97",
    "commitment": "CRE20.98",
    "short_term_trade_letter_of_credit": "CRE20.99",
    "unconditionally_cancellable_commitment": "CRE20.100",
}


def ccf_citations(frame: pd.DataFrame, params: Mapping[str, Any]) -> list[Note]:
    """The CCF paragraphs of the lines with an off-balance amount (methodology 2.9, C.45).

    The paragraph of the item whose CCF converts the amount, with that CCF, and ``CRE20.101`` where
    a commitment takes the lower CCF of the item it provides. Decided once per pair of item types
    (a small table), then read at each line's pair of codes.
    """
    ccf = params["sa"]["ccf"]
    types = [str(c) for c in frame["off_balance_type"].cat.categories]
    provided = [str(c) for c in frame["underlying_off_balance_type"].cat.categories]
    texts = tuple(
        f"{CCF_RULES[t]} (CCF {round(ccf[t] * 100, 6):g}%)" if t in CCF_RULES else "" for t in types
    )
    cited = np.zeros((len(types) + 1, len(provided) + 1), dtype=np.int8)  # last row/column: code -1
    lower = np.zeros_like(cited)
    for a, own in enumerate(types):
        for b, other in enumerate(provided):
            takes_other = other != "none" and other in ccf and own in ccf and ccf[other] < ccf[own]
            source = other if takes_other else own
            cited[a, b] = types.index(source) + 1 if source in CCF_RULES and source in types else 0
            lower[a, b] = takes_other
    pair = (
        frame["off_balance_type"].cat.codes.to_numpy().astype(np.intp),
        frame["underlying_off_balance_type"].cat.codes.to_numpy().astype(np.intp),
    )
    converted = frame["off_balance_amount"].to_numpy() > 0
    return [
        (np.where(converted, cited[pair], 0), texts),
        (np.where(converted, lower[pair], 0), ("CRE20.101 (the lower of two CCFs)",)),
    ]


def short_term(frame: pd.DataFrame, params: Mapping[str, Any]) -> np.ndarray:
    """Short-term bank exposure (methodology C.4 and C.2): original maturity <= 3m, trade items <= 6m."""
    original = frame["original_maturity"].to_numpy()
    trade = is_in(frame, "off_balance_type", "short_term_trade_letter_of_credit")
    limit = np.where(trade, params["sa"]["short_term_trade_maturity"], params["sa"]["short_term_maturity"])
    return original <= limit  # NaN (no maturity) compares False: not short-term


def bank_risk_weight(frame: pd.DataFrame, params: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """RW of an exposure to a bank: ECRA when rated (Table 6), SCRA otherwise (Table 7).

    Returns the risk weights and an integer code per row: 0 ECRA, 1 ECRA short-term, 2 SCRA,
    3 SCRA 30% concession, 4 SCRA short-term, 5 SCRA at the sovereign floor.
    """
    sa = params["sa"]
    bucket = rating_bucket(frame)
    is_short = short_term(frame, params)
    rated = bucket < 6
    rw = np.where(is_short, _table(sa, "bank_ecra_short_term")[bucket], _table(sa, "bank_ecra")[bucket])
    code = np.where(is_short, 1, 0)
    base = lookup(frame, "scra_grade", sa["scra"]).astype(float)
    short = lookup(frame, "scra_grade", sa["scra_short_term"]).astype(float)
    concession = (
        is_in(frame, "scra_grade", "A")
        & ~is_short
        & (frame["counterparty_cet1_ratio"].to_numpy() >= sa["scra_concession_cet1_ratio"])
        & (frame["counterparty_leverage_ratio"].to_numpy() >= sa["scra_concession_leverage_ratio"])
    )
    scra = np.where(is_short, short, np.where(concession, sa["scra"]["A_concession"], base))
    rw = np.where(rated, rw, scra)
    code = np.where(rated, code, np.where(is_short, 4, np.where(concession, 3, 2)))
    # CRE20.32: under SCRA, not below the RW of the sovereign of incorporation when the exposure is
    # not in its local currency (short-term self-liquidating trade items excepted).
    sovereign = _table(sa, "sovereign")
    ratings = sa["sovereign_rating"]
    unknown = sorted(
        {r for r in ratings.values() if r.strip().upper() not in {k.upper() for k in RATING_BUCKETS}}
    )
    if unknown:
        raise InputError(
            "parameters['sa']['sovereign_rating']", f"unknown ratings {unknown}", allowed=list(RATING_BUCKETS)
        )
    upper = {k.upper(): BUCKETS.index(b) for k, b in RATING_BUCKETS.items()}
    sovereign_rw = lookup(
        frame, "country", {c: sovereign[upper[r.strip().upper()]] for c, r in ratings.items()}
    )
    local = lookup(frame, "country", sa["local_currency"], "").astype(str)
    foreign = (local != "") & (labels(frame, "currency") != local)
    trade = is_short & is_in(frame, "off_balance_type", "short_term_trade_letter_of_credit")
    floored = ~rated & foreign & ~trade & (sovereign_rw.astype(float) > rw)
    rw = np.where(floored, sovereign_rw.astype(float), rw)
    code = np.where(floored, 5, code)
    return rw, code


BANK_RULES = ("CRE20.18", "CRE20.19", "CRE20.21", "CRE20.22", "CRE20.31", "CRE20.32")


def counterparty_risk_weight(frame: pd.DataFrame, params: Mapping[str, Any], argument: str) -> np.ndarray:
    """ "RW of the counterparty" (CRE20.89(1), methodology C.7) from ``counterparty_type`` and rating.

    Individuals 75%, SMEs 85%; sovereigns, PSEs, MDBs, banks and corporates as an unsecured
    exposure to them under their own SA table. Any other counterparty type is an error naming
    ``argument`` (what needed the weight).
    """
    sa = params["sa"]
    bucket = rating_bucket(frame)
    rw = np.full(len(frame), np.nan)
    rw[is_in(frame, "counterparty_type", "individual")] = sa["counterparty"]["individual"]
    rw[is_in(frame, "counterparty_type", "sme")] = sa["counterparty"]["sme"]
    for cp_type, table in (
        ("sovereign", "sovereign"),
        ("pse", "pse"),
        ("mdb", "mdb"),
        ("corporate", "corporate"),
    ):
        mask = is_in(frame, "counterparty_type", cp_type)
        rw[mask] = _table(sa, table)[bucket[mask]]
    banks = is_in(frame, "counterparty_type", "bank")
    if banks.any():
        _check_scra(frame, banks)
        rw[banks] = bank_risk_weight(frame.loc[banks], params)[0]
    fail(
        frame,
        np.isnan(rw) & ~banks,
        "counterparty_type",
        f"has no counterparty risk weight for {argument}",
        allowed=["individual", "sme", "corporate", "bank", "sovereign", "pse", "mdb"],
    )
    return rw


def _check_scra(frame: pd.DataFrame, banks: np.ndarray) -> None:
    unrated_without_grade = banks & (rating_bucket(frame) == 6) & is_in(frame, "scra_grade", "none")
    fail(
        frame,
        unrated_without_grade,
        "scra_grade",
        "is missing for unrated bank exposures (SCRA, CRE20.21)",
        allowed=["A", "B", "C"],
    )


class RiskWeightAssignment:
    """The risk weights and rule references of a credit frame, assigned class by class.

    A line keeps the last weight assigned to it; the order of the steps of
    :func:`standardised_risk_weights` also fixes the order of the rule labels.
    """

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self.rw = np.full(len(frame), np.nan)
        self.rules = Rules(len(frame))

    def cls(self, name: str) -> np.ndarray:
        """Lines of exposure class ``name``."""
        return is_in(self.frame, "exposure_class", name)

    def sub(self, *names: str) -> np.ndarray:
        """Lines of one of the sub-classes ``names``."""
        return is_in(self.frame, "sub_class", *names)

    def assign(self, mask: np.ndarray, values: float | np.ndarray, rule: str) -> None:
        """Give the lines in ``mask`` a weight (a number, or an array read at ``mask``) and a rule."""
        if mask.any():
            self.rw[mask] = values[mask] if isinstance(values, np.ndarray) else values
            self.rules.set(mask, rule)


def sovereign_pse_mdb_weights(t: RiskWeightAssignment, sa: Mapping[str, Any], bucket: np.ndarray) -> None:
    """Sovereigns, PSEs and MDBs by rating (CRE20.7-20.15)."""
    t.assign(t.cls("sovereign") & t.sub("general"), _table(sa, "sovereign")[bucket], "CRE20.7")
    t.assign(t.cls("sovereign") & t.sub("international_organisation"), sa["zero_weight"], "CRE20.10")
    t.assign(t.cls("pse"), _table(sa, "pse")[bucket], "CRE20.11")
    t.assign(t.cls("mdb") & t.sub("general"), _table(sa, "mdb")[bucket], "CRE20.15")
    t.assign(t.cls("mdb") & t.sub("eligible_mdb"), sa["zero_weight"], "CRE20.14")


def bank_weights(t: RiskWeightAssignment, params: Mapping[str, Any]) -> None:
    """Banks: ECRA if rated, SCRA otherwise (CRE20.16-32); see :func:`bank_risk_weight`."""
    banks = t.cls("bank")
    if not banks.any():
        return
    _check_scra(t.frame, banks)
    bank_rw, bank_code = bank_risk_weight(t.frame.loc[banks], params)
    n = len(t.frame)
    for code, rule in enumerate(BANK_RULES):
        mask = np.zeros(n, dtype=bool)
        mask[np.flatnonzero(banks)[bank_code == code]] = True
        full = np.full(n, np.nan)
        full[banks] = bank_rw
        t.assign(mask, full, rule)


def covered_bond_weights(t: RiskWeightAssignment, sa: Mapping[str, Any], bucket: np.ndarray) -> None:
    """Covered bonds: Table 8 by issue rating, Table 9 from the issuer's RW if unrated (CRE20.38)."""
    covered, rated = t.cls("covered_bond"), bucket < 6
    t.assign(covered & rated, _table(sa, "covered_bond")[bucket], "CRE20.38 Table 8")
    unrated_covered = covered & ~rated
    if not unrated_covered.any():
        return
    issuer = t.frame["issuer_risk_weight"].to_numpy()
    table = sa["covered_bond_unrated"]
    derived = np.full(len(t.frame), np.nan)
    for issuer_rw, covered_rw in zip(table["issuer_risk_weight"], table["risk_weight"], strict=True):
        derived[np.abs(issuer - issuer_rw) <= RELATIVE_TOLERANCE * issuer_rw] = covered_rw
    fail(
        t.frame,
        unrated_covered & np.isnan(derived),
        "issuer_risk_weight",
        "of an unrated covered bond must be one of the issuer risk weights of CRE20.38 Table 9",
        allowed=list(table["issuer_risk_weight"]),
    )
    t.assign(unrated_covered, derived, "CRE20.38 Table 9")


def corporate_weights(t: RiskWeightAssignment, params: Mapping[str, Any], bucket: np.ndarray) -> None:
    """Corporates (CRE20.42-47) and specialised lending (CRE20.50-52); an SME above EUR 50m is an error."""
    sa, rated = params["sa"], bucket < 6
    corporate = t.cls("corporate")
    fail(
        t.frame,
        corporate & t.sub("sme") & (t.frame["annual_sales"].to_numpy() > params["irb"]["sme_sales_upper"]),
        "annual_sales",
        "exceeds EUR 50m on a line flagged SME (methodology C.2)",
        allowed="<= 50,000,000 for sub_class 'sme'",
    )
    t.assign(corporate & rated, _table(sa, "corporate")[bucket], "CRE20.42")
    t.assign(corporate & ~rated & t.sub("general"), sa["corporate"]["unrated"], "CRE20.43")
    t.assign(corporate & ~rated & t.sub("sme"), sa["corporate_sme_unrated"], "CRE20.47")
    t.assign(corporate & ~rated & t.sub("investment_grade"), sa["corporate_investment_grade"], "CRE20.46")
    lending = t.cls("specialised_lending")
    t.assign(lending & rated, _table(sa, "corporate")[bucket], "CRE20.50")
    specialised = lookup(t.frame, "sub_class", sa["specialised_lending"]).astype(float)
    t.assign(lending & ~rated, specialised, "CRE20.51")


def retail_weights(t: RiskWeightAssignment, sa: Mapping[str, Any]) -> None:
    """Retail by sub-class (CRE20.63-68)."""
    t.assign(t.cls("retail"), lookup(t.frame, "sub_class", sa["retail"]).astype(float), "CRE20.63-68")


def real_estate_weights(t: RiskWeightAssignment, params: Mapping[str, Any]) -> None:
    """Real estate, whole-loan approach (CRE20.69-91): LTV bands, ADC, or the counterparty's RW."""
    sa, frame, cls, sub = params["sa"], t.frame, t.cls, t.sub
    ltv = frame["ltv"].to_numpy()
    residential, commercial = cls("residential_real_estate"), cls("commercial_real_estate")
    fail(
        frame,
        (residential | commercial) & sub("general", "income_producing") & np.isnan(ltv),
        "ltv",
        "is missing on regulatory real-estate lines (CRE20.82-87 risk-weight them by LTV band)",
        allowed="a loan-to-value ratio >= 0",
    )
    rre_band = ltv_band(ltv, sa["rre_ltv_upper"])
    t.assign(residential & sub("general"), np.array(sa["rre_general"])[rre_band], "CRE20.82")
    t.assign(
        residential & sub("income_producing"), np.array(sa["rre_income_producing"])[rre_band], "CRE20.84"
    )
    cre_band = ltv_band(ltv, sa["cre_ltv_upper"])
    t.assign(commercial & sub("income_producing"), np.array(sa["cre_income_producing"])[cre_band], "CRE20.87")
    t.assign((residential | commercial) & sub("adc"), sa["adc"], "CRE20.90")
    t.assign(residential & sub("adc_residential_qualifying"), sa["adc_residential_qualifying"], "CRE20.91")

    dependent = frame["cash_flow_dependent"].to_numpy()
    non_regulatory = (residential | commercial) & sub("non_regulatory")
    rre_split = residential & sub("general") & sa["rre_loan_splitting"]["applied"]
    needs_counterparty = (commercial & sub("general")) | (non_regulatory & ~dependent) | rre_split
    counterparty = np.full(len(frame), np.nan)
    if needs_counterparty.any():
        counterparty[needs_counterparty] = counterparty_risk_weight(
            frame.loc[needs_counterparty], params, "real estate risk-weighted as the counterparty"
        )
    low_ltv = cre_band == 0
    t.assign(
        commercial & sub("general") & low_ltv, np.minimum(sa["cre_general_cap"], counterparty), "CRE20.85"
    )
    t.assign(commercial & sub("general") & ~low_ltv, counterparty, "CRE20.85")
    t.assign(non_regulatory & dependent, sa["real_estate_other_dependent"], "CRE20.88")
    t.assign(non_regulatory & ~dependent, counterparty, "CRE20.89")
    loan_splitting(t, sa, ltv, counterparty, rre_split, commercial & sub("general"))


def loan_splitting(
    t: RiskWeightAssignment,
    sa: Mapping[str, Any],
    ltv: np.ndarray,
    counterparty: np.ndarray,
    residential: np.ndarray,
    commercial: np.ndarray,
) -> None:
    """Loan-splitting, where a parameter applies it (CRE20.83, CRE20.86; methodology 8.4, C.23).

    The share ``s = min(1, secured_share / LTV)`` of a general residential (commercial) line is the
    part up to 55% of the property value: it takes 20% (min(60%, RW of the counterparty)), the rest
    the RW of the counterparty; the line's risk weight is the blend.
    """
    rre, cre = sa["rre_loan_splitting"], sa["cre_loan_splitting"]
    for mask, split, secured_rw, rule in (
        (residential, rre, rre["risk_weight"], "CRE20.83"),
        (commercial, cre, np.minimum(cre["risk_weight_cap"], counterparty), "CRE20.86"),
    ):
        if split["applied"] and mask.any():
            positive = np.where(ltv > 0, ltv, 1.0)
            share = np.where(ltv > 0, np.minimum(1.0, split["secured_share"] / positive), 1.0)
            t.assign(mask, share * secured_rw + (1 - share) * counterparty, rule)


def ltv_band(ltv: np.ndarray, uppers: Sequence[float]) -> np.ndarray:
    """Index of each LTV's band; a band includes its upper bound (methodology C.6 and C.2)."""
    limits = np.array(uppers) * (1 + RELATIVE_TOLERANCE)
    return np.minimum(np.searchsorted(limits, np.nan_to_num(ltv), side="left"), len(uppers) - 1)


def defaulted_weights(t: RiskWeightAssignment, sa: Mapping[str, Any], gross: np.ndarray) -> None:
    """Defaulted (CRE20.104-108): provisions against the gross outstanding amount (methodology C.8)."""
    defaulted, rules = t.cls("defaulted"), sa["defaulted"]
    provisioned = t.frame["specific_provisions"].to_numpy() >= (
        rules["provision_threshold"] * (1 - RELATIVE_TOLERANCE) * gross
    )
    general = defaulted & t.sub("general")
    t.assign(
        defaulted & t.sub("residential_re_not_dependent"),
        rules["residential_re_not_dependent"],
        "CRE20.104-108",
    )
    t.assign(general & ~provisioned, rules["below_threshold"], "CRE20.104-108")
    t.assign(general & provisioned, rules["at_or_above_threshold"], "CRE20.104-108")


EQUITY_RULES = {
    "general": "CRE20.57",
    "listed": "CRE20.57",
    "speculative_unlisted": "CRE20.58",
    "legislated_programme": "CRE20.59",
    "significant_investment": "CRE20.61",
    "threshold_deduction_item": "CRE20.109",
}


def equity_and_other_weights(t: RiskWeightAssignment, sa: Mapping[str, Any]) -> None:
    """Equity, subordinated debt and other assets (CRE20.53-62, CRE20.109-110)."""
    for sub_class, rule in EQUITY_RULES.items():
        t.assign(t.cls("equity") & t.sub(sub_class), sa["equity"][sub_class], rule)
    t.assign(t.cls("subordinated_debt"), sa["subordinated_debt"], "CRE20.60")
    other = t.cls("other_assets")
    for sub_class in ("cash", "gold", "cash_items_in_collection"):
        t.assign(other & t.sub(sub_class), sa["other_assets"][sub_class], "CRE20.109")
    t.assign(other & t.sub("other"), sa["other_assets"]["other"], "CRE20.110")


def currency_mismatch(t: RiskWeightAssignment, sa: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """The risk weights after the currency-mismatch multiplier, and the lines it applies to.

    CRE20.92-93, methodology C.2: retail and residential real estate to individuals with an
    unhedged mismatch, income-producing included; never ADC or other (non-regulatory) real estate.
    """
    mismatch = (
        (t.cls("retail") | (t.cls("residential_real_estate") & t.sub("general", "income_producing")))
        & is_in(t.frame, "counterparty_type", "individual")
        & t.frame["currency_mismatch_unhedged"].to_numpy()
    )
    rw = np.where(
        mismatch, np.minimum(t.rw * sa["currency_mismatch_multiplier"], sa["currency_mismatch_cap"]), t.rw
    )
    return rw, mismatch


def standardised_risk_weights(
    frame: pd.DataFrame, gross: np.ndarray, params: Mapping[str, Any], notes: Sequence[Note] = ()
) -> tuple[np.ndarray, pd.Categorical, np.ndarray]:
    """SA risk weight, rule reference and currency-mismatch flag of every credit line.

    ``frame`` holds only credit lines (assets and off-balance items with an exposure class);
    ``gross`` is each line's drawn + CCF x off-balance amount (for the defaulted provision test).
    The steps follow CRE20 (methodology 2.2-2.11): each exposure class, then the currency mismatch.
    The rule is the paragraph of the weight, then the currency mismatch where it changed the
    weight, then ``notes`` (the CCF of the exposure, :func:`ccf_citations`; methodology C.45).
    """
    sa = params["sa"]
    bucket = rating_bucket(frame)
    _check_sub_classes(frame)
    t = RiskWeightAssignment(frame)
    sovereign_pse_mdb_weights(t, sa, bucket)  # CRE20.7-20.15
    bank_weights(t, params)  # CRE20.16-32
    covered_bond_weights(t, sa, bucket)  # CRE20.38
    corporate_weights(t, params, bucket)  # CRE20.42-52
    retail_weights(t, sa)  # CRE20.63-68
    real_estate_weights(t, params)  # CRE20.69-91
    defaulted_weights(t, sa, gross)  # CRE20.104-108
    equity_and_other_weights(t, sa)  # CRE20.53-62, CRE20.109-110
    rw, mismatch = currency_mismatch(t, sa)  # CRE20.92-93
    multiplied = flag(
        mismatch & (rw != t.rw), f"CRE20.92-93 (currency mismatch x{sa['currency_mismatch_multiplier']:g})"
    )
    return rw, cite(t.rules.categorical(), [multiplied, *notes]), mismatch


def _check_sub_classes(frame: pd.DataFrame) -> None:
    for exposure_class, allowed in SUB_CLASSES_BY_EXPOSURE_CLASS.items():
        mask = is_in(frame, "exposure_class", exposure_class) & ~is_in(frame, "sub_class", *allowed)
        fail(
            frame,
            mask,
            "sub_class",
            f"is not a sub-class of exposure class {exposure_class!r}",
            allowed=allowed,
        )
