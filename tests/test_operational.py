"""Operational risk (OPE25): the OPE25.7 example and hand-worked BI, ILM and bucket cases (methodology 5, C.14)."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import pytest

import banksim as bs
from banksim.regulation import BI_ITEMS, business_indicator_proxy, operational_risk


def years(**items: Any) -> pd.DataFrame:
    """Three years of BI items (EUR m); a scalar repeats, a list gives t-2, t-1, t."""
    base = dict.fromkeys(BI_ITEMS, 0.0)
    base.update(items)
    return pd.DataFrame({k: v if isinstance(v, list) else [v] * 3 for k, v in base.items()})


# ILDC = min(|40,000 - 10,000|, 2.25% x 2,000,000) = 30,000; SC = max(1,000, 500) + max(3,000, 1,000) = 4,000;
# FC = |800| + |-200| = 1,000; BI = 35,000.
BI_35BN = years(interest_income=40_000.0, interest_expense=10_000.0, interest_earning_assets=2_000_000.0,
                other_operating_income=1_000.0, other_operating_expense=500.0, fee_income=3_000.0,
                fee_expense=1_000.0, net_pnl_trading_book=800.0, net_pnl_banking_book=-200.0)  # fmt: skip


def test_ope25_7_example_bi_35bn() -> None:
    """OPE25.7: BI EUR 35bn -> BIC = 1 x 12% + 29 x 15% + 5 x 18% = EUR 5.37bn."""
    op = operational_risk(BI_35BN)
    assert (op["ildc"], op["sc"], op["fc"]) == (30_000.0, 4_000.0, 1_000.0)
    assert op["bi"] == 35_000.0
    assert op["bucket"] == 3
    assert op["bic"] == pytest.approx(5_370.0, rel=1e-12)
    assert op["ilm"] == 1.0  # no loss data
    assert op["rwa"] == pytest.approx(12.5 * 5_370.0, rel=1e-12)


def test_ilm_is_one_when_loss_component_equals_bic() -> None:
    """OPE25.8: LC = 15 x 358 = 5,370 = BIC -> ILM = ln(e - 1 + 1) = 1."""
    op = operational_risk(BI_35BN, annual_losses=[358.0] * 10)
    assert op["lc"] == pytest.approx(5_370.0)
    assert op["ilm"] == pytest.approx(1.0, rel=1e-12)


def test_ilm_with_losses_twice_the_bic() -> None:
    """LC = 15 x 716 = 10,740 = 2 x BIC -> ILM = ln(e - 1 + 2^0.8) = 1.240982..."""
    op = operational_risk(BI_35BN, annual_losses=[716.0] * 10)
    ilm = math.log(math.e - 1 + 2**0.8)
    assert op["ilm"] == pytest.approx(ilm, rel=1e-12)
    assert op["orc"] == pytest.approx(5_370.0 * ilm, rel=1e-12)


def test_only_the_last_ten_years_count_and_fewer_than_five_give_ilm_one() -> None:
    """methodology C.2: the most recent 10 years; with 5-9 years their average; < 5 years: ILM = 1."""
    older = [10_000.0] * 5
    assert operational_risk(BI_35BN, annual_losses=older + [358.0] * 10)["lc"] == pytest.approx(5_370.0)
    assert operational_risk(BI_35BN, annual_losses=[358.0] * 5)["lc"] == pytest.approx(5_370.0)
    assert operational_risk(BI_35BN, annual_losses=[10_000.0] * 4)["ilm"] == 1.0


def test_ildc_cap_absolute_values_per_year_and_bucket_one() -> None:
    """ILDC = min(avg |II - IE| = (100 + 100 + 400)/3 = 200, 2.25% x 8,000 = 180) + dividends 20 = 200.
    BI = 200 + 50 + 0 = 250 (bucket 1): BIC = 12% x 250 = 30; ILM = 1 even with losses (OPE25.11)."""
    bi = years(interest_income=[300.0, 100.0, 500.0], interest_expense=[200.0, 200.0, 100.0],
               interest_earning_assets=8_000.0, dividend_income=20.0, fee_income=50.0)  # fmt: skip
    op = operational_risk(bi, annual_losses=[100.0] * 10)
    assert op["ildc"] == pytest.approx(200.0)
    assert op["bi"] == pytest.approx(250.0)
    assert (op["bucket"], op["bic"], op["ilm"]) == (1, pytest.approx(30.0), 1.0)


def test_bucket_two_boundary() -> None:
    """BI = 1,000 exactly is bucket 1 (BIC 120); BI = 1,100 is bucket 2: 120 + 15% x 100 = 135."""
    assert operational_risk(years(fee_income=1_000.0))["bucket"] == 1
    op = operational_risk(years(fee_income=1_100.0))
    assert (op["bucket"], op["bic"]) == (2, pytest.approx(135.0))


@pytest.mark.parametrize(
    ("frame", "argument"),
    [
        (years(fee_income=-1.0), "business_indicator['fee_income']"),
        (years(interest_income=[1.0, math.nan, 2.0]), "business_indicator['interest_income']"),
        (years(fee_expense=math.inf), "business_indicator['fee_expense']"),
        (years(net_pnl_trading_book=["1", "x", "2"]), "business_indicator['net_pnl_trading_book']"),
        (years().drop(columns="fee_expense"), "business_indicator"),
        (years().iloc[:2], "business_indicator"),
    ],
)
def test_bad_business_indicator(frame: pd.DataFrame, argument: str) -> None:
    with pytest.raises(bs.InputError) as error:
        operational_risk(frame)
    assert error.value.argument == argument


def test_a_negative_trading_result_is_allowed() -> None:
    """Net P&L items are signed (OPE25.4): a loss year is a number like any other."""
    assert operational_risk(years(net_pnl_trading_book=-5.0, fee_income=10.0))["bic"] >= 0


def test_negative_losses_are_rejected() -> None:
    with pytest.raises(bs.InputError, match="annual_losses"):
        operational_risk(BI_35BN, annual_losses=[1.0, -2.0])


def test_proxy_for_the_generated_bank_is_in_eur_millions() -> None:
    positions = bs.generate_positions(2_000, seed=3)
    proxy = business_indicator_proxy(positions)
    assets = positions.loc[positions["side"] == "asset", "drawn_amount"].sum() / 1e6
    assert list(proxy.columns) == list(BI_ITEMS)
    assert 0 < proxy.loc["t", "interest_earning_assets"] <= assets
    assert proxy.loc["t-2", "fee_income"] == pytest.approx(0.94 * proxy.loc["t", "fee_income"])
