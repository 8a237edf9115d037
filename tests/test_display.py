"""Tables read as a report: amounts with thousands separators, ratios as %, numbers kept for code."""

from __future__ import annotations

import pandas as pd
import pytest

import banksim as bs
from banksim.display import label

CAPITAL = {
    "own_funds": {"total_capital": 7_012_345_678.9, "tier1": 6_000_000_000.0, "cet1": 5_366_900_000.0,
                  "cet1_deductions": 120_000_000.0, "at1": 633_100_000.0, "tier2": 1_012_345_678.9},
    "rwa": {"floored_rwa": 42_801_234_567.0, "credit": 35e9, "counterparty": 3e9, "operational": 4.8e9,
            "floor_add_on": 0.0},
    "ratios": {"cet1_ratio": 0.125388, "tier1_ratio": 0.140183, "total_capital_ratio": 0.163835},
    "buffers": {"combined_buffer_requirement": 0.025, "countercyclical": 0.0, "systemic": 0.0},
    "mda": {"cet1_ratio_for_mda": 0.125388, "maximum_payout_ratio": 1.0},
    "leverage": {"exposure_measure": 110e9, "leverage_ratio": 0.054545},
}  # fmt: skip


def test_the_capital_statement_reads_as_a_report() -> None:
    statement = bs.capital_statement(CAPITAL)
    text = repr(bs.styled(statement))
    assert "5,366,900,000" in text and "12.54%" in text and "5.366900e+09" not in text
    assert "42,801,234,567" in text and "5.45%" in text  # leverage ratio
    html = bs.styled(statement).to_html()
    assert ">5,366,900,000<" in html and ">12.54%<" in html and ">100.00%<" in html
    assert statement["value"].dtype == "float64"  # the frame itself is untouched


def test_columns_are_formatted_by_what_they_hold() -> None:
    sweep = pd.DataFrame({
        "scenario": ["baseline", "combined"], "status": ["ok", "ok"], "cet1_ratio": [0.1312, 0.1009],
        "lcr": [2.025, 0.571], "floored_rwa": [38_412_000_000.4, 41_000_000_000.0], "mda_quartile": [4, 2],
        "hits": [5, 0], "seconds": [0.01234, 1.5], "num_positions": [5000, 5000],
    })  # fmt: skip
    lines = repr(bs.styled(sweep)).splitlines()
    assert lines[0].split() == ["scenario", "status", "CET1", "ratio", "LCR", "RWA", "(floored)", "MDA", "quartile",
                                "hits", "seconds", "num", "positions"]  # fmt: skip
    assert lines[1].split() == [
        "baseline",
        "ok",
        "13.12%",
        "202.50%",
        "38,412,000,000",
        "4",
        "5",
        "0.012",
        "5,000",
    ]
    assert list(sweep.dtypes.astype(str)) == ["str", "str", "float64", "float64", "float64", "int64", "int64",
                                              "float64", "int64"]  # fmt: skip


def test_small_decimals_keep_their_decimals_and_missing_values_show_a_dash() -> None:
    frame = pd.DataFrame({"pd_multiplier": [1.0, 2.5], "rwa": [1.5e9, float("nan")]}, index=["a", "b"])
    lines = repr(bs.styled(frame)).splitlines()
    assert [line.split() for line in lines] == [
        ["pd", "multiplier", "RWA"],
        ["a", "1.00", "1,500,000,000"],
        ["b", "2.50", "–"],
    ]
    assert len({len(line) for line in lines}) == 1  # aligned
    assert repr(bs.styled(frame, percent=["pd_multiplier"], labels=False)).splitlines()[1].split() == [
        "a",
        "100.00%",
        "1,500,000,000",
    ]


def test_a_summary_dict_becomes_a_table_of_its_scalars() -> None:
    summary = {"hqla": 8_117_344_817.28, "lcr": 2.0644, "lcr_met": True, "outflows_by_category": {"x": 1.0}}
    lines = repr(bs.styled(summary)).splitlines()
    assert [line.split() for line in lines] == [
        ["value"],
        ["metric"],
        ["HQLA", "8,117,344,817"],
        ["LCR", "206.44%"],
        ["LCR", "met", "True"],
    ]


def test_bad_input_is_named() -> None:
    with pytest.raises(bs.InputError, match="table"):
        bs.styled([1, 2, 3])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "words"),
    [("cet1_ratio", "CET1 ratio"), ("lcr", "LCR"), ("residential_real_estate", "residential real estate"),
     ("loans_ge_1y_rw_gt_35", "loans ≥ 1y RW > 35"), ("mdb", "MDB")],
)  # fmt: skip
def test_labels(name: str, words: str) -> None:
    assert label(name) == words
