"""The workbook's result sheets: RWA (with its chart), LCR, NSFR and Capital, each with its widths
fitted and its print setup.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from banksim.regulation.capital import capital_statement
from banksim.regulation.rwa import rwa_summary
from banksim.reporting.cells import number, status, text
from banksim.reporting.labels import MONEY, PERCENT, label
from banksim.reporting.layout import print_setup, set_widths, width

CRM_COLUMNS = ("exposure_before_crm", "rwa_before_crm")  # carried by RWA lines with CRM (methodology 9.10)
OTHER_RWA = (("cva", "CVA risk (MAR50)"), ("market_risk", "Market risk (MAR40)"))


def rwa_sheet(
    book: Any, styles: Mapping[str, Any], rwa: pd.DataFrame, capital: Mapping[str, Any] | None = None
) -> None:
    """RWA by risk type, class and approach (with exposure and RWA before collateral and guarantees
    where the lines carry them), the total, then CVA and market-risk RWA where the capital
    statement carries them, and the chart."""
    sheet = book.add_worksheet("RWA")
    crm = all(column in rwa for column in CRM_COLUMNS)
    header = [
        "Risk type",
        "Exposure class",
        "Approach",
        "Lines",
        "Exposure (EUR)",
        "RWA (EUR)",
        "RWA standardised (EUR)",
        "Average risk weight",
        *(("Exposure before CRM (EUR)", "RWA before CRM (EUR)") if crm else ()),
    ]
    sheet.write_row(0, 0, header, styles["header"])
    columns = ["risk_type", "exposure_class", "approach", "lines", "exposure", "rwa", "rwa_standardised"]
    table = rwa_summary(rwa)[[*columns, "average_risk_weight"]]
    if crm:
        keys = ["risk_type", "exposure_class", "approach"]
        before = rwa.groupby(keys, observed=True, sort=True)[list(CRM_COLUMNS)].sum().reset_index()
        table = table.merge(before, on=keys, how="left", sort=False)
    widths = [width(h, bold=True) for h in header]
    formats = [None, None, None, "#,##0", MONEY, MONEY, MONEY, PERCENT, *((MONEY, MONEY) if crm else ())]
    for row, record in enumerate(table.itertuples(index=False), start=1):
        average = float(record[7]) if record[4] else 0.0  # no exposure: 0%, as a number
        cells = [label(record[0]), label(record[1]), label(record[2]), *record[3:7], average, *record[8:]]
        for col, (value, number_format) in enumerate(zip(cells, formats, strict=True)):
            widths[col] = max(widths[col], width(value, number_format))
            if number_format is None:
                text(sheet, styles, row, col, value)
            else:
                number(sheet, row, col, value, styles[number_format])
    last = len(table) + 1  # the Excel row of the last line
    sheet.write_string(last, 0, "Total", styles["total_label"])
    for col in (1, 2, 3, 7):
        sheet.write_blank(last, col, None, styles["total_label"])
    sums = [(4, "exposure"), (5, "rwa"), (6, "rwa_standardised")]
    sums += [(8, CRM_COLUMNS[0]), (9, CRM_COLUMNS[1])] if crm else []
    for col, column in sums:
        letter = "ABCDEFGHIJ"[col]
        total = float(table[column].sum())
        widths[col] = max(widths[col], width(total, MONEY))
        sheet.write_formula(last, col, f"=SUM({letter}2:{letter}{last})", styles["total_money"], total)
    below = _other_rwa(sheet, styles, capital or {}, last, widths)
    sheet.autofilter(0, 0, last - 1, len(header) - 1)
    sheet.freeze_panes(1, 0)
    widths = set_widths(sheet, widths)
    _rwa_chart(book, sheet, last, table["approach"].nunique() > 1, widths, below)
    print_setup(sheet, widths, header_rows=1, one_page=True)  # the table and its chart


def _other_rwa(
    sheet: Any, styles: Mapping[str, Any], capital: Mapping[str, Any], last: int, widths: list[float]
) -> int:
    """CVA and market-risk RWA below the total, from the capital statement (methodology 1.2); the
    row after the last one written."""
    amounts = capital.get("rwa", {})
    row = last
    for key, words in OTHER_RWA:
        if float(amounts.get(key, 0.0)) != 0.0:  # a bank without derivatives or a trading book: no line
            row += 1
            text(sheet, styles, row, 0, words)
            number(sheet, row, 5, amounts[key], styles[MONEY])
            widths[0] = max(widths[0], width(words))
            widths[5] = max(widths[5], width(float(amounts[key]), MONEY))
    return row


def _rwa_chart(
    book: Any, sheet: Any, last: int, approaches: bool, widths: Sequence[float], below: int
) -> None:
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
    pixels = int(sum(widths) * 7 + 5 * len(widths))  # across the table's columns
    chart.set_size({"width": pixels, "height": max(320, 22 * last + 120)})
    sheet.insert_chart(below + 2, 0, chart, {"x_offset": 2, "y_offset": 6})


def _item_sheet(
    book: Any, styles: Mapping[str, Any], name: str, title: str, rows: Sequence[tuple[str, Any, str]]
) -> None:
    """A titled two-column sheet: item, then its amount or ratio in the given number format."""
    sheet = book.add_worksheet(name)
    sheet.write_string(0, 0, title, styles["title"])
    header = ["Item", "Amount (EUR) or ratio"]
    sheet.write_row(1, 0, header, styles["header"])
    for row, (item, value, number_format) in enumerate(rows, start=2):
        text(sheet, styles, row, 0, item, styles["bold"] if number_format == PERCENT else None)
        number(sheet, row, 1, value, styles[number_format])
    first = max([width(item) for item, _, _ in rows] + [width(header[0], bold=True)])
    second = max([width(v, f) for _, v, f in rows] + [width(header[1], bold=True)])
    sheet.freeze_panes(2, 0)
    widths = set_widths(sheet, [first, second], cap=80)
    print_setup(sheet, widths, header_rows=2)


def lcr_sheet(book: Any, styles: Mapping[str, Any], s: Mapping[str, Any]) -> None:
    rows: list[tuple[str, Any, str]] = [
        ("C 72.00 Level 1 assets (after haircut)", s["hqla_level1"], MONEY),
        ("C 72.00 Level 2A assets (after haircut)", s["hqla_level2a"], MONEY),
        ("C 72.00 Level 2B assets (after haircut)", s["hqla_level2b"], MONEY),
        ("HQLA before caps", s["hqla_before_caps"], MONEY),
        ("Adjustment for the 15% Level 2B cap", s["adjustment_15_percent_cap"], MONEY),
        ("Adjustment for the 40% Level 2 cap", s["adjustment_40_percent_cap"], MONEY),
        ("HQLA after caps", s["hqla"], MONEY),
        *[(f"C 73.00 outflow: {label(k)}", v, MONEY) for k, v in s["outflows_by_category"].items()],
        ("Total outflows", s["outflows"], MONEY),
        *[(f"C 74.00 inflow: {label(k)}", v, MONEY) for k, v in s["inflows_by_category"].items()],
        ("Total inflows", s["inflows"], MONEY),
        ("Inflows after the 75% cap", s["inflows_capped"], MONEY),
        ("Net cash outflows", s["net_outflows"], MONEY),
        ("LCR", s["lcr"], PERCENT),
    ]
    _item_sheet(book, styles, "LCR", "Liquidity coverage ratio (simplified C 72.00 - C 74.00)", rows)


def nsfr_sheet(book: Any, styles: Mapping[str, Any], s: Mapping[str, Any]) -> None:
    rows: list[tuple[str, Any, str]] = [
        *[(f"C 81.00 ASF: {label(k)}", v, MONEY) for k, v in s["asf_by_category"].items()],
        ("Available stable funding", s["asf"], MONEY),
        *[(f"C 80.00 RSF: {label(k)}", v, MONEY) for k, v in s["rsf_by_category"].items()],
        ("Required stable funding", s["rsf"], MONEY),
        ("NSFR", s["nsfr"], PERCENT),
    ]
    _item_sheet(book, styles, "NSFR", "Net stable funding ratio (simplified C 80.00 - C 81.00)", rows)


def capital_sheet(book: Any, styles: Mapping[str, Any], capital: Mapping[str, Any]) -> None:
    sheet = book.add_worksheet("Capital")
    header = ["Template", "Item", "Amount (EUR) or ratio"]
    sheet.write_row(0, 0, header, styles["header"])
    widths = [width(h, bold=True) for h in header]
    statement = capital_statement(capital)
    for row, record in enumerate(statement.itertuples(index=False), start=1):
        number_format = PERCENT if record.unit == "ratio" else MONEY
        text(sheet, styles, row, 0, record.template)
        text(sheet, styles, row, 1, record.row)
        number(sheet, row, 2, record.value, styles[number_format])
        widths[0] = max(widths[0], width(record.template))
        widths[2] = max(widths[2], width(record.value, number_format))
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
        text(sheet, styles, row, 1, label(r["requirement"]))
        text(sheet, styles, row, 2, r.get("rule", ""))
        number(sheet, row, 3, r["required_ratio"], styles[PERCENT])
        number(sheet, row, 4, r.get("ratio", math.nan), styles[PERCENT])
        number(sheet, row, 5, r["surplus_points"], styles[PERCENT])
        number(sheet, row, 6, r["surplus_amount"], styles[MONEY])
        status(sheet, styles, row, 7, bool(r["met"]))
    items = [*statement["row"], *(label(r["requirement"]) for r in capital["requirements"])]
    widths[1] = max([widths[1], *map(width, items)])
    rules = [width(r.get("rule", "")) for r in capital["requirements"]]
    widths[2] = max([widths[2], width("Rule", bold=True), *rules])
    amounts = [width(r["surplus_amount"], MONEY) for r in capital["requirements"]]
    widths += [width(h, bold=True) for h in requirement_header[2:]]  # columns D to H
    widths[6] = max([widths[6], *amounts])
    sheet.freeze_panes(1, 0)
    widths = set_widths(sheet, widths)
    print_setup(sheet, widths, header_rows=1)
