"""Scenarios as data: each shock's exact effect on a hand-built bank, validation, and cache keys."""

from __future__ import annotations

import dataclasses
from typing import Any

import pandas as pd
import pytest
from builders import positions

import banksim as bs
from banksim.regulation import lcr_lines, lcr_summary, regulatory_parameters, risk_weighted_assets
from banksim.scenarios import (
    SCENARIOS,
    Scenario,
    Shocks,
    scenario_buffers,
    scenario_grid,
    scenario_parameters,
    shock_positions,
)

RESERVES = {
    "position_id": "RES",
    "side": "asset",
    "product": "central_bank_reserves",
    "exposure_class": "sovereign",
    "sub_class": "general",
    "rating": "AAA",
    "hqla_level": "1",
    "hqla_asset_type": "central_bank_reserves",
    "lcr_counterparty": "central_bank",
    "drawn_amount": 2000.0,
}
LOAN = {
    "position_id": "LOAN",
    "side": "asset",
    "product": "corporate_loan",
    "exposure_class": "corporate",
    "sub_class": "general",
    "counterparty_type": "corporate",
    "lcr_counterparty": "non_financial_corporate",
    "rating": "BBB",
    "pd": 0.01,
    "lgd": 0.4,
    "drawn_amount": 1000.0,
    "residual_maturity": 3.0,
}
MORTGAGE = {
    "position_id": "MORT",
    "side": "asset",
    "product": "residential_mortgage",
    "exposure_class": "residential_real_estate",
    "sub_class": "general",
    "counterparty_type": "individual",
    "lcr_counterparty": "retail",
    "ltv": 0.8,
    "pd": 0.7,
    "lgd": 0.8,
    "drawn_amount": 1000.0,
    "residual_maturity": 20.0,
}
FACILITY = {
    "position_id": "FAC",
    "side": "off_balance",
    "product": "committed_credit_facility",
    "exposure_class": "corporate",
    "sub_class": "general",
    "counterparty_type": "corporate",
    "lcr_counterparty": "non_financial_corporate",
    "off_balance_type": "commitment",
    "facility_type": "credit",
    "off_balance_amount": 1000.0,
    "residual_maturity": 2.0,
}
DEPOSIT = {
    "position_id": "DEP",
    "side": "liability",
    "product": "retail_deposit",
    "lcr_counterparty": "retail",
    "deposit_class": "stable",
    "drawn_amount": 1000.0,
}
FUNDING = {"side": "liability", "product": "wholesale_funding", "lcr_counterparty": "bank"}
CET1 = {"position_id": "CET1", "side": "equity", "product": "cet1_capital", "drawn_amount": 1000.0}
AT1 = {"position_id": "AT1", "side": "equity", "product": "at1_instrument", "drawn_amount": 0.0}  # fmt: skip


def bank(*extra: dict[str, Any]) -> pd.DataFrame:
    lines = [RESERVES, LOAN, MORTGAGE, FACILITY, DEPOSIT, CET1, AT1,
             {**FUNDING, "position_id": "F2Y", "drawn_amount": 100.0, "residual_maturity": 2.0},
             {**FUNDING, "position_id": "F1Y", "drawn_amount": 100.0, "residual_maturity": 1.0},
             {**FUNDING, "position_id": "F6M", "drawn_amount": 200.0, "residual_maturity": 0.5}, *extra]  # fmt: skip
    return positions(*lines).set_index("position_id", drop=False)


def balance(frame: pd.DataFrame) -> float:
    by_side = frame.groupby("side", observed=True)["drawn_amount"].sum()
    return float(by_side.get("asset", 0) - by_side.get("liability", 0) - by_side.get("equity", 0))


def shocked(**shocks: Any) -> pd.DataFrame:
    return shock_positions(bank(), Shocks(**shocks)).set_index("position_id", drop=False)


def test_no_shock_changes_nothing() -> None:
    pd.testing.assert_frame_equal(shocked(), bank())


def test_rating_downgrade_by_class() -> None:
    """BBB + 2 notches = BB+: the rated corporate goes from 75% to 100% (CRE20.42 Table 10)."""
    frame = shocked(rating_downgrade={"corporate": 2})
    assert frame.loc["LOAN", "rating"] == "BB+"
    assert frame.loc["RES", "rating"] == "AAA"  # sovereigns untouched
    rwa = risk_weighted_assets(frame).set_index("position_id")
    assert rwa.loc["LOAN", "rwa"] == pytest.approx(1000.0)
    worst = shock_positions(
        bank({**LOAN, "position_id": "L2", "rating": "CCC-"}), Shocks(rating_downgrade={"corporate": 5})
    )
    assert worst.set_index("position_id").loc["L2", "rating"] == "C"  # never beyond C (D means default)


