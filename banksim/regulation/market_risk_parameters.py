"""Market-risk parameters as data (MAR40, simplified standardised approach): charges and scaling.

Every number has its MAR40 paragraph in the comment (methodology 11); a variant is an override of
this nested dict passed as ``parameters`` to :func:`banksim.regulation.market_risk.market_risk_capital`.
"""

from __future__ import annotations

from typing import Any

__all__ = ["MARKET_RISK_PARAMETERS"]

MARKET_RISK_PARAMETERS: dict[str, Any] = {
    # MAR40.2: K = 1.30 K_IR + 3.50 K_EQ + 1.90 K_COM + 1.20 K_FX (option charges included, C.34).
    "scaling_factor": {"interest_rate": 1.30, "equity": 3.50, "commodity": 1.90, "fx": 1.20},
    "rwa_multiplier": 12.5,  # MAR40.1: RWA = 12.5 x K
    "specific_risk": {
        # MAR40.6 Table 1, qualifying rates by residual maturity: <= 6 months, <= 24 months, longer.
        "qualifying_maturity_bounds": (0.5, 2.0),  # MAR40.6 Table 1 (upper bounds inclusive, C.32)
        "qualifying_rates": (0.0025, 0.01, 0.016),  # MAR40.6 Table 1: 0.25%, 1.00%, 1.60%
        # MAR40.6 Table 1, government paper by rating bucket; A+ to BBB- take the qualifying rates.
        "government": {"aaa_aa": 0.0, "bb": 0.08, "b": 0.08, "below_b": 0.12, "unrated": 0.08},
        # MAR40.6 Table 1, "other": BB+ to BB- 8%, below BB- 12%, unrated 8%.
        "other": {"bb": 0.08, "b": 0.12, "below_b": 0.12, "unrated": 0.08},
    },
    "general_risk": {
        # MAR40.26 Table 4: upper bounds (years) of bands 1-12 (band 13 over 20 years), coupon >= 3%.
        "band_bounds": (1 / 12, 3 / 12, 6 / 12, 1.0, 2.0, 3.0, 4.0, 5.0, 7.0, 10.0, 15.0, 20.0),
        # MAR40.26 Table 4: upper bounds of bands 1-14 (band 15 over 20 years), coupon < 3%.
        "band_bounds_low_coupon": (
            1 / 12,
            3 / 12,
            6 / 12,
            1.0,
            1.9,
            2.8,
            3.6,
            4.3,
            5.7,
            7.3,
            9.3,
            10.6,
            12.0,
            20.0,
        ),
        "low_coupon": 0.03,  # MAR40.26: coupon below 3% uses the second column
        # MAR40.26 Table 4: risk weight of bands 1-15.
        "band_risk_weights": (
            0.0,
            0.002,
            0.004,
            0.007,
            0.0125,
            0.0175,
            0.0225,
            0.0275,
            0.0325,
            0.0375,
            0.045,
            0.0525,
            0.06,
            0.08,
            0.125,
        ),
        "band_zones": (1, 1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3),  # MAR40.28(1) (methodology C.32)
        "vertical_disallowance": 0.10,  # MAR40.27
        "within_zone": (0.40, 0.30, 0.30),  # MAR40.28 Table 5: zones 1, 2, 3
        "adjacent_zones": 0.40,  # MAR40.28 Table 5: zones 1-2 and 2-3
        "zones_1_and_3": 1.00,  # MAR40.28 Table 5
        "net_position": 1.00,  # MAR40.23(1): the net position at 100%
    },
    "equity": {
        "specific": 0.08,  # MAR40.43
        "specific_index": 0.02,  # MAR40.47 Table 8: well-diversified index
        "general": 0.08,  # MAR40.43
    },
    "fx": {"rate": 0.08},  # MAR40.61: 8% of the overall net open position
    "commodity": {"net": 0.15, "gross": 0.03},  # MAR40.73: simplified approach
    "options": {
        "forward_after": 0.5,  # MAR40.76 footnote 33: forward price beyond six months
        "fx_rate": 0.08,  # MAR40.76 footnote 32: FX and gold
        "commodity_rate": 0.15,  # MAR40.76 footnote 32: commodities
        "equity_gamma_price_change": 0.08,  # MAR40.80(2): VU = price x 8% (equity)
        "vega_shift": 0.25,  # MAR40.80(6): a relative shift of 25% in volatility
    },
    # MAR40.74: the bank's option method, simplified or delta_plus (methodology 11.7, C.34).
    "option_method": "simplified",
    "reporting_currency": "EUR",  # methodology C.32: the currency of every amount (no FX position in it)
}
