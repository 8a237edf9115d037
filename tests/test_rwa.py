"""RWA assembly: the output floor (RBC20.13, RBC90.1-90.2), summaries, the cached service and the generated bank."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from builders import positions

import banksim as bs
from banksim.regulation import floor_rate, output_floor, risk_weighted_assets, rwa_summary


def frame(pre_floor: float, standardised: float) -> pd.DataFrame:
    return pd.DataFrame({"rwa": [pre_floor], "rwa_standardised": [standardised]})


def test_rbc20_13_example_floor_binds() -> None:
    """RBC20.13: pre-floor RWA 76, standardised 140: 72.5% x 140 = 101.5."""
    floor = output_floor(frame(76.0, 140.0))
    assert floor["floored_rwa"] == pytest.approx(101.5)
    assert floor["floor_binding"] is True
    assert floor["floor_add_on"] == pytest.approx(25.5)


def test_floor_not_binding() -> None:
    floor = output_floor(frame(120.0, 140.0))
    assert (floor["floored_rwa"], floor["floor_binding"]) == (120.0, False)


@pytest.mark.parametrize(
    ("as_of", "rate"),
    [(dt.date(2022, 12, 31), 0.0), (dt.date(2023, 1, 1), 0.50), (dt.date(2026, 6, 30), 0.65),
     (dt.date(2027, 1, 1), 0.70), (dt.date(2031, 1, 1), 0.725)],
)  # fmt: skip
def test_phase_in_by_date(as_of: dt.date, rate: float) -> None:
    """RBC90.1: 50% in 2023 rising to 72.5% from 2028."""
    assert floor_rate(as_of) == rate
    assert output_floor(frame(76.0, 140.0), as_of=as_of)["floored_rwa"] == pytest.approx(
        max(76.0, rate * 140.0)
    )


CAP = {"output_floor": {"transitional_cap": 0.25}}


@pytest.mark.parametrize(
    ("as_of", "floored", "cap_binding"),
    [
        (dt.date(2027, 6, 30), 95.0, True),  # 70% x 140 = 98 > 76 x 1.25 = 95: capped at 95
        (dt.date(2025, 6, 30), 84.0, False),  # 60% x 140 = 84 < 95: the cap does not bind
        (dt.date(2028, 1, 1), 101.5, False),  # phase-in over: 72.5% x 140 = 101.5, no cap
        (None, 101.5, False),  # fully phased in
    ],
)
def test_rbc90_2_transitional_cap(as_of: dt.date | None, floored: float, cap_binding: bool) -> None:
    """RBC90.2 on the RBC20.13 bank (methodology 1.2): the floor may raise RWA by at most 25% of
    pre-floor RWA (76 x 1.25 = 95) during the phase-in, where a supervisor applies the cap."""
    floor = output_floor(frame(76.0, 140.0), as_of=as_of, parameters=CAP)
    assert floor["floored_rwa"] == pytest.approx(floored)
    assert floor["transitional_cap_binding"] is cap_binding
    assert floor["floor_add_on"] == pytest.approx(floored - 76.0)
    uncapped = output_floor(frame(76.0, 140.0), as_of=as_of)  # Basel default: no cap
    assert uncapped["transitional_cap_binding"] is False
    assert uncapped["floored_rwa"] == pytest.approx(max(76.0, floor_rate(as_of) * 140.0))


def test_floor_rate_is_validated() -> None:
    with pytest.raises(bs.InputError, match="floor"):
        output_floor(frame(1.0, 1.0), floor=1.5)


@pytest.fixture(scope="module")
def bank() -> pd.DataFrame:
    return bs.generate_positions(20_000, seed=7, config={"irb_share": 0.4}, include_derivatives=True)


@pytest.fixture(scope="module")
def bank_rwa(bank: pd.DataFrame) -> pd.DataFrame:
    return risk_weighted_assets(bank)


def test_every_line_has_a_rule_and_summary_adds_up(bank: pd.DataFrame, bank_rwa: pd.DataFrame) -> None:
    credit_lines = bank["side"].isin(["asset", "off_balance"]).sum()
    assert (bank_rwa["risk_type"] == "credit").sum() == credit_lines
    assert (bank_rwa["risk_type"] == "operational").sum() == 1
    assert (bank_rwa["rule"].astype(str) != "").all()
    assert (bank_rwa["rwa"] >= 0).all() and np.isfinite(bank_rwa["rwa"]).all()
    summary = rwa_summary(bank_rwa)
    assert summary["rwa"].sum() == pytest.approx(bank_rwa["rwa"].sum(), rel=1e-12)
    assert summary["lines"].sum() == len(bank_rwa)


def test_generated_bank_rwa_by_class_is_plausible(bank_rwa: pd.DataFrame) -> None:
    """Average SA risk weights by class sit where the CRE20 tables put them for this portfolio."""
    sa = (
        bank_rwa[bank_rwa["risk_type"] == "credit"]
        .groupby("exposure_class", observed=True)[["sa_exposure", "rwa_standardised"]]
        .sum()
    )
    density = sa["rwa_standardised"] / sa["sa_exposure"]
    assert density["sovereign"] < 0.15
    assert 0.2 < density["residential_real_estate"] < 0.5
    assert 0.6 < density["corporate"] < 1.1
    assert 0.6 < density["retail"] < 0.8
    assert 2.5 <= density["equity"] <= 4.0
    assert 1.0 <= density["defaulted"] <= 1.5


def test_generated_bank_cet1_ratio_is_plausible() -> None:
    """Issue 3: the baseline bank's CET1 ratio on floored RWA is within 10-18% for several seeds."""
    for seed in (1, 2, 3):
        bank = bs.generate_positions(20_000, seed=seed, include_derivatives=True)
        floor = output_floor(risk_weighted_assets(bank))
        assert 0.10 <= bs.own_funds(bank)["cet1"] / floor["floored_rwa"] <= 0.18


