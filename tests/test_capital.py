"""Capital statements worked by hand (methodology 1, C.11, C.2): ratios, buffers, MDA quartiles,
the G-SIB leverage buffer and the output floor. RWA of 1,000 unless stated, so 1% = 10.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pandas as pd
import pytest

import banksim as bs
from banksim.regulation import capital_adequacy, capital_statement
from banksim.regulation.capital import (
    Buffers,
    BufferSettings,
    CapitalAdequacy,
    Leverage,
    Mda,
    OwnFunds,
    Ratios,
    Requirement,
    RwaTotals,
    buffer_stack,
    capital_ratios,
    countercyclical_buffer,
    leverage_measure,
    leverage_requirements,
    maximum_distributable_amount,
    own_funds_after_deductions,
    risk_based_requirements,
    rwa_totals,
)


def rwa_table(*rows: tuple[str, float, float, float], risk_type: str = "credit") -> pd.DataFrame:
    """Rows of (country, RWA, standardised RWA, leverage exposure) for private-sector obligors."""
    frame = pd.DataFrame(
        [{"position_id": f"R{i}", "risk_type": risk_type, "counterparty_type": "corporate", "country": c,
          "rwa": r, "rwa_standardised": s, "leverage_exposure": e} for i, (c, r, s, e) in enumerate(rows)]
    )  # fmt: skip
    for column in ("risk_type", "counterparty_type", "country"):
        frame[column] = frame[column].astype("category")
    return frame


RWA_1000 = rwa_table(("DE", 1000.0, 1000.0, 5000.0))


def statement(
    cet1: float, at1: float = 0.0, tier2: float = 0.0, rwa: pd.DataFrame = RWA_1000, **kw: Any
) -> dict[str, Any]:
    return capital_adequacy(rwa, {"cet1": cet1, "at1": at1, "tier2": tier2}, **kw)


def requirement(capital: dict[str, Any], name: str) -> dict[str, Any]:
    return next(r for r in capital["requirements"] if r["requirement"] == name)


def test_comfortably_above() -> None:
    """CET1 150, AT1 20, T2 30 on RWA 1,000: 15% / 17% / 20% (RBC20.1). CBR = 2.5% (CCB only).
    CET1 used for minima = max(4.5%, 6% - 2%, 8% - 2% - 3%) = 4.5%: MDA ratio 15% > 7%: no limit."""
    c = statement(150.0, 20.0, 30.0)
    assert c["ratios"] == {"cet1_ratio": pytest.approx(0.15), "tier1_ratio": pytest.approx(0.17),
                           "total_capital_ratio": pytest.approx(0.20)}  # fmt: skip
    assert c["buffers"]["combined_buffer_requirement"] == pytest.approx(0.025)
    assert c["mda"]["cet1_ratio_for_mda"] == pytest.approx(0.15)
    assert (c["mda"]["quartile"], c["mda"]["maximum_payout_ratio"]) == (5, 1.0)
    overall = requirement(c, "cet1_overall")  # 4.5% + 2.5% = 7%: surplus 8 points = 80
    assert overall["surplus_points"] == pytest.approx(0.08)
    assert overall["surplus_amount"] == pytest.approx(80.0)
    assert requirement(c, "total_minimum")["surplus_amount"] == pytest.approx(120.0)


@pytest.mark.parametrize(
    ("cet1", "quartile", "payout"),
    [
        (45.0, 1, 0.0),  # 4.5%: the first quartile includes 4.5% (methodology C.11)
        (50.0, 1, 0.0),  # 5.0% in [4.5, 5.125]
        (51.25, 1, 0.0),  # 5.125% exactly: the upper bound stays in its band (methodology C.2)
        (55.0, 2, 0.2),  # 5.5% in (5.125, 5.75]
        (60.0, 3, 0.4),  # 6.0% in (5.75, 6.375]
        (65.0, 4, 0.6),  # 6.5% in (6.375, 7.0]
        (70.0, 4, 0.6),  # 7.0% exactly
        (70.1, 5, 1.0),  # above 4.5% + CBR
    ],
)
def test_mda_quartiles_with_conservation_buffer_only(cet1: float, quartile: int, payout: float) -> None:
    """RBC30.4 table: 4.5-5.125 -> 100% conserved; -5.75 -> 80%; -6.375 -> 60%; -7.0 -> 40%; above -> 0%.
    AT1 15 and T2 20 (1.5% and 2%) so that no CET1 is used for the Tier 1 / Total minima."""
    c = statement(cet1, 15.0, 20.0)
    assert c["mda"]["cet1_used_for_minima"] == pytest.approx(0.045)
    assert (c["mda"]["quartile"], c["mda"]["maximum_payout_ratio"]) == (quartile, pytest.approx(payout))


def test_mda_quartiles_with_full_countercyclical_buffer() -> None:
    """RBC30.18: with CCyB 2.5% the bands are 4.5-5.75 / 7.0 / 8.25 / 9.5: CET1 9.0% is the fourth."""
    c = statement(90.0, 15.0, 20.0, buffers={"countercyclical_rates": {"DE": 0.025}})
    assert c["buffers"]["combined_buffer_requirement"] == pytest.approx(0.05)
    assert (c["mda"]["quartile"], c["mda"]["maximum_payout_ratio"]) == (4, pytest.approx(0.6))


def test_cet1_used_for_tier1_and_total_minima_is_excluded() -> None:
    """methodology 1.4: 8% CET1 and no AT1 / T2 -> MDA ratio 4.5%, a zero buffer: first quartile."""
    c = statement(80.0)
    assert c["mda"]["cet1_used_for_minima"] == pytest.approx(0.08)
    assert c["mda"]["cet1_ratio_for_mda"] == pytest.approx(0.045)
    assert (c["mda"]["quartile"], c["mda"]["maximum_payout_ratio"]) == (1, 0.0)


def test_below_the_minimum() -> None:
    """CET1 40 = 4%: the 4.5% minimum is breached by 0.5 points = 5; all earnings conserved."""
    c = statement(40.0, 15.0, 20.0)
    assert c["mda"]["minimum_breached"] is True
    assert c["mda"]["conservation_ratio"] == 1.0
    minimum = requirement(c, "cet1_minimum")
    assert minimum["met"] is False
    assert minimum["surplus_amount"] == pytest.approx(-5.0)


def test_countercyclical_buffer_is_weighted_by_private_sector_rwa() -> None:
    """RBC30.13-14: DE 600 at 1%, FR 400 at 0.5%, a sovereign line in IT (3%... not private) ignored:
    CCyB = 0.6 x 1% + 0.4 x 0.5% = 0.8%."""
    rwa = pd.concat([rwa_table(("DE", 600.0, 600.0, 1.0), ("FR", 400.0, 400.0, 1.0)),
                     rwa_table(("IT", 500.0, 500.0, 1.0)).assign(counterparty_type="sovereign")])  # fmt: skip
    c = statement(200.0, rwa=rwa, buffers={"countercyclical_rates": {"DE": 0.01, "FR": 0.005, "IT": 0.025}})
    assert c["buffers"]["countercyclical"] == pytest.approx(0.008)


def test_gsib_and_dsib_take_the_higher() -> None:
    """RBC40.18-19: G-SIB bucket 2 (1.5%) and D-SIB 2%: the systemic buffer is 2%, not 3.5%."""
    c = statement(200.0, buffers={"gsib_bucket": 2, "dsib_rate": 0.02})
    assert c["buffers"]["systemic"] == pytest.approx(0.02)
    assert c["buffers"]["combined_buffer_requirement"] == pytest.approx(0.045)


def test_gsib_with_binding_leverage_buffer() -> None:
    """LEV40.5 bucket-1 G-SIB: HLA 1%, leverage buffer 0.5% on top of 3%, bands 3-3.125-3.25-3.375-3.5%.
    CET1 120 (12%, above 4.5% + 3.5%: risk-based conservation 0%); Tier 1 = 120 + 40 = 160 on an
    exposure measure of 5,000: leverage 3.2%, the second band -> 80% conserved, which binds (LEV40.4)."""
    c = statement(120.0, 40.0, 0.0, buffers={"gsib_bucket": 1})
    assert c["leverage"]["leverage_ratio"] == pytest.approx(0.032)
    assert c["leverage"]["requirement"] == pytest.approx(0.035)
    assert c["mda"]["risk_based_conservation_ratio"] == 0.0
    assert (c["mda"]["leverage_quartile"], c["mda"]["conservation_ratio"]) == (2, pytest.approx(0.8))
    assert c["mda"]["binding_constraint"] == "leverage"
    assert requirement(c, "leverage_with_gsib_buffer")["surplus_amount"] == pytest.approx(-15.0)


def test_non_gsib_leverage_below_minimum_is_a_breach_without_conservation() -> None:
    """methodology C.2: for other banks a leverage ratio below 3% is reported, the MDA is risk-based only."""
    c = statement(120.0, rwa=rwa_table(("DE", 1000.0, 1000.0, 5000.0)))  # Tier 1 120 / 5,000 = 2.4%
    assert c["leverage"]["minimum_met"] is False
    assert c["mda"]["leverage_conservation_ratio"] is None
    assert c["mda"]["conservation_ratio"] == 0.0


def test_output_floor_binding_and_not() -> None:
    """RBC20.13: modelled 760, standardised 1,400: floored 72.5% x 1,400 = 1,015; CET1 101.5 -> 10%.
    Modelled 1,200: the floor (1,015) does not bind."""
    binding = statement(101.5, rwa=rwa_table(("DE", 760.0, 1400.0, 1.0)))
    assert binding["rwa"]["floored_rwa"] == pytest.approx(1015.0)
    assert binding["rwa"]["floor_binding"] is True
    assert binding["ratios"]["cet1_ratio"] == pytest.approx(0.10)
    free = statement(120.0, rwa=rwa_table(("DE", 1200.0, 1400.0, 1.0)))
    assert (free["rwa"]["floored_rwa"], free["rwa"]["floor_binding"]) == (1200.0, False)
    phased = statement(101.5, rwa=rwa_table(("DE", 760.0, 1400.0, 1.0)), as_of=dt.date(2025, 6, 30))
    assert phased["rwa"]["floored_rwa"] == pytest.approx(0.60 * 1400.0)  # RBC90.1: 60% in 2025


def test_pillar2_requirement_split() -> None:
    """P2R 2%: CET1 needs 4.5% + 56.25% x 2% = 5.625% before buffers; Total 8% + 2% = 10%."""
    c = statement(150.0, 20.0, 30.0, buffers={"pillar2_rate": 0.02})
    assert requirement(c, "cet1_minimum_and_pillar2")["required_ratio"] == pytest.approx(0.05625)
    assert requirement(c, "total_overall")["required_ratio"] == pytest.approx(0.08 + 0.02 + 0.025)


def test_deductions_reduce_cet1() -> None:
    c = capital_adequacy(RWA_1000, {"cet1": 150.0, "cet1_deductions": 30.0})
    assert c["own_funds"]["cet1"] == 120.0
    assert c["ratios"]["cet1_ratio"] == pytest.approx(0.12)
    table = capital_statement(c)
    assert table.loc[table["row"] == "CET1 Capital ratio", "value"].item() == pytest.approx(0.12)


@pytest.mark.parametrize(
    ("own_funds", "buffers", "argument"),
    [
        ({"cet1": -1.0}, None, "own_funds"),
        ({"cet1": 10.0, "tier3": 1.0}, None, "own_funds"),
        ({"cet1": 10.0}, {"countercyclical_rates": {"DE": 0.03}}, "buffers.countercyclical_rates"),
        ({"cet1": 10.0}, {"gsib_bucket": 6}, "buffers.gsib_bucket"),
        ({"cet1": 10.0}, {"dsib_rate": -0.01}, "buffers.dsib_rate"),
        ({"cet1": 10.0}, {"systemic_risk": 0.01}, "buffers"),
    ],
)
def test_bad_input(own_funds: dict[str, float], buffers: Any, argument: str) -> None:
    with pytest.raises(bs.InputError) as error:
        capital_adequacy(RWA_1000, own_funds, buffers)
    assert error.value.argument == argument


def test_zero_rwa_is_an_error() -> None:
    with pytest.raises(bs.InputError, match="zero"):
        capital_adequacy(rwa_table(("DE", 0.0, 0.0, 1.0)), {"cet1": 10.0})


def test_pipeline_on_the_generated_bank_is_cached(sqlite_store: bs.Store) -> None:
    bank, _ = bs.run_simulation(5_000, 11)
    rwa, _ = bs.compute_rwa(bank)
    capital, hit = bs.compute_capital(rwa, bs.own_funds(bank), {"countercyclical_rates": {"DE": 0.0075}})
    again, hit2 = bs.compute_capital(rwa, bs.own_funds(bank), {"countercyclical_rates": {"DE": 0.0075}})
    assert (hit, hit2) == (False, True)
    assert again == capital
    assert 0.10 <= capital["ratios"]["cet1_ratio"] <= 0.18
    assert capital["mda"]["maximum_payout_ratio"] == 1.0


# -- the steps of capital_adequacy, each on its own (methodology 1.1-1.4) ---------------------------

CAP = bs.regulation.regulatory_parameters()["capital"]


def test_own_funds_after_deductions() -> None:
    """CET1 100 less deductions 10 = 90; Tier 1 = 90 + AT1 20 = 110; total = 110 + T2 30 = 140."""
    own = own_funds_after_deductions({"cet1": 100.0, "cet1_deductions": 10.0, "at1": 20.0, "tier2": 30.0})
    assert (own["cet1"], own["tier1"], own["total_capital"]) == (90.0, 110.0, 140.0)
    assert own["cet1_before_deductions"] == 100.0


def test_rwa_totals_split_by_risk_type_and_floored() -> None:
    """Credit 600 (standardised 1,200) + operational 100 (100): floor 72.5% x 1,300 = 942.5 > 700."""
    credit = rwa_table(("DE", 600.0, 1200.0, 0.0))
    rwa = pd.concat(
        [credit, rwa_table(("DE", 100.0, 100.0, 0.0), risk_type="operational")], ignore_index=True
    )
    totals = rwa_totals(rwa)
    assert (totals["credit"], totals["counterparty"], totals["operational"]) == (600.0, 0.0, 100.0)
    assert totals["floored_rwa"] == pytest.approx(942.5)
    assert totals["floor_add_on"] == pytest.approx(242.5)
    assert totals["floor_binding"] is True


def test_countercyclical_buffer_weights_private_sector_credit_only() -> None:
    """DE 600 at 1%, FR 400 at 0%: 0.6%; a sovereign's 1,000 in DE carries no weight (RBC30.14)."""
    rwa = rwa_table(("DE", 600.0, 600.0, 0.0), ("FR", 400.0, 400.0, 0.0), ("DE", 1000.0, 1000.0, 0.0))
    rwa["counterparty_type"] = pd.Categorical(["corporate", "corporate", "sovereign"])
    rate, weights = countercyclical_buffer(rwa, {"DE": 0.01})
    assert rate == pytest.approx(0.006)
    assert weights == {"DE": pytest.approx(0.6), "FR": pytest.approx(0.4)}
    assert countercyclical_buffer(rwa.iloc[[2]], {"DE": 0.01}) == (0.0, {})
    # A private line without a country has no jurisdiction: it carries no weight (RBC30.14).
    rwa["country"] = pd.Categorical(["DE", None, "DE"], categories=["DE", "FR"])
    rate, weights = countercyclical_buffer(rwa, {"DE": 0.01})
    assert rate == pytest.approx(0.01) and weights == {"DE": pytest.approx(1.0)}


