"""IFRS 9 allowances in capital, worked by hand (CAP10.18-10.20, CAP30.14, CRE35.2-35.4; methodology 1.6).

SA: stage 1-2 allowances are general provisions, in Tier 2 up to 1.25% of SA credit RWA; stage 3
allowances are specific provisions. IRB: all allowances against EL = PD x LGD x EAD; a shortfall is
deducted from CET1, an excess counts in Tier 2 up to 0.6% of IRB credit RWA.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pandas as pd
import pytest
from builders import positions

import banksim as bs
from banksim.errors import InputError
from banksim.regulation import risk_weighted_assets
from banksim.regulation.capital import capital_adequacy, capital_statement
from banksim.regulation.provisions import ecl_specific_provisions, irb_expected_loss, provisions_in_capital

REL = 1e-9


def ecl_lines(irb_stage3: float = 400.0) -> pd.DataFrame:
    """SA allowances 100 (stage 1), 200 (stage 2), 500 (stage 3); IRB 50 (stage 1) and ``irb_stage3``."""
    return pd.DataFrame(
        {
            "position_id": ["S1", "S2", "S3", "I1", "I2"],
            "stage": [1, 2, 3, 1, 3],
            "loss_allowance": [100.0, 200.0, 500.0, 50.0, irb_stage3],
            "approach": ["sa", "sa", "sa", "airb", "airb"],
        }
    )


def rwa_lines() -> pd.DataFrame:
    """SA credit RWA 20,000; IRB: 10,000 EAD at PD 2% LGD 45% (RWA 6,000) and a defaulted 1,000 at
    LGD (ELBE) 30% (RWA 2,000): IRB credit RWA 8,000; an operational line of 5,000 (not credit)."""
    return pd.DataFrame(
        {
            "position_id": ["S", "I1", "I2", "OP"],
            "risk_type": ["credit", "credit", "credit", "operational"],
            "approach": ["sa", "airb", "airb", "sa"],
            "rwa": [20_000.0, 6_000.0, 2_000.0, 5_000.0],
            "rwa_standardised": [20_000.0, 9_000.0, 3_000.0, 5_000.0],
            "pd_used": [float("nan"), 0.02, 1.0, float("nan")],
            "lgd_used": [float("nan"), 0.45, 0.30, float("nan")],
            "exposure": [25_000.0, 10_000.0, 1_000.0, 0.0],
            "counterparty_type": ["corporate", "corporate", "corporate", "none"],
            "country": ["DE", "DE", "DE", "DE"],
            "leverage_exposure": [25_000.0, 10_000.0, 1_000.0, 0.0],
        }
    )


def test_expected_loss_is_pd_lgd_ead_over_irb_lines() -> None:
    # CRE35.2: 0.02 x 0.45 x 10,000 + 1 x 0.30 x 1,000 = 90 + 300 = 390 (SA and operational lines out)
    assert irb_expected_loss(rwa_lines()) == pytest.approx(390.0, rel=REL)


def test_general_provisions_are_capped_and_an_irb_excess_counts_up_to_its_cap() -> None:
    lines = provisions_in_capital(ecl_lines(), rwa_lines())
    assert lines["sa_specific_provisions"] == pytest.approx(500.0, rel=REL)  # CAP10.19: not Tier 2
    # CAP10.18: general 100 + 200 = 300, cap 1.25% x 20,000 = 250 -> 250 in Tier 2
    assert lines["sa_general_provisions"] == pytest.approx(300.0, rel=REL)
    assert lines["sa_general_provisions_cap"] == pytest.approx(250.0, rel=REL)
    assert lines["tier2_general_provisions"] == pytest.approx(250.0, rel=REL)
    # CRE35.4, CAP10.20: eligible 50 + 400 = 450 > EL 390: excess 60, cap 0.6% x 8,000 = 48 -> 48
    assert lines["irb_eligible_provisions"] == pytest.approx(450.0, rel=REL)
    assert lines["irb_excess_provisions"] == pytest.approx(60.0, rel=REL)
    assert lines["irb_excess_provisions_cap"] == pytest.approx(48.0, rel=REL)
    assert lines["tier2_excess_provisions"] == pytest.approx(48.0, rel=REL)
    assert lines["irb_shortfall"] == 0.0
    assert lines["tier2_addition"] == pytest.approx(298.0, rel=REL)  # 250 + 48
    assert lines["cet1_deduction"] == 0.0


def test_an_irb_shortfall_is_deducted_from_cet1() -> None:
    """Eligible 50 + 250 = 300 < EL 390: shortfall 90 deducted from CET1 (CAP30.14), no excess."""
    lines = provisions_in_capital(ecl_lines(irb_stage3=250.0), rwa_lines())
    assert lines["irb_shortfall"] == pytest.approx(90.0, rel=REL)
    assert lines["cet1_deduction"] == pytest.approx(90.0, rel=REL)
    assert lines["tier2_excess_provisions"] == 0.0
    assert lines["tier2_addition"] == pytest.approx(250.0, rel=REL)


def test_caps_are_parameters() -> None:
    """Cap 2% of SA credit RWA: 400 >= 300, all general provisions count."""
    lines = provisions_in_capital(ecl_lines(), rwa_lines(), {"capital": {"sa_general_provisions_cap": 0.02}})
    assert lines["tier2_general_provisions"] == pytest.approx(300.0, rel=REL)


def test_the_capital_statement_adds_and_deducts_them() -> None:
    """CET1 10,000, AT1 0, Tier 2 1,000; shortfall case: CET1 10,000 - 90, Tier 2 1,000 + 250."""
    lines = provisions_in_capital(ecl_lines(irb_stage3=250.0), rwa_lines())
    funds = {"cet1": 10_000.0, "at1": 0.0, "tier2": 1_000.0}
    capital = capital_adequacy(rwa_lines(), funds, provisions=lines)
    assert capital["own_funds"]["cet1"] == pytest.approx(9_910.0, rel=REL)
    assert capital["own_funds"]["cet1_deductions"] == pytest.approx(90.0, rel=REL)
    assert capital["own_funds"]["tier2"] == pytest.approx(1_250.0, rel=REL)
    assert capital["own_funds"]["total_capital"] == pytest.approx(11_160.0, rel=REL)
    statement = capital_statement(capital).set_index("row")["value"]
    assert statement["IRB shortfall deducted from CET1"] == pytest.approx(90.0, rel=REL)
    assert statement["of which in Tier 2 (cap 1.25% of SA credit RWA)"] == pytest.approx(250.0, rel=REL)
    without = capital_adequacy(rwa_lines(), funds)
    assert "provisions" not in without
    assert "IRB expected loss" not in set(capital_statement(without)["row"])


def test_ecl_lines_need_their_columns() -> None:
    with pytest.raises(InputError, match="approach"):
        provisions_in_capital(ecl_lines().drop(columns="approach"), rwa_lines())


def test_the_pipeline_counts_the_allowances_in_capital(sqlite_store: bs.Store) -> None:
    """A run's capital statement carries the provision lines of its own ECL and RWA."""
    result = bs.run_pipeline(num_positions=2_000, seed=5, config={"irb_share": 0.4})
    ecl = result.outputs["ecl_lines"]
    expected = provisions_in_capital(ecl, result.rwa)
    assert result.capital["provisions"] == pytest.approx(expected, rel=REL)
    assert expected["sa_general_provisions"] > 0 and expected["irb_expected_loss"] > 0


