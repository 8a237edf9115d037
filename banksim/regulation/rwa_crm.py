"""Credit risk mitigation in the RWA lines: SA CRM on SA lines and on every line's SA view, F-IRB LGD*.

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
from banksim.positions.protection import GUARANTEE_TYPES, validate_protection
from banksim.positions.validation import _conforms, validate_positions
from banksim.positions.vocabulary import CRM_TRANSACTION_TYPES, TRANSACTION_TYPES
from banksim.regulation._frame import categorical, is_in
from banksim.regulation.crm import APPROACHES, COMPREHENSIVE_COLLATERAL, credit_risk_mitigation
from banksim.regulation.crm_allocation import item_lines, per_line
from banksim.regulation.crm_irb import firb_collateral_lgd
from banksim.regulation.irb import irb_risk_weights
from banksim.regulation.rwa import CREDIT_COLUMNS

__all__ = ["CRM_RWA_COLUMNS", "apply_crm", "neutral_crm_columns"]

# The columns CRM adds to every RWA line (methodology 9.10), and the CRM inputs read from positions.
CRM_RWA_COLUMNS = (
    "exposure_before_crm",
    "exposure_after_crm",
    "collateral_covered",
    "guaranteed",
    "unprotected",
    "he",
    "hc",
    "hfx",
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


def neutral_crm_columns(rwa: pd.DataFrame) -> pd.DataFrame:
    """``rwa`` with the CRM columns of lines without protection: nothing covered, nothing changed."""
    exposure = rwa["exposure"].to_numpy()
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
        "rwa_before_crm": rwa["rwa"].to_numpy(),
        "rwa_standardised_before_crm": rwa["rwa_standardised"].to_numpy(),
        "crm_rule": empty,
        "sa_crm_rule": empty,
    }
    return rwa.assign(**{name: columns[name] for name in CRM_RWA_COLUMNS})


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
        in ``lgd_used``, ``k`` and ``rwa``; every protected credit line's ``rwa_standardised`` (the
        output floor's SA view) takes SA CRM; supporting factors apply after CRM (methodology 9.10).
    """
    out = neutral_crm_columns(rwa)
    approach = params["crm"]["approach"]
    if approach not in APPROACHES:
        raise InputError(
            "parameters['crm']['approach']", f"unknown CRM approach {approach!r}", allowed=APPROACHES
        )
    if protection is None:
        return out
    table = validate_protection(protection)
    if table.empty:
        return out
    credit_rows = np.flatnonzero(is_in(out, "risk_type", "credit"))
    position_rows = np.flatnonzero(is_in(positions, "side", "asset", "off_balance"))
    if len(position_rows) != len(credit_rows):
        raise InputError("rwa", "does not match the positions (credit lines differ)")
    touched, table = _protected_lines(out[["position_id"]].take(credit_rows), table)
    lines = _line_positions(positions, position_rows[touched], LINE_INPUTS)
    rows = credit_rows[touched]
    standardised = _standardised_view(out, rows, lines, table, approach, params)
    irb = ~is_in(out.iloc[rows], "approach", "sa")
    _sa_lines(out, rows[~irb], standardised.loc[~irb])
    if irb.any():
        irb_lines = _line_positions(positions, position_rows[touched[irb]], (*LINE_INPUTS, *CREDIT_COLUMNS))
        _firb_lines(out, rows[irb], irb_lines, table, params)
    return out


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


