"""Credit risk mitigation in the bank's RWA: bs.compute_rwa with a protection table, worked by hand.

Each expected value is the rulebook arithmetic written out with its paragraph (methodology 9.10,
CRE22 and CRE32); comparisons to a relative 1e-9. Lines are EUR 100 drawn loans to corporates.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from builders import positions
from scipy.stats import norm

import banksim as bs
from banksim.regulation import risk_weighted_assets
from banksim.regulation.rwa_crm import CRM_RWA_COLUMNS
from banksim.synthetic.protection import generate_protection

REL = 1e-9
SQRT2 = math.sqrt(2.0)  # CRE22.59: secured lending T_M = 20, N_R = 1 -> sqrt((1 + 20 - 1) / 10)
RATED_A = {"product": "corporate_loan", "counterparty_type": "corporate", "exposure_class": "corporate",
           "sub_class": "general", "rating": "A", "drawn_amount": 100.0, "residual_maturity": 3.0}  # fmt: skip
UNRATED = {**RATED_A, "rating": "unrated"}  # CRE20.43: unrated corporate 100%
SIMPLE = {"crm": {"approach": "simple"}}


def rwa_of(lines: pd.DataFrame, protection: pd.DataFrame | None, parameters: Any = None) -> pd.DataFrame:
    rwa, _ = bs.compute_rwa(lines, parameters, protection=protection, use_cache=False)
    return rwa.set_index(rwa["position_id"].astype(str))


def items(*rows: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame([{"position_id": "L1", **row} for row in rows])


@pytest.fixture(autouse=True)
def _store(sqlite_store: bs.Store) -> None:
    """Every test here works on its own store."""


def test_cash_collateral_comprehensive_and_simple() -> None:
    bank = positions(RATED_A, UNRATED)  # L1: A-rated corporate, CRE20.42 50%
    cash = items({"protection_type": "cash", "amount": 40.0})
    line = rwa_of(bank, cash).loc["L1"]
    # CRE22.46-49: E* = max(0, 100 x (1 + 0) - 40 x (1 - 0 - 0)) = 60; RWA = 60 x 50% = 30
    assert line["exposure_before_crm"] == 100.0 and line["rwa_before_crm"] == pytest.approx(50.0, rel=REL)
    assert line["exposure_after_crm"] == pytest.approx(60.0, rel=REL)
    assert line["collateral_covered"] == pytest.approx(40.0, rel=REL)
    assert line["unprotected"] == pytest.approx(60.0, rel=REL)
    assert line["rwa"] == pytest.approx(30.0, rel=REL) and line["rwa_standardised"] == pytest.approx(
        30.0, rel=REL
    )
    assert (line["hc"], line["hfx"]) == (0.0, 0.0)
    assert line["crm_rule"] == "CRE22.46"
    # CRE22.39(1): cash in the same currency 0% on the covered 40, 60 at 50%: 0 + 30 = 30
    simple = rwa_of(bank, cash, SIMPLE).loc["L1"]
    assert simple["rwa"] == pytest.approx(30.0, rel=REL) and simple["crm_rule"] == "CRE22.39(1)"
    assert simple["exposure_after_crm"] == 100.0  # the simple approach does not reduce E
    assert np.isnan(simple["hc"])  # no haircut under the simple approach (methodology 9.8)


def test_cash_in_another_currency_simple_floor_and_comprehensive_fx_haircut() -> None:
    bank = positions(RATED_A)
    usd_cash = items({"protection_type": "cash", "amount": 40.0, "currency": "USD"})
    # CRE22.33: not CRE22.39(1) (other currency): max(20%, 0%) on 40, 60 at 50%: 8 + 30 = 38
    assert rwa_of(bank, usd_cash, SIMPLE).loc["L1", "rwa"] == pytest.approx(38.0, rel=REL)
    # CRE22.52, CRE22.59: Hfx = 8% x sqrt(2); E* = 100 - 40 x (1 - 0.08 sqrt 2) = 60 + 3.2 sqrt 2
    line = rwa_of(bank, usd_cash).loc["L1"]
    assert line["rwa"] == pytest.approx(0.5 * (60 + 3.2 * SQRT2), rel=REL)
    assert line["hfx"] == pytest.approx(0.08 * SQRT2, rel=REL)
    assert line["crm_rule"] == "CRE22.46, CRE22.52, CRE22.59"


def test_bond_collateral_with_currency_mismatch() -> None:
    bank = positions(UNRATED)  # CRE20.43: 100%
    bond = items({"protection_type": "debt_security", "amount": 50.0, "currency": "USD", "issuer_type": "sovereign",
                  "rating": "AA", "security_residual_maturity": 4.0})  # fmt: skip
    line = rwa_of(bank, bond).loc["L1"]
    # CRE22.49: sovereign AA, 3-5 years 2%; x sqrt(2) (CRE22.59); Hfx 8% x sqrt(2) (CRE22.52)
    # E* = 100 - 50 x (1 - 0.02 sqrt 2 - 0.08 sqrt 2) = 50 + 5 sqrt 2 = 57.0710678...
    assert line["exposure_after_crm"] == pytest.approx(50 + 5 * SQRT2, rel=REL)
    assert line["rwa"] == pytest.approx(50 + 5 * SQRT2, rel=REL)
    assert line["hc"] == pytest.approx(0.02 * SQRT2, rel=REL) and line["hfx"] == pytest.approx(
        0.08 * SQRT2, rel=REL
    )
    assert line["crm_rule"] == "CRE22.46, CRE22.49, CRE22.52, CRE22.59"


def test_guarantee_by_a_bank() -> None:
    bank = positions(UNRATED)
    guarantee = items(
        {"protection_type": "guarantee", "amount": 60.0, "issuer_type": "bank", "rating": "AA-"}
    )
    line = rwa_of(bank, guarantee).loc["L1"]
    # CRE22.80, CRE20.16: a bank rated AA- weighs 20%; 60 at 20% + 40 at 100% = 12 + 40 = 52
    assert line["guaranteed"] == pytest.approx(60.0, rel=REL)
    assert line["unprotected"] == pytest.approx(40.0, rel=REL)
    assert line["rwa"] == pytest.approx(52.0, rel=REL)
    assert line["crm_rule"] == "CRE22.80"


def corporate_k(pd_: float, lgd: float, maturity: float = 2.5) -> float:
    """CRE31.5-6, M = 2.5 unless given (F-IRB, CRE32.44), no SME adjustment: K per unit of EAD."""
    weight = (1 - math.exp(-50 * pd_)) / (1 - math.exp(-50))
    r = 0.12 * weight + 0.24 * (1 - weight)
    b = (0.11852 - 0.05478 * math.log(pd_)) ** 2
    stressed = norm.cdf((norm.ppf(pd_) + math.sqrt(r) * norm.ppf(0.999)) / math.sqrt(1 - r))
    return (lgd * stressed - pd_ * lgd) * (1 + (maturity - 2.5) * b) / (1 - 1.5 * b)


FIRB = {**UNRATED, "approach": "firb", "pd": 0.01}


@pytest.mark.parametrize(
    ("collateral", "lgd_star"),
    [
        # CRE32.10-11: cash, LGD_S 0%: (40% x 70 + 0% x 30) / 100 = 28%
        ({"protection_type": "cash", "amount": 30.0}, 0.28),
        # CRE32.11: receivables, Hc 40%: C* = 50 x 0.6 = 30 at 20%; (40% x 70 + 20% x 30) / 100 = 34%
        ({"protection_type": "receivables", "amount": 50.0}, 0.34),
        # commercial real estate, Hc 40%: 200 x 0.6 = 120 > E -> all 100 at 20% (CRE32.14)
        ({"protection_type": "commercial_real_estate", "amount": 200.0}, 0.20),
    ],
)
def test_firb_lgd_star(collateral: dict[str, Any], lgd_star: float) -> None:
    line = rwa_of(positions(FIRB), items(collateral)).loc["L1"]
    assert line["lgd_used"] == pytest.approx(lgd_star, rel=REL)
    # CRE31.5: RWA = 12.5 x K(PD 1%, LGD*) x EAD 100
    assert line["rwa"] == pytest.approx(12.5 * corporate_k(0.01, lgd_star) * 100, rel=REL)
    assert line["rwa_before_crm"] == pytest.approx(12.5 * corporate_k(0.01, 0.40) * 100, rel=REL)
    assert line["exposure_after_crm"] == 100.0  # CRE32.10: collateral does not reduce EAD
    assert "CRE32.10" in line["crm_rule"]


def test_output_floor_uses_sa_crm_on_the_irb_lines() -> None:
    bank = positions(FIRB)
    rwa = rwa_of(bank, items({"protection_type": "cash", "amount": 30.0}))
    # SA view of the F-IRB line: unrated corporate 100%, E* = 100 - 30 = 70 (CRE22.46) -> 70
    assert rwa.loc["L1", "rwa_standardised"] == pytest.approx(70.0, rel=REL)
    assert rwa.loc["L1", "rwa_standardised_before_crm"] == pytest.approx(100.0, rel=REL)
    assert rwa.loc["L1", "sa_crm_rule"] == "CRE22.46"
    operational = rwa.loc["operational_risk", "rwa_standardised"]
    floor = bs.output_floor(rwa)
    assert floor["standardised_rwa"] == pytest.approx(70.0 + operational, rel=REL)  # RBC20.11


def test_lines_without_protection_are_unchanged_bit_for_bit() -> None:
    bank = bs.generate_positions(3_000, 5, include_derivatives=True)
    protection = generate_protection(bank, 5)
    with_crm = rwa_of(bank, protection)
    plain = risk_weighted_assets(bank)
    for column in ("rule", "sa_rule"):  # compute_rwa keeps the paragraphs used, sorted (methodology C.46)
        used = plain[column].cat.remove_unused_categories()
        plain[column] = used.cat.reorder_categories(sorted(used.cat.categories))
    plain = plain.set_index(plain["position_id"].astype(str))
    # without protection: the table of risk_weighted_assets, the CRM columns neutral
    neutral = rwa_of(bank, None)
    pd.testing.assert_frame_equal(neutral.drop(columns=list(CRM_RWA_COLUMNS)), plain, check_exact=True)
    assert (neutral["exposure_after_crm"] == neutral["exposure"]).all() and (neutral["crm_rule"] == "").all()
    protected = plain.index.isin(protection["position_id"].astype(str))
    assert 50 < protected.sum() < len(plain) / 2
    untouched = with_crm.loc[~protected, plain.columns]
    pd.testing.assert_frame_equal(untouched, plain.loc[~protected], check_exact=True)
    assert (with_crm.loc[protected, "rwa"] <= plain.loc[protected, "rwa"] * (1 + 1e-12)).all()
    assert with_crm["rwa"].sum() < plain["rwa"].sum()


def test_protection_naming_no_credit_line_is_an_input_error() -> None:
    bank = positions(RATED_A)
    with pytest.raises(bs.InputError, match=r"protection\['position_id'\].*names no credit line"):
        rwa_of(bank, pd.DataFrame([{"position_id": "NOPE", "protection_type": "cash", "amount": 1.0}]))
    with pytest.raises(bs.InputError, match="unknown CRM approach"):
        rwa_of(bank, items({"protection_type": "cash", "amount": 1.0}), {"crm": {"approach": "fancy"}})


def test_collateral_shock_raises_rwa_by_the_hand_worked_amount() -> None:
    bank = positions(UNRATED)
    bond = items({"protection_type": "debt_security", "amount": 50.0, "issuer_type": "sovereign", "rating": "AA",
                  "security_residual_maturity": 4.0})  # fmt: skip
    shocks = bs.Shocks(collateral_value_change={"debt_security": -0.2})
    before = rwa_of(bank, bond).loc["L1", "rwa"]
    after = rwa_of(bank, bs.shock_protection(bond, shocks)).loc["L1", "rwa"]
    # CRE22.49: Hc = 2% x sqrt 2. Before: E* = 100 - 50 (1 - 0.02 sqrt 2) = 50 + sqrt 2;
    # after a 20% fall: C = 40, E* = 100 - 40 (1 - 0.02 sqrt 2) = 60 + 0.8 sqrt 2 (RW 100%)
    assert before == pytest.approx(50 + SQRT2, rel=REL)
    assert after == pytest.approx(60 + 0.8 * SQRT2, rel=REL)
    assert after - before == pytest.approx(10 - 0.2 * SQRT2, rel=1e-9)
    guarantee = items(
        {"protection_type": "guarantee", "amount": 60.0, "issuer_type": "bank", "rating": "AA-"}
    )
    assert bs.shock_protection(guarantee, shocks)["amount"].tolist() == [60.0]  # not collateral
    with pytest.raises(bs.InputError, match="collateral_value_change"):
        bs.Shocks(collateral_value_change={"guarantee": -0.1})


def test_synthetic_protection_is_deterministic_and_plausible() -> None:
    bank = bs.generate_positions(5_000, 3)
    first, again = generate_protection(bank, 3), generate_protection(bank, 3)
    pd.testing.assert_frame_equal(first, again)
    assert not first.equals(generate_protection(bank, 4))
    kinds = set(first["protection_type"].astype(str))
    assert {"cash", "debt_security", "guarantee", "receivables"} <= kinds
    products = bank.set_index(bank["position_id"].astype(str)).loc[
        first["position_id"].astype(str), "product"
    ]
    assert set(products.astype(str)) <= {"corporate_loan", "interbank_loan", "reverse_repo", "sme_loan"}
    bs.validate_positions(bank)  # the positions stay valid with the CRM columns at their defaults


def test_the_pipeline_step_feeds_compute_rwa_and_is_cached() -> None:
    first = bs.run_pipeline(1_000, seed=4)
    protection = first.outputs["protection"]
    pd.testing.assert_frame_equal(
        protection, bs.shock_protection(generate_protection(first.positions, 4), {})
    )
    assert first.steps["protection"]["hit"] is False
    ecl = first.outputs["ecl_lines"]  # their stage 3 allowances are the specific provisions (methodology 1.6)
    assert first.steps["rwa"]["key"] == bs.compute_rwa.key(
        first.positions, protection=protection, ecl_lines=ecl
    )
    assert (first.rwa["crm_rule"] != "").sum() > 0  # some lines mitigated
    again = bs.run_pipeline(1_000, seed=4)
    assert again.steps["protection"]["hit"] is True and again.steps["rwa"]["hit"] is True


def test_a_table_not_yet_validated_is_mitigated_alike() -> None:
    """A user's frame straight from a file (plain strings, no categoricals) gives the same lines."""
    raw = pd.DataFrame([{"position_id": "L1", "side": "asset", **RATED_A}])
    cash = items({"protection_type": "cash", "amount": 40.0})
    line = rwa_of(raw, cash).loc["L1"]
    assert line["rwa"] == pytest.approx(30.0, rel=REL) and line["crm_rule"] == "CRE22.46"  # as above
    firb = rwa_of(
        pd.DataFrame([{"position_id": "L1", "side": "asset", **FIRB}]),
        items({"protection_type": "cash", "amount": 30.0}),
    )
    assert firb.loc["L1", "lgd_used"] == pytest.approx(0.28, rel=REL)  # CRE32.10-11, as above


