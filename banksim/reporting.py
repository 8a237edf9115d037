"""Reporting: an Excel workbook for management, and open exports (Parquet, CSV, JSON) for everyone.

``excel_workbook`` writes the summary, RWA, LCR, NSFR and capital sheets and the position-level
detail with XlsxWriter (each formula with its computed value, every sheet set up to print);
``export`` writes any result table or dict. XlsxWriter loads only when a workbook is made.
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from banksim.errors import InputError
from banksim.regulation.rwa import rwa_summary

__all__ = ["EXCEL_MAX_ROWS", "MAX_DETAIL_SHEETS", "UNNAMED_SCENARIO", "excel_workbook", "export"]

EXCEL_MAX_ROWS = 1_048_576  # rows per worksheet in Excel 2007+
MAX_DETAIL_SHEETS = 4  # beyond this many sheets the position detail is left out, with a note
UNNAMED_SCENARIO = "unnamed scenario"  # the label of frames passed without a scenario name
MONEY = "#,##0"
PERCENT = "0.00%"
GREEN, RED, HEADER = "#C6EFCE", "#FFC7CE", "#DDEBF7"
# Every data string is written with write_string (never parsed as a formula, URL or number); these
# options also keep XlsxWriter's generic write() from doing so.
WORKBOOK_OPTIONS = {
    "in_memory": True,  # no temporary files
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
    "default_format_properties": {"font_name": "Arial", "font_size": 10},  # metric twin on Linux
}
FORMULA_LIKE = ("=", "+", "-", "@")  # a spreadsheet app may read these as the start of a formula
ERROR_LIKE = ("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A")

# -- labels: words and units for the identifiers of the results ------------------------------------

DETAIL_COLUMNS = {
    "position_id": "Position ID",
    "risk_type": "Risk type",
    "exposure_class": "Exposure class",
    "sub_class": "Sub-class",
    "approach": "Approach",
    "ccf": "CCF",
    "exposure": "Exposure (EUR)",
    "risk_weight": "Risk weight",
    "rwa": "RWA (EUR)",
    "sa_risk_weight": "SA risk weight",
    "rwa_standardised": "RWA standardised (EUR)",
    "rule": "Rule",
}
DETAIL_FORMATS = {
    "exposure": MONEY,
    "rwa": MONEY,
    "rwa_standardised": MONEY,
    "ccf": PERCENT,
    "risk_weight": PERCENT,
    "sa_risk_weight": PERCENT,
}
LABELS = {
    # risk types, exposure classes and approaches (RWA sheet)
    "credit": "Credit",
    "counterparty": "Counterparty credit",
    "operational": "Operational",
    "sovereign": "Sovereigns",
    "pse": "Public sector entities",
    "mdb": "Multilateral development banks",
    "bank": "Banks",
    "covered_bond": "Covered bonds",
    "corporate": "Corporates",
    "specialised_lending": "Specialised lending",
    "retail": "Retail",
    "residential_real_estate": "Residential real estate",
    "commercial_real_estate": "Commercial real estate",
    "defaulted": "Defaulted exposures",
    "equity": "Equity",
    "subordinated_debt": "Subordinated debt",
    "other_assets": "Other assets",
    "counterparty_credit_risk": "Counterparty credit risk (SA-CCR)",
    "operational_risk": "Operational risk",
    "sa": "Standardised",
    "firb": "Foundation IRB",
    "airb": "Advanced IRB",
    # capital requirements (Capital sheet)
    "cet1_minimum": "CET1: Pillar 1 minimum",
    "cet1_minimum_and_pillar2": "CET1: Pillar 1 and Pillar 2",
    "cet1_overall": "CET1: overall, with buffers",
    "tier1_minimum": "Tier 1: Pillar 1 minimum",
    "tier1_minimum_and_pillar2": "Tier 1: Pillar 1 and Pillar 2",
    "tier1_overall": "Tier 1: overall, with buffers",
    "total_minimum": "Total capital: Pillar 1 minimum",
    "total_minimum_and_pillar2": "Total capital: Pillar 1 and Pillar 2",
    "total_overall": "Total capital: overall, with buffers",
    "leverage_minimum": "Leverage ratio: minimum",
    "leverage_with_gsib_buffer": "Leverage ratio: with G-SIB buffer",
    # LCR outflow and inflow categories
    "secured_funding": "Secured funding",
    "retail_term_deposit": "Retail term deposits (withdrawal penalty)",
    "retail_stable_enhanced": "Retail deposits, stable (enhanced protection)",
    "retail_stable": "Retail deposits, stable",
    "retail_less_stable": "Retail deposits, less stable",
    "small_business_stable": "Small business deposits, stable",
    "small_business_less_stable": "Small business deposits, less stable",
    "operational_deposit_insured": "Operational deposits, insured",
    "operational_deposit": "Operational deposits",
    "cooperative_network_deposit": "Cooperative network deposits",
    "unsecured_non_financial": "Unsecured wholesale funding, non-financial",
    "unsecured_financial": "Unsecured wholesale funding, financial",
    "committed_facility": "Committed facilities",
    "trade_finance": "Trade finance",
    "guarantees_and_other_contingent": "Guarantees and other contingent funding",
    "net_derivative_outflow": "Net derivative outflows",
    "net_derivative_inflow": "Net derivative inflows",
    "secured_lending": "Secured lending",
    "inflow_retail": "Retail counterparties",
    "inflow_non_financial": "Non-financial counterparties",
    "inflow_financial": "Financial institutions and central banks",
    # NSFR available and required stable funding categories
    "regulatory_capital": "Regulatory capital",
    "tier2_ge_1y": "Tier 2 instruments, 1 year or more",
    "tier2_6m_to_1y": "Tier 2 instruments, 6 months to 1 year",
    "tier2_lt_6m": "Tier 2 instruments, under 6 months",
    "funding_ge_1y": "Funding of 1 year or more",
    "stable_deposit": "Stable deposits",
    "less_stable_deposit": "Less stable deposits",
    "non_financial_funding_lt_1y": "Non-financial funding under 1 year",
    "other_funding_lt_6m": "Other funding under 6 months",
    "other_funding_6m_to_1y": "Other funding, 6 months to 1 year",
    "other_liabilities": "Other liabilities",
    "cash_and_reserves": "Cash and central bank reserves",
    "non_performing": "Non-performing exposures",
    "hqla_level_1": "HQLA Level 1",
    "hqla_level_2a": "HQLA Level 2A",
    "hqla_level_2b": "HQLA Level 2B",
    "fi_lt_6m_secured_by_level1": "Loans to financial institutions under 6 months, Level 1 secured",
    "fi_lt_6m_other": "Loans to financial institutions under 6 months, other",
    "fi_and_central_bank_6m_to_1y": "Financial institutions and central banks, 6 months to 1 year",
    "fi_ge_1y": "Financial institutions, 1 year or more",
    "other_lt_1y": "Other assets under 1 year",
    "securities_ge_1y": "Securities of 1 year or more",
    "loans_ge_1y_rw_le_35": "Loans of 1 year or more, risk weight up to 35%",
    "loans_ge_1y_rw_gt_35": "Loans of 1 year or more, risk weight over 35%",
    "committed_facilities": "Committed facilities",
    "other_contingent": "Other contingent funding",
    "gross_derivative_liabilities": "Gross derivative liabilities",
    "net_derivative_assets": "Net derivative assets",
    "operational_deposit_held": "Operational deposits held",
}


def _label(key: Any) -> str:
    """A result's identifier as words ('retail_stable' -> 'Retail deposits, stable')."""
    text = str(key)
    return LABELS.get(text) or text.replace("_", " ").capitalize()


