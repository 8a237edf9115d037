"""The protection table (collateral, netting deposits, guarantees, credit derivatives) and its validation.

One row per item, keyed by ``position_id``; ``PROTECTION_SCHEMA`` and ``CRM_LINE_COLUMNS`` (the
exposure-line inputs of credit risk mitigation) in the style of ``columns``; methodology 9.1.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from banksim.errors import InputError
from banksim.positions.columns import ColumnSpec
from banksim.positions.validation import BLANK_WORDS, FLAG_WORDS
from banksim.positions.vocabulary import CURRENCIES, RATINGS, SCRA_GRADES, TRANSACTION_TYPES  # CRE22.57

__all__ = [
    "COLLATERAL_TYPES",
    "CRM_LINE_COLUMNS",
    "FINANCIAL_COLLATERAL",
    "GUARANTEE_TYPES",
    "ISSUER_TYPES",
    "PHYSICAL_COLLATERAL",
    "PROTECTION_SCHEMA",
    "PROTECTION_TYPES",
    "PROVIDER_TYPES",
    "checked_crm_lines",
    "protection_markdown",
    "validate_crm_lines",
    "validate_protection",
]

# Eligible financial collateral (CRE22.34, CRE22.45); the comprehensive approach and F-IRB.
FINANCIAL_COLLATERAL = (
    "cash",
    "gold",
    "debt_security",
    "equity_main_index",
    "equity_other_listed",
    "ucits_fund",
)
# Other collateral recognised under F-IRB only (CRE32.11).
PHYSICAL_COLLATERAL = ("receivables", "residential_real_estate", "commercial_real_estate", "other_physical")
COLLATERAL_TYPES = (*FINANCIAL_COLLATERAL, *PHYSICAL_COLLATERAL)
GUARANTEE_TYPES = ("guarantee", "credit_derivative")  # CRE22.70-84
PROTECTION_TYPES = (*COLLATERAL_TYPES, "deposit_netting", *GUARANTEE_TYPES)
ISSUER_TYPES = ("sovereign", "mdb_zero_rw", "pse", "mdb", "bank", "corporate", "securitisation", "none")
PROVIDER_TYPES = ("sovereign", "mdb_zero_rw", "pse", "mdb", "bank", "corporate")  # CRE22.76, methodology C.28
LENT_SECURITY_TYPES = (
    "debt_security",
    "equity_main_index",
    "equity_other_listed",
    "gold",
    "non_eligible",
    "none",
)


def _cat(
    name: str, allowed: tuple[str, ...], description: str, default: str = "none", **kw: Any
) -> ColumnSpec:
    return ColumnSpec(name, "category", description, allowed=allowed, default=default, **kw)


def _num(name: str, description: str, unit: str, default: float = np.nan, **kw: Any) -> ColumnSpec:
    return ColumnSpec(name, "float64", description, unit=unit, default=default, **kw)


PROTECTION_SCHEMA: tuple[ColumnSpec, ...] = (
    ColumnSpec("position_id", "str", "The protected position (several rows may name one).", required=True),
    _cat("protection_type", PROTECTION_TYPES, "What the item is (methodology 9.1).", required=True),
    _num(
        "amount",
        "Market value of collateral or deposit; protected amount G of a guarantee.",
        "EUR",
        required=True,
        minimum=0.0,
    ),
    _cat(
        "currency", CURRENCIES, "Currency of the item (a mismatch with the line's gives Hfx).", default="EUR"
    ),
    _cat(
        "issuer_type",
        ISSUER_TYPES,
        "Issuer of a debt security; provider of a guarantee or credit derivative.",
    ),
    _cat(
        "rating", RATINGS, "Issue rating of a security; rating of a protection provider.", default="unrated"
    ),
    _cat("scra_grade", SCRA_GRADES, "SCRA grade of an unrated bank protection provider (CRE20.21)."),
    _num(
        "provider_risk_weight",
        "SA risk weight of the provider if given (replaces C.28's table).",
        "decimal",
        minimum=0.0,
    ),
    _num(
        "security_residual_maturity",
        "Residual maturity of a debt security (haircut band).",
        "years",
        minimum=0.0,
    ),
    ColumnSpec(
        "unrated_bank_senior_eligible",
        "bool",
        "Unrated senior listed bank security of CRE22.34(3)(b).",
        default=False,
    ),
    _num(
        "fund_haircut",
        "10-day haircut of a UCITS/mutual fund (methodology C.26).",
        "decimal",
        minimum=0.0,
        maximum=1.0,
    ),
    _num(
        "protection_residual_maturity",
        "How long the item protects; blank: the exposure's life.",
        "years",
        minimum=0.0,
    ),
    _num(
        "protection_original_maturity",
        "Original maturity of the protection (CRE22.12).",
        "years",
        minimum=0.0,
    ),
    ColumnSpec(
        "restructuring_covered", "bool", "A credit derivative covers restructuring (CRE22.75).", default=False
    ),
    _num(
        "revaluation_days",
        "N_R of a guarantee or credit derivative (CRE22.83).",
        "business days",
        default=1.0,
        minimum=1.0,
    ),
)
PROTECTION_BY_NAME = {spec.name: spec for spec in PROTECTION_SCHEMA}

# Exposure-line inputs of CRM (columns of the credit lines handed to banksim.regulation.crm).
CRM_LINE_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("position_id", "str", "Unique identifier of the line.", required=True),
    _num(
        "exposure",
        "E: exposure amount after CCF and specific provisions (EAD for F-IRB).",
        "EUR",
        required=True,
        minimum=0.0,
    ),
    _cat("currency", CURRENCIES, "Currency of the exposure.", default="EUR"),
    _num("residual_maturity", "Residual maturity of the exposure; blank: none.", "years", minimum=0.0),
    _cat("transaction_type", TRANSACTION_TYPES, "Holding period T_M (CRE22.57).", default="secured_lending"),
    _num(
        "remargining_days",
        "N_R: remargining or revaluation interval (CRE22.59).",
        "business days",
        default=1.0,
        minimum=1.0,
    ),
    _cat("lent_security_type", LENT_SECURITY_TYPES, "Security lent or posted by the bank (He, CRE22.54)."),
    _cat("lent_security_issuer_type", ISSUER_TYPES, "Issuer of a lent debt security."),
    _cat("lent_security_rating", RATINGS, "Issue rating of a lent debt security.", default="unrated"),
    _num(
        "lent_security_residual_maturity", "Residual maturity of a lent debt security.", "years", minimum=0.0
    ),
    ColumnSpec(
        "repo_cre22_36_conditions_met", "bool", "A repo-style line meets CRE22.36 (CRE22.38).", default=False
    ),
    ColumnSpec(
        "core_market_participant",
        "bool",
        "The counterparty is a core market participant (CRE22.37).",
        default=False,
    ),
)
SA_LINE_COLUMNS = (
    *CRM_LINE_COLUMNS,
    _num("risk_weight", "SA risk weight of the obligor (before CRM).", "decimal", required=True, minimum=0.0),
)
FIRB_LINE_COLUMNS = (
    *CRM_LINE_COLUMNS,
    _cat(
        "obligor_group",
        ("corporate", "financial"),
        "CRE32.6: other corporates; sovereigns, banks, FIs.",
        default="corporate",
    ),
    _cat("seniority", ("senior", "subordinated"), "Seniority of the claim (CRE32.7).", default="senior"),
)


def validate_protection(protection: pd.DataFrame, position_ids: Iterable[str] | None = None) -> pd.DataFrame:
    """Check a protection table and return it normalised (categoricals, floats, flags, defaults).

    Beyond the column specifications: a debt security needs ``issuer_type`` (not ``securitisation``
    for a guarantee) and ``security_residual_maturity``; a fund needs ``fund_haircut``; a guarantee
    or credit derivative a provider type, an unrated bank provider its ``scra_grade`` (or
    ``provider_risk_weight``); an original maturity is not below the residual one; with
    ``position_ids`` every row must name one of them.

    Raises
    ------
    InputError
        Naming ``protection['<column>']``, the first offending rows and what is allowed.
    """
    frame = _validate_table(protection, PROTECTION_SCHEMA, "protection")
    security = _is(frame, "protection_type", "debt_security")
    _check(
        frame,
        security & _is(frame, "issuer_type", "none"),
        "issuer_type",
        "protection",
        "is 'none' on a debt security",
        ISSUER_TYPES[:-1],
    )
    maturity = frame["security_residual_maturity"].to_numpy()
    _check(
        frame,
        security & np.isnan(maturity),
        "security_residual_maturity",
        "protection",
        "is missing on a debt security (the haircut band needs it)",
        "a residual maturity in years",
    )
    fund = _is(frame, "protection_type", "ucits_fund")
    _check(
        frame,
        fund & np.isnan(frame["fund_haircut"].to_numpy()),
        "fund_haircut",
        "protection",
        "is missing on a fund (methodology C.26)",
        "0 <= fund_haircut <= 1",
    )
    guarantee = _is(frame, "protection_type", *GUARANTEE_TYPES)
    _check(
        frame,
        guarantee & ~_is(frame, "issuer_type", *PROVIDER_TYPES),
        "issuer_type",
        "protection",
        "is not an eligible protection provider (CRE22.76)",
        PROVIDER_TYPES,
    )
    unrated_bank = guarantee & _is(frame, "issuer_type", "bank") & _is(frame, "rating", "unrated")
    no_grade = unrated_bank & _is(frame, "scra_grade", "none")
    _check(
        frame,
        no_grade & np.isnan(frame["provider_risk_weight"].to_numpy()),
        "scra_grade",
        "protection",
        "is missing for an unrated bank provider (CRE20.21)",
        ["A", "B", "C"],
    )
    residual = frame["protection_residual_maturity"].to_numpy()
    original = frame["protection_original_maturity"].to_numpy()
    _check(
        frame,
        original < residual,
        "protection_original_maturity",
        "protection",
        "is below protection_residual_maturity",
        "original >= residual",
    )
    if position_ids is not None:
        known = pd.Index(pd.Series(list(position_ids), dtype="str")).unique()
        unknown = known.get_indexer(pd.Index(frame["position_id"])) < 0
        _check(
            frame, unknown, "position_id", "protection", "names no position", "a position_id of the positions"
        )
    return frame


def validate_crm_lines(lines: pd.DataFrame, approach: str = "sa") -> pd.DataFrame:
    """Check the credit lines handed to CRM (``SA_LINE_COLUMNS`` or ``FIRB_LINE_COLUMNS``).

    A lent debt security needs its issuer type and residual maturity; ``position_id`` is unique.
    """
    specs = SA_LINE_COLUMNS if approach == "sa" else FIRB_LINE_COLUMNS
    frame = _validate_table(lines, specs, "lines")
    duplicated = (
        np.zeros(len(frame), dtype=bool)
        if _increasing(frame["position_id"])
        else (frame["position_id"].duplicated().to_numpy())
    )
    _check(frame, duplicated, "position_id", "lines", "must be unique")
    lent = _is(frame, "lent_security_type", "debt_security")
    _check(
        frame,
        lent & _is(frame, "lent_security_issuer_type", "none"),
        "lent_security_issuer_type",
        "lines",
        "is 'none' on a lent debt security",
        ISSUER_TYPES[:-1],
    )
    _check(
        frame,
        lent & np.isnan(frame["lent_security_residual_maturity"].to_numpy()),
        "lent_security_residual_maturity",
        "lines",
        "is missing on a lent debt security",
    )
    return frame


def checked_crm_lines(lines: pd.DataFrame, approach: str = "sa") -> pd.DataFrame:
    """``validate_crm_lines`` without a second pass over columns already in their specification's form.

    Lines assembled from validated tables (the positions and the RWA table) have every column in
    form and unique ids: only the absent optional columns are added at their defaults. Any other
    table takes the full :func:`validate_crm_lines`.
    """
    specs = SA_LINE_COLUMNS if approach == "sa" else FIRB_LINE_COLUMNS
    given = [spec for spec in specs if spec.name in lines.columns]
    if (
        len(given) < sum(spec.required for spec in specs)
        or not all(_in_form(lines[spec.name], spec) for spec in given)
        or not (_increasing(lines["position_id"]) or lines["position_id"].is_unique)
    ):
        return validate_crm_lines(lines, approach)
    n = len(lines)
    columns = {s.name: lines[s.name].array if s.name in lines.columns else _default(s, n) for s in specs}
    return pd.DataFrame(columns, copy=False)


def _in_form(values: pd.Series, spec: ColumnSpec) -> bool:
    """The column is as ``_validate_table`` would return it (dtype, categories, bounds, no blanks)."""
    dtype = values.dtype
    if spec.dtype == "str":
        return isinstance(dtype, pd.StringDtype) and spec.name == "position_id" and not values.isna().any()
    if spec.dtype == "category":
        return (
            isinstance(dtype, pd.CategoricalDtype)
            and tuple(dtype.categories) == spec.allowed
            and not (values.cat.codes.to_numpy() < 0).any()
        )
    if spec.dtype == "bool":
        return dtype == np.dtype(bool)
    numbers = values.to_numpy()
    if dtype != np.float64 or np.isinf(numbers).any():
        return False
    if (spec.required or not np.isnan(spec.default)) and np.isnan(numbers).any():
        return False
    return not (
        (spec.minimum is not None and (numbers < spec.minimum).any())
        or (spec.maximum is not None and (numbers > spec.maximum).any())
    )


def protection_markdown() -> str:
    """The protection columns as a Markdown table (methodology 9.1 shows it)."""
    rows = ["| column | dtype | unit | allowed | default | meaning |", "|---|---|---|---|---|---|"]
    for spec in PROTECTION_SCHEMA:
        allowed = ", ".join(spec.allowed) if spec.allowed else _range(spec)
        default = "required" if spec.required else repr(spec.default)
        rows.append(
            f"| `{spec.name}` | {spec.dtype} | {spec.unit} | {allowed} | {default} | {spec.description} |"
        )
    return "\n".join(rows) + "\n"


def _range(spec: ColumnSpec) -> str:
    low = "" if spec.minimum is None else f"{spec.minimum:g} <= "
    high = "" if spec.maximum is None else f" <= {spec.maximum:g}"
    return f"{low}x{high}" if low or high else ""


def _increasing(ids: pd.Series) -> bool:
    """Sorted ids (as generated) are unique: one vectorised comparison instead of a hash table."""
    array = pa.array(ids.array)
    return len(array) < 2 or bool(pc.all(pc.less(array[:-1], array[1:])).as_py())


def _is(frame: pd.DataFrame, column: str, *values: str) -> np.ndarray:
    """Rows of a validated table whose categorical ``column`` is one of ``values`` (by codes)."""
    series = frame[column]
    codes = series.cat.codes.to_numpy()
    mask = np.zeros(len(codes), dtype=bool)
    for value in values:  # a comparison per value: faster than a set lookup on many rows
        mask |= codes == series.cat.categories.get_loc(value)
    return mask


def _check(
    frame: pd.DataFrame, mask: np.ndarray, column: str, table: str, reason: str, allowed: Any = None
) -> None:
    if mask.any():
        _fail(frame["position_id"], frame[column], mask, column, table, reason, allowed)


def _fail(
    ids: pd.Series, values: Any, mask: np.ndarray, column: str, table: str, reason: str, allowed: Any = None
) -> None:
    """Raise the ``InputError`` naming ``table[column]``, the first offending rows and what is allowed."""
    rows = np.flatnonzero(mask)[:5]
    cases = [f"row {i} ({ids.iat[i]}): {values.iat[i]!r}" for i in rows]
    raise InputError(
        f"{table}[{column!r}]", f"{reason} ({int(mask.sum())} rows)", failure_cases=cases, allowed=allowed
    )


def _validate_table(table: pd.DataFrame, specs: tuple[ColumnSpec, ...], name: str) -> pd.DataFrame:
    if not isinstance(table, pd.DataFrame):
        raise InputError(name, f"expected a pandas DataFrame, got {type(table).__name__}")
    required = [spec.name for spec in specs if spec.required]
    missing = [column for column in required if column not in table.columns]
    if missing:
        raise InputError(name, f"missing required columns {missing}", allowed=[s.name for s in specs])
    frame = table.reset_index(drop=True)
    ids = frame["position_id"]
    if not isinstance(ids.dtype, pd.StringDtype):
        ids = ids.astype("str")
    blank = (ids.isna() | (ids == "")).to_numpy(dtype=bool, na_value=True)
    if blank.any():
        _fail(ids, ids, blank, "position_id", name, "has empty values")
    columns: dict[str, Any] = {"position_id": ids}
    for spec in specs[1:]:
        if spec.name not in frame.columns:
            columns[spec.name] = _default(spec, len(frame))
        else:
            columns[spec.name] = _column(frame[spec.name], spec, name, ids)
    return pd.DataFrame(columns, copy=False)


def _default(spec: ColumnSpec, rows: int) -> Any:
    if spec.dtype == "category":
        return pd.Categorical.from_codes(
            np.full(rows, spec.allowed.index(spec.default), dtype=np.int8),
            dtype=pd.CategoricalDtype(list(spec.allowed)),
        )
    if spec.dtype == "bool":
        return np.full(rows, bool(spec.default))
    return np.full(rows, spec.default, dtype="float64")


def _column(values: pd.Series, spec: ColumnSpec, name: str, ids: pd.Series) -> Any:
    def check(mask: np.ndarray, reason: str, allowed: Any = None) -> None:
        if mask.any():
            _fail(ids, values, mask, spec.name, name, reason, allowed)

    missing = values.isna().to_numpy()
    if spec.required:
        check(missing, "has missing values", spec.allowed or None)
    if spec.dtype == "category":
        conforms = (
            isinstance(values.dtype, pd.CategoricalDtype) and tuple(values.cat.categories) == spec.allowed
        )
        if conforms and not missing.any():
            return values.array  # already in the specification's form: no string work
        text = values.astype("str").to_numpy()
        bad = ~missing & ~np.isin(text, spec.allowed)
        check(bad, "has values outside the allowed set", spec.allowed)
        fill = spec.allowed.index(spec.default) if spec.default in spec.allowed else 0  # required: no blanks
        codes = np.where(missing, fill, pd.Index(spec.allowed).get_indexer(pd.Index(text)))
        return pd.Categorical.from_codes(
            codes.astype(np.int16), dtype=pd.CategoricalDtype(list(spec.allowed))
        )
    if spec.dtype == "bool":
        if values.dtype == bool:
            return values.to_numpy()
        words = values.astype("str").str.strip().str.lower()
        mapping = FLAG_WORDS
        blank = missing | words.isin(BLANK_WORDS).to_numpy()
        bad = ~words.isin(list(mapping)).to_numpy() & ~blank
        check(bad, "is not a true/false flag", "True/False, 1/0, yes/no")
        return np.where(blank, bool(spec.default), words.map(mapping).to_numpy(dtype=object)).astype(bool)
    if values.dtype == np.float64:
        numbers = values.to_numpy()
    else:
        numbers = pd.to_numeric(values, errors="coerce").astype("float64").to_numpy()
    check(np.isnan(numbers) & ~missing, "is not numeric")
    check(np.isinf(numbers), "has infinite values", "finite numbers")
    if spec.minimum is not None:
        check(numbers < spec.minimum, f"must be >= {spec.minimum:g}")
    if spec.maximum is not None:
        check(numbers > spec.maximum, f"must be <= {spec.maximum:g}")
    blanks = np.isnan(numbers)
    return np.where(blanks, spec.default, numbers) if blanks.any() and not np.isnan(spec.default) else numbers
