"""The synthetic bank's IFRS 9 and IRRBB columns: arrears, forbearance, PD at origination, coupons, repricing.

Drawn last, from a random stream of their own, so that every other column of a seed stays as it was;
the stage mix and the repricing profile are described in methodology 12.9 and 13.10.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from banksim.positions.vocabulary import CURRENCIES, ECL_PRODUCTS, NMD_PRODUCTS
from banksim.regulation.irrbb_parameters import IRRBB_PARAMETERS, base_curve_rate
from banksim.synthetic.table import Columns

__all__ = ["describe_rates_and_stages"]

# Share of each product's rows that reprice on a floating rate (the rest are fixed-rate): fixed-rate
# assets are mostly hedged into floating in a real bank; swaps are outside the positions' IRRBB scope.
FLOATING_SHARE = {
    "interbank_loan": 0.5, "corporate_loan": 0.8, "sme_loan": 0.6, "specialised_lending": 0.9,
    "residential_mortgage": 0.85, "commercial_real_estate_loan": 0.85, "retail_loan": 0.4,
    "government_bond": 0.5, "covered_bond": 0.4, "corporate_bond": 0.5, "wholesale_funding": 0.5,
    "issued_bond": 0.1, "corporate_deposit": 0.0, "repo": 0.0, "tier2_instrument": 0.0, "reverse_repo": 0.0,
}  # fmt: skip
# Products repaid by level annuities (the rest are bullets), and their share.
ANNUITY_SHARE = {"residential_mortgage": 0.9, "retail_loan": 0.9, "sme_loan": 0.5,
                 "commercial_real_estate_loan": 0.5, "specialised_lending": 0.7}  # fmt: skip
# Coupons per year: monthly for retail lending, quarterly for the rest of lending, annual for bonds.
FREQUENCY = {"residential_mortgage": 12, "retail_loan": 12, "credit_card": 12, "government_bond": 1,
             "covered_bond": 1, "corporate_bond": 1, "issued_bond": 1, "tier2_instrument": 1}  # fmt: skip
NMD_CATEGORY = {"retail_deposit": "retail_transactional", "sme_deposit": "retail_non_transactional",
                "operational_deposit": "wholesale", "corporate_deposit": "wholesale"}  # fmt: skip
# The bank's estimates of each NMD category: core share and average core maturity (years), below the
# SRP31.110 caps (90%/5y, 70%/4.5y, 50%/4y).
NMD_ESTIMATES = {"retail_transactional": (0.7, 2.5), "retail_non_transactional": (0.5, 2.0),
                 "wholesale": (0.3, 1.0)}  # fmt: skip


def describe_rates_and_stages(cols: Columns, blocks: dict[str, np.ndarray], rng: np.random.Generator) -> None:
    """Fill the credit-quality and repricing columns of every product (``blocks``: its rows)."""
    _credit_quality(cols, blocks, rng)
    for product, rows in blocks.items():
        if len(rows):
            _repricing(cols, product, rows, rng)


def _credit_quality(cols: Columns, blocks: dict[str, np.ndarray], rng: np.random.Generator) -> None:
    """Arrears, forbearance and watchlist flags, PD at origination (a stage mix of ~95/4/1.5%).

    Defaulted loans are 90-360 days past due; about 3% of performing lines are 1-30 days past due
    and 0.8% 31-89 days; 0.6% are forborne and 1.5% on the watchlist; 4% have a PD at origination
    2.5-6 times below today's (a significant increase), the others within +-30% of it.
    """
    rows = np.concatenate([blocks[p] for p in ECL_PRODUCTS if p in blocks] or [np.zeros(0, np.int64)])
    n, data = len(rows), cols.data
    defaulted = data["is_defaulted"][rows]
    draw = rng.random(n)
    dpd = np.where(draw < 0.03, rng.integers(1, 31, n), 0)
    dpd = np.where((draw >= 0.03) & (draw < 0.038), rng.integers(31, 90, n), dpd)
    dpd = np.where(defaulted, rng.integers(90, 361, n), dpd)
    flags = rng.random((n, 2))
    current = data["pd"][rows]
    worse = rng.random(n) < 0.04
    origination = np.where(worse, current / rng.uniform(2.5, 6.0, n), current * rng.uniform(0.7, 1.3, n))
    origination = np.where(defaulted | np.isnan(current), np.nan, np.clip(origination, 0.0001, 1.0))
    cols.set(
        rows,
        days_past_due=dpd.astype(float),
        forborne=flags[:, 0] < np.where(defaulted, 0.3, 0.006),
        watchlist=~defaulted & (flags[:, 1] < 0.015),
        pd_at_origination=origination.round(6),
    )


def _repricing(cols: Columns, product: str, rows: np.ndarray, rng: np.random.Generator) -> None:
    """Repricing type, coupon, frequency, next reset, amortisation; NMD category (methodology 13.10)."""
    data = cols.data
    undated = np.isnan(data["residual_maturity"][rows])
    if product in NMD_PRODUCTS:
        share, maturity = NMD_ESTIMATES[NMD_CATEGORY[product]]
        cols.set(
            rows[undated], repricing_type="nmd", nmd_category=NMD_CATEGORY[product],
            nmd_core_share=share, nmd_core_maturity=maturity,
        )  # fmt: skip
    if product == "credit_card":  # an administered rate: out of the IRRBB scope by the bank's choice
        cols.set(rows, repricing_type="none")
    rows = rows[~undated]
    if not len(rows) or data["side"][rows[0]] > 1 or product == "credit_card":
        return  # no maturity, or not an asset or a liability: 'auto' derives 'none' (methodology 13.10)
    n, maturity = len(rows), data["residual_maturity"][rows]
    frequency = float(FREQUENCY.get(product, 4))
    floating = rng.random(n) < FLOATING_SHARE.get(product, 0.0)
    annuity = ~floating & (rng.random(n) < ANNUITY_SHARE.get(product, 0.0))
    base = _base_rate(data["currency"][rows], maturity)
    credit = np.nan_to_num(data["pd"][rows] * data["lgd"][rows]) + 0.01 * (data["side"][rows] == 0)
    rate = np.maximum(base + credit + rng.uniform(0.0, 0.005, n), 0.0).round(6)
    reset = maturity - np.floor(maturity * frequency - 1e-9) / frequency  # on the grid ending at T
    cols.set(
        rows,
        repricing_type=np.where(floating, "floating", "fixed"),
        amortisation_type=np.where(annuity, "annuity", "bullet"),
        interest_rate=rate,
        eir=np.where(data["side"][rows] == 0, rate, np.nan),
        payment_frequency=frequency,
        next_reset=np.where(floating, reset, np.nan),
        floating_spread=np.where(floating, np.round(credit, 6), 0.0),
    )


def _base_rate(currency_codes: np.ndarray, maturity: np.ndarray) -> np.ndarray:
    """The illustrative base zero rate of each row's currency at its residual maturity."""
    curves: dict[str, Any] = IRRBB_PARAMETERS["base_curve"]
    short = np.array([curves[c][0] for c in CURRENCIES])[currency_codes]
    long = np.array([curves[c][1] for c in CURRENCIES])[currency_codes]
    return base_curve_rate(short, long, maturity)