def _check_frame(value: Any, argument: str, columns: Sequence[str]) -> pd.DataFrame:
    if not isinstance(value, pd.DataFrame):
        raise InputError(argument, f"expected a DataFrame, got {type(value).__name__}")
    missing = [c for c in columns if c not in value.columns]
    if missing:
        raise InputError(
            argument, f"is missing columns {missing}; pass the result of the matching bs.compute_ step"
        )
    return value


def excel_workbook(
    positions: pd.DataFrame,
    rwa: pd.DataFrame,
    lcr: pd.DataFrame,
    nsfr: pd.DataFrame,
    capital: Mapping[str, Any],
    liquidity: Mapping[str, Any] | None = None,
    scenario: str = UNNAMED_SCENARIO,
    params_hash: str = "",
) -> bytes:
    """The management workbook as ``.xlsx`` bytes.

    Every sheet is set up to print (fit to the page width, header rows repeated; the summary and
    the RWA chart on one page each) and every formula carries its computed value, so tools that
    read stored values (pandas, viewers) see the numbers.

    Parameters
    ----------
    positions, rwa, lcr, nsfr, capital
        Results of :func:`banksim.run_simulation`, :func:`banksim.compute_rwa`,
        :func:`banksim.compute_liquidity` and :func:`banksim.compute_capital` for one bank.
    liquidity : dict, optional
        The liquidity summary; recomputed from ``lcr`` and ``nsfr`` with the default parameters if
        not given.
    scenario : str
        The scenario the results belong to, shown on the summary sheet ("unnamed scenario" if not
        given).
    params_hash : str
        Shown on the summary sheet for reproducibility.
    """
    import xlsxwriter  # loaded on use: keeps `import banksim` light

    from banksim import __version__
    from banksim.regulation.lcr import lcr_summary
    from banksim.regulation.nsfr import nsfr_summary
    from banksim.regulation.parameters import regulatory_parameters

    _check_frame(positions, "positions", ["position_id", "side", "drawn_amount"])
    _check_frame(rwa, "rwa", ["position_id", "risk_type", "exposure_class", "approach", "exposure", "rwa"])
    _check_frame(lcr, "lcr", ["position_id", "section", "category", "weighted_amount"])
    _check_frame(nsfr, "nsfr", ["position_id", "section", "category", "weighted_amount"])
    if not isinstance(capital, Mapping) or "ratios" not in capital:
        raise InputError("capital", "expected the statement of bs.compute_capital()")
    if not isinstance(scenario, str) or not scenario.strip():
        raise InputError("scenario", f"expected a scenario name, got {scenario!r}", allowed="a non-empty str")
    credit_ids = set(rwa.loc[rwa["risk_type"].astype(str) == "credit", "position_id"].astype(str))
    unknown = credit_ids - set(positions["position_id"].astype(str))
    if unknown:
        raise InputError(
            "rwa",
            "holds positions that are not in 'positions' (mismatched frames)",
            failure_cases=sorted(unknown)[:5],
        )
    if liquidity is None:
        liquidity = {**lcr_summary(lcr, regulatory_parameters()), **nsfr_summary(nsfr)}

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, WORKBOOK_OPTIONS)
    styles = _styles(book)
    info = [
        ("Scenario", scenario, None),
        ("Positions", len(positions), "fact count"),
        ("Parameters hash", params_hash or "-", "hash"),
        ("banksim version", __version__, None),
        ("Generated (UTC)", dt.datetime.now(dt.UTC).replace(tzinfo=None), "fact date"),
    ]
    _summary_sheet(book, styles, capital, liquidity, info)
    _rwa_sheet(book, styles, rwa)
    _lcr_sheet(book, styles, liquidity)
    _nsfr_sheet(book, styles, liquidity)
    _capital_sheet(book, styles, capital)
    _detail_sheets(book, styles, rwa)
    book.close()
    return buffer.getvalue()


