"""Runtime settings: where the store lives and how loud banksim logs.

Values come from the environment, then a ``.env`` file in the working directory, then the
defaults below; :func:`override_settings` changes them for a block of code.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from banksim.errors import InputError

__all__ = ["Settings", "get_settings", "mask_url", "override_settings"]

DEFAULTS = {
    "DB_URL": "sqlite:///./data/app.db",
    "ARTIFACT_STORE": "file",
    "ARTIFACT_PATH": "./data/artifacts",
    "LOG_LEVEL": "INFO",
    "MEMORY_CACHE_MB": "1024",
}
ARTIFACT_STORES = ("file", "db")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

_URL_PASSWORD = re.compile(r"(?P<head>[a-zA-Z][a-zA-Z0-9+.\-]*://[^:/@\s]*:)(?P<pw>[^@\s]*)(?=@)")


def mask_url(url: str) -> str:
    """Return ``url`` with any password replaced by ``***``.

    >>> mask_url("postgresql+psycopg://alice:s3cret@db:5432/risk")
    'postgresql+psycopg://alice:***@db:5432/risk'
    """
    return _URL_PASSWORD.sub(lambda m: m.group("head") + "***", url)


@dataclass(frozen=True)
class Settings:
    """The settings in force.

    Attributes
    ----------
    db_url : str
        SQLAlchemy URL of the metadata database (``DB_URL``).
    artifact_store : {"file", "db"}
        Where payloads go: files under ``artifact_path`` or blobs in the database.
    artifact_path : str
        Root folder of payload files (``ARTIFACT_PATH``).
    log_level : str
        Level of the ``banksim`` logger (``LOG_LEVEL``).
    memory_cache_mb : int
        MiB of recently read results each store keeps in memory, so a repeated hit skips the
        payload read (``MEMORY_CACHE_MB``); 0 turns the in-memory tier off.
    """

    db_url: str = DEFAULTS["DB_URL"]
    artifact_store: str = DEFAULTS["ARTIFACT_STORE"]
    artifact_path: str = DEFAULTS["ARTIFACT_PATH"]
    log_level: str = DEFAULTS["LOG_LEVEL"]
    memory_cache_mb: int = int(DEFAULTS["MEMORY_CACHE_MB"])

    def __post_init__(self) -> None:
        if (
            isinstance(self.memory_cache_mb, bool)
            or not isinstance(self.memory_cache_mb, int)
            or (self.memory_cache_mb < 0)
        ):
            raise InputError(
                "MEMORY_CACHE_MB",
                f"{self.memory_cache_mb!r} is not a size in MiB",
                allowed="a whole number >= 0 (0 turns the in-memory tier off)",
            )
        if self.artifact_store not in ARTIFACT_STORES:
            raise InputError(
                "ARTIFACT_STORE", f"unknown value {self.artifact_store!r}", allowed=ARTIFACT_STORES
            )
        if self.log_level.upper() not in LOG_LEVELS:
            raise InputError("LOG_LEVEL", f"unknown value {self.log_level!r}", allowed=LOG_LEVELS)
        if "://" not in self.db_url:
            raise InputError(
                "DB_URL",
                f"{mask_url(self.db_url)!r} is not a database URL",
                allowed="an SQLAlchemy URL such as sqlite:///./data/app.db or "
                "postgresql+psycopg://user:password@host:5432/db",
            )

    def __repr__(self) -> str:
        return (
            f"Settings(db_url={mask_url(self.db_url)!r}, artifact_store={self.artifact_store!r}, "
            f"artifact_path={self.artifact_path!r}, log_level={self.log_level!r}, "
            f"memory_cache_mb={self.memory_cache_mb!r})"
        )


_override: contextvars.ContextVar[Settings | None] = contextvars.ContextVar(
    "banksim_settings_override", default=None
)


def _read_dotenv(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    from dotenv import dotenv_values

    return {k: v for k, v in dotenv_values(path).items() if v is not None}


def get_settings() -> Settings:
    """Return the settings in force (an override if one is active, else env, ``.env``, defaults)."""
    active = _override.get()
    if active is not None:
        return active
    dotenv = _read_dotenv(Path.cwd() / ".env")
    values = {name: os.environ.get(name, dotenv.get(name, default)) for name, default in DEFAULTS.items()}
    return Settings(
        db_url=values["DB_URL"],
        artifact_store=values["ARTIFACT_STORE"].strip().lower(),
        artifact_path=values["ARTIFACT_PATH"],
        log_level=values["LOG_LEVEL"].strip().upper(),
        memory_cache_mb=_whole_number("MEMORY_CACHE_MB", values["MEMORY_CACHE_MB"]),
    )


def _whole_number(name: str, text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise InputError(
            name, f"{text!r} is not a whole number", allowed="a whole number >= 0, e.g. 1024"
        ) from None


@contextlib.contextmanager
def override_settings(**changes: Any) -> Iterator[Settings]:
    """Use other settings inside a ``with`` block.

    Parameters
    ----------
    **changes
        Field names of :class:`Settings` (``db_url``, ``artifact_store``, ``artifact_path``,
        ``log_level``, ``memory_cache_mb``) and their new values.

    Examples
    --------
    >>> with override_settings(artifact_store="db") as s:
    ...     s.artifact_store
    'db'
    """
    known = {f.name for f in fields(Settings)}
    unknown = sorted(set(changes) - known)
    if unknown:
        raise InputError("override_settings", f"unknown settings {unknown}", allowed=sorted(known))
    token = _override.set(replace(get_settings(), **changes))
    try:
        yield _override.get()  # type: ignore[misc]
    finally:
        _override.reset(token)