def test_countercyclical_buffer_of_a_categorical_country_is_that_of_its_names() -> None:
    """The same lines with the country as text or as categories (in any order, one unused): the same
    rate, 0.4 x 1% + 0.6 x 0.5% = 0.7%, and the weights by jurisdiction in the order of their names."""
    rwa = rwa_table(("FR", 600.0, 600.0, 0.0), ("DE", 400.0, 400.0, 0.0))
    rwa["country"] = rwa["country"].astype(str)
    rates = {"DE": 0.01, "FR": 0.005}
    rate, weights = countercyclical_buffer(rwa, rates)
    assert rate == pytest.approx(0.007) and list(weights) == ["DE", "FR"]
    rwa["country"] = pd.Categorical(rwa["country"], categories=["FR", "IT", "DE"])
    assert countercyclical_buffer(rwa, rates) == (rate, weights)
    assert list(countercyclical_buffer(rwa, rates)[1]) == ["DE", "FR"]
    # A line without an RWA amount weighs nothing, as a line without a country (RBC30.14).
    missing = pd.concat([rwa, rwa_table(("DE", 1.0, 1.0, 0.0)).assign(rwa=float("nan"))], ignore_index=True)
    missing["country"] = pd.Categorical(missing["country"], categories=["FR", "IT", "DE"])
    assert countercyclical_buffer(missing, rates)[0] == pytest.approx(0.007)