# -- stage 3 allowances as the SA's specific provisions (CRE20.1, CAP10.19; methodology 1.6) --------

DEFAULTED = {
    "position_id": "D", "product": "corporate_loan", "exposure_class": "defaulted", "sub_class": "general",
    "counterparty_type": "corporate", "is_defaulted": True, "pd": 1.0, "lgd": 0.45, "drawn_amount": 1_000.0,
    "residual_maturity": 2.0, "specific_provisions": 100.0,
}  # fmt: skip
PERFORMING = {
    "position_id": "P", "product": "corporate_loan", "exposure_class": "corporate", "sub_class": "general",
    "counterparty_type": "corporate", "rating": "BBB", "pd": 0.01, "lgd": 0.40, "drawn_amount": 2_000.0,
    "residual_maturity": 3.0, "specific_provisions": 50.0,
}  # fmt: skip
OTHER = {
    "position_id": "O", "product": "other_asset", "exposure_class": "other_assets", "sub_class": "other",
    "drawn_amount": 100.0, "specific_provisions": 30.0,
}  # fmt: skip


def measured(frame: pd.DataFrame) -> pd.DataFrame:
    """The ECL lines of ``frame`` (the rule, no cache), with each line's approach."""
    from banksim.regulation.ecl import compute_ecl
    from banksim.regulation.ecl_inputs import ecl_exposures

    params = bs.regulatory_parameters()["ecl"]
    exposures = ecl_exposures(frame, params)
    return compute_ecl(exposures, None, params).lines.assign(approach=exposures["approach"].to_numpy())


