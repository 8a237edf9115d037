"""Page layout of the workbook's sheets: column widths that fit their content, and the print setup
(A4, landscape where wide, one page wide, header rows repeated, the sheet's name in the footer).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from banksim.reporting.labels import PERCENT

PORTRAIT_PIXELS = 700  # pixels (Arial 10) across a portrait A4 page at 100%


def width(value: Any, number_format: str | None = None, bold: bool = False) -> float:
    """Characters a cell needs (Arial 10: a little more for bold text, and a margin)."""
    if isinstance(value, str):
        return len(value) * (1.1 if bold else 1.0) + 2
    if number_format == PERCENT:
        return len(f"{float(value):.2%}") + 2
    if isinstance(value, int | float) and math.isfinite(value):
        return len(f"{float(value):,.0f}") + 3
    return 10


def set_widths(sheet: Any, widths: Sequence[float], cap: float = 60) -> list[float]:
    """Set the columns' widths (at least 8, at most ``cap`` characters); returns them as set."""
    fitted = [min(max(w, 8.0), cap) for w in widths]
    for col, fit in enumerate(fitted):
        sheet.set_column(col, col, fit)
    return fitted


def print_setup(sheet: Any, widths: Sequence[float], header_rows: int, one_page: bool = False) -> None:
    """A4, landscape where the columns are wider than a portrait page, one page wide (and one page
    high if ``one_page``), the header rows repeated on every page, the sheet name and page number
    in the footer."""
    sheet.set_paper(9)  # A4
    if sum(w * 7 + 5 for w in widths) > PORTRAIT_PIXELS:
        sheet.set_landscape()
    sheet.fit_to_pages(1, 1 if one_page else 0)
    if header_rows:
        sheet.repeat_rows(0, header_rows - 1)
    sheet.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.6)
    sheet.set_footer("&L&8&A&R&8Page &P of &N")
