"""The synthetic bank: the positions schema every metric reads, a generator and a validator.

``POSITIONS_SCHEMA`` documents every column (meaning, dtype, allowed values, unit, default);
``generate_positions`` builds a coherent bank with vectorised numpy draws; ``validate_positions``
checks and normalises a user's own table; ``read_positions`` loads CSV, Parquet or Excel.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from banksim.errors import InputError

__all__ = [
    "ColumnSpec",
    "POSITIONS_SCHEMA",
    "PROFILES",
    "DEFAULT_CONFIG",
    "check_bank_arguments",
    "generate_positions",
    "own_funds",
    "read_positions",
    "schema_table",
    "validate_positions",
]

RATINGS = (
    "AAA", "AA+", "AA", "AA-", "A+", "A", "A-", "BBB+", "BBB", "BBB-", "BB+", "BB", "BB-",
    "B+", "B", "B-", "CCC+", "CCC", "CCC-", "CC", "C", "D", "unrated",
)  # fmt: skip
SIDES = ("asset", "liability", "equity", "off_balance", "derivative")
EXPOSURE_CLASSES = (
    "sovereign", "pse", "mdb", "bank", "covered_bond", "corporate", "specialised_lending", "retail",
    "residential_real_estate", "commercial_real_estate", "defaulted", "equity", "subordinated_debt",
    "other_assets", "none",
)  # fmt: skip
SUB_CLASSES = (
    "general", "sme", "project_finance_pre_operational", "project_finance_operational",
    "project_finance_high_quality_operational", "object_finance", "commodities_finance",
    "regulatory_retail", "regulatory_retail_transactor", "other_retail", "income_producing",
    "residential_re_not_dependent", "listed", "speculative_unlisted", "legislated_programme", "cash",
    "gold", "cash_items_in_collection", "other", "international_organisation", "eligible_mdb",
    "investment_grade", "adc", "adc_residential_qualifying", "non_regulatory", "significant_investment",
    "threshold_deduction_item", "none",
)  # fmt: skip
IRB_CLASSES = (
    "corporate", "sovereign", "bank", "residential_mortgage", "qrre_revolver", "qrre_transactor",
    "other_retail", "none",
)  # fmt: skip
SACCR_SUB_CLASSES = (
    "AAA", "AA", "A", "BBB", "BB", "B", "CCC", "index_ig", "index_sg", "single_name", "index",
    "electricity", "oil_gas", "metals", "agricultural", "other", "none",
)  # fmt: skip
COUNTERPARTY_TYPES = ("individual", "sme", "corporate", "bank", "sovereign", "pse", "mdb", "none")
LCR_COUNTERPARTIES = (
    "retail", "small_business", "non_financial_corporate", "sovereign", "central_bank", "pse", "mdb",
    "bank", "financial_institution", "other_legal_entity", "none",
)  # fmt: skip
OFF_BALANCE_TYPES = (
    "none", "direct_credit_substitute", "repo_or_asset_sale_with_recourse", "securities_lending",
    "forward_asset_purchase", "nif_ruf", "transaction_related_contingent", "commitment",
    "short_term_trade_letter_of_credit", "unconditionally_cancellable_commitment",
)  # fmt: skip
PRODUCTS = (
    "cash", "central_bank_reserves", "government_bond", "covered_bond", "corporate_bond",
    "equity_holding", "interbank_loan", "corporate_loan", "sme_loan", "specialised_lending",
    "residential_mortgage", "commercial_real_estate_loan", "retail_loan", "credit_card",
    "reverse_repo", "other_asset", "retail_deposit", "sme_deposit", "operational_deposit",
    "corporate_deposit", "wholesale_funding", "repo", "issued_bond", "tier2_instrument",
    "other_liability", "cet1_capital", "at1_instrument", "committed_credit_facility",
    "committed_liquidity_facility", "guarantee", "trade_letter_of_credit", "performance_bond",
    "derivative",
)  # fmt: skip
SCRA_GRADES = ("A", "B", "C", "none")
DEPOSIT_CLASSES = (
    "stable_enhanced", "stable", "less_stable", "operational", "cooperative_network", "non_operational",
    "none",
)  # fmt: skip
UNDERLYING_OFF_BALANCE_TYPES = (
    "none", "direct_credit_substitute", "repo_or_asset_sale_with_recourse", "securities_lending",
    "forward_asset_purchase", "nif_ruf", "transaction_related_contingent",
    "short_term_trade_letter_of_credit",
)  # fmt: skip
CURRENCIES = ("EUR", "USD", "GBP", "CHF", "JPY")
COUNTRIES = ("DE", "FR", "NL", "IT", "ES", "GB", "US", "CH", "JP")


@dataclass(frozen=True)
class ColumnSpec:
    """One column of the positions table.

    ``allowed`` lists the values of a categorical column; ``minimum``/``maximum`` bound a numeric
    one; ``default`` fills an optional column a user's table does not have.
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


def _cat(
    name: str, allowed: tuple[str, ...], description: str, default: str = "none", **kw: Any
) -> ColumnSpec:
    return ColumnSpec(name, "category", description, allowed=allowed, default=default, **kw)


def _num(name: str, description: str, unit: str, default: float = 0.0, **kw: Any) -> ColumnSpec:
    return ColumnSpec(name, "float64", description, unit=unit, default=default, **kw)


