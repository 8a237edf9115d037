"""The workbook's IFRS 9 and IRRBB sheets: the loss allowance by stage and class, and ΔEVE by shock
and currency against the outlier line with ΔNII of the parallel shocks, each set up to print.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from banksim.regulation.irrbb_parameters import PARALLEL_SCENARIOS, SHOCK_LABELS
from banksim.reporting.cells import number, status, text
from banksim.reporting.labels import MONEY, PERCENT, label
from banksim.reporting.layout import print_setup, set_widths, width

AGGREGATIONS = {"basel": "Basel, losses only", "eu_sot": "EU, gains at 50%"}


class _Grid:
    """Cells written row by row, remembering the width each column needs."""

    def __init__(self, sheet: Any, styles: Mapping[str, Any]) -> None:
        self.sheet, self.styles, self.widths = sheet, styles, [0.0] * 12

    def _fit(self, col: int, need: float) -> None:
        self.widths[col] = max(self.widths[col], need)

    def header(self, row: int, col: int, cells: Sequence[str]) -> None:
        self.sheet.write_row(row, col, list(cells), self.styles["header"])
        for i, cell in enumerate(cells):
            self._fit(col + i, width(cell, bold=True))

    def text(self, row: int, col: int, value: str, style: str | None = None, fit: bool = True) -> None:
        text(self.sheet, self.styles, row, col, value, self.styles[style] if style else None)
        if fit:
            self._fit(col, width(value, bold=style == "bold"))

    def number(self, row: int, col: int, value: float, number_format: str, bold: bool = False) -> None:
        number(self.sheet, row, col, value, self.styles["total_money" if bold else number_format])
        self._fit(col, width(value, number_format) * (1.1 if bold else 1.0))

    def finish(self, header_rows: int) -> None:
        used = [w for w in self.widths if w] or [10.0]
        print_setup(self.sheet, set_widths(self.sheet, used), header_rows=header_rows)


def ecl_sheet(book: Any, styles: Mapping[str, Any], summary: pd.DataFrame) -> None:
    """The loss allowance by IFRS 9 stage and exposure class (methodology 12), with a total line."""
    sheet = book.add_worksheet("IFRS 9")
    grid = _Grid(sheet, styles)
    grid.text(0, 0, "IFRS 9 expected credit loss: loss allowance by stage and class", "title", fit=False)
    header = ["Stage", "Exposure class", "Exposures", "Exposure at default (EUR)", "12-month ECL (EUR)",
              "Lifetime ECL (EUR)", "Loss allowance (EUR)", "Coverage"]  # fmt: skip
    grid.header(1, 0, header)
    table = summary.sort_values(["stage", "exposure_class"], kind="stable")
    row = 2
    records: list[Any] = list(table.itertuples(index=False))
    for record in records:
        grid.text(row, 0, f"Stage {int(record.stage)}")
        grid.text(row, 1, label(record.exposure_class))
        grid.number(row, 2, int(record.exposures), "#,##0")
        for col, value in ((3, record.ead_0), (4, record.ecl_12m), (5, record.ecl_lifetime),
                           (6, record.loss_allowance)):  # fmt: skip
            grid.number(row, col, float(value), MONEY)
        grid.number(row, 7, float(record.coverage), PERCENT)
        row += 1
    row = _stage_totals(grid, table, row + 1)
    sheet.freeze_panes(2, 0)
    grid.finish(header_rows=2)


def _stage_totals(grid: _Grid, table: pd.DataFrame, row: int) -> int:
    """Per stage and in all: exposures, EAD, allowance, share of the allowance, coverage."""
    grid.header(row, 0, ["Stage", "", "Exposures", "Exposure at default (EUR)", "", "",
                         "Loss allowance (EUR)", "Coverage"])  # fmt: skip
    grid.text(row, 8, "Share of allowance", "header")
    by_stage = table.groupby("stage")[["exposures", "ead_0", "loss_allowance"]].sum()
    total_allowance = float(by_stage["loss_allowance"].sum())
    rows = [(f"Stage {s}", r) for s, r in by_stage.iterrows()] + [("Total", by_stage.sum())]
    for name, values in rows:
        row += 1
        bold = name == "Total"
        grid.text(row, 0, name, "bold" if bold else None)
        grid.number(row, 2, int(values["exposures"]), "#,##0")
        grid.number(row, 3, float(values["ead_0"]), MONEY, bold)
        grid.number(row, 6, float(values["loss_allowance"]), MONEY, bold)
        ead = float(values["ead_0"])
        grid.number(row, 7, float(values["loss_allowance"]) / ead if ead else 0.0, PERCENT)
        share = float(values["loss_allowance"]) / total_allowance if total_allowance else 0.0
        grid.number(row, 8, share, PERCENT)
    return row


def irrbb_sheet(
    book: Any,
    styles: Mapping[str, Any],
    irrbb: Mapping[str, Any],
    eve: pd.DataFrame,
    nii: pd.DataFrame | None,
) -> None:
    """ΔEVE (a loss positive) by shock and currency with the aggregate and its share of Tier 1, the
    outlier test under both aggregations, and ΔNII (a gain positive) of the parallel shocks
    (methodology 13.7-13.8)."""
    sheet = book.add_worksheet("IRRBB")
    grid = _Grid(sheet, styles)
    grid.text(0, 0, "Interest-rate risk in the banking book: ΔEVE and ΔNII", "title", fit=False)
    by_currency = eve.pivot_table(index="scenario", columns="currency", values="delta_eve_reporting",
                                  aggfunc="sum", observed=True)  # fmt: skip
    currencies = [str(c) for c in by_currency.columns]
    aggregate = f"ΔEVE, {AGGREGATIONS.get(str(irrbb['aggregation']), str(irrbb['aggregation']))} (EUR)"
    header = ["Shock scenario", *(f"ΔEVE {c} (EUR)" for c in currencies), aggregate, "ΔEVE / Tier 1"]
    grid.header(1, 0, header)
    tier1 = float(irrbb["tier1"])
    amounts = by_currency.reindex(list(SHOCK_LABELS)).to_numpy(dtype=float)
    for row, (name, words) in enumerate(SHOCK_LABELS.items(), start=2):
        grid.text(row, 0, words)
        for col in range(len(currencies)):
            grid.number(row, col + 1, float(amounts[row - 2, col]), MONEY)
        total = float(irrbb["delta_eve"][name])
        grid.number(row, len(currencies) + 1, total, MONEY)
        grid.number(row, len(currencies) + 2, total / tier1 if tier1 else 0.0, PERCENT)
    row = _outlier_tests(grid, irrbb, len(SHOCK_LABELS) + 3)
    if nii is not None:
        _delta_nii(grid, nii, irrbb, row + 2)
    sheet.freeze_panes(2, 0)
    grid.finish(header_rows=2)


def _outlier_tests(grid: _Grid, irrbb: Mapping[str, Any], row: int) -> int:
    """Per aggregation: the worst shock, its ΔEVE, the ratio to Tier 1, the 15% line, the verdict."""
    grid.header(row, 0, ["Outlier test (SRP31.82)", "Worst shock", "ΔEVE (EUR)", "Tier 1 (EUR)",
                         "ΔEVE / Tier 1", "Outlier line", "Within the line"])  # fmt: skip
    for name, test in irrbb["outlier_tests"].items():
        row += 1
        grid.text(row, 0, AGGREGATIONS.get(str(name), label(name)))
        grid.text(row, 1, SHOCK_LABELS.get(str(test["worst_scenario"]), label(test["worst_scenario"])))
        grid.number(row, 2, float(test["measure"]), MONEY)
        grid.number(row, 3, float(test["tier1"]), MONEY)
        grid.number(row, 4, float(test["ratio"]), PERCENT)
        grid.number(row, 5, float(test["threshold"]), PERCENT)
        status(grid.sheet, grid.styles, row, 6, not bool(test["outlier"]))
    return row


def _delta_nii(grid: _Grid, nii: pd.DataFrame, irrbb: Mapping[str, Any], row: int) -> None:
    """ΔNII over 12 months by currency for the parallel shocks, and the total."""
    by_currency = nii.pivot_table(index="scenario", columns="currency", values="delta_nii_reporting",
                                  aggfunc="sum", observed=True)  # fmt: skip
    currencies = [str(c) for c in by_currency.columns]
    grid.header(row, 0, ["ΔNII, 12 months", *(f"ΔNII {c} (EUR)" for c in currencies), "ΔNII total (EUR)"])
    amounts = by_currency.reindex(list(PARALLEL_SCENARIOS)).to_numpy(dtype=float)
    for i, name in enumerate(PARALLEL_SCENARIOS):
        row += 1
        grid.text(row, 0, SHOCK_LABELS[name])
        for col in range(len(currencies)):
            grid.number(row, col + 1, float(amounts[i, col]), MONEY)
        grid.number(row, len(currencies) + 1, float(irrbb[f"delta_nii_{name}"]), MONEY)
