"""The positions columns: one ``ColumnSpec`` per column (meaning, dtype, unit, allowed values, default).

``POSITIONS_SCHEMA`` is the contract every metric reads; ``schema_table`` and ``schema_markdown``
show it (``docs/positions_schema.md`` is generated from it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from banksim.positions.vocabulary import (
    AMORTISATION_TYPES,
    APPROACHES,
    COLLATERAL_LEVELS,
    COUNTERPARTY_TYPES,
    COUNTRIES,
    CRM_TRANSACTION_TYPES,
    CURRENCIES,
    DEPOSIT_CLASSES,
    ENCUMBRANCE_BUCKETS,
    EXPOSURE_CLASSES,
    FACILITY_TYPES,
    HQLA_ASSET_TYPES,
    HQLA_LEVELS,
    IRB_CLASSES,
    LCR_COUNTERPARTIES,
    NMD_CATEGORIES,
    OFF_BALANCE_TYPES,
    OPTION_POSITIONS,
    OPTION_TYPES,
    POSITION_REPRICING_TYPES,
    PRODUCTS,
    RATINGS,
    SACCR_ASSET_CLASSES,
    SACCR_SUB_CLASSES,
    SCRA_GRADES,
    SIDES,
    SUB_CLASSES,
    TRADE_DIRECTIONS,
    UNDERLYING_OFF_BALANCE_TYPES,
)

__all__ = [
    "POSITIONS_SCHEMA",
    "REQUIRED_COLUMNS",
    "SCHEMA_BY_NAME",
    "ColumnSpec",
    "schema_markdown",
    "schema_table",
]


@dataclass(frozen=True)
class ColumnSpec:
    """One column of the positions table.

    ``allowed`` lists the values of a categorical column, and ``pattern`` (a regular expression)
    admits further values after them (new country and currency codes, methodology 8.5);
    ``minimum``/``maximum`` bound a numeric one; ``default`` fills an optional column a user's
    table does not have.
    """

    name: str
    dtype: str  # "category" (allowed values), "label" (free categorical), "float64", "bool", "str"
    description: str
    unit: str = ""
    allowed: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    required: bool = False
    default: Any = None
    pattern: str | None = None


def _cat(
    name: str, allowed: tuple[str, ...], description: str, default: str = "none", **kw: Any
) -> ColumnSpec:
    return ColumnSpec(name, "category", description, allowed=allowed, default=default, **kw)


def _num(name: str, description: str, unit: str, default: float = 0.0, **kw: Any) -> ColumnSpec:
    return ColumnSpec(name, "float64", description, unit=unit, default=default, **kw)


def _flag(name: str, description: str) -> ColumnSpec:
    return ColumnSpec(name, "bool", description, default=False)


# IFRS 9 impairment and IRRBB inputs (methodology 12.9, 13.10): a missing column takes its default,
# which keeps a table without them valid and says what is assumed.
CREDIT_QUALITY_AND_REPRICING: tuple[ColumnSpec, ...] = (
    _num("days_past_due", "Days past due at the reporting date (whole days; IFRS 9 staging).", "days",
         minimum=0.0),
    _flag("forborne", "Forborne exposure (IFRS 9 stage 2 trigger, methodology C.36)."),
    _flag("watchlist", "On the watchlist (IFRS 9 stage 2 trigger, methodology C.36)."),
    _num("pd_at_origination", "One-year PD at initial recognition; NaN takes the current pd (no PD "
         "deterioration).", "decimal", default=np.nan, minimum=0.0, maximum=1.0),
    _num("eir", "Effective interest rate (ECL discounting); NaN takes interest_rate, else 0.", "decimal",
         default=np.nan, minimum=0.0),
    _num("ecl_ccf", "Expected drawdown of the undrawn amount for ECL (IFRS 9 B5.5.31); NaN takes the "
         "ECL parameter undrawn_drawdown.", "decimal", default=np.nan, minimum=0.0, maximum=1.0),
    _cat("amortisation_type", AMORTISATION_TYPES, "Repayment profile (ECL EAD; IRRBB fixed-rate flows).",
         default="bullet"),
    _cat("repricing_type", POSITION_REPRICING_TYPES, "IRRBB repricing behaviour; 'auto' derives it from "
         "side, product and maturity (methodology 13.10).", default="auto"),
    _num("interest_rate", "Contractual coupon (floaters: current all-in rate); NaN takes the base curve "
         "at the residual maturity.", "decimal", default=np.nan),
    _num("payment_frequency", "Coupon and reset frequency; NaN is annual.", "per year", default=np.nan,
         minimum=0.0),
    _num("next_reset", "Floaters: next repricing date; NaN takes the first date of the coupon grid "
         "ending at the residual maturity.", "years", default=np.nan, minimum=0.0),
    _num("floating_spread", "Floaters: spread over the index that does not reprice.", "decimal"),
    _cat("nmd_category", NMD_CATEGORIES, "Behavioural category of a non-maturity deposit (SRP31.104); "
         "'none' on an NMD derives it from the product (methodology 13.10)."),
    _num("nmd_core_share", "Bank estimate of the NMD core share; NaN takes the SRP31.110 cap.", "decimal",
         default=np.nan, minimum=0.0, maximum=1.0),
    _num("nmd_core_maturity", "Bank estimate of the NMD core average maturity; NaN takes the SRP31.110 "
         "cap.", "years", default=np.nan, minimum=0.0),
)  # fmt: skip

# Credit risk mitigation inputs of a credit line (methodology 9.10): the protection itself is a
# separate table keyed by position_id (banksim.positions.protection); defaults: no effect.
CRM_INPUTS: tuple[ColumnSpec, ...] = (
    _cat("transaction_type", CRM_TRANSACTION_TYPES, "Holding period class of a collateralised line "
         "(CRE22.57); 'auto': repo_style for reverse repos, else secured_lending.", default="auto"),
    _num("remargining_days", "N_R: remargining or revaluation interval of its collateral (CRE22.59).",
         "business days", default=1.0, minimum=1.0),
    _flag("repo_cre22_36_conditions_met", "A repo-style line meets CRE22.36 (simple approach, CRE22.38)."),
    _flag("core_market_participant", "The counterparty is a core market participant (CRE22.37)."),
)  # fmt: skip

POSITIONS_SCHEMA: tuple[ColumnSpec, ...] = (
    ColumnSpec("position_id", "str", "Unique identifier of the position.", required=True),
    _cat("side", SIDES, "Balance-sheet side.", default="asset", required=True),
    _cat("product", PRODUCTS, "Product type.", default="other_asset"),
    _cat("counterparty_type", COUNTERPARTY_TYPES, "SA obligor type (methodology C.1).", default="none"),
    _cat("lcr_counterparty", LCR_COUNTERPARTIES, "Counterparty type for LCR/NSFR (methodology C.1)."),
    _cat("exposure_class", EXPOSURE_CLASSES, "Basel SA exposure class (CRE20).", default="none"),
    _cat("sub_class", SUB_CLASSES, "SA sub-class within the exposure class.", default="none"),
    _cat("rating", RATINGS, "External rating (S&P notation) or 'unrated'.", default="unrated"),
    _cat("scra_grade", SCRA_GRADES, "SCRA grade of an unrated bank (CRE20.21)."),
    _num(
        "counterparty_cet1_ratio",
        "CET1 ratio of a bank counterparty (SCRA 30% test).",
        "decimal",
        default=np.nan,
        minimum=0.0,
    ),
    _num(
        "counterparty_leverage_ratio",
        "Leverage ratio of a bank counterparty (SCRA 30% test).",
        "decimal",
        default=np.nan,
        minimum=0.0,
    ),
    _num(
        "issuer_risk_weight",
        "SA risk weight of the issuing bank of an unrated covered bond (CRE20.38 Table 9).",
        "decimal",
        default=np.nan,
        minimum=0.0,
    ),
    _cat("approach", APPROACHES, "Credit-risk approach of the line.", default="sa"),
    _cat(
        "irb_class",
        IRB_CLASSES,
        "IRB asset class (CRE31); 'none' derives it from the exposure class where unambiguous.",
    ),
    _num(
        "elbe",
        "Best estimate of expected loss of a defaulted IRB exposure (CRE31.3), share of EAD.",
        "decimal",
        default=np.nan,
        minimum=0.0,
        maximum=1.0,
    ),
    _cat("currency", CURRENCIES, "Currency of the position.", default="EUR", pattern="[A-Z]{3}"),
    _cat(
        "country",
        COUNTRIES,
        "Country of the obligor (ultimate risk; CCyB jurisdiction).",
        default="DE",
        pattern="[A-Z]{2}",
    ),
    _num("drawn_amount", "On-balance amount (outstanding, or liability/equity balance).", "EUR", minimum=0.0),
    _num("off_balance_amount", "Undrawn or off-balance nominal amount.", "EUR", minimum=0.0),
    _cat("off_balance_type", OFF_BALANCE_TYPES, "Off-balance item type for the CCF (CRE20.94-101)."),
    _cat(
        "underlying_off_balance_type",
        UNDERLYING_OFF_BALANCE_TYPES,
        "For a commitment to provide an off-balance item, that item: the lower CCF applies (CRE20.101).",
    ),
    _num("specific_provisions", "Specific provisions and partial write-offs.", "EUR", minimum=0.0),
    _num(
        "ltv",
        "Loan-to-value of real-estate exposures; NaN otherwise.",
        "decimal",
        default=np.nan,
        minimum=0.0,
    ),
    _flag("cash_flow_dependent", "Repayment materially depends on the property's cash flows."),
    _num("annual_sales", "Obligor's annual group sales; NaN if unknown.", "EUR", default=np.nan, minimum=0.0),
    _num(
        "residual_maturity",
        "Residual maturity; NaN for non-maturity items.",
        "years",
        default=np.nan,
        minimum=0.0,
    ),
    _num(
        "original_maturity",
        "Original maturity; NaN for non-maturity items.",
        "years",
        default=np.nan,
        minimum=0.0,
    ),
    _num("pd", "Probability of default (one year).", "decimal", default=np.nan, minimum=0.0, maximum=1.0),
    _num("lgd", "Loss given default.", "decimal", default=np.nan, minimum=0.0, maximum=1.0),
    _flag("is_defaulted", "The obligor is in default."),
    _flag("currency_mismatch_unhedged", "Unhedged currency mismatch (CRE20.92-93)."),
    _flag("large_financial_institution", "Large or unregulated FI (IRB x1.25 correlation)."),
    _flag(
        "qualifying_infrastructure",
        "Project finance meeting the EU infrastructure supporting factor's criteria (CRR Art. 501a).",
    ),
    _cat("hqla_level", HQLA_LEVELS, "HQLA level of a security (LCR30-31)."),
    _cat(
        "hqla_asset_type",
        HQLA_ASSET_TYPES,
        "HQLA asset type (2B split: rmbs, corporate_bond, equity).",
    ),
    _cat(
        "encumbrance_bucket",
        ENCUMBRANCE_BUCKETS,
        "Encumbrance period (NSFR 7.2).",
        default="unencumbered",
    ),
    _cat(
        "deposit_class",
        DEPOSIT_CLASSES,
        "Deposit class for LCR run-off rates (stable_enhanced: insurance meets LCR40.7-12's extra criteria).",
    ),
    _flag("deposit_insured", "Covered by an effective deposit insurance scheme."),
    _flag(
        "withdrawal_penalty",
        "Early withdrawal of a term deposit carries a significant penalty (LCR40.14, NSF30.7).",
    ),
    _cat(
        "collateral_level",
        COLLATERAL_LEVELS,
        "Collateral of secured funding or lending.",
    ),
    _num(
        "collateral_market_value",
        "Market value of that collateral (LCR unwinding, methodology 6.1); NaN: the cash leg.",
        "EUR",
        default=np.nan,
        minimum=0.0,
    ),
    _cat("facility_type", FACILITY_TYPES, "Committed facility type."),
    ColumnSpec("performing", "bool", "The asset is performing (NSFR, LCR inflows).", default=True),
    _cat(
        "saccr_asset_class",
        SACCR_ASSET_CLASSES,
        "SA-CCR asset class of a derivative (CRE52).",
    ),
    ColumnSpec("netting_set", "label", "Netting set of a derivative ('' for other lines).", default=""),
    ColumnSpec(
        "hedging_set",
        "label",
        "IR: currency; FX: pair 'BASE/QUOTE'; credit/equity: reference entity or index; "
        "commodity: commodity type.",
        default="",
    ),
    _cat(
        "saccr_sub_class",
        SACCR_SUB_CLASSES,
        "Supervisory-factor row (CRE52.72): credit rating or index grade, equity single_name/index, "
        "commodity type.",
    ),
    _num(
        "notional",
        "Trade notional (FX: the foreign leg; equity/commodity: price x units).",
        "EUR",
        minimum=0.0,
    ),
    _num("mtm", "Market value of a derivative (signed).", "EUR"),
    _cat("trade_direction", TRADE_DIRECTIONS, "Direction of a linear derivative."),
    _cat("option_type", OPTION_TYPES, "Option type."),
    _cat("option_position", OPTION_POSITIONS, "Bought or sold option."),
    _num("start_years", "S: start of the underlying period of an IR/credit trade.", "years", minimum=0.0),
    _num("end_years", "E: end of the underlying period of an IR/credit trade.", "years", minimum=0.0),
    _num("underlying_price", "P: price (or rate) of an option's underlying.", "", default=np.nan),
    _num("strike_price", "K: strike price (or rate) of an option.", "", default=np.nan),
    _num("option_expiry", "T: latest exercise date of an option.", "years", default=np.nan, minimum=0.0),
    _flag("margined", "The netting set is margined."),
    _num("collateral_held", "Net collateral held for the netting set (C; positive = held).", "EUR"),
    _num("threshold_amount", "Margin threshold TH of the netting set.", "EUR", minimum=0.0),
    _num("minimum_transfer_amount", "Minimum transfer amount MTA of the netting set.", "EUR", minimum=0.0),
    _num("nica", "Net independent collateral amount of the netting set.", "EUR"),
    _num(
        "mpor_days",
        "Margin period of risk of a margined set; NaN means the floor.",
        "business days",
        default=np.nan,
        minimum=0.0,
    ),
    _flag("mpor_extended", "Netting set > 5,000 trades or illiquid collateral (20-day MPOR floor)."),
    *CREDIT_QUALITY_AND_REPRICING,
    *CRM_INPUTS,
)
SCHEMA_BY_NAME = {spec.name: spec for spec in POSITIONS_SCHEMA}
REQUIRED_COLUMNS = (*(spec.name for spec in POSITIONS_SCHEMA if spec.required), "drawn_amount")


def schema_table() -> pd.DataFrame:
    """The positions schema as a table (name, dtype, unit, allowed values, default, meaning)."""
    return pd.DataFrame(
        {
            "column": spec.name,
            "dtype": spec.dtype,
            "required": spec.name in REQUIRED_COLUMNS,
            "unit": spec.unit,
            "allowed": _allowed_text(spec) if spec.allowed else _range_text(spec),
            "default": "" if spec.name in REQUIRED_COLUMNS else repr(spec.default),
            "description": spec.description,
        }
        for spec in POSITIONS_SCHEMA
    )


def schema_markdown() -> str:
    """The schema as the Markdown table of ``docs/positions_schema.md`` (regenerate it from this)."""
    rows = [
        "| column | dtype | required | unit | allowed | default | meaning |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in schema_table().itertuples():
        required = "yes" if row.required else ""
        rows.append(
            f"| `{row.column}` | {row.dtype} | {required} | {row.unit} | {row.allowed} | {row.default} "
            f"| {row.description} |"
        )
    return "\n".join(rows) + "\n"


def _allowed_text(spec: ColumnSpec) -> str:
    listed = ", ".join(spec.allowed)
    return f"{listed}, or another code matching `{spec.pattern}`" if spec.pattern else listed


def _range_text(spec: ColumnSpec) -> str:
    if spec.minimum is None and spec.maximum is None:
        return ""
    low = "" if spec.minimum is None else f"{spec.minimum:g} <= "
    high = "" if spec.maximum is None else f" <= {spec.maximum:g}"
    return f"{low}x{high}"