def test_buffer_stack_takes_the_higher_systemic_buffer() -> None:
    """G-SIB bucket 1 (1%) and D-SIB 2%: systemic 2%, CBR = 2.5% + 0 + 2% = 4.5% (RBC40.18-19)."""
    stack = buffer_stack(RWA_1000, BufferSettings(gsib_bucket=1, dsib_rate=0.02), CAP)
    assert (stack["gsib"], stack["systemic"]) == (0.01, 0.02)
    assert stack["combined_buffer_requirement"] == pytest.approx(0.045)


def test_risk_based_requirements_add_pillar2_by_composition_then_the_buffers() -> None:
    """P2R 2%, CBR 2.5%, CET1 ratio 10% on RWA 1,000: CET1 + P2R = 4.5% + 56.25% x 2% = 5.625%
    (surplus 4.375 points = 43.75); overall 8.125%; Tier 1 + P2R = 6% + 75% x 2% = 7.5%."""
    stack = buffer_stack(RWA_1000, BufferSettings(pillar2_rate=0.02), CAP)
    ratios: Ratios = {"cet1_ratio": 0.10, "tier1_ratio": 0.12, "total_capital_ratio": 0.15}
    rows = {r["requirement"]: r for r in risk_based_requirements(ratios, stack, 1000.0, CAP)}
    assert len(rows) == 9
    assert rows["cet1_minimum_and_pillar2"]["required_ratio"] == pytest.approx(0.05625)
    assert rows["cet1_minimum_and_pillar2"]["surplus_amount"] == pytest.approx(43.75)
    assert rows["cet1_overall"]["required_ratio"] == pytest.approx(0.08125)
    assert rows["tier1_minimum_and_pillar2"]["required_ratio"] == pytest.approx(0.075)
    assert rows["total_overall"]["required_ratio"] == pytest.approx(0.08 + 0.02 + 0.025)


