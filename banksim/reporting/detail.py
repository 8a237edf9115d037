"""The position-level RWA detail: every line, on sheets of at most EXCEL_MAX_ROWS rows, written a
whole column at a time; or, beyond MAX_DETAIL_SHEETS sheets, a note in its place.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from banksim.reporting.bulk import bulk_sheet_class
from banksim.reporting.cells import formula_like
from banksim.reporting.labels import DETAIL_COLUMNS, DETAIL_FORMATS
from banksim.reporting.layout import print_setup, set_widths, width

EXCEL_MAX_ROWS = 1_048_576  # rows per worksheet in Excel 2007+
MAX_DETAIL_SHEETS = 4  # beyond this many sheets the position detail is left out, with a note


def detail_sheets(book: Any, styles: Mapping[str, Any], rwa: pd.DataFrame) -> None:
    """Position-level RWA, split over sheets of at most EXCEL_MAX_ROWS rows, or left out with a note.

    Written column by column from arrays (a million lines cost no per-cell objects); set up to print
    on its own: landscape, one page wide, the header row on every page."""
    per_sheet = EXCEL_MAX_ROWS - 1  # one header row
    sheets = math.ceil(len(rwa) / per_sheet) if len(rwa) else 1
    if sheets > MAX_DETAIL_SHEETS:
        _left_out_note(book, styles, len(rwa), sheets, per_sheet)
        return
    columns = [c for c in DETAIL_COLUMNS if c in rwa.columns]
    # text right after a right-aligned number is indented, to set it off
    indented = [
        i > 0 and c not in DETAIL_FORMATS and columns[i - 1] in DETAIL_FORMATS for i, c in enumerate(columns)
    ]
    widths = [
        _detail_width(rwa[c], DETAIL_COLUMNS[c], DETAIL_FORMATS.get(c)) + 2 * indent
        for c, indent in zip(columns, indented, strict=True)
    ]
    for part in range(sheets):
        name = "RWA detail" if sheets == 1 else f"RWA detail {part + 1}"
        sheet = book.add_worksheet(name, worksheet_class=bulk_sheet_class())
        chunk = rwa.iloc[part * per_sheet : (part + 1) * per_sheet]
        for col, column in enumerate(columns):
            sheet.text_column(0, col, [DETAIL_COLUMNS[column]], styles["header"])
            if column in DETAIL_FORMATS:
                sheet.number_column(
                    1, col, chunk[column].to_numpy(dtype=float), styles[DETAIL_FORMATS[column]]
                )
            else:
                style = styles["indent"] if indented[col] else None
                sheet.text_column(1, col, chunk[column], style, formula_like, styles["quoted"])
        sheet.autofilter(0, 0, len(chunk), len(columns) - 1)
        sheet.freeze_panes(1, 0)
        print_setup(sheet, set_widths(sheet, widths), header_rows=1)


def _left_out_note(book: Any, styles: Mapping[str, Any], lines: int, sheets: int, per_sheet: int) -> None:
    sheet = book.add_worksheet("RWA detail")
    note = (
        f"Left out: {lines:,} lines would need {sheets} sheets of {per_sheet:,} rows "
        f"(more than {MAX_DETAIL_SHEETS}). Use bs.export(rwa, 'rwa.parquet') for the full detail."
    )
    sheet.write_string(0, 0, note, styles["bold"])
    print_setup(sheet, set_widths(sheet, [len(note)], cap=200), header_rows=0)


def _detail_width(values: pd.Series, header: str, number_format: str | None) -> float:
    """The width a detail column needs, from its longest value (found vectorised)."""
    if values.empty:
        longest = 0.0
    elif number_format is not None:
        array = values.to_numpy(dtype=float)
        top = float(np.abs(array[np.isfinite(array)]).max(initial=0.0))
        longest = width(-top, number_format)  # a minus sign included
    else:
        longest = float(pd.Series(pd.unique(values)).astype(str).str.len().max()) + 2  # distinct values
    return max(longest, width(header, bold=True))
