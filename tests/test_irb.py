"""IRB risk-weight functions (CRE31-32): the worked examples and conventions of methodology 3.4 and C.2.

``reference_k`` re-states the CRE31 formulas of methodology 3.1-3.2 with the standard library's
``NormalDist``, independently of banksim's vectorised code, so cases can be checked to 1e-9.
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Any

import numpy as np
import pytest
from builders import rwa_lines

import banksim as bs
from banksim.regulation import irb_capital_requirement, regulatory_parameters

N = NormalDist()
PARAMS = regulatory_parameters()


def wholesale_correlation(pd_: float) -> float:
    """CRE31.5."""
    w = (1 - math.exp(-50 * pd_)) / (1 - math.exp(-50))
    return 0.12 * w + 0.24 * (1 - w)


def reference_k(pd_: float, lgd: float, r: float, maturity: float | None) -> float:
    """CRE31.4-31.6 (maturity given) and CRE31.13-31.16 (``maturity=None``: retail)."""
    x = (N.inv_cdf(pd_) + math.sqrt(r) * N.inv_cdf(0.999)) / math.sqrt(1 - r)
    k = lgd * N.cdf(x) - pd_ * lgd
    if maturity is None:
        return k
    b = (0.11852 - 0.05478 * math.log(pd_)) ** 2
    return k * (1 + (maturity - 2.5) * b) / (1 - 1.5 * b)


def formula(klass: str, pd_: float, lgd: float, maturity: float = 2.5, sales: float = np.nan,
            large_fi: bool = False) -> dict[str, float]:  # fmt: skip
    out = irb_capital_requirement(
        np.array([klass]), np.array([pd_]), np.array([lgd]), np.array([maturity]), np.array([sales]),
        np.array([large_fi]), PARAMS,
    )  # fmt: skip
    return {key: float(value[0]) for key, value in out.items()}


# -- methodology 3.4, published to 6 significant figures -------------------------------------------------------------


def test_example_1_corporate() -> None:
    """methodology 3.4 #1: PD 1%, LGD 40%, M 2.5 -> R 0.192784, b 0.137486, K 0.0656475, RWA 820,594."""
    out = formula("corporate", 0.01, 0.40)
    assert out["correlation"] == pytest.approx(0.192784, rel=5e-6)
    assert out["maturity_adjustment_b"] == pytest.approx(0.137486, rel=5e-6)
    assert out["k"] == pytest.approx(0.0656475, rel=5e-6)
    assert 12.5 * out["k"] * 1_000_000 == pytest.approx(820_594, rel=5e-6)
    assert out["k"] == pytest.approx(reference_k(0.01, 0.40, wholesale_correlation(0.01), 2.5), rel=1e-9)


def test_example_2_corporate_sme() -> None:
    """#2: PD 2%, LGD 40%, M 3, sales EUR 20m: R = 0.164146 - 0.04 x (1 - 15/45) = 0.137479 (CRE31.8)."""
    out = formula("corporate", 0.02, 0.40, maturity=3.0, sales=20e6)
    r = wholesale_correlation(0.02) - 0.04 * (1 - 15 / 45)
    assert out["correlation"] == pytest.approx(0.137479, rel=5e-6)
    assert out["correlation"] == pytest.approx(r, rel=1e-12)
    assert out["maturity_adjustment_b"] == pytest.approx(0.110770, rel=5e-6)
    assert out["k"] == pytest.approx(0.0729681, rel=5e-6)
    assert 12.5 * out["k"] * 2_000_000 == pytest.approx(1_824_201, rel=5e-6)
    assert out["k"] == pytest.approx(reference_k(0.02, 0.40, r, 3.0), rel=1e-9)


