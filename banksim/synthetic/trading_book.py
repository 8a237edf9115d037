"""The synthetic bank's trading book (MAR40): bonds, swaps, equities, FX, gold, commodities, options.

``generate_trading_book`` draws a small book sized as a share of the bank's total assets by profile;
the same arguments give the same book in any process (methodology 11.8).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from banksim.positions.trading_book import validate_trading_book
from banksim.synthetic.config import check_bank_arguments

__all__ = ["TRADING_BOOK_SHARE", "generate_trading_book"]

# Gross market value of the trading book as a share of total assets, by profile (methodology 11.8).
TRADING_BOOK_SHARE = {"universal": 0.010, "retail": 0.002, "wholesale": 0.020}
# Share of the gross value by block; the rows of a block share its value (lognormal weights).
BLOCKS = {"bond": 0.62, "swap_leg": 0.15, "equity": 0.08, "fx": 0.08, "commodity": 0.06, "option": 0.01}
SEED_SALT = 0x7B00  # the book's random stream is its own: the positions' draws do not move it
ISSUERS = ("government", "government", "bank", "corporate", "corporate", "pse")
BOND_RATINGS = ("AAA", "AA", "A+", "A", "BBB+", "BBB", "BBB-", "BB", "B", "unrated")
MARKETS = ("EU", "US", "UK", "JP")
FOREIGN = ("USD", "GBP", "JPY", "CHF")
COMMODITIES = ("brent", "natural_gas", "copper", "wheat")
BLANK_TEXT = {
    "issuer_category": "none", "rating": "unrated", "currency": "", "national_market": "", "commodity": "",
    "option_type": "none", "option_position": "none",
}  # fmt: skip


def _sizes(rng: np.random.Generator, rows: int, total: float) -> np.ndarray:
    """``rows`` positive amounts summing to ``total`` (to the cent)."""
    weights = rng.lognormal(0.0, 0.8, rows)
    return np.round(weights / weights.sum() * total, 2)


def _signs(rng: np.random.Generator, rows: int, long_share: float) -> np.ndarray:
    return np.where(rng.random(rows) < long_share, 1.0, -1.0)


def _ids(prefix: str, rows: int) -> list[str]:
    return [f"{prefix}-{i:04d}" for i in range(rows)]


def _rates_block(rng: np.random.Generator, rows: int, bonds: float, swaps: float) -> list[pd.DataFrame]:
    """Bonds (mostly long, issuers and ratings drawn) and a swap book of fixed and floating legs."""
    bond = pd.DataFrame(
        {
            "position_id": _ids("TB-BOND", rows), "risk_class": "interest_rate", "instrument_type": "bond",
            "market_value": _sizes(rng, rows, bonds) * _signs(rng, rows, 0.8),
            "issuer_category": rng.choice(ISSUERS, rows), "rating": rng.choice(BOND_RATINGS, rows),
            "currency": np.where(rng.random(rows) < 0.8, "EUR", "USD"),
            "coupon": np.round(rng.uniform(0.0, 0.06, rows), 4),
            "residual_maturity": np.round(rng.uniform(0.1, 25.0, rows), 3),
        }
    )  # fmt: skip
    pairs = max(1, rows // 4)  # a receive-fixed leg and its floating leg per swap
    pair = np.repeat(np.arange(pairs), 2)
    fixed = np.tile([True, False], pairs)
    notional = np.repeat(_sizes(rng, pairs, swaps / 2), 2)
    swap = pd.DataFrame(
        {
            "position_id": _ids("TB-SWAP", 2 * pairs), "risk_class": "interest_rate",
            "instrument_type": "swap_leg", "market_value": np.where(fixed, notional, -notional),
            "issuer_category": "none", "currency": "EUR",
            "coupon": np.where(fixed, np.round(0.025 + 0.001 * (pair % 10), 4), np.nan),
            "residual_maturity": np.where(fixed, 2.0 + 3.0 * (pair % 5), 0.5),
        }
    )  # fmt: skip
    return [bond, swap]


def _other_blocks(rng: np.random.Generator, rows: int, amounts: Mapping[str, float]) -> list[pd.DataFrame]:
    """Equities by market, FX net positions and gold, commodities, and bought equity options."""
    equity = pd.DataFrame(
        {
            "position_id": _ids("TB-EQ", rows), "risk_class": "equity", "instrument_type": "equity",
            "market_value": _sizes(rng, rows, amounts["equity"]) * _signs(rng, rows, 0.75),
            "national_market": rng.choice(MARKETS, rows), "is_index": np.arange(rows) % 5 == 0,
        }
    )  # fmt: skip
    n_fx = len(FOREIGN) + 1
    fx = pd.DataFrame(
        {
            "position_id": [*(f"TB-FX-{c}" for c in FOREIGN), "TB-FX-GOLD"], "risk_class": "fx",
            "instrument_type": ["fx_net_position"] * len(FOREIGN) + ["gold_net_position"],
            "market_value": _sizes(rng, n_fx, amounts["fx"]) * _signs(rng, n_fx, 0.6),
            "currency": [*FOREIGN, ""],
        }
    )  # fmt: skip
    n_com = max(len(COMMODITIES), rows // 2)
    commodity = pd.DataFrame(
        {
            "position_id": _ids("TB-COM", n_com), "risk_class": "commodity",
            "instrument_type": "commodity_position",
            "market_value": _sizes(rng, n_com, amounts["commodity"]) * _signs(rng, n_com, 0.6),
            "commodity": np.resize(np.array(COMMODITIES), n_com),
        }
    )  # fmt: skip
    n_opt = max(2, rows // 4)
    premium = _sizes(rng, n_opt, amounts["option"])
    price = np.round(rng.uniform(20.0, 200.0, n_opt), 2)
    k = np.arange(n_opt)
    options = pd.DataFrame(
        {
            "position_id": _ids("TB-OPT", n_opt), "risk_class": "equity", "instrument_type": "option",
            "market_value": 0.0, "national_market": np.resize(np.array(MARKETS), n_opt),
            "option_type": np.where(k % 2 == 0, "call", "put"), "option_position": "bought",
            "quantity": np.maximum(np.round(premium * 10 / price), 1.0), "underlying_price": price,
            "strike_price": np.round(price * rng.uniform(0.9, 1.1, n_opt), 2),
            "option_market_value": premium, "option_residual_maturity": 0.25 + 0.25 * (k % 3),
            "underlying_forward_price": np.round(price * 1.01, 2),
        }
    )  # fmt: skip
    return [equity, fx, commodity, options]


def generate_trading_book(
    num_positions: int, seed: int, config: Mapping[str, Any] | None = None
) -> pd.DataFrame:
    """A synthetic trading book for the bank of :func:`banksim.run_simulation` with the same arguments.

    Parameters
    ----------
    num_positions, seed, config
        As for :func:`banksim.run_simulation`: the profile and ``total_assets`` of ``config`` size
        the book (:data:`TRADING_BOOK_SHARE` of total assets, gross); ``num_positions`` sets its
        granularity (one bond and one equity per 1,000 positions, 8 to 400 of each).

    Returns
    -------
    pandas.DataFrame
        One row per position in the columns of
        :data:`banksim.positions.trading_book.TRADING_BOOK_COLUMNS` (amounts in EUR, signed).
    """
    cfg = check_bank_arguments(num_positions, seed, config, False)
    rng = np.random.default_rng([int(seed), SEED_SALT])
    gross = cfg["total_assets"] * TRADING_BOOK_SHARE[cfg["profile"]]
    amounts = {block: gross * share for block, share in BLOCKS.items()}
    rows = int(min(400, max(8, num_positions // 1000)))
    rates = _rates_block(rng, rows, amounts["bond"], amounts["swap_leg"])
    book = pd.concat([*rates, *_other_blocks(rng, rows, amounts)], ignore_index=True)
    for column, blank in BLANK_TEXT.items():
        book[column] = book[column].fillna(blank)
    book["is_index"] = book["is_index"].fillna(False).astype(bool)
    return validate_trading_book(book)
