"""Jurisdiction presets and countries by parameters (methodology 8): each EU difference on a hand-worked case.

Every expected number is worked by hand from the article or paragraph cited next to it; the EU
cases run through the public services with ``parameters=resolve_parameters("eu_crr3")``.
"""

from __future__ import annotations

import datetime as dt
import math
from statistics import NormalDist
from typing import Any

import pandas as pd
import pytest
from builders import positions, rwa_lines

import banksim as bs
from banksim.positions import vocabulary
from banksim.regulation import capital_adequacy, regulatory_parameters, risk_weighted_assets
from banksim.regulation.jurisdictions import PRESETS, resolve_parameters

EU = resolve_parameters("eu_crr3")
# CRR Art. 501 on E* = 4m: (2.5m x 0.7619 + 1.5m x 0.85) / 4m = (1,904,750 + 1,275,000) / 4m.
SME_FACTOR_4M = 3_179_750 / 4_000_000  # 0.7949375

SME_CORPORATE = {
    "exposure_class": "corporate", "sub_class": "general", "counterparty_type": "sme",
    "annual_sales": 20e6, "drawn_amount": 4_000_000.0,
}  # fmt: skip
PROJECT_FINANCE = {
    "exposure_class": "specialised_lending", "sub_class": "project_finance_operational",
    "counterparty_type": "corporate", "drawn_amount": 10_000_000.0,
}  # fmt: skip
MORTGAGE = {
    "exposure_class": "residential_real_estate", "sub_class": "general", "counterparty_type": "individual",
    "drawn_amount": 70_000.0, "ltv": 0.70,
}  # fmt: skip


@pytest.fixture
def service(sqlite_store: bs.Store) -> Any:
    """``rwa(*lines, parameters=...)``: the credit rows of ``bs.compute_rwa``, by position id."""

    def rwa(*lines: dict[str, Any], parameters: Any = None) -> pd.DataFrame:
        result, _ = bs.compute_rwa(positions(*lines), parameters=parameters)
        result = result[result["risk_type"] != "operational"]
        return result.set_index(result["position_id"].astype(str))

    return rwa


# -- the presets as data -------------------------------------------------------------------------


def test_basel_and_none_are_the_same_run(sqlite_store: bs.Store) -> None:
    assert resolve_parameters("basel") is None and resolve_parameters(None) is None
    bank = bs.generate_positions(2_000, 5)
    basel, _ = bs.compute_rwa(bank, parameters=resolve_parameters("basel"))
    default, hit = bs.compute_rwa(bank)
    assert hit  # the same key: "basel" adds no overrides
    pd.testing.assert_frame_equal(basel, default)


def test_the_eu_preset_is_valid_data_and_resolves_to_a_copy() -> None:
    params = regulatory_parameters(PRESETS["eu_crr3"])
    assert params["sa"]["sme_supporting_factor"]["factor"] == 0.7619
    resolved = resolve_parameters("eu_crr3")
    assert resolved is not None
    resolved["sa"]["infrastructure_supporting_factor"] = 1.0
    assert PRESETS["eu_crr3"]["sa"]["infrastructure_supporting_factor"] == 0.75
    with pytest.raises(bs.InputError) as error:
        resolve_parameters("eu")
    assert error.value.argument == "parameters"
    for subset, categories in (
        (vocabulary.PROJECT_FINANCE_SUB_CLASSES, vocabulary.SUB_CLASSES),
        (vocabulary.SME_SUPPORTING_FACTOR_CLASSES, vocabulary.EXPOSURE_CLASSES),
    ):
        assert set(subset) <= set(categories)


def test_the_eu_preset_changes_the_synthetic_bank() -> None:
    """The generated bank holds SME loans, flagged project finance and mortgages: all three change."""
    bank = bs.generate_positions(5_000, 3)
    basel, eu = risk_weighted_assets(bank), risk_weighted_assets(bank, parameters=EU)
    rules = eu["rule"].astype(str)
    assert rules.str.endswith(" + CRR Art. 501").sum() > 0
    assert rules.str.endswith(" + CRR Art. 501a").sum() > 0
    assert (rules == "CRE20.83").sum() > 0
    assert bank["qualifying_infrastructure"].sum() > 0
    changed = eu["supporting_factor"] < 1
    assert (eu.loc[changed, "rwa"] < basel.loc[changed, "rwa"]).all()
    assert (eu.loc[~changed, "supporting_factor"] == 1.0).all()
    assert not rules[~changed].str.contains("CRR Art. 501").any()


