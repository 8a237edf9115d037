"""A stress scenario's own IFRS 9 scenario weights: validation and their effect on ECL, worked by hand.

``Shocks.ecl_scenarios`` (name -> weight, PD multiplier, LGD add-on) becomes the ``ecl.scenarios``
parameter override (methodology 12.4, C.38); the ECL is then the weighted sum of the scenario ECLs
of methodology 12.5, written out here.
"""

from __future__ import annotations

from typing import Any

import pytest
from builders import positions

import banksim as bs
from banksim.errors import InputError
from banksim.regulation.ecl import compute_ecl
from banksim.regulation.ecl_inputs import ecl_exposures
from banksim.scenarios import Scenario, Shocks, scenario_ecl_parameters

REL = 1e-9
DOWNSIDE = {
    "base": {"weight": 0.6},
    "downside": {"weight": 0.4, "pd_multiplier": 2.0, "lgd_addon": 0.10},
}
LOAN = {
    "position_id": "A", "product": "corporate_loan", "exposure_class": "corporate", "sub_class": "general",
    "counterparty_type": "corporate", "rating": "BBB", "pd": 0.03, "lgd": 0.45, "eir": 0.05,
    "amortisation_type": "bullet", "drawn_amount": 100_000.0, "residual_maturity": 2.0,
}  # fmt: skip


def ecl_lines(overrides: dict[str, Any], **loan: Any) -> Any:
    """The ECL line of ``LOAN`` (with ``loan`` changes) under the ``overrides`` of the parameters."""
    params = bs.regulatory_parameters(overrides or None)["ecl"]
    return compute_ecl(ecl_exposures(positions({**LOAN, **loan}), params), None, params).lines.iloc[0]


def test_no_ecl_scenarios_leave_the_parameters_alone() -> None:
    assert Shocks().ecl_scenarios == {}
    assert scenario_ecl_parameters(Shocks()) == {}
    assert Shocks().changed() == {}


def test_the_scenarios_become_the_ecl_parameter_in_order() -> None:
    assert scenario_ecl_parameters(Shocks(ecl_scenarios=DOWNSIDE)) == {
        "ecl": {
            "scenarios": (
                {"scenario": "base", "weight": 0.6, "pd_multiplier": 1.0, "lgd_addon": 0.0},
                {"scenario": "downside", "weight": 0.4, "pd_multiplier": 2.0, "lgd_addon": 0.10},
            )
        }
    }


def test_a_scenarios_weights_drive_the_ecl() -> None:
    """100,000 bullet, T = 2, EIR 5%, PD 3%, LGD 45% (methodology 12.8 A). Base: 12-month 0.03 x 0.45
    x 100,000 x 1.05^-0.5; lifetime adds 0.97 x 0.03 x 0.45 x 100,000 x 1.05^-1.5. Downside: p 6%, LGD
    55%: 0.06 x 0.55 x 100,000 x 1.05^-0.5 and 0.94 x 0.06 x 0.55 x 100,000 x 1.05^-1.5. Weighted
    0.6 / 0.4 (IFRS 9 5.5.17)."""
    base_12m = 0.03 * 0.45 * 100_000 * 1.05**-0.5
    base_life = base_12m + 0.97 * 0.03 * 0.45 * 100_000 * 1.05**-1.5
    down_12m = 0.06 * 0.55 * 100_000 * 1.05**-0.5
    down_life = down_12m + 0.94 * 0.06 * 0.55 * 100_000 * 1.05**-1.5
    line = ecl_lines(scenario_ecl_parameters(Shocks(ecl_scenarios=DOWNSIDE)))
    assert line["ecl_12m_base"] == pytest.approx(base_12m, rel=REL)
    assert line["ecl_lifetime_downside"] == pytest.approx(down_life, rel=REL)
    assert line["ecl_12m"] == pytest.approx(0.6 * base_12m + 0.4 * down_12m, rel=REL)
    assert line["ecl_lifetime"] == pytest.approx(0.6 * base_life + 0.4 * down_life, rel=REL)
    assert line["stage"] == 1  # BBB: low credit risk, and no PD at origination (= today's PD)
    plain = ecl_lines({})
    assert plain["ecl_12m"] == pytest.approx(base_12m, rel=REL)  # the default: one base scenario


def test_the_scenarios_feed_the_pd_test() -> None:
    """PD at origination 2%: LPD_orig = 1 - 0.98^2 = 0.0396. All weight on PD x 2: LPD_rep = 1 - 0.94^2
    = 0.1164 >= 2 x 0.0396 and 0.1164 - 0.0396 >= 0.005: stage 2 (IFRS 9 5.5.9; methodology C.37) for
    an unrated loan; with the base scenario LPD_rep = 1 - 0.97^2 = 0.0591 < 0.0792: stage 1."""
    stress = Shocks(ecl_scenarios={"stress": {"weight": 1.0, "pd_multiplier": 2.0}})
    unrated = {"rating": "unrated", "pd_at_origination": 0.02}
    stressed = ecl_lines(scenario_ecl_parameters(stress), **unrated)
    assert stressed["lpd_reporting"] == pytest.approx(1 - 0.94**2, rel=REL)
    assert stressed["lpd_origination"] == pytest.approx(1 - 0.98**2, rel=REL)
    assert stressed["stage"] == 2
    assert ecl_lines({}, **unrated)["stage"] == 1


@pytest.mark.parametrize(
    ("scenarios", "argument"),
    [
        ([("base", 1.0)], "shocks.ecl_scenarios"),
        ({"": {"weight": 1.0}}, "shocks.ecl_scenarios"),
        ({"base": 1.0}, "shocks.ecl_scenarios['base']"),
        ({"base": {"pd_multiplier": 1.0}}, "shocks.ecl_scenarios['base']"),
        ({"base": {"weight": 1.0, "lgd": 0.1}}, "shocks.ecl_scenarios['base']"),
        ({"base": {"weight": 1.5}}, "shocks.ecl_scenarios['base']['weight']"),
        ({"base": {"weight": float("nan")}}, "shocks.ecl_scenarios['base']['weight']"),
        ({"base": {"weight": 1.0, "pd_multiplier": -1.0}}, "shocks.ecl_scenarios['base']['pd_multiplier']"),
        ({"base": {"weight": 1.0, "lgd_addon": 1.5}}, "shocks.ecl_scenarios['base']['lgd_addon']"),
        ({"a": {"weight": 0.5}, "b": {"weight": 0.4}}, "shocks.ecl_scenarios weights"),
    ],
)
def test_bad_ecl_scenarios_are_named(scenarios: Any, argument: str) -> None:
    with pytest.raises(InputError) as error:
        Shocks(ecl_scenarios=scenarios)
    assert error.value.argument == argument


def test_a_scenario_from_a_dict_carries_them() -> None:
    scenario = Scenario.from_dict({"name": "ifrs9_downside", "shocks": {"ecl_scenarios": DOWNSIDE}})
    assert scenario.shocks.changed() == {"ecl_scenarios": DOWNSIDE}
    weights = [s["weight"] for s in scenario_ecl_parameters(scenario.shocks)["ecl"]["scenarios"]]
    assert weights == [0.6, 0.4]
