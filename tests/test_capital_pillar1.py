"""CVA and market-risk RWA in the bank's capital, worked by hand through the public services.

Methodology 1.2 (ratios and the floor base), 10.6 (CVA from the SA-CCR rows), 11.8 (the trading book
and its market moves). Every expected value is written out from the MAR50 / MAR40 / RBC20 formulas.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

import banksim as bs
from banksim.regulation import regulatory_parameters, saccr_netting_sets
from banksim.regulation.capital import capital_adequacy, capital_statement
from banksim.regulation.cva import cva_capital, netting_set_maturities
from banksim.scenarios import scenario_cva_parameters, shock_positions, shock_trading_book
from banksim.synthetic.trading_book import generate_trading_book
from tests.builders import positions

REL = 1e-9


def df(m: float) -> float:
    return (1 - math.exp(-0.05 * m)) / (0.05 * m)  # MAR50.15


# methodology 4.4 A: a 5-year USD swap with a bank rated A; SA-CCR EAD = 519,678.904.
IRS = {
    "position_id": "IRS-1", "side": "derivative", "product": "derivative", "counterparty_type": "bank",
    "rating": "A", "netting_set": "NS-1", "saccr_asset_class": "interest_rate", "hedging_set": "USD",
    "trade_direction": "long", "notional": 10_000_000.0, "start_years": 0.0, "end_years": 5.0,
    "residual_maturity": 5.0, "mtm": 150_000.0,
}  # fmt: skip
EAD = 519_678.904
LOAN = {"position_id": "LOAN-1", "exposure_class": "corporate", "sub_class": "general", "counterparty_type": "corporate",
        "drawn_amount": 4_000_000.0}  # fmt: skip
# One equity position, US market, long 100,000: MAR40.43 specific 8% + general 8%, scaled by 3.5.
EQUITY_BOOK = pd.DataFrame(
    [{"position_id": "EQ-1", "risk_class": "equity", "instrument_type": "equity", "market_value": 100_000.0,
      "national_market": "US"}]
)  # fmt: skip


def bank() -> pd.DataFrame:
    return positions(LOAN, IRS)


def test_cva_of_a_generated_bank_equals_cva_capital_on_its_sa_ccr_netting_sets(
    sqlite_store: bs.Store,
) -> None:
    book, _ = bs.run_simulation(3_000, 5, include_derivatives=True)
    rwa, _ = bs.compute_rwa(book)
    counterparties, sets, _, summary = bs.compute_cva(book, rwa)[:4]
    params = regulatory_parameters()
    trades = book[book["side"] == "derivative"]
    saccr = saccr_netting_sets(bs.validate_positions(trades), params).merge(
        netting_set_maturities(book), on="netting_set"
    )
    # methodology 10.6: each netting set is its own counterparty; banks are financials, corporates "other".
    sector = saccr["counterparty_type"].astype(str).map({"bank": "financial", "corporate": "other"})
    frame = pd.DataFrame(
        {"netting_set": saccr["netting_set"], "counterparty_id": saccr["netting_set"], "counterparty_sector": sector,
         "rating": saccr["rating"].astype(str), "ead": saccr["ead"], "effective_maturity": saccr["effective_maturity"]}
    )  # fmt: skip
    expected = cva_capital(frame)
    assert summary["approach"] == "ba_cva_reduced"
    assert summary["netting_sets"] == len(saccr) > 1
    assert summary["rwa"] == pytest.approx(expected.rwa, rel=REL)
    assert summary["k_reduced"] == pytest.approx(expected.k_reduced, rel=REL)
    # One counterparty by hand: SCVA = RW / 1.4 x M x EAD x DF (MAR50.15), RW by sector and rating.
    first = frame.iloc[0]
    m = max(1.0, first["effective_maturity"])
    ig = first["rating"] in {"AAA", "AA+", "AA", "AA-", "A+", "A", "A-", "BBB+", "BBB", "BBB-"}
    rw = {
        ("financial", True): 0.05,
        ("financial", False): 0.12,
        ("other", True): 0.05,
        ("other", False): 0.12,
    }[(first["counterparty_sector"], ig)]
    line = counterparties.set_index("counterparty_id").loc[first["netting_set"]]
    assert line["scva"] == pytest.approx(rw / 1.4 * m * first["ead"] * df(m), rel=REL)
    assert len(sets) == len(saccr)


def test_small_bank_ratio_falls_by_exactly_cva_and_market_rwa(sqlite_store: bs.Store) -> None:
    book = bank()
    rwa, _ = bs.compute_rwa(book)
    cva = bs.compute_cva(book, rwa)[3]
    market = bs.compute_market_risk(EQUITY_BOOK)[2]
    # MAR50.15: bank rated A -> financial IG, 5%; M = 5; one counterparty: K_reduced = SCVA (MAR50.14).
    scva = 0.05 / 1.4 * 5.0 * EAD * df(5.0)
    cva_rwa = 12.5 * 0.65 * scva
    assert cva["rwa"] == pytest.approx(cva_rwa, rel=2e-9)
    # MAR40.43, MAR40.2: K = 3.5 x (8% + 8%) x 100,000 = 56,000; RWA = 12.5 x 56,000 = 700,000.
    assert market["rwa"] == pytest.approx(700_000.0, rel=REL)
    funds = {"cet1": 600_000.0, "at1": 0.0, "tier2": 0.0}
    without, _ = bs.compute_capital(rwa, funds)
    with_both, _ = bs.compute_capital(rwa, funds, cva_rwa=cva["rwa"], market_risk_rwa=market["rwa"])
    base = without["rwa"]["floored_rwa"]
    assert without["rwa"]["floor_add_on"] == 0.0  # all SA: pre-floor = standardised > 72.5% of it
    assert with_both["rwa"]["floored_rwa"] == pytest.approx(base + cva_rwa + 700_000.0, rel=REL)
    # RBC20.1: CET1 / (RWA + 12.5 K_CVA + 12.5 K_market).
    assert with_both["ratios"]["cet1_ratio"] == pytest.approx(
        600_000.0 / (base + cva_rwa + 700_000.0), rel=REL
    )
    assert (with_both["rwa"]["cva"], with_both["rwa"]["market_risk"]) == (cva["rwa"], market["rwa"])


def test_materiality_alternative_chosen_by_parameter_is_the_ccr_rwa(sqlite_store: bs.Store) -> None:
    book = bank()
    rwa, _ = bs.compute_rwa(book)
    cva = bs.compute_cva(book, rwa, {"cva": {"approach": "materiality_alternative"}})[3]
    # MAR50.9: RWA_CVA = 100% of the CCR RWA = EAD x 30% (a bank rated A, CRE20.16 Table 6 base).
    assert cva["rwa"] == pytest.approx(EAD * 0.3, rel=2e-9)
    assert cva["non_centrally_cleared_notional"] == 10_000_000.0
    assert cva["approach"] == "materiality_alternative"


def rwa_frame(*rows: tuple[str, float, float]) -> pd.DataFrame:
    frame = pd.DataFrame(
        [{"position_id": f"R{i}", "risk_type": t, "counterparty_type": "corporate", "country": "DE", "rwa": r,
          "rwa_standardised": s, "leverage_exposure": 0.0} for i, (t, r, s) in enumerate(rows)]
    )  # fmt: skip
    return frame.astype({"risk_type": "category", "counterparty_type": "category", "country": "category"})


# IRB credit 60 (SA 100), CCR 5, operational 15; CVA 8 and market risk 12 beside the table.
FLOOR_BANK = rwa_frame(("credit", 60.0, 100.0), ("counterparty", 5.0, 5.0), ("operational", 15.0, 15.0))


def test_floor_base_counts_cva_and_market_rwa() -> None:
    c = capital_adequacy(FLOOR_BANK, {"cet1": 12.0}, cva_rwa=8.0, market_risk_rwa=12.0)
    totals = c["rwa"]
    # RBC20.11-20.12 (methodology 1.2): pre-floor 60 + 5 + 8 + 12 + 15 = 100; base 100 + 5 + 8 + 12 + 15 = 140;
    # floor 72.5% x 140 = 101.5 binds. Leaving CVA and market out of the base would give 87 (not binding).
    assert totals["pre_floor_rwa"] == 100.0
    assert totals["standardised_rwa"] == 140.0
    assert totals["floored_rwa"] == pytest.approx(101.5, rel=REL)
    assert totals["floor_binding"] and totals["floor_add_on"] == pytest.approx(1.5, rel=REL)
    assert c["ratios"]["cet1_ratio"] == pytest.approx(12.0 / 101.5, rel=REL)


def test_statement_adds_up_and_old_statements_still_load() -> None:
    c = capital_adequacy(FLOOR_BANK, {"cet1": 12.0}, cva_rwa=8.0, market_risk_rwa=12.0)
    table = capital_statement(c).set_index("row")["value"]
    parts = ["Credit risk", "Counterparty credit risk (SA-CCR)", "Position, FX and commodities risks (MAR40)",
             "Credit valuation adjustment risk (MAR50)", "Operational risk", "Output floor add-on"]  # fmt: skip
    assert [table[p] for p in parts] == pytest.approx([60.0, 5.0, 12.0, 8.0, 15.0, 1.5], rel=REL)
    assert sum(table[p] for p in parts) == pytest.approx(table["Total risk exposure amount"], rel=REL)
    old = {
        **c,
        "rwa": {k: v for k, v in c["rwa"].items() if k not in ("cva", "market_risk")},
    }  # stored earlier
    old_table = capital_statement(old).set_index("row")["value"]
    assert old_table["Credit valuation adjustment risk (MAR50)"] == 0.0
    assert old_table["Position, FX and commodities risks (MAR40)"] == 0.0


def test_without_cva_or_market_the_statement_is_unchanged() -> None:
    c = capital_adequacy(FLOOR_BANK, {"cet1": 12.0})
    # RBC20.11: pre-floor 80, base 120, floor 87 binds.
    assert (c["rwa"]["pre_floor_rwa"], c["rwa"]["standardised_rwa"]) == (80.0, 120.0)
    assert c["rwa"]["floored_rwa"] == pytest.approx(87.0, rel=REL)
    assert (c["rwa"]["cva"], c["rwa"]["market_risk"]) == (0.0, 0.0)


@pytest.mark.parametrize(
    ("given", "argument"),
    [({"cva_rwa": -1.0}, "cva_rwa"), ({"cva_rwa": math.nan}, "cva_rwa"), ({"market_risk_rwa": "1"}, "market_risk_rwa"),
     ({"market_risk_rwa": True}, "market_risk_rwa"), ({"market_risk_rwa": math.inf}, "market_risk_rwa")],
)  # fmt: skip
def test_bad_cva_or_market_amounts_are_named(
    sqlite_store: bs.Store, given: dict[str, Any], argument: str
) -> None:
    with pytest.raises(bs.InputError) as error:
        bs.compute_capital(FLOOR_BANK, {"cet1": 12.0}, **given)
    assert error.value.argument == argument
    assert bs.compute_capital.is_cached(FLOOR_BANK, {"cet1": 12.0}, **given) is False


def test_bad_cva_inputs_are_named(sqlite_store: bs.Store) -> None:
    book = bank()
    rwa, _ = bs.compute_rwa(book)
    other, _ = bs.compute_rwa(positions(LOAN, {**IRS, "netting_set": "NS-2"}))
    with pytest.raises(bs.InputError, match="no counterparty row") as error:
        bs.compute_cva(book, other)
    assert error.value.argument == "rwa"
    with pytest.raises(bs.InputError) as error:
        bs.compute_cva(
            book, rwa, counterparties=pd.DataFrame({"netting_set": ["NS-9"], "counterparty_id": ["X"]})
        )
    assert error.value.argument == "counterparties['netting_set']"
    with pytest.raises(bs.InputError):
        bs.compute_cva(book, rwa, {"cva": {"approach": "sa_cva"}})
    with pytest.raises(bs.InputError):
        bs.compute_market_risk(EQUITY_BOOK.assign(national_market=""))


def test_counterparties_override_sector_and_a_bank_without_derivatives(sqlite_store: bs.Store) -> None:
    book = bank()
    rwa, _ = bs.compute_rwa(book)
    given = pd.DataFrame({"netting_set": ["NS-1"], "counterparty_sector": ["sovereign"]})
    cva = bs.compute_cva(book, rwa, counterparties=given)[3]
    # MAR50.16: sovereign IG 0.5% instead of financial 5%: RWA / 10.
    assert cva["rwa"] == pytest.approx(12.5 * 0.65 * 0.005 / 1.4 * 5.0 * EAD * df(5.0), rel=2e-9)
    loans = positions(LOAN)
    none = bs.compute_cva(loans, bs.compute_rwa(loans)[0])[3]
    assert (none["rwa"], none["netting_sets"]) == (0.0, 0)


def test_market_moves_revalue_the_book_by_hand() -> None:
    book = pd.DataFrame(
        [
            {"position_id": "B", "risk_class": "interest_rate", "instrument_type": "bond", "market_value": 100.0,
             "issuer_category": "government", "rating": "AA", "currency": "EUR", "coupon": 0.02,
             "residual_maturity": 4.0},
            {"position_id": "E", "risk_class": "equity", "instrument_type": "equity", "market_value": 200.0,
             "national_market": "US"},
            {"position_id": "FX", "risk_class": "fx", "instrument_type": "fx_net_position", "market_value": -50.0,
             "currency": "USD"},
            {"position_id": "G", "risk_class": "fx", "instrument_type": "gold_net_position", "market_value": 10.0},
            {"position_id": "C", "risk_class": "commodity", "instrument_type": "commodity_position",
             "market_value": -30.0, "commodity": "brent"},
            {"position_id": "O", "risk_class": "equity", "instrument_type": "option", "market_value": 0.0,
             "national_market": "US", "option_type": "call", "option_position": "bought", "quantity": 2.0,
             "underlying_price": 50.0, "strike_price": 45.0, "option_market_value": 12.0},
        ]
    )  # fmt: skip
    moves = {"interest_rate_shift": 0.01, "equity_price_change": -0.3, "fx_rate_change": 0.1,
             "commodity_price_change": -0.2}  # fmt: skip
    moved = shock_trading_book(book, moves).set_index("position_id")
    # Bond: 100 x (1 - 4 x 0.01) = 96; equity 200 x 0.7 = 140; USD -50 x 1.1 = -55; gold 10 x 0.8 = 8;
    # brent -30 x 0.8 = -24; option: underlying 50 x 0.7 = 35, premium kept (methodology 11.8).
    assert moved["market_value"].tolist() == pytest.approx([96.0, 140.0, -55.0, 8.0, -24.0, 0.0], rel=REL)
    assert moved["revaluation"].tolist() == pytest.approx([-4.0, -60.0, -5.0, -2.0, 6.0, 0.0], rel=REL)
    assert moved.loc["O", "underlying_price"] == pytest.approx(35.0, rel=REL)
    assert moved.loc["O", "option_market_value"] == 12.0
    with pytest.raises(bs.InputError, match="interest_rate_shift"):
        shock_trading_book(book, {"interest_rate_shift": 0.2})
    with pytest.raises(bs.InputError, match="moves"):
        shock_trading_book(book, {"oil": -0.1})


def test_equity_crash_in_the_pipeline_books_its_loss_into_cet1(sqlite_store: bs.Store) -> None:
    small = {"num_positions": 1_500, "seed": 3}
    base = bs.run_pipeline(**small)
    crash = bs.run_pipeline(**small, scenario=bs.Scenario("crash", bs.Shocks(equity_price_change=-0.5)))
    book = crash.outputs["trading_book"]
    equity = (book["risk_class"] == "equity") & (book["instrument_type"] == "equity")
    before = base.outputs["trading_book"].loc[equity.to_numpy(), "market_value"].to_numpy()
    # Every equity halves; its loss is the revaluation; CET1 falls by the book's total revaluation.
    assert book.loc[equity, "market_value"].to_numpy() == pytest.approx(before * 0.5, rel=REL)
    assert float(book["revaluation"].sum()) == pytest.approx(float(-0.5 * before.sum()), rel=REL)
    loss = float(book["revaluation"].sum())
    assert crash.capital["own_funds"]["cet1"] == pytest.approx(
        base.capital["own_funds"]["cet1"] + loss, rel=REL
    )
    assert crash.hits()["positions"] is True and crash.hits()["trading_book"] is False
    assert crash.hits()["cva"] is True and crash.hits()["market_risk"] is False


def test_derivative_counterparty_downgrade_moves_cva_to_high_yield(sqlite_store: bs.Store) -> None:
    book = positions(LOAN, {**IRS, "rating": "BBB-"})
    shocked = shock_positions(book, bs.Shocks(derivative_counterparty_downgrade=1))
    assert shocked.set_index("position_id").loc["IRS-1", "rating"] == "BB+"  # one notch (methodology 10.6)
    assert shocked.set_index("position_id").loc["LOAN-1", "rating"] == "unrated"  # loans untouched
    before = bs.compute_cva(book, bs.compute_rwa(book)[0])[3]
    after = bs.compute_cva(shocked, bs.compute_rwa(shocked)[0])[3]
    # MAR50.16: financial IG 5% -> HY 12%; one counterparty, the same EAD and M: RWA x 12/5.
    assert after["rwa"] == pytest.approx(before["rwa"] * 0.12 / 0.05, rel=REL)


def test_credit_spread_shock_scales_the_cva_risk_weights(sqlite_store: bs.Store) -> None:
    book = bank()
    rwa, _ = bs.compute_rwa(book)
    overrides = scenario_cva_parameters(bs.Shocks(cva_spread_multiplier=1.5))
    assert overrides["cva"]["risk_weight"]["financial"] == {
        "IG": pytest.approx(0.075),
        "HY_NR": pytest.approx(0.18),
    }
    base = bs.compute_cva(book, rwa)[3]
    wider = bs.compute_cva(book, rwa, overrides)[3]
    # Every SCVA x 1.5 (MAR50.15), so K_reduced and RWA x 1.5 (MAR50.14 is homogeneous of degree 1).
    assert wider["rwa"] == pytest.approx(1.5 * base["rwa"], rel=REL)
    assert scenario_cva_parameters(bs.Shocks()) == {}


@pytest.mark.parametrize(
    ("shock", "value"),
    [("derivative_counterparty_downgrade", 1.5), ("derivative_counterparty_downgrade", 11),
     ("cva_spread_multiplier", -1.0), ("interest_rate_shift", 0.06), ("equity_price_change", -1.0),
     ("fx_rate_change", 2.0), ("commodity_price_change", "x")],
)  # fmt: skip
def test_bad_market_and_cva_shocks_are_named(shock: str, value: Any) -> None:
    with pytest.raises(bs.InputError) as error:
        bs.Shocks(**{shock: value})
    assert shock in error.value.argument


def test_pipeline_steps_are_cached_and_feed_the_capital(sqlite_store: bs.Store) -> None:
    small = {"num_positions": 1_500, "seed": 3, "include_derivatives": True}
    first = bs.run_pipeline(**small)
    hits = first.hits()
    assert (hits["cva"], hits["trading_book"], hits["market_risk"]) == (False, False, False)
    again = bs.run_pipeline(**small)
    assert (again.hits()["cva"], again.hits()["trading_book"], again.hits()["market_risk"]) == (
        True,
        True,
        True,
    )
    head = again.headline()
    assert head["cva_rwa"] == again.capital["rwa"]["cva"] == again.outputs["cva"]["rwa"] > 0
    assert head["market_risk_rwa"] == again.capital["rwa"]["market_risk"] > 0
    totals = again.capital["rwa"]
    rwa_table = again.rwa["rwa"].sum()
    assert totals["pre_floor_rwa"] == pytest.approx(
        rwa_table + totals["cva"] + totals["market_risk"], rel=REL
    )


def test_synthetic_trading_book_is_deterministic_and_small() -> None:
    one = generate_trading_book(20_000, 7)
    assert one.equals(generate_trading_book(20_000, 7))
    assert not one["market_value"].equals(generate_trading_book(20_000, 8)["market_value"])
    assert set(one["risk_class"].astype(str)) == {"interest_rate", "equity", "fx", "commodity"}
    assert (one.loc[one["instrument_type"] == "option", "option_position"] == "bought").all()
    gross = float(np.abs(one["market_value"]).sum())
    assert gross == pytest.approx(0.010 * 50e9 * (1 - 0.01), rel=1e-6)  # 1% of assets; options carry no value


# The trading book in the leverage exposure (LEV30, methodology 1.5 and C.48).
LEVERAGE_BOOK = pd.DataFrame(
    [
        {"position_id": "B-LONG", "risk_class": "interest_rate", "instrument_type": "bond", "market_value": 100.0,
         "issuer_category": "government", "rating": "AAA", "currency": "EUR", "coupon": 0.02, "residual_maturity": 2.0},
        {"position_id": "B-SHORT", "risk_class": "interest_rate", "instrument_type": "bond", "market_value": -40.0,
         "issuer_category": "corporate", "rating": "A", "currency": "EUR", "coupon": 0.03, "residual_maturity": 4.0},
        {"position_id": "E", "risk_class": "equity", "instrument_type": "equity", "market_value": 50.0,
         "national_market": "EU"},
        {"position_id": "FX", "risk_class": "fx", "instrument_type": "fx_net_position", "market_value": 30.0,
         "currency": "USD"},
        {"position_id": "C-LONG", "risk_class": "commodity", "instrument_type": "commodity_position",
         "market_value": 20.0, "commodity": "brent"},
        {"position_id": "C-SHORT", "risk_class": "commodity", "instrument_type": "commodity_position",
         "market_value": -10.0, "commodity": "copper"},
        {"position_id": "S-FIX", "risk_class": "interest_rate", "instrument_type": "swap_leg", "market_value": 1000.0,
         "issuer_category": "none", "currency": "EUR", "coupon": 0.03, "residual_maturity": 3.0},
        {"position_id": "S-FLOAT", "risk_class": "interest_rate", "instrument_type": "swap_leg",
         "market_value": -1000.0, "issuer_category": "none", "currency": "EUR", "residual_maturity": 0.5},
        {"position_id": "O", "risk_class": "equity", "instrument_type": "option", "market_value": 0.0,
         "national_market": "EU", "option_type": "call", "option_position": "bought", "quantity": 10.0,
         "underlying_price": 100.0, "strike_price": 100.0, "option_market_value": 12.0,
         "option_residual_maturity": 0.5},
    ]
)  # fmt: skip


def normal_cdf(x: float) -> float:
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


def test_trading_book_leverage_exposure_by_hand() -> None:
    from banksim.regulation.leverage import trading_book_leverage_exposure

    lines = trading_book_leverage_exposure(LEVERAGE_BOOK).set_index("position_id")
    exposure = lines["leverage_exposure"]
    # LEV30.8-9: long bonds, equities and commodities at their market value; LEV30.2: a short position is
    # a liability, it adds nothing and offsets nothing; an FX net position is no asset (C.48)
    assert [exposure[i] for i in ("B-LONG", "B-SHORT", "E", "FX", "C-LONG", "C-SHORT")] == [
        100.0, 0.0, 50.0, 0.0, 20.0, 0.0]  # fmt: skip
    # LEV30.13-16: the swap on its fixed leg, RC 0, PFE = SF 0.5% x d x MF (CRE52.34, 52.48, 52.72):
    # d = 1000 x (1 - e^-0.15) / 0.05 = 2,785.84; M = 3 -> MF = 1; x 1.4. The floating leg adds nothing.
    swap_pfe = 0.005 * 1000 * (1 - math.exp(-0.05 * 3)) / 0.05
    assert swap_pfe == pytest.approx(13.9292, rel=1e-5)
    assert exposure["S-FIX"] == pytest.approx(1.4 * swap_pfe, rel=REL) and exposure["S-FLOAT"] == 0.0
    # The bought call: RC = its value 12; PFE = 32% x delta x 10 x 100 x sqrt(0.5) (CRE52.40, 52.48),
    # delta = N((ln(100/100) + 0.5 x 1.2^2 x 0.5) / (1.2 x sqrt 0.5)) = N(0.4242641) (CRE52.72: 120% vol)
    delta = normal_cdf(0.5 * 1.2**2 * 0.5 / (1.2 * math.sqrt(0.5)))
    option_pfe = 0.32 * delta * 1000 * math.sqrt(0.5)
    assert lines.loc["O", "replacement_cost"] == 12.0
    assert lines.loc["O", "potential_future_exposure"] == pytest.approx(option_pfe, rel=REL)
    assert exposure["O"] == pytest.approx(1.4 * (12 + option_pfe), rel=REL)
    total = 170.0 + 1.4 * swap_pfe + 1.4 * (12 + option_pfe)
    assert exposure.sum() == pytest.approx(total, rel=REL)
    assert lines.loc["B-LONG", "rule"] == "LEV30.8-9" and lines.loc["B-SHORT", "rule"] == "LEV30.2"

    # The capital statement adds it to the RWA lines' exposure (methodology 1.5): Tier 1 12 over 1000 + total
    rwa = FLOOR_BANK.assign(leverage_exposure=[1000.0, 0.0, 0.0])
    c = capital_adequacy(rwa, {"cet1": 12.0}, trading_book_leverage_exposure=float(exposure.sum()))
    assert c["leverage"]["exposure_measure"] == pytest.approx(1000.0 + total, rel=REL)
    assert c["leverage"]["trading_book_exposure"] == pytest.approx(total, rel=REL)
    assert c["leverage"]["leverage_ratio"] == pytest.approx(12.0 / (1000.0 + total), rel=REL)
    without = capital_adequacy(rwa, {"cet1": 12.0})
    assert (without["leverage"]["exposure_measure"], without["leverage"]["trading_book_exposure"]) == (
        1000.0,
        0.0,
    )


def test_trading_book_leverage_bad_inputs_are_named() -> None:
    from banksim.regulation.leverage import trading_book_leverage_exposure

    rate_option = LEVERAGE_BOOK.assign(risk_class=np.where(LEVERAGE_BOOK["position_id"] == "O", "interest_rate",
                                                           LEVERAGE_BOOK["risk_class"]))  # fmt: skip
    with pytest.raises(bs.InputError) as error:
        trading_book_leverage_exposure(rate_option)
    assert error.value.argument == "trading_book['risk_class']"
    no_strike = LEVERAGE_BOOK.assign(strike_price=np.nan)
    with pytest.raises(bs.InputError) as error:
        trading_book_leverage_exposure(no_strike)
    assert error.value.argument == "trading_book['strike_price']"
    with pytest.raises(bs.InputError) as error:
        capital_adequacy(FLOOR_BANK, {"cet1": 12.0}, trading_book_leverage_exposure=-1.0)
    assert error.value.argument == "trading_book_leverage_exposure"


def test_synthetic_trading_book_leverage_counts_every_long_cash_position() -> None:
    from banksim.regulation.leverage import CASH_INSTRUMENTS, trading_book_leverage_exposure

    book = generate_trading_book(20_000, 2)
    lines = trading_book_leverage_exposure(book)
    cash = book["instrument_type"].astype(str).isin(CASH_INSTRUMENTS).to_numpy()
    long_value = book["market_value"].to_numpy()[cash].clip(min=0).sum()
    assert lines["leverage_exposure"].to_numpy()[cash].sum() == pytest.approx(long_value, rel=REL)
    assert (lines["leverage_exposure"] >= 0).all() and lines["leverage_exposure"].sum() > long_value
