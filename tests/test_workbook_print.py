"""The management workbook as people print and read it: values behind formulas, words for labels,
widths that fit, print setup on every sheet, the scenario it was computed under, and its pages
rendered by LibreOffice (headless; CI sets BANKSIM_REQUIRE_E2E=1, so a missing soffice fails there)."""

from __future__ import annotations

import io
import math
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import banksim as bs
from banksim.reporting import excel_workbook

SMALL_SHEETS = ["Summary", "RWA", "LCR", "NSFR", "Capital"]


@pytest.fixture(scope="module")
def run() -> bs.PipelineResult:
    positions = bs.generate_positions(1_500, 8, include_derivatives=True)
    rwa = bs.risk_weighted_assets(positions)
    lcr, nsfr, liquidity = bs.liquidity(positions)
    capital = bs.capital_adequacy(rwa, bs.own_funds(positions))
    scenario = bs.SCENARIOS["severe_recession"]
    return bs.PipelineResult(scenario, positions, rwa, lcr, nsfr, liquidity, capital, {})


@pytest.fixture(scope="module")
def workbook(run: bs.PipelineResult) -> bytes:
    return excel_workbook(
        run.positions, run.rwa, run.lcr, run.nsfr, run.capital, run.liquidity, "severe_recession", "f" * 64
    )


@pytest.fixture(scope="module")
def values(workbook: bytes) -> openpyxl.Workbook:
    """The workbook as a viewer that reads stored values sees it."""
    return openpyxl.load_workbook(io.BytesIO(workbook), data_only=True)


@pytest.fixture(scope="module")
def formulas(workbook: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(workbook))


def by_label(sheet) -> dict[object, tuple]:  # type: ignore[no-untyped-def]
    return {row[0]: row for row in sheet.iter_rows(values_only=True) if row and row[0] is not None}


# -- formulas carry their values ------------------------------------------------------------------


def test_formula_cells_read_back_with_their_values(
    values: openpyxl.Workbook, formulas: openpyxl.Workbook, run: bs.PipelineResult
) -> None:
    checked = 0
    for sheet in ("Summary", "RWA"):
        for row in formulas[sheet].iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    stored = values[sheet][cell.coordinate].value
                    assert isinstance(stored, float), (sheet, cell.coordinate, cell.value, stored)
                    checked += 1
    assert checked == 9  # six surpluses, three RWA totals
    summary = by_label(values["Summary"])
    cet1 = summary["CET1 ratio"]
    assert cet1[3] == pytest.approx(cet1[1] - cet1[2], abs=1e-15)
    totals = by_label(values["RWA"])["Total"]
    assert totals[5] == pytest.approx(run.rwa["rwa"].sum(), rel=1e-12)
    assert totals[4] == pytest.approx(run.rwa["exposure"].sum(), rel=1e-12)


def test_pandas_reads_the_totals_as_numbers(workbook: bytes, run: bs.PipelineResult) -> None:
    frame = pd.read_excel(io.BytesIO(workbook), sheet_name="RWA")
    total = frame[frame["Risk type"] == "Total"].iloc[0]
    assert total["RWA (EUR)"] == pytest.approx(run.rwa["rwa"].sum(), rel=1e-12)
    summary = pd.read_excel(io.BytesIO(workbook), sheet_name="Summary", header=None)
    surplus = (
        summary[summary[0] == "NSFR"]
        if "NSFR" in set(summary[0])
        else summary[summary[0] == "Net stable funding ratio (NSFR)"]
    )
    assert surplus.iloc[0, 3] == pytest.approx(run.liquidity["nsfr"] - 1.0, abs=1e-12)


# -- words, numbers and widths --------------------------------------------------------------------


def test_labels_are_words_not_identifiers(values: openpyxl.Workbook) -> None:
    for name in SMALL_SHEETS:
        text = [c for row in values[name].iter_rows(values_only=True) for c in row if isinstance(c, str)]
        identifiers = [t for t in text if "_" in t and t != "severe_recession"]  # the scenario's own name
        assert not identifiers, (name, identifiers)
    capital = [row[1] for row in values["Capital"].iter_rows(values_only=True)]
    assert "CET1: Pillar 1 and Pillar 2" in capital
    detail = next(values["RWA detail"].iter_rows(max_row=1, values_only=True))
    assert detail[:3] == ("Position ID", "Risk type", "Exposure class") and "RWA (EUR)" in detail


