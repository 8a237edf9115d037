"""The operational-risk balance-sheet proxy: an income statement for a bank that reports none.

Each business-indicator item (OPE25.4-25.5) is a fixed share of a balance-sheet amount
(``PROXY_RATES``); the risk-weighted assets use it when no business indicator is given.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from banksim.positions.vocabulary import BI_ITEMS

__all__ = ["NON_EARNING", "PROXY_GROWTH", "PROXY_RATES", "business_indicator_proxy"]

# Income-statement assumptions for a bank that reports none, as shares of balance-sheet amounts.
PROXY_RATES = {
    "interest_income": 0.030,  # of interest-earning assets
    "interest_expense": 0.016,  # of interest-earning assets
    "dividend_income": 0.040,  # of equity holdings
    "other_operating_income": 0.0010,  # of total assets
    "other_operating_expense": 0.0015,  # of total assets
    "fee_income": 0.0100,  # of total assets
    "fee_expense": 0.0030,  # of total assets
    "net_pnl_trading_book": 0.0010,  # of total assets
    "net_pnl_banking_book": 0.0005,  # of total assets
}
PROXY_GROWTH = (0.94, 0.97, 1.0)  # the balance sheet two years ago, one year ago, today
NON_EARNING = ("cash", "equity_holding", "other_asset")


def business_indicator_proxy(positions: pd.DataFrame) -> pd.DataFrame:
    """Three years of BI items (EUR millions) implied by a positions table and ``PROXY_RATES``.

    Interest-earning assets are all assets except cash, equity holdings and other assets; the
    balance sheet is assumed to have grown 3% a year (``PROXY_GROWTH``).
    """
    assets = _is_in(positions, "side", "asset")
    amount = positions["drawn_amount"].to_numpy()
    total = float(amount[assets].sum()) / 1e6
    earning = float(amount[assets & ~_is_in(positions, "product", *NON_EARNING)].sum()) / 1e6
    equity = float(amount[assets & _is_in(positions, "product", "equity_holding")].sum()) / 1e6
    base = {
        "interest_income": PROXY_RATES["interest_income"] * earning,
        "interest_expense": PROXY_RATES["interest_expense"] * earning,
        "interest_earning_assets": earning,
        "dividend_income": PROXY_RATES["dividend_income"] * equity,
        **{item: PROXY_RATES[item] * total for item in BI_ITEMS[4:]},
    }
    return pd.DataFrame(
        [{item: value * growth for item, value in base.items()} for growth in PROXY_GROWTH],
        index=pd.Index(["t-2", "t-1", "t"], name="year"),
    )


def _is_in(positions: pd.DataFrame, column: str, *values: str) -> np.ndarray:
    """Rows whose ``column`` is one of ``values`` (on a categorical column, compared on its codes)."""
    from banksim.regulation._frame import codes_among  # here: the regulation package imports this module

    series = positions[column]
    if isinstance(series.dtype, pd.CategoricalDtype):
        wanted = [code for code, name in enumerate(series.dtype.categories) if name in values]
        return codes_among(series.array.codes, wanted)
    return np.asarray(series.isin(values), dtype=bool)
