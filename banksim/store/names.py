"""Names the store accepts: keys, kinds, artifact names, MIME types, ages, sizes and leases.

Each name becomes a folder, a SQL view or a file name, so each is checked before anything is
written; a bad one raises :class:`~banksim.errors.InputError` naming the argument.
"""

from __future__ import annotations

import datetime as dt
import math
import re

from banksim.errors import InputError

__all__ = [
    "check_key",
    "check_kind",
    "check_lease_seconds",
    "check_mime",
    "check_name",
    "parse_age",
    "parse_size",
]

KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,128}")
KIND_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,62}")  # a folder name and a DuckDB view name
# View names bs.query gives its own tables: a kind of the same name would hide them.
RESERVED_KINDS = frozenset({"configurations", "inputs"})
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
MIME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*")


def check_key(params_hash: str, argument: str = "params_hash") -> str:
    """Return ``params_hash`` if it is 1-128 letters, digits, ``_`` or ``-``; raise otherwise."""
    if not isinstance(params_hash, str) or not KEY_PATTERN.fullmatch(params_hash):
        raise InputError(
            argument,
            f"{params_hash!r} is not a valid key",
            allowed="1 to 128 characters from A-Z, a-z, 0-9, '_' and '-'",
        )
    return params_hash


def check_kind(kind: str, argument: str = "kind") -> str:
    """Return ``kind`` if it is a lower-case identifier (it names a folder and a SQL view)."""
    if not isinstance(kind, str) or not KIND_PATTERN.fullmatch(kind) or kind in RESERVED_KINDS:
        raise InputError(
            argument,
            f"{kind!r} is not a valid kind",
            allowed="a lower-case letter, then up to 62 of a-z, 0-9 and '_'; "
            f"not {' or '.join(sorted(RESERVED_KINDS))} (bs.query's own views)",
        )
    return kind


def check_name(name: str) -> str:
    """Return an artifact ``name`` if it cannot escape its folder (no ``/``, ``..``, NUL)."""
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name) or ".." in name:
        raise InputError(
            "name",
            f"{name!r} is not a valid artifact name",
            allowed="1 to 128 characters from A-Z, a-z, 0-9, '.', '_' and '-', "
            "starting with a letter or digit, without '..'",
        )
    return name


def check_mime(mime: str) -> str:
    if not isinstance(mime, str) or len(mime) > 128 or not MIME_PATTERN.fullmatch(mime):
        raise InputError("mime", f"{mime!r} is not a MIME type", allowed="type/subtype, e.g. text/csv")
    return mime


def check_lease_seconds(seconds: float) -> float:
    """``seconds`` if it is a finite duration above zero; an InputError naming ``lease_seconds``
    otherwise (zero would make the renewer loop without pause)."""
    if not (isinstance(seconds, int | float) and math.isfinite(seconds) and seconds > 0):
        raise InputError("lease_seconds", f"{seconds!r} is not a duration", allowed="seconds > 0")
    return seconds


def parse_age(older_than: dt.timedelta | str | None) -> dt.timedelta | None:
    """Accept a timedelta or ``"30m"``, ``"12h"``, ``"7d"``, ``"2w"``."""
    if older_than is None or isinstance(older_than, dt.timedelta):
        return older_than
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*", str(older_than))
    if not match:
        raise InputError(
            "older_than",
            f"{older_than!r} is not an age",
            allowed="a timedelta or '90s', '30m', '12h', '7d', '2w'",
        )
    unit = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}[match[2]]
    return dt.timedelta(**{unit: float(match[1])})


SIZE_UNITS = {"": 1, "B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
              "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}  # fmt: skip


def parse_size(size: int | str) -> int:
    """Accept bytes or ``"500MB"``, ``"5GB"``, ``"2GiB"`` (decimal and binary units)."""
    if isinstance(size, int) and not isinstance(size, bool) and size >= 0:
        return size
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*", size) if isinstance(size, str) else None
    if not match or match[2].upper() not in SIZE_UNITS:
        raise InputError(
            "max_bytes", f"{size!r} is not a size", allowed="bytes >= 0 or '500MB', '5GB', '2GiB'"
        )
    return int(float(match[1]) * SIZE_UNITS[match[2].upper()])
