"""The management workbook and the open exports: read back, the numbers are the library's."""

from __future__ import annotations

import gzip
import io
import json
import math
import re
import zipfile
from collections.abc import Callable
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pytest
import xlsxwriter

import banksim as bs
from banksim import reporting
from banksim.reporting import excel_workbook, summary
from banksim.reporting.bulk import bulk_sheet_class, text_codes
from banksim.steps import STEPS, HeadlineColumn, Step


@pytest.fixture(scope="module")
def run() -> bs.PipelineResult:
    positions = bs.generate_positions(3_000, 8, include_derivatives=True)
    rwa = bs.risk_weighted_assets(positions)
    lcr, nsfr, liquidity = bs.liquidity(positions)
    capital = bs.capital_adequacy(rwa, bs.own_funds(positions), {"countercyclical_rates": {"DE": 0.01}})
    return bs.PipelineResult(bs.SCENARIOS["baseline"], positions, rwa, lcr, nsfr, liquidity, capital, {})


@pytest.fixture(scope="module")
def book(run: bs.PipelineResult) -> openpyxl.Workbook:
    data = excel_workbook(
        run.positions, run.rwa, run.lcr, run.nsfr, run.capital, run.liquidity, "baseline", "abc123"
    )
    return openpyxl.load_workbook(io.BytesIO(data))


def values(sheet: openpyxl.worksheet.worksheet.Worksheet) -> dict[str, object]:
    """First column -> second column of a two-column sheet."""
    return {row[0]: row[1] for row in sheet.iter_rows(values_only=True) if row and row[0] is not None}


def test_sheets_in_order(book: openpyxl.Workbook) -> None:
    assert book.sheetnames == ["Summary", "RWA", "LCR", "NSFR", "Capital", "RWA detail"]


def summary_rows(
    sheet: openpyxl.worksheet.worksheet.Worksheet,
) -> dict[object, tuple[openpyxl.cell.Cell, ...]]:
    """Label in column A -> its row of cells."""
    return {row[0].value: row for row in sheet.iter_rows() if row[0].value is not None}


def test_summary_shows_ratios_against_requirements_with_formulas_and_traffic_lights(
    book: openpyxl.Workbook, run: bs.PipelineResult
) -> None:
    sheet = book["Summary"]
    rows = summary_rows(sheet)
    cet1 = rows["CET1 ratio"]
    assert cet1[1].value == pytest.approx(run.capital["ratios"]["cet1_ratio"], rel=1e-12)
    # 4.5% + 2.5% CCB + 1% CCyB on DE exposures, weighted by DE's share of private-sector RWA.
    assert cet1[2].value == pytest.approx(
        0.045 + run.capital["buffers"]["combined_buffer_requirement"], rel=1e-12
    )
    assert cet1[3].value == f"=B{cet1[3].row}-C{cet1[3].row}"
    assert cet1[1].number_format == "0.00%"
    assert cet1[4].value == "met" and cet1[4].fill.start_color.rgb.endswith("C6EFCE")
    assert rows["Liquidity coverage ratio (LCR)"][1].value == pytest.approx(run.liquidity["lcr"], rel=1e-12)
    assert rows["Net stable funding ratio (NSFR)"][1].value == pytest.approx(run.liquidity["nsfr"], rel=1e-12)
    assert rows["Scenario"][1].value == "baseline"
    assert rows["Parameters hash"][1].value == "abc123"
    assert rows["banksim version"][1].value == bs.__version__
    assert rows["Positions"][1].value == len(run.positions)  # a number, not text