# -- (a) the SME supporting factor, CRR Art. 501 -------------------------------------------------


def test_sme_loan_of_4m_at_100_percent(service: Any) -> None:
    """CRE20.43: unrated corporate 100%. CRR Art. 501: 2.5m x 0.7619 + 1.5m x 0.85 = 3,179,750."""
    basel = service(SME_CORPORATE).loc["L1"]
    eu = service(SME_CORPORATE, parameters=EU).loc["L1"]
    assert basel["rwa"] == pytest.approx(4_000_000, rel=1e-9)
    assert basel["rule"] == "CRE20.43" and basel["supporting_factor"] == 1.0
    assert eu["rwa"] == pytest.approx(3_179_750, rel=1e-9)
    assert eu["rwa_standardised"] == pytest.approx(3_179_750, rel=1e-9)  # the floor's SA view too
    assert eu["supporting_factor"] == pytest.approx(0.7949375, rel=1e-9)
    assert eu["risk_weight"] == 1.0  # the risk weight itself is unchanged
    assert eu["rule"] == "CRE20.43 + CRR Art. 501" and eu["sa_rule"] == "CRE20.43 + CRR Art. 501"


@pytest.mark.parametrize(
    ("line", "expected", "rule"),
    [
        # CRE20.47 SME 85%; E* = 2m <= 2.5m: 2,000,000 x 0.85 x 0.7619 = 1,295,230.
        ({**SME_CORPORATE, "sub_class": "sme", "drawn_amount": 2e6}, 1_295_230.0, "CRE20.47 + CRR Art. 501"),
        # Regulatory retail to an SME, CRE20.65 75%: 1,000,000 x 0.75 x 0.7619 = 571,425.
        ({**SME_CORPORATE, "exposure_class": "retail", "sub_class": "regulatory_retail", "drawn_amount": 1e6},
         571_425.0, "CRE20.63-68 + CRR Art. 501"),
        # Turnover unknown: the counterparty type decides (methodology C.21): 3,179,750 as above.
        ({**SME_CORPORATE, "annual_sales": math.nan}, 3_179_750.0, "CRE20.43 + CRR Art. 501"),
        # Turnover EUR 60m > 50m: not an SME for Art. 501, 100% of 4m.
        ({**SME_CORPORATE, "annual_sales": 60e6}, 4_000_000.0, "CRE20.43"),
        # A defaulted SME exposure (CRE20.104-108, provisions 0 < 20%: 150%) takes no factor.
        ({**SME_CORPORATE, "exposure_class": "defaulted", "is_defaulted": True}, 6_000_000.0, "CRE20.104-108"),
        # An individual is no SME: regulatory retail 75% of 1m.
        ({**SME_CORPORATE, "exposure_class": "retail", "sub_class": "regulatory_retail",
          "counterparty_type": "individual", "drawn_amount": 1e6}, 750_000.0, "CRE20.63-68"),
    ],
)  # fmt: skip
def test_which_exposures_take_the_sme_factor(line: dict[str, Any], expected: float, rule: str) -> None:
    row = rwa_lines(line, parameters=EU).loc["L1"]
    assert row["rwa"] == pytest.approx(expected, rel=1e-9)
    assert row["rule"] == rule


