"""Reporting: an Excel workbook for management, and open exports (Parquet, CSV, JSON) for everyone.

``excel_workbook`` writes the summary, RWA, LCR, NSFR and capital sheets and the position-level
detail in openpyxl's streaming (write-only) mode; ``export`` writes any result table or dict.
openpyxl loads only when a workbook is made.
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

__all__ = ["EXCEL_MAX_ROWS", "MAX_DETAIL_SHEETS", "excel_workbook", "export"]

EXCEL_MAX_ROWS = 1_048_576  # rows per worksheet in Excel 2007+
MAX_DETAIL_SHEETS = 4  # beyond this many sheets the position detail is left out, with a note
DETAIL_COLUMNS = (
    "position_id",
    "risk_type",
    "exposure_class",
    "sub_class",
    "approach",
    "ccf",
    "exposure",
    "risk_weight",
    "rwa",
    "sa_risk_weight",
    "rwa_standardised",
    "rule",
)
MONEY = "#,##0"
PERCENT = "0.00%"
GREEN, RED, HEADER = "C6EFCE", "FFC7CE", "DDEBF7"


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
    scenario: str = "baseline",
    params_hash: str = "",
) -> bytes:
    """The management workbook as ``.xlsx`` bytes.

    Parameters
    ----------
    positions, rwa, lcr, nsfr, capital
        Results of :func:`banksim.run_simulation`, :func:`banksim.compute_rwa`,
        :func:`banksim.compute_liquidity` and :func:`banksim.compute_capital` for one bank.
    liquidity : dict, optional
        The liquidity summary; recomputed from ``lcr`` and ``nsfr`` with the default parameters if
        not given.
    scenario, params_hash : str
        Shown on the summary sheet for reproducibility.
    """
    from openpyxl import Workbook  # loaded on use: keeps `import banksim` light

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

    book = Workbook(write_only=True)
    _summary_sheet(book, capital, liquidity, scenario, params_hash, __version__, len(positions))
    _rwa_sheet(book, rwa)
    _lcr_sheet(book, liquidity)
    _nsfr_sheet(book, liquidity)
    _capital_sheet(book, capital)
    _detail_sheets(book, rwa)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# -- sheet helpers ----------------------------------------------------------------------------------


def _cell(
    sheet: Any, value: Any, number_format: str | None = None, bold: bool = False, fill: str | None = None
) -> Any:
    """A styled cell; a string is always text, never a formula (see :func:`_formula`)."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font, PatternFill

    if isinstance(value, float) and not math.isfinite(value):
        value = "inf" if value > 0 else ("-inf" if value < 0 else "")
    cell = _text(sheet, value) if isinstance(value, str) else WriteOnlyCell(sheet, value=value)
    if number_format:
        cell.number_format = number_format
    if bold:
        cell.font = Font(bold=True)
    if fill:
        cell.fill = PatternFill("solid", start_color=fill, end_color=fill)
    return cell


FORMULA_LIKE = ("=", "+", "-", "@")  # a spreadsheet app may read these as the start of a formula


def _text(sheet: Any, value: str) -> Any:
    """A cell holding ``value`` as literal text, whatever it starts with.

    openpyxl turns a string starting with '=' into a formula and '#N/A' and the like into error
    values; data (position ids, categories, scenario names) must stay text, so the type is set
    back to string. A value that looks like a formula also gets Excel's quote prefix, so that
    editing the cell keeps it text.
    """
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ERROR_CODES

    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    if value.startswith(FORMULA_LIKE) or value in ERROR_CODES:
        cell.quotePrefix = True
    return cell