def test_example_3_residential_mortgage() -> None:
    """#3: PD 0.5%, LGD 15%, R 0.15 (CRE31.14) -> K 0.00935446, RW 11.6931%, RWA 58,465.4 on 500,000."""
    out = formula("residential_mortgage", 0.005, 0.15)
    assert out["correlation"] == 0.15
    assert out["k"] == pytest.approx(0.00935446, rel=5e-6)
    assert 12.5 * out["k"] == pytest.approx(0.116931, rel=5e-6)
    assert 12.5 * out["k"] * 500_000 == pytest.approx(58_465.4, rel=5e-6)
    assert out["k"] == pytest.approx(reference_k(0.005, 0.15, 0.15, None), rel=1e-9)


def test_example_4_qrre() -> None:
    """#4: PD 2%, LGD 80%, R 0.04 (CRE31.15) -> K 0.0411348, RWA 5,141.85 on 10,000."""
    out = formula("qrre_revolver", 0.02, 0.80)
    assert out["k"] == pytest.approx(0.0411348, rel=5e-6)
    assert 12.5 * out["k"] * 10_000 == pytest.approx(5_141.85, rel=5e-6)
    assert out["k"] == pytest.approx(reference_k(0.02, 0.80, 0.04, None), rel=1e-9)


def test_familiar_value_pd_1_lgd_45() -> None:
    """methodology 3.1: PD 1%, LGD 45%, M 2.5 -> RW 92.32%."""
    assert 12.5 * formula("corporate", 0.01, 0.45)["k"] == pytest.approx(0.9232, abs=5e-5)


def test_other_retail_correlation() -> None:
    """CRE31.16: R = 0.03 w + 0.16 (1 - w), w = (1 - e^(-35 PD)) / (1 - e^(-35)); PD 3%, LGD 30%."""
    w = (1 - math.exp(-35 * 0.03)) / (1 - math.exp(-35))
    r = 0.03 * w + 0.16 * (1 - w)
    out = formula("other_retail", 0.03, 0.30)
    assert out["correlation"] == pytest.approx(r, rel=1e-12)
    assert out["k"] == pytest.approx(reference_k(0.03, 0.30, r, None), rel=1e-9)


# -- position level: floors, F-IRB values, maturity, multipliers (methodology C.12 and C.2) ---------------------------

LINE = {"side": "asset", "drawn_amount": 1_000_000.0, "approach": "airb", "rating": "BBB"}
CORPORATE = {**LINE, "exposure_class": "corporate", "sub_class": "general", "counterparty_type": "corporate"}


def irb_row(**line: Any) -> Any:
    return rwa_lines(line).loc["L1"]


def test_airb_corporate_uses_input_pd_lgd_and_maturity() -> None:
    row = irb_row(**CORPORATE, pd=0.01, lgd=0.40, residual_maturity=2.5)
    assert row["rule"] == "CRE31.5"
    assert (row["pd_used"], row["lgd_used"], row["maturity_used"]) == (0.01, 0.40, 2.5)
    assert row["rwa"] == pytest.approx(820_594, rel=5e-6)


def test_pd_floor_lgd_floor_and_maturity_bounds() -> None:
    """PD 0.01% -> 0.05% (CRE32.4); LGD 10% -> 25% (CRE32.16); M 7y -> 5y (CRE32.46)."""
    row = irb_row(**CORPORATE, pd=0.0001, lgd=0.10, residual_maturity=7.0)
    assert (row["pd_used"], row["lgd_used"], row["maturity_used"]) == (0.0005, 0.25, 5.0)
    assert row["k"] == pytest.approx(reference_k(0.0005, 0.25, wholesale_correlation(0.0005), 5.0), rel=1e-9)
    assert row["rule"] == "CRE31.5; CRE32.4 (PD floor 0.05%); CRE32.16 (LGD floor 25%); CRE32.46 (M cap 5y)"
    short = irb_row(**CORPORATE, pd=0.01, lgd=0.40, residual_maturity=0.3)
    assert short["maturity_used"] == 1.0  # floor 1 year
    assert short["rule"] == "CRE31.5; CRE32.46 (M floor 1y)"
    missing = irb_row(**CORPORATE, pd=0.01, lgd=0.40)
    assert missing["maturity_used"] == 2.5  # CRE32.55 default
    assert missing["rule"] == "CRE31.5; CRE32.55 (M 2.5y)"