def credit_rows(frame: pd.DataFrame) -> pd.DataFrame:
    rwa = risk_weighted_assets(frame)
    rwa = rwa[rwa["risk_type"] == "credit"]
    return rwa.set_index(rwa["position_id"].astype(str))


def test_stage3_allowances_are_the_specific_provisions_the_sa_nets() -> None:
    """Defaulted 1,000 at LGD 45%: stage 3 allowance 0.45 x 1,000 = 450 (methodology 12.6) replaces the
    column's 100. CRE20.1: exposure 1,000 - 450 = 550; CRE20.104-108: 450 / 1,000 >= 20% -> RW 100%,
    RWA 550. With the column's 100: 900 at 150% (100 / 1,000 < 20%) = 1,350."""
    frame = positions(DEFAULTED, PERFORMING, OTHER)
    lines = measured(frame)
    assert lines.set_index("position_id").loc["D", "stage"] == 3
    provisioned = ecl_specific_provisions(frame, lines)
    after, before = credit_rows(provisioned), credit_rows(frame)
    assert after.loc["D", "specific_provisions"] == pytest.approx(450.0, rel=REL)
    assert after.loc["D", "exposure"] == pytest.approx(550.0, rel=REL)
    assert after.loc["D", "risk_weight"] == pytest.approx(1.0, rel=REL)
    assert after.loc["D", "rwa"] == pytest.approx(550.0, rel=REL)
    assert before.loc["D", "rwa"] == pytest.approx(1_350.0, rel=REL)
    shuffled = ecl_specific_provisions(frame, lines.iloc[::-1])  # matched by id, not by order
    assert shuffled["specific_provisions"].tolist() == [450.0, 0.0, 30.0]


def test_stage1_lines_net_nothing_and_unmeasured_lines_keep_their_own() -> None:
    """Stage 1 BBB corporate 2,000: its 50 in the column is replaced by 0 (its allowance is a general
    provision, CAP10.18): exposure 2,000 at 75% (CRE20.43 Table 10) = 1,500. The other asset is not in
    the ECL scope and keeps its 30: 100 - 30 = 70 at 100% (CRE20.110)."""
    frame = positions(DEFAULTED, PERFORMING, OTHER)
    after = credit_rows(ecl_specific_provisions(frame, measured(frame)))
    assert after.loc["P", "specific_provisions"] == 0.0
    assert after.loc["P", "rwa"] == pytest.approx(1_500.0, rel=REL)
    assert after.loc["O", "specific_provisions"] == pytest.approx(30.0, rel=REL)
    assert after.loc["O", "rwa"] == pytest.approx(70.0, rel=REL)


def test_each_allowance_counts_once_in_capital() -> None:
    """Stage 1 12-month ECL of the performing loan, eir 0 (undiscounted): 0.01 x 0.40 x 2,000 = 8, a
    general provision; the defaulted line's 450 is specific (netted above, not in Tier 2). SA credit RWA
    550 + 1,500 + 70 = 2,120, cap 1.25% = 26.5 > 8: all 8 in Tier 2."""
    frame = positions(DEFAULTED, PERFORMING, OTHER)
    lines = measured(frame)
    rwa = risk_weighted_assets(ecl_specific_provisions(frame, lines))
    capital = provisions_in_capital(lines, rwa)
    assert capital["sa_specific_provisions"] == pytest.approx(450.0, rel=REL)
    assert capital["sa_general_provisions"] == pytest.approx(8.0, rel=REL)
    assert capital["sa_credit_rwa"] == pytest.approx(2_120.0, rel=REL)
    assert capital["tier2_general_provisions"] == pytest.approx(8.0, rel=REL)


