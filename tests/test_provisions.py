"""IFRS 9 allowances in capital, worked by hand (CAP10.18-10.20, CAP30.14, CRE35.2-35.4; methodology 1.6).

SA: stage 1-2 allowances are general provisions, in Tier 2 up to 1.25% of SA credit RWA; stage 3
allowances are specific provisions. IRB: all allowances against EL = PD x LGD x EAD; a shortfall is
deducted from CET1, an excess counts in Tier 2 up to 0.6% of IRB credit RWA.
"""

from __future__ import annotations

import pandas as pd
import pytest

import banksim as bs
from banksim.errors import InputError
from banksim.regulation.capital import capital_adequacy, capital_statement
from banksim.regulation.provisions import irb_expected_loss, provisions_in_capital

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