# -- cell and sheet helpers -------------------------------------------------------------------------


def _styles(book: Any) -> dict[str, Any]:
    """The workbook's cell formats by name (XlsxWriter formats belong to one workbook)."""
    add = book.add_format
    styles = {
        "title": add({"bold": True, "font_size": 14}),
        "header": add({"bold": True, "bg_color": HEADER, "bottom": 1, "text_wrap": True, "valign": "top"}),
        "bold": add({"bold": True}),
        "total_money": add({"bold": True, "num_format": MONEY, "top": 1}),
        "total_label": add({"bold": True, "top": 1}),
        "met": add({"bg_color": GREEN, "align": "center"}),
        "breach": add({"bold": True, "bg_color": RED, "align": "center"}),
        "quoted": add({"quote_prefix": True}),  # Excel keeps formula-like text text when edited
        "hash": add({"font_name": "Courier New", "font_size": 7, "valign": "vcenter"}),
        "indent": add({"indent": 1}),
    }
    for number_format in (MONEY, PERCENT):
        styles[number_format] = add({"num_format": number_format})
    # the summary's facts, read left to right
    styles["fact count"] = add({"num_format": "#,##0", "align": "left"})
    styles["fact date"] = add({"num_format": "yyyy-mm-dd hh:mm", "align": "left"})
    return styles


def _is_formula_like(text: str) -> bool:
    return text.startswith(FORMULA_LIKE) or text in ERROR_LIKE


def _text(sheet: Any, styles: Mapping[str, Any], row: int, col: int, value: Any, style: Any = None) -> None:
    """``value`` as literal text, whatever it starts with (write_string never makes a formula); a
    formula-like value also gets Excel's quote prefix, so that editing the cell keeps it text."""
    text = str(value)
    sheet.write_string(row, col, text, styles["quoted"] if _is_formula_like(text) else style)


def _number(sheet: Any, row: int, col: int, value: Any, style: Any = None) -> None:
    """A number stays a number; infinity (a ratio with nothing below the line) is written as text."""
    number = float(value)
    if math.isfinite(number):
        sheet.write_number(row, col, number, style)
    elif not math.isnan(number):
        sheet.write_string(row, col, "infinite" if number > 0 else "-infinite", style)