def test_compute_rwa_is_cached_and_keyed_by_parameters(sqlite_store: bs.Store) -> None:
    lines = positions(
        {"exposure_class": "corporate", "sub_class": "general", "side": "off_balance",
         "off_balance_amount": 1_000_000.0, "off_balance_type": "commitment"}
    )  # fmt: skip
    first, hit1 = bs.compute_rwa(lines)
    again, hit2 = bs.compute_rwa(lines)
    assert (hit1, hit2) == (False, True)
    pd.testing.assert_frame_equal(first, again)
    variant, hit3 = bs.compute_rwa(lines, parameters={"sa": {"ccf": {"commitment": 0.5}}})
    assert hit3 is False
    credit = variant["risk_type"] == "credit"
    assert variant.loc[credit, "rwa"].sum() == pytest.approx(500_000.0)


def test_bad_input_writes_nothing(sqlite_store: bs.Store) -> None:
    bad = pd.DataFrame([{"position_id": "X", "side": "asset", "drawn_amount": 1.0, "exposure_class": "none"}])
    with pytest.raises(bs.InputError):
        bs.compute_rwa(bad)
    assert sqlite_store.list_entries().empty


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("num_positions", [1, 50, 3_000])
def test_any_generated_bank_goes_through_the_pipeline(seed: int, num_positions: int) -> None:
    """Small and odd banks (one position, few netting sets) still give finite, non-negative results."""
    bank = bs.generate_positions(num_positions, seed, config={"irb_share": 0.3}, include_derivatives=True)
    rwa = risk_weighted_assets(bank)
    assert np.isfinite(rwa["rwa"]).all() and (rwa["rwa"] >= 0).all()
    *_, summary = bs.liquidity(bank)
    assert summary["hqla"] >= 0 and summary["rsf"] >= 0
    capital = bs.capital_adequacy(rwa, bs.own_funds(bank))
    assert capital["ratios"]["cet1_ratio"] > 0


# -- rule citations per line (methodology C.45) ---------------------------------------------------------

CORP = {"exposure_class": "corporate", "sub_class": "general", "counterparty_type": "corporate"}
AIRB = {**CORP, "approach": "airb", "pd": 0.01, "lgd": 0.40, "residual_maturity": 2.5, "drawn_amount": 1e6}
RETAIL = {"exposure_class": "retail", "sub_class": "regulatory_retail", "drawn_amount": 1e6,
          "currency_mismatch_unhedged": True}  # fmt: skip
IRS = {"side": "derivative", "counterparty_type": "bank", "rating": "A", "saccr_asset_class": "interest_rate",
       "hedging_set": "USD", "trade_direction": "long", "notional": 10_000_000.0, "end_years": 5.0,
       "residual_maturity": 5.0, "mtm": 150_000.0}  # fmt: skip