def test_sme_factor_on_an_irb_line(service: Any) -> None:
    """CRR Art. 501 scales the IRB RWA too, with E* = the IRB EAD of 4m.

    F-IRB corporate (CRE31.4-31.6), PD 1%, LGD 40% (CRE32.6), M 2.5 (CRE32.44), no firm-size
    adjustment (turnover unknown): RWA = 12.5 x K x 4m, K from the CRE31 formula; the EU RWA is
    that times 0.7949375, and the SA view 4m x 100% (CRE20.43) times 0.7949375 = 3,179,750.
    """
    line = {
        **SME_CORPORATE,
        "annual_sales": math.nan,
        "approach": "firb",
        "irb_class": "corporate",
        "pd": 0.01,
    }
    n = NormalDist()
    w = (1 - math.exp(-50 * 0.01)) / (1 - math.exp(-50))
    r = 0.12 * w + 0.24 * (1 - w)
    b = (0.11852 - 0.05478 * math.log(0.01)) ** 2
    x = (n.inv_cdf(0.01) + math.sqrt(r) * n.inv_cdf(0.999)) / math.sqrt(1 - r)
    k = (0.40 * n.cdf(x) - 0.01 * 0.40) / (1 - 1.5 * b)  # M = 2.5: (1 + (M - 2.5) b) = 1
    basel = service(line).loc["L1"]
    eu = service(line, parameters=EU).loc["L1"]
    assert basel["rwa"] == pytest.approx(12.5 * k * 4_000_000, rel=1e-9)
    assert eu["rwa"] == pytest.approx(12.5 * k * 4_000_000 * SME_FACTOR_4M, rel=1e-9)
    assert eu["rwa_standardised"] == pytest.approx(3_179_750, rel=1e-9)
    assert str(eu["rule"]).endswith(" + CRR Art. 501")


# -- (b) the infrastructure supporting factor, CRR Art. 501a -------------------------------------


@pytest.mark.parametrize(
    ("line", "basel", "eu", "rule", "unflagged"),
    [
        # CRE20.51 operational project finance 100%: 10m; x 0.75 = 7.5m; not flagged: 10m.
        (PROJECT_FINANCE, 10_000_000.0, 7_500_000.0, "CRE20.51 + CRR Art. 501a", 10_000_000.0),
        # CRE20.52 high-quality operational 80%: 8m; x 0.75 = 6m.
        ({**PROJECT_FINANCE, "sub_class": "project_finance_high_quality_operational"}, 8e6, 6e6,
         "CRE20.51 + CRR Art. 501a", 8e6),
        # Rated A (CRE20.50, corporate table 50%): 5m; x 0.75 = 3.75m.
        ({**PROJECT_FINANCE, "rating": "A"}, 5e6, 3.75e6, "CRE20.50 + CRR Art. 501a", 5e6),
        # To an SME (turnover 20m) of 4m: the infrastructure factor alone (methodology C.22),
        # 4m x 0.75 = 3m, not also x 0.7949375; not flagged, the SME factor (specialised lending
        # is a corporate exposure in the EU): 2.5m x 0.7619 + 1.5m x 0.85 = 3,179,750.
        ({**PROJECT_FINANCE, "counterparty_type": "sme", "annual_sales": 20e6, "drawn_amount": 4e6}, 4e6,
         3e6, "CRE20.51 + CRR Art. 501a", 3_179_750.0),
    ],
)  # fmt: skip
def test_qualifying_project_finance(
    service: Any, line: dict[str, Any], basel: float, eu: float, rule: str, unflagged: float
) -> None:
    flagged = {**line, "qualifying_infrastructure": True}
    assert service(flagged).loc["L1", "rwa"] == pytest.approx(basel, rel=1e-9)
    row = service(flagged, parameters=EU).loc["L1"]
    assert row["rwa"] == pytest.approx(eu, rel=1e-9)
    assert row["rwa_standardised"] == pytest.approx(eu, rel=1e-9)
    assert row["rule"] == rule
    assert rwa_lines(line, parameters=EU).loc["L1", "rwa"] == pytest.approx(unflagged, rel=1e-9)


def test_the_infrastructure_flag_belongs_to_project_finance() -> None:
    corporate = {**SME_CORPORATE, "counterparty_type": "corporate", "qualifying_infrastructure": True}
    for parameters in (None, EU):  # an input error whatever the jurisdiction
        with pytest.raises(bs.InputError) as error:
            rwa_lines(corporate, parameters=parameters)
        assert error.value.argument == "positions['qualifying_infrastructure']"
    with pytest.raises(bs.InputError, match="qualifying_infrastructure"):
        positions({**PROJECT_FINANCE, "qualifying_infrastructure": "maybe"})


# -- (c) the output floor transition, CRR Art. 465 -----------------------------------------------

