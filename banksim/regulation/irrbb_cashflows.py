"""IRRBB notional repricing cash flows and repricing events, slotted into the 19 time buckets.

Fixed bullets and annuities, floaters and non-maturity deposits (SRP31.98-31.112; methodology
13.4-13.6, 13.8, C.43); vectorised by expanding each position into its flows with ``np.repeat``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from banksim.positions._table import reject
from banksim.regulation._frame import categorical, is_in, lookup

__all__ = ["FLOW_RULES", "bucket_of", "repricing_cash_flows", "repricing_events", "slotted_cash_flows"]

COUPON_DATE_TOLERANCE = 1e-9  # methodology C.43: coupons at T - j/f while > 1e-9
FLOW_RULES = {
    "coupon": "SRP31.103(1): fixed coupon",
    "principal": "SRP31.103(1): fixed principal at maturity",
    "annuity_payment": "SRP31.103(1): annuity payment",
    "reset": "SRP31.101, 31.103(2): floater coupon and principal at the next reset",
    "spread": "SRP31.98(3), 31.101: floater spread to maturity",
    "nmd_non_core": "SRP31.111: non-core deposit, overnight",
    "nmd_core": "SRP31.110-112: core deposit at the capped average maturity",
    "floating_reset": "DIS70: floater reprices at its next reset",
    "fixed_rollover": "DIS70: fixed bullet rolled over like-for-like",
    "annuity_rollover": "DIS70: annuity principal rolled over like-for-like",
}
KINDS = tuple(FLOW_RULES)


def bucket_of(times: np.ndarray, params: Mapping[str, Any]) -> np.ndarray:
    """Bucket 1-19 of each time: the first with t <= upper x (1 + 1e-9) (SRP31.96; methodology C.42)."""
    uppers = np.asarray(params["bucket_upper_bounds"], dtype=float) * (1 + params["bucket_tolerance"])
    return np.searchsorted(uppers, times, side="left") + 1


def _expand(rows: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row repeated ``count`` times, with its index j = 0 .. count - 1."""
    counts = counts.astype(np.int64)
    repeated = np.repeat(rows, counts)
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    return repeated, np.arange(int(counts.sum())) - starts


def _whole(
    frame: pd.DataFrame, rows: np.ndarray, values: np.ndarray, column: str, reason: str, tol: float
) -> np.ndarray:
    """``values`` rounded, after checking each is within ``tol`` of a whole number (methodology C.43)."""
    mask = np.zeros(len(frame), dtype=bool)
    mask[rows] = np.abs(values - np.round(values)) > tol
    reject("positions", frame, mask, column, reason, "a whole number of payment periods")
    return np.round(values).astype(np.int64)


class _Flows:
    """Accumulates (row, time, amount, kind) arrays; amounts before the side's sign."""

    def __init__(self) -> None:
        self.parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []

    def add(self, rows: np.ndarray, times: np.ndarray, amounts: np.ndarray, kind: str) -> None:
        code = np.full(len(rows), KINDS.index(kind), dtype=np.int8)
        self.parts.append(
            (rows, np.broadcast_to(times, rows.shape), np.broadcast_to(amounts, rows.shape), code)
        )

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(rows, times, unsigned amounts, kind codes) of every flow."""
        if not self.parts:
            return np.zeros(0, np.int64), np.zeros(0), np.zeros(0), np.zeros(0, np.int64)
        rows, times, amounts, kinds = (np.concatenate([p[i] for p in self.parts]) for i in range(4))
        return rows.astype(np.int64), times, amounts, kinds.astype(np.int64)


def _columns(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    names = ("drawn_amount", "residual_maturity", "original_maturity", "interest_rate", "payment_frequency",
             "next_reset", "spread", "nmd_core_share", "nmd_core_maturity")  # fmt: skip
    return {name: frame[name].to_numpy() for name in names}


def _annuity_schedule(
    frame: pd.DataFrame, rows: np.ndarray, params: Mapping[str, Any], before: float = np.inf
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(row, time, level payment, principal part) of each annuity payment (SRP31.103(1); methodology C.43).

    M = T f whole; A = N q / (1 - (1 + q)^-M), q = c/f (q = 0: N/M), paid at T - (M - j)/f, j = 1 .. M;
    principal part A - B_(j-1) q with the balance B_(j-1) = N (1+q)^(j-1) - A ((1+q)^(j-1) - 1)/q.
    Only the payments due before ``before`` are expanded (plus one, for rounding; the caller filters).
    """
    c = _columns(frame)
    maturity, frequency = c["residual_maturity"][rows], c["payment_frequency"][rows]
    payments, level = _annuity_level(frame, rows, params)
    notional, rate = c["drawn_amount"][rows], c["interest_rate"][rows] / frequency
    safe = np.where(rate != 0, rate, 1.0)
    due = np.clip(np.ceil(payments - (maturity - before) * frequency), 0, payments)
    index, j0 = _expand(np.arange(len(rows)), due)
    j = j0 + 1
    growth = (1.0 + rate[index]) ** (j - 1)
    balance = np.where(
        rate[index] != 0,
        notional[index] * growth - level[index] * (growth - 1.0) / safe[index],
        notional[index] - level[index] * (j - 1),
    )
    times = maturity[index] - (payments[index] - j) / frequency[index]
    return rows[index], times, level[index], level[index] - balance * rate[index]