def test_positions_without_ecl_lines_keep_their_provisions() -> None:
    """Bring-your-own provisions: compute_rwa on the positions alone nets the column as given."""
    frame = positions(DEFAULTED, OTHER)
    empty = pd.DataFrame({"position_id": [], "stage": [], "loss_allowance": []})
    kept = ecl_specific_provisions(frame, empty)
    assert kept["specific_provisions"].tolist() == [100.0, 30.0]


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (pd.DataFrame({"position_id": ["D"], "stage": [3]}), "loss_allowance"),
        (pd.DataFrame({"position_id": ["D", "D"], "stage": [3, 3], "loss_allowance": [1.0, 2.0]}), "twice"),
        (pd.DataFrame({"position_id": ["X"], "stage": [3], "loss_allowance": [1.0]}), "not in the table"),
    ],
)
def test_ecl_lines_that_do_not_fit_the_positions_are_errors(lines: pd.DataFrame, message: str) -> None:
    with pytest.raises(InputError, match=message):
        ecl_specific_provisions(positions(DEFAULTED), lines)


def proposed_steps() -> tuple[Any, ...]:
    """``STEPS`` with the change proposed for banksim/steps.py: the ECL step before the RWA step, reading
    the scenario's ECL scenarios; the RWA step on the positions with the stage 3 allowances netted."""
    from banksim.scenarios import scenario_ecl_parameters
    from banksim.steps import STEPS, merge_overrides

    def ecl_arguments(positions: Any, scenario: Any, parameters: Any) -> tuple[Any, ...]:
        return positions, None, merge_overrides(parameters, scenario_ecl_parameters(scenario.shocks))

    def rwa_arguments(positions: Any, parameters: Any, protection: Any, ecl_lines: Any) -> tuple[Any, ...]:
        return ecl_specific_provisions(positions, ecl_lines), parameters, None, None, protection

    by_name = {step.name: step for step in STEPS}
    ecl = dataclasses.replace(
        by_name["ecl"], inputs=("positions", "scenario", "parameters"), arguments=ecl_arguments
    )
    rwa = dataclasses.replace(
        by_name["rwa"], inputs=("positions", "parameters", "protection", "ecl_lines"), arguments=rwa_arguments
    )
    rest = [step for step in STEPS if step.name not in ("ecl", "rwa")]
    at = [step.name for step in rest].index("protection") + 1
    return (*rest[:at], ecl, rwa, *rest[at:])


def test_a_run_nets_its_stage3_allowances_once(sqlite_store: bs.Store) -> None:
    """Through the proposed steps: each SA line's netted provision is its stage 3 allowance (0 in stages
    1-2), capital counts the same ECL lines, and the scenario's ECL scenarios are the ones measured."""
    from banksim.steps import run_steps

    scenario = bs.Scenario(
        "ifrs9",
        bs.Shocks(ecl_scenarios={"base": {"weight": 0.7}, "down": {"weight": 0.3, "pd_multiplier": 2.0}}),
    )
    inputs = {"num_positions": 2_000, "seed": 5, "config": {"irb_share": 0.4}, "include_derivatives": False,
              "scenario": scenario, "parameters": None}  # fmt: skip
    values, _ = run_steps(inputs, steps=proposed_steps())
    lines, rwa = values["ecl_lines"], values["rwa"]
    assert {"ecl_12m_base", "ecl_12m_down"} <= set(lines.columns)
    netted = rwa.set_index(rwa["position_id"].astype(str))["specific_provisions"]
    ecl = lines.set_index(lines["position_id"].astype(str))
    expected = ecl["loss_allowance"].where(ecl["stage"] == 3, 0.0)
    assert (ecl["stage"] == 3).any()
    assert netted.loc[expected.index].to_numpy() == pytest.approx(expected.to_numpy(), rel=REL)
    assert values["capital"]["provisions"] == pytest.approx(provisions_in_capital(lines, rwa), rel=REL)


@pytest.mark.parametrize("allowance", [-1.0, float("nan"), float("inf")])
def test_a_bad_loss_allowance_is_an_error_naming_the_ecl_lines(allowance: float) -> None:
    table = bs.generate_positions(300, 2)
    lines, *_ = bs.compute_ecl(table, use_cache=False)
    bad = lines.assign(loss_allowance=lines["loss_allowance"].to_numpy().copy())
    bad.loc[bad.index[3], "loss_allowance"] = allowance
    with pytest.raises(InputError, match=r"ecl_lines\['loss_allowance'\]"):
        ecl_specific_provisions(table, bad)
