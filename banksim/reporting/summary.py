"""The Summary sheet: what the results are of (scenario, jurisdiction, positions, cache key), then
every headline metric of the pipeline's steps (banksim.steps), the ratios against their minimums.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from banksim.reporting.cells import number, status, text
from banksim.reporting.labels import MONEY, PERCENT
from banksim.reporting.layout import print_setup, set_widths, width
from banksim.steps import STEPS, HeadlineColumn

Results = Mapping[str, Any]  # output name -> result ("capital", "liquidity", ...)


def _overall(requirement: str) -> Callable[[Results], float]:
    def required(results: Results) -> float:
        rows = {r["requirement"]: r for r in results["capital"]["requirements"]}
        return float(rows[requirement]["required_ratio"])

    return required


# The requirement each ratio is held against (the overall one, buffers included, for capital)
REQUIREMENTS: dict[str, Callable[[Results], float]] = {
    "cet1_ratio": _overall("cet1_overall"),
    "tier1_ratio": _overall("tier1_overall"),
    "total_capital_ratio": _overall("total_overall"),
    "leverage_ratio": lambda results: float(results["capital"]["leverage"]["requirement"]),
    "lcr": lambda results: float(results["liquidity"].get("lcr_minimum", 1.0)),
    "nsfr": lambda results: float(results["liquidity"].get("nsfr_minimum", 1.0)),
}
# The summary's words for the headline metrics; a metric a new step adds shows its own label
WORDS = {
    "cet1_ratio": "CET1 ratio",
    "tier1_ratio": "Tier 1 ratio",
    "total_capital_ratio": "Total capital ratio",
    "leverage_ratio": "Leverage ratio",
    "lcr": "Liquidity coverage ratio (LCR)",
    "nsfr": "Net stable funding ratio (NSFR)",
    "floored_rwa": "Total risk exposure amount (floored)",
    "credit_rwa": "Credit risk RWA",
    "counterparty_rwa": "Counterparty credit risk RWA",
    "operational_rwa": "Operational risk RWA",
    "hqla": "High-quality liquid assets (HQLA)",
    "net_outflows": "Net cash outflows (30 days)",
    "asf": "Available stable funding",
    "rsf": "Required stable funding",
    "combined_buffer_requirement": "Combined buffer requirement",
    "maximum_payout_ratio": "Maximum payout ratio (MDA)",
    "mda_quartile": "MDA quartile",
}
AMOUNTS = {
    "floored_rwa",
    "credit_rwa",
    "counterparty_rwa",
    "operational_rwa",
    "hqla",
    "net_outflows",
    "asf",
    "rsf",
}
LIMITS = {"combined_buffer_requirement": PERCENT, "maximum_payout_ratio": PERCENT, "mda_quartile": "#,##0"}
GENERAL = "General"


def summary_sheet(
    book: Any, styles: Mapping[str, Any], results: Results, info: Sequence[tuple[str, Any, str | None]]
) -> None:
    """The facts of ``info`` (label, value, style name), then the headline metrics of ``results``
    block by block: ratios against requirements, amounts, distribution limits, and any others."""
    sheet = book.add_worksheet("Summary")
    sheet.write_string(0, 0, "Capital and liquidity summary", styles["title"])
    _facts(sheet, styles, info)
    columns = [c for step in STEPS for c in step.headline if c.output in results]
    ratios = [c for c in columns if c.name in REQUIREMENTS]
    amounts = [(_words(c), c.read(results), MONEY) for c in columns if c.name in AMOUNTS]
    amounts += [
        ("Output floor add-on", results["capital"]["rwa"]["floor_add_on"], MONEY),
        ("CET1 capital", results["capital"]["own_funds"]["cet1"], MONEY),
    ]
    limits = [(_words(c), c.read(results), LIMITS[c.name]) for c in columns if c.name in LIMITS]
    known = {*REQUIREMENTS, *AMOUNTS, *LIMITS}
    others = [(_words(c), c.read(results), GENERAL) for c in columns if c.name not in known]
    row = _ratios(sheet, styles, len(info) + 2, ratios, results)
    row = _block(sheet, styles, row + 1, ["Amount", "EUR"], amounts)
    row = _block(sheet, styles, row + 1, ["Distribution limits", "Value"], limits)
    if others:
        _block(sheet, styles, row + 1, ["Other headline metrics", "Value"], others)
    names = (
        [n for n, _, _ in info] + [_words(c) for c in ratios] + [n for n, _, _ in amounts + limits + others]
    )
    money = max(width(v, MONEY) for _, v, _ in amounts)
    # info text may run on into the empty cells to its right; a date cannot (it needs 18)
    widths = set_widths(sheet, [max(map(width, names)), max(money, 18), 13, 12, 10])
    print_setup(sheet, widths, header_rows=0, one_page=True)
    sheet.activate()


def _words(column: HeadlineColumn) -> str:
    return WORDS.get(column.name) or column.label[:1].upper() + column.label[1:]


def _facts(sheet: Any, styles: Mapping[str, Any], info: Sequence[tuple[str, Any, str | None]]) -> None:
    for row, (name, value, kind) in enumerate(info, start=1):
        sheet.write_string(row, 0, name, styles["bold"])
        if kind == "hash":  # a long key: small type across the table's width
            sheet.merge_range(row, 1, row, 4, "", styles["hash"])
            text(sheet, styles, row, 1, value, styles["hash"])
        elif isinstance(value, dt.datetime):
            sheet.write_datetime(row, 1, value, styles[kind or ""])
        elif isinstance(value, int):
            sheet.write_number(row, 1, value, styles[kind or ""])
        else:
            text(sheet, styles, row, 1, value)


def _ratios(
    sheet: Any, styles: Mapping[str, Any], top: int, ratios: Sequence[HeadlineColumn], results: Results
) -> int:
    """Each ratio beside its requirement, the surplus as a formula (with its value) and a status;
    returns the row after the block."""
    sheet.write_row(top, 0, ["Metric", "Value", "Requirement", "Surplus", "Status"], styles["header"])
    for row, column in enumerate(ratios, start=top + 1):
        value, requirement = float(column.read(results)), REQUIREMENTS[column.name](results)
        sheet.write_string(row, 0, _words(column))
        number(sheet, row, 1, value, styles[PERCENT])
        number(sheet, row, 2, requirement, styles[PERCENT])
        surplus = value - requirement
        excel_row = row + 1  # edit a requirement, see the surplus
        if math.isfinite(surplus):
            sheet.write_formula(row, 3, f"=B{excel_row}-C{excel_row}", styles[PERCENT], surplus)
        status(sheet, styles, row, 4, value >= requirement - 1e-12)
    return top + len(ratios) + 1


def _block(
    sheet: Any, styles: Mapping[str, Any], row: int, header: list[str], lines: Sequence[tuple[str, Any, str]]
) -> int:
    """A header, then one labelled value per row (a number in its format); returns the row after
    the block."""
    sheet.write_row(row, 0, header, styles["header"])
    for offset, (name, value, fmt) in enumerate(lines, start=1):
        sheet.write_string(row + offset, 0, name)
        if isinstance(value, int | float | np.number) and not isinstance(value, bool):
            number(sheet, row + offset, 1, value, styles.get(fmt))
        else:
            text(sheet, styles, row + offset, 1, value)
    return row + len(lines) + 1
