"""Whole columns written into a worksheet at once: the cells of a sheet with a million of them.

XlsxWriter keeps an object per cell and writes each cell's XML in a call of its own; a bulk sheet
takes typed columns instead and writes their cells as one block of rows when the workbook is saved.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

MAX_TEXT = 32_767  # UTF-16 units in one cell (Excel's limit; longer text is cut, as XlsxWriter does)
# Text Excel escapes as _xHHHH_: control characters (not allowed in XML 1.0), the two non-characters,
# and the underscore of a literal "_xHHHH_" (as XlsxWriter does for its shared strings)
NEEDS_ESCAPE = re.compile("_x[0-9a-fA-F]{4}_|[\x00-\x08\x0b-\x1f\ufffe\uffff]")
ROWS_PER_BLOCK = 20_000  # rows rendered into one string at a time when the sheet is saved


def fit_text(text: str) -> str:
    """``text`` cut to the MAX_TEXT UTF-16 units a cell holds (most text is far shorter)."""
    if len(text) <= MAX_TEXT // 2:
        return text
    units = text.encode("utf-16-le")
    return units[: 2 * MAX_TEXT].decode("utf-16-le", "ignore") if len(units) > 2 * MAX_TEXT else text


def style_attribute(cell_format: Any) -> str:
    """The ``s`` attribute of a cell in ``cell_format`` (none for the default format)."""
    return f' s="{cell_format._get_xf_index()}"' if cell_format is not None else ""


def text_codes(values: Sequence[Any] | pd.Series) -> tuple[np.ndarray, pd.Series]:
    """Each value's index into its distinct texts (-1: missing or empty, left blank), and the texts."""
    series = pd.Series(values)
    if series.dtype == object:  # factorize takes 1, 1.0 and True for one value: tell them apart as text
        series = series.where(series.isna(), series.astype(str))
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    texts = pd.Series(uniques).astype(str)
    long = (texts.str.len() > MAX_TEXT // 2).to_numpy(dtype=bool)
    if long.any():
        texts = pd.Series([fit_text(t) if cut else t for t, cut in zip(texts, long, strict=True)], dtype=str)
    empty = np.flatnonzero((texts == "").to_numpy(dtype=bool))
    if len(empty):
        codes = np.where(np.isin(codes, empty), -1, codes)
    return codes, texts


def inline_texts(texts: pd.Series) -> list[str]:
    """The ``<is>`` elements of inline strings: XML-escaped, control characters as ``_xHHHH_``,
    leading or trailing space kept (as XlsxWriter writes its shared strings)."""
    escaped = texts.str.replace("&", "&amp;", regex=False)
    escaped = escaped.str.replace("<", "&lt;", regex=False).str.replace(">", "&gt;", regex=False)
    if NEEDS_ESCAPE.search("".join(escaped.tolist())):  # rare: one search over all the texts first
        escaped = pd.Series([NEEDS_ESCAPE.sub(_hex_escape, t) for t in escaped], dtype=str)
    space = (escaped.str.strip() != escaped).to_numpy(dtype=bool)
    starts = np.where(space, '<is><t xml:space="preserve">', "<is><t>").tolist()
    return [f"{start}{text}</t></is>" for start, text in zip(starts, escaped.tolist(), strict=True)]


def _hex_escape(match: re.Match[str]) -> str:
    found = match.group()
    return f"_x005F{found}" if len(found) > 1 else f"_x{ord(found):04X}_"


def number_cells(head: str, tail: str, first_row: int, values: np.ndarray, low: int, high: int) -> np.ndarray:
    """The ``<c>`` elements of ``values[low:high]`` (shortest round-trip digits), "" where not finite."""
    block = values[low:high]
    written = np.isfinite(block)
    rows = (np.flatnonzero(written) + first_row + low + 1).tolist()  # Excel's rows count from 1
    cells = np.full(high - low, "", dtype=object)
    cells[written] = [
        f"{head}{r}{tail}{x!r}</v></c>" for r, x in zip(rows, block[written].tolist(), strict=True)
    ]
    return cells


def text_cells(
    head: str, ends: list[str], first_row: int, codes: np.ndarray, low: int, high: int
) -> np.ndarray:
    """The ``<c>`` elements of ``codes[low:high]`` (each code's attributes and value in ``ends``),
    "" where blank."""
    block = codes[low:high]
    written = block >= 0
    rows = (np.flatnonzero(written) + first_row + low + 1).tolist()
    cells = np.full(high - low, "", dtype=object)
    cells[written] = [f'{head}{r}"{ends[i]}' for r, i in zip(rows, block[written].tolist(), strict=True)]
    return cells


Part = tuple[int, int, Callable[[int, int], np.ndarray]]  # first row, rows, the cells of rows [low, high)


@functools.cache
def bulk_sheet_class() -> type[Any]:
    """The XlsxWriter worksheet class that also takes whole columns (XlsxWriter loads here).

    Pass it to ``add_worksheet(name, worksheet_class=...)``. Its ``number_column`` and
    ``text_column`` keep the column's array (text as indices into its distinct texts, which take
    the workbook's own formats and shared-string table at once); the cells are rendered, a block
    of rows at a time, when the workbook is saved. A sheet holds either such columns or single
    cells written the usual way, not both.
    """
    from xlsxwriter.utility import xl_col_to_name
    from xlsxwriter.worksheet import Worksheet

    class BulkSheet(Worksheet):
        def __init__(self) -> None:
            super().__init__()
            self.columns: dict[int, list[Part]] = {}

        def number_column(self, first_row: int, col: int, values: Any, cell_format: Any = None) -> None:
            """Finite numbers as numbers from ``first_row`` down; NaN and infinities stay blank."""
            array = np.array(values, dtype=float)  # a copy: later changes to ``values`` do not count
            head, tail = f'<c r="{xl_col_to_name(col)}', f'"{style_attribute(cell_format)}><v>'
            self._add(
                first_row, col, len(array), functools.partial(number_cells, head, tail, first_row, array)
            )

        def text_column(
            self,
            first_row: int,
            col: int,
            values: Sequence[Any] | pd.Series,
            cell_format: Any = None,
            flag: Callable[[pd.Series], Any] | None = None,
            flagged_format: Any = None,
        ) -> None:
            """Values as literal text (never a formula) from ``first_row`` down; missing and empty
            values stay blank. ``flag`` takes the distinct texts and returns a boolean mask: the
            texts it marks get ``flagged_format`` instead of ``cell_format``. Texts that repeat go
            to the shared-string table; a column of mostly distinct texts (identifiers) is
            written inline, where sharing would save nothing."""
            codes, texts = text_codes(values)
            count = int((codes >= 0).sum())
            if len(texts) > count // 2:
                kind, contents = "inlineStr", inline_texts(texts)
            else:
                kind, contents = "s", [f"<v>{self.str_table._get_shared_string_index(t)}</v>" for t in texts]
                self.str_table.count += count - len(texts)  # references, not distinct texts
            flagged = np.asarray(flag(texts), dtype=bool) if flag else np.zeros(len(texts), dtype=bool)
            styles = [style_attribute(cell_format), style_attribute(flagged_format)]
            ends = [
                f'{styles[f]} t="{kind}">{c}</c>' for f, c in zip(flagged.tolist(), contents, strict=True)
            ]
            head = f'<c r="{xl_col_to_name(col)}'
            self._add(first_row, col, len(codes), functools.partial(text_cells, head, ends, first_row, codes))

        def _add(self, first_row: int, col: int, rows: int, render: Callable[[int, int], np.ndarray]) -> None:
            if self.constant_memory:
                raise ValueError("bulk columns need a workbook without constant_memory")
            if rows == 0:
                return
            if self._check_dimensions(first_row, col) or self._check_dimensions(first_row + rows - 1, col):
                raise ValueError(f"rows {first_row}-{first_row + rows - 1} are outside the worksheet")
            self.columns.setdefault(col, []).append((first_row, rows, render))

        def _write_sheet_data(self) -> None:
            """The ``<sheetData>`` element: the columns' cells, row by row, in blocks of rows."""
            if not self.columns:
                return super()._write_sheet_data()
            if any(self.table.values()):
                raise ValueError(f"sheet {self.name!r} mixes bulk columns with single cells")
            slot = {col: j for j, col in enumerate(sorted(self.columns), start=1)}
            parts = [(slot[col], *part) for col in sorted(self.columns) for part in self.columns[col]]
            top = min(first for _, first, _, _ in parts)
            bottom = max(first + rows for _, first, rows, _ in parts)
            self.fh.write("<sheetData>")
            for start in range(top, bottom, ROWS_PER_BLOCK):
                stop = min(start + ROWS_PER_BLOCK, bottom)
                grid = np.full((stop - start, len(slot) + 2), "", dtype=object)
                grid[:, 0] = [f'<row r="{r}">' for r in range(start + 1, stop + 1)]
                grid[:, -1] = "</row>"
                for j, first, rows, render in parts:
                    low, high = max(first, start), min(first + rows, stop)
                    if low < high:
                        grid[low - start : high - start, j] = render(low - first, high - first)
                self.fh.write("".join(grid.ravel().tolist()))
            self.fh.write("</sheetData>")
            return None

    return BulkSheet