# Pre-floor RWA 50 against standardised RWA 100, CET1 10 (methodology 1.2).
FLOOR_RWA = pd.DataFrame(
    {
        "position_id": ["R1"], "risk_type": pd.Categorical(["credit"]),
        "counterparty_type": pd.Categorical(["corporate"]), "country": pd.Categorical(["DE"]),
        "rwa": [50.0], "rwa_standardised": [100.0], "leverage_exposure": [500.0],
    }
)  # fmt: skip


@pytest.mark.parametrize(
    ("year", "basel", "eu"),
    [
        (2024, 55.0, 50.0),  # RBC90.1 55% x 100 = 55; EU: no floor before 2025, 50
        (2025, 60.0, 50.0),  # RBC90.1 60%; Art. 465(1) 50% x 100 = 50 (not binding)
        (2027, 70.0, 60.0),  # RBC90.1 70%; Art. 465(1) 60% x 100 = 60
        (2029, 72.5, 70.0),  # RBC20.11 72.5% from 2028; Art. 465(1) 70%
        (2030, 72.5, 72.5),  # both fully phased in (RBC20.11, CRR Art. 92(3))
        (2031, 72.5, 72.5),
    ],
)
def test_output_floor_transition(sqlite_store: bs.Store, year: int, basel: float, eu: float) -> None:
    as_of = dt.date(year, 6, 30)
    base, _ = bs.compute_capital(FLOOR_RWA, {"cet1": 10.0}, as_of=as_of)
    union, _ = bs.compute_capital(FLOOR_RWA, {"cet1": 10.0}, parameters=EU, as_of=as_of)
    assert base["rwa"]["floored_rwa"] == pytest.approx(basel, rel=1e-9)
    assert union["rwa"]["floored_rwa"] == pytest.approx(eu, rel=1e-9)
    assert union["ratios"]["cet1_ratio"] == pytest.approx(10.0 / eu, rel=1e-9)


# -- (d) real estate: loan-splitting, CRR Art. 125(1) and 126(1) ---------------------------------


@pytest.mark.parametrize(
    ("line", "basel", "eu"),
    [
        # CRE20.83's own example: 70,000 on a 100,000 property (LTV 70%). Basel whole loan,
        # CRE20.82 60-80% band: 30% x 70,000 = 21,000. Split: 20% x 55,000 + 75% x 15,000 = 22,250.
        (MORTGAGE, 21_000.0, 22_250.0),
        # LTV 50%: the whole loan lies under 55% of the value, 20% x 70,000 = 14,000 both ways.
        ({**MORTGAGE, "ltv": 0.50}, 14_000.0, 14_000.0),
        # 110,000 on 100,000 (LTV 110%): CRE20.82 70% x 110,000 = 77,000;
        # split 20% x 55,000 + 75% x 55,000 = 11,000 + 41,250 = 52,250.
        ({**MORTGAGE, "drawn_amount": 110_000.0, "ltv": 1.10}, 77_000.0, 52_250.0),
        # Unhedged currency mismatch (CRE20.92-93) on the split weight: 22,250 x 1.5 = 33,375;
        # Basel 30% x 1.5 = 45% of 70,000 = 31,500.
        ({**MORTGAGE, "currency_mismatch_unhedged": True}, 31_500.0, 33_375.0),
        # Commercial, unrated corporate (100%): 1,000,000 on 1,250,000 (LTV 80%). CRE20.85 above 60%
        # LTV: 100% = 1,000,000. Split (CRE20.86): min(60%, 100%) x 687,500 + 100% x 312,500 = 725,000.
        ({"exposure_class": "commercial_real_estate", "sub_class": "general", "counterparty_type": "corporate",
          "drawn_amount": 1e6, "ltv": 0.80}, 1_000_000.0, 725_000.0),
    ],
)  # fmt: skip
def test_loan_splitting(service: Any, line: dict[str, Any], basel: float, eu: float) -> None:
    base = service(line).loc["L1"]
    union = service(line, parameters=EU).loc["L1"]
    assert base["rwa"] == pytest.approx(basel, rel=1e-9)
    assert union["rwa"] == pytest.approx(eu, rel=1e-9)
    rule = "CRE20.83" if line["exposure_class"] == "residential_real_estate" else "CRE20.86"
    if line.get("currency_mismatch_unhedged"):  # the multiplier is cited where it changed the weight
        rule += "; CRE20.92-93 (currency mismatch x1.5)"
    assert union["rule"] == rule