BANK_AA_GUARANTEE = {"protection_type": "guarantee", "issuer_type": "bank", "rating": "AA-"}  # CRE20.16: 20%


def test_guarantee_on_an_firb_line_takes_the_provider_sa_weight() -> None:
    line = rwa_of(positions(FIRB), items({**BANK_AA_GUARANTEE, "amount": 60.0})).loc["L1"]
    unsecured = 12.5 * corporate_k(0.01, 0.40)  # the obligor's RW per unit of EAD (CRE31.5, LGD 40%)
    assert unsecured > 0.2  # CRE32.22: recognised, the provider's weight is lower
    # CRE32.24(3): the covered 60 at the bank's SA weight 20%; CRE32.25: the other 40 at the obligor's
    assert line["rwa"] == pytest.approx(60 * 0.20 + 40 * unsecured, rel=REL)
    assert line["rwa_before_crm"] == pytest.approx(100 * unsecured, rel=REL)
    assert line["risk_weight"] == pytest.approx((60 * 0.20 + 40 * unsecured) / 100, rel=REL)
    assert (line["guaranteed"], line["unprotected"], line["exposure_after_crm"]) == pytest.approx(
        (60.0, 40.0, 100.0), rel=REL
    )  # EAD is not reduced
    assert (line["pd_used"], line["lgd_used"]) == (0.01, 0.40)  # the obligor's PD and LGD stay
    assert line["crm_rule"] == "CRE32.24(3), CRE22.80"
    # the output floor's SA view: unrated corporate 100%, 60 at 20% + 40 at 100% = 52 (CRE22.80)
    assert line["rwa_standardised"] == pytest.approx(52.0, rel=REL)


