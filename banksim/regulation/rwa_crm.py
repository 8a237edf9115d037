"""Credit risk mitigation in the RWA lines: SA CRM on SA lines and every SA view, F-IRB LGD*, IRB guarantees.

``apply_crm`` adds the CRM columns (``CRM_RWA_COLUMNS``) to the table of ``risk_weighted_assets``;
without protection they hold neutral values and no number changes (methodology 9.10).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from banksim.errors import InputError
from banksim.positions.columns import REQUIRED_COLUMNS, SCHEMA_BY_NAME
from banksim.positions.protection import GUARANTEE_TYPES, checked_crm_lines, validate_protection
from banksim.positions.validation import _conforms, validate_positions
from banksim.positions.vocabulary import CRM_TRANSACTION_TYPES, TRANSACTION_TYPES
from banksim.regulation._frame import categorical, codes_among, is_in
from banksim.regulation.crm import APPROACHES, COMPREHENSIVE_COLLATERAL, mitigate_matched
from banksim.regulation.crm_allocation import item_lines, per_line, subset_items
from banksim.regulation.crm_irb import firb_lgd_matched

__all__ = ["CRM_RWA_COLUMNS", "apply_crm", "neutral_crm_columns"]

# An SA line's exposure, cover and haircut columns, taken from the SA view (CRE22).
SA_VIEW_COLUMNS = ("exposure_after_crm", "collateral_covered", "guaranteed", "unprotected", "he", "hc", "hfx")
# The columns CRM adds to every RWA line (methodology 9.10), and the CRM inputs read from positions.
CRM_RWA_COLUMNS = (
    "exposure_before_crm",
    *SA_VIEW_COLUMNS,
    "rwa_before_crm",
    "rwa_standardised_before_crm",
    "crm_rule",
    "sa_crm_rule",
)
LINE_INPUTS = (
    "position_id",
    "product",
    "currency",
    "residual_maturity",
    "transaction_type",
    "remargining_days",
    "repo_cre22_36_conditions_met",
    "core_market_participant",
)

# The CRM columns an SA line takes from its SA view (CRE22).
SA_LINE_OUTPUTS = ("exposure_after_crm", "collateral_covered", "guaranteed", "unprotected", "he", "hc", "hfx")
SA_VIEW_OUTPUTS = ("rwa", "crm_rule", *SA_LINE_OUTPUTS)  # what the RWA lines read of SA CRM
IRB_GUARANTEE_RULE = "CRE32.24(3)"  # the covered part of an IRB line at the provider's SA weight
TRANSACTION_DTYPE = pd.CategoricalDtype(list(TRANSACTION_TYPES))  # built once (CRE22.57)
OBLIGOR_GROUP_DTYPE = pd.CategoricalDtype(["corporate", "financial"])  # CRE32.6
SENIORITY_DTYPE = pd.CategoricalDtype(["senior", "subordinated"])  # CRE32.7
IRB_INPUTS = ("large_financial_institution", "annual_sales")  # which IRB lines are foundation


class _Columns:
    """Columns of the RWA table changed on some rows: each copied once, written in place, put back once."""

    def __init__(self, out: pd.DataFrame) -> None:
        self.out = out
        self.changed: dict[str, Any] = {}

    def get(self, column: str, rows: np.ndarray) -> np.ndarray:
        """The current values of ``column`` on ``rows``."""
        values = self.changed[column] if column in self.changed else self.out[column].to_numpy()
        return np.asarray(values)[rows]

    def is_in(self, column: str, rows: np.ndarray, *names: str) -> np.ndarray:
        """Whether the categorical ``column`` is one of ``names`` on ``rows`` (the rows' codes only)."""
        values = self.out[column].array  # a Categorical: its codes, no copy
        wanted = [int(values.categories.get_loc(name)) for name in names if name in values.categories]
        return codes_among(values.codes[rows], wanted)

    def set(self, column: str, rows: np.ndarray, values: np.ndarray) -> None:
        """Write ``values`` on ``rows`` of ``column``."""
        if column not in self.changed:
            self.changed[column] = self.out[column].to_numpy().copy()
        self.changed[column][rows] = values

    def rules(self, column: str, rows: np.ndarray, rules: pd.Series) -> None:
        """Put the CRM paragraphs ``rules`` on ``rows`` of the categorical ``column``."""
        current = self.changed.get(column, self.out[column].array)
        self.changed[column] = _rule_column(pd.Series(current, copy=False), rows, rules)

    def append_rules(
        self, column: str, rows: np.ndarray, heads: tuple[str, ...], head: np.ndarray, rules: pd.Series
    ) -> None:
        """Append ``heads[head]`` and the paragraphs ``rules`` to those already on ``rows`` of ``column``
        (each distinct combination joined once, by codes)."""
        current = pd.Series(self.changed.get(column, self.out[column].array), copy=False)
        names, added = current.cat.categories, rules.cat.categories
        key = current.cat.codes.to_numpy()[rows].astype(np.int64) * len(added) + rules.cat.codes.to_numpy()
        unique, inverse = np.unique(key * len(heads) + head, return_inverse=True)
        labels = []
        for k in (int(u) for u in unique):
            parts = (
                str(names[k // len(heads) // len(added)]),
                heads[k % len(heads)],
                str(added[k // len(heads) % len(added)]),
            )
            labels.append(", ".join(part for part in parts if part))
        distinct = list(dict.fromkeys(labels))
        codes = np.array([distinct.index(label) for label in labels], dtype=np.int32)[inverse]
        self.rules(column, rows, pd.Series(categorical(codes, distinct), copy=False))

    def frame(self) -> pd.DataFrame:
        """The table with the changed columns."""
        if not self.changed:
            return self.out
        columns = {name: self.changed.get(name, self.out[name]) for name in self.out.columns}
        return pd.DataFrame(columns, index=self.out.index, copy=False)  # copy-on-write keeps it safe


def neutral_crm_columns(rwa: pd.DataFrame) -> pd.DataFrame:
    """``rwa`` with the CRM columns of lines without protection: nothing covered, nothing changed."""
    exposure = rwa["exposure"]
    n = len(rwa)
    empty = categorical(np.zeros(n, dtype=np.int8), [""])
    columns = {
        "exposure_before_crm": exposure,
        "exposure_after_crm": exposure,
        "collateral_covered": np.zeros(n),
        "guaranteed": np.zeros(n),
        "unprotected": exposure,
        "he": np.zeros(n),
        "hc": np.full(n, np.nan),
        "hfx": np.full(n, np.nan),
        "rwa_before_crm": rwa["rwa"],
        "rwa_standardised_before_crm": rwa["rwa_standardised"],
        "crm_rule": empty,
        "sa_crm_rule": empty.copy(),
    }
    table = {name: rwa[name] for name in rwa.columns} | {name: columns[name] for name in CRM_RWA_COLUMNS}
    return pd.DataFrame(table, index=rwa.index, copy=False)  # shared columns: copy-on-write keeps them apart


def apply_crm(
    rwa: pd.DataFrame,
    positions: pd.DataFrame,
    protection: pd.DataFrame | None,
    params: Mapping[str, Any],
) -> pd.DataFrame:
    """The RWA table with credit risk mitigation applied to the credit lines a protection row names.

    Parameters
    ----------
    rwa : DataFrame
        The result of ``risk_weighted_assets(positions, params)`` (credit lines first, in the
        order of the positions' asset and off-balance lines).
    positions : DataFrame
        The positions it was computed from (the protected lines are validated and their CRM
        inputs read).
    protection : DataFrame or None
        The protection table (``PROTECTION_SCHEMA``); None or empty: neutral CRM columns only.
    params : mapping
        The resolved parameters (``params['crm']['approach']`` chooses the SA approach).

    Returns
    -------
    DataFrame
        ``rwa`` with :data:`CRM_RWA_COLUMNS`: SA lines take SA CRM in ``rwa``; F-IRB lines LGD*
        in ``lgd_used``, ``k`` and ``rwa``; guarantees and credit derivatives on IRB lines take
        the provider's SA risk weight on the covered part (CRE32.24(3), methodology C.47); every
        protected credit line's ``rwa_standardised`` (the output floor's SA view) takes SA CRM;
        supporting factors apply after CRM (methodology 9.10).
    """
    out = neutral_crm_columns(rwa)
    approach = params["crm"]["approach"]
    if approach not in APPROACHES:
        raise InputError(
            "parameters['crm']['approach']", f"unknown CRM approach {approach!r}", allowed=APPROACHES
        )
    if protection is None:
        return out
    table = validate_protection(protection)  # once: the steps below take it as checked
    if table.empty:
        return out
    credit_rows = np.flatnonzero(is_in(out, "risk_type", "credit"))
    position_rows = np.flatnonzero(is_in(positions, "side", "asset", "off_balance"))
    if len(position_rows) != len(credit_rows):
        raise InputError("rwa", "does not match the positions (credit lines differ)")
    touched, line, table = _protected_lines(_ids(out, credit_rows), table)
    lines = _line_positions(positions, position_rows[touched], (*LINE_INPUTS, *IRB_INPUTS))
    rows = credit_rows[touched]
    columns = _Columns(out)
    standardised = _standardised_view(columns, rows, lines, table, line, approach, params)
    irb = ~is_in(out, "approach", "sa")[rows]
    _sa_lines(columns, rows[~irb], standardised.loc[~irb])
    if irb.any():
        irb_lines = lines.loc[irb].reset_index(drop=True)
        foundation = _foundation(columns, rows[irb], irb_lines, params)
        _firb_lines(columns, rows[irb], irb_lines, foundation, _Items(table, line, irb), params)
        _irb_guarantees(columns, rows[irb], irb_lines, foundation, _Items(table, line, irb), params)
    return columns.frame()


def _ids(out: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    """The ``position_id`` of ``rows`` (a slice, no copy, when they are one run: credit lines first)."""
    ids = out["position_id"].array
    if len(rows) and rows[-1] - rows[0] == len(rows) - 1:
        return pd.DataFrame({"position_id": ids[rows[0] : rows[-1] + 1]}, copy=False)
    return pd.DataFrame({"position_id": ids.take(rows)}, copy=False)


def _line_positions(positions: pd.DataFrame, rows: np.ndarray, names: tuple[str, ...]) -> pd.DataFrame:
    """The validated positions rows of the protected lines, with the columns ``names`` only."""
    columns = list(dict.fromkeys(c for c in names if c in positions.columns))
    subset = pd.DataFrame({name: positions[name].array.take(rows) for name in columns}, copy=False)
    if (
        len(columns) == len(dict.fromkeys(names))
        and all(_conforms(subset[name], SCHEMA_BY_NAME[name]) for name in columns if name != "position_id")
        and isinstance(subset["position_id"].dtype, pd.StringDtype)
    ):
        return subset  # a validated table (the generator's, a validated frame): no second pass
    required = [c for c in REQUIRED_COLUMNS if c in positions.columns and c not in subset.columns]
    given = subset.assign(**{name: positions[name].array.take(rows) for name in required})
    return validate_positions(given)[list(dict.fromkeys(names))]  # a user's table, as validated for RWA


def _protected_lines(
    credit: pd.DataFrame, table: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Indices (into ``credit``) of the lines with protection, each item's index among them, and the
    items; every protection row must name a credit line."""
    line, kept = item_lines(credit, table)
    if len(kept) < len(table):
        unknown = ~table["position_id"].isin(kept["position_id"]).to_numpy()
        cases = [f"row {i}: {table['position_id'].iat[i]!r}" for i in np.flatnonzero(unknown)[:5]]
        raise InputError(
            "protection['position_id']",
            f"names no credit line of the positions ({int(unknown.sum())} rows)",
            failure_cases=cases,
            allowed="the position_id of an asset or off-balance line",
        )
    present = np.bincount(line, minlength=len(credit)) > 0
    return np.flatnonzero(present), (np.cumsum(present) - 1)[line], kept


def _crm_lines(lines: pd.DataFrame, exposure: np.ndarray) -> pd.DataFrame:
    """The line inputs of CRM from positions (methodology 9.10: 'auto' -> repo_style for reverse repos)."""
    codes = lines["transaction_type"].cat.codes.to_numpy()  # CRM_TRANSACTION_TYPES: TRANSACTION_TYPES + auto
    repo = is_in(lines, "product", "reverse_repo")
    auto = codes == CRM_TRANSACTION_TYPES.index("auto")
    kind = np.where(auto, np.where(repo, TRANSACTION_TYPES.index("repo_style"), 0), codes)
    columns = {name: lines[name].array for name in LINE_INPUTS if name != "product"}
    columns |= {
        "exposure": exposure,
        "transaction_type": pd.Categorical.from_codes(kind, dtype=TRANSACTION_DTYPE),
    }
    return pd.DataFrame(columns, copy=False)


def _standardised_view(
    out: _Columns,
    rows: np.ndarray,
    lines: pd.DataFrame,
    table: pd.DataFrame,
    line: np.ndarray,
    approach: str,
    params: Mapping[str, Any],
) -> pd.DataFrame:
    """SA CRM on the SA view of the protected lines: ``rwa_standardised``, and for SA lines the
    exposure columns (CRE22; the supporting factor of the line scales the CRM RWA)."""
    exposure = out.get("sa_exposure", rows)
    rw = out.get("sa_risk_weight", rows)
    sa_lines = checked_crm_lines(_crm_lines(lines, exposure).assign(risk_weight=rw), "sa")
    result = mitigate_matched(sa_lines, table, line, approach, params, SA_VIEW_OUTPUTS).lines
    before = out.get("rwa_standardised", rows)
    plain = exposure * rw
    with np.errstate(invalid="ignore", divide="ignore"):
        factor = np.where(plain > 0, before / plain, 1.0)
    out.set("rwa_standardised", rows, result["rwa"].to_numpy() * factor)
    out.rules("sa_crm_rule", rows, result["crm_rule"])
    return result


def _sa_lines(out: _Columns, rows: np.ndarray, own: pd.DataFrame) -> None:
    """SA lines: their own RWA is the SA view's (CRE22), with its exposure, cover and haircut columns."""
    out.set("rwa", rows, out.get("rwa_standardised", rows))
    for column in SA_VIEW_COLUMNS:
        out.set(column, rows, own[column].to_numpy())
    out.rules("crm_rule", rows, own["crm_rule"])


class _Items:
    """The protection items of the worked lines and the subset of those lines a step works on."""

    def __init__(self, items: pd.DataFrame, line: np.ndarray, subset: np.ndarray) -> None:
        self.items, self.line, self.subset = items, line, subset  # ``subset``: a mask over the lines
        self.position = np.cumsum(subset) - 1  # index of each line within the subset

    def lines_with(self, item_mask: np.ndarray) -> np.ndarray:
        """Which lines of the subset have an item in ``item_mask``."""
        inside = item_mask & self.subset[self.line]
        counts = np.bincount(self.position[self.line[inside]], minlength=int(self.subset.sum()))
        return counts > 0

    def of(self, keep: np.ndarray, item_mask: np.ndarray) -> tuple[np.ndarray, pd.DataFrame]:
        """The items in ``item_mask`` of the subset's lines in ``keep``, with their index among them."""
        chosen = np.zeros(len(self.subset), dtype=bool)
        chosen[np.flatnonzero(self.subset)[keep]] = True
        return subset_items(self.line, self.items, chosen, item_mask)


def _foundation(
    out: _Columns, rows: np.ndarray, lines: pd.DataFrame, params: Mapping[str, Any]
) -> np.ndarray:
    """IRB lines under F-IRB, as ``irb_risk_weights`` decides (methodology C.2): ``approach`` 'firb',
    or a bank, a large financial institution or a corporate above the A-IRB sales limit (CRE30.34)."""
    bank, corporate = (out.is_in("irb_class", rows, name) for name in ("bank", "corporate"))
    wholesale = out.is_in("irb_class", rows, "bank", "corporate", "sovereign")
    large_fi = lines["large_financial_institution"].to_numpy()
    large_corporate = corporate & (lines["annual_sales"].to_numpy() > params["irb"]["large_corporate_sales"])
    firb = out.is_in("approach", rows, "firb")
    return firb | (wholesale & (bank | large_fi | large_corporate))


def _firb_lines(
    out: _Columns,
    rows: np.ndarray,
    lines: pd.DataFrame,
    foundation: np.ndarray,
    table: _Items,
    params: Mapping[str, Any],
) -> None:
    """Performing foundation lines: LGD* of CRE32.10-14 scales K and RWA (K is linear in LGD); other
    IRB lines keep their own LGD against collateral (A-IRB: own LGD; methodology 9.10)."""
    foundation = foundation & (out.get("pd_used", rows) < 1)
    if not foundation.any():
        return
    financial = (
        out.is_in("irb_class", rows, "bank", "sovereign") | lines["large_financial_institution"].to_numpy()
    )
    subordinated = out.is_in("exposure_class", rows, "subordinated_debt")
    rows, lines = rows[foundation], lines.loc[foundation]
    ead, lgd_used = out.get("exposure", rows), out.get("lgd_used", rows)
    line, items = table.of(foundation, ~is_in(table.items, "protection_type", *GUARANTEE_TYPES))
    frame = _crm_lines(lines, ead).assign(  # FIRB_LINE_COLUMNS' categories (CRE32.6-7)
        obligor_group=pd.Categorical.from_codes(
            financial[foundation].astype(np.int8), dtype=OBLIGOR_GROUP_DTYPE
        ),
        seniority=pd.Categorical.from_codes(subordinated[foundation].astype(np.int8), dtype=SENIORITY_DTYPE),
    )
    frame = checked_crm_lines(frame.reset_index(drop=True), "firb")
    result = firb_lgd_matched(frame, items, line, params)
    firb, items = result.lines, result.items
    capacity = firb["secured_exposure"].to_numpy() + firb["unsecured_exposure"].to_numpy()
    unsecured = firb["unsecured_exposure"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):  # LGD_U is the IRB rule's own LGD (methodology 9.10)
        shift = np.where(
            capacity > 0, (lgd_used - firb["lgd_unsecured"].to_numpy()) * unsecured / capacity, 0.0
        )
        lgd_star = firb["lgd_star"].to_numpy() + shift
        scale = np.where(lgd_used > 0, lgd_star / lgd_used, 1.0)
    changed = firb["secured_exposure"].to_numpy() > 0
    rows, scale, lgd_star = rows[changed], scale[changed], lgd_star[changed]
    for column in ("rwa", "k", "risk_weight"):
        out.set(column, rows, out.get(column, rows) * scale)
    out.set("lgd_used", rows, lgd_star)
    out.set("collateral_covered", rows, firb["secured_exposure"].to_numpy()[changed])
    out.set("unprotected", rows, unsecured[changed])
    out.set("he", rows, firb["he"].to_numpy()[changed])
    hc, hfx = _item_haircuts(items, line, len(frame))
    out.set("hc", rows, hc[changed])
    out.set("hfx", rows, hfx[changed])
    out.rules("crm_rule", rows, firb["crm_rule"].loc[changed])


def _irb_guarantees(
    out: _Columns,
    rows: np.ndarray,
    lines: pd.DataFrame,
    foundation: np.ndarray,
    table: _Items,
    params: Mapping[str, Any],
) -> None:
    """Guarantees and credit derivatives on IRB lines: substitution (CRE32.22-28, methodology C.47).

    The covered part of the EAD still at the obligor's unsecured LGD takes the provider's SA risk
    weight (CRE32.24(3)), the rest keeps the line's own (CRE32.25); G', Hfx, MF and the no-benefit
    rule are those of the SA (CRE32.23, CRE32.26, methodology 9.6); the line's supporting factor
    applies after (as on SA lines). A-IRB lines take the same treatment (CRE32.28).
    """
    guarantee = is_in(table.items, "protection_type", *GUARANTEE_TYPES)
    has = table.lines_with(guarantee)
    if not has.any():
        return
    line, items = table.of(has, guarantee)
    foundation = foundation[has]
    rows, lines = rows[has], lines.loc[has]
    ead, factor = out.get("exposure", rows), out.get("supporting_factor", rows)
    he, unprotected = out.get("he", rows), out.get("unprotected", rows)
    with np.errstate(invalid="ignore", divide="ignore"):  # per unit of EAD, before the factor
        unsecured_rw = np.where(ead * factor > 0, out.get("rwa_before_crm", rows) / (ead * factor), 0.0)
    covered_amount = unprotected / (1 + he)  # E_g: the EAD still at the unsecured LGD (C.47)
    frame = _crm_lines(lines, covered_amount).assign(risk_weight=unsecured_rw)
    frame = checked_crm_lines(frame.reset_index(drop=True), "sa")
    result = mitigate_matched(frame, items, line, "comprehensive", params, SA_VIEW_OUTPUTS).lines
    guaranteed = result["guaranteed"].to_numpy()
    changed = guaranteed > 0
    if not changed.any():
        return
    before = out.get("rwa", rows)
    after = before + (result["rwa"].to_numpy() - covered_amount * unsecured_rw) * factor  # CRE32.24-25
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(before > 0, after / before, 1.0)
    rows, scale, foundation = rows[changed], scale[changed], foundation[changed]
    for column in ("k", "risk_weight"):
        out.set(column, rows, out.get(column, rows) * scale)
    out.set("rwa", rows, after[changed])
    out.set("guaranteed", rows, guaranteed[changed])
    out.set("unprotected", rows, (unprotected - guaranteed * (1 + he))[changed])
    heads = (IRB_GUARANTEE_RULE, f"CRE32.28, {IRB_GUARANTEE_RULE}")  # A-IRB lines: the F-IRB option
    out.append_rules("crm_rule", rows, heads, (~foundation).astype(np.int64), result["crm_rule"].loc[changed])


def _item_haircuts(items: pd.DataFrame, line: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Value-weighted Hc and Hfx of each line's recognised financial collateral; NaN if none."""
    used = items["recognised"].to_numpy() & is_in(items, "protection_type", *COMPREHENSIVE_COLLATERAL)
    amount = np.where(used, items["amount"].to_numpy(), 0.0)
    total = per_line(line, amount, n)
    with np.errstate(invalid="ignore", divide="ignore"):
        hc = per_line(line, amount * np.nan_to_num(items["haircut"].to_numpy()), n) / total
        hfx = per_line(line, amount * np.nan_to_num(items["fx_haircut"].to_numpy()), n) / total
    return np.where(total > 0, hc, np.nan), np.where(total > 0, hfx, np.nan)


def _rule_column(column: pd.Series, rows: np.ndarray, rules: pd.Series) -> Any:
    """``column`` with the CRM paragraphs ``rules`` on ``rows`` (categorical, by codes: the column's
    categories stay first, so its codes stand)."""
    added = [str(c) for c in rules.cat.categories]
    categories = list(dict.fromkeys([*column.cat.categories, *added]))
    position = {name: i for i, name in enumerate(categories)}
    codes = column.cat.codes.to_numpy().astype(np.int32)
    codes[rows] = np.array([position[name] for name in added], dtype=np.int32)[rules.cat.codes.to_numpy()]
    return categorical(codes, categories)