def test_sovereign_has_no_pd_floor() -> None:
    row = irb_row(**{**LINE, "exposure_class": "sovereign", "sub_class": "general"}, pd=0.0001, lgd=0.45,
                  residual_maturity=2.5)  # fmt: skip
    assert row["pd_used"] == 0.0001
    assert row["k"] == pytest.approx(reference_k(0.0001, 0.45, wholesale_correlation(0.0001), 2.5), rel=1e-9)
    assert row["rule"] == "CRE31.5"  # no floor changed it


def test_banks_use_foundation_values_even_when_flagged_airb() -> None:
    """CRE30.34 / methodology C.2: banks take F-IRB LGD 45% and M 2.5, whatever the inputs."""
    row = irb_row(**{**LINE, "exposure_class": "bank", "sub_class": "general", "counterparty_type": "bank",
                     "scra_grade": "A"}, pd=0.002, lgd=0.10, residual_maturity=4.0)  # fmt: skip
    assert bool(row["lgd_used"] == 0.45) and row["maturity_used"] == 2.5
    assert row["k"] == pytest.approx(reference_k(0.002, 0.45, wholesale_correlation(0.002), 2.5), rel=1e-9)
    assert row["rule"] == "CRE31.5; CRE32.6 (F-IRB LGD 45%); CRE32.44 (F-IRB M 2.5y)"


def test_large_corporate_foundation_lgd_and_subordinated_lgd() -> None:
    """Sales > EUR 500m: F-IRB LGD 40% (CRE32.6); subordinated claims 75% (CRE32.7)."""
    large = irb_row(**CORPORATE, pd=0.01, lgd=0.30, annual_sales=600e6, residual_maturity=4.0)
    assert (large["lgd_used"], large["maturity_used"]) == (0.40, 2.5)
    assert large["rwa"] == pytest.approx(820_594, rel=5e-6)  # = worked example 1
    assert large["rule"] == "CRE31.5; CRE32.6 (F-IRB LGD 40%); CRE32.44 (F-IRB M 2.5y)"
    sub = irb_row(**{**CORPORATE, "exposure_class": "subordinated_debt", "approach": "firb"}, pd=0.01)
    assert sub["lgd_used"] == 0.75
    assert sub["rule"] == "CRE31.5; CRE32.7 (F-IRB LGD 75%); CRE32.44 (F-IRB M 2.5y)"


def test_large_financial_institution_multiplier() -> None:
    """CRE31.7: R x 1.25, with the F-IRB LGD of 45% for FIs (methodology C.2)."""
    row = irb_row(**CORPORATE, pd=0.01, lgd=0.40, large_financial_institution=True)
    r = wholesale_correlation(0.01) * 1.25
    assert row["correlation"] == pytest.approx(r, rel=1e-12)
    assert row["k"] == pytest.approx(reference_k(0.01, 0.45, r, 2.5), rel=1e-9)
    assert row["rule"] == (
        "CRE31.5; CRE31.7 (FI correlation x1.25); CRE32.6 (F-IRB LGD 45%); CRE32.44 (F-IRB M 2.5y)"
    )


def test_sme_adjustment_clamps_sales_at_5m() -> None:
    """CRE31.8: sales of EUR 2m count as 5m: R - 0.04 x (1 - 0/45) = R - 0.04."""
    row = irb_row(**CORPORATE, pd=0.02, lgd=0.40, residual_maturity=2.5, annual_sales=2e6)
    assert row["correlation"] == pytest.approx(wholesale_correlation(0.02) - 0.04, rel=1e-12)
    assert row["rule"] == "CRE31.5; CRE31.8 (SME firm-size adjustment)"
    above = irb_row(**CORPORATE, pd=0.02, lgd=0.40, residual_maturity=2.5, annual_sales=50e6)
    assert above["correlation"] == pytest.approx(wholesale_correlation(0.02), rel=1e-12)  # S = 50: not SME
    assert above["rule"] == "CRE31.5"