def test_credit_derivative_on_an_airb_line_with_currency_mismatch() -> None:
    airb = {**UNRATED, "approach": "airb", "pd": 0.01, "lgd": 0.30}  # M = residual 3 years (CRE32.45)
    cds = items({"protection_type": "credit_derivative", "amount": 50.0, "issuer_type": "sovereign",
                 "rating": "AA", "currency": "USD"})  # fmt: skip
    line = rwa_of(positions(airb), cds).loc["L1"]
    # CRE32.28 -> CRE32.23: G' = 0.6 x min(50, 100) = 30 without restructuring (CRE22.75);
    # Hfx = 8% x sqrt((1 + 9) / 10) = 8% (CRE22.82-83): 30 x 0.92 = 27.6 at the sovereign's 0%
    # (CRE20.7); the other 72.4 at the obligor's K(PD 1%, LGD 30%, M 3)
    own = 12.5 * corporate_k(0.01, 0.30, 3.0)
    assert line["guaranteed"] == pytest.approx(27.6, rel=REL)
    assert line["rwa"] == pytest.approx(72.4 * own, rel=REL)
    assert line["rwa_before_crm"] == pytest.approx(100 * own, rel=REL)
    assert line["crm_rule"] == "CRE32.28, CRE32.24(3), CRE22.80, CRE22.75, CRE22.82"