def _width(value: Any, number_format: str | None = None, bold: bool = False) -> float:
    """Characters a cell needs (Arial 10: a little more for bold text, and a margin)."""
    if isinstance(value, str):
        return len(value) * (1.1 if bold else 1.0) + 2
    if number_format == PERCENT:
        return len(f"{float(value):.2%}") + 2
    if isinstance(value, int | float) and math.isfinite(value):
        return len(f"{float(value):,.0f}") + 3
    return 10


def _set_widths(sheet: Any, widths: Sequence[float], cap: float = 60) -> list[float]:
    fitted = [min(max(w, 8.0), cap) for w in widths]
    for col, width in enumerate(fitted):
        sheet.set_column(col, col, width)
    return fitted


def _print_setup(sheet: Any, widths: Sequence[float], header_rows: int, one_page: bool = False) -> None:
    """A4, landscape where the columns are wider than a portrait page, one page wide, the header
    rows repeated on every page, the sheet name and page number in the footer."""
    sheet.set_paper(9)  # A4
    if sum(w * 7 + 5 for w in widths) > 700:  # pixels (Arial 10) across a portrait A4 page at 100%
        sheet.set_landscape()
    sheet.fit_to_pages(1, 1 if one_page else 0)
    if header_rows:
        sheet.repeat_rows(0, header_rows - 1)
    sheet.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.6)
    sheet.set_footer("&L&8&A&R&8Page &P of &N")


def _status(sheet: Any, styles: Mapping[str, Any], row: int, col: int, met: bool) -> None:
    sheet.write_string(row, col, "met" if met else "BREACH", styles["met" if met else "breach"])


# -- the sheets -------------------------------------------------------------------------------------


def _summary_sheet(
    book: Any,
    styles: Mapping[str, Any],
    capital: Mapping[str, Any],
    liquidity: Mapping[str, Any],
    info: Sequence[tuple[str, Any, str | None]],
) -> None:
    sheet = book.add_worksheet("Summary")
    sheet.write_string(0, 0, "Capital and liquidity summary", styles["title"])
    for row, (name, value, kind) in enumerate(info, start=1):
        sheet.write_string(row, 0, name, styles["bold"])
        if kind == "hash":  # a long key: small type across the table's width
            sheet.merge_range(row, 1, row, 4, "", styles["hash"])
            _text(sheet, styles, row, 1, value, styles["hash"])
        elif isinstance(value, dt.datetime):
            sheet.write_datetime(row, 1, value, styles[kind or ""])
        elif isinstance(value, int):
            sheet.write_number(row, 1, value, styles[kind or ""])
        else:
            _text(sheet, styles, row, 1, value)
    top = len(info) + 2
    header = ["Metric", "Value", "Requirement", "Surplus", "Status"]
    sheet.write_row(top, 0, header, styles["header"])
    overall = {r["requirement"]: r for r in capital["requirements"]}
    lines = [
        ("CET1 ratio", capital["ratios"]["cet1_ratio"], overall["cet1_overall"]["required_ratio"]),
        ("Tier 1 ratio", capital["ratios"]["tier1_ratio"], overall["tier1_overall"]["required_ratio"]),
        ("Total capital ratio", capital["ratios"]["total_capital_ratio"], overall["total_overall"]["required_ratio"]),  # noqa: E501
        ("Leverage ratio", capital["leverage"]["leverage_ratio"], capital["leverage"]["requirement"]),
        ("Liquidity coverage ratio (LCR)", liquidity["lcr"], 1.0),
        ("Net stable funding ratio (NSFR)", liquidity["nsfr"], 1.0),
    ]  # fmt: skip
    for row, (name, value, requirement) in enumerate(lines, start=top + 1):
        sheet.write_string(row, 0, name)
        _number(sheet, row, 1, value, styles[PERCENT])
        _number(sheet, row, 2, requirement, styles[PERCENT])
        surplus = float(value) - float(requirement)
        excel_row = row + 1  # edit a requirement, see the surplus
        if math.isfinite(surplus):
            sheet.write_formula(row, 3, f"=B{excel_row}-C{excel_row}", styles[PERCENT], surplus)
        _status(sheet, styles, row, 4, value >= requirement - 1e-12)
    amounts = [
        ("Total risk exposure amount (floored)", capital["rwa"]["floored_rwa"]),
        ("Output floor add-on", capital["rwa"]["floor_add_on"]),
        ("CET1 capital", capital["own_funds"]["cet1"]),
        ("High-quality liquid assets (HQLA)", liquidity["hqla"]),
        ("Net cash outflows (30 days)", liquidity["net_outflows"]),
    ]
    buffers = [
        ("Maximum payout ratio (MDA)", capital["mda"]["maximum_payout_ratio"]),
        ("Combined buffer requirement", capital["buffers"]["combined_buffer_requirement"]),
    ]
    row = _block(sheet, styles, top + len(lines) + 2, ["Amount", "EUR"], amounts, MONEY)
    _block(sheet, styles, row + 1, ["Distribution limits", "Ratio"], buffers, PERCENT)
    names = [n for n, _, _ in info] + [n for n, _, _ in lines] + [n for n, _ in amounts + buffers]
    money = max(_width(v, MONEY) for _, v in amounts)
    # info text may run on into the empty cells to its right; a date cannot (it needs 18)
    widths = _set_widths(sheet, [max(map(_width, names)), max(money, 18), 13, 12, 10])
    _print_setup(sheet, widths, header_rows=0, one_page=True)
    sheet.activate()


