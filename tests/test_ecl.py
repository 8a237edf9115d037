"""IFRS 9 expected credit loss: staging triggers at their boundaries, ECL worked by hand, reconciliation.

Every expected value is the arithmetic of methodology 12 and C.35-C.41 written out in the test
(constant hazard S(t) = (1 - p)^t, EAD at the start of each annual period, mid-period discounting at
the EIR), compared to 1e-9 relative.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from banksim.errors import InputError
from banksim.regulation.ecl import EclScenario, compute_ecl
from banksim.regulation.ecl_movement import MOVEMENT_LINES, allowance_movement

REL = 1e-9


def loan(**overrides: Any) -> dict[str, Any]:
    """A 1,000 bullet loan, T = 1, EIR 0, PD 1% now and at origination, LGD 50%: stage 1 by default."""
    base: dict[str, Any] = {
        "position_id": "L1",
        "drawn_amount": 1000.0,
        "residual_maturity": 1.0,
        "eir": 0.0,
        "pd": 0.01,
        "pd_at_origination": 0.01,
        "lgd": 0.5,
    }
    return {**base, **overrides}


def run(*loans: dict[str, Any], **kwargs: Any) -> pd.DataFrame:
    table = pd.DataFrame([{**x, "position_id": x.get("position_id", f"L{i}")} for i, x in enumerate(loans)])
    return compute_ecl(table, **kwargs).lines


def one(**overrides: Any) -> pd.Series:
    return run(loan(**overrides)).iloc[0]


# -- worked examples of the methodology (12.8) -------------------------------------------------------


def test_worked_example_a_bullet_one_scenario() -> None:
    line = one(
        drawn_amount=100_000.0, residual_maturity=2.0, eir=0.05, pd=0.03, pd_at_origination=0.03, lgd=0.45
    )
    # C.39: marginal PDs 1 - 0.97 = 0.03 and 0.97 - 0.97^2 = 0.0291; DF 1.05^-0.5 and 1.05^-1.5.
    period_1 = 0.03 * 0.45 * 100_000 * 1.05**-0.5
    period_2 = (0.97 - 0.97**2) * 0.45 * 100_000 * 1.05**-1.5
    assert line["ecl_12m"] == pytest.approx(period_1, rel=REL)
    assert line["ecl_lifetime"] == pytest.approx(period_1 + period_2, rel=REL)
    # The printed figures: 1,317.465 (12-month, stage 1) and 2,534.552 (lifetime).
    assert line["ecl_12m"] == pytest.approx(1317.465, abs=5e-4)
    assert line["ecl_lifetime"] == pytest.approx(2534.552, abs=5e-4)
    assert line["stage"] == 1 and line["loss_allowance"] == line["ecl_12m"]


def test_worked_example_b_annuity_fractional_maturity() -> None:
    line = one(
        drawn_amount=50_000.0, residual_maturity=2.5, eir=0.04, pd=0.02, pd_at_origination=0.02, lgd=0.40,
        amortisation_type="annuity",
    )  # fmt: skip

    def a(x: float) -> float:  # C.39: a(x) = (1 - 1.04^-x) / 0.04 at non-integer x
        return (1 - 1.04**-x) / 0.04

    ead = [50_000.0, 50_000.0 * a(1.5) / a(2.5), 50_000.0 * a(0.5) / a(2.5)]
    marginal = [0.02, 0.98 - 0.98**2, 0.98**2 - 0.98**2.5]  # C.39: short last period (2, 2.5]
    discount = [1.04**-0.5, 1.04**-1.5, 1.04**-2.25]  # C.39: mid-points 0.5, 1.5, 2.25
    terms = [m * 0.40 * e * d for m, e, d in zip(marginal, ead, discount, strict=True)]
    assert ead[1] == pytest.approx(30_586.28, abs=5e-3) and ead[2] == pytest.approx(10_396.00, abs=5e-3)
    assert line["ecl_12m"] == pytest.approx(terms[0], rel=REL)
    assert line["ecl_lifetime"] == pytest.approx(sum(terms), rel=REL)
    assert terms[0] == pytest.approx(392.232, abs=5e-4) and terms[1] == pytest.approx(226.096, abs=5e-4)
    assert line["ecl_lifetime"] == pytest.approx(655.077, abs=5e-4)


# -- staging triggers at and just past each boundary (methodology C.36) ---------------------------------

STAGING = [
    ({}, 1, ""),
    ({"days_past_due": 30}, 1, ""),  # C.36: exactly 30 dpd is not "more than 30"
    ({"days_past_due": 31}, 2, "dpd>30"),
    ({"days_past_due": 89}, 2, "dpd>30"),
    ({"days_past_due": 90}, 3, "dpd>=90"),  # C.36: default presumed no later than 90 dpd
    ({"is_defaulted": True}, 3, "defaulted"),
    ({"is_defaulted": True, "days_past_due": 120, "forborne": True}, 3, "defaulted, dpd>=90"),
    ({"forborne": True}, 2, "forborne"),
    ({"watchlist": True}, 2, "watchlist"),
    ({"days_past_due": 45, "forborne": True, "watchlist": True}, 2, "dpd>30, forborne, watchlist"),
    ({"forborne": True, "pd": 0.05}, 2, "forborne, pd_test"),
]


@pytest.mark.parametrize(("overrides", "stage", "triggers"), STAGING)
def test_staging_triggers(overrides: dict[str, Any], stage: int, triggers: str) -> None:
    line = one(**overrides)
    assert (line["stage"], line["triggers"]) == (stage, triggers)


def test_no_cure_period_the_reporting_date_decides() -> None:
    # C.36: no probation; a loan back to 0 dpd, not defaulted, not forborne is stage 1 today.
    assert one(days_past_due=0)["stage"] == 1


# -- the PD test: relative x2 and absolute 0.5 pp, both inclusive (methodology C.37) --------------------

PD_TEST = [
    # T = 1, so LPD = 1 - (1 - p)^1 = p.
    (0.02, 0.01, True, True),  # 0.02 >= 2 x 0.01 (boundary); 0.02 - 0.01 = 0.01 >= 0.005
    (0.0199, 0.01, False, True),  # 0.0199 < 0.02
    (0.005, 0.001, True, False),  # ratio 5 but 0.004 < 0.005: the absolute floor keeps stage 1
    (0.006, 0.001, True, True),  # 0.006 - 0.001 = 0.005: absolute boundary, inclusive
    (0.01, 0.0, True, True),  # LPD_orig = 0: the product form needs no division
]


@pytest.mark.parametrize(("pd_now", "pd_origination", "relative", "absolute"), PD_TEST)
def test_pd_test_boundaries(pd_now: float, pd_origination: float, relative: bool, absolute: bool) -> None:
    line = one(pd=pd_now, pd_at_origination=pd_origination)
    assert line["lpd_reporting"] == pytest.approx(pd_now, rel=REL)
    assert line["lpd_origination"] == pytest.approx(pd_origination, rel=REL)
    assert (line["pd_test_relative"], line["pd_test_absolute"]) == (relative, absolute)
    assert line["stage"] == (2 if relative and absolute else 1)
    assert line["triggers"] == ("pd_test" if relative and absolute else "")


def test_pd_test_over_the_remaining_life_with_scenarios() -> None:
    scenarios = [EclScenario("good", 0.25, 0.5), EclScenario("base", 0.5, 1.0), EclScenario("bad", 0.25, 3.0)]
    line = run(loan(residual_maturity=3.0, pd=0.02, pd_at_origination=0.012), scenarios=scenarios).iloc[0]
    # C.37: LPD_rep = sum_s w_s (1 - (1 - m_s p)^3), LPD_orig = 1 - 0.988^3.
    lpd_rep = 0.25 * (1 - 0.99**3) + 0.5 * (1 - 0.98**3) + 0.25 * (1 - 0.94**3)
    lpd_orig = 1 - 0.988**3
    assert line["lpd_reporting"] == pytest.approx(lpd_rep, rel=REL)
    assert line["lpd_origination"] == pytest.approx(lpd_orig, rel=REL)
    # 0.25 x 0.029701 + 0.5 x 0.058808 + 0.25 x 0.169416 = 0.07918325 >= 2 x 0.035569728 = 0.071139456
    # and 0.07918325 - 0.035569728 >= 0.005: stage 2.
    assert lpd_rep == pytest.approx(0.07918325, rel=REL) and lpd_orig == pytest.approx(0.035569728, rel=REL)
    assert (line["stage"], line["triggers"]) == (2, "pd_test")
    # The base scenario alone: 1 - 0.98^3 = 0.058808 < 0.071139456: stage 1 (the weighting matters).
    assert one(residual_maturity=3.0, pd=0.02, pd_at_origination=0.012)["stage"] == 1


def test_relative_threshold_is_a_parameter() -> None:
    # 0.015 / 0.01 = 1.5: fails x2, passes x1.5 (0.015 - 0.01 = 0.005 meets the absolute floor).
    assert one(pd=0.015)["stage"] == 1
    line = run(loan(pd=0.015), parameters={"sicr_relative_threshold": 1.5}).iloc[0]
    assert (line["stage"], line["triggers"]) == (2, "pd_test")


# -- low credit risk (methodology C.37) ------------------------------------------------------------------

LOW_CREDIT_RISK = [
    ({"rating": "BBB-"}, 1, "", True),  # investment grade: PD test not applied
    ({"rating": "AAA"}, 1, "", True),
    ({"rating": "BB+"}, 2, "pd_test", False),  # sub-investment grade: no exemption
    ({"rating": "NR"}, 2, "pd_test", False),  # NR = unrated: no exemption
    ({"rating": "unrated"}, 2, "pd_test", False),
    ({"rating": "BBB-", "days_past_due": 31}, 2, "dpd>30", True),  # backstop still applies
    ({"rating": "BBB-", "forborne": True}, 2, "forborne", True),
    ({"rating": "BBB-", "watchlist": True}, 2, "watchlist", True),
    ({"rating": "A", "days_past_due": 90}, 3, "dpd>=90", True),
]


@pytest.mark.parametrize(("overrides", "stage", "triggers", "exempt"), LOW_CREDIT_RISK)
def test_low_credit_risk_exempts_the_pd_test_only(
    overrides: dict[str, Any], stage: int, triggers: str, exempt: bool
) -> None:
    line = one(pd=0.04, **overrides)  # 0.04 >= 2 x 0.01 and 0.03 >= 0.005: the PD test passes
    assert (line["stage"], line["triggers"], line["low_credit_risk"]) == (stage, triggers, exempt)
    assert line["pd_test_relative"] and line["pd_test_absolute"]  # computed even when exempt (C.37)


def test_low_credit_risk_exemption_can_be_switched_off() -> None:
    line = run(loan(pd=0.04, rating="A"), parameters={"low_credit_risk_exemption": False}).iloc[0]
    assert (line["stage"], line["triggers"], line["low_credit_risk"]) == (2, "pd_test", False)


# -- measurement (methodology 12.5-12.6, C.38-C.40) -----------------------------------------------------


def test_stage_2_lifetime_and_stage_1_twelve_month_on_the_same_loan() -> None:
    common = {"drawn_amount": 10_000.0, "residual_maturity": 3.0, "eir": 0.06, "pd": 0.02, "lgd": 0.3}
    stage1, stage2 = run(
        loan(**common, position_id="a"), loan(**common, position_id="b", watchlist=True)
    ).itertuples()
    terms = [(0.98 ** (k - 1) - 0.98**k) * 0.3 * 10_000 * 1.06 ** -(k - 0.5) for k in (1, 2, 3)]
    assert stage1.loss_allowance == pytest.approx(terms[0], rel=REL)  # C.40: 12-month
    assert stage2.loss_allowance == pytest.approx(sum(terms), rel=REL)  # C.40: lifetime
    assert stage1.ecl_lifetime == pytest.approx(stage2.ecl_lifetime, rel=REL)


def test_short_maturity_twelve_month_equals_lifetime() -> None:
    line = one(drawn_amount=2000.0, residual_maturity=0.5, eir=0.08, pd=0.1, lgd=0.6)
    # C.39: one period (0, 0.5], marginal PD 1 - 0.9^0.5, DF 1.08^-0.25.
    expected = (1 - 0.9**0.5) * 0.6 * 2000 * 1.08**-0.25
    assert line["ecl_12m"] == pytest.approx(expected, rel=REL)
    assert line["ecl_lifetime"] == pytest.approx(expected, rel=REL)


def test_fractional_bullet_and_grid_tolerance() -> None:
    line = one(drawn_amount=1000.0, residual_maturity=1.5, eir=0.05, pd=0.04, lgd=0.5, watchlist=True)
    # C.39: periods (0,1] and (1,1.5], mid-points 0.5 and 1.25.
    expected = 0.04 * 500 * 1.05**-0.5 + (0.96 - 0.96**1.5) * 500 * 1.05**-1.25
    assert line["ecl_lifetime"] == pytest.approx(expected, rel=REL)
    # C.39: T = 2 + 1e-10 has n = 2 periods: (0,1], (1, 2] with t_2 = min(2, T) = 2.
    near = one(drawn_amount=1000.0, residual_maturity=2 + 1e-10, eir=0.0, pd=0.04, lgd=0.5, watchlist=True)
    assert near["ecl_lifetime"] == pytest.approx(500 * (1 - 0.96**2), rel=1e-8)


def test_annuity_at_zero_rate_runs_off_linearly() -> None:
    line = one(
        drawn_amount=3000.0,
        residual_maturity=3.0,
        eir=0.0,
        pd=0.1,
        lgd=1.0,
        amortisation_type="annuity",
        watchlist=True,
    )
    # C.39: r = 0 => profile (T - t)/T = 1, 2/3, 1/3; DF = 1.
    expected = 0.1 * 3000 + 0.9 * 0.1 * 2000 + 0.81 * 0.1 * 1000
    assert line["ecl_lifetime"] == pytest.approx(expected, rel=REL)


def test_undrawn_commitment_uses_the_expected_drawdown() -> None:
    line = one(drawn_amount=400.0, off_balance_amount=600.0, ecl_ccf=0.5, eir=0.02, pd=0.03, lgd=0.4)
    ead = 400 + 0.5 * 600  # C.39: EAD_0 = drawn + ecl_ccf x undrawn
    assert line["ead_0"] == pytest.approx(ead, rel=REL)
    assert line["ecl_12m"] == pytest.approx(0.03 * 0.4 * ead * 1.02**-0.5, rel=REL)


def test_pd_of_one_defaults_in_the_first_period() -> None:
    line = one(residual_maturity=3.0, eir=0.1, pd=1.0, pd_at_origination=0.01, lgd=0.5)
    # C.39: S(t) = 0 for t > 0: marginal PD 1 in period 1, 0 after.
    assert line["ecl_lifetime"] == pytest.approx(500 * 1.1**-0.5, rel=REL)
    assert line["ecl_12m"] == pytest.approx(500 * 1.1**-0.5, rel=REL)


def test_scenario_weighting_with_clamps() -> None:
    scenarios = pd.DataFrame(
        {
            "scenario": ["upside", "base", "downside"],
            "weight": [0.2, 0.5, 0.3],
            "pd_multiplier": [0.5, 1.0, 30.0],
            "lgd_addon": [-0.6, 0.0, 0.7],
        }
    )
    line = run(loan(pd=0.05, pd_at_origination=0.05, eir=0.04), scenarios=scenarios).iloc[0]
    # C.38: p_s = min(1, m_s x 0.05) = 0.025, 0.05, 1; LGD_s = clamp(0.5 + a_s) = 0, 0.5, 1.
    df = 1.04**-0.5
    per_scenario = {
        "upside": 0.025 * 0.0 * 1000 * df,
        "base": 0.05 * 0.5 * 1000 * df,
        "downside": 1.0 * 1.0 * 1000 * df,
    }
    for name, value in per_scenario.items():
        assert line[f"ecl_12m_{name}"] == pytest.approx(value, rel=REL, abs=1e-12)
    weighted = 0.2 * per_scenario["upside"] + 0.5 * per_scenario["base"] + 0.3 * per_scenario["downside"]
    assert line["ecl_12m"] == pytest.approx(weighted, rel=REL)
    assert line["pd_12m"] == pytest.approx(0.2 * 0.025 + 0.5 * 0.05 + 0.3 * 1.0, rel=REL)
    assert line["lgd"] == pytest.approx(0.5 * 0.5 + 0.3 * 1.0, rel=REL)
    # C.37 with the same scenarios: LPD_rep = 0.3075 vs 2 x 0.05 -> stage 2, allowance = lifetime (T = 1).
    assert (line["stage"], line["triggers"]) == (2, "pd_test")


def test_stage_3_is_lgd_times_ead_undiscounted() -> None:
    scenarios = [EclScenario("base", 0.6, 1.0, 0.0), EclScenario("stress", 0.4, 2.0, 0.1)]
    line = run(
        loan(
            drawn_amount=800.0,
            off_balance_amount=200.0,
            ecl_ccf=0.25,
            residual_maturity=4.0,
            eir=0.07,
            lgd=0.45,
            is_defaulted=True,
        ),
        scenarios=scenarios,
    ).iloc[0]
    ead = 800 + 0.25 * 200
    expected = 0.6 * 0.45 * ead + 0.4 * 0.55 * ead  # C.40: PD 1, no discounting
    assert line["stage"] == 3
    for column in ("loss_allowance", "ecl_12m", "ecl_lifetime"):
        assert line[column] == pytest.approx(expected, rel=REL)
    assert line["ecl_lifetime_stress"] == pytest.approx(0.55 * ead, rel=REL)


def test_summary_by_stage_and_class() -> None:
    result = compute_ecl(
        pd.DataFrame(
            [
                loan(position_id="a", exposure_class="retail"),
                loan(position_id="b", exposure_class="retail", days_past_due=95),
                loan(position_id="c", exposure_class="corporate", days_past_due=100, drawn_amount=3000.0),
                loan(position_id="d", exposure_class="retail", days_past_due=91),
            ]
        )
    )
    summary = result.summary.set_index(["stage", "exposure_class"])
    # C.40: stage 3 = LGD x EAD = 0.5 x 1000 per retail loan, 0.5 x 3000 corporate.
    assert summary.loc[(3, "retail"), "loss_allowance"] == pytest.approx(1000.0, rel=REL)
    assert summary.loc[(3, "retail"), "exposures"] == 2
    assert summary.loc[(3, "corporate"), "coverage"] == pytest.approx(0.5, rel=REL)
    assert summary.loc[(1, "retail"), "loss_allowance"] == pytest.approx(0.01 * 500, rel=REL)


def test_pd_12m_column_name_is_accepted() -> None:
    line = run({**{k: v for k, v in loan().items() if k != "pd"}, "pd_12m": 0.04}).iloc[0]
    assert line["stage"] == 2 and line["pd_12m"] == pytest.approx(0.04, rel=REL)


# -- reconciliation (IFRS 7.35H; methodology 12.7, C.41) ------------------------------------------------


def test_allowance_movement_by_stage() -> None:
    opening = pd.DataFrame(
        {
            "position_id": ["stay", "up", "cured", "gone"],
            "opening_stage": [1, 1, 3, 2],
            "opening_allowance": [10.0, 20.0, 300.0, 40.0],
        }
    )
    closing = pd.DataFrame(
        {
            "position_id": ["stay", "up", "cured", "new"],
            "stage": [1, 2, 1, 1],
            "loss_allowance": [12.0, 90.0, 15.0, 7.0],
        }
    )
    table = allowance_movement(opening, closing)
    assert list(table.index) == list(MOVEMENT_LINES)
    expected = {
        ("opening", "stage_1"): 10 + 20,
        ("opening", "stage_2"): 40,
        ("opening", "stage_3"): 300,
        ("transfer to stage 1", "stage_3"): -300,  # the cured loan moves its opening allowance
        ("transfer to stage 1", "stage_1"): 300,
        ("transfer to stage 2", "stage_1"): -20,
        ("transfer to stage 2", "stage_2"): 20,
        ("new financial assets", "stage_1"): 7,
        ("derecognised", "stage_2"): -40,
        ("remeasurement", "stage_1"): (12 - 10) + (15 - 300),  # in the closing stage
        ("remeasurement", "stage_2"): 90 - 20,
        ("closing", "stage_1"): 12 + 15 + 7,
        ("closing", "stage_2"): 90,
    }
    for line in MOVEMENT_LINES:
        for column in ("stage_1", "stage_2", "stage_3"):
            assert table.loc[line, column] == pytest.approx(expected.get((line, column), 0.0), abs=1e-12)
    body = table.loc[list(MOVEMENT_LINES[:-1])].sum()
    np.testing.assert_allclose(body.to_numpy(), table.loc["closing"].to_numpy(), rtol=REL)
    assert table.loc["transfer to stage 1", "total"] == 0 and table.loc["closing", "total"] == 124


def test_allowance_movement_from_two_ecl_runs() -> None:
    before = compute_ecl(pd.DataFrame([loan(position_id="x")]))
    after = compute_ecl(pd.DataFrame([loan(position_id="x", days_past_due=40)]))
    table = allowance_movement(before, after)
    twelve = 0.01 * 500  # T = 1, EIR 0: 12-month = lifetime = p x LGD x EAD
    assert table.loc["transfer to stage 2", "stage_1"] == pytest.approx(-twelve, rel=REL)
    assert table.loc["transfer to stage 2", "stage_2"] == pytest.approx(twelve, rel=REL)
    assert table.loc["remeasurement", "stage_2"] == pytest.approx(0.0, abs=1e-12)


# -- bad inputs (methodology C.35, C.38) -----------------------------------------------------------------

BAD = [
    ({"residual_maturity": 0.0}, "residual_maturity"),
    ({"pd": 1.2}, "pd"),
    ({"pd_at_origination": -0.01}, "pd_at_origination"),
    ({"lgd": 1.01}, "lgd"),
    ({"off_balance_amount": 100.0, "ecl_ccf": 1.5}, "ecl_ccf"),
    ({"off_balance_amount": 100.0}, "ecl_ccf"),
    ({"eir": -0.01}, "eir"),
    ({"amortisation_type": "balloon"}, "amortisation_type"),
    ({"rating": "Baa1"}, "rating"),
    ({"days_past_due": -1}, "days_past_due"),
    ({"days_past_due": 30.5}, "days_past_due"),
    ({"forborne": "maybe"}, "forborne"),
    ({"pd": None}, "pd"),
]


@pytest.mark.parametrize(("overrides", "column"), BAD)
def test_bad_exposures_are_rejected(overrides: dict[str, Any], column: str) -> None:
    with pytest.raises(InputError) as error:
        one(**overrides)
    assert error.value.argument == f"exposures[{column!r}]"


def test_missing_column_and_duplicate_ids_are_rejected() -> None:
    with pytest.raises(InputError, match="pd_at_origination"):
        compute_ecl(pd.DataFrame([{k: v for k, v in loan().items() if k != "pd_at_origination"}]))
    with pytest.raises(InputError, match="unique"):
        compute_ecl(pd.DataFrame([loan(), loan()]))


BAD_SCENARIOS = [
    ([], "empty"),
    ([EclScenario("a", 0.5), EclScenario("b", 0.4)], "sum to 1"),
    ([EclScenario("a", 1.2), EclScenario("b", -0.2)], ">= 0"),
    ([EclScenario("a", 1.0, -1.0)], "pd_multiplier"),
    ([EclScenario("a", 0.5), EclScenario("a", 0.5)], "unique"),
    ([EclScenario("a", 1.0, float("nan"))], "finite"),
]


@pytest.mark.parametrize(("scenarios", "message"), BAD_SCENARIOS)
def test_bad_scenarios_are_rejected(scenarios: list[EclScenario], message: str) -> None:
    with pytest.raises(InputError, match=message):
        run(loan(), scenarios=scenarios)


def test_weights_summing_to_one_within_tolerance_are_accepted() -> None:
    line = run(loan(), scenarios=[EclScenario("a", 0.7), EclScenario("b", 0.3 + 5e-10)]).iloc[0]
    assert line["ecl_12m"] == pytest.approx((0.7 + 0.3 + 5e-10) * 0.01 * 500, rel=REL)


def test_bad_parameters_and_allowance_tables_are_rejected() -> None:
    with pytest.raises(InputError, match="unknown"):
        run(loan(), parameters={"sicr_ratio": 2.0})
    with pytest.raises(InputError, match="sicr_relative_threshold"):
        run(loan(), parameters={"sicr_relative_threshold": 1.0})
    good = pd.DataFrame({"position_id": ["a"], "stage": [1], "loss_allowance": [1.0]})
    with pytest.raises(InputError, match="stage"):
        allowance_movement(good.assign(stage=4), good)
    with pytest.raises(InputError, match="loss_allowance"):
        allowance_movement(good, good.assign(loss_allowance=-1.0))


def direct_ecl(loan_: dict[str, Any], scenarios: list[EclScenario]) -> tuple[float, float]:
    """C.38-C.40 evaluated term by term, with powers taken directly at each grid point."""
    t_mat, r, ead_0 = loan_["residual_maturity"], loan_["eir"], loan_["drawn_amount"]
    n = math.ceil(t_mat - 1e-9)
    grid = [0.0] + [min(k, t_mat) for k in range(1, n + 1)]

    def a(x: float) -> float:
        return (1 - (1 + r) ** -x) / r if r > 0 else x

    twelve = lifetime = 0.0
    for s in scenarios:
        p = min(1.0, s.pd_multiplier * loan_["pd"])
        lgd = min(1.0, max(0.0, loan_["lgd"] + s.lgd_addon))
        for k in range(1, n + 1):
            start, end = grid[k - 1], grid[k]
            profile = a(t_mat - start) / a(t_mat) if loan_.get("amortisation_type") == "annuity" else 1.0
            term = (
                ((1 - p) ** start - (1 - p) ** end) * lgd * ead_0 * profile * (1 + r) ** (-(start + end) / 2)
            )
            lifetime += s.weight * term
            twelve += s.weight * term if k == 1 else 0.0
    return twelve, lifetime


def test_vectorised_periods_match_a_direct_evaluation() -> None:
    scenarios = [
        EclScenario("up", 0.3, 0.7, -0.05),
        EclScenario("base", 0.45),
        EclScenario("down", 0.25, 2.2, 0.15),
    ]
    loans = [
        loan(position_id=f"x{i}", drawn_amount=1000.0 + 37 * i, residual_maturity=maturity, eir=eir, pd=pd_, lgd=0.35,
             amortisation_type=kind, watchlist=True)
        for i, (maturity, eir, pd_, kind) in enumerate(
            [(0.3, 0.02, 0.01, "bullet"), (1.0, 0.05, 0.2, "annuity"), (4.75, 0.031, 0.004, "annuity"),
             (12.2, 0.0, 0.05, "annuity"), (25.0, 0.09, 0.45, "bullet"), (7.0 - 1e-10, 0.04, 0.02, "annuity")]
        )
    ]  # fmt: skip
    lines = run(*loans, scenarios=scenarios)
    for row, loan_ in zip(lines.itertuples(), loans, strict=True):
        twelve, lifetime = direct_ecl(loan_, scenarios)
        assert row.ecl_12m == pytest.approx(twelve, rel=REL)
        assert row.ecl_lifetime == pytest.approx(lifetime, rel=REL)


def test_allowance_movement_from_an_exposure_table_with_opening_columns() -> None:
    table = pd.DataFrame(
        {
            "position_id": ["a", "b"],
            "opening_stage": [2, None],  # b is new: no opening row
            "opening_allowance": [50.0, None],
        }
    )
    closing = pd.DataFrame({"position_id": ["a", "b"], "stage": [2, 1], "loss_allowance": [40.0, 5.0]})
    movement = allowance_movement(table, closing)
    assert movement.loc["opening", "stage_2"] == 50.0
    assert movement.loc["remeasurement", "stage_2"] == -10.0  # 40 - 50 in the closing stage
    assert movement.loc["new financial assets", "stage_1"] == 5.0


def test_constant_hazard_marginal_pds_of_a_five_percent_annual_pd() -> None:
    # C.39: marginal PDs 0.05, 0.95 x 0.05 = 0.0475, 0.95^2 x 0.05 = 0.045125 (LGD 1, EIR 0, bullet).
    line = one(drawn_amount=1000.0, residual_maturity=3.0, pd=0.05, lgd=1.0, watchlist=True)
    assert line["ecl_lifetime"] == pytest.approx(1000 * (0.05 + 0.0475 + 0.045125), rel=REL)
    assert line["pd_lifetime"] == pytest.approx(1 - 0.95**3, rel=REL)
