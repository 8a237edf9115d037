"""The workbook's cell formats, and single cells written so that numbers stay numbers and text from
the data stays literal text (never a formula).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from banksim.reporting.labels import MONEY, PERCENT

GREEN, RED, HEADER = "#C6EFCE", "#FFC7CE", "#DDEBF7"
FORMULA_LIKE = ("=", "+", "-", "@")  # a spreadsheet app may read these as the start of a formula
ERROR_LIKE = ("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A")


def workbook_styles(book: Any) -> dict[str, Any]:
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


def is_formula_like(text: str) -> bool:
    """True if a spreadsheet application might take ``text`` for a formula or an error value."""
    return text.startswith(FORMULA_LIKE) or text in ERROR_LIKE


def formula_like(texts: pd.Series) -> np.ndarray:
    """:func:`is_formula_like` of each text, vectorised."""
    return (texts.str.startswith(FORMULA_LIKE) | texts.isin(ERROR_LIKE)).to_numpy(dtype=bool)


def text(sheet: Any, styles: Mapping[str, Any], row: int, col: int, value: Any, style: Any = None) -> None:
    """``value`` as literal text, whatever it starts with (write_string never makes a formula); a
    formula-like value also gets Excel's quote prefix, so that editing the cell keeps it text."""
    string = str(value)
    sheet.write_string(row, col, string, styles["quoted"] if is_formula_like(string) else style)


def number(sheet: Any, row: int, col: int, value: Any, style: Any = None) -> None:
    """A number stays a number; infinity (a ratio with nothing below the line) is written as text."""
    amount = float(value)
    if math.isfinite(amount):
        sheet.write_number(row, col, amount, style)
    elif not math.isnan(amount):
        sheet.write_string(row, col, "infinite" if amount > 0 else "-infinite", style)


def status(sheet: Any, styles: Mapping[str, Any], row: int, col: int, met: bool) -> None:
    """'met' on green or 'BREACH' on red."""
    sheet.write_string(row, col, "met" if met else "BREACH", styles["met" if met else "breach"])