def test_guarantee_with_no_benefit_on_an_irb_line_is_not_recognised() -> None:
    corporate_bb = items({"protection_type": "guarantee", "amount": 60.0, "issuer_type": "corporate",
                          "rating": "BB"})  # fmt: skip  # CRE20.42 Table 10: 100%
    line = rwa_of(positions(FIRB), corporate_bb).loc["L1"]
    own = 12.5 * corporate_k(0.01, 0.40)
    assert own < 1.0  # CRE32.22, CRE22.3: a 100% provider would raise the requirement
    assert line["rwa"] == pytest.approx(100 * own, rel=REL) and line["guaranteed"] == 0.0
    assert line["crm_rule"] == ""


def test_collateral_then_guarantee_on_an_firb_line() -> None:
    both = items({"protection_type": "cash", "amount": 30.0}, {**BANK_AA_GUARANTEE, "amount": 80.0})
    line = rwa_of(positions(FIRB), both).loc["L1"]
    # CRE32.10: cash 30 secures 30 at LGD_S 0%, LGD* = 40% x 70 / 100 = 28%; the guarantee covers
    # the 70 still at the unsecured LGD (methodology C.47): min(70, 80) = 70 at 20% (CRE32.24(3));
    # what remains is the secured 30 at LGD 0%, K = 0: RWA = 70 x 20% = 14
    assert line["lgd_used"] == pytest.approx(0.28, rel=REL)
    assert line["rwa"] == pytest.approx(14.0, rel=REL)
    assert (line["collateral_covered"], line["guaranteed"]) == pytest.approx((30.0, 70.0), rel=REL)
    assert line["unprotected"] == pytest.approx(0.0, abs=1e-9)
    assert line["crm_rule"] == "CRE32.10, CRE32.24(3), CRE22.80"