def _flag(name: str, description: str) -> ColumnSpec:
    return ColumnSpec(name, "bool", description, default=False)


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
    _cat("approach", ("sa", "firb", "airb"), "Credit-risk approach of the line.", default="sa"),
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
    _cat("currency", CURRENCIES, "Currency of the position.", default="EUR"),
    _cat("country", COUNTRIES, "Country of the obligor (ultimate risk; CCyB jurisdiction).", default="DE"),
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
    _cat("hqla_level", ("1", "2A", "2B", "none"), "HQLA level of a security (LCR30-31)."),
    _cat(
        "hqla_asset_type",
        (
            "cash",
            "central_bank_reserves",
            "sovereign",
            "covered_bond",
            "corporate_bond",
            "rmbs",
            "equity",
            "none",
        ),
        "HQLA asset type (2B split: rmbs, corporate_bond, equity).",
    ),
    _cat(
        "encumbrance_bucket",
        ("unencumbered", "lt_6m", "6m_to_1y", "ge_1y"),
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
        ("1", "2A", "2B_rmbs", "2B", "domestic_sovereign_non_l1_l2a", "other", "none"),
        "Collateral of secured funding or lending.",
    ),
    _cat("facility_type", ("credit", "liquidity", "none"), "Committed facility type."),
    ColumnSpec("performing", "bool", "The asset is performing (NSFR, LCR inflows).", default=True),
    _cat(
        "saccr_asset_class",
        ("interest_rate", "fx", "credit", "equity", "commodity", "none"),
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
    _cat("trade_direction", ("long", "short", "none"), "Direction of a linear derivative."),
    _cat("option_type", ("call", "put", "none"), "Option type."),
    _cat("option_position", ("bought", "sold", "none"), "Bought or sold option."),
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
            "allowed": ", ".join(spec.allowed) if spec.allowed else _range_text(spec),
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


def _range_text(spec: ColumnSpec) -> str:
    if spec.minimum is None and spec.maximum is None:
        return ""
    low = "" if spec.minimum is None else f"{spec.minimum:g} <= "
    high = "" if spec.maximum is None else f" <= {spec.maximum:g}"
    return f"{low}x{high}"


# -- validation -----------------------------------------------------------------------------------


def _failures(frame: pd.DataFrame, mask: np.ndarray, column: str) -> list[str]:
    bad = frame.loc[mask]
    return [f"{pid}: {value!r}" for pid, value in zip(bad["position_id"][:5], bad[column][:5], strict=False)]


def validate_positions(positions: pd.DataFrame) -> pd.DataFrame:
    """Check a positions table against ``POSITIONS_SCHEMA`` and return it normalised.

    Required columns must be present; missing optional columns get their documented default;
    categorical columns become ``category`` with the allowed values as categories; numeric
    columns ``float64``; flags ``bool``. Extra columns are kept after the schema's columns.
    Numbers must be finite (no ±inf anywhere). A blank (NaN) cell of an optional column takes the
    column's documented default, as a missing column does (NaN itself where it means "not
    applicable": ``ltv``, ``pd``, ...); a required column has no default, so a NaN
    ``drawn_amount`` is an error, never 0.

    Raises
    ------
    InputError
        Naming the column, the first offending positions and values, and what is allowed.
    """
    if not isinstance(positions, pd.DataFrame):
        raise InputError("positions", f"expected a pandas DataFrame, got {type(positions).__name__}")
    missing = [name for name in REQUIRED_COLUMNS if name not in positions.columns]
    if missing:
        raise InputError("positions", f"missing required columns {missing}", allowed=list(SCHEMA_BY_NAME))
    frame = positions.reset_index(drop=True)
    ids = frame["position_id"].astype("str")
    if ids.isna().any() or (ids == "").any():
        raise InputError("positions['position_id']", "has empty values")
    if not _strictly_increasing(ids) and ids.duplicated().any():
        duplicated = ids[ids.duplicated()]
        raise InputError(
            "positions['position_id']", "must be unique", failure_cases=duplicated.unique()[:5].tolist()
        )
    columns: dict[str, Any] = {"position_id": ids}
    unchanged = ids.dtype == frame["position_id"].dtype
    for spec in POSITIONS_SCHEMA[1:]:
        if spec.name not in frame.columns:
            columns[spec.name] = _default_column(spec, len(frame))
            unchanged = False
            continue
        if _conforms(frame[spec.name], spec):
            columns[spec.name] = frame[spec.name].array
            continue
        columns[spec.name] = _normalise(frame, spec)
        unchanged = False
    extras = {name: frame[name] for name in frame.columns if name not in SCHEMA_BY_NAME}
    if unchanged and list(frame.columns) == [*columns, *extras]:
        return frame  # already in the schema's form: no copy of a large table
    return pd.DataFrame({**columns, **extras})


def _categorical(codes: np.ndarray, categories: Any) -> Any:
    """A Categorical from integer codes (no string work)."""
    return pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(list(categories)))


def _default_column(spec: ColumnSpec, rows: int) -> Any:
    if spec.dtype == "category":
        return _categorical(np.full(rows, spec.allowed.index(spec.default), dtype=np.int8), spec.allowed)
    if spec.dtype == "bool":
        return np.full(rows, bool(spec.default))
    if spec.dtype == "label":
        return _categorical(np.zeros(rows, dtype=np.int8), [spec.default])
    return np.full(rows, spec.default, dtype="float64")


def _strictly_increasing(ids: pd.Series) -> bool:
    """Sorted ids (as generated) are unique: one vectorised comparison instead of a hash table."""
    array = pa.array(ids.array)
    return len(array) < 2 or bool(pc.all(pc.less(array[:-1], array[1:])).as_py())


def _conforms(values: pd.Series, spec: ColumnSpec) -> bool:
    """The column already has the schema's dtype and no missing values: it can be used as is."""
    dtype = values.dtype
    if spec.dtype == "category":
        return (
            isinstance(dtype, pd.CategoricalDtype)
            and tuple(dtype.categories) == spec.allowed
            and not (values.cat.codes.to_numpy() < 0).any()
        )
    if spec.dtype == "label":
        return (
            isinstance(dtype, pd.CategoricalDtype)
            and all(isinstance(c, str) for c in dtype.categories)
            and not (values.cat.codes.to_numpy() < 0).any()
        )
    if spec.dtype == "bool":
        return dtype == np.dtype(bool)
    if dtype != np.float64:
        return False
    numbers = values.to_numpy()
    return not (
        (spec.minimum is not None and (numbers < spec.minimum).any())
        or (spec.maximum is not None and (numbers > spec.maximum).any())
        or (np.isinf(numbers).any() if _nan_allowed(spec) else not np.isfinite(numbers).all())
    )


def _nan_allowed(spec: ColumnSpec) -> bool:
    """NaN means "not applicable" in a column whose default is NaN (ltv, pd, ...)."""
    return isinstance(spec.default, float) and np.isnan(spec.default)


