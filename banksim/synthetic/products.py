"""The descriptive columns of the synthetic bank, product by product (ratings, PD/LGD, HQLA, deposits, ...).

Each function fills some columns of the rows of some products with vectorised draws; the order of
the draws is part of the result (the same seed gives the same bank).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from banksim.positions.vocabulary import (
    COUNTRIES,
    CURRENCIES,
    DEPOSIT_CLASSES,
    EXPOSURE_CLASSES,
    IRB_CLASSES,
    LCR_COUNTERPARTIES,
    PROJECT_FINANCE_SUB_CLASSES,
    RATINGS,
    SCRA_GRADES,
    SUB_CLASSES,
    UNDERLYING_OFF_BALANCE_TYPES,
)
from banksim.synthetic.profiles import (
    BASE_PD,
    IRB_CLASS_OF_PRODUCT,
    LOANS,
    OFF_BALANCE_OF,
    PRODUCT_ATTRIBUTES,
    PRODUCT_SIDE,
    RATING_GRADES,
    WHOLESALE,
)
from banksim.synthetic.table import Columns, Picker

__all__ = ["RATING_CODE", "describe_products", "draw_ratings", "flag_infrastructure"]

ISSUED_ITEMS = tuple(t for t in UNDERLYING_OFF_BALANCE_TYPES if t != "none")  # what a commitment issues
RATING_CODE = {rating: code for code, rating in enumerate(RATINGS)}
GRADE_OF_CODE = np.array(
    [next((g for g, notches in RATING_GRADES.items() if r in notches), "D") for r in RATINGS], dtype=object
)
PD_OF_CODE = np.array([BASE_PD.get(g, 1.0) for g in GRADE_OF_CODE])


def draw_ratings(
    rng: np.random.Generator, n: int, weights: Mapping[str, float], sovereign: bool
) -> np.ndarray:
    """Rating codes drawn by grade, then a notch of that grade (+, flat, -; CCC+ to C) uniformly."""
    if sovereign:  # the bank's bonds and reserves are mostly on its own, highly rated sovereign
        weights = {"AAA": 0.55, "AA": 0.3, "A": 0.1, "BBB": 0.05}
    grades = [g for g, w in weights.items() if w > 0]
    p = np.array([weights[g] for g in grades], dtype=float)
    grade = rng.choice(len(grades), size=n, p=p / p.sum())
    counts = np.array([len(RATING_GRADES[g]) for g in grades])
    notch = (rng.random(n) * counts[grade]).astype(np.int64)
    width = int(counts.max())
    table = np.array(
        [[RATING_CODE[r] for r in (RATING_GRADES[g] * width)[:width]] for g in grades], dtype=np.int16
    )
    return table[grade, notch]


def describe_products(
    cols: Columns, blocks: dict[str, np.ndarray], rng: np.random.Generator, cfg: dict[str, Any]
) -> None:
    """Fill every descriptive column, one vectorised pass per product (``blocks``: its rows)."""
    n_rows = cols.rows
    foreign = rng.random(n_rows) < cfg["foreign_currency_share"]
    others = np.array([i for i, c in enumerate(CURRENCIES) if c != cfg["currency"]])
    currency = np.where(
        foreign, others[rng.integers(0, len(others), n_rows)], CURRENCIES.index(cfg["currency"])
    )
    home = COUNTRIES.index({"EUR": "DE", "USD": "US", "GBP": "GB", "CHF": "CH", "JPY": "JP"}[cfg["currency"]])
    abroad = rng.integers(0, len(COUNTRIES), n_rows)
    country = np.where(rng.random(n_rows) < 0.8, home, abroad)
    cols.set(slice(None), currency=currency, country=country)

    for product, (exposure_class, sub_class, cp_type, lcr_cp, maturity, lgd) in PRODUCT_ATTRIBUTES.items():
        mask = blocks.get(product, np.zeros(0, dtype=np.int64))
        n = len(mask)
        if n == 0:
            continue
        cols.set(
            mask,
            exposure_class=exposure_class,
            sub_class=sub_class,
            counterparty_type=cp_type,
            lcr_counterparty=lcr_cp,
        )
        if product in OFF_BALANCE_OF:
            cols.set(mask, off_balance_type=OFF_BALANCE_OF[product])
        if maturity is not None:
            residual = rng.uniform(*maturity, n)
            cols.set(
                mask, residual_maturity=residual, original_maturity=residual + rng.uniform(0, maturity[1], n)
            )
        if PRODUCT_SIDE[product] in ("asset", "off_balance") and product not in ("cash", "other_asset"):
            if product in WHOLESALE or product in ("central_bank_reserves", "equity_holding"):
                ratings = draw_ratings(
                    rng,
                    n,
                    cfg["rating_distribution"],
                    sovereign=product in ("government_bond", "central_bank_reserves"),
                )
            else:
                ratings = np.full(n, RATING_CODE["unrated"], dtype=np.int16)
            base_pd = PD_OF_CODE[ratings]
            if product in ("retail_loan", "credit_card", "residential_mortgage", "sme_loan"):
                base_pd = np.full(n, {"residential_mortgage": 0.008, "sme_loan": 0.02}.get(product, 0.025))
            pd_values = np.clip(base_pd * rng.lognormal(0, 0.5, n), 0.0003, 0.5)
            lgd_values = np.clip(lgd + rng.normal(0, 0.05, n), 0.05, 1.0) if lgd else np.zeros(n)
            irb = (rng.random(n) < cfg["irb_share"]) & (product in IRB_CLASS_OF_PRODUCT)
            approach = np.where(
                irb, "firb" if product in ("interbank_loan", "reverse_repo") else "airb", "sa"
            )
            cols.set(mask, rating=ratings, pd=pd_values, lgd=lgd_values, approach=approach, performing=True)
            cols.set(mask[irb], irb_class=IRB_CLASS_OF_PRODUCT.get(product, "none"))
        if product in LOANS:
            defaulted = rng.random(n) < cfg["default_rate"]
            drawn = cols.data["drawn_amount"][mask]
            provisions = np.where(defaulted, drawn * rng.uniform(0.05, 0.6, n), 0.0).round(2)
            cols.set(mask, specific_provisions=provisions, is_defaulted=defaulted, performing=~defaulted)

    _product_specifics(cols, blocks, rng)
    _long_tail(cols, blocks, rng)
    _defaulted(cols, blocks)


def flag_infrastructure(cols: Columns, blocks: dict[str, np.ndarray], rng: np.random.Generator) -> None:
    """Half of the performing operational project finance qualifies as infrastructure (EU Art. 501a).

    Called last, with a generator of its own, so that the other columns stay as they were drawn.
    """
    rows = blocks.get("specialised_lending", np.zeros(0, dtype=np.int64))
    operational = [
        SUB_CLASSES.index(s) for s in PROJECT_FINANCE_SUB_CLASSES if s != "project_finance_pre_operational"
    ]
    rows = rows[
        np.isin(cols.data["sub_class"][rows], operational)
        & (cols.data["exposure_class"][rows] == EXPOSURE_CLASSES.index("specialised_lending"))
    ]
    cols.set(rows[rng.random(len(rows)) < 0.5], qualifying_infrastructure=True)


def _long_tail(cols: Columns, blocks: dict[str, np.ndarray], rng: np.random.Generator) -> None:
    """Small shares of the rarer classes, so that every value of the schema occurs in a large bank."""

    def share(product: str, fraction: float, exclude: np.ndarray | None = None) -> np.ndarray:
        rows = blocks.get(product, np.zeros(0, dtype=np.int64))
        if exclude is not None:
            rows = rows[~np.isin(rows, exclude)]
        return rows[rng.random(len(rows)) < fraction]

    def set_irb_class(rows: np.ndarray, irb_class: str) -> None:
        cols.set(rows[cols.data["irb_class"][rows] != IRB_CLASSES.index("none")], irb_class=irb_class)

    # Public sector: PSEs, MDBs (some on the 0% list, then Level 1) and international organisations.
    pse = share("government_bond", 0.05)
    cols.set(pse, exposure_class="pse", counterparty_type="pse", lcr_counterparty="pse")
    mdb = share("government_bond", 0.04, exclude=pse)
    eligible = mdb[rng.random(len(mdb)) < 0.5]
    cols.set(mdb, exposure_class="mdb", counterparty_type="mdb", lcr_counterparty="mdb")
    cols.set(eligible, sub_class="eligible_mdb", hqla_level="1", hqla_asset_type="sovereign")
    organisation = share("government_bond", 0.02, exclude=np.concatenate([pse, mdb]))
    cols.set(
        organisation, sub_class="international_organisation", hqla_level="1", hqla_asset_type="sovereign"
    )

    # Corporates: subordinated debt, RMBS held as Level 2B (risk-weighted as corporate bonds), and
    # unrated investment-grade corporates of a non-ECAI jurisdiction (CRE20.46).
    subordinated = share("corporate_bond", 0.05)
    cols.set(subordinated, exposure_class="subordinated_debt", sub_class="general", hqla_level="none",
             hqla_asset_type="none")  # fmt: skip
    rmbs = share("corporate_bond", 0.03, exclude=subordinated)
    cols.set(rmbs, rating="AA", hqla_level="2B", hqla_asset_type="rmbs")
    loans = blocks.get("corporate_loan", np.zeros(0, dtype=np.int64))
    unrated = loans[cols.data["rating"][loans] == RATING_CODE["unrated"]]
    cols.set(unrated[rng.random(len(unrated)) < 0.05], sub_class="investment_grade")

    # Equity and other assets (CRE20.57-62, CRE20.109).
    unlisted = blocks.get("equity_holding", np.zeros(0, dtype=np.int64))
    unlisted = unlisted[cols.data["sub_class"][unlisted] == SUB_CLASSES.index("speculative_unlisted")]
    kind = rng.random(len(unlisted))
    cols.set(unlisted[kind < 0.15], sub_class="legislated_programme")
    cols.set(unlisted[(kind >= 0.15) & (kind < 0.25)], sub_class="significant_investment")
    cols.set(unlisted[(kind >= 0.25) & (kind < 0.40)], sub_class="threshold_deduction_item")
    other = blocks.get("other_asset", np.zeros(0, dtype=np.int64))
    kind = rng.random(len(other))
    cols.set(other[kind < 0.15], sub_class="gold")
    cols.set(other[(kind >= 0.15) & (kind < 0.35)], sub_class="cash_items_in_collection")

    # Real estate: land acquisition, development and construction, and non-regulatory loans.
    for product, adc_share in (("residential_mortgage", 0.02), ("commercial_real_estate_loan", 0.05)):
        adc = share(product, adc_share)
        developer = {"counterparty_type": "corporate", "lcr_counterparty": "non_financial_corporate"}
        cols.set(adc, sub_class="adc", currency_mismatch_unhedged=False, **developer)
        set_irb_class(adc, "corporate")
        other_re = share(product, 0.03, exclude=adc)
        cols.set(other_re, sub_class="non_regulatory")
    qualifying = share(
        "residential_mortgage",
        0.01,
        exclude=np.flatnonzero(cols.data["sub_class"] != SUB_CLASSES.index("general")),
    )
    cols.set(qualifying, sub_class="adc_residential_qualifying", counterparty_type="corporate",
             lcr_counterparty="non_financial_corporate", currency_mismatch_unhedged=False)  # fmt: skip
    set_irb_class(qualifying, "corporate")

    # Off-balance items of the rarer CCF types (CRE20.94-101) and the rarer deposit classes (LCR40).
    nif_ruf = share("committed_credit_facility", 0.05)
    cols.set(nif_ruf, off_balance_type="nif_ruf")
    for product in ("committed_credit_facility", "credit_card"):  # commitments to issue other items
        rows = share(product, 0.05, exclude=nif_ruf)
        underlying = np.array(ISSUED_ITEMS)[rng.integers(0, len(ISSUED_ITEMS), len(rows))]
        cols.set(rows, underlying_off_balance_type=underlying)
    guarantees = blocks.get("guarantee", np.zeros(0, dtype=np.int64))
    kind = rng.random(len(guarantees))
    cols.set(guarantees[kind < 0.05], off_balance_type="repo_or_asset_sale_with_recourse")
    cols.set(guarantees[(kind >= 0.05) & (kind < 0.10)], off_balance_type="securities_lending")
    cols.set(guarantees[(kind >= 0.10) & (kind < 0.15)], off_balance_type="forward_asset_purchase")
    deposits = blocks.get("retail_deposit", np.zeros(0, dtype=np.int64))
    stable = deposits[cols.data["deposit_class"][deposits] == DEPOSIT_CLASSES.index("stable")]
    cols.set(stable[rng.random(len(stable)) < 0.2], deposit_class="stable_enhanced")
    funding = blocks.get("wholesale_funding", np.zeros(0, dtype=np.int64))
    banks = funding[cols.data["lcr_counterparty"][funding] == LCR_COUNTERPARTIES.index("bank")]
    cols.set(banks[rng.random(len(banks)) < 0.1], deposit_class="cooperative_network")


def _defaulted(cols: Columns, blocks: dict[str, np.ndarray]) -> None:
    """Defaulted loans leave their class for 'defaulted' (CRE20.104); IRB keeps its asset class."""
    mortgages = blocks.get("residential_mortgage", np.zeros(0, dtype=np.int64))
    not_dependent = np.zeros(cols.rows, dtype=bool)
    not_dependent[mortgages] = ~cols.data["cash_flow_dependent"][mortgages] & (
        cols.data["sub_class"][mortgages] == SUB_CLASSES.index("general")
    )
    defaulted = np.flatnonzero(cols.data["is_defaulted"])
    exposure = cols.data["drawn_amount"][defaulted] + cols.data["off_balance_amount"][defaulted]
    cols.set(
        defaulted,
        pd=1.0,
        rating="D",
        exposure_class="defaulted",
        sub_class=np.where(not_dependent[defaulted], "residential_re_not_dependent", "general"),
        elbe=np.minimum(cols.data["specific_provisions"][defaulted] / np.maximum(exposure, 1.0), 1.0),
    )


def _product_specifics(cols: Columns, blocks: dict[str, np.ndarray], rng: np.random.Generator) -> None:
    """Product-specific columns, one group of rules at a time (the order of the draws is fixed)."""
    for describe in (_securities, _real_estate_and_retail, _banks, _funding):
        describe(cols, _Rows(blocks), Picker(rng), rng)


class _Rows:
    """The rows of a product (empty when the bank holds none)."""

    def __init__(self, blocks: dict[str, np.ndarray]) -> None:
        self.blocks = blocks

    def __call__(self, product: str) -> np.ndarray:
        return self.blocks.get(product, np.zeros(0, dtype=np.int64))


def _securities(cols: Columns, rows: _Rows, pick: Picker, rng: np.random.Generator) -> None:
    """HQLA level, asset type and encumbrance of securities, cash and reserves (LCR30-31, NSF 7.2)."""
    # HQLA and encumbrance of securities and reserves (LCR30-31, NSF 7.2).
    cols.set(rows("cash"), hqla_level="1", hqla_asset_type="cash")
    cols.set(rows("central_bank_reserves"), hqla_level="1", hqla_asset_type="central_bank_reserves")
    for product, asset_type in (
        ("government_bond", "sovereign"),
        ("covered_bond", "covered_bond"),
        ("corporate_bond", "corporate_bond"),
    ):
        r = rows(product)
        grade = GRADE_OF_CODE[cols.data["rating"][r]]
        top, single_a, bbb = np.isin(grade, ("AAA", "AA")), grade == "A", grade == "BBB"
        if asset_type == "sovereign":
            level = np.where(top, "1", np.where(single_a, "2A", "none"))
        elif asset_type == "covered_bond":
            level = np.where(top, "2A", "none")
        else:
            level = np.where(top, "2A", np.where(single_a | bbb, "2B", "none"))
        cols.set(r, hqla_level=level, hqla_asset_type=np.where(level == "none", "none", asset_type))
    r = rows("equity_holding")
    listed = rng.random(len(r)) < 0.7
    cols.set(
        r,
        hqla_level=np.where(listed, "2B", "none"),
        hqla_asset_type=np.where(listed, "equity", "none"),
        sub_class=np.where(listed, "listed", "speculative_unlisted"),
    )
    for product in ("government_bond", "covered_bond", "corporate_bond"):
        r = rows(product)
        cols.set(
            r,
            encumbrance_bucket=pick(
                len(r), ("unencumbered", "lt_6m", "6m_to_1y", "ge_1y"), (0.85, 0.07, 0.04, 0.04)
            ),
        )


def _real_estate_and_retail(cols: Columns, rows: _Rows, pick: Picker, rng: np.random.Generator) -> None:
    """Real-estate, retail and corporate details: LTV, sub-classes, sales (CRE20.63-91)."""
    # Real estate and retail details (CRE20.69-91, CRE20.63-68).
    r = rows("residential_mortgage")
    cols.set(
        r,
        ltv=np.clip(rng.beta(5, 3, len(r)) * 1.2, 0.05, 1.3),
        cash_flow_dependent=rng.random(len(r)) < 0.08,
        currency_mismatch_unhedged=rng.random(len(r)) < 0.02,
    )
    cols.set(r[cols.data["cash_flow_dependent"][r]], sub_class="income_producing")
    r = rows("commercial_real_estate_loan")
    dependent = rng.random(len(r)) < 0.4
    cols.set(
        r,
        ltv=np.clip(rng.beta(4, 4, len(r)) * 1.1, 0.05, 1.2),
        cash_flow_dependent=dependent,
        sub_class=np.where(dependent, "income_producing", "general"),
    )
    r = rows("credit_card")
    cols.set(
        r,
        off_balance_amount=(cols.data["drawn_amount"][r] * rng.uniform(0.5, 2.0, len(r))).round(2),
        sub_class=np.where(rng.random(len(r)) < 0.4, "regulatory_retail_transactor", "regulatory_retail"),
    )
    transactor = r[(cols.data["sub_class"][r] == SUB_CLASSES.index("regulatory_retail_transactor"))]
    cols.set(
        transactor[cols.data["irb_class"][transactor] != IRB_CLASSES.index("none")],
        irb_class="qrre_transactor",
    )
    r = rows("retail_loan")
    cols.set(
        r,
        sub_class=np.where(rng.random(len(r)) < 0.9, "regulatory_retail", "other_retail"),
        currency_mismatch_unhedged=rng.random(len(r)) < 0.02,
    )
    r = rows("sme_loan")
    cols.set(r, annual_sales=rng.uniform(2e6, 50e6, len(r)).round(0))
    for product in ("corporate_loan", "committed_credit_facility", "guarantee", "performance_bond"):
        r = rows(product)
        cols.set(r, annual_sales=rng.lognormal(np.log(400e6), 1.0, len(r)).round(0))
    r = rows("specialised_lending")
    cols.set(
        r,
        sub_class=pick(
            len(r),
            (
                "project_finance_operational",
                "project_finance_pre_operational",
                "project_finance_high_quality_operational",
                "object_finance",
                "commodities_finance",
            ),
            (0.4, 0.15, 0.15, 0.2, 0.1),
        ),
    )


def _banks(cols: Columns, rows: _Rows, pick: Picker, rng: np.random.Generator) -> None:
    """Unrated banks: SCRA grade and ratios; unrated covered bonds: the issuer's risk weight (CRE20.21-38)."""
    # Banks: SCRA grade and ratios for the unrated ones (CRE20.21-32).
    for product in ("interbank_loan", "reverse_repo", "covered_bond", "trade_letter_of_credit", "derivative"):
        r = rows(product)
        unrated = r[cols.data["rating"][r] == RATING_CODE["unrated"]]
        cols.set(unrated, scra_grade=pick(len(unrated), ("A", "B", "C"), (0.75, 0.2, 0.05)))
        cols.set(
            r,
            counterparty_cet1_ratio=rng.uniform(0.09, 0.18, len(r)).round(4),
            counterparty_leverage_ratio=rng.uniform(0.035, 0.07, len(r)).round(4),
        )
    cols.set(rows("interbank_loan"), large_financial_institution=True)
    r = rows("covered_bond")  # an unrated covered bond takes its RW from the issuer's (CRE20.38 Table 9)
    unrated = r[cols.data["rating"][r] == RATING_CODE["unrated"]]
    grade = np.array(SCRA_GRADES)[cols.data["scra_grade"][unrated]]
    strong = (cols.data["counterparty_cet1_ratio"][unrated] >= 0.14) & (
        cols.data["counterparty_leverage_ratio"][unrated] >= 0.05
    )
    issuer = np.select([grade == "A", grade == "B"], [np.where(strong, 0.30, 0.40), 0.75], default=1.50)
    cols.set(unrated, issuer_risk_weight=issuer)


