"""Open exports of any result: a table to Parquet, CSV or JSON, a dict (such as the capital
statement) to JSON; the file appears whole or not at all.
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from banksim.errors import InputError

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