def _normalise(frame: pd.DataFrame, spec: ColumnSpec) -> Any:
    column = f"positions[{spec.name!r}]"
    values = frame[spec.name]
    if spec.dtype == "category":
        missing = values.isna().to_numpy()
        if spec.name in REQUIRED_COLUMNS and missing.any():  # a required column has no default
            raise InputError(
                column,
                "has missing values",
                failure_cases=_failures(frame, missing, spec.name),
                allowed=spec.allowed,
            )
        if not isinstance(values.dtype, pd.CategoricalDtype):
            values = values.astype("str").astype("category")
        categories = values.cat.categories.astype("str")
        unknown = ~categories.isin(spec.allowed)
        if unknown.any():
            bad = np.isin(values.cat.codes.to_numpy(), np.flatnonzero(unknown))
            raise InputError(
                column,
                "has values outside the allowed set",
                failure_cases=_failures(frame, bad, spec.name),
                allowed=spec.allowed,
            )
        values = (
            values.cat.rename_categories(list(categories))
            if not categories.equals(values.cat.categories)
            else values
        )
        result = values.cat.set_categories(list(spec.allowed))
        return result.fillna(spec.default).array
    if spec.dtype == "label":
        return pd.Categorical(values.astype("str").fillna(spec.default))
    if spec.dtype == "bool":
        if values.dtype == bool:
            return values.to_numpy()
        text = values.astype("str").str.strip().str.lower()
        mapping = {
            "true": True,
            "1": True,
            "1.0": True,
            "yes": True,
            "false": False,
            "0": False,
            "0.0": False,
            "no": False,
            "": False,
            "nan": False,
            "none": False,
        }
        bad = ~text.isin(mapping).to_numpy() & values.notna().to_numpy()
        if bad.any():
            raise InputError(
                column,
                "is not a true/false flag",
                failure_cases=_failures(frame, bad, spec.name),
                allowed="True/False, 1/0, yes/no",
            )
        return text.map(mapping).fillna(False).astype(bool).to_numpy()
    numbers = pd.to_numeric(values, errors="coerce")
    bad = (numbers.isna() & values.notna()).to_numpy()
    if bad.any():
        raise InputError(column, "is not numeric", failure_cases=_failures(frame, bad, spec.name))
    numbers = numbers.astype("float64")
    finite = "finite numbers" + (" or NaN (not applicable)" if _nan_allowed(spec) else "")
    bad = np.isinf(numbers.to_numpy())
    if bad.any():
        raise InputError(
            column, "has infinite values", failure_cases=_failures(frame, bad, spec.name), allowed=finite
        )
    bad = numbers.isna().to_numpy()
    if spec.name in REQUIRED_COLUMNS and bad.any():  # a required amount has no default: never 0
        raise InputError(
            column, "has missing values (NaN)", failure_cases=_failures(frame, bad, spec.name), allowed=finite
        )
    if spec.minimum is not None:
        bad = (numbers < spec.minimum).to_numpy()
        if bad.any():
            raise InputError(
                column, f"must be >= {spec.minimum:g}", failure_cases=_failures(frame, bad, spec.name)
            )
    if spec.maximum is not None:
        bad = (numbers > spec.maximum).to_numpy()
        if bad.any():
            raise InputError(
                column, f"must be <= {spec.maximum:g}", failure_cases=_failures(frame, bad, spec.name)
            )
    if not _nan_allowed(spec):
        numbers = numbers.fillna(spec.default)  # a blank cell of an optional column: its default
    return numbers.to_numpy()