def test_numbers_stay_numbers(formulas: openpyxl.Workbook) -> None:
    for name, column in (("LCR", 1), ("NSFR", 1), ("Capital", 2)):
        for row in formulas[name].iter_rows(min_row=3 if name != "Capital" else 2, max_row=22):
            if row[0].value is not None and row[column].value is not None:
                assert row[column].data_type == "n", (name, row[column].coordinate, row[column].value)
    summary = {row[0].value: row for row in formulas["Summary"].iter_rows() if row[0].value}
    assert summary["Positions"][1].data_type == "n"
    assert summary["Generated (UTC)"][1].is_date
    amounts = [formulas["RWA"]["F2"], summary["CET1 capital"][1], summary["CET1 ratio"][1]]
    assert all(c.alignment.horizontal in (None, "general") for c in amounts)  # numbers right-aligned


def _shown(value: object, number_format: str) -> str:
    """The text a cell shows (for the formats the workbook uses)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:.2%}" if "%" in number_format else f"{value:,.0f}"
    return str(value)


def test_columns_are_wide_enough_for_their_content(formulas: openpyxl.Workbook) -> None:
    """No ### and no cut label: each column is wider than the longest value shown in it (the
    summary's facts block and titles may run on into empty cells, which Excel shows in full)."""
    for name in [*SMALL_SHEETS, "RWA detail"]:
        sheet = formulas[name]
        first = {"Summary": 8, "LCR": 2, "NSFR": 2}.get(name, 1)  # below the title and facts
        for row in sheet.iter_rows(min_row=first, max_row=min(sheet.max_row, 400)):
            for cell in row:
                if cell.value is None or (isinstance(cell.value, str) and cell.value.startswith("=")):
                    continue
                width = sheet.column_dimensions[cell.column_letter].width
                needed = len(_shown(cell.value, cell.number_format)) * (1.1 if cell.font.b else 1.0)
                assert width >= needed + 1, (name, cell.coordinate, cell.value, width)


# -- print setup ----------------------------------------------------------------------------------


def test_every_sheet_is_set_up_to_print(formulas: openpyxl.Workbook) -> None:
    landscape = {"RWA", "Capital", "RWA detail"}
    titles = {"RWA": "$1:$1", "Capital": "$1:$1", "RWA detail": "$1:$1", "LCR": "$1:$2", "NSFR": "$1:$2"}
    for sheet in formulas.worksheets:
        setup = sheet.page_setup
        assert sheet.sheet_properties.pageSetUpPr.fitToPage, sheet.title
        assert setup.fitToWidth in (None, 1) and setup.paperSize == 9, sheet.title  # None: the default, 1
        if sheet.title in landscape or sheet.title == "Summary":  # LCR and NSFR: as wide as their labels
            assert setup.orientation == ("landscape" if sheet.title in landscape else "portrait"), sheet.title
        height = 1 if setup.fitToHeight is None else setup.fitToHeight  # 1 is the default, left out
        assert height == (1 if sheet.title in ("Summary", "RWA") else 0), sheet.title  # 0: any height
        if sheet.title in titles:
            assert sheet.print_title_rows == titles[sheet.title], sheet.title
        assert "&A" in sheet.oddFooter.left.text  # the sheet's name on each page
    assert formulas.active.title == "Summary"


# -- the scenario label -----------------------------------------------------------------------------


def _scenario(workbook: bytes) -> object:
    return by_label(openpyxl.load_workbook(io.BytesIO(workbook))["Summary"])["Scenario"][1]


def _jurisdiction(workbook: bytes) -> object:
    return by_label(openpyxl.load_workbook(io.BytesIO(workbook))["Summary"])["Jurisdiction"][1]


def test_a_pipeline_result_names_its_scenario(sqlite_store: bs.Store) -> None:
    result = bs.run_pipeline(400, seed=3, scenario="severe_recession")
    workbook, _ = bs.create_excel_export(result)
    assert _scenario(workbook) == "severe_recession"
    assert result.parameters == "basel" and _jurisdiction(workbook) == "basel"  # beside the scenario
    again, hit = bs.create_excel_export(result, scenario="severe_recession")  # the same name agrees
    assert hit and again == workbook
    frames = (result.positions, result.rwa, result.lcr, result.nsfr, result.capital, result.liquidity)
    unnamed, _ = bs.create_excel_export(*frames)
    assert _scenario(unnamed) == "unnamed scenario"  # never a name it was not computed under
    assert _jurisdiction(unnamed) == "not stated"  # separate frames do not say
    named, _ = bs.create_excel_export(*frames, scenario="severe_recession")
    assert _scenario(named) == "severe_recession"
    eu = bs.run_pipeline(400, seed=3, scenario="severe_recession", parameters="eu_crr3")
    eu_workbook, eu_hit = bs.create_excel_export(eu)
    assert not eu_hit and _jurisdiction(eu_workbook) == "eu_crr3"
    with pytest.raises(bs.InputError) as error:
        bs.create_excel_export(result, scenario="baseline")
    assert error.value.argument == "scenario"
    with pytest.raises(bs.InputError) as error:
        bs.create_excel_export(result, result.rwa)
    assert error.value.argument == "rwa"
    with pytest.raises(bs.InputError) as error:
        bs.create_excel_export(result.positions, result.rwa)
    assert error.value.argument == "lcr"


