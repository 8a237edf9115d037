"""Trading-book checks across columns and rows for MAR40, and the netting of rows per issue.

What a row of each risk class must carry (methodology 11.1), and ``net_issues``: rows with one
``issue_id`` become one net position, and must agree on what describes the issue (C.32).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from banksim.errors import InputError
from banksim.regulation._frame import is_in

__all__ = ["check_book", "concat_lines", "net_issues", "reject"]

INSTRUMENTS_OF_CLASS = {
    "interest_rate": ("bond", "swap_leg", "option"),
    "equity": ("equity", "option"),
    "fx": ("fx_net_position", "gold_net_position", "option"),
    "commodity": ("commodity_position", "option"),
}


def reject(frame: pd.DataFrame, mask: np.ndarray, column: str, reason: str, allowed: object = None) -> None:
    """Raise an ``InputError`` on ``trading_book[column]`` naming the first offending positions."""
    if not mask.any():
        return
    bad = frame.loc[mask]
    cases = [f"{p}: {v!r}" for p, v in zip(bad["position_id"][:5], bad[column][:5], strict=False)]
    raise InputError(
        f"trading_book[{column!r}]",
        f"{reason} ({int(mask.sum())} positions)",
        failure_cases=cases,
        allowed=allowed,  # type: ignore[arg-type]
    )


def check_book(frame: pd.DataFrame, reporting_currency: str) -> None:
    """Each row carries what its risk class and instrument need (methodology 11.1)."""
    for name, allowed in INSTRUMENTS_OF_CLASS.items():
        reject(
            frame,
            is_in(frame, "risk_class", name) & ~is_in(frame, "instrument_type", *allowed),
            "instrument_type",
            f"does not belong to risk class {name!r}",
            allowed=allowed,
        )
    option = is_in(frame, "instrument_type", "option")
    rates = is_in(frame, "risk_class", "interest_rate")
    reject(
        frame,
        rates & ~option & np.isnan(frame["residual_maturity"].to_numpy()),
        "residual_maturity",
        "is missing on an interest-rate position (MAR40.25)",
        allowed="years >= 0",
    )
    reject(
        frame,
        rates & is_in(frame, "currency", ""),
        "currency",
        "is missing on an interest-rate position (one ladder per currency, MAR40.24)",
    )
    reject(
        frame,
        is_in(frame, "instrument_type", "bond") & is_in(frame, "issuer_category", "none"),
        "issuer_category",
        "is 'none' on a bond (specific risk, MAR40.6)",
        allowed=["government", "pse", "mdb", "bank", "corporate"],
    )
    reject(
        frame,
        is_in(frame, "instrument_type", "swap_leg") & ~is_in(frame, "issuer_category", "none"),
        "issuer_category",
        "must be 'none' on a swap leg (no specific risk, MAR40.38)",
        allowed=["none"],
    )
    reject(
        frame,
        is_in(frame, "risk_class", "equity") & is_in(frame, "national_market", ""),
        "national_market",
        "is missing on an equity position (general risk per market, MAR40.43)",
    )
    fx = is_in(frame, "instrument_type", "fx_net_position")
    reject(frame, fx & is_in(frame, "currency", ""), "currency", "is missing on an FX net position")
    reject(
        frame,
        fx & is_in(frame, "currency", reporting_currency),
        "currency",
        f"is the reporting currency {reporting_currency!r}; FX net positions are in foreign currencies "
        "(methodology C.33)",
    )
    reject(
        frame,
        is_in(frame, "instrument_type", "commodity_position") & is_in(frame, "commodity", ""),
        "commodity",
        "is missing on a commodity position (MAR40.67)",
    )


def _comparable(series: pd.Series) -> np.ndarray:
    """Float view of a column for equality tests within groups (category codes; NaN as -inf)."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        return series.cat.codes.to_numpy().astype(float)
    return np.nan_to_num(series.to_numpy(dtype=float), nan=-np.inf)


def net_issues(rows: pd.DataFrame, agree: Sequence[str]) -> pd.DataFrame:
    """One row per ``issue_id``: ``market_value`` summed, the ``agree`` columns (which must agree) kept.

    Also ``positions``, the number of rows netted (MAR40.5, MAR40.35, MAR40.41; methodology C.32).
    """
    if rows.empty:
        return pd.DataFrame(columns=["issue_id", *agree, "market_value", "positions"])
    issue = rows["issue_id"]
    key = issue.cat.codes.to_numpy() if isinstance(issue.dtype, pd.CategoricalDtype) else issue.to_numpy()
    codes = pd.factorize(key)[0]
    n = int(codes.max()) + 1
    first = np.zeros(n, dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes))[::-1]
    for column in agree:
        values = _comparable(rows[column])
        low, high = np.full(n, np.inf), np.full(n, -np.inf)
        np.minimum.at(low, codes, values)
        np.maximum.at(high, codes, values)
        differs = low != high
        if differs.any():
            raise InputError(
                f"trading_book[{column!r}]",
                "differs between rows of one issue_id; rows of one issue are netted and must describe "
                "the same issue",
                failure_cases=issue.iloc[first[differs]].astype(str).tolist()[:5],
            )
    out = rows[["issue_id", *agree]].iloc[first].reset_index(drop=True)
    out["market_value"] = np.bincount(codes, weights=rows["market_value"].to_numpy(dtype=float), minlength=n)
    out["positions"] = np.bincount(codes, minlength=n)
    return out


def concat_lines(parts: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Stack line frames; the few-valued text columns stay categorical (union of the categories)."""
    from pandas.api.types import union_categoricals

    present = [p.reset_index(drop=True) for p in parts if not p.empty]
    if not present:
        return pd.DataFrame()
    text = ("risk_class", "charge", "rule")
    lines = pd.concat([p.drop(columns=list(text)) for p in present], ignore_index=True)
    for column in text:
        lines[column] = union_categoricals([p[column].astype("category").array for p in present])
    return lines
