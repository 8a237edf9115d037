"""Trading-book checks across columns and rows for MAR40, and the netting of rows per issue.

What a row of each risk class must carry (methodology 11.1), and ``net_issues``: rows with one
``issue_id`` become one net position, and must agree on what describes the issue (C.32).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from banksim.errors import InputError

__all__ = ["check_book", "net_issues", "reject"]

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
    klass = frame["risk_class"].to_numpy()
    instrument = frame["instrument_type"].to_numpy()
    for name, allowed in INSTRUMENTS_OF_CLASS.items():
        reject(
            frame,
            (klass == name) & ~np.isin(instrument, allowed),
            "instrument_type",
            f"does not belong to risk class {name!r}",
            allowed=allowed,
        )
    option = instrument == "option"
    rates = klass == "interest_rate"
    issuer = frame["issuer_category"].to_numpy()
    reject(
        frame,
        rates & ~option & np.isnan(frame["residual_maturity"].to_numpy()),
        "residual_maturity",
        "is missing on an interest-rate position (MAR40.25)",
        allowed="years >= 0",
    )
    reject(
        frame,
        rates & (frame["currency"] == "").to_numpy(),
        "currency",
        "is missing on an interest-rate position (one ladder per currency, MAR40.24)",
    )
    reject(
        frame,
        (instrument == "bond") & (issuer == "none"),
        "issuer_category",
        "is 'none' on a bond (specific risk, MAR40.6)",
        allowed=["government", "pse", "mdb", "bank", "corporate"],
    )
    reject(
        frame,
        (instrument == "swap_leg") & (issuer != "none"),
        "issuer_category",
        "must be 'none' on a swap leg (no specific risk, MAR40.38)",
        allowed=["none"],
    )
    reject(
        frame,
        (klass == "equity") & (frame["national_market"] == "").to_numpy(),
        "national_market",
        "is missing on an equity position (general risk per market, MAR40.43)",
    )
    fx = instrument == "fx_net_position"
    reject(frame, fx & (frame["currency"] == "").to_numpy(), "currency", "is missing on an FX net position")
    reject(
        frame,
        fx & (frame["currency"] == reporting_currency).to_numpy(),
        "currency",
        f"is the reporting currency {reporting_currency!r}; FX net positions are in foreign currencies "
        "(methodology C.33)",
    )
    reject(
        frame,
        (instrument == "commodity_position") & (frame["commodity"] == "").to_numpy(),
        "commodity",
        "is missing on a commodity position (MAR40.67)",
    )


def net_issues(rows: pd.DataFrame, agree: Sequence[str]) -> pd.DataFrame:
    """One row per ``issue_id``: ``market_value`` summed, the ``agree`` columns (which must agree) kept.

    Also ``positions``, the number of rows netted (MAR40.5, MAR40.35, MAR40.41; methodology C.32).
    """
    if rows.empty:
        return pd.DataFrame(columns=["issue_id", "market_value", "positions", *agree])
    groups = rows.groupby("issue_id", sort=False)
    for column in agree:
        count = groups[column].nunique(dropna=False)
        if (count > 1).any():
            raise InputError(
                f"trading_book[{column!r}]",
                "differs between rows of one issue_id; rows of one issue are netted and must describe "
                "the same issue",
                failure_cases=count.index[count.to_numpy() > 1].tolist()[:5],
            )
    first = groups[list(agree)].first() if agree else pd.DataFrame(index=groups.size().index)
    out = first.assign(market_value=groups["market_value"].sum(), positions=groups.size())
    return out.reset_index()
