"""Derivative trades of the synthetic bank with their SA-CCR fields (CRE52): netting sets and trades.

Netting sets have one counterparty each (a bank or a corporate) and a margin agreement or none;
trades have an asset class, a hedging set, a supervisory-factor row, dates and option terms.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from banksim.synthetic.products import RATING_CODE, draw_ratings
from banksim.synthetic.table import Columns, Picker

__all__ = ["derivatives"]


def derivatives(cols: Columns, r: np.ndarray, rng: np.random.Generator, cfg: dict[str, Any]) -> None:
    """SA-CCR trade fields of the derivative rows ``r``: netting sets first, then the trades."""
    if len(r) == 0:
        return
    sets = max(1, len(r) // 40)  # netting sets of about 40 trades
    set_of_trade, notional = _netting_sets(cols, r, rng, cfg, sets)
    _trades(cols, r, rng, set_of_trade, notional, sets)


def _netting_sets(
    cols: Columns, r: np.ndarray, rng: np.random.Generator, cfg: dict[str, Any], sets: int
) -> tuple[np.ndarray, np.ndarray]:
    """A counterparty (bank or corporate) with its rating and the margin agreement of each netting set.

    Returns the netting set of each trade (0, 1, ...) and the trade notionals.
    """
    n = len(r)
    pick = Picker(rng)
    set_of_trade = np.sort(rng.integers(0, sets, n))
    bank = rng.random(sets) < 0.7
    rating = draw_ratings(rng, sets, cfg["rating_distribution"], sovereign=False)
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
    return set_of_trade, notional


def _trades(
    cols: Columns,
    r: np.ndarray,
    rng: np.random.Generator,
    set_of_trade: np.ndarray,
    notional: np.ndarray,
    sets: int,
) -> None:
    """Asset class, hedging set, supervisory-factor row, dates, direction and option terms of each trade."""
    n = len(r)
    pick = Picker(rng)
    # Asset class, hedging set and supervisory-factor row (CRE52.72).
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
    currencies = np.array(("EUR", "USD", "GBP"), dtype=object)  # the interest-rate trades' currencies
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