def _nmd_core(
    frame: pd.DataFrame, rows: np.ndarray, params: Mapping[str, Any]
) -> tuple[np.ndarray, np.ndarray]:
    """Core share and core maturity after the SRP31.110 Table 4 caps (methodology 13.6)."""
    share_cap = lookup(frame, "nmd_category", params["nmd_core_share_cap"])[rows]
    maturity_cap = lookup(frame, "nmd_category", params["nmd_core_maturity_cap"])[rows]
    share = np.minimum(frame["nmd_core_share"].to_numpy()[rows], share_cap)
    maturity = np.minimum(frame["nmd_core_maturity"].to_numpy()[rows], maturity_cap)
    return share, maturity


def _rows(frame: pd.DataFrame, kind: str, amortisation: str | None = None) -> np.ndarray:
    mask = is_in(frame, "repricing_type", kind)
    if amortisation is not None:
        mask &= is_in(frame, "amortisation_type", amortisation)
    return np.flatnonzero(mask)


def repricing_cash_flows(frame: pd.DataFrame, params: Mapping[str, Any]) -> pd.DataFrame:
    """Notional repricing cash flows of a validated repricing table, one row per flow.

    Columns ``position_id``, ``currency``, ``kind``, ``time``, ``bucket`` (1-19), ``amount`` (assets +,
    liabilities -; methodology C.43) and ``rule``. ``repricing_type`` none is left out (SRP31.97);
    KAO, CPR and TDRR are 0 (methodology C.43). For a large book prefer ``slotted_cash_flows``.
    """
    return _table(frame, _cash_flows(frame, params), params)


def slotted_cash_flows(frame: pd.DataFrame, params: Mapping[str, Any]) -> pd.DataFrame:
    """The cash flows netted per currency, bucket and kind (SRP31.96, 31.129(1); methodology 13.4-13.5).

    Columns ``currency``, ``bucket``, ``kind``, ``flows`` (count), ``amount`` (signed) and ``rule``.
    The same flows as ``repricing_cash_flows`` without expanding them: equal flows on a payment grid
    (coupons, annuity payments, spreads) are counted per bucket in closed form.
    """
    slots = _Slots(frame, params)
    c, tolerance = _columns(frame), COUPON_DATE_TOLERANCE
    rows = _rows(frame, "fixed", "bullet")
    maturity, frequency, notional = (
        c["residual_maturity"][rows],
        c["payment_frequency"][rows],
        c["drawn_amount"][rows],
    )
    coupon = notional * c["interest_rate"][rows] / frequency
    slots.grid(rows, maturity, frequency, np.ceil((maturity - tolerance) * frequency), coupon, "coupon")
    slots.single(rows, maturity, notional, "principal")
    rows = _rows(frame, "fixed", "annuity")
    payments, level = _annuity_level(frame, rows, params)
    slots.grid(
        rows, c["residual_maturity"][rows], c["payment_frequency"][rows], payments, level, "annuity_payment"
    )
    rows = _floating_rows(frame, params)
    reset, frequency, notional = c["next_reset"][rows], c["payment_frequency"][rows], c["drawn_amount"][rows]
    slots.single(rows, reset, notional * c["interest_rate"][rows] / frequency + notional, "reset")
    periods = np.round((c["residual_maturity"][rows] - reset) * frequency)
    last = reset + periods / frequency  # the spread grid t_r + j/f, j = 1 .. M, counted back from its end
    slots.grid(rows, last, frequency, periods, notional * c["spread"][rows] / frequency, "spread")
    rows = _rows(frame, "nmd")
    share, core_maturity = _nmd_core(frame, rows, params)
    slots.single(rows, np.zeros(len(rows)), c["drawn_amount"][rows] * (1.0 - share), "nmd_non_core")
    slots.single(rows, core_maturity, c["drawn_amount"][rows] * share, "nmd_core")
    return slots.table()


