"""Reading a positions table from a file (CSV, Parquet or Excel), validated on the way in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from banksim.errors import InputError
from banksim.positions.validation import validate_positions

__all__ = ["read_positions"]


def read_positions(path: str | Path, **kwargs: Any) -> pd.DataFrame:
    """Read positions from ``.csv``, ``.parquet`` or ``.xlsx`` and validate them."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        frame = pd.read_csv(path, keep_default_na=True, **kwargs)
    elif suffix in (".parquet", ".pq"):
        frame = pd.read_parquet(path, **kwargs)
    elif suffix in (".xlsx", ".xlsm"):
        frame = pd.read_excel(path, **kwargs)
    else:
        raise InputError("path", f"unsupported file type {suffix!r}", allowed=[".csv", ".parquet", ".xlsx"])
    return validate_positions(frame)
