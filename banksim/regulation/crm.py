"""Credit risk mitigation for SA lines (CRE22): netting, collateral (simple or comprehensive), guarantees.

``credit_risk_mitigation`` takes credit lines and a protection table and returns one row per line
(exposure before and after CRM, protected parts, haircuts, RWA, paragraphs) and one per item.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from banksim.errors import InputError
from banksim.positions.protection import (
    FINANCIAL_COLLATERAL,
    GUARANTEE_TYPES,
    PROTECTION_TYPES,
    validate_crm_lines,
    validate_protection,
)
from banksim.regulation._frame import is_in
from banksim.regulation.crm_allocation import allocate, item_lines, per_line, rule_labels
from banksim.regulation.crm_haircuts import (
    collateral_risk_weight,
    fx_haircut,
    holding_period_scaling,
    lent_security_haircut,
    maturity_mismatch_factor,
    provider_risk_weight,
    supervisory_haircut,
)
from banksim.regulation.crm_parameters import CRM_PARAMETERS

__all__ = [
    "APPROACHES",
    "LINE_COLUMNS",
    "CrmResult",
    "credit_risk_mitigation",
    "crm_parameters",
    "mitigate_matched",
]

APPROACHES = ("comprehensive", "simple")  # CRE22.18-19, methodology C.25
COMPREHENSIVE_COLLATERAL = FINANCIAL_COLLATERAL  # CRE22.34, CRE22.45: eligible in the comprehensive approach
SIMPLE_COLLATERAL = ("cash", "gold", "debt_security", "equity_main_index")  # methodology C.26
# The columns of ``CrmResult.lines`` (methodology 9.8).
LINE_COLUMNS = (
    "position_id",
    "exposure",
    "netting_amount",
    "exposure_after_netting",
    "he",
    "hc",
    "hfx",
    "collateral_value",
    "collateral_covered",
    "exposure_after_collateral",
    "guaranteed",
    "unprotected",
    "exposure_after_crm",
    "risk_weight",
    "risk_weight_after_crm",
    "rwa_without_crm",
    "rwa",
    "crm_rule",
)
# The paragraphs a line's ``crm_rule`` may list, in the order of the steps (methodology 9.8).
RULE_ORDER = (
    "CRE22.69",
    "CRE22.46",
    "CRE22.49",
    "CRE22.52",
    "CRE22.54",
    "CRE22.59",
    "CRE22.33",
    "CRE22.38",
    "CRE22.39(1)",
    "CRE22.39(2)",
    "CRE22.13",
    "CRE22.80",
    "CRE22.75",
    "CRE22.82",
)


@dataclass(frozen=True)
class CrmResult:
    """CRM per credit line (``lines``) and per protection item (``items``); methodology 9.8."""

    lines: pd.DataFrame
    items: pd.DataFrame


def crm_parameters(parameters: Mapping[str, Any] | None) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    """The CRM parameters (``parameters['crm']``, else ``CRM_PARAMETERS``) and the SA tables
    (``parameters['sa']``, else the defaults); a resolved parameter set carries both."""
    from banksim.regulation.parameters import DEFAULT_PARAMETERS

    given = parameters if parameters is not None else {}
    return given.get("crm", CRM_PARAMETERS), given.get("sa", DEFAULT_PARAMETERS["sa"])


def credit_risk_mitigation(
    lines: pd.DataFrame,
    protection: pd.DataFrame,
    approach: str | None = None,
    parameters: Mapping[str, Any] | None = None,
) -> CrmResult:
    """Apply on-balance netting, collateral and guarantees to SA credit lines (methodology 9, C.25).

    Parameters
    ----------
    lines : DataFrame
        One row per SA credit line: ``position_id``, ``exposure`` (E after CCF and provisions),
        ``risk_weight`` (the obligor's SA RW), ``currency``, ``residual_maturity`` and the optional
        CRM columns of ``banksim.positions.protection.SA_LINE_COLUMNS``.
    protection : DataFrame
        The protection table (``PROTECTION_SCHEMA``); rows of positions not in ``lines`` are ignored.
    approach : {"comprehensive", "simple"}, optional
        The bank's collateral approach (CRE22.19); default ``CRM_PARAMETERS['approach']``.
    parameters : mapping, optional
        Regulatory parameters (resolved, as ``regulatory_parameters`` returns them): the CRM
        numbers from ``parameters['crm']``, the SA risk-weight tables of the collateral and
        providers from ``parameters['sa']``.

    Returns
    -------
    CrmResult
        ``lines``: exposure before/after netting, collateral and CRM, the haircuts (He, the
        value-weighted Hc and Hfx of the recognised collateral), the parts covered by collateral
        and guarantees, the unprotected part, RWA with and without CRM and ``crm_rule`` (the
        paragraphs that changed the number). ``items``: each item's haircuts, factors, risk
        weight, the amount it covers and whether it is recognised.
    """
    crm, _ = crm_parameters(parameters)
    approach = crm["approach"] if approach is None else approach
    if approach not in APPROACHES:
        raise InputError("approach", f"unknown CRM approach {approach!r}", allowed=APPROACHES)
    frame = validate_crm_lines(lines, "sa")
    line, items = item_lines(frame, validate_protection(protection))
    return mitigate_matched(frame, items, line, approach, parameters)


def mitigate_matched(
    frame: pd.DataFrame,
    items: pd.DataFrame,
    line: np.ndarray,
    approach: str,
    parameters: Mapping[str, Any] | None = None,
    columns: Sequence[str] | None = None,
) -> CrmResult:
    """:func:`credit_risk_mitigation` on inputs already checked and matched (one pass in ``apply_crm``).

    Parameters
    ----------
    frame : DataFrame
        SA credit lines as ``validate_crm_lines(lines, "sa")`` returns them.
    items : DataFrame
        Validated protection rows, each naming one line of ``frame``.
    line : ndarray of int
        Index into ``frame`` of each row of ``items``.
    approach : {"comprehensive", "simple"}
        The bank's collateral approach (CRE22.19).
    parameters : mapping, optional
        As for :func:`credit_risk_mitigation`.
    columns : sequence of str, optional
        The line columns to build (of :data:`LINE_COLUMNS`; all by default).

    Returns
    -------
    CrmResult
        As :func:`credit_risk_mitigation`.
    """
    crm, sa = crm_parameters(parameters)
    state = _State(frame, items, line)
    _net(state, crm)  # step 1: CRE22.68-69
    if approach == "comprehensive":
        _comprehensive(state, crm)  # step 2: CRE22.40-65
    else:
        _simple(state, sa, crm)  # step 2: CRE22.32-39
    _guarantees(state, sa, crm)  # step 3: CRE22.70-84
    return state.result(approach, columns)


class _State:
    """The per-line amounts and per-item columns filled step by step (methodology C.25 order)."""

    def __init__(self, frame: pd.DataFrame, items: pd.DataFrame, line: np.ndarray) -> None:
        present = np.bincount(line, minlength=len(frame)) > 0
        self.touched = np.flatnonzero(present)  # only the lines with protection are worked on
        line = (np.cumsum(present) - 1)[line]
        self.full = frame
        if len(self.touched) < len(frame):
            frame = frame[[c for c in frame.columns if c != "position_id"]].take(self.touched)
        n, m = len(frame), len(items)
        self.frame, self.items, self.line, self.n = frame, items, line, n
        self.exposure = frame["exposure"].to_numpy(dtype=float)
        self.rw = frame["risk_weight"].to_numpy(dtype=float)
        self.residual = frame["residual_maturity"].to_numpy()[line]
        self.mismatch_ccy = (
            items["currency"].cat.codes.to_numpy() != frame["currency"].cat.codes.to_numpy()[line]
        )
        self.col: dict[str, np.ndarray] = {
            "haircut": np.full(m, np.nan),
            "scaling": np.full(m, np.nan),
            "fx_haircut": np.full(m, np.nan),
            "maturity_factor": np.full(m, np.nan),
            "adjusted_value": np.zeros(m),
            "risk_weight": np.full(m, np.nan),
            "covered": np.zeros(m),
        }
        self.out: dict[str, np.ndarray] = {"he": np.zeros(n), "collateral_rwa": np.zeros(n)}
        self.mf = np.ones(m)  # maturity-mismatch factor of each item (set by the netting step)
        self.mm = np.zeros(m, dtype=bool)  # the item has a maturity mismatch
        self.flags: dict[str, np.ndarray] = {}
        self.codes = items["protection_type"].cat.codes.to_numpy()

    def haircuts(self, crm: Mapping[str, Any]) -> np.ndarray:
        """The 10-day supervisory haircut of every item (NaN where none applies; CRE22.49), computed
        on the whole item table: cheaper than taking its collateral rows first."""
        return supervisory_haircut(self.items, crm)

    def kind(self, *names: str) -> np.ndarray:
        """Items whose ``protection_type`` is one of ``names`` (validated categories: PROTECTION_TYPES)."""
        mask = self.codes == PROTECTION_TYPES.index(names[0])
        for name in names[1:]:  # a comparison per name: faster than a set lookup on many rows
            mask |= self.codes == PROTECTION_TYPES.index(name)
        return mask

    def flag(self, rule: str, item_mask: np.ndarray) -> None:
        """Record ``rule`` on the lines of the items in ``item_mask``."""
        self.flag_lines(rule, self.line[item_mask])

    def flag_lines(self, rule: str, lines: np.ndarray) -> None:
        """Record ``rule`` on ``lines`` (worked-line indices)."""
        if len(lines):
            if rule not in self.flags:
                self.flags[rule] = np.zeros(self.n, dtype=bool)
            self.flags[rule][lines] = True

    def result(self, approach: str, columns: Sequence[str] | None = None) -> CrmResult:
        """The line and item tables; lines without protection keep E, E x RW and no rule.

        ``columns``: the line columns to build (all of ``LINE_COLUMNS`` by default)."""
        o, full = self.out, self.full
        unprotected = o["after_collateral"] - o["guaranteed"]
        rwa = o["collateral_rwa"] + o["guarantee_rwa"] + unprotected * self.rw
        after_crm = o["after_collateral"] if approach == "comprehensive" else o["after_netting"]
        exposure = full["exposure"].to_numpy(dtype=float)
        rw = full["risk_weight"].to_numpy(dtype=float)
        spread = self.spread

        def effective() -> np.ndarray:
            with np.errstate(invalid="ignore", divide="ignore"):
                return spread(np.where(after_crm > 0, rwa / after_crm, self.rw), rw)

        build: dict[str, Callable[[], Any]] = {
            "position_id": lambda: full["position_id"].array,
            "exposure": lambda: exposure,
            "netting_amount": lambda: spread(o["netting"], 0.0),
            "exposure_after_netting": lambda: spread(o["after_netting"], exposure),
            "he": lambda: spread(o["he"], 0.0),
            "hc": lambda: spread(_weighted(self, "haircut"), np.nan),
            "hfx": lambda: spread(_weighted(self, "fx_haircut"), np.nan),
            "collateral_value": lambda: spread(o["collateral_value"], 0.0),
            "collateral_covered": lambda: spread(o["collateral_covered"], 0.0),
            "exposure_after_collateral": lambda: spread(o["after_collateral"], exposure),
            "guaranteed": lambda: spread(o["guaranteed"], 0.0),
            "unprotected": lambda: spread(unprotected, exposure),
            "exposure_after_crm": lambda: spread(after_crm, exposure),
            "risk_weight": lambda: rw,
            "risk_weight_after_crm": effective,
            "rwa_without_crm": lambda: exposure * rw,
            "rwa": lambda: spread(rwa, exposure * rw),
            "crm_rule": lambda: rule_labels(
                {r: self.flags[r] for r in RULE_ORDER if r in self.flags}, len(full), self.touched
            ),
        }
        names = LINE_COLUMNS if columns is None else columns
        lines = pd.DataFrame({name: build[name]() for name in names}, copy=False)
        given = {
            name: self.items[name].array for name in ("position_id", "protection_type", "amount", "currency")
        }
        items = pd.DataFrame({**given, **self.col, "recognised": self.col["covered"] > 0}, copy=False)
        return CrmResult(lines=lines, items=items)

    def spread(self, values: np.ndarray, default: float | np.ndarray) -> np.ndarray:
        """A per-line array of the worked lines as one over all lines (``default`` elsewhere)."""
        size = len(self.full)
        if len(self.touched) == size:  # every line worked on: the values themselves (a copy of its own)
            return np.array(values, dtype=float)
        out = np.full(size, default, dtype=float) if np.isscalar(default) else np.array(default, dtype=float)
        out[self.touched] = values
        return out


def _weighted(state: _State, column: str) -> np.ndarray:
    """Value-weighted haircut over a line's recognised collateral (the basket H of CRE22.55); NaN if none."""
    values = state.col[column]
    rows = np.flatnonzero(
        (state.col["covered"] > 0) & ~np.isnan(values) & state.kind(*COMPREHENSIVE_COLLATERAL)
    )
    line, amount = state.line[rows], state.items["amount"].to_numpy()[rows]
    total = per_line(line, amount, state.n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, per_line(line, values[rows] * amount, state.n) / total, np.nan)


def _net(state: _State, crm: Mapping[str, Any]) -> None:
    """On-balance netting: deposits as cash collateral, Hfx 8% unscaled, MF (CRE22.69, methodology C.27)."""
    state.mf, state.mm = maturity_mismatch_factor(state.items, state.residual, crm)
    rows = np.flatnonzero(state.kind("deposit_netting"))
    line, mf = state.line[rows], state.mf[rows]
    hfx = fx_haircut(state.mismatch_ccy[rows], 1.0, crm)
    adjusted = state.items["amount"].to_numpy()[rows] * np.maximum(0.0, 1 - hfx) * mf
    netting = per_line(line, adjusted, state.n)
    covered = allocate(line, np.zeros(len(rows)), adjusted, state.exposure)
    _put(
        state,
        rows,
        haircut=0.0,
        scaling=1.0,
        fx_haircut=hfx,
        maturity_factor=mf,
        adjusted_value=adjusted,
        covered=covered,
    )
    state.out.update(
        netting=np.minimum(netting, state.exposure), after_netting=np.maximum(0.0, state.exposure - netting)
    )
    used = covered > 0
    state.flag_lines("CRE22.69", line[used])
    state.flag_lines("CRE22.52", line[used & (hfx > 0)])
    state.flag_lines("CRE22.13", line[used & (mf < 1)])


def _put(state: _State, rows: np.ndarray, **columns: Any) -> None:
    """Set the item columns of ``rows`` (values given for those rows, or one scalar)."""
    for name, values in columns.items():
        state.col[name][rows] = values


def _store(state: _State, mask: np.ndarray, **columns: Any) -> None:
    for name, values in columns.items():
        state.col[name] = np.where(mask, values, state.col[name])


def _scaling(state: _State, crm: Mapping[str, Any]) -> np.ndarray:
    """Per line: sqrt((N_R + T_M - 1)/10) of its transaction type and remargining (CRE22.57-59)."""
    holding = state.frame["transaction_type"].map(crm["holding_period_days"]).to_numpy(dtype=float)
    return holding_period_scaling(
        holding, state.frame["remargining_days"].to_numpy(), crm["haircut_base_days"]
    )


def _comprehensive(state: _State, crm: Mapping[str, Any]) -> None:
    """E* = max(0, E(1 + He) - sum C(1 - Hc - Hfx) MF) on the netted exposure (CRE22.46-59, C.26-C.27)."""
    scaling = _scaling(state, crm)
    lent = ~is_in(state.frame, "lent_security_type", "none")
    he = np.zeros(state.n)
    if lent.any():
        he10, non_eligible = lent_security_haircut(state.frame, crm)
        he = he10 * scaling
        if (lent & non_eligible).any():
            state.flags["CRE22.54"] = lent & non_eligible
    rows = np.flatnonzero(state.kind(*COMPREHENSIVE_COLLATERAL))
    line, mf = state.line[rows], state.mf[rows]
    line_scaling = scaling[line]
    hc = state.haircuts(crm)[rows] * line_scaling
    rows, line, mf, line_scaling, hc = _keep(~np.isnan(hc), rows, line, mf, line_scaling, hc)
    hfx = fx_haircut(state.mismatch_ccy[rows], line_scaling, crm)
    value = state.items["amount"].to_numpy()[rows]
    adjusted = value * np.maximum(0.0, 1 - hc - hfx) * mf
    grossed = state.out["after_netting"] * (1 + he)
    e_star = np.maximum(0.0, grossed - per_line(line, adjusted, state.n))
    covered = allocate(line, np.zeros(len(rows)), adjusted, grossed)
    _put(
        state,
        rows,
        haircut=hc,
        scaling=line_scaling,
        fx_haircut=hfx,
        maturity_factor=mf,
        adjusted_value=adjusted,
        covered=covered,
    )
    state.out.update(
        he=he,
        after_collateral=e_star,
        collateral_value=per_line(line, value, state.n),
        collateral_covered=grossed - e_star,
    )
    used = covered > 0
    state.flag_lines("CRE22.46", line[used])
    state.flag_lines("CRE22.49", line[used & (hc > 0)])
    state.flag_lines("CRE22.52", line[used & (hfx > 0)])
    state.flag_lines("CRE22.59", line[used & (line_scaling != 1) & ((hc > 0) | (hfx > 0))])
    state.flag_lines("CRE22.13", line[used & (mf < 1)])


def _keep(mask: np.ndarray, *arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    """The ``arrays`` at ``mask`` (no copy when all are kept)."""
    return arrays if mask.all() else tuple(a[mask] for a in arrays)


def _simple(state: _State, sa: Mapping[str, Any], crm: Mapping[str, Any]) -> None:
    """RW substitution on the collateralised part, 20% floor and its exceptions (CRE22.32-39, C.26)."""
    simple, tol = crm["simple"], crm["relative_tolerance"]
    value = state.items["amount"].to_numpy()
    coll_rw = collateral_risk_weight(state.items, sa, crm)
    revalued = state.frame["remargining_days"].to_numpy()[state.line] <= simple["maximum_revaluation_days"]
    eligible = state.kind(*SIMPLE_COLLATERAL) & ~np.isnan(coll_rw) & revalued & ~state.mm
    same = ~state.mismatch_ccy
    any_cash = state.kind("cash") & same
    any_zero_sovereign = (
        state.kind("debt_security")
        & is_in(state.items, "issuer_type", "sovereign", "pse")
        & (np.abs(coll_rw) <= tol)
        & same
    )
    cash_same, zero_sovereign = eligible & any_cash, eligible & any_zero_sovereign
    repo_line = state.frame["repo_cre22_36_conditions_met"].to_numpy()[state.line]
    core = state.frame["core_market_participant"].to_numpy()[state.line]
    collateral_rows = state.kind(*SIMPLE_COLLATERAL, "equity_other_listed", "ucits_fund")
    _check_repo(state, repo_line & collateral_rows & ~(any_cash | any_zero_sovereign))
    repo = repo_line & (cash_same | zero_sovereign)
    rw = np.maximum(simple["floor"], coll_rw)
    rw = np.where(cash_same, simple["cash_same_currency"], rw)
    rw = np.where(repo, np.where(core, simple["repo_core_market_participant"], simple["repo"]), rw)
    option = zero_sovereign & ~repo  # CRE22.39(2): methodology C.26 chooses the cheaper option
    obligor = state.rw[state.line]
    covered, rw_used, value_used = _best_simple(state, eligible, option, rw, value, obligor, simple)
    _store(state, eligible, risk_weight=rw_used, adjusted_value=value_used, covered=covered)
    remaining = state.out["after_netting"] - per_line(state.line, covered, state.n)
    state.out.update(
        after_collateral=remaining,
        collateral_value=per_line(state.line, np.where(eligible & (covered > 0), value, 0.0), state.n),
        collateral_covered=per_line(state.line, covered, state.n),
        collateral_rwa=per_line(state.line, covered * np.nan_to_num(rw_used), state.n),
    )
    used = covered > 0
    discounted = option & used & (rw_used == 0)
    state.flag("CRE22.38", used & repo)
    state.flag("CRE22.39(1)", used & cash_same & ~repo)
    state.flag("CRE22.39(2)", discounted)
    state.flag("CRE22.33", used & ~repo & ~cash_same & ~discounted)


def _check_repo(state: _State, bad: np.ndarray) -> None:
    if bad.any():
        rows = np.flatnonzero(bad)[:5]
        raise InputError(
            "protection['protection_type']",
            "collateral of a line flagged repo_cre22_36_conditions_met must be cash or a 0%-RW sovereign or "
            f"PSE security in the exposure's currency (CRE22.36, methodology C.26; {int(bad.sum())} rows)",
            failure_cases=[
                f"{state.items['position_id'].iat[i]}: {state.items['protection_type'].iat[i]!r}"
                for i in rows
            ],
            allowed="cash or 0%-RW sovereign/PSE debt securities in the line's currency",
        )


def _best_simple(
    state: _State,
    eligible: np.ndarray,
    option: np.ndarray,
    rw: np.ndarray,
    value: np.ndarray,
    obligor: np.ndarray,
    simple: Mapping[str, Any],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Allocate the simple-approach items; for CRE22.39(2) items the cheapest choice per line (C.26).

    Each CRE22.39(2) item is either 0% on 80% of its value or 20% on its value; every combination
    over a line's such items is tried and the lowest RWA kept (ties: the earlier combination).
    """
    rank = _rank_within_line(state.line, option)
    count = int(rank.max()) + 1 if option.any() else 0
    if count > 12:
        raise InputError(
            "protection",
            f"more than 12 CRE22.39(2) securities on one position ({count})",
            allowed="at most 12 per position",
        )
    best = (np.full(state.n, np.inf), np.zeros(len(rw)), rw, value)
    for combination in range(2**count):
        choose_b = option & (((combination >> np.maximum(rank, 0)) & 1) == 1)
        rw_c = np.where(option, np.where(choose_b, simple["floor"], simple["cash_same_currency"]), rw)
        value_c = np.where(option & ~choose_b, value * (1 - simple["sovereign_zero_rw_discount"]), value)
        recognised = eligible & (rw_c < obligor)  # methodology C.26: strictly lower RW only
        covered = allocate(state.line, rw_c, np.where(recognised, value_c, 0.0), state.out["after_netting"])
        rwa = (
            per_line(state.line, covered * np.nan_to_num(rw_c), state.n)
            + (state.out["after_netting"] - per_line(state.line, covered, state.n)) * state.rw
        )
        better = rwa < best[0]
        take = better[state.line]
        best = (
            np.where(better, rwa, best[0]),
            np.where(take, covered, best[1]),
            np.where(take, rw_c, best[2]),
            np.where(take, value_c, best[3]),
        )
    return best[1], np.where(eligible, best[2], np.nan), np.where(eligible, best[3], 0.0)


def _rank_within_line(line: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """0, 1, ... for the ``mask`` rows of each line in input order; -1 elsewhere."""
    rows = np.flatnonzero(mask)
    rank = np.full(len(line), -1)
    if len(rows):
        lines = line[rows]
        order = np.argsort(lines, kind="stable")
        sorted_lines = lines[order]
        start = np.r_[0, np.flatnonzero(sorted_lines[1:] != sorted_lines[:-1]) + 1]
        first = np.repeat(start, np.diff(np.r_[start, len(rows)]))
        rank[rows[order]] = np.arange(len(rows)) - first
    return rank


def _guarantees(state: _State, sa: Mapping[str, Any], crm: Mapping[str, Any]) -> None:
    """Substitution on the amount still at the obligor's RW (CRE22.70-84, methodology C.28)."""
    rows = np.flatnonzero(state.kind(*GUARANTEE_TYPES))
    e_g = state.out["after_collateral"]
    columns = [
        "position_id",
        "protection_type",
        "amount",
        "issuer_type",
        "rating",
        "scra_grade",
        "provider_risk_weight",
        "restructuring_covered",
        "revaluation_days",
    ]
    items, line, mf = state.items[columns].take(rows), state.line[rows], state.mf[rows]
    provider_rw = provider_risk_weight(items, sa, crm)
    recognised = ~np.isnan(provider_rw) & (provider_rw < state.rw[line])
    amount = items["amount"].to_numpy()
    no_restructuring = (
        is_in(items, "protection_type", "credit_derivative") & ~items["restructuring_covered"].to_numpy()
    )
    factor = crm["credit_derivative_no_restructuring"]
    g_prime = np.where(no_restructuring, factor * np.minimum(amount, e_g[line]), amount)
    days = items["revaluation_days"].to_numpy()
    scaling = holding_period_scaling(crm["protection_holding_period_days"], days, crm["haircut_base_days"])
    hfx = fx_haircut(state.mismatch_ccy[rows], scaling, crm)
    pa = np.where(recognised, g_prime * np.maximum(0.0, 1 - hfx) * mf, 0.0)
    covered = allocate(line, np.nan_to_num(provider_rw), pa, e_g)
    _put(
        state,
        rows,
        scaling=scaling,
        fx_haircut=hfx,
        maturity_factor=mf,
        adjusted_value=pa,
        risk_weight=provider_rw,
        covered=covered,
    )
    state.out.update(
        guaranteed=per_line(line, covered, state.n),
        guarantee_rwa=per_line(line, covered * np.nan_to_num(provider_rw), state.n),
    )
    used = covered > 0
    state.flag_lines("CRE22.80", line[used])
    state.flag_lines("CRE22.75", line[used & no_restructuring])
    state.flag_lines("CRE22.82", line[used & (hfx > 0)])
    state.flag_lines("CRE22.13", line[used & (mf < 1)])
