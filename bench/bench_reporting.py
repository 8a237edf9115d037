"""Benchmark of the management workbook: build time beside the floor, and a cache hit.

The floor writes the same cells (every value of every sheet, read back from the built workbook)
with XlsxWriter and no styles, print setup, formulas or chart, each the fastest way the build
writes it (the position detail a whole column at a time). Run:
``.venv/bin/python bench/bench_reporting.py [positions]``. Targets: 100k positions built in at
most 4 s; the hit at least 20x faster than building (medians of 5, round-robin in one run; wall
and CPU time, since the machine may be shared).
"""

from __future__ import annotations

import io
import math
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import xlsxwriter

import banksim as bs
from banksim.reporting import WORKBOOK_OPTIONS, excel_workbook
from banksim.reporting.bulk import bulk_sheet_class


def cells(workbook: bytes) -> dict[str, list[tuple[Any, ...]]]:
    """Every sheet's values, as the workbook stores them."""
    book = openpyxl.load_workbook(io.BytesIO(workbook), read_only=True, data_only=True)
    try:
        return {name: list(book[name].iter_rows(values_only=True)) for name in book.sheetnames}
    finally:
        book.close()


Column = tuple[str, Any]  # "number" or "text", and the values from row 1 down


def columns(rows: list[tuple[Any, ...]]) -> list[Column]:
    """A table's columns below its header row, typed and in arrays, as the build has them."""
    found: list[Column] = []
    for values in map(list, zip(*rows[1:], strict=True)):
        if all(v is None or isinstance(v, int | float) for v in values):
            found.append(("number", np.array([math.nan if v is None else v for v in values], dtype=float)))
        else:
            found.append(("text", pd.Series(values, dtype="str")))
    return found


def prepare(sheets: dict[str, list[tuple[Any, ...]]]) -> dict[str, Any]:
    """Each sheet's cells as the floor writes them: the position detail as typed columns (as the
    build has them, in arrays), every other sheet as rows of single cells."""
    return {
        name: (rows[0], columns(rows)) if name.startswith("RWA detail") and len(rows) > 1 else rows
        for name, rows in sheets.items()
    }


def floor(sheets: dict[str, Any]) -> bytes:
    """The same cells with no styles, each written the fastest way the build writes it (single
    cells with the typed methods, the position detail a whole column at a time): the least any
    writer of this workbook has to do."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, WORKBOOK_OPTIONS)
    for name, content in sheets.items():
        if isinstance(content, tuple):
            sheet = book.add_worksheet(name, worksheet_class=bulk_sheet_class())
            header, typed = content
            for col, (kind, values) in enumerate(typed):
                sheet.text_column(0, col, [header[col]])
                if kind == "number":
                    sheet.number_column(1, col, values)
                else:
                    sheet.text_column(1, col, values)
            continue
        write_cells(book.add_worksheet(name), content)
    book.close()
    return buffer.getvalue()


def write_cells(sheet: Any, rows: Any) -> None:
    """Every value of ``rows`` through XlsxWriter's typed single-cell methods, no styles."""
    number, text = sheet.write_number, sheet.write_string
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, str):
                text(r, c, value)
            elif isinstance(value, int | float):
                number(r, c, value)
            elif value is not None:
                sheet.write(r, c, value)


def cell_by_cell(sheets: dict[str, list[tuple[Any, ...]]]) -> bytes:
    """The same cells with no styles, every one through XlsxWriter's typed single-cell methods
    (how the detail was written before it went a column at a time): for reference."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, WORKBOOK_OPTIONS)
    for name, rows in sheets.items():
        write_cells(book.add_worksheet(name), rows)
    book.close()
    return buffer.getvalue()


def timed(function: Callable[[], Any]) -> tuple[float, float]:
    """Wall and CPU seconds of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    function()
    return time.perf_counter() - wall, time.process_time() - cpu


def main(size: int = 100_000, repeats: int = 5) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        with bs.open_store(f"sqlite:///{root / 'bench.db'}", artifact_path=root / "artifacts"):
            run = bs.run_pipeline(size, 1, scenario="severe_recession")
            args = (run.positions, run.rwa, run.lcr, run.nsfr, run.capital, run.liquidity)
            start = time.perf_counter()
            workbook, _ = bs.create_excel_export(run)
            first = time.perf_counter() - start
            same = cells(workbook)
            bare_cells = prepare(same)
            build, bare, single, hit = [], [], [], []
            for _ in range(repeats):  # round-robin, so that all see the same machine
                build.append(timed(lambda: excel_workbook(*args, scenario=run.scenario.name)))
                bare.append(timed(lambda: floor(bare_cells)))
                single.append(timed(lambda: cell_by_cell(same)))
                hit.append(timed(lambda: bs.create_excel_export(run))[0])
    b, f, c = ([statistics.median(t) for t in zip(*runs, strict=True)] for runs in (build, bare, single))
    h = statistics.median(hit)
    count = sum(len(row) for rows in same.values() for row in rows)
    print(
        f"workbook for {size:,} positions ({len(run.rwa):,} RWA lines, {count:,} cells), "
        f"{len(workbook) / 1e6:.1f} MB; first call {first:.2f} s (target: build at most 4 s)"
    )
    print(f"build {b[0]:.2f} s wall, {b[1]:.2f} s CPU")
    print(f"floor {f[0]:.2f} s wall, {f[1]:.2f} s CPU (same cells, same writing, no styles)")
    print(f"build/floor = {b[0] / f[0]:.2f}x wall, {b[1] / f[1]:.2f}x CPU")
    print(f"for reference, the same cells one call each: {c[0]:.2f} s wall, {c[1]:.2f} s CPU")
    print(
        f"create_excel_export cache hit {h * 1e3:.0f} ms (inputs hashed included): "
        f"build/hit = {b[0] / h:.0f}x"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