class _Slots:
    """Signed totals and flow counts per (currency, bucket, kind) cell, filled by ``bincount``."""

    def __init__(self, frame: pd.DataFrame, params: Mapping[str, Any]) -> None:
        currency = frame["currency"].array
        self.names = [str(x) for x in currency.categories]
        self.currency = np.asarray(currency.codes, dtype=np.int64)
        self.sign = np.where(is_in(frame, "side", "liability"), -1.0, 1.0)
        self.params = params
        self.nb, self.nk = len(params["bucket_midpoints"]), len(KINDS)
        self.totals = np.zeros(len(self.names) * self.nb * self.nk)
        self.counts = np.zeros_like(self.totals)

    def _add(self, rows: np.ndarray, bucket: Any, kind: str, amounts: np.ndarray, counts: Any) -> None:
        cells = (self.currency[rows] * self.nb + bucket - 1) * self.nk + KINDS.index(kind)
        weights = self.sign[rows] * amounts * counts
        self.totals += np.bincount(cells, weights=weights, minlength=self.totals.size)
        self.counts += np.bincount(
            cells, weights=np.broadcast_to(counts, rows.shape), minlength=self.totals.size
        )

    def single(self, rows: np.ndarray, times: np.ndarray, amounts: np.ndarray, kind: str) -> None:
        """One flow per row."""
        self._add(rows, bucket_of(times, self.params), kind, amounts, 1.0)

    def grid(
        self,
        rows: np.ndarray,
        end: np.ndarray,
        frequency: np.ndarray,
        number: np.ndarray,
        amounts: np.ndarray,
        kind: str,
    ) -> None:
        """``number`` equal flows at end - i/f, i = 0 .. number - 1: bucket k holds the i with
        (end - U_k) f <= i < (end - U_(k-1)) f, U the tolerant upper bounds (methodology C.42)."""
        uppers = np.asarray(self.params["bucket_upper_bounds"], dtype=float) * (
            1 + self.params["bucket_tolerance"]
        )
        lower = -np.inf
        for k, upper in enumerate(uppers, start=1):
            first = np.maximum(0.0, np.ceil((end - upper) * frequency))
            stop = np.minimum(number, np.ceil((end - lower) * frequency))
            self._add(rows, k, kind, amounts, np.maximum(0.0, stop - first))
            lower = upper

    def table(self) -> pd.DataFrame:
        present = np.flatnonzero(self.counts)
        kind = present % self.nk
        return pd.DataFrame(
            {
                "currency": np.array(self.names, dtype=object)[present // (self.nb * self.nk)],
                "bucket": present // self.nk % self.nb + 1,
                "kind": categorical(kind, KINDS),
                "flows": self.counts[present].astype(np.int64),
                "amount": self.totals[present],
                "rule": categorical(kind, [FLOW_RULES[k] for k in KINDS]),
            }
        )


def _annuity_level(
    frame: pd.DataFrame, rows: np.ndarray, params: Mapping[str, Any]
) -> tuple[np.ndarray, np.ndarray]:
    """Number of payments M = T f (checked whole) and level payment A (SRP31.103(1); methodology C.43)."""
    maturity = frame["residual_maturity"].to_numpy()[rows]
    frequency = frame["payment_frequency"].to_numpy()[rows]
    reason = "x payment_frequency is not a whole number (an annuity's reporting date must be a payment date)"
    payments = _whole(
        frame, rows, maturity * frequency, "residual_maturity", reason, params["whole_number_tolerance"]
    )
    notional = frame["drawn_amount"].to_numpy()[rows]
    rate = frame["interest_rate"].to_numpy()[rows] / frequency
    safe = np.where(rate != 0, rate, 1.0)
    return payments, np.where(
        rate != 0, notional * safe / (1.0 - (1.0 + safe) ** -payments), notional / payments
    )


def _cash_flows(frame: pd.DataFrame, params: Mapping[str, Any]) -> _Flows:
    c, flows = _columns(frame), _Flows()
    rows = _rows(frame, "fixed", "bullet")
    counts = np.ceil((c["residual_maturity"][rows] - COUPON_DATE_TOLERANCE) * c["payment_frequency"][rows])
    index, j = _expand(rows, counts)
    coupon = c["drawn_amount"] * c["interest_rate"] / c["payment_frequency"]
    flows.add(
        index, c["residual_maturity"][index] - j / c["payment_frequency"][index], coupon[index], "coupon"
    )
    flows.add(rows, c["residual_maturity"][rows], c["drawn_amount"][rows], "principal")
    index, times, level, _ = _annuity_schedule(frame, _rows(frame, "fixed", "annuity"), params)
    flows.add(index, times, level, "annuity_payment")
    rows = _floating_rows(frame, params)
    flows.add(rows, c["next_reset"][rows], coupon[rows] + c["drawn_amount"][rows], "reset")
    periods = np.round((c["residual_maturity"][rows] - c["next_reset"][rows]) * c["payment_frequency"][rows])
    spread_rows = rows[c["spread"][rows] != 0]
    index, j = _expand(spread_rows, periods[c["spread"][rows] != 0])
    spread = c["drawn_amount"] * c["spread"] / c["payment_frequency"]
    flows.add(
        index, c["next_reset"][index] + (j + 1) / c["payment_frequency"][index], spread[index], "spread"
    )
    rows = _rows(frame, "nmd")
    share, maturity = _nmd_core(frame, rows, params)
    flows.add(rows, np.zeros(len(rows)), c["drawn_amount"][rows] * (1.0 - share), "nmd_non_core")
    flows.add(rows, maturity, c["drawn_amount"][rows] * share, "nmd_core")
    return flows


def _floating_rows(frame: pd.DataFrame, params: Mapping[str, Any]) -> np.ndarray:
    """Floaters, after checking 0 < t_r <= T and (T - t_r) f whole (SRP31.103(2); methodology C.43)."""
    rows = _rows(frame, "floating")
    reset, maturity = frame["next_reset"].to_numpy(), frame["residual_maturity"].to_numpy()
    bad = np.zeros(len(frame), dtype=bool)
    bad[rows] = ~((reset[rows] > 0) & (reset[rows] <= maturity[rows] + COUPON_DATE_TOLERANCE))
    reject("positions", frame, bad, "next_reset", "must be in (0, residual_maturity]", "0 < t_r <= T")
    periods = (maturity[rows] - reset[rows]) * frame["payment_frequency"].to_numpy()[rows]
    reason = "is not on the coupon grid ending at residual_maturity"
    _whole(frame, rows, periods, "next_reset", reason, params["whole_number_tolerance"])
    return rows


def _table(
    frame: pd.DataFrame, flows: _Flows, params: Mapping[str, Any], tenor: list[np.ndarray] | None = None
) -> pd.DataFrame:
    rows, times, amounts, kinds = flows.arrays()  # by kind, then position and time (no sort)
    sign = np.where(is_in(frame, "side", "liability")[rows], -1.0, 1.0)
    columns = {
        "position_id": frame["position_id"].array.take(rows),  # Arrow strings: no object per row
        "currency": frame["currency"].array.take(rows),
        "kind": categorical(kinds, KINDS),
        "time": times,
        "bucket": bucket_of(times, params),
        "amount": sign * amounts,
        "rule": categorical(kinds, [FLOW_RULES[k] for k in KINDS]),
    }
    if tenor is not None:
        tenors = np.concatenate(tenor) if tenor else np.zeros(0)
        columns.update(tenor=tenors, tenor_bucket=bucket_of(tenors, params))
    return pd.DataFrame(columns)


def repricing_events(frame: pd.DataFrame, params: Mapping[str, Any]) -> pd.DataFrame:
    """Repricing events before the NII horizon H, with the tenor of the new rate (methodology 13.8, C.44).

    Floaters (t_r, N, 1/f); fixed bullets (T, N, original maturity) if T < H; annuities (t_j,
    principal part j, original maturity) for payments before H; NMDs non-core (0, N (1 - core), 1/365)
    and core (m, N core, m) if m < H. Columns as ``repricing_cash_flows`` plus ``tenor``, ``tenor_bucket``.
    """
    horizon, c, flows, tenors = params["nii_horizon_years"], _columns(frame), _Flows(), []
    rows = _floating_rows(frame, params)
    rows = rows[c["next_reset"][rows] < horizon]
    flows.add(rows, c["next_reset"][rows], c["drawn_amount"][rows], "floating_reset")
    tenors.append(1.0 / c["payment_frequency"][rows])
    rows = _rows(frame, "fixed", "bullet")
    rows = rows[c["residual_maturity"][rows] < horizon]
    flows.add(rows, c["residual_maturity"][rows], c["drawn_amount"][rows], "fixed_rollover")
    tenors.append(c["original_maturity"][rows])
    index, times, _, principal = _annuity_schedule(frame, _rows(frame, "fixed", "annuity"), params, horizon)
    inside = times < horizon
    flows.add(index[inside], times[inside], principal[inside], "annuity_rollover")
    tenors.append(c["original_maturity"][index[inside]])
    rows = _rows(frame, "nmd")
    share, maturity = _nmd_core(frame, rows, params)
    flows.add(rows, np.zeros(len(rows)), c["drawn_amount"][rows] * (1.0 - share), "nmd_non_core")
    tenors.append(np.full(len(rows), params["nmd_non_core_tenor"]))
    core = maturity < horizon
    flows.add(rows[core], maturity[core], c["drawn_amount"][rows[core]] * share[core], "nmd_core")
    tenors.append(maturity[core])
    events = _table(frame, flows, params, tenors)
    missing = np.isnan(events["tenor"].to_numpy())
    reject(
        "positions", events, missing, "original_maturity",
        "is missing on fixed positions that reprice within the NII horizon",
        "original_maturity in years",
    )  # fmt: skip
    return events