CITATION_LINES = [
    {**RETAIL, "position_id": "MISMATCH", "counterparty_type": "individual"},  # 75% x 1.5 = 112.5%
    {**RETAIL, "position_id": "SME-RETAIL", "counterparty_type": "sme"},  # out of the mismatch's scope: 75%
    {**CORP, "position_id": "CCF", "drawn_amount": 5e5, "off_balance_amount": 1e6, "off_balance_type": "commitment"},
    {**CORP, "position_id": "NO-UNDRAWN", "drawn_amount": 1e6, "off_balance_type": "commitment"},
    {**CORP, "position_id": "LOWER", "side": "off_balance", "off_balance_amount": 1e6, "off_balance_type": "commitment",
     "underlying_off_balance_type": "short_term_trade_letter_of_credit"},
    {**AIRB, "position_id": "FLOORS", "pd": 0.0001, "lgd": 0.10, "residual_maturity": 7.0, "annual_sales": 20e6},
    {**AIRB, "position_id": "PLAIN"},
    {**AIRB, "position_id": "FI", "large_financial_institution": True},
    {**AIRB, "position_id": "IRB-CCF", "drawn_amount": 0.0, "off_balance_amount": 1e6, "off_balance_type": "commitment"},
    {**IRS, "position_id": "T1", "netting_set": "NS-PLAIN"},
    {**IRS, "position_id": "T2", "netting_set": "NS-CAP", "margined": True, "collateral_held": 100_000.0,
     "mpor_days": 10.0, "threshold_amount": 1_000_000.0},
]  # fmt: skip
# Each paragraph's lines: the ones whose number it changed (hand-worked in the comments), no others.
CITED = {
    "CRE20.92-93": {"MISMATCH"},  # RW 75% -> 112.5% (CRE20.92-93 x1.5)
    "CRE20.95": set(), "CRE20.96": set(), "CRE20.97": set(), "CRE20.100": set(),
    "CRE20.98": {"CCF", "IRB-CCF"},  # 40% x 1m converted; NO-UNDRAWN has nothing to convert
    "CRE20.99": {"LOWER"}, "CRE20.101": {"LOWER"},  # min(40%, 20%) = 20% x 1m = 200,000
    "CRE31.7": {"FI"},  # R x 1.25
    "CRE31.8": {"FLOORS"},  # sales 20m < 50m
    "CRE32.4": {"FLOORS"},  # PD 0.01% -> 0.05%
    "CRE32.16": {"FLOORS"},  # LGD 10% -> 25%
    "CRE32.46": {"FLOORS"},  # M 7y -> 5y
    "CRE32.55": set(), "CRE32.7": set(), "CRE32.58": set(), "CRE32.58-59": set(),
    "CRE32.6": {"FI"}, "CRE32.44": {"FI"},  # an FI is F-IRB: LGD 45% for 40%, M 2.5y
    "CRE52.2": {"NS-CAP"},  # margined EAD 1.4 x (1,000,000 + 66,359.765) capped at 379,678.904
}  # fmt: skip


def paragraphs(rule: str) -> list[str]:
    """The paragraph ids a rule cites: the text before each note's parenthesis."""
    return [part.split(" (")[0] for part in rule.split("; ")]


def test_each_paragraph_is_cited_on_the_lines_it_changed_and_on_no_other() -> None:
    rows = risk_weighted_assets(positions(*CITATION_LINES))
    rows = rows[rows["risk_type"] != "operational"]
    rows = rows.set_index(rows["position_id"].astype(str))
    for column in ("rule", "sa_rule"):
        cited = {pid: paragraphs(str(rule)) for pid, rule in rows[column].items()}
        for paragraph, lines in CITED.items():
            expected = lines if column == "rule" or not paragraph.startswith("CRE3") else set()
            citing = {pid for pid, found in cited.items() if paragraph in found}
            assert citing == expected, (column, paragraph)
        assert all(len(found) == len(set(found)) for found in cited.values())  # none cited twice
    # The numbers those paragraphs changed, worked by hand.
    assert rows.loc["MISMATCH", "rwa"] == pytest.approx(1_125_000.0, rel=1e-12)  # 1m x 75% x 1.5
    assert rows.loc["SME-RETAIL", "rwa"] == pytest.approx(750_000.0, rel=1e-12)
    assert rows.loc["CCF", "exposure"] == pytest.approx(900_000.0, rel=1e-12)  # 500,000 + 40% x 1m
    assert rows.loc["LOWER", "exposure"] == pytest.approx(200_000.0, rel=1e-12)  # CRE20.101: 20% x 1m
    assert rows.loc["IRB-CCF", "exposure"] == pytest.approx(400_000.0, rel=1e-12)  # IRB EAD, C.16
    assert (rows.loc["FLOORS", "pd_used"], rows.loc["FLOORS", "lgd_used"]) == (0.0005, 0.25)
    assert rows.loc["FLOORS", "maturity_used"] == 5.0
    assert (rows.loc["FI", "lgd_used"], rows.loc["FI", "maturity_used"]) == (0.45, 2.5)
    assert rows.loc["NS-CAP", "exposure"] == pytest.approx(379_678.904, rel=2e-9)
    # The text of a line: the weight's paragraph, then each change in formula order.
    assert rows.loc["FLOORS", "rule"] == (
        "CRE31.5; CRE31.8 (SME firm-size adjustment); CRE32.4 (PD floor 0.05%); CRE32.16 (LGD floor 25%); "
        "CRE32.46 (M cap 5y)"
    )
    assert rows.loc["IRB-CCF", "rule"] == "CRE31.5; CRE20.98 (CCF 40%)"
    assert rows.loc["IRB-CCF", "sa_rule"] == "CRE20.43; CRE20.98 (CCF 40%)"
    assert rows.loc["PLAIN", "rule"] == "CRE31.5" and rows.loc["NO-UNDRAWN", "rule"] == "CRE20.43"
