"""Market risk, simplified standardised approach (MAR40): hand-worked cases for every charge.

Each expected value is worked from the MAR40 rules in the test (methodology 11); the published
examples of MAR40.61 (FX, 26.8), MAR40.76 (option, 60) and the maturity-method ladder (13.285) are
reproduced.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import pytest

from banksim.errors import InputError
from banksim.regulation.market_risk import market_risk_capital

REL = 1e-9


def book(*rows: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame([{"position_id": f"P{i}", **row} for i, row in enumerate(rows, start=1)])


def ir(
    value: float, maturity: float, coupon: float = 0.05, currency: str = "USD", **kw: Any
) -> dict[str, Any]:
    leg = {"instrument_type": "swap_leg"} if "issuer_category" not in kw else {"instrument_type": "bond"}
    return {
        "risk_class": "interest_rate",
        "market_value": value,
        "residual_maturity": maturity,
        "coupon": coupon,
        "currency": currency,
        **leg,
        **kw,
    }


def charges(result: Any, charge: str) -> pd.Series:
    lines = result.lines[result.lines["charge"] == charge]
    return lines.set_index("key")["capital"]


def capital(result: Any, risk_class: str) -> float:
    return float(result.classes.set_index("risk_class").loc[risk_class, "capital"])


# -- Interest rate: general market risk (maturity method) ------------------------------------------

# Mid-points of the 13 bands of the coupon >= 3% column (MAR40.26 Table 4).
MID = [0.5 / 12, 2 / 12, 4.5 / 12, 9 / 12, 1.5, 2.5, 3.5, 4.5, 6.0, 8.5, 12.5, 17.5, 25.0]
# One long and one short per band. Zone 1 and the last band are the published ones; bands 5-12 are a
# ladder with every published intermediate figure (band matches 55.35; zones +1.30, -5.25 and +8.25
# with 4.50 matched in zone 3).
LADDER = [
    (100, 50),
    (200, 100),
    (300, 200),
    (400, 300),
    (400, 500),
    (300, 400),
    (200, 300),
    (100, 100),
    (100, 100),
    (300, 100),
    (100, 200),
    (200, 100),
    (300, 300),
]


def test_maturity_method_worked_example() -> None:
    rows = [
        ir(sign * amount, m)
        for m, pair in zip(MID, LADDER, strict=True)
        for sign, amount in zip((1, -1), pair, strict=True)
    ]
    result = market_risk_capital(book(*rows))
    rw = [0.0, 0.002, 0.004, 0.007, 0.0125, 0.0175, 0.0225, 0.0275, 0.0325, 0.0375, 0.045, 0.0525, 0.06]
    vertical = sum(min(long, short) * w for (long, short), w in zip(LADDER, rw, strict=True))  # MAR40.27
    net = [(long - short) * w for (long, short), w in zip(LADDER, rw, strict=True)]
    assert vertical == pytest.approx(55.35, rel=REL)
    assert sum(net[:4]) == pytest.approx(1.30, rel=REL)  # zone 1, nothing matched inside
    assert sum(net[4:7]) == pytest.approx(-5.25, rel=REL)  # zone 2, all short
    zone3_long = sum(v for v in net[7:] if v > 0)
    zone3_short = -sum(v for v in net[7:] if v < 0)
    assert (zone3_long - zone3_short, min(zone3_long, zone3_short)) == pytest.approx((8.25, 4.50), rel=REL)
    # MAR40.28: zone 1 offsets 1.30 against zone 2 (40%); zone 2's -3.95 against zone 3 (40%), which keeps 4.30.
    expected = 0.10 * 55.35 + 0.30 * 4.50 + 0.40 * (1.30 + 3.95) + 1.00 * 0.0 + 4.30
    assert expected == pytest.approx(13.285, rel=REL)
    lines = result.lines.set_index("charge")
    assert lines.loc["ir_general_vertical", "amount"] == pytest.approx(55.35, rel=REL)
    assert lines.loc["ir_general_zone_3", "amount"] == pytest.approx(4.50, rel=REL)
    assert lines.loc["ir_general_zones_1_2", "amount"] == pytest.approx(1.30, rel=REL)
    assert lines.loc["ir_general_zones_2_3", "amount"] == pytest.approx(3.95, rel=REL)
    assert lines.loc["ir_general_net", "amount"] == pytest.approx(4.30, rel=REL)
    assert capital(result, "interest_rate") == pytest.approx(13.285, rel=REL)
    assert result.k_market == pytest.approx(1.30 * 13.285, rel=REL)  # MAR40.2


def test_general_risk_disallowances_across_zones_and_currencies() -> None:
    rows = [
        ir(1000, 1.0),  # exactly 1 year: band 4 "6-12 months" (C.32), 0.70% -> +7.0
        ir(-500, 0.75),  # band 4 -> -3.5
        ir(-100, 0.3, coupon=float("nan")),  # floating leg, 3.6 months: first column, band 3, 0.40% -> -0.4
        ir(-400, 4.0),  # coupon 5%: band 7 (3-4 years), 2.25% -> -9.0, zone 2
        ir(200, 4.0, coupon=0.02),  # coupon < 3%: band 8 (3.6-4.3 years), 2.75% -> +5.5, zone 3
        ir(300, 12.0, coupon=0.04),  # band 11 (10-15 years), 4.50% -> +13.5
        ir(-200, 15.0, coupon=0.01),  # coupon < 3%: band 14 (12-20 years), 8.00% -> -16.0
        ir(1000, 0.9, currency="GBP"),  # GBP band 4 -> +7.0, zone 1
        ir(-100, 6.0, currency="GBP"),  # GBP band 9 (5-7 years), 3.25% -> -3.25, zone 3
    ]
    result = market_risk_capital(book(*rows))
    # USD. Vertical: band 4 min(7.0, 3.5) = 3.5. Zone 1: +3.5 vs -0.4 -> matched 0.4, keeps +3.1.
    # Zone 2: -9.0. Zone 3: +5.5 + 13.5 vs -16 -> matched 16, keeps +3.0.
    # Zones 1-2: min(3.1, 9.0) = 3.1 (zone 2 keeps -5.9); zones 2-3: min(5.9, 3.0) = 3.0; 1-3: 0.
    # Net |3.1 - 9.0 + 3.0| = 2.9.
    usd = 0.10 * 3.5 + 0.40 * 0.4 + 0.30 * 0.0 + 0.30 * 16.0 + 0.40 * 3.1 + 0.40 * 3.0 + 1.0 * 0.0 + 2.9
    # GBP: zone 1 +7.0, zone 3 -3.25, no zone 2 -> zones 1-3 matched 3.25 at 100%; net 3.75.
    gbp = 1.0 * 3.25 + 3.75
    assert usd == pytest.approx(10.65, rel=REL) and gbp == pytest.approx(7.0, rel=REL)
    assert capital(result, "interest_rate") == pytest.approx(usd + gbp, rel=REL)  # MAR40.24: no offsetting
    per_currency = (
        result.lines[result.lines["charge"] != "ir_general_position"].groupby("key")["capital"].sum()
    )
    assert per_currency["USD"] == pytest.approx(usd, rel=REL)
    assert per_currency["GBP"] == pytest.approx(gbp, rel=REL)
    positions = result.lines[result.lines["charge"] == "ir_general_position"]
    assert positions["band"].tolist() == [4, 4, 3, 7, 8, 11, 14, 4, 9]
    assert positions["zone"].tolist() == [1, 1, 1, 2, 3, 3, 3, 1, 3]
    assert set(positions["rule"]) == {"MAR40.26"}


# -- Interest rate: specific risk -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("category", "rating", "maturity", "extra", "rate", "rule"),
    [
        ("government", "AA-", 10.0, {}, 0.0, "MAR40.6"),
        ("government", "A+", 0.4, {}, 0.0025, "MAR40.6"),
        ("government", "BBB-", 0.5, {}, 0.0025, "MAR40.6"),  # exactly 6 months: 0.25% (C.32)
        ("government", "BB+", 3.0, {}, 0.08, "MAR40.6"),
        ("government", "B-", 3.0, {}, 0.08, "MAR40.6"),
        ("government", "CCC+", 3.0, {}, 0.12, "MAR40.6"),
        ("government", "unrated", 3.0, {}, 0.08, "MAR40.6"),
        ("corporate", "BBB", 2.0, {}, 0.01, "MAR40.6; MAR40.9"),  # exactly 24 months: 1.00%
        ("corporate", "A", 2.5, {}, 0.016, "MAR40.6; MAR40.9"),
        ("pse", "unrated", 1.0, {}, 0.01, "MAR40.6; MAR40.9"),
        ("mdb", "BB", 0.25, {}, 0.0025, "MAR40.6; MAR40.9"),
        ("bank", "unrated", 10.0, {"qualifying_unrated": True}, 0.016, "MAR40.6; MAR40.9"),
        ("bank", "unrated", 10.0, {}, 0.08, "MAR40.6"),
        ("corporate", "BB-", 1.0, {}, 0.08, "MAR40.6"),
        ("corporate", "B+", 1.0, {}, 0.12, "MAR40.6"),
    ],
)
def test_specific_risk_by_issuer_rating_and_maturity(
    category: str, rating: str, maturity: float, extra: dict[str, Any], rate: float, rule: str
) -> None:
    result = market_risk_capital(
        book(ir(-1000.0, maturity, issuer_category=category, rating=rating, **extra))
    )
    line = result.lines[result.lines["charge"] == "ir_specific"].iloc[0]
    # MAR40.6 Table 1: charge on the absolute net position.
    assert line["rate"] == rate and line["rule"] == rule
    assert line["capital"] == pytest.approx(1000.0 * rate, rel=REL)


def test_specific_risk_nets_only_within_an_issue() -> None:
    result = market_risk_capital(
        book(
            ir(1000, 3.0, issuer_category="corporate", rating="BB", issue_id="X"),
            ir(-400, 3.0, issuer_category="corporate", rating="BB", issue_id="X"),
            ir(-300, 3.0, issuer_category="corporate", rating="BB", issue_id="Y"),
        )
    )
    specific = charges(result, "ir_specific")
    # MAR40.5: X nets to 600, Y stays -300; no offset between issues: 8% x (600 + 300) = 72.
    assert specific["X"] == pytest.approx(0.08 * 600, rel=REL)
    assert specific.sum() == pytest.approx(72.0, rel=REL)
    # General: exactly 3 years is band 6 (2-3 years, upper bound inclusive, C.32), 1.75%:
    # +10.5 and -5.25 -> vertical 10% x 5.25, net 5.25.
    general = 0.10 * 5.25 + 5.25
    assert capital(result, "interest_rate") == pytest.approx(72.0 + general, rel=REL)


# -- Equity, FX, commodities --------------------------------------------------------------------------


def eq(value: float, market: str = "US", **kw: Any) -> dict[str, Any]:
    return {
        "risk_class": "equity",
        "instrument_type": "equity",
        "market_value": value,
        "national_market": market,
        **kw,
    }


def test_equity_specific_and_general() -> None:
    result = market_risk_capital(
        book(
            eq(1000, issue_id="A"),
            eq(-300, issue_id="A"),
            eq(-500, issue_id="B"),
            eq(2000, issue_id="IDX", is_index=True),
            eq(400, market="DE", issue_id="C"),
        )
    )
    # MAR40.43 / 40.47: specific 8% x (700 + 500 + 400) + 2% x 2000 = 128 + 40 = 168.
    specific = charges(result, "equity_specific")
    assert specific.sum() == pytest.approx(0.08 * (700 + 500 + 400) + 0.02 * 2000, rel=REL)
    # General 8% per market: US |700 - 500 + 2000| = 2200 -> 176; DE 400 -> 32.
    general = charges(result, "equity_general")
    assert general["US"] == pytest.approx(176.0, rel=REL) and general["DE"] == pytest.approx(32.0, rel=REL)
    assert capital(result, "equity") == pytest.approx(168.0 + 208.0, rel=REL)
    assert result.k_market == pytest.approx(3.50 * 376.0, rel=REL)


def fx(currency: str, value: float) -> dict[str, Any]:
    return {
        "risk_class": "fx",
        "instrument_type": "fx_net_position",
        "currency": currency,
        "market_value": value,
    }


GOLD = {"risk_class": "fx", "instrument_type": "gold_net_position"}


def test_fx_shorthand_published_example() -> None:
    result = market_risk_capital(
        book(
            fx("JPY", 50),
            fx("EUR", 100),
            fx("GBP", 150),
            fx("CAD", -20),
            fx("USD", -180),
            {**GOLD, "market_value": -35.0},
        ),
        reporting_currency="CHF",
    )
    # MAR40.61 Table 9: max(50 + 100 + 150, 20 + 180) + |-35| = 335; 8% -> 26.8.
    overall = result.lines.set_index("charge").loc["fx_overall"]
    assert overall["amount"] == pytest.approx(335.0, rel=REL)
    assert capital(result, "fx") == pytest.approx(26.8, rel=REL)
    assert result.k_market == pytest.approx(1.20 * 26.8, rel=REL)


def test_fx_nets_rows_of_one_currency_and_shorts_can_dominate() -> None:
    result = market_risk_capital(
        book(
            fx("USD", 100),
            fx("USD", -250),
            fx("JPY", 40),
            {**GOLD, "market_value": 10.0},
            {**GOLD, "market_value": 15.0},
        ),
    )
    # USD net -150, JPY +40: max(40, 150) + |10 + 15| = 175; 8% -> 14.
    assert capital(result, "fx") == pytest.approx(0.08 * 175, rel=REL)


def test_commodities_simplified_approach() -> None:
    com = {"risk_class": "commodity", "instrument_type": "commodity_position"}
    result = market_risk_capital(
        book(
            {**com, "commodity": "oil", "market_value": 1000.0},
            {**com, "commodity": "oil", "market_value": -400.0},
            {**com, "commodity": "copper", "market_value": -200.0},
        )
    )
    # MAR40.73: oil 15% x |600| + 3% x 1400 = 90 + 42; copper 15% x 200 + 3% x 200 = 30 + 6.
    net, gross = charges(result, "commodity_net"), charges(result, "commodity_gross")
    assert (net["oil"], gross["oil"]) == pytest.approx((90.0, 42.0), rel=REL)
    assert (net["copper"], gross["copper"]) == pytest.approx((30.0, 6.0), rel=REL)
    assert capital(result, "commodity") == pytest.approx(168.0, rel=REL)
    assert result.k_market == pytest.approx(1.90 * 168.0, rel=REL)


# -- Options ------------------------------------------------------------------------------------------


def option(kind: str, quantity: float, price: float, **kw: Any) -> dict[str, Any]:
    return {
        "risk_class": "equity",
        "instrument_type": "option",
        "market_value": 0.0,
        "national_market": "US",
        "option_type": kind,
        "option_position": "bought",
        "quantity": quantity,
        "underlying_price": price,
        **kw,
    }


def test_simplified_published_example() -> None:
    result = market_risk_capital(
        book(
            {**eq(1000.0), "position_id": "CASH"},
            {
                **option(
                    "put",
                    100,
                    10.0,
                    strike_price=11.0,
                    option_residual_maturity=0.25,
                    hedged_position_id="CASH",
                )
            },
        )
    )
    # MAR40.76: 1,000 x 16% - (11 - 10) x 100 = 160 - 100 = 60; the cash position leaves the standard charge.
    assert capital(result, "equity") == pytest.approx(60.0, rel=REL)
    assert set(result.lines["charge"]) == {"option_simplified"}
    assert result.lines.iloc[0]["in_the_money"] == pytest.approx(100.0, rel=REL)


def test_simplified_forward_price_standalone_and_other_classes() -> None:
    result = market_risk_capital(
        book(
            {**eq(-5000.0), "position_id": "SHORT"},
            # Call hedging a short position, 1 year: ITM at the forward 52: (52 - 48) x 100 = 400.
            option(
                "call",
                100,
                50.0,
                strike_price=48.0,
                option_residual_maturity=1.0,
                underlying_forward_price=52.0,
                hedged_position_id="SHORT",
                position_id="C1",
            ),
            {**eq(-5000.0), "position_id": "SHORT2"},
            # Same, no forward price: ITM taken as 0 (C.34).
            option(
                "call",
                100,
                50.0,
                strike_price=48.0,
                option_residual_maturity=1.0,
                hedged_position_id="SHORT2",
                position_id="C2",
            ),
            option("call", 100, 50.0, option_market_value=300.0, position_id="C3"),  # standalone
            option("call", 10, 100.0, option_market_value=500.0, is_index=True, position_id="C4"),
            {
                **option("put", 1000, 1.0, option_market_value=30.0),
                "risk_class": "interest_rate",
                "issuer_category": "government",
                "rating": "A",
                "residual_maturity": 1.5,
                "coupon": 0.05,
                "currency": "EUR",
                "position_id": "C5",
            },
            {**option("call", 100, 2.0, option_market_value=50.0), "risk_class": "fx", "position_id": "C6"},
            {
                **option("call", 100, 2.0, option_market_value=50.0),
                "risk_class": "commodity",
                "position_id": "C7",
            },
        )
    )
    got = charges(result, "option_simplified")
    assert got["C1"] == pytest.approx(max(0.0, 5000 * 0.16 - 400), rel=REL)  # 400
    assert got["C2"] == pytest.approx(800.0, rel=REL)
    assert got["C3"] == pytest.approx(min(5000 * 0.16, 300.0), rel=REL)  # 300
    assert got["C4"] == pytest.approx(min(1000 * (0.02 + 0.08), 500.0), rel=REL)  # 100
    # IR: government A, 1.5 years -> specific 1.00% + band 5 (1-2 years) 1.25%: min(22.5, 30).
    assert got["C5"] == pytest.approx(1000 * (0.01 + 0.0125), rel=REL)
    assert got["C6"] == pytest.approx(min(200 * 0.08, 50.0), rel=REL)  # FX 8%: 16
    assert got["C7"] == pytest.approx(min(200 * 0.15, 50.0), rel=REL)  # commodity 15%: 30
    assert capital(result, "equity") == pytest.approx(400 + 800 + 300 + 100, rel=REL)  # no cash charges
    assert capital(result, "interest_rate") == pytest.approx(22.5, rel=REL)


def test_delta_plus_written_call() -> None:
    result = market_risk_capital(
        book(
            {
                **option("call", 10_000, 40.0, delta=0.5, gamma=0.03, vega=8.0, implied_volatility=0.30),
                "option_position": "written",
            }
        ),
        option_method="delta_plus",
    )
    # MAR40.77-40.80: delta-equivalent -0.5 x 10,000 x 40 = -200,000; gamma impact
    # -1/2 x 0.03 x 10,000 x (0.08 x 40)^2 = -1,536; vega -8 x 10,000 x 25% x 0.30 = -6,000.
    gamma = 0.5 * 0.03 * 10_000 * (0.08 * 40) ** 2
    vega = 8 * 10_000 * 0.25 * 0.30
    assert (gamma, vega) == pytest.approx((1536.0, 6000.0), rel=REL)
    assert charges(result, "option_gamma")["US"] == pytest.approx(1536.0, rel=REL)
    assert charges(result, "option_vega")["US"] == pytest.approx(6000.0, rel=REL)
    assert charges(result, "equity_specific").sum() == pytest.approx(16_000.0, rel=REL)
    assert charges(result, "equity_general")["US"] == pytest.approx(16_000.0, rel=REL)
    assert capital(result, "equity") == pytest.approx(1536 + 6000 + 16_000 + 16_000, rel=REL)


# -- Scaling ------------------------------------------------------------------------------------------


def test_scaling_factors_and_rwa() -> None:
    result = market_risk_capital(
        book(
            ir(100.0, 1.0, issuer_category="corporate", rating="BB"),  # 8% specific + 0.70% general
            eq(100.0),  # 8% + 8%
            fx("USD", 100.0),  # 8%
            {
                "risk_class": "commodity",
                "instrument_type": "commodity_position",
                "commodity": "oil",
                "market_value": 100.0,
            },  # 15% + 3%
        )
    )
    k = {"interest_rate": 8.0 + 0.7, "equity": 16.0, "fx": 8.0, "commodity": 18.0}
    # MAR40.2: 1.30 x 8.7 + 3.50 x 16 + 1.90 x 18 + 1.20 x 8 = 111.11; MAR40.1: RWA = 12.5 x K.
    expected = 1.30 * k["interest_rate"] + 3.50 * k["equity"] + 1.90 * k["commodity"] + 1.20 * k["fx"]
    assert expected == pytest.approx(111.11, rel=REL)
    classes = result.classes.set_index("risk_class")
    for name, value in k.items():
        assert classes.loc[name, "capital"] == pytest.approx(value, rel=REL)
    assert result.k_market == pytest.approx(111.11, rel=REL)
    assert result.rwa == pytest.approx(12.5 * 111.11, rel=REL)
    assert result.lines["capital"].sum() == pytest.approx(8.7 + 16 + 8 + 18, rel=REL)


def test_empty_book_has_no_capital() -> None:
    result = market_risk_capital(book(fx("USD", 0.0)))
    assert result.k_market == 0.0 and math.isfinite(result.rwa)


# -- Bad inputs ---------------------------------------------------------------------------------------

CASH = {**eq(1000.0), "position_id": "CASH"}
PUT = option("put", 100, 10.0, strike_price=11.0, option_residual_maturity=0.25, hedged_position_id="CASH")


@pytest.mark.parametrize(
    ("rows", "column", "kwargs"),
    [
        ([{**eq(1.0), "risk_class": "credit"}], "risk_class", {}),
        ([{**eq(1.0), "instrument_type": "bond"}], "instrument_type", {}),
        ([{**eq(1.0), "market_value": None}], "market_value", {}),
        ([{**eq(1.0), "market_value": "ten"}], "market_value", {}),
        ([eq(1.0, market="")], "national_market", {}),
        ([ir(1.0, -1.0)], "residual_maturity", {}),
        ([ir(1.0, float("nan"))], "residual_maturity", {}),
        ([ir(1.0, 1.0, currency="")], "currency", {}),
        ([ir(1.0, 1.0, issuer_category="none")], "issuer_category", {}),
        ([ir(1.0, 1.0, rating="A-1", issuer_category="corporate")], "rating", {}),
        ([ir(1.0, 1.0, issue_id="X"), ir(1.0, 1.0, coupon=0.02, issue_id="X")], "coupon", {}),
        ([fx("EUR", 1.0)], "currency", {}),
        ([CASH, {**PUT, "option_position": "written"}], "option_position", {}),
        ([{**CASH, "market_value": -1000.0}, PUT], "hedged_position_id", {}),
        ([{**CASH, "market_value": 999.0}, PUT], "quantity", {}),
        ([CASH, {**PUT, "hedged_position_id": "NOPE"}], "hedged_position_id", {}),
        ([option("call", 1, 1.0)], "option_market_value", {}),
        (
            [
                {
                    **option("call", 1, 1.0, delta=0.5, gamma=0.1, vega=1.0, implied_volatility=0.2),
                    "risk_class": "fx",
                }
            ],
            "risk_class",
            {"option_method": "delta_plus"},
        ),
        (
            [option("call", 1, 1.0, delta=-0.5, gamma=0.1, vega=1.0, implied_volatility=0.2)],
            "delta",
            {"option_method": "delta_plus"},
        ),
        ([{**eq(1.0), "position_id": "A"}, {**eq(1.0), "position_id": "A"}], "position_id", {}),
    ],
)
def test_bad_trading_books_are_rejected(
    rows: list[dict[str, Any]], column: str, kwargs: dict[str, Any]
) -> None:
    frame = pd.DataFrame([{"position_id": f"P{i}", **row} for i, row in enumerate(rows, start=1)])
    with pytest.raises(InputError) as error:
        market_risk_capital(frame, **kwargs)
    assert error.value.argument == f"trading_book[{column!r}]"


def test_bad_arguments_are_rejected() -> None:
    with pytest.raises(InputError, match="option_method"):
        market_risk_capital(book(eq(1.0)), option_method="scenario")
    with pytest.raises(InputError, match="unknown market-risk parameter"):
        market_risk_capital(book(eq(1.0)), parameters={"scaling": 1.0})
    with pytest.raises(InputError, match="missing required columns"):
        market_risk_capital(pd.DataFrame({"position_id": ["A"]}))


def test_delta_plus_bought_put_nets_with_its_stock() -> None:
    result = market_risk_capital(
        book(
            eq(5000.0, issue_id="XYZ"),
            option(
                "put", 100, 50.0, issue_id="XYZ", delta=-0.4, gamma=0.02, vega=5.0, implied_volatility=0.2
            ),
        ),
        option_method="delta_plus",
    )
    # Delta-equivalent +1 x -0.4 x 100 x 50 = -2,000 joins issue XYZ: net 3,000 (MAR40.77, C.32).
    # Specific 8% x 3,000 = 240; general 8% x 3,000 = 240. Gamma impact of a bought option is
    # +1/2 x 0.02 x 100 x (0.08 x 50)^2 = +16 -> charge |min(0, 16)| = 0; vega |5 x 100 x 25% x 0.2| = 25.
    assert charges(result, "equity_specific")["XYZ"] == pytest.approx(240.0, rel=REL)
    assert charges(result, "option_gamma")["US"] == 0.0
    assert result.lines.set_index("charge").loc["option_gamma", "amount"] == pytest.approx(16.0, rel=REL)
    assert charges(result, "option_vega")["US"] == pytest.approx(25.0, rel=REL)
    assert capital(result, "equity") == pytest.approx(240 + 240 + 25, rel=REL)


def test_parameters_override() -> None:
    # A variant that scales equity by 1.0 instead of 3.50 (MAR40.2): K = 16 for 100 long.
    result = market_risk_capital(book(eq(100.0)), parameters={"scaling_factor": {"equity": 1.0}})
    assert result.k_market == pytest.approx(16.0, rel=REL)
    assert result.classes.set_index("risk_class").loc["interest_rate", "scaling_factor"] == 1.30


def test_a_validated_trading_book_of_known_content_is_not_checked_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A trading book hashed as a cached step's argument and found valid is not checked again while
    its content is the same; the caller's changes to the returned table never reach the next call,
    and a write to the table makes it new content, checked again."""
    from banksim.hashing import compute_params_hash
    from banksim.positions import trading_book as module

    checks: list[int] = []
    real = module.validate_table
    monkeypatch.setattr(module, "validate_table", lambda *a, **k: checks.append(1) or real(*a, **k))
    from banksim.synthetic.trading_book import generate_trading_book

    book = generate_trading_book(20_000, 4)
    compute_params_hash(book)
    checks.clear()  # the generator checks its own table
    first = module.validate_trading_book(book)
    first["market_value"] = 0.0  # the caller's own copy
    second = module.validate_trading_book(book)
    assert len(checks) == 1
    assert (second["market_value"] != 0.0).any()
    pd.testing.assert_frame_equal(
        second, real(book, "trading_book", module.TRADING_BOOK_COLUMNS, "position_id")
    )
    private = module.validate_trading_book(book)
    private["market_value"].array[0] = 1e12  # behind pandas' back: reaches no other caller's table
    assert module.validate_trading_book(book)["market_value"].iloc[0] != 1e12
    book.loc[book.index[0], "market_value"] = float("inf")
    compute_params_hash(book)
    with pytest.raises(InputError, match="market_value"):
        module.validate_trading_book(book)