def test_leverage_measure_and_its_requirements() -> None:
    """Tier 1 40 on exposure 1,000 = 4%; G-SIB buffer 1% x 50% = 0.5%: requirement 3.5% (LEV40.1-2)."""
    stack = buffer_stack(RWA_1000, BufferSettings(gsib_bucket=1), CAP)
    leverage = leverage_measure(40.0, rwa_table(("DE", 1.0, 1.0, 1000.0)), stack, CAP)
    assert leverage["leverage_ratio"] == pytest.approx(0.04)
    assert leverage["requirement"] == pytest.approx(0.035)
    gsib = leverage_requirements(leverage, True, CAP["ratio_tolerance"])
    assert [r["requirement"] for r in gsib] == ["leverage_minimum", "leverage_with_gsib_buffer"]
    assert gsib[1]["surplus_amount"] == pytest.approx(5.0)
    assert [r["requirement"] for r in leverage_requirements(leverage, False, 0.0)] == ["leverage_minimum"]


def test_maximum_distributable_amount_alone() -> None:
    """CET1 60 on RWA 1,000 (6%), CBR 2.5%: quartile 3 of [4.5%, 7%] = (5.75%, 6.375%], payout 40%."""
    own = own_funds_after_deductions({"cet1": 60.0, "cet1_deductions": 0.0, "at1": 15.0, "tier2": 20.0})
    ratios = capital_ratios(own, 1000.0)
    stack = buffer_stack(RWA_1000, BufferSettings(), CAP)
    leverage = leverage_measure(own["tier1"], RWA_1000, stack, CAP)
    mda = maximum_distributable_amount(own, ratios, 1000.0, stack, leverage, False, CAP)
    assert mda["cet1_used_for_minima"] == pytest.approx(0.045)
    assert (mda["quartile"], mda["maximum_payout_ratio"]) == (3, pytest.approx(0.4))
    assert mda["leverage_quartile"] is None


def test_the_statement_is_a_plain_dict_with_the_typed_sections() -> None:
    """TypedDicts only: the stored JSON is the dict's, every declared key is present and no other."""
    c = statement(150.0, 20.0, 30.0, buffers={"gsib_bucket": 1})
    assert type(c) is dict and type(c["mda"]) is dict
    assert json.loads(json.dumps(c)) == c
    assert set(c) == CapitalAdequacy.__required_keys__
    for section, kind in (("own_funds", OwnFunds), ("rwa", RwaTotals), ("ratios", Ratios), ("buffers", Buffers),
                          ("mda", Mda), ("leverage", Leverage)):  # fmt: skip
        assert set(c[section]) == kind.__required_keys__, section
    assert all(set(r) == Requirement.__required_keys__ for r in c["requirements"])