def _formula(sheet: Any, formula: str, number_format: str) -> Any:
    """A live formula written by banksim itself (never built from data)."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=formula)
    cell.data_type = "f"
    cell.number_format = number_format
    return cell


def _header(sheet: Any, names: Sequence[str]) -> list[Any]:
    return [_cell(sheet, name, bold=True, fill=HEADER) for name in names]


def _widths(sheet: Any, widths: Sequence[int]) -> None:
    from openpyxl.utils import get_column_letter

    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width


def _summary_sheet(
    book: Any,
    capital: Mapping[str, Any],
    liquidity: Mapping[str, Any],
    scenario: str,
    params_hash: str,
    version: str,
    positions: int,
) -> None:
    sheet = book.create_sheet("Summary")
    _widths(sheet, [34, 14, 14, 14, 10])
    sheet.freeze_panes = "A5"
    sheet.append([_cell(sheet, "banksim capital and liquidity summary", bold=True)])
    sheet.append(
        [
            _cell(sheet, f"scenario: {scenario}"),
            _cell(sheet, f"positions: {positions:,}"),
            _cell(sheet, f"params hash: {params_hash or '-'}"),
            _cell(sheet, f"banksim {version}"),
        ]
    )
    sheet.append([_cell(sheet, f"generated {dt.datetime.now(dt.UTC).isoformat(timespec='seconds')}")])
    sheet.append(_header(sheet, ["metric", "value", "requirement", "surplus", "status"]))
    overall = {r["requirement"]: r for r in capital["requirements"]}
    lines = [
        ("CET1 ratio", capital["ratios"]["cet1_ratio"], overall["cet1_overall"]["required_ratio"]),
        ("Tier 1 ratio", capital["ratios"]["tier1_ratio"], overall["tier1_overall"]["required_ratio"]),
        (
            "Total capital ratio",
            capital["ratios"]["total_capital_ratio"],
            overall["total_overall"]["required_ratio"],
        ),
        ("Leverage ratio", capital["leverage"]["leverage_ratio"], capital["leverage"]["requirement"]),
        ("LCR", liquidity["lcr"], 1.0),
        ("NSFR", liquidity["nsfr"], 1.0),
    ]
    for row, (name, value, requirement) in enumerate(lines, start=5):
        met = value >= requirement - 1e-12
        sheet.append(
            [
                _cell(sheet, name),
                _cell(sheet, value, PERCENT),
                _cell(sheet, requirement, PERCENT),
                _formula(sheet, f"=B{row}-C{row}", PERCENT),  # edit a requirement, see the surplus
                _cell(sheet, "met" if met else "BREACH", bold=not met, fill=GREEN if met else RED),
            ]
        )
    sheet.append([])
    sheet.append(_header(sheet, ["amounts", "EUR"]))
    for name, value in (
        ("Total risk exposure amount (floored)", capital["rwa"]["floored_rwa"]),
        ("Output floor add-on", capital["rwa"]["floor_add_on"]),
        ("CET1 capital", capital["own_funds"]["cet1"]),
        ("HQLA", liquidity["hqla"]),
        ("Net cash outflows", liquidity["net_outflows"]),
    ):
        sheet.append([_cell(sheet, name), _cell(sheet, value, MONEY)])
    sheet.append([])
    sheet.append(
        [
            _cell(sheet, "Maximum payout ratio (MDA)"),
            _cell(sheet, capital["mda"]["maximum_payout_ratio"], PERCENT),
        ]
    )
    sheet.append(
        [
            _cell(sheet, "Combined buffer requirement"),
            _cell(sheet, capital["buffers"]["combined_buffer_requirement"], PERCENT),
        ]
    )


def _rwa_sheet(book: Any, rwa: pd.DataFrame) -> None:
    from openpyxl.chart import BarChart, Reference

    sheet = book.create_sheet("RWA")
    _widths(sheet, [16, 28, 10, 10, 18, 18, 18, 12])
    sheet.freeze_panes = "A2"
    columns = [
        "risk_type",
        "exposure_class",
        "approach",
        "lines",
        "exposure",
        "rwa",
        "rwa_standardised",
        "average_risk_weight",
    ]
    sheet.append(_header(sheet, columns))
    table = rwa_summary(rwa)[columns]
    formats = [None, None, None, "0", MONEY, MONEY, MONEY, PERCENT]
    for record in table.itertuples(index=False):
        average = float(record[7]) if record[4] else 0.0  # no exposure: 0%, as a number
        values = [
            str(record[0]),
            str(record[1]),
            str(record[2]),
            int(record[3]),
            float(record[4]),
            float(record[5]),
            float(record[6]),
            average,
        ]
        sheet.append([_cell(sheet, v, f) for v, f in zip(values, formats, strict=True)])
    last = len(table) + 1
    sheet.append(
        [
            _cell(sheet, "Total", bold=True),
            None,
            None,
            None,
            _formula(sheet, f"=SUM(E2:E{last})", MONEY),
            _formula(sheet, f"=SUM(F2:F{last})", MONEY),
            _formula(sheet, f"=SUM(G2:G{last})", MONEY),
        ]
    )
    sheet.auto_filter.ref = f"A1:H{last}"
    chart = BarChart()
    chart.type = "bar"
    chart.title = "RWA by exposure class and approach"
    chart.y_axis.title = "RWA (EUR)"
    chart.x_axis.title = "exposure class"
    chart.add_data(Reference(sheet, min_col=6, min_row=1, max_row=last), titles_from_data=True)
    chart.set_categories(Reference(sheet, min_col=2, min_row=2, max_row=last))
    chart.height, chart.width = 12, 22
    sheet.add_chart(chart, "J2")


def _item_sheet(book: Any, name: str, title: str, rows: list[tuple[str, Any, str]]) -> None:
    """A titled two-column sheet: item, then its amount or ratio in the given number format."""
    sheet = book.create_sheet(name)
    _widths(sheet, [44, 18])
    sheet.append([_cell(sheet, title, bold=True)])
    sheet.append(_header(sheet, ["item", "EUR / ratio"]))
    for item, value, number_format in rows:
        sheet.append([_cell(sheet, item), _cell(sheet, value, number_format)])


def _lcr_sheet(book: Any, s: Mapping[str, Any]) -> None:
    rows: list[tuple[str, Any, str]] = [
        ("C 72.00 Level 1 assets (after haircut)", s["hqla_level1"], MONEY),
        ("C 72.00 Level 2A assets (after haircut)", s["hqla_level2a"], MONEY),
        ("C 72.00 Level 2B assets (after haircut)", s["hqla_level2b"], MONEY),
        ("HQLA before caps", s["hqla_before_caps"], MONEY),
        ("Adjustment for the 15% Level 2B cap", s["adjustment_15_percent_cap"], MONEY),
        ("Adjustment for the 40% Level 2 cap", s["adjustment_40_percent_cap"], MONEY),
        ("HQLA after caps", s["hqla"], MONEY),
        *[(f"C 73.00 outflow: {k}", v, MONEY) for k, v in s["outflows_by_category"].items()],
        ("Total outflows", s["outflows"], MONEY),
        *[(f"C 74.00 inflow: {k}", v, MONEY) for k, v in s["inflows_by_category"].items()],
        ("Total inflows", s["inflows"], MONEY),
        ("Inflows after the 75% cap", s["inflows_capped"], MONEY),
        ("Net cash outflows", s["net_outflows"], MONEY),
        ("LCR", s["lcr"], PERCENT),
    ]
    _item_sheet(book, "LCR", "LCR (simplified C 72.00 - C 74.00)", rows)


def _nsfr_sheet(book: Any, s: Mapping[str, Any]) -> None:
    rows: list[tuple[str, Any, str]] = [
        *[(f"C 81.00 ASF: {k}", v, MONEY) for k, v in s["asf_by_category"].items()],
        ("Available stable funding", s["asf"], MONEY),
        *[(f"C 80.00 RSF: {k}", v, MONEY) for k, v in s["rsf_by_category"].items()],
        ("Required stable funding", s["rsf"], MONEY),
        ("NSFR", s["nsfr"], PERCENT),
    ]
    _item_sheet(book, "NSFR", "NSFR (simplified C 80.00 - C 81.00)", rows)


def _capital_sheet(book: Any, capital: Mapping[str, Any]) -> None:
    from banksim.regulation.capital import capital_statement

    sheet = book.create_sheet("Capital")
    _widths(sheet, [10, 44, 18])
    sheet.freeze_panes = "A2"
    sheet.append(_header(sheet, ["template", "row", "value"]))
    for record in capital_statement(capital).itertuples(index=False):
        number_format = PERCENT if record.unit == "ratio" else MONEY
        sheet.append(
            [
                _cell(sheet, record.template),
                _cell(sheet, record.row),
                _cell(sheet, float(record.value), number_format),  # type: ignore[arg-type]
            ]
        )
    sheet.append([])
    sheet.append(
        _header(sheet, ["requirement", "required ratio", "surplus (points)", "surplus (EUR)", "met"])
    )
    for r in capital["requirements"]:
        sheet.append(
            [
                _cell(sheet, r["requirement"]),
                _cell(sheet, r["required_ratio"], PERCENT),
                _cell(sheet, r["surplus_points"], PERCENT),
                _cell(sheet, r["surplus_amount"], MONEY),
                _cell(sheet, "met" if r["met"] else "BREACH", fill=GREEN if r["met"] else RED),
            ]
        )


def _detail_sheets(book: Any, rwa: pd.DataFrame) -> None:
    """Position-level RWA, split over sheets of at most EXCEL_MAX_ROWS rows, or left out with a note."""
    per_sheet = EXCEL_MAX_ROWS - 1  # one header row
    sheets = math.ceil(len(rwa) / per_sheet) if len(rwa) else 1
    if sheets > MAX_DETAIL_SHEETS:
        sheet = book.create_sheet("RWA detail")
        sheet.append(
            [
                _cell(
                    sheet,
                    f"Left out: {len(rwa):,} lines would need {sheets} sheets of "
                    f"{per_sheet:,} rows (more than {MAX_DETAIL_SHEETS}). Use "
                    "bs.export(rwa, 'rwa.parquet') for the full detail.",
                    bold=True,
                )
            ]
        )
        return
    columns = [c for c in DETAIL_COLUMNS if c in rwa.columns]
    formats = {
        "exposure": MONEY,
        "rwa": MONEY,
        "rwa_standardised": MONEY,
        "ccf": PERCENT,
        "risk_weight": PERCENT,
        "sa_risk_weight": PERCENT,
    }
    detail = rwa[columns]
    for part in range(sheets):
        name = "RWA detail" if sheets == 1 else f"RWA detail {part + 1}"
        sheet = book.create_sheet(name)
        sheet.freeze_panes = "A2"
        _widths(sheet, [18, 12, 24, 22, 9, 8, 16, 10, 16, 10, 16, 16])
        sheet.append(_header(sheet, columns))
        chunk = detail.iloc[part * per_sheet : (part + 1) * per_sheet]
        arrays = [
            chunk[c].to_numpy(dtype=float) if c in formats else _text_column(sheet, chunk[c]) for c in columns
        ]
        styled = [(i, formats[c]) for i, c in enumerate(columns) if c in formats]
        for values in zip(*arrays, strict=True):
            row: list[Any] = list(values)
            for i, number_format in styled:
                row[i] = _cell(sheet, float(row[i]), number_format) if math.isfinite(row[i]) else None
            sheet.append(row)
        sheet.auto_filter.ref = f"A1:{chr(ord('A') + len(columns) - 1)}{len(chunk) + 1}"


def _text_column(sheet: Any, values: pd.Series) -> Any:
    """A column of strings for ``sheet.append``: plain strings, except that values openpyxl would
    turn into a formula or an error value become text cells (found vectorised, so a million
    ordinary ids cost no cell objects)."""
    from openpyxl.cell.cell import ERROR_CODES

    text = values.astype(str)
    risky = text.str.startswith(FORMULA_LIKE) | text.isin(ERROR_CODES)
    array = text.to_numpy(dtype=object)
    for i in np.flatnonzero(risky.to_numpy()):
        array[i] = _text(sheet, array[i])
    return array


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