def _funding(cols: Columns, rows: _Rows, pick: Picker, rng: np.random.Generator) -> None:
    """Deposit classes, secured funding and lending, facilities and Tier 2 (LCR40, NSF30)."""
    # Funding: deposits, secured funding and lending (LCR40, NSF30).
    r = rows("retail_deposit")
    stable = rng.random(len(r)) < 0.6
    term = rng.random(len(r)) < 0.15
    cols.set(
        r,
        deposit_class=np.where(stable, "stable", "less_stable"),
        deposit_insured=stable | (rng.random(len(r)) < 0.5),
        residual_maturity=np.where(term, rng.uniform(0.1, 3.0, len(r)), np.nan),
        withdrawal_penalty=term & (rng.random(len(r)) < 0.8),
    )
    r = rows("sme_deposit")
    cols.set(
        r,
        deposit_class=np.where(rng.random(len(r)) < 0.5, "stable", "less_stable"),
        deposit_insured=rng.random(len(r)) < 0.6,
    )
    r = rows("operational_deposit")
    cols.set(r, deposit_class="operational", deposit_insured=rng.random(len(r)) < 0.1)
    r = rows("corporate_deposit")  # mostly sight deposits; the rest term deposits of up to 2 years
    cols.set(r[rng.random(len(r)) < 0.7], residual_maturity=np.nan, original_maturity=np.nan)
    cols.set(r, deposit_class="non_operational")
    r = rows("wholesale_funding")
    cols.set(
        r,
        deposit_class="non_operational",
        lcr_counterparty=pick(len(r), ("bank", "financial_institution"), (0.6, 0.4)),
    )
    for product in ("repo", "reverse_repo"):
        r = rows(product)
        cols.set(
            r,
            collateral_level=pick(
                len(r),
                ("1", "2A", "2B_rmbs", "2B", "domestic_sovereign_non_l1_l2a", "other"),
                (0.65, 0.15, 0.03, 0.05, 0.02, 0.1),
            ),
        )
    cols.set(rows("committed_credit_facility"), facility_type="credit")
    cols.set(rows("committed_liquidity_facility"), facility_type="liquidity")
    r = rows("tier2_instrument")
    cols.set(r, residual_maturity=7.5, original_maturity=10.0)