def _protected_lines(credit: pd.DataFrame, table: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    """Indices (into ``credit``) of the lines with protection; every protection row must name one."""
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
    return np.flatnonzero(np.bincount(line, minlength=len(credit))), kept


def _crm_lines(lines: pd.DataFrame, exposure: np.ndarray) -> pd.DataFrame:
    """The line inputs of CRM from positions (methodology 9.10: 'auto' -> repo_style for reverse repos)."""
    frame = lines[list(LINE_INPUTS)]
    codes = frame["transaction_type"].cat.codes.to_numpy()  # CRM_TRANSACTION_TYPES: TRANSACTION_TYPES + auto
    repo = is_in(frame, "product", "reverse_repo")
    auto = codes == CRM_TRANSACTION_TYPES.index("auto")
    kind = np.where(auto, np.where(repo, TRANSACTION_TYPES.index("repo_style"), 0), codes)
    return frame.drop(columns="product").assign(
        exposure=exposure, transaction_type=categorical(kind, TRANSACTION_TYPES)
    )


def _standardised_view(
    out: pd.DataFrame,
    rows: np.ndarray,
    lines: pd.DataFrame,
    table: pd.DataFrame,
    approach: str,
    params: Mapping[str, Any],
) -> pd.DataFrame:
    """SA CRM on the SA view of the protected lines: ``rwa_standardised``, and for SA lines the
    exposure columns (CRE22; the supporting factor of the line scales the CRM RWA)."""
    exposure = out["sa_exposure"].to_numpy()[rows]
    rw = out["sa_risk_weight"].to_numpy()[rows]
    sa_lines = _crm_lines(lines, exposure).assign(risk_weight=rw)
    result = credit_risk_mitigation(sa_lines, table, approach, params).lines
    before = out["rwa_standardised"].to_numpy()[rows]
    plain = exposure * rw
    with np.errstate(invalid="ignore", divide="ignore"):
        factor = np.where(plain > 0, before / plain, 1.0)
    _set(out, "rwa_standardised", rows, result["rwa"].to_numpy() * factor)
    out["sa_crm_rule"] = _rule_column(out["sa_crm_rule"], rows, result["crm_rule"])
    return result


def _sa_lines(out: pd.DataFrame, rows: np.ndarray, own: pd.DataFrame) -> None:
    """SA lines: their own RWA is the SA view's (CRE22), with its exposure, cover and haircut columns."""
    _set(out, "rwa", rows, out["rwa_standardised"].to_numpy()[rows])
    for column, source in (
        ("exposure_after_crm", "exposure_after_crm"),
        ("collateral_covered", "collateral_covered"),
        ("guaranteed", "guaranteed"),
        ("unprotected", "unprotected"),
        ("he", "he"),
        ("hc", "hc"),
        ("hfx", "hfx"),
    ):
        _set(out, column, rows, own[source].to_numpy())
    out["crm_rule"] = _rule_column(out["crm_rule"], rows, own["crm_rule"])


def _firb_lines(
    out: pd.DataFrame, rows: np.ndarray, lines: pd.DataFrame, table: pd.DataFrame, params: Mapping[str, Any]
) -> None:
    """Performing foundation lines: LGD* of CRE32.10-14 scales K and RWA (K is linear in LGD); other
    IRB lines keep their own RWA (A-IRB: own LGD; IRB guarantees not recognised; methodology 9.10)."""
    ead = out["exposure"].to_numpy()[rows]
    irb = irb_risk_weights(lines, ead, params)
    foundation = irb["irb_foundation"].to_numpy() & (irb["pd_used"].to_numpy() < 1)
    if not foundation.any():
        return
    financial = is_in(irb, "irb_class", "bank", "sovereign") | lines["large_financial_institution"].to_numpy()
    rows, lines, ead = rows[foundation], lines.loc[foundation], ead[foundation]
    lgd_used = out["lgd_used"].to_numpy()[rows]
    collateral = table.loc[~is_in(table, "protection_type", *GUARANTEE_TYPES)]
    frame = _crm_lines(lines, ead).assign(
        obligor_group=np.where(financial[foundation], "financial", "corporate"),
        seniority=np.where(is_in(lines, "exposure_class", "subordinated_debt"), "subordinated", "senior"),
    )
    result = firb_collateral_lgd(frame, collateral, params)
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
        _set(out, column, rows, out[column].to_numpy()[rows] * scale)
    _set(out, "lgd_used", rows, lgd_star)
    _set(out, "collateral_covered", rows, firb["secured_exposure"].to_numpy()[changed])
    _set(out, "unprotected", rows, unsecured[changed])
    _set(out, "he", rows, firb["he"].to_numpy()[changed])
    hc, hfx = _item_haircuts(items, frame, len(frame))
    _set(out, "hc", rows, hc[changed])
    _set(out, "hfx", rows, hfx[changed])
    out["crm_rule"] = _rule_column(out["crm_rule"], rows, firb["crm_rule"].loc[changed])


def _item_haircuts(items: pd.DataFrame, lines: pd.DataFrame, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Value-weighted Hc and Hfx of each line's recognised financial collateral; NaN if none."""
    line, _ = item_lines(lines[["position_id"]], items)
    used = items["recognised"].to_numpy() & is_in(items, "protection_type", *COMPREHENSIVE_COLLATERAL)
    amount = np.where(used, items["amount"].to_numpy(), 0.0)
    total = per_line(line, amount, n)
    with np.errstate(invalid="ignore", divide="ignore"):
        hc = per_line(line, amount * np.nan_to_num(items["haircut"].to_numpy()), n) / total
        hfx = per_line(line, amount * np.nan_to_num(items["fx_haircut"].to_numpy()), n) / total
    return np.where(total > 0, hc, np.nan), np.where(total > 0, hfx, np.nan)


def _set(out: pd.DataFrame, column: str, rows: np.ndarray, values: np.ndarray) -> None:
    array = out[column].to_numpy().copy()
    array[rows] = values
    out[column] = array


def _rule_column(column: pd.Series, rows: np.ndarray, rules: pd.Series) -> Any:
    """``column`` with the CRM paragraphs ``rules`` on ``rows`` (categorical, by codes)."""
    categories = list(dict.fromkeys([*column.cat.categories, *rules.cat.categories]))
    codes = column.cat.set_categories(categories).cat.codes.to_numpy().copy()
    codes[rows] = rules.cat.set_categories(categories).cat.codes.to_numpy()
    return categorical(codes, categories)