def test_pd_and_lgd_multipliers_are_capped_at_one() -> None:
    frame = shocked(pd_multiplier=2.0, lgd_multiplier=1.5)
    assert (frame.loc["LOAN", "pd"], frame.loc["LOAN", "lgd"]) == (pytest.approx(0.02), pytest.approx(0.6))
    assert (frame.loc["MORT", "pd"], frame.loc["MORT", "lgd"]) == (1.0, 1.0)


def test_house_price_fall_raises_ltv_and_the_risk_weight() -> None:
    """LTV 0.8 / (1 - 0.2) = 1.0: CRE20.82 Table 11 moves from 30% to 50%."""
    frame = shocked(house_price_change=-0.2)
    assert frame.loc["MORT", "ltv"] == pytest.approx(1.0)
    rwa = risk_weighted_assets(frame).set_index("position_id")
    assert rwa.loc["MORT", "rwa"] == pytest.approx(500.0)


def test_wholesale_funding_not_rolled_is_the_soonest_maturing_share() -> None:
    """Half of 400 of term funding from banks: the 0.5y line (200) matures within 30 days and runs off 100%."""
    frame = shocked(wholesale_not_rolled=0.5)
    assert frame.loc["F6M", "residual_maturity"] == pytest.approx(15 / 365)
    assert frame.loc["F1Y", "residual_maturity"] == 1.0 and frame.loc["F2Y", "residual_maturity"] == 2.0
    params = regulatory_parameters()
    lines = lcr_lines(frame.reset_index(drop=True), params).set_index("position_id")
    assert lines.loc["F6M", "weighted_amount"] == pytest.approx(200.0)


def test_a_floater_not_rolled_reprices_at_its_new_maturity() -> None:
    """The 0.5y floater with quarterly resets (next at 0.25y) now matures in 15 days: its next reset is
    dropped, so IRRBB puts it at the new maturity T = 15/365 (methodology 13.10), on its coupon grid."""
    from banksim.regulation.irrbb_inputs import repricing_positions

    given = bank().reset_index(drop=True)
    given["repricing_type"] = given["repricing_type"].astype(object)
    floater = given["position_id"] == "F6M"
    given.loc[floater, ["repricing_type", "payment_frequency", "next_reset"]] = ["floating", 4.0, 0.25]
    frame = shock_positions(given, Shocks(wholesale_not_rolled=0.5)).set_index("position_id", drop=False)
    assert frame.loc["F6M", "residual_maturity"] == pytest.approx(15 / 365)
    assert pd.isna(frame.loc["F6M", "next_reset"])
    irrbb = repricing_positions(frame.reset_index(drop=True), regulatory_parameters()["irrbb"])
    line = irrbb.set_index("position_id").loc["F6M"]
    assert line["next_reset"] == pytest.approx(15 / 365) == line["residual_maturity"]


def test_facility_drawdown_becomes_a_loan_funded_from_reserves() -> None:
    frame = shock_positions(
        bank().assign(
            underlying_off_balance_type=lambda f: f["product"].map({"committed_credit_facility": "nif_ruf"})
        ),
        Shocks(facility_drawdown=0.5),
    ).set_index("position_id", drop=False)
    assert frame.loc["FAC-DRAWN", "underlying_off_balance_type"] == "none"  # the drawn part is a plain loan
    risk_weighted_assets(frame)  # and risk-weights as one
    assert frame.loc["FAC", "off_balance_amount"] == pytest.approx(500.0)
    assert frame.loc["FAC-DRAWN", "drawn_amount"] == pytest.approx(500.0)
    assert frame.loc["FAC-DRAWN", "side"] == "asset"
    assert frame.loc["RES", "drawn_amount"] == pytest.approx(1500.0)
    assert balance(frame) == pytest.approx(balance(bank()))


def test_product_growth_and_capital_actions_move_cash_through_reserves() -> None:
    """Loans +10% (100 out), a 10% dividend (100 out), AT1 of 20% of CET1 (200 in): reserves 2000 -> 2000."""
    frame = shocked(product_growth={"corporate_loan": 0.1}, dividend=0.1, at1_issuance=0.2)
    assert frame.loc["LOAN", "drawn_amount"] == pytest.approx(1100.0)
    assert frame.loc["CET1", "drawn_amount"] == pytest.approx(900.0)
    assert frame.loc["AT1", "drawn_amount"] == pytest.approx(200.0)
    assert frame.loc["RES", "drawn_amount"] == pytest.approx(2000.0)
    assert balance(frame) == pytest.approx(balance(bank()))