def _chart_title(workbook: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(workbook)) as archive:
        chart = archive.read("xl/charts/chart1.xml").decode()
    title = re.search(r"<c:title>(.*?)</c:title>", chart, re.S)  # the chart's, before the axes' titles
    assert title
    return "".join(re.findall(r"<a:t>(.*?)</a:t>", title.group(1)))


def test_chart_title_names_the_approach_only_when_there_are_several(
    workbook: bytes, run: bs.PipelineResult
) -> None:
    assert set(run.rwa["approach"].astype(str)) == {"sa"}
    assert _chart_title(workbook) == "RWA by exposure class"
    rwa = run.rwa.copy()
    rwa["approach"] = rwa["approach"].astype(str)
    rwa.loc[rwa["exposure_class"].astype(str) == "corporate", "approach"] = "firb"
    mixed = excel_workbook(run.positions, rwa, run.lcr, run.nsfr, run.capital, run.liquidity)
    assert _chart_title(mixed) == "RWA by exposure class and approach"


# -- rendered by LibreOffice ------------------------------------------------------------------------


def _require(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        reason = f"{tool} is not installed (apt-get install libreoffice-calc poppler-utils)"
        if os.environ.get("BANKSIM_REQUIRE_E2E") == "1":
            pytest.fail(reason + " and BANKSIM_REQUIRE_E2E=1")
        pytest.skip(reason)
    return path


def render_pdf(workbook: bytes, folder: Path) -> Path:
    """The workbook as LibreOffice prints it (a private profile; the process ends with the call)."""
    soffice = _require("soffice")
    source = folder / "report.xlsx"
    source.write_bytes(workbook)
    profile = (folder / "lo-profile").as_uri()
    command = [
        soffice,
        f"-env:UserInstallation={profile}",
        "--headless",
        "--convert-to",
        "pdf",
        "--outdir",
        str(folder),
        str(source),
    ]
    subprocess.run(command, check=True, capture_output=True, timeout=240)
    return folder / "report.pdf"


def pages_by_sheet(pdf: Path) -> dict[str, int]:
    """Pages per sheet, told apart by the sheet name each page's footer carries."""
    pdftotext = _require("pdftotext")
    text = subprocess.run(
        [pdftotext, "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    counts: dict[str, int] = {}
    for page in text.split("\f"):
        lines = [line.strip() for line in page.splitlines() if line.strip()]
        if lines:
            footer = re.match(r"(.+?)\s+Page \d+ of \d+$", lines[-1])
            assert footer, lines[-1]
            counts[footer.group(1)] = counts.get(footer.group(1), 0) + 1
    return counts


@pytest.mark.slow
def test_libreoffice_prints_summary_rwa_and_capital_on_one_page_each(
    workbook: bytes, run: bs.PipelineResult, tmp_path: Path
) -> None:
    pdf = render_pdf(workbook, tmp_path)
    pages = pages_by_sheet(pdf)
    assert pages["Summary"] == 1 and pages["RWA"] == 1 and pages["Capital"] == 1, pages
    assert pages["LCR"] == 1 and pages["NSFR"] == 1, pages
    # the detail prints on its own setup: one page wide, many rows a page
    assert 1 < pages["RWA detail"] <= math.ceil(len(run.rwa) / 40), pages
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    detail = [p for p in text.split("\f") if "RWA detail" in p]
    assert all("Position ID" in p for p in detail)  # the header row on every page
    assert "###" not in text


@pytest.mark.slow
def test_libreoffice_prints_the_ifrs9_and_irrbb_sheets_on_one_page_each(
    sqlite_store: bs.Store, tmp_path: Path
) -> None:
    result = bs.run_pipeline(1_500, seed=8)
    workbook = excel_workbook(
        result.positions, result.rwa, result.lcr, result.nsfr, result.capital, result.liquidity,
        "baseline", outputs=result.outputs,
    )  # fmt: skip
    pdf = render_pdf(workbook, tmp_path)
    pages = pages_by_sheet(pdf)
    assert pages["IFRS 9"] == 1 and pages["IRRBB"] == 1, pages
    assert pages["RWA"] == 1 and pages["Capital"] == 1, pages  # with the CRM columns and CVA lines
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert "###" not in text
    irrbb = next(p for p in text.split("\f") if "IRRBB" in p.strip().splitlines()[-1])
    assert "Short rates down" in irrbb and "Outlier test" in irrbb and "ΔNII total" in irrbb