def test_retail_classes_and_floors() -> None:
    """QRRE revolver PD floor 0.10%, LGD floor 50%; mortgage LGD floor 5% (CRE32.58-59)."""
    retail = {
        **LINE,
        "exposure_class": "retail",
        "sub_class": "regulatory_retail",
        "counterparty_type": "individual",
    }
    qrre = irb_row(**retail, irb_class="qrre_revolver", pd=0.0002, lgd=0.3)
    assert (qrre["pd_used"], qrre["lgd_used"]) == (0.001, 0.5)
    # Both floors changed the line's number: both cited after the formula (methodology C.45).
    assert qrre["rule"] == "CRE31.15; CRE32.58 (PD floor 0.1%); CRE32.58-59 (LGD floor 50%)"
    assert qrre["k"] == pytest.approx(reference_k(0.001, 0.5, 0.04, None), rel=1e-9)
    mortgage = irb_row(**{**retail, "exposure_class": "residential_real_estate", "sub_class": "general"},
                       ltv=0.6, pd=0.005, lgd=0.02)  # fmt: skip
    assert (mortgage["lgd_used"], mortgage["rule"]) == (0.05, "CRE31.14; CRE32.58-59 (LGD floor 5%)")


def test_defaulted_irb_uses_lgd_minus_elbe() -> None:
    """CRE31.3: K = max(0, LGD - ELBE) = 0.45 - 0.30 = 0.15; RW = 187.5%."""
    row = irb_row(**{**CORPORATE, "exposure_class": "defaulted"}, irb_class="corporate", is_defaulted=True,
                  pd=1.0, lgd=0.45, elbe=0.30)  # fmt: skip
    assert row["k"] == pytest.approx(0.15)
    assert row["rwa"] == pytest.approx(1_875_000.0)
    assert row["rule"] == "CRE31.3"  # A-IRB LGD 45% above the 25% floor: nothing else changed it
    # F-IRB: LGD 40% (CRE32.6) replaces the input: K = 0.40 - 0.30 = 0.10, RWA = 12.5 x 0.1 x 1m; no M.
    firb = irb_row(**{**CORPORATE, "exposure_class": "defaulted", "approach": "firb"}, irb_class="corporate",
                   is_defaulted=True, pd=1.0, elbe=0.30)  # fmt: skip
    assert firb["rwa"] == pytest.approx(1_250_000.0)
    assert firb["rule"] == "CRE31.3; CRE32.6 (F-IRB LGD 40%)"


def test_irb_lines_keep_their_standardised_rwa_for_the_floor() -> None:
    row = irb_row(**CORPORATE, pd=0.01, lgd=0.40)
    assert row["rwa_standardised"] == pytest.approx(750_000.0)  # BBB corporate, CRE20.42: 75%
    assert row["sa_rule"] == "CRE20.42"


@pytest.mark.parametrize(
    ("line", "column"),
    [
        ({**CORPORATE, "lgd": 0.4}, "pd"),
        ({**CORPORATE, "pd": 0.01}, "lgd"),
        ({**LINE, "exposure_class": "equity", "sub_class": "listed", "pd": 0.01, "lgd": 0.9}, "irb_class"),
        ({**LINE, "exposure_class": "retail", "sub_class": "regulatory_retail", "approach": "firb", "pd": 0.01},
         "approach"),
        ({**CORPORATE, "exposure_class": "defaulted", "irb_class": "corporate", "pd": 1.0, "lgd": 0.4}, "elbe"),
    ],
)  # fmt: skip
def test_irb_bad_input(line: dict[str, Any], column: str) -> None:
    with pytest.raises(bs.InputError) as error:
        rwa_lines(line)
    assert error.value.argument == f"positions[{column!r}]"