def _block(
    sheet: Any,
    styles: Mapping[str, Any],
    row: int,
    header: list[str],
    lines: Sequence[tuple[str, Any]],
    fmt: str,
) -> int:
    """A header, then one labelled number per row; returns the row after the block."""
    sheet.write_row(row, 0, header, styles["header"])
    for offset, (name, value) in enumerate(lines, start=1):
        sheet.write_string(row + offset, 0, name)
        _number(sheet, row + offset, 1, value, styles[fmt])
    return row + len(lines) + 1


def _rwa_sheet(book: Any, styles: Mapping[str, Any], rwa: pd.DataFrame) -> None:
    sheet = book.add_worksheet("RWA")
    header = [
        "Risk type",
        "Exposure class",
        "Approach",
        "Lines",
        "Exposure (EUR)",
        "RWA (EUR)",
        "RWA standardised (EUR)",
        "Average risk weight",
    ]
    sheet.write_row(0, 0, header, styles["header"])
    columns = ["risk_type", "exposure_class", "approach", "lines", "exposure", "rwa", "rwa_standardised"]
    table = rwa_summary(rwa)[[*columns, "average_risk_weight"]]
    widths = [_width(h, bold=True) for h in header]
    formats = [None, None, None, "#,##0", MONEY, MONEY, MONEY, PERCENT]
    for row, record in enumerate(table.itertuples(index=False), start=1):
        average = float(record[7]) if record[4] else 0.0  # no exposure: 0%, as a number
        cells = [_label(record[0]), _label(record[1]), _label(record[2]), *record[3:7], average]
        for col, (value, number_format) in enumerate(zip(cells, formats, strict=True)):
            widths[col] = max(widths[col], _width(value, number_format))
            if number_format is None:
                _text(sheet, styles, row, col, value)
            else:
                _number(sheet, row, col, value, styles[number_format])
    last = len(table) + 1  # the Excel row of the last line
    sheet.write_string(last, 0, "Total", styles["total_label"])
    for col in (1, 2, 3, 7):
        sheet.write_blank(last, col, None, styles["total_label"])
    for col, column in ((4, "exposure"), (5, "rwa"), (6, "rwa_standardised")):
        letter = "EFG"[col - 4]
        total = float(table[column].sum())
        widths[col] = max(widths[col], _width(total, MONEY))
        sheet.write_formula(last, col, f"=SUM({letter}2:{letter}{last})", styles["total_money"], total)
    sheet.autofilter(0, 0, last - 1, len(header) - 1)
    sheet.freeze_panes(1, 0)
    widths = _set_widths(sheet, widths)
    _rwa_chart(book, sheet, last, table["approach"].nunique() > 1, widths)
    _print_setup(sheet, widths, header_rows=1, one_page=True)  # the table and its chart


