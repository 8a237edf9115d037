"""ECL and IRRBB of a positions table: the mapping of methodology 12.9 and 13.10, worked by hand.

Each case builds a small positions table, runs ``bs.compute_ecl`` / ``bs.compute_irrbb`` and compares
with the arithmetic of methodology 12.5-12.6 and 13.4-13.7 written out here, to 1e-9 relative.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

import banksim as bs
from banksim.errors import InputError

REL = 1e-9


def position(**overrides: Any) -> dict[str, Any]:
    """A 100,000 SA corporate bullet loan, T = 2, EIR 5%, PD 3% (3% at origination), LGD 45%."""
    base: dict[str, Any] = {
        "position_id": "P1",
        "side": "asset",
        "product": "corporate_loan",
        "exposure_class": "corporate",
        "counterparty_type": "corporate",
        "drawn_amount": 100_000.0,
        "residual_maturity": 2.0,
        "eir": 0.05,
        "pd": 0.03,
        "pd_at_origination": 0.03,
        "lgd": 0.45,
    }
    return {**base, **overrides}


def table(*rows: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame([{**row, "position_id": f"P{i}"} for i, row in enumerate(rows)])


def ecl_lines(*rows: dict[str, Any], **kwargs: Any) -> tuple[pd.DataFrame, dict[str, Any]]:
    lines, _, totals, _ = bs.compute_ecl(table(*rows), use_cache=False, **kwargs)
    return lines.set_index("position_id"), totals


# -- ECL: scope, defaults and stages ------------------------------------------------------------------

# methodology 12.5: ECL_1 = p LGD EAD (1+r)^-0.5; ECL_2 = (1-p) p LGD EAD (1+r)^-1.5
ECL_12M = 0.03 * 0.45 * 100_000 * 1.05**-0.5  # 1,317.465...
ECL_LIFETIME = ECL_12M + 0.97 * 0.03 * 0.45 * 100_000 * 1.05**-1.5  # + 1,217.087...


def test_a_performing_loan_is_stage_1_with_its_12_month_ecl() -> None:
    lines, totals = ecl_lines(position())
    row = lines.loc["P0"]
    assert row["stage"] == 1
    assert row["loss_allowance"] == pytest.approx(ECL_12M, rel=REL)
    assert row["ecl_lifetime"] == pytest.approx(ECL_LIFETIME, rel=REL)
    assert totals["sa_general_allowance"] == pytest.approx(ECL_12M, rel=REL)
    assert totals["stage2_share"] == 0.0


def test_days_past_due_at_31_is_stage_2_and_at_90_stage_3() -> None:
    lines, totals = ecl_lines(
        position(days_past_due=30), position(days_past_due=31), position(days_past_due=90)
    )
    assert lines["stage"].tolist() == [1, 2, 3]
    assert lines.loc["P1", "loss_allowance"] == pytest.approx(ECL_LIFETIME, rel=REL)
    # methodology 12.6: stage 3 is LGD x EAD, PD 1, undiscounted = 0.45 x 100,000
    assert lines.loc["P2", "loss_allowance"] == pytest.approx(45_000.0, rel=REL)
    assert totals["sa_specific_allowance"] == pytest.approx(45_000.0, rel=REL)
    assert totals["sa_general_allowance"] == pytest.approx(ECL_12M + ECL_LIFETIME, rel=REL)
    assert totals["stage2_share"] == pytest.approx(1 / 3, rel=REL)
    assert totals["stage3_share"] == pytest.approx(1 / 3, rel=REL)


def test_forborne_watchlist_and_defaulted_flags_stage_the_positions() -> None:
    lines, _ = ecl_lines(position(forborne=True), position(watchlist=True), position(is_defaulted=True))
    assert lines["stage"].tolist() == [2, 2, 3]
    assert lines["triggers"].astype(str).tolist() == ["forborne", "watchlist", "defaulted"]


def test_a_table_without_the_new_columns_is_valid_and_staged_by_default_status() -> None:
    """No days_past_due, flags, PD at origination or EIR: stage 1, undiscounted (EIR 0)."""
    row = position()
    for column in ("eir", "pd_at_origination"):
        row.pop(column)
    lines, _ = ecl_lines(row)
    assert lines.loc["P0", "stage"] == 1
    assert lines.loc["P0", "loss_allowance"] == pytest.approx(0.03 * 0.45 * 100_000, rel=REL)


def test_a_missing_eir_takes_the_coupon_and_a_missing_lgd_the_parameter() -> None:
    lines, _ = ecl_lines(position(eir=np.nan, interest_rate=0.05, lgd=np.nan))
    # lgd NaN -> missing_lgd 45% (CRE32.6); eir NaN -> interest_rate 5%: the same as the base case
    assert lines.loc["P0", "loss_allowance"] == pytest.approx(ECL_12M, rel=REL)
    lines, _ = ecl_lines(position(lgd=np.nan), parameters={"ecl": {"missing_lgd": 0.9}})
    assert lines.loc["P0", "loss_allowance"] == pytest.approx(2 * ECL_12M, rel=REL)


def test_a_pd_increase_past_both_thresholds_is_stage_2() -> None:
    """T = 2: LPD_orig = 1 - 0.99^2 = 0.0199, LPD_rep = 1 - 0.97^2 = 0.0591 >= 2 x 0.0199 and
    0.0591 - 0.0199 = 0.0392 >= 0.005 (methodology 12.3): stage 2, unless rated investment grade."""
    lines, _ = ecl_lines(position(pd_at_origination=0.01), position(pd_at_origination=0.01, rating="BBB"))
    assert lines["stage"].tolist() == [2, 1]
    assert lines.loc["P0", "triggers"] == "pd_test"


def test_undrawn_commitments_take_the_drawdown_factor() -> None:
    """EAD_0 = drawn + ecl_ccf x undrawn (B5.5.31): 0 + 0.5 x 100,000; missing: undrawn_drawdown 100%."""
    commitment = position(
        side="off_balance", product="committed_credit_facility", drawn_amount=0.0,
        off_balance_amount=100_000.0, off_balance_type="commitment",
    )  # fmt: skip
    lines, _ = ecl_lines({**commitment, "ecl_ccf": 0.5}, commitment)
    assert lines["ead_0"].tolist() == pytest.approx([50_000.0, 100_000.0], rel=REL)
    assert lines.loc["P0", "loss_allowance"] == pytest.approx(ECL_12M / 2, rel=REL)


def test_out_of_scope_lines_are_not_measured() -> None:
    """Equity holdings, deposits and lines without a PD are outside IFRS 9 impairment (12.9)."""
    lines, totals = ecl_lines(
        position(),
        position(product="equity_holding", exposure_class="equity"),
        position(side="liability", product="retail_deposit", exposure_class="none"),
        position(pd=np.nan),
    )
    assert list(lines.index) == ["P0"]
    assert totals["exposures"] == 1


def test_scenarios_weight_the_ecl() -> None:
    """Two scenarios, weights 0.6/0.4, PD x1 and x2: 12-month ECL 0.6 ECL(3%) + 0.4 ECL(6%)."""
    scenarios = pd.DataFrame(
        {"scenario": ["base", "down"], "weight": [0.6, 0.4], "pd_multiplier": [1.0, 2.0]}
    )
    lines, _ = ecl_lines(position(pd_at_origination=0.06), scenarios=scenarios)
    expected = 0.6 * ECL_12M + 0.4 * 0.06 * 0.45 * 100_000 * 1.05**-0.5
    assert lines.loc["P0", "ecl_12m"] == pytest.approx(expected, rel=REL)


def test_bad_positions_are_input_errors() -> None:
    with pytest.raises(InputError, match="days_past_due"):
        bs.compute_ecl(table(position(days_past_due=-1)), use_cache=False)
    with pytest.raises(InputError, match="repricing_type"):
        bs.compute_irrbb(table(position(repricing_type="sometimes")), 100.0, use_cache=False)


# -- IRRBB: derived types, defaults and the worked example of 13.9 -------------------------------------

FLAT = {"irrbb": {"base_curve": {"EUR": (0.02, 0.02)}}}


def zero_bond(**overrides: Any) -> dict[str, Any]:
    """A zero-coupon EUR asset of 100 at t = 5 (methodology 13.9), repricing type derived ('auto')."""
    return position(**{"drawn_amount": 100.0, "residual_maturity": 5.0, "interest_rate": 0.0, **overrides})


def test_a_fixed_zero_coupon_asset_has_the_worked_delta_eve() -> None:
    """Bucket 11, mid-point 4.5, flat 2%: ΔEVE up = 100 (e^-0.09 - e^-0.18) (parallel +200 bp)."""
    eve, _, _, summary, _ = bs.compute_irrbb(table(zero_bond()), 100.0, FLAT, use_cache=False)
    up = 100 * (math.exp(-0.09) - math.exp(-0.18))  # 7.866097
    down = 100 * (math.exp(-0.09) - math.exp(-0.0 * 4.5))  # -200 bp: 0% (floor -1.365% not binding)
    by_scenario = eve.set_index("scenario")["delta_eve"]
    assert by_scenario["parallel_up"] == pytest.approx(up, rel=REL)
    assert by_scenario["parallel_down"] == pytest.approx(down, rel=REL)
    assert summary["worst_scenario"] == "parallel_up"
    assert summary["delta_eve_to_tier1"] == pytest.approx(up / 100.0, rel=REL)
    assert summary["eve_outlier"] is False  # 7.9% <= 15%


def test_a_deposit_without_maturity_is_a_capped_non_maturity_deposit() -> None:
    """A retail deposit of 100, no maturity, no estimates: retail transactional, core share 90% at
    5 years (SRP31.110 caps); non-core 10 overnight (bucket 1, mid-point 0.0028), core 90 in bucket 11."""
    deposit = position(side="liability", product="retail_deposit", exposure_class="none",
                       drawn_amount=100.0, residual_maturity=np.nan)  # fmt: skip
    eve, _, _, summary, _ = bs.compute_irrbb(table(deposit), 100.0, FLAT, use_cache=False)
    up = -10 * (math.exp(-0.02 * 0.0028) - math.exp(-0.04 * 0.0028)) - 90 * (
        math.exp(-0.09) - math.exp(-0.18)
    )
    assert eve.set_index("scenario").loc["parallel_up", "delta_eve"] == pytest.approx(up, rel=REL)
    assert summary["worst_scenario"] == "parallel_down"


def test_an_explicit_nmd_estimate_below_the_cap_is_used() -> None:
    deposit = position(side="liability", product="retail_deposit", drawn_amount=100.0, residual_maturity=np.nan,
                       nmd_core_share=0.5, nmd_core_maturity=5.0)  # fmt: skip
    eve, _, _, _, _ = bs.compute_irrbb(table(deposit), 100.0, FLAT, use_cache=False)
    up = -50 * (math.exp(-0.02 * 0.0028) - math.exp(-0.04 * 0.0028)) - 50 * (
        math.exp(-0.09) - math.exp(-0.18)
    )
    assert eve.set_index("scenario").loc["parallel_up", "delta_eve"] == pytest.approx(up, rel=REL)


def test_out_of_scope_lines_carry_no_flows() -> None:
    """Equity, off-balance lines and 'none' are out; the asset of 100 alone gives the worked ΔEVE."""
    rows = table(
        zero_bond(),
        position(side="equity", product="cet1_capital", exposure_class="none", residual_maturity=np.nan),
        position(side="off_balance", product="committed_credit_facility", off_balance_amount=50.0),
        zero_bond(repricing_type="none"),
    )
    eve, _, _, _, _ = bs.compute_irrbb(rows, 100.0, FLAT, use_cache=False)
    up = 100 * (math.exp(-0.09) - math.exp(-0.18))
    assert eve.set_index("scenario").loc["parallel_up", "delta_eve"] == pytest.approx(up, rel=REL)


def test_a_floater_without_next_reset_reprices_on_its_grid() -> None:
    """T = 2.3, quarterly, no next reset: t_r = 2.3 - floor(9.2 - 1e-9)/4 = 0.05 (bucket 2, mid-point
    0.0417); the reset flow is 100 + coupon 100 x 0.02 / 4 = 100.5, spread 0."""
    floater = zero_bond(
        repricing_type="floating", residual_maturity=2.3, interest_rate=0.02, payment_frequency=4
    )
    eve, _, _, _, _ = bs.compute_irrbb(table(floater), 100.0, FLAT, use_cache=False)
    up = 100.5 * (math.exp(-0.02 * 0.0417) - math.exp(-0.04 * 0.0417))
    assert eve.set_index("scenario").loc["parallel_up", "delta_eve"] == pytest.approx(up, rel=REL)


def test_a_missing_coupon_takes_the_base_curve() -> None:
    """Flat 2%, annual: coupons 2 at t = 1..5 and 100 at 5 (buckets 6, 8, 9, 10, 11)."""
    eve, _, _, _, _ = bs.compute_irrbb(table(zero_bond(interest_rate=np.nan)), 100.0, FLAT, use_cache=False)
    midpoints = {1: 0.875, 2: 1.75, 3: 2.5, 4: 3.5, 5: 4.5}
    flows = {t: 2.0 + (100.0 if t == 5 else 0.0) for t in midpoints}
    up = sum(f * (math.exp(-0.02 * midpoints[t]) - math.exp(-0.04 * midpoints[t])) for t, f in flows.items())
    assert eve.set_index("scenario").loc["parallel_up", "delta_eve"] == pytest.approx(up, rel=REL)


def test_the_synthetic_universal_bank_has_a_delta_eve_of_a_few_percent_of_tier1() -> None:
    positions = bs.generate_positions(20_000, 3)
    funds = bs.own_funds(positions)
    tier1 = funds["cet1"] + funds["at1"]
    _, _, _, summary, _ = bs.compute_irrbb(positions, tier1, use_cache=False)
    assert 0.01 < summary["delta_eve_to_tier1"] < 0.15
    _, _, totals, _ = bs.compute_ecl(positions, use_cache=False)
    assert 0.01 < totals["stage2_share"] < 0.10
    assert 0.005 < totals["stage3_share"] < 0.03


def test_a_pd_shock_of_a_scenario_drives_the_ecl_step(sqlite_store: bs.Store) -> None:
    """PD x2 on performing lines: more lines pass the PD test (stage 2) and the allowance rises;
    ΔEVE is the same (a credit shock moves no repricing flow)."""
    base = bs.run_pipeline(num_positions=3_000, seed=2)
    stressed = bs.run_pipeline(
        num_positions=3_000, seed=2, scenario=bs.Scenario("pd").with_shocks(pd_multiplier=2.0)
    )
    assert stressed.hits()["ecl"] is False
    assert stressed.headline()["total_ecl"] > base.headline()["total_ecl"]
    assert stressed.headline()["ecl_stage2_share"] > base.headline()["ecl_stage2_share"]
    assert stressed.headline()["worst_delta_eve"] == pytest.approx(
        base.headline()["worst_delta_eve"], rel=1e-12
    )