def test_parameter_shocks_run_off_and_hqla_haircuts() -> None:
    """Stable retail run-off 5% x 2 = 10% (100 on 1,000); Level 1 market value -10%: 2,000 -> 1,800."""
    params = regulatory_parameters(scenario_parameters(Shocks(deposit_run_off_multiplier={"stable": 2.0},
                                                              hqla_haircut={"1": 0.1})))  # fmt: skip
    lines = lcr_lines(bank().reset_index(drop=True), params).set_index("position_id")
    assert lines.loc["DEP", "weighted_amount"] == pytest.approx(100.0)
    assert lcr_summary(lines.reset_index(), params)["hqla_level1"] == pytest.approx(1800.0)
    assert scenario_buffers(Shocks(countercyclical_rates={"DE": 0.01})) == {
        "countercyclical_rates": {"DE": 0.01}
    }


def test_shocks_needing_more_reserves_than_the_bank_has_are_an_error() -> None:
    with pytest.raises(bs.InputError, match="central bank reserves"):
        shocked(product_growth={"corporate_loan": 5.0})


@pytest.mark.parametrize(
    ("data", "argument"),
    [
        ({"name": "x", "shocks": {"meteor_strike": 1}}, "scenario['shocks']"),
        ({"name": "x", "shocks": {"pd_multiplier": -1}}, "shocks.pd_multiplier"),
        ({"name": "x", "shocks": {"rating_downgrade": {"martians": 1}}}, "shocks.rating_downgrade"),
        (
            {"name": "x", "shocks": {"rating_downgrade": {"corporate": 1.5}}},
            "shocks.rating_downgrade['corporate']",
        ),
        ({"name": "x", "shocks": {"hqla_haircut": {"3": 0.1}}}, "shocks.hqla_haircut"),
        (
            {"name": "x", "shocks": {"countercyclical_rates": {"DE": 0.05}}},
            "shocks.countercyclical_rates['DE']",
        ),
        ({"name": "", "shocks": {}}, "scenario.name"),
        ({"name": "x", "colour": "red"}, "scenario"),
    ],
)
def test_bad_scenarios_are_named(data: dict[str, Any], argument: str) -> None:
    with pytest.raises(bs.InputError) as error:
        Scenario.from_dict(data)
    assert error.value.argument == argument


def test_the_library_documents_its_assumptions() -> None:
    assert set(SCENARIOS) == {"baseline", "mild_recession", "severe_recession", "idiosyncratic_liquidity_run",
                              "market_wide_liquidity_stress", "combined"}  # fmt: skip
    assert all(len(s.description) > 30 for s in SCENARIOS.values())
    assert SCENARIOS["baseline"].shocks.changed() == {}
    assert SCENARIOS["combined"].shocks.wholesale_not_rolled == 0.5


def test_every_shock_changes_the_cache_key() -> None:
    frame = bank()
    base = bs.apply_scenario.key(frame, Shocks())
    changed = {
        "rating_downgrade": {"corporate": 1}, "pd_multiplier": 1.1, "lgd_multiplier": 1.1,
        "house_price_change": -0.1, "deposit_run_off_multiplier": {"stable": 2.0}, "hqla_haircut": {"1": 0.01},
        "wholesale_not_rolled": 0.1, "facility_drawdown": 0.1, "product_growth": {"corporate_loan": 0.1},
        "dividend": 0.1, "at1_issuance": 0.1, "countercyclical_rates": {"DE": 0.01},
        "derivative_counterparty_downgrade": 1, "cva_spread_multiplier": 1.2, "interest_rate_shift": 0.01,
        "equity_price_change": -0.1, "fx_rate_change": 0.1, "commodity_price_change": -0.1,
        "collateral_value_change": {"debt_security": -0.1},
        "ecl_scenarios": {"base": {"weight": 1.0}},
    }  # fmt: skip
    assert set(changed) == {f.name for f in dataclasses.fields(Shocks)}
    keys = {name: bs.apply_scenario.key(frame, Shocks(**{name: value})) for name, value in changed.items()}
    assert base not in keys.values()
    assert len(set(keys.values())) == len(keys)


def test_scenario_grid() -> None:
    grid = scenario_grid(pd_multiplier=[1.0, 2.0], house_price_change=[0.0, -0.2, -0.3])
    assert len(grid) == 6
    assert grid[-1].name == "baseline[pd_multiplier=2.0,house_price_change=-0.3]"
    assert grid[-1].shocks.changed() == {"pd_multiplier": 2.0, "house_price_change": -0.3}
    with pytest.raises(bs.InputError, match="unknown shocks"):
        scenario_grid(gdp=[1])