def test_summary_shows_every_headline_metric_of_the_steps(
    book: openpyxl.Workbook, run: bs.PipelineResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The summary iterates the step registry: each step's headline metrics, in the registry's
    order, and a metric a new step adds under its own label."""
    rows = summary_rows(book["Summary"])
    results = {"capital": run.capital, "liquidity": run.liquidity}
    names = []
    # the metrics of the results the workbook is given (ECL and IRRBB have sheets of their own to come)
    for column in (c for step in STEPS for c in step.headline if c.output in results):
        name = summary.WORDS[column.name]
        assert rows[name][1].value == pytest.approx(float(column.read(results)), rel=1e-12), name
        names.append(name)
    shown = [row[0].value for row in book["Summary"].iter_rows() if row[0].value in names]
    for block in (summary.REQUIREMENTS, summary.AMOUNTS, summary.LIMITS):  # each in the registry's order
        expected = [
            summary.WORDS[c.name]
            for step in STEPS
            for c in step.headline
            if c.name in block and c.output in results
        ]
        assert [name for name in shown if name in expected] == expected
    assert shown[:2] == [
        "Liquidity coverage ratio (LCR)",
        "Net stable funding ratio (NSFR)",
    ]  # liquidity comes before capital
    extra = Step(
        "extra", "Extra step", "compute_capital", ("rwa",), ("capital",),
        headline=(HeadlineColumn("cet1_surplus_points", "CET1 surplus in points", "capital", ("ratios", "cet1_ratio")),),
    )  # fmt: skip
    monkeypatch.setattr(summary, "STEPS", (*STEPS, extra))
    data = excel_workbook(run.positions, run.rwa, run.lcr, run.nsfr, run.capital, run.liquidity)
    rows = summary_rows(openpyxl.load_workbook(io.BytesIO(data))["Summary"])
    assert "Other headline metrics" in rows
    assert rows["CET1 surplus in points"][1].value == pytest.approx(run.capital["ratios"]["cet1_ratio"])


def test_a_breach_is_red(run: bs.PipelineResult) -> None:
    capital = bs.capital_adequacy(run.rwa, {"cet1": 1.0})  # a bank with almost no capital
    data = excel_workbook(run.positions, run.rwa, run.lcr, run.nsfr, capital, run.liquidity)
    status = summary_rows(openpyxl.load_workbook(io.BytesIO(data))["Summary"])["CET1 ratio"][4]
    assert status.value == "BREACH" and status.fill.start_color.rgb.endswith("FFC7CE")


def test_rwa_sheet_matches_the_summary_and_has_a_chart(
    book: openpyxl.Workbook, run: bs.PipelineResult
) -> None:
    sheet = book["RWA"]
    frame = pd.DataFrame(
        list(sheet.iter_rows(min_row=2, values_only=True)), columns=[c.value for c in sheet[1]]
    )
    body = frame[frame["Risk type"] != "Total"]
    expected = bs.rwa_summary(run.rwa)
    assert body["RWA (EUR)"].sum() == pytest.approx(expected["rwa"].sum(), rel=1e-12)
    assert frame.iloc[-1]["RWA (EUR)"] == f"=SUM(F2:F{len(body) + 1})"
    assert sheet.auto_filter.ref == f"A1:H{len(body) + 1}"
    assert sheet["F2"].number_format == "#,##0" and sheet["H2"].number_format == "0.00%"
    assert len(sheet._charts) == 1


def test_lcr_nsfr_and_capital_sheets(book: openpyxl.Workbook, run: bs.PipelineResult) -> None:
    lcr = values(book["LCR"])
    assert lcr["HQLA after caps"] == pytest.approx(run.liquidity["hqla"], rel=1e-12)
    assert lcr["Adjustment for the 15% Level 2B cap"] == pytest.approx(
        run.liquidity["adjustment_15_percent_cap"]
    )
    assert lcr["Net cash outflows"] == pytest.approx(run.liquidity["net_outflows"], rel=1e-12)
    assert lcr["LCR"] == pytest.approx(run.liquidity["lcr"], rel=1e-12)
    nsfr = values(book["NSFR"])
    assert nsfr["Available stable funding"] == pytest.approx(run.liquidity["asf"], rel=1e-12)
    assert nsfr["NSFR"] == pytest.approx(run.liquidity["nsfr"], rel=1e-12)
    rows = len(bs.capital_statement(run.capital))  # the statement's rows, then the requirements
    capital = {
        row[1]: row[2] for row in book["Capital"].iter_rows(min_row=2, max_row=rows + 1, values_only=True)
    }
    assert capital["Common Equity Tier 1 capital"] == pytest.approx(run.capital["own_funds"]["cet1"])
    assert capital["Total risk exposure amount"] == pytest.approx(run.capital["rwa"]["floored_rwa"])
    assert capital["Leverage ratio"] == pytest.approx(run.capital["leverage"]["leverage_ratio"])


def test_detail_sheet_holds_every_line(book: openpyxl.Workbook, run: bs.PipelineResult) -> None:
    frame = pd.read_excel(io.BytesIO(_save(book)), sheet_name="RWA detail")
    assert len(frame) == len(run.rwa)
    assert frame["RWA (EUR)"].sum() == pytest.approx(run.rwa["rwa"].sum(), rel=1e-12)
    assert list(frame["Position ID"][:3]) == list(run.rwa["position_id"][:3].astype(str))


def _save(book: openpyxl.Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_row_limit_splits_the_detail_or_leaves_it_out_with_a_note(
    run: bs.PipelineResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reporting.detail, "EXCEL_MAX_ROWS", 1_001)  # 1,000 lines per sheet
    lines = len(run.rwa)
    data = excel_workbook(run.positions, run.rwa, run.lcr, run.nsfr, run.capital, run.liquidity)
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    parts = [name for name in book.sheetnames if name.startswith("RWA detail")]
    assert len(parts) == -(-lines // 1_000)
    assert sum(sum(1 for _ in book[name].iter_rows(min_row=2)) for name in parts) == lines  # nothing lost
    monkeypatch.setattr(
        reporting.detail, "EXCEL_MAX_ROWS", 101
    )  # would need more than MAX_DETAIL_SHEETS sheets
    data = excel_workbook(run.positions, run.rwa, run.lcr, run.nsfr, run.capital, run.liquidity)
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    assert book["RWA detail"]["A1"].value.startswith(f"Left out: {lines:,} lines")


def test_mismatched_or_missing_inputs_are_errors(run: bs.PipelineResult) -> None:
    other = bs.generate_positions(50, 99)
    with pytest.raises(bs.InputError, match="mismatched"):
        excel_workbook(other, run.rwa, run.lcr, run.nsfr, run.capital)
    with pytest.raises(bs.InputError) as error:
        excel_workbook(run.positions, run.rwa.drop(columns="rwa"), run.lcr, run.nsfr, run.capital)
    assert error.value.argument == "rwa"
    with pytest.raises(bs.InputError, match="compute_capital"):
        excel_workbook(run.positions, run.rwa, run.lcr, run.nsfr, {"cet1": 1})


def test_workbook_is_cached_as_an_artifact(sqlite_store: bs.Store, run: bs.PipelineResult) -> None:
    args = (run.positions, run.rwa, run.lcr, run.nsfr, run.capital, run.liquidity)
    first, hit = bs.create_excel_export(*args)
    again, hit2 = bs.create_excel_export(*args)
    assert (hit, hit2) == (False, True) and first == again
    key = summary_rows(openpyxl.load_workbook(io.BytesIO(first))["Summary"])["Parameters hash"][1].value
    assert len(key) > 30  # the cache key, in full


@pytest.mark.parametrize("compression", [None, "gzip"])
@pytest.mark.parametrize("fmt", ["parquet", "csv", "json"])
def test_exports_round_trip(tmp_path, run: bs.PipelineResult, fmt: str, compression: str | None) -> None:  # type: ignore[no-untyped-def]
    table = (
        run.rwa[["position_id", "exposure_class", "rwa"]].head(50).assign(as_of=pd.Timestamp("2026-11-26"))
    )
    path = bs.export(table, tmp_path / f"rwa.{fmt}", format=fmt, compression=compression)
    if fmt == "parquet":
        back = pd.read_parquet(path)
    elif fmt == "csv":
        back = pd.read_csv(path, compression="gzip" if compression else None)
    else:
        raw = path.read_bytes()
        records = json.loads(gzip.decompress(raw) if compression else raw)
        assert records[0]["as_of"].startswith("2026-11-26T00:00:00")  # ISO dates
        back = pd.DataFrame(records)
    assert list(back["position_id"].astype(str)) == list(table["position_id"].astype(str))
    assert back["rwa"].to_numpy() == pytest.approx(table["rwa"].to_numpy(), rel=1e-12)


def test_dict_exports_and_bad_formats(tmp_path, run: bs.PipelineResult) -> None:  # type: ignore[no-untyped-def]
    path = bs.export(run.capital, tmp_path / "capital.json.gz", format="json", compression="gzip")
    assert json.loads(gzip.decompress(path.read_bytes()))["ratios"] == run.capital["ratios"]
    with pytest.raises(bs.InputError, match="format"):
        bs.export(run.rwa, tmp_path / "x.xml", format="xml")
    with pytest.raises(bs.InputError, match="JSON"):
        bs.export(run.capital, tmp_path / "x.csv", format="csv")
    with pytest.raises(bs.InputError, match="compression"):
        bs.export(run.rwa, tmp_path / "x.csv", format="csv", compression="zip")


# -- the detail's bulk columns ----------------------------------------------------------------------

TRICKY = ['a & b <c> "d"', " leading", "trailing ", "ünïcødé €", "x_x0041_y", "tab\there", "bell\x07", "=1+1"]


def _bulk_file(fill: Callable[[Any, Any], None]) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, reporting.WORKBOOK_OPTIONS)
    fill(book, book.add_worksheet("bulk", worksheet_class=bulk_sheet_class()))
    book.close()
    return buffer.getvalue()


def _bulk_workbook(fill: Callable[[Any, Any], None]) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(_bulk_file(fill)))


def test_bulk_text_is_written_as_shared_strings_are() -> None:
    """Distinct texts go inline, repeated ones to the shared strings, each escaped the same way
    (markup, spaces, control characters as _xHHHH_, a literal _xHHHH_ with its underscore
    escaped); missing and empty values stay blank."""

    def fill(book: Any, sheet: Any) -> None:
        sheet.text_column(0, 0, TRICKY)  # all distinct: inline strings
        sheet.text_column(0, 1, pd.Series(TRICKY * 3, dtype="category"))  # repeated: shared strings
        sheet.text_column(len(TRICKY) * 3, 1, pd.Series(["", None, "z"], dtype=object))

    data = _bulk_file(fill)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
        shared = re.findall(r"<si>(<t[^>]*>.*?</t>)</si>", archive.read("xl/sharedStrings.xml").decode())
    inline = re.findall(r'<c r="A\d+" t="inlineStr"><is>(<t[^>]*>.*?</t>)</is></c>', sheet)
    assert inline == shared[: len(TRICKY)]  # the same elements, written by XlsxWriter for the sst
    assert inline[6] == "<t>bell_x0007_</t>" and inline[4] == "<t>x_x005F_x0041_y</t>"
    assert inline[1] == '<t xml:space="preserve"> leading</t>'
    assert len(re.findall(r'<c r="B\d+" t="s"><v>\d+</v></c>', sheet)) == len(TRICKY) * 3  # "z" alone: inline
    book = openpyxl.load_workbook(io.BytesIO(data))["bulk"]
    rows = list(book.iter_rows(values_only=True))
    plain = [0, 1, 2, 3, 5, 7]  # openpyxl reads _xHHHH_ escapes of inline strings as they are
    assert [rows[i][0] for i in plain] == [rows[i][1] for i in plain] == [TRICKY[i] for i in plain]
    assert [row[1] for row in rows[len(TRICKY) * 3 :]] == [None, None, "z"]
    assert book.dimensions == f"A1:B{len(TRICKY) * 3 + 3}"


def test_bulk_numbers_read_back_exactly() -> None:
    """Every finite float round-trips bit for bit (0.1 + 0.2 = 0.30000000000000004 needs 17
    digits); NaN and infinities stay blank."""
    values = [0.1 + 0.2, 1 / 3, 1e16, -2.5e-300, 123456789.123456789, math.nan, math.inf, 5.0]

    def fill(book: Any, sheet: Any) -> None:
        sheet.number_column(0, 0, np.array(values), book.add_format({"num_format": "#,##0"}))

    sheet = _bulk_workbook(fill)["bulk"]
    back = [row[0].value for row in sheet.iter_rows()]
    assert back == [0.30000000000000004, 1 / 3, 1e16, -2.5e-300, 123456789.123456789, None, None, 5.0]
    assert all(sheet.cell(row, 1).number_format == "#,##0" for row in (1, 2, 8))


def test_bulk_text_is_cut_at_the_cell_limit_and_cannot_mix_with_single_cells() -> None:
    def fill(book: Any, sheet: Any) -> None:
        sheet.text_column(0, 0, ["x" * 40_000, "y"])

    assert len(_bulk_workbook(fill)["bulk"]["A1"].value) == 32_767  # Excel's limit per cell

    def mixed(book: Any, sheet: Any) -> None:
        sheet.text_column(1, 0, ["a"])
        sheet.write_string(0, 0, "b")

    with pytest.raises(ValueError, match="mixes bulk columns with single cells"):
        _bulk_workbook(mixed)


# -- the IFRS 9 and IRRBB sheets, and the RWA sheet's CRM, CVA and market-risk lines ----------------


ECL_SUMMARY = pd.DataFrame(
    {
        "stage": [1, 1, 2, 3],
        "exposure_class": ["retail", "corporate", "retail", "defaulted"],
        "exposures": [60, 40, 8, 2],
        "ead_0": [600e6, 400e6, 100e6, 50e6],
        "ecl_12m": [2e6, 1e6, 1e6, 20e6],
        "ecl_lifetime": [9e6, 5e6, 3e6, 20e6],
        "loss_allowance": [2e6, 1e6, 3e6, 20e6],
        "coverage": [2e6 / 600e6, 1e6 / 400e6, 3e6 / 100e6, 20e6 / 50e6],
    }
)
SHOCKS = ["parallel_up", "parallel_down", "steepener", "flattener", "short_up", "short_down"]


def _irrbb_outputs() -> dict[str, Any]:
    eur = [-100e6, 90e6, 30e6, -20e6, -50e6, 60e6]  # a loss positive
    usd = [10e6, -12e6, 4e6, -1e6, 2e6, -3e6]
    eve = pd.DataFrame(
        {"currency": ["EUR"] * 6 + ["USD"] * 6, "scenario": SHOCKS * 2, "delta_eve_reporting": eur + usd}
    )
    # Basel losses only (methodology 13.7): per shock sum of max(0, x_c)
    basel = {s: max(0.0, e) + max(0.0, u) for s, e, u in zip(SHOCKS, eur, usd, strict=True)}
    assert basel == {"parallel_up": 10e6, "parallel_down": 90e6, "steepener": 34e6, "flattener": 0.0,
                     "short_up": 2e6, "short_down": 60e6}  # fmt: skip
    tests = {
        "basel": {"measure": 90e6, "worst_scenario": "parallel_down", "tier1": 500e6, "ratio": 0.18,
                  "threshold": 0.15, "outlier": True},  # 90 / 500 = 18% > 15%
        "eu_sot": {"measure": 84e6, "worst_scenario": "parallel_down", "tier1": 500e6, "ratio": 0.168,
                   "threshold": 0.15, "outlier": True},  # 90 - 0.5 x 12 = 84; 84 / 500 = 16.8%
    }  # fmt: skip
    nii = pd.DataFrame(
        {
            "currency": ["EUR", "EUR", "USD", "USD"],
            "scenario": ["parallel_up", "parallel_down"] * 2,
            "delta_nii_reporting": [25e6, -25e6, -2e6, 2e6],
        }
    )
    irrbb = {"aggregation": "basel", "tier1": 500e6, "delta_eve": basel, "outlier_tests": tests,
             "delta_nii_parallel_up": 23e6, "delta_nii_parallel_down": -23e6}  # fmt: skip
    return {"ecl_summary": ECL_SUMMARY, "irrbb": irrbb, "irrbb_eve": eve, "irrbb_nii": nii}


@pytest.fixture(scope="module")
def full_book(run: bs.PipelineResult) -> openpyxl.Workbook:
    data = excel_workbook(
        run.positions, run.rwa, run.lcr, run.nsfr, run.capital, run.liquidity, "baseline", "abc123",
        outputs=_irrbb_outputs(),
    )  # fmt: skip
    return openpyxl.load_workbook(io.BytesIO(data), data_only=True)


def _rows(sheet: Any) -> list[tuple[Any, ...]]:
    return [row for row in sheet.iter_rows(values_only=True) if any(c is not None for c in row)]


def test_the_new_sheets_come_only_with_their_results(
    book: openpyxl.Workbook, full_book: openpyxl.Workbook
) -> None:
    assert "IFRS 9" not in book.sheetnames and "IRRBB" not in book.sheetnames
    assert full_book.sheetnames[:7] == ["Summary", "RWA", "LCR", "NSFR", "Capital", "IFRS 9", "IRRBB"]


def test_ifrs9_sheet_shows_the_allowance_by_stage_and_class(full_book: openpyxl.Workbook) -> None:
    rows = _rows(full_book["IFRS 9"])
    assert rows[1][:8] == ("Stage", "Exposure class", "Exposures", "Exposure at default (EUR)",
                           "12-month ECL (EUR)", "Lifetime ECL (EUR)", "Loss allowance (EUR)", "Coverage")  # fmt: skip
    lines = {(r[0], r[1]): r for r in rows[2:6]}
    assert lines[("Stage 1", "Corporates")][2:7] == (40, 400e6, 1e6, 5e6, 1e6)
    assert lines[("Stage 3", "Defaulted exposures")][7] == pytest.approx(0.4)  # 20 / 50
    totals = {r[0]: r for r in rows[7:]}
    # stage 1: 3 m on 1,000 m = 0.3%, share 3 / 26; total 26 m on 1,150 m
    assert totals["Stage 1"][2:4] == (100, 1000e6) and totals["Stage 1"][6] == 3e6
    assert totals["Stage 1"][7] == pytest.approx(0.003, abs=1e-15)
    assert totals["Stage 1"][8] == pytest.approx(3 / 26, abs=1e-15)
    assert totals["Total"][6] == 26e6 and totals["Total"][7] == pytest.approx(26 / 1150, abs=1e-15)
    words = [c for r in rows for c in r if isinstance(c, str)]
    assert not [w for w in words if "_" in w]


def test_irrbb_sheet_shows_delta_eve_by_shock_and_currency_and_the_outlier_test(
    full_book: openpyxl.Workbook,
) -> None:
    rows = _rows(full_book["IRRBB"])
    assert rows[1] == ("Shock scenario", "ΔEVE EUR (EUR)", "ΔEVE USD (EUR)", "ΔEVE, Basel, losses only (EUR)",
                       "ΔEVE / Tier 1", None, None)[: len(rows[1])]  # fmt: skip
    eve = {r[0]: r for r in rows[2:8]}
    assert list(eve) == ["Parallel up", "Parallel down", "Steepener", "Flattener", "Short rates up",
                         "Short rates down"]  # fmt: skip
    assert eve["Parallel down"][1:5] == (90e6, -12e6, 90e6, pytest.approx(0.18))  # 90 / 500
    assert eve["Steepener"][3] == 34e6 and eve["Flattener"][3] == 0  # 30 + 4; losses only
    tests = {r[0]: r for r in rows if r[0] in ("Basel, losses only", "EU, gains at 50%")}
    assert tests["Basel, losses only"][1:7] == ("Parallel down", 90e6, 500e6, 0.18, 0.15, "BREACH")
    assert tests["EU, gains at 50%"][2] == 84e6
    nii = {r[0]: r for r in rows[rows.index(next(r for r in rows if r[0] == "ΔNII, 12 months")) :]}
    assert nii["ΔNII, 12 months"][1:4] == ("ΔNII EUR (EUR)", "ΔNII USD (EUR)", "ΔNII total (EUR)")
    assert nii["Parallel up"][1:4] == (25e6, -2e6, 23e6) and nii["Parallel down"][3] == -23e6
    words = [c for r in rows for c in r if isinstance(c, str)]
    assert not [w for w in words if "_" in w]


def test_rwa_sheet_shows_crm_columns_and_cva_and_market_risk(run: bs.PipelineResult) -> None:
    rwa = run.rwa.assign(exposure_before_crm=run.rwa["exposure"] * 2, rwa_before_crm=run.rwa["rwa"] + 1.0)
    capital = {**run.capital, "rwa": {**run.capital["rwa"], "cva": 123e6, "market_risk": 45e6}}
    data = excel_workbook(run.positions, rwa, run.lcr, run.nsfr, capital, run.liquidity, "baseline")
    rows = _rows(openpyxl.load_workbook(io.BytesIO(data), data_only=True)["RWA"])
    assert rows[0][8:10] == ("Exposure before CRM (EUR)", "RWA before CRM (EUR)")
    total = next(r for r in rows if r[0] == "Total")
    assert total[5] == pytest.approx(run.rwa["rwa"].sum(), rel=1e-12)
    assert total[8] == pytest.approx(2 * run.rwa["exposure"].sum(), rel=1e-12)
    assert total[9] == pytest.approx(run.rwa["rwa"].sum() + len(run.rwa), rel=1e-12)  # +1 per line
    below = {r[0]: r[5] for r in rows[rows.index(total) + 1 :]}
    assert below == {"CVA risk (MAR50)": 123e6, "Market risk (MAR40)": 45e6}


def test_a_pipeline_result_passed_whole_brings_its_ifrs9_and_irrbb_sheets() -> None:
    """create_excel_export(result) gives the run's ECL and IRRBB results their sheets (the explorer's
    download passes the result whole); separate frames carry none, as they hold no such results."""
    result = bs.run_pipeline(2_000, seed=3)
    whole, _ = bs.create_excel_export(result)
    frames, _ = bs.create_excel_export(
        result.positions, result.rwa, result.lcr, result.nsfr, result.capital, result.liquidity
    )
    with_sheets = openpyxl.load_workbook(io.BytesIO(whole), data_only=True)
    without = openpyxl.load_workbook(io.BytesIO(frames), data_only=True)
    assert "IFRS 9" in with_sheets.sheetnames and "IRRBB" in with_sheets.sheetnames
    assert "IFRS 9" not in without.sheetnames and "IRRBB" not in without.sheetnames
    allowance = float(result.outputs["ecl_summary"]["loss_allowance"].sum())
    numbers = [
        c for row in with_sheets["IFRS 9"].iter_rows(values_only=True) for c in row if isinstance(c, float)
    ]
    assert any(c == pytest.approx(allowance, rel=1e-9) for c in numbers), (
        "the total allowance is on the sheet"
    )


def test_mixed_text_columns_keep_1_true_and_1_0_apart() -> None:
    """An object column holding 1, True and 1.0 writes each as its own text (pandas' factorize alone
    would take them for one value); missing and empty values stay blank (-1)."""
    codes, texts = text_codes([1, True, 1.0, "a", None, "", 1])
    assert [texts[c] if c >= 0 else None for c in codes] == ["1", "True", "1.0", "a", None, None, "1"]