def test_commercial_real_estate_to_an_sme_takes_both() -> None:
    """1m to an SME (85%, CRE20.89(1)) at LTV 50%: all under 55% of the value, min(60%, 85%) = 60%
    (CRE20.86), then CRR Art. 501 on E* = 1m: 600,000 x 0.7619 = 457,140."""
    line = {"exposure_class": "commercial_real_estate", "sub_class": "general", "counterparty_type": "sme",
            "annual_sales": 10e6, "drawn_amount": 1e6, "ltv": 0.50}  # fmt: skip
    row = rwa_lines(line, parameters=EU).loc["L1"]
    assert row["rwa"] == pytest.approx(457_140.0, rel=1e-9)
    assert row["rule"] == "CRE20.86 + CRR Art. 501"
    assert rwa_lines(line).loc["L1", "rwa"] == pytest.approx(600_000.0, rel=1e-9)  # CRE20.85, no factor


# -- a country added by parameters ---------------------------------------------------------------

NORWAY = {
    "sa": {"sovereign_rating": {"NO": "BBB"}, "local_currency": {"NO": "NOK"}},
    "capital": {"countercyclical_rates": {"NO": 0.025}},
}
NORWEGIAN_BANK = {
    "exposure_class": "bank", "sub_class": "general", "counterparty_type": "bank", "scra_grade": "A",
    "counterparty_cet1_ratio": 0.12, "counterparty_leverage_ratio": 0.04, "original_maturity": 1.0,
    "residual_maturity": 1.0, "country": "NO", "currency": "USD", "drawn_amount": 1_000_000.0,
}  # fmt: skip


def test_a_new_country_sets_the_scra_sovereign_floor(service: Any) -> None:
    """An unrated grade-A bank (CRE20.21, 40%) in NO lending in USD: without a rating for NO there is no
    floor (methodology C.15), 400,000; with NO at BBB (CRE20.7: 50%) and NOK local, CRE20.32 floors it
    at 50%, 500,000; the same loan in NOK is not floored, 400,000."""
    assert service(NORWEGIAN_BANK).loc["L1", "rwa"] == pytest.approx(400_000.0, rel=1e-9)
    floored = service(NORWEGIAN_BANK, parameters=NORWAY).loc["L1"]
    assert floored["rwa"] == pytest.approx(500_000.0, rel=1e-9)
    assert floored["rule"] == "CRE20.32"
    local = service({**NORWEGIAN_BANK, "currency": "NOK"}, parameters=NORWAY).loc["L1"]
    assert local["rwa"] == pytest.approx(400_000.0, rel=1e-9)
    assert local["rule"] == "CRE20.21"


def test_a_new_country_sets_its_countercyclical_rate(sqlite_store: bs.Store) -> None:
    """Unrated corporates (CRE20.43, 100%): 3m in NO, 1m in DE. RBC30.13-14: the CCyB is the
    RWA-weighted average, 2.5% x 3/4 = 1.875%; with DE at 1% from the buffer settings,
    2.5% x 3/4 + 1% x 1/4 = 2.125%; a rate in the settings wins for its country: NO 0 gives 0."""
    corporate = {"exposure_class": "corporate", "sub_class": "general", "counterparty_type": "corporate"}
    bank = positions({**corporate, "country": "NO", "drawn_amount": 3e6}, {**corporate, "drawn_amount": 1e6})
    rwa, _ = bs.compute_rwa(bank, parameters=NORWAY)
    funds = {"cet1": 1e6}
    capital, _ = bs.compute_capital(rwa, funds, parameters=NORWAY)
    assert capital["buffers"]["countercyclical"] == pytest.approx(0.01875, rel=1e-9)
    assert capital["buffers"]["countercyclical_weights"] == pytest.approx({"NO": 0.75, "DE": 0.25}, rel=1e-9)
    assert capital["buffers"]["combined_buffer_requirement"] == pytest.approx(0.025 + 0.01875, rel=1e-9)
    both, _ = bs.compute_capital(rwa, funds, {"countercyclical_rates": {"DE": 0.01}}, parameters=NORWAY)
    assert both["buffers"]["countercyclical"] == pytest.approx(0.02125, rel=1e-9)
    zero = capital_adequacy(rwa, funds, {"countercyclical_rates": {"NO": 0.0}}, parameters=NORWAY)
    assert zero["buffers"]["countercyclical"] == 0.0
    assert capital_adequacy(rwa, funds)["buffers"]["countercyclical"] == 0.0  # Basel: no rates set