def _rwa_chart(book: Any, sheet: Any, last: int, approaches: bool, widths: Sequence[float]) -> None:
    """Horizontal bars of RWA by exposure class (and approach, where there is more than one),
    below the table and as wide as it, so that both print on one page."""
    chart = book.add_chart({"type": "bar"})
    by = "exposure class and approach" if approaches else "exposure class"
    chart.add_series(
        {
            "name": "RWA",
            "categories": ["RWA", 1, 1, last - 1, 2 if approaches else 1],
            "values": ["RWA", 1, 5, last - 1, 5],
            "fill": {"color": "#4472C4"},
            "gap": 60,
        }
    )
    font = {"name": "Arial", "size": 9}
    chart.set_title({"name": f"RWA by {by}", "name_font": {"name": "Arial", "size": 12}})
    chart.set_x_axis(
        {
            "name": "RWA (EUR millions)",
            "name_font": font,
            "num_font": font,
            "num_format": "#,##0,,",
            "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}},
        }
    )
    # the table's order top to bottom, with the amounts along the bottom
    chart.set_y_axis({"reverse": True, "crossing": "max", "num_font": font})
    chart.set_legend({"none": True})
    width = int(sum(widths) * 7 + 5 * len(widths))  # pixels across the table's columns
    chart.set_size({"width": width, "height": max(320, 22 * last + 120)})
    sheet.insert_chart(last + 2, 0, chart, {"x_offset": 2, "y_offset": 6})


def _item_sheet(
    book: Any, styles: Mapping[str, Any], name: str, title: str, rows: Sequence[tuple[str, Any, str]]
) -> None:
    """A titled two-column sheet: item, then its amount or ratio in the given number format."""
    sheet = book.add_worksheet(name)
    sheet.write_string(0, 0, title, styles["title"])
    header = ["Item", "Amount (EUR) or ratio"]
    sheet.write_row(1, 0, header, styles["header"])
    for row, (item, value, number_format) in enumerate(rows, start=2):
        _text(sheet, styles, row, 0, item, styles["bold"] if number_format == PERCENT else None)
        _number(sheet, row, 1, value, styles[number_format])
    first = max([_width(item) for item, _, _ in rows] + [_width(header[0], bold=True)])
    second = max([_width(v, f) for _, v, f in rows] + [_width(header[1], bold=True)])
    sheet.freeze_panes(2, 0)
    widths = _set_widths(sheet, [first, second], cap=80)
    _print_setup(sheet, widths, header_rows=2)


def _lcr_sheet(book: Any, styles: Mapping[str, Any], s: Mapping[str, Any]) -> None:
    rows: list[tuple[str, Any, str]] = [
        ("C 72.00 Level 1 assets (after haircut)", s["hqla_level1"], MONEY),
        ("C 72.00 Level 2A assets (after haircut)", s["hqla_level2a"], MONEY),
        ("C 72.00 Level 2B assets (after haircut)", s["hqla_level2b"], MONEY),
        ("HQLA before caps", s["hqla_before_caps"], MONEY),
        ("Adjustment for the 15% Level 2B cap", s["adjustment_15_percent_cap"], MONEY),
        ("Adjustment for the 40% Level 2 cap", s["adjustment_40_percent_cap"], MONEY),
        ("HQLA after caps", s["hqla"], MONEY),
        *[(f"C 73.00 outflow: {_label(k)}", v, MONEY) for k, v in s["outflows_by_category"].items()],
        ("Total outflows", s["outflows"], MONEY),
        *[(f"C 74.00 inflow: {_label(k)}", v, MONEY) for k, v in s["inflows_by_category"].items()],
        ("Total inflows", s["inflows"], MONEY),
        ("Inflows after the 75% cap", s["inflows_capped"], MONEY),
        ("Net cash outflows", s["net_outflows"], MONEY),
        ("LCR", s["lcr"], PERCENT),
    ]
    _item_sheet(book, styles, "LCR", "Liquidity coverage ratio (simplified C 72.00 - C 74.00)", rows)


def _nsfr_sheet(book: Any, styles: Mapping[str, Any], s: Mapping[str, Any]) -> None:
    rows: list[tuple[str, Any, str]] = [
        *[(f"C 81.00 ASF: {_label(k)}", v, MONEY) for k, v in s["asf_by_category"].items()],
        ("Available stable funding", s["asf"], MONEY),
        *[(f"C 80.00 RSF: {_label(k)}", v, MONEY) for k, v in s["rsf_by_category"].items()],
        ("Required stable funding", s["rsf"], MONEY),
        ("NSFR", s["nsfr"], PERCENT),
    ]
    _item_sheet(book, styles, "NSFR", "Net stable funding ratio (simplified C 80.00 - C 81.00)", rows)