def read_positions(path: str | Path, **kwargs: Any) -> pd.DataFrame:
    """Read positions from ``.csv``, ``.parquet`` or ``.xlsx`` and validate them."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        frame = pd.read_csv(path, keep_default_na=True, **kwargs)
    elif suffix in (".parquet", ".pq"):
        frame = pd.read_parquet(path, **kwargs)
    elif suffix in (".xlsx", ".xlsm"):
        frame = pd.read_excel(path, **kwargs)
    else:
        raise InputError("path", f"unsupported file type {suffix!r}", allowed=[".csv", ".parquet", ".xlsx"])
    return validate_positions(frame)


# -- the generator --------------------------------------------------------------------------------

MAX_SEED = 2**63 - 1  # the largest signed 64-bit integer (BIGINT in the store, in DuckDB)

# Share of each side's total amount (assets, liabilities before own funds, off-balance) by profile.
PROFILES: dict[str, dict[str, dict[str, float]]] = {
    "universal": {
        "asset": {
            "cash": 0.01,
            "central_bank_reserves": 0.06,
            "government_bond": 0.09,
            "covered_bond": 0.02,
            "corporate_bond": 0.03,
            "equity_holding": 0.01,
            "interbank_loan": 0.04,
            "corporate_loan": 0.21,
            "sme_loan": 0.06,
            "specialised_lending": 0.03,
            "residential_mortgage": 0.25,
            "commercial_real_estate_loan": 0.05,
            "retail_loan": 0.04,
            "credit_card": 0.01,
            "reverse_repo": 0.05,
            "other_asset": 0.04,
        },
        "liability": {
            "retail_deposit": 0.38,
            "sme_deposit": 0.08,
            "operational_deposit": 0.08,
            "corporate_deposit": 0.10,
            "wholesale_funding": 0.06,
            "repo": 0.05,
            "issued_bond": 0.20,
            "other_liability": 0.05,
        },
        "off_balance": {
            "committed_credit_facility": 0.55,
            "committed_liquidity_facility": 0.10,
            "guarantee": 0.15,
            "trade_letter_of_credit": 0.10,
            "performance_bond": 0.10,
        },
    },
    "retail": {
        "asset": {
            "cash": 0.02,
            "central_bank_reserves": 0.06,
            "government_bond": 0.08,
            "covered_bond": 0.03,
            "corporate_bond": 0.01,
            "interbank_loan": 0.02,
            "corporate_loan": 0.05,
            "sme_loan": 0.08,
            "residential_mortgage": 0.51,
            "commercial_real_estate_loan": 0.02,
            "retail_loan": 0.07,
            "credit_card": 0.02,
            "other_asset": 0.03,
        },
        "liability": {
            "retail_deposit": 0.62,
            "sme_deposit": 0.10,
            "operational_deposit": 0.03,
            "corporate_deposit": 0.04,
            "wholesale_funding": 0.02,
            "repo": 0.02,
            "issued_bond": 0.14,
            "other_liability": 0.03,
        },
        "off_balance": {"committed_credit_facility": 0.70, "guarantee": 0.15, "performance_bond": 0.15},
    },
    "wholesale": {
        "asset": {
            "cash": 0.01,
            "central_bank_reserves": 0.10,
            "government_bond": 0.12,
            "covered_bond": 0.02,
            "corporate_bond": 0.06,
            "equity_holding": 0.02,
            "interbank_loan": 0.08,
            "corporate_loan": 0.32,
            "sme_loan": 0.04,
            "specialised_lending": 0.08,
            "commercial_real_estate_loan": 0.06,
            "reverse_repo": 0.06,
            "other_asset": 0.03,
        },
        "liability": {
            "sme_deposit": 0.05,
            "operational_deposit": 0.18,
            "corporate_deposit": 0.20,
            "wholesale_funding": 0.08,
            "repo": 0.08,
            "issued_bond": 0.36,
            "other_liability": 0.05,
        },
        "off_balance": {
            "committed_credit_facility": 0.55,
            "committed_liquidity_facility": 0.15,
            "guarantee": 0.15,
            "trade_letter_of_credit": 0.15,
        },
    },
}

# Relative number of positions per product (granularity), and a rough RWA density used only to
# size own funds at the configured capital ratios (the regulation modules compute the real RWA).
COUNT_WEIGHT = {
    "cash": 0.001, "central_bank_reserves": 0.001, "government_bond": 0.01, "covered_bond": 0.005,
    "corporate_bond": 0.01, "equity_holding": 0.005, "interbank_loan": 0.01, "corporate_loan": 0.05,
    "sme_loan": 0.06, "specialised_lending": 0.01, "residential_mortgage": 0.20,
    "commercial_real_estate_loan": 0.02, "retail_loan": 0.12, "credit_card": 0.15, "reverse_repo": 0.005,
    "other_asset": 0.002, "retail_deposit": 0.25, "sme_deposit": 0.04, "operational_deposit": 0.01,
    "corporate_deposit": 0.01, "wholesale_funding": 0.005, "repo": 0.003, "issued_bond": 0.003,
    "other_liability": 0.002, "committed_credit_facility": 0.02, "committed_liquidity_facility": 0.002,
    "guarantee": 0.005, "trade_letter_of_credit": 0.005, "performance_bond": 0.005, "derivative": 0.03,
}  # fmt: skip
RWA_DENSITY = {
    "government_bond": 0.05, "covered_bond": 0.1, "corporate_bond": 0.6, "equity_holding": 2.5,
    "interbank_loan": 0.4, "corporate_loan": 0.8, "sme_loan": 0.85, "specialised_lending": 1.0,
    "residential_mortgage": 0.3, "commercial_real_estate_loan": 0.8, "retail_loan": 0.75,
    "credit_card": 0.6, "reverse_repo": 0.2, "other_asset": 1.0,
}  # fmt: skip

DEFAULT_CONFIG: dict[str, Any] = {
    "profile": "universal",
    "total_assets": 50e9,
    "currency": "EUR",
    "foreign_currency_share": 0.10,
    "off_balance_share": 0.12,
    "derivative_notional_share": 2.0,
    "irb_share": 0.0,
    "default_rate": 0.015,
    "rating_distribution": {
        "AAA": 0.03,
        "AA": 0.08,
        "A": 0.20,
        "BBB": 0.30,
        "BB": 0.14,
        "B": 0.05,
        "CCC": 0.01,
        "unrated": 0.19,
    },
    "mix": {},
    "own_funds": {"cet1_ratio": 0.14, "at1_ratio": 0.015, "tier2_ratio": 0.02},
}
OWN_FUNDS_KEYS = ("cet1_ratio", "at1_ratio", "tier2_ratio", "cet1", "at1", "tier2")
RATING_GRADES = {
    "AAA": ("AAA",),
    "AA": ("AA+", "AA", "AA-"),
    "A": ("A+", "A", "A-"),
    "BBB": ("BBB+", "BBB", "BBB-"),
    "BB": ("BB+", "BB", "BB-"),
    "B": ("B+", "B", "B-"),
    "CCC": ("CCC+", "CCC", "CCC-", "CC", "C"),
    "unrated": ("unrated",),
}
BASE_PD = {
    "AAA": 0.0003,
    "AA": 0.0005,
    "A": 0.001,
    "BBB": 0.003,
    "BB": 0.012,
    "B": 0.04,
    "CCC": 0.15,
    "unrated": 0.02,
}
PRODUCT_SIDE = {
    p: side
    for side_map in (PROFILES["universal"], PROFILES["retail"], PROFILES["wholesale"])
    for side, products in side_map.items()
    for p in products
}
PRODUCT_SIDE.update(
    {
        "derivative": "derivative",
        "cet1_capital": "equity",
        "at1_instrument": "equity",
        "tier2_instrument": "liability",
    }
)


def resolve_config(config: Mapping[str, Any] | None) -> dict[str, Any]:
    """Merge ``config`` over ``DEFAULT_CONFIG``; unknown keys and bad values are errors."""
    merged = {**DEFAULT_CONFIG, "own_funds": dict(DEFAULT_CONFIG["own_funds"])}
    if config is None:
        return merged
    if not isinstance(config, Mapping):
        raise InputError("config", f"expected a dict, got {type(config).__name__}")
    unknown = sorted(set(config) - set(DEFAULT_CONFIG))
    if unknown:
        raise InputError("config", f"unknown keys {unknown}", allowed=sorted(DEFAULT_CONFIG))
    for key, value in config.items():
        merged[key] = (
            {**merged["own_funds"], **value} if key == "own_funds" and isinstance(value, Mapping) else value
        )
    if merged["profile"] not in PROFILES:
        raise InputError(
            "config['profile']", f"unknown profile {merged['profile']!r}", allowed=sorted(PROFILES)
        )
    if merged["currency"] not in CURRENCIES:
        raise InputError("config['currency']", f"unknown currency {merged['currency']!r}", allowed=CURRENCIES)
    for key in ("total_assets", "off_balance_share", "derivative_notional_share"):
        if not isinstance(merged[key], int | float) or not np.isfinite(merged[key]) or merged[key] < 0:
            raise InputError(f"config[{key!r}]", f"must be a finite number >= 0, got {merged[key]!r}")
    if merged["total_assets"] <= 0:
        raise InputError("config['total_assets']", "must be > 0")
    for key in ("foreign_currency_share", "irb_share", "default_rate"):
        if not isinstance(merged[key], int | float) or not 0 <= merged[key] <= 1:
            raise InputError(f"config[{key!r}]", f"must be between 0 and 1, got {merged[key]!r}")
    _check_weights("config['rating_distribution']", merged["rating_distribution"], RATING_GRADES)
    if merged["mix"]:
        mixable = {p: () for p, side in PRODUCT_SIDE.items() if side in ("asset", "liability", "off_balance")}
        mixable.pop("tier2_instrument")
        _check_weights("config['mix']", merged["mix"], mixable, need_positive_total=False)
    own = merged["own_funds"]
    if not isinstance(own, Mapping) or set(own) - set(OWN_FUNDS_KEYS):
        raise InputError(
            "config['own_funds']",
            "unknown keys",
            allowed=OWN_FUNDS_KEYS,
            failure_cases=sorted(set(own) - set(OWN_FUNDS_KEYS)) if isinstance(own, Mapping) else [own],
        )
    for key, value in own.items():
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < math.inf
        ):
            raise InputError(f"config['own_funds'][{key!r}]", f"must be a finite number >= 0, got {value!r}")
    return merged


def _check_weights(
    argument: str, weights: Any, allowed: Mapping[str, Any], need_positive_total: bool = True
) -> None:
    if not isinstance(weights, Mapping):
        raise InputError(argument, f"expected a dict, got {type(weights).__name__}")
    unknown = sorted(set(weights) - set(allowed))
    if unknown:
        raise InputError(argument, f"unknown keys {unknown}", allowed=sorted(allowed))
    bad = [k for k, v in weights.items() if not isinstance(v, int | float) or not np.isfinite(v) or v < 0]
    if bad:
        raise InputError(argument, "weights must be finite numbers >= 0", failure_cases=bad)
    if need_positive_total and sum(weights.values()) <= 0:
        raise InputError(argument, "weights must not all be zero")


def _position_ids(count: int) -> pd.Series:
    """'POS-000000001' ... built from bytes (an f-string per row is 10x slower)."""
    width = max(9, len(str(count)))
    matrix = np.empty((count, 4 + width), dtype=np.uint8)
    matrix[:, :4] = np.frombuffer(b"POS-", dtype=np.uint8)
    rest = np.arange(1, count + 1, dtype=np.int64)
    for column in range(3 + width, 3, -1):
        matrix[:, column] = rest % 10 + 48
        rest //= 10
    offsets = np.arange(count + 1, dtype=np.int32) * (4 + width)
    array = pa.Array.from_buffers(pa.string(), count, [None, pa.py_buffer(offsets), pa.py_buffer(matrix)])
    return pd.Series(array.to_pandas(), dtype="str", name="position_id")


def _to_cents(weights: np.ndarray, total_cents: int) -> np.ndarray:
    """Split ``total_cents`` in proportion to ``weights``; the sum is exact."""
    if len(weights) == 0:
        return np.zeros(0, dtype=np.int64)
    cents = np.floor(weights / weights.sum() * total_cents).astype(np.int64)
    cents[np.argmax(weights)] += total_cents - int(cents.sum())
    return cents


class _Columns:
    """Column arrays of the frame being generated, filled product by product (vectorised).

    Categorical columns are kept as integer codes, so building the frame costs no string work.
    """

    def __init__(self, rows: int) -> None:
        self.rows = rows
        self.data: dict[str, np.ndarray] = {}
        self.labels: dict[str, list[str]] = {}
        for spec in POSITIONS_SCHEMA[1:]:
            if spec.dtype == "category":
                self.data[spec.name] = np.full(rows, spec.allowed.index(spec.default), dtype=np.int16)
            elif spec.dtype == "label":
                self.data[spec.name] = np.zeros(rows, dtype=np.int32)
                self.labels[spec.name] = [spec.default]
            elif spec.dtype == "bool":
                self.data[spec.name] = np.full(rows, bool(spec.default))
            else:
                self.data[spec.name] = np.full(rows, spec.default, dtype="float64")

    def set(self, mask: Any, **values: Any) -> None:
        for name, value in values.items():
            spec = SCHEMA_BY_NAME[name]
            if spec.dtype == "category":
                value = _codes(value, spec)
            self.data[name][mask] = value

    def frame(self, position_ids: pd.Series) -> pd.DataFrame:
        columns: dict[str, Any] = {"position_id": position_ids}
        for spec in POSITIONS_SCHEMA[1:]:
            values = self.data[spec.name]
            if spec.dtype == "category":
                columns[spec.name] = _categorical(values, list(spec.allowed))
            elif spec.dtype == "label":
                columns[spec.name] = _categorical(values, self.labels[spec.name])
            else:
                columns[spec.name] = values
        return pd.DataFrame(columns)


def _codes(value: Any, spec: ColumnSpec) -> Any:
    """Category codes of a string or an array of strings (integer arrays are codes already)."""
    if isinstance(value, str):
        return spec.allowed.index(value)
    array = np.asarray(value)
    if array.dtype.kind in "iu":
        return array
    array = array.astype(str)
    order = np.argsort(np.array(spec.allowed))
    ordered = np.array(spec.allowed)[order]
    position = np.clip(np.searchsorted(ordered, array), 0, len(ordered) - 1)
    if not (ordered[position] == array).all():
        raise ValueError(f"generator bug: value outside the {spec.name} categories")
    return order[position]


def check_bank_arguments(
    num_positions: Any, seed: Any, config: Any, include_derivatives: Any
) -> dict[str, Any]:
    """Check the arguments of :func:`generate_positions` and return the resolved config.

    Callers that fan out (a sweep) call it first, so a bad argument is one clear error up front.
    """
    if (
        isinstance(num_positions, bool)
        or not isinstance(num_positions, int | np.integer)
        or not 1 <= num_positions <= 10_000_000
    ):
        raise InputError(
            "num_positions", f"got {num_positions!r}", allowed="a whole number from 1 to 10,000,000"
        )
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or not 0 <= seed <= MAX_SEED:
        raise InputError(
            "seed", f"got {seed!r}", allowed=f"a whole number from 0 to 2**63 - 1 ({MAX_SEED:,})"
        )
    if not isinstance(include_derivatives, bool | np.bool_):
        raise InputError("include_derivatives", f"got {include_derivatives!r}", allowed="True or False")
    return resolve_config(config)


def generate_positions(
    num_positions: int,
    seed: int,
    config: Mapping[str, Any] | None = None,
    include_derivatives: bool = False,
) -> pd.DataFrame:
    """Generate a synthetic bank of ``num_positions`` positions plus its three own-funds rows.

    The balance sheet balances to the cent (assets = liabilities + equity); own funds are set
    at the configured ratios of an approximate RWA unless given in currency. The same inputs
    give the same frame in any process.

    Parameters
    ----------
    num_positions : int
        Business positions (1 to 10 million); the frame has three more rows (CET1, AT1, Tier 2).
    seed : int
        Seed of the numpy ``Generator``, 0 to 2**63 - 1: the seed is a cache-key argument, kept in a
        64-bit integer column by the store and its queries.
    config : dict, optional
        Overrides of ``DEFAULT_CONFIG`` (profile, size, mix, ratings, currency, own funds).
    include_derivatives : bool
        Add derivative trades with SA-CCR fields.

    Returns
    -------
    pandas.DataFrame
        A table that passes :func:`validate_positions`.

    Notes
    -----
    ``config["profile"]`` picks the balance-sheet mix (:data:`PROFILES`): ``"universal"`` (the
    default), ``"retail"`` (mortgages and retail deposits) or ``"wholesale"`` (corporate lending,
    operational and corporate deposits, bonds). Every profile, with or without derivatives,
    lands at a CET1 ratio of 10-18%, an LCR of 110-250% and an NSFR of 100-140%
    (``tests/test_portfolio.py``); seen at 50k positions: universal 13% / 190-199% / 115%,
    retail 11-12% / 214-219% / 126%, wholesale 14% / 216-225% / 106%.
    """
    cfg = check_bank_arguments(num_positions, seed, config, include_derivatives)
    rng = np.random.default_rng(int(seed))

    shares = {side: dict(weights) for side, weights in PROFILES[cfg["profile"]].items()}
    for product, weight in cfg["mix"].items():
        shares[PRODUCT_SIDE[product]][product] = float(weight)
    catalogue = [
        p for side in ("asset", "liability", "off_balance") for p, w in shares[side].items() if w > 0
    ]
    if include_derivatives:
        catalogue.append("derivative")
    count_weights = np.array([COUNT_WEIGHT[p] for p in catalogue])
    counts = rng.multinomial(int(num_positions), count_weights / count_weights.sum())
    if num_positions >= 4 * len(catalogue):  # a bank of some size holds every product of its profile
        for i in np.flatnonzero(counts == 0):
            counts[int(np.argmax(counts))] -= 1
            counts[i] = 1
    if not any(counts[i] for i, p in enumerate(catalogue) if PRODUCT_SIDE[p] == "asset"):
        donor = int(np.argmax(counts))
        counts[donor] -= 1
        counts[catalogue.index(max(shares["asset"], key=lambda p: shares["asset"][p]))] += 1
    names = [*catalogue, "cet1_capital", "at1_instrument", "tier2_instrument"]
    sizes = np.append(counts, [1, 1, 1])
    ends = np.cumsum(sizes)
    # Positions are grouped by product: each product is one contiguous block of rows.
    blocks = {name: np.arange(end - size, end) for name, size, end in zip(names, sizes, ends, strict=True)}
    rows = int(ends[-1])
    products = np.repeat(np.array([PRODUCTS.index(name) for name in names], dtype=np.int16), sizes)
    cols = _Columns(rows)
    sides = np.array([SIDES.index(PRODUCT_SIDE[name]) for name in names], dtype=np.int16)
    cols.set(slice(None), side=np.repeat(sides, sizes), product=products)

    # Amounts, in integer cents so that the balance sheet balances exactly.
    cents = np.zeros(rows, dtype=np.int64)
    spread = rng.lognormal(0.0, 0.9, rows)
    total_asset_cents = round(cfg["total_assets"] * 100)
    present = {
        side: [p for p in catalogue if PRODUCT_SIDE[p] == side and len(blocks[p])]
        for side in ("asset", "liability", "off_balance")
    }

    def allocate(side: str, total: int) -> None:
        weights = np.array([shares[side][p] for p in present[side]])
        if not len(weights):
            return
        for product, product_cents in zip(present[side], _to_cents(weights, total), strict=True):
            mask = blocks[product]
            cents[mask] = _to_cents(spread[mask], int(product_cents))

    allocate("asset", total_asset_cents)
    asset_amounts = {p: cents[blocks[p]].sum() / 100 for p in present["asset"]}
    approx_rwa = (
        1.12 * sum(RWA_DENSITY.get(p, 0.0) * a for p, a in asset_amounts.items())
        + 0.3 * cfg["off_balance_share"] * cfg["total_assets"]
    )
    own = cfg["own_funds"]
    capital = {}
    for name in ("cet1", "at1", "tier2"):
        amount = own.get(name)
        capital[name] = round((amount if amount is not None else own[f"{name}_ratio"] * approx_rwa) * 100)
    liability_cents = total_asset_cents - capital["cet1"] - capital["at1"] - capital["tier2"]
    if liability_cents < 0:
        raise InputError(
            "config['own_funds']", "own funds exceed total assets; lower them or raise total_assets"
        )
    if present["liability"]:
        allocate("liability", liability_cents)
    else:  # no funding positions (a tiny bank): equity funds everything
        capital["cet1"] += liability_cents
    cents[-3:] = [capital["cet1"], capital["at1"], capital["tier2"]]
    allocate("off_balance", round(cfg["off_balance_share"] * cfg["total_assets"] * 100))
    is_off = np.zeros(rows, dtype=bool)
    for product in present["off_balance"]:
        is_off[blocks[product]] = True
    cols.set(~is_off, drawn_amount=cents[~is_off] / 100)
    cols.set(is_off, off_balance_amount=cents[is_off] / 100)

    _describe_products(cols, blocks, rng, cfg)
    if include_derivatives:
        _derivatives(cols, blocks["derivative"], rng, cfg)
    return cols.frame(_position_ids(rows))


# Static attributes per product: (exposure_class, sub_class, counterparty_type, lcr_counterparty,
# residual maturity range in years or None for non-maturity items, LGD).
PRODUCT_ATTRIBUTES: dict[str, tuple[str, str, str, str, tuple[float, float] | None, float]] = {
    "cash": ("other_assets", "cash", "none", "none", None, 0.0),
    "central_bank_reserves": ("sovereign", "general", "sovereign", "central_bank", None, 0.0),
    "government_bond": ("sovereign", "general", "sovereign", "sovereign", (0.2, 15.0), 0.45),
    "covered_bond": ("covered_bond", "general", "bank", "bank", (0.5, 10.0), 0.11),
    "corporate_bond": ("corporate", "general", "corporate", "non_financial_corporate", (0.5, 10.0), 0.45),
    "equity_holding": ("equity", "listed", "corporate", "non_financial_corporate", None, 0.9),
    "interbank_loan": ("bank", "general", "bank", "bank", (0.02, 3.0), 0.45),
    "corporate_loan": ("corporate", "general", "corporate", "non_financial_corporate", (0.1, 7.0), 0.40),
    "sme_loan": ("corporate", "sme", "sme", "small_business", (0.1, 7.0), 0.40),
    "specialised_lending": ("specialised_lending", "project_finance_operational", "corporate",
                            "non_financial_corporate", (2.0, 20.0), 0.35),
    "residential_mortgage": ("residential_real_estate", "general", "individual", "retail", (1.0, 30.0), 0.15),
    "commercial_real_estate_loan": ("commercial_real_estate", "general", "corporate",
                                    "non_financial_corporate", (1.0, 10.0), 0.30),
    "retail_loan": ("retail", "regulatory_retail", "individual", "retail", (0.2, 7.0), 0.55),
    "credit_card": ("retail", "regulatory_retail", "individual", "retail", None, 0.75),
    "reverse_repo": ("bank", "general", "bank", "bank", (0.01, 0.5), 0.10),
    "other_asset": ("other_assets", "other", "none", "none", None, 1.0),
    "retail_deposit": ("none", "none", "individual", "retail", None, 0.0),
    "sme_deposit": ("none", "none", "sme", "small_business", None, 0.0),
    "operational_deposit": ("none", "none", "corporate", "non_financial_corporate", None, 0.0),
    "corporate_deposit": ("none", "none", "corporate", "non_financial_corporate", (0.02, 2.0), 0.0),
    "wholesale_funding": ("none", "none", "bank", "bank", (0.02, 3.0), 0.0),
    "repo": ("none", "none", "bank", "bank", (0.01, 0.5), 0.0),
    "issued_bond": ("none", "none", "none", "other_legal_entity", (0.3, 10.0), 0.0),
    "tier2_instrument": ("none", "none", "none", "other_legal_entity", (5.0, 10.0), 0.0),
    "other_liability": ("none", "none", "none", "none", None, 0.0),
    "cet1_capital": ("none", "none", "none", "none", None, 0.0),
    "at1_instrument": ("none", "none", "none", "none", None, 0.0),
    "committed_credit_facility": ("corporate", "general", "corporate", "non_financial_corporate",
                                  (0.5, 5.0), 0.40),
    "committed_liquidity_facility": ("corporate", "general", "corporate", "non_financial_corporate",
                                     (0.5, 3.0), 0.40),
    "guarantee": ("corporate", "general", "corporate", "non_financial_corporate", (0.5, 5.0), 0.40),
    "trade_letter_of_credit": ("bank", "general", "bank", "bank", (0.1, 0.5), 0.45),
    "performance_bond": ("corporate", "general", "corporate", "non_financial_corporate", (0.5, 3.0), 0.40),
    "derivative": ("none", "none", "bank", "bank", (0.1, 10.0), 0.45),
}  # fmt: skip
IRB_CLASS_OF_PRODUCT = {
    "central_bank_reserves": "sovereign", "government_bond": "sovereign", "covered_bond": "bank",
    "corporate_bond": "corporate", "interbank_loan": "bank", "corporate_loan": "corporate",
    "sme_loan": "corporate", "specialised_lending": "corporate",
    "residential_mortgage": "residential_mortgage", "commercial_real_estate_loan": "corporate",
    "retail_loan": "other_retail", "credit_card": "qrre_revolver", "reverse_repo": "bank",
    "committed_credit_facility": "corporate", "committed_liquidity_facility": "corporate",
    "guarantee": "corporate", "trade_letter_of_credit": "bank", "performance_bond": "corporate",
}  # fmt: skip
OFF_BALANCE_OF = {
    "committed_credit_facility": "commitment", "committed_liquidity_facility": "commitment",
    "guarantee": "direct_credit_substitute", "trade_letter_of_credit": "short_term_trade_letter_of_credit",
    "performance_bond": "transaction_related_contingent",
    "credit_card": "unconditionally_cancellable_commitment",
}  # fmt: skip
WHOLESALE = (
    "government_bond",
    "covered_bond",
    "corporate_bond",
    "interbank_loan",
    "corporate_loan",
    "specialised_lending",
    "commercial_real_estate_loan",
    "reverse_repo",
    "committed_credit_facility",
    "committed_liquidity_facility",
    "guarantee",
    "trade_letter_of_credit",
    "performance_bond",
    "derivative",
)
LOANS = (
    "interbank_loan",
    "corporate_loan",
    "sme_loan",
    "specialised_lending",
    "residential_mortgage",
    "commercial_real_estate_loan",
    "retail_loan",
    "credit_card",
)


RATING_CODE = {rating: code for code, rating in enumerate(RATINGS)}
GRADE_OF_CODE = np.array(
    [next((g for g, notches in RATING_GRADES.items() if r in notches), "D") for r in RATINGS], dtype=object
)
PD_OF_CODE = np.array([BASE_PD.get(g, 1.0) for g in GRADE_OF_CODE])


def _ratings(rng: np.random.Generator, n: int, weights: Mapping[str, float], sovereign: bool) -> np.ndarray:
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


def _describe_products(
    cols: _Columns, blocks: dict[str, np.ndarray], rng: np.random.Generator, cfg: dict[str, Any]
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
                ratings = _ratings(
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


def _long_tail(cols: _Columns, blocks: dict[str, np.ndarray], rng: np.random.Generator) -> None:
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
        underlying = np.array(UNDERLYING_OFF_BALANCE_TYPES[1:])[rng.integers(0, 7, len(rows))]
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


def _defaulted(cols: _Columns, blocks: dict[str, np.ndarray]) -> None:
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


def _product_specifics(cols: _Columns, blocks: dict[str, np.ndarray], rng: np.random.Generator) -> None:
    def rows(product: str) -> np.ndarray:
        return blocks.get(product, np.zeros(0, dtype=np.int64))

    def pick(n: int, values: tuple[str, ...], p: tuple[float, ...]) -> np.ndarray:
        return np.array(values)[rng.choice(len(values), size=n, p=np.array(p))]

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


def _derivatives(cols: _Columns, r: np.ndarray, rng: np.random.Generator, cfg: dict[str, Any]) -> None:
    """SA-CCR trade fields: netting sets with one counterparty each, hedging sets, options, margining."""
    n = len(r)
    if n == 0:
        return

    def pick(size: int, values: tuple[str, ...], p: tuple[float, ...]) -> np.ndarray:
        return np.array(values)[rng.choice(len(values), size=size, p=np.array(p))]

    # Netting sets: a counterparty (bank or corporate) with its rating, and the margin agreement.
    sets = max(1, n // 40)
    set_of_trade = np.sort(rng.integers(0, sets, n))
    bank = rng.random(sets) < 0.7
    rating = _ratings(rng, sets, cfg["rating_distribution"], sovereign=False)
    unrated_bank = bank & (rating == RATING_CODE["unrated"])
    margined = rng.random(sets) < 0.7
    notional = rng.lognormal(0, 1.0, n)
    notional = (notional / notional.sum() * cfg["derivative_notional_share"] * cfg["total_assets"]).round(2)
    set_notional = np.bincount(set_of_trade, weights=notional, minlength=sets)
    collateral = np.where(margined, rng.normal(0.0, 0.01, sets) * set_notional, 0.0).round(2)
    threshold = np.where(margined, (rng.integers(0, 3, sets) * 5e6).astype(float), 0.0)
    mta = np.where(margined, 5e5, 0.0)
    nica = np.where(margined, (rng.uniform(0, 0.005, sets) * set_notional).round(2), 0.0)
    mpor = np.where(margined & (rng.random(sets) < 0.2), 15.0, np.nan)
    cols.set(
        r,
        counterparty_type=np.where(bank, "bank", "corporate")[set_of_trade],
        lcr_counterparty=np.where(bank, "bank", "non_financial_corporate")[set_of_trade],
        rating=rating[set_of_trade],
        scra_grade=np.where(unrated_bank, pick(sets, ("A", "B", "C"), (0.75, 0.2, 0.05)), "none")[
            set_of_trade
        ],
        counterparty_cet1_ratio=np.where(bank, rng.uniform(0.09, 0.18, sets).round(4), np.nan)[set_of_trade],
        counterparty_leverage_ratio=np.where(bank, rng.uniform(0.035, 0.07, sets).round(4), np.nan)[
            set_of_trade
        ],
        country=cols.data["country"][r][0],
        margined=margined[set_of_trade],
        collateral_held=collateral[set_of_trade],
        threshold_amount=threshold[set_of_trade],
        minimum_transfer_amount=mta[set_of_trade],
        nica=nica[set_of_trade],
        mpor_days=mpor[set_of_trade],
        mpor_extended=(margined & (rng.random(sets) < 0.05))[set_of_trade],
    )

    # Trades: asset class, hedging set and supervisory-factor row (CRE52.72).
    asset_class = np.array(["interest_rate", "fx", "credit", "equity", "commodity"])[
        rng.choice(5, size=n, p=[0.6, 0.25, 0.05, 0.05, 0.05])
    ]
    entity = rng.integers(0, 20, n)
    credit_grade = np.array(["AA", "A", "BBB", "BBB", "BB", "B", "index_ig", "index_sg", "CCC", "AAA"] * 2)[
        entity
    ]
    equity_kind = np.where(entity < 15, "single_name", "index")
    commodity = pick(
        n, ("electricity", "oil_gas", "metals", "agricultural", "other"), (0.2, 0.35, 0.2, 0.15, 0.1)
    )
    sub_class = np.select(
        [asset_class == "credit", asset_class == "equity", asset_class == "commodity"],
        [credit_grade, equity_kind, commodity],
        default="none",
    )
    currencies = np.array(CURRENCIES[:3], dtype=object)
    pairs = np.array(["EUR/USD", "EUR/GBP", "USD/JPY", "EUR/CHF"], dtype=object)
    commodity_types = {
        "electricity": ("power_de", "power_fr"), "oil_gas": ("brent", "wti", "natural_gas"),
        "metals": ("gold", "copper", "aluminium"), "agricultural": ("wheat", "corn"), "other": ("freight",),
    }  # fmt: skip
    commodity_type = np.array(
        [commodity_types[c][k % len(commodity_types[c])] for c, k in zip(commodity, entity, strict=True)],
        dtype=object,
    )
    hedging = np.select(
        [
            asset_class == "interest_rate",
            asset_class == "fx",
            asset_class == "credit",
            asset_class == "equity",
        ],
        [
            currencies[rng.integers(0, 3, n)],
            pairs[rng.integers(0, 4, n)],
            np.char.add("CDS-", entity.astype(str)).astype(object),
            np.char.add("EQ-", entity.astype(str)).astype(object),
        ],
        default=commodity_type,
    )

    # Dates, direction and options (CRE52.31-52.40).
    maturity = cols.data["residual_maturity"][r]
    forward = rng.random(n) < 0.1
    start = np.where(forward & (asset_class == "interest_rate"), rng.uniform(0.25, 2.0, n), 0.0)
    is_option = np.isin(asset_class, ("fx", "equity")) & (rng.random(n) < 0.2)
    expiry = np.minimum(maturity, rng.uniform(0.1, 2.0, n))
    hedging_labels, hedging_codes = np.unique(hedging.astype(str), return_inverse=True)
    cols.labels["hedging_set"] = ["", *hedging_labels.tolist()]
    cols.labels["netting_set"] = ["", *[f"NS-{k:05d}" for k in range(sets)]]
    cols.set(
        r,
        saccr_asset_class=asset_class,
        saccr_sub_class=sub_class,
        notional=notional,
        mtm=(notional * rng.normal(0, 0.02, n)).round(2),
        trade_direction=np.where(is_option, "none", np.where(rng.random(n) < 0.5, "long", "short")),
        option_type=np.where(is_option, np.where(rng.random(n) < 0.5, "call", "put"), "none"),
        option_position=np.where(is_option, np.where(rng.random(n) < 0.5, "bought", "sold"), "none"),
        underlying_price=np.where(is_option, 100.0, np.nan),
        strike_price=np.where(is_option, rng.uniform(80.0, 120.0, n).round(2), np.nan),
        option_expiry=np.where(is_option, expiry, np.nan),
        start_years=start,
        end_years=np.where(np.isin(asset_class, ("interest_rate", "credit")), start + maturity, 0.0),
    )
    cols.data["netting_set"][r] = set_of_trade + 1
    cols.data["hedging_set"][r] = hedging_codes + 1


def own_funds(positions: pd.DataFrame) -> dict[str, float]:
    """CET1, AT1 and Tier 2 capital carried by a positions table (its own-funds rows)."""
    amounts = positions.groupby("product", observed=False)["drawn_amount"].sum()
    return {
        "cet1": float(amounts.get("cet1_capital", 0.0)),
        "at1": float(amounts.get("at1_instrument", 0.0)),
        "tier2": float(amounts.get("tier2_instrument", 0.0)),
    }