def test_a_bank_line_flagged_airb_takes_foundation_collateral() -> None:
    bank_line = {**UNRATED, "product": "interbank_loan", "counterparty_type": "bank", "exposure_class": "bank",
                 "rating": "A", "approach": "airb", "pd": 0.01, "lgd": 0.10}  # fmt: skip
    line = rwa_of(positions(bank_line), items({"protection_type": "cash", "amount": 30.0})).loc["L1"]
    # CRE30.34 / methodology C.2: no A-IRB for banks, so F-IRB LGD_U 45% (CRE32.6) and M = 2.5;
    # CRE32.10: LGD* = 45% x 70 / 100 = 31.5%
    assert line["lgd_used"] == pytest.approx(0.315, rel=REL)
    assert line["rwa"] == pytest.approx(12.5 * corporate_k(0.01, 0.315) * 100, rel=REL)


def test_irb_guarantee_under_the_sme_supporting_factor() -> None:
    sme = {**FIRB, "counterparty_type": "sme", "sub_class": "sme"}  # turnover unknown: the type decides
    factor = {"sa": {"sme_supporting_factor": {"factor": 0.7619}}}  # CRR Art. 501 (methodology 8.2)
    line = rwa_of(positions(sme), items({**BANK_AA_GUARANTEE, "amount": 60.0}), factor).loc["L1"]
    own = 12.5 * corporate_k(0.01, 0.40)  # F-IRB, no SME correlation adjustment without a turnover
    assert line["rwa_before_crm"] == pytest.approx(100 * own * 0.7619, rel=REL)
    # methodology C.47: the factor of the line (E 100 below the threshold) applies after substitution
    assert line["rwa"] == pytest.approx((60 * 0.20 + 40 * own) * 0.7619, rel=REL)