def _capital_sheet(book: Any, styles: Mapping[str, Any], capital: Mapping[str, Any]) -> None:
    from banksim.regulation.capital import capital_statement

    sheet = book.add_worksheet("Capital")
    header = ["Template", "Item", "Amount (EUR) or ratio"]
    sheet.write_row(0, 0, header, styles["header"])
    widths = [_width(h, bold=True) for h in header]
    statement = capital_statement(capital)
    for row, record in enumerate(statement.itertuples(index=False), start=1):
        number_format = PERCENT if record.unit == "ratio" else MONEY
        _text(sheet, styles, row, 0, record.template)
        _text(sheet, styles, row, 1, record.row)
        _number(sheet, row, 2, record.value, styles[number_format])
        widths[0] = max(widths[0], _width(record.template))
        widths[2] = max(widths[2], _width(record.value, number_format))
    top = len(statement) + 2
    requirement_header = [
        "Requirement",
        "Rule",
        "Required ratio",
        "Ratio held",
        "Surplus (points)",
        "Surplus (EUR)",
        "Status",
    ]
    sheet.write_row(top, 1, requirement_header, styles["header"])
    for row, r in enumerate(capital["requirements"], start=top + 1):
        _text(sheet, styles, row, 1, _label(r["requirement"]))
        _text(sheet, styles, row, 2, r.get("rule", ""))
        _number(sheet, row, 3, r["required_ratio"], styles[PERCENT])
        _number(sheet, row, 4, r.get("ratio", math.nan), styles[PERCENT])
        _number(sheet, row, 5, r["surplus_points"], styles[PERCENT])
        _number(sheet, row, 6, r["surplus_amount"], styles[MONEY])
        _status(sheet, styles, row, 7, bool(r["met"]))
    items = [*statement["row"], *(_label(r["requirement"]) for r in capital["requirements"])]
    widths[1] = max([widths[1], *map(_width, items)])
    rules = [_width(r.get("rule", "")) for r in capital["requirements"]]
    widths[2] = max([widths[2], _width("Rule", bold=True), *rules])
    amounts = [_width(r["surplus_amount"], MONEY) for r in capital["requirements"]]
    widths += [_width(h, bold=True) for h in requirement_header[2:]]  # columns D to H
    widths[6] = max([widths[6], *amounts])
    sheet.freeze_panes(1, 0)
    widths = _set_widths(sheet, widths)
    _print_setup(sheet, widths, header_rows=1)


def _detail_sheets(book: Any, styles: Mapping[str, Any], rwa: pd.DataFrame) -> None:
    """Position-level RWA, split over sheets of at most EXCEL_MAX_ROWS rows, or left out with a note.

    Written column by column from arrays (a million lines cost no per-row objects); set up to print
    on its own: landscape, one page wide, the header row on every page."""
    per_sheet = EXCEL_MAX_ROWS - 1  # one header row
    sheets = math.ceil(len(rwa) / per_sheet) if len(rwa) else 1
    if sheets > MAX_DETAIL_SHEETS:
        sheet = book.add_worksheet("RWA detail")
        note = (
            f"Left out: {len(rwa):,} lines would need {sheets} sheets of {per_sheet:,} rows "
            f"(more than {MAX_DETAIL_SHEETS}). Use bs.export(rwa, 'rwa.parquet') for the full detail."
        )
        sheet.write_string(0, 0, note, styles["bold"])
        _print_setup(sheet, _set_widths(sheet, [len(note)], cap=200), header_rows=0)
        return
    columns = [c for c in DETAIL_COLUMNS if c in rwa.columns]
    detail = rwa[columns]
    # text right after a right-aligned number is indented, to set it off
    indented = [
        i > 0 and c not in DETAIL_FORMATS and columns[i - 1] in DETAIL_FORMATS for i, c in enumerate(columns)
    ]
    widths = [
        _detail_width(detail[c], DETAIL_COLUMNS[c], DETAIL_FORMATS.get(c)) + 2 * indent
        for c, indent in zip(columns, indented, strict=True)
    ]
    for part in range(sheets):
        sheet = book.add_worksheet("RWA detail" if sheets == 1 else f"RWA detail {part + 1}")
        sheet.write_row(0, 0, [DETAIL_COLUMNS[c] for c in columns], styles["header"])
        chunk = detail.iloc[part * per_sheet : (part + 1) * per_sheet]
        for col, column in enumerate(columns):
            if column in DETAIL_FORMATS:
                _number_column(sheet, col, chunk[column], styles[DETAIL_FORMATS[column]])
            else:
                style = styles["indent"] if indented[col] else None
                _text_column(sheet, col, chunk[column], style, styles["quoted"])
        sheet.autofilter(0, 0, len(chunk), len(columns) - 1)
        sheet.freeze_panes(1, 0)
        _print_setup(sheet, _set_widths(sheet, widths), header_rows=1)


def _number_column(sheet: Any, col: int, values: pd.Series, style: Any) -> None:
    """Finite numbers as numbers from row 1 down; missing values stay blank."""
    array = values.to_numpy(dtype=float)
    finite = np.isfinite(array)
    write = sheet.write_number
    rows: list[int] = (np.flatnonzero(finite) + 1).tolist()
    for row, value in zip(rows, array[finite].tolist(), strict=True):
        write(row, col, value, style)