def test_new_countries_and_years_are_accepted() -> None:
    params = regulatory_parameters({**NORWAY, "output_floor": {"schedule": {"2031": 0.8, 2032: 0.9}}})
    assert params["sa"]["sovereign_rating"]["NO"] == "BBB" and params["sa"]["sovereign_rating"]["DE"] == "AAA"
    assert params["output_floor"]["schedule"][2031] == 0.8  # a year given as text (JSON) is an integer
    floor = bs.output_floor(
        FLOOR_RWA, as_of=dt.date(2031, 1, 1), parameters={"output_floor": {"schedule": {"2031": 0.8}}}
    )
    assert floor["floored_rwa"] == pytest.approx(80.0, rel=1e-9)  # 80% x 100
    frame = positions({"country": "NO", "currency": "NOK"}, {"country": "DE"})
    assert list(frame["country"].astype(str)) == ["NO", "DE"]
    assert list(frame["currency"].cat.categories)[-1] == "NOK"
    with pytest.raises(bs.InputError) as error:
        positions({"country": "Norway"})
    assert error.value.argument == "positions['country']"


@pytest.mark.parametrize(
    ("overrides", "argument"),
    [
        ({"sa": {"sovereign_rating": {"no": "AAA"}}}, "parameters['sa']['sovereign_rating']['no']"),
        ({"sa": {"sovereign_rating": {"NOR": "AAA"}}}, "parameters['sa']['sovereign_rating']['NOR']"),
        ({"sa": {"sovereign_rating": {"NO": "Baa2"}}}, "parameters['sa']['sovereign_rating']['NO']"),
        ({"sa": {"local_currency": {"NO": "kroner"}}}, "parameters['sa']['local_currency']['NO']"),
        ({"capital": {"countercyclical_rates": {"NO": 0.03}}}, "parameters['capital']['countercyclical_rates']['NO']"),
        ({"capital": {"countercyclical_rates": {"NO": -0.01}}}, "parameters['capital']['countercyclical_rates']['NO']"),
        ({"capital": {"countercyclical_rates": {7: 0.01}}}, "parameters['capital']['countercyclical_rates'][7]"),
        ({"output_floor": {"schedule": {2031: 1.5}}}, "parameters['output_floor']['schedule'][2031]"),
        ({"output_floor": {"schedule": {"next": 0.5}}}, "parameters['output_floor']['schedule']['next']"),
        ({"sa": {"ccf": {"NO": 0.5}}}, "parameters['sa']['ccf']['NO']"),  # other tables stay closed
        ({"capital": {"gsib_buffer": {"6": 0.04}}}, "parameters['capital']['gsib_buffer']['6']"),
        ({"sa": {"sme_supporting_factor": {"factor": "0.76"}}}, "parameters['sa']['sme_supporting_factor']['factor']"),
        ({"sa": {"rre_loan_splitting": {"applied": 1}}}, "parameters['sa']['rre_loan_splitting']['applied']"),
        ({"sa": {"infrastructure_supporting_factor": -1}}, "parameters['sa']['infrastructure_supporting_factor']"),
    ],
)  # fmt: skip
def test_bad_overrides_name_their_path(overrides: dict[str, Any], argument: str) -> None:
    with pytest.raises(bs.InputError) as error:
        regulatory_parameters(overrides)
    assert error.value.argument == argument
    with pytest.raises(bs.InputError) as error:
        risk_weighted_assets(positions(SME_CORPORATE), parameters=overrides)
    assert error.value.argument == argument
