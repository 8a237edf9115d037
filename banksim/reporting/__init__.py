"""Reporting: an Excel workbook for management, and open exports (Parquet, CSV, JSON) for everyone.

``excel_workbook`` writes the summary, RWA, LCR, NSFR and capital sheets and the position-level
detail with XlsxWriter (each formula with its computed value, every sheet set up to print);
``export`` writes any result table or dict. XlsxWriter loads only when a workbook is made.
"""

from __future__ import annotations

from banksim.reporting.detail import EXCEL_MAX_ROWS, MAX_DETAIL_SHEETS
from banksim.reporting.exports import FORMATS, export
from banksim.reporting.workbook import UNNAMED_SCENARIO, WORKBOOK_OPTIONS, excel_workbook

__all__ = [
    "EXCEL_MAX_ROWS",
    "FORMATS",
    "MAX_DETAIL_SHEETS",
    "UNNAMED_SCENARIO",
    "WORKBOOK_OPTIONS",
    "excel_workbook",
    "export",
]