def _text_column(sheet: Any, col: int, values: pd.Series, style: Any, quoted: Any) -> None:
    """Text from row 1 down, always literal (write_string); formula-like values, found vectorised,
    get the quote prefix."""
    text = values.astype(str)
    risky = (text.str.startswith(FORMULA_LIKE) | text.isin(ERROR_LIKE)).to_numpy()
    styles = [quoted if r else style for r in risky.tolist()] if risky.any() else [style] * len(text)
    write = sheet.write_string
    for row, (value, style) in enumerate(zip(text.tolist(), styles, strict=True), start=1):
        write(row, col, value, style)


def _detail_width(values: pd.Series, header: str, number_format: str | None) -> float:
    """The width a detail column needs, from its longest value (found vectorised)."""
    if values.empty:
        longest = 0.0
    elif number_format is not None:
        array = values.to_numpy(dtype=float)
        top = float(np.abs(array[np.isfinite(array)]).max(initial=0.0))
        longest = _width(-top, number_format)  # a minus sign included
    else:
        longest = float(values.astype(str).str.len().max()) + 2
    return max(longest, _width(header, bold=True))


# -- open exports -----------------------------------------------------------------------------------

FORMATS = ("parquet", "csv", "json")


def export(
    result: pd.DataFrame | Mapping[str, Any],
    path: str | Path,
    format: str = "parquet",
    compression: str | None = None,
) -> Path:
    """Write a result table (or a dict such as the capital statement) to ``path``.

    Parameters
    ----------
    result : DataFrame or dict
        Any banksim result; dicts can be written as JSON only.
    path : str or Path
        The file to write (missing parent folders are created, once every argument is checked);
        an existing file is replaced whole, an existing directory is an error.
    format : {"parquet", "csv", "json"}
        JSON is records-oriented with ISO dates (a dict is written as one JSON object).
    compression : {None, "gzip"}
        gzip the CSV or JSON file, or use gzip inside Parquet.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    if format not in FORMATS:
        raise InputError("format", f"unknown format {format!r}", allowed=FORMATS)
    if compression not in (None, "gzip"):
        raise InputError("compression", f"unknown compression {compression!r}", allowed=[None, "gzip"])
    is_dict = isinstance(result, Mapping) and not isinstance(result, pd.DataFrame)
    if not is_dict and not isinstance(result, pd.DataFrame):
        raise InputError("result", f"expected a DataFrame or a dict, got {type(result).__name__}")
    if is_dict and format != "json":
        raise InputError("format", "a dict result can only be written as JSON", allowed=["json"])
    target = _check_path(path)
    data = _encode(result, format, compression)  # a result that cannot be written fails here
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        partial.write_bytes(data)
        os.replace(partial, target)  # the file appears whole or not at all
    finally:
        partial.unlink(missing_ok=True)
    return target


def _check_path(path: Any) -> Path:
    """``path`` as a file path that can be written, or an InputError; creates nothing."""
    if not isinstance(path, str | os.PathLike) or not str(path).strip():
        raise InputError(
            "path", f"expected a file path, got {path!r}", allowed="a str or Path such as 'rwa.parquet'"
        )
    target = Path(path).expanduser()
    if target.is_dir():
        raise InputError(
            "path", f"{str(target)!r} is an existing directory", allowed="a file path such as 'rwa.parquet'"
        )
    blocking = next((p for p in (target.parent, *target.parent.parents) if p.exists()), None)
    if blocking is not None and not blocking.is_dir():
        raise InputError(
            "path",
            f"{str(blocking)!r} is a file, so {str(target)!r} cannot be created in it",
            allowed="a path whose parents are folders (or do not exist yet)",
        )
    return target


def _encode(result: pd.DataFrame | Mapping[str, Any], format: str, compression: str | None) -> bytes:
    if not isinstance(result, pd.DataFrame):
        text = json.dumps(result, default=_json_value, indent=1, allow_nan=True)
    elif format == "parquet":
        buffer = io.BytesIO()
        result.to_parquet(buffer, compression="gzip" if compression else "snappy", index=False)
        return buffer.getvalue()
    elif format == "csv":
        text = result.to_csv(index=False)
    else:
        text = result.to_json(orient="records", date_format="iso", date_unit="s")
    data = text.encode("utf-8")
    return gzip.compress(data) if compression == "gzip" else data


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return str(value)
