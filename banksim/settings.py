"""Runtime settings: where the store lives and how loud banksim logs.

Values come from the environment, then the project's ``.env`` file, then the defaults below;
relative paths in them are relative to the project root (:func:`project_root`), so a notebook
kernel started in ``notebooks/`` uses the same ``./data`` as ``banksim demo`` run from the
project folder. :func:`override_settings` changes them for a block of code.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import logging
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from banksim.errors import InputError

__all__ = ["Settings", "get_settings", "mask_url", "override_settings", "project_root"]

DEFAULTS = {
    "DB_URL": "sqlite:///./data/app.db",
    "ARTIFACT_STORE": "file",
    "ARTIFACT_PATH": "./data/artifacts",
    "LOG_LEVEL": "INFO",
    "MEMORY_CACHE_MB": "1024",
    "WRITE_BEHIND_MB": "1024",
    "SHARE_COLUMNS": "true",
    "INLINE_KB": "64",
}
ARTIFACT_STORES = ("file", "db")
INLINE_KB_MAX = 1024  # larger payloads in rows would make every row read heavy
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

DB_SCHEMES = ("sqlite", "postgresql")  # a driver may follow: postgresql+psycopg, sqlite+pysqlite
# user:password@ in the authority. The password runs to the *last* '@': a password with an
# unencoded '@', ':', '/', '?' or space is hidden whole (a later '@' in the path over-masks, safely).
_URL_PASSWORD = re.compile(r"(?P<head>[a-zA-Z][a-zA-Z0-9+.\-]*://[^:/]*:)(?P<pw>.*)(?=@)", re.DOTALL)
# password=... (and sslpassword=, passwd=, ...) in the query string, which libpq and psycopg accept.
_QUERY_SECRET = re.compile(
    r"(?P<head>(?:^|[?&;\s])[^=&?#;\s]*(?:password|passwd|pwd|secret|token)=)(?P<pw>[^&;#\s]*)", re.I
)


def mask_url(url: str) -> str:
    """Return ``url`` with any password replaced by ``***``.

    Both places a password can sit are masked: the ``user:password@`` part (whatever characters
    the password holds, encoded or not) and a ``password=`` parameter of the query string.

    >>> mask_url("postgresql+psycopg://alice:s3cret@db:5432/risk")
    'postgresql+psycopg://alice:***@db:5432/risk'
    >>> mask_url("postgresql+psycopg://alice@db/risk?password=s3cret&sslmode=require")
    'postgresql+psycopg://alice@db/risk?password=***&sslmode=require'
    """
    masked = _QUERY_SECRET.sub(lambda m: m.group("head") + "***", str(url))
    return _URL_PASSWORD.sub(lambda m: m.group("head") + "***", masked, count=1)


def mask_secrets(text: str, url: str) -> str:
    """``text`` (a driver's error message, say) with ``url``'s password masked wherever it shows.

    The password is masked as a whole word; a password with an unencoded ``@`` is cut there by the
    URL parser, whose "host" then starts with the rest of it (``ss@db`` for ``p@ss``), so that
    rest is masked too. URLs in ``text`` are masked with :func:`mask_url`.
    """
    secrets = {m.group("pw") for m in _QUERY_SECRET.finditer(url)}
    secrets |= {m.group("pw") for m in _URL_PASSWORD.finditer(url)}
    for secret in sorted(filter(None, secrets), key=len, reverse=True):
        if "@" in secret:
            text = text.replace(secret.split("@", 1)[1] + "@", "***@")
        text = re.sub(rf"(?<!\w){re.escape(secret)}(?!\w)", "***", text)
    return mask_url(text)


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
    write_behind_mb : int
        MiB of computed results that may wait to be written on a background thread while the
        caller goes on (``WRITE_BEHIND_MB``); 0 writes every result before returning it.
    share_columns : bool
        Store a result table that repeats most columns of a table stored lately (a
        stressed scenario's against the baseline's) as the columns it changes (``SHARE_COLUMNS``);
        false stores every table whole. See :mod:`banksim.store.shared`.
    inline_kb : int
        KiB up to which a payload goes in its database row rather than a file of its own
        (``INLINE_KB``): a small result then costs no file and no disk syncs of its own; 0 puts
        every payload in a file (with ``ARTIFACT_STORE=db`` every payload is in its row anyway).
    """

    db_url: str = DEFAULTS["DB_URL"]
    artifact_store: str = DEFAULTS["ARTIFACT_STORE"]
    artifact_path: str = DEFAULTS["ARTIFACT_PATH"]
    log_level: str = DEFAULTS["LOG_LEVEL"]
    memory_cache_mb: int = int(DEFAULTS["MEMORY_CACHE_MB"])
    write_behind_mb: int = int(DEFAULTS["WRITE_BEHIND_MB"])
    share_columns: bool = True
    inline_kb: int = int(DEFAULTS["INLINE_KB"])

    def __post_init__(self) -> None:
        if not isinstance(self.share_columns, bool):
            raise InputError("SHARE_COLUMNS", f"expected true or false, got {self.share_columns!r}")
        _check_mib("MEMORY_CACHE_MB", self.memory_cache_mb, "the in-memory tier off")
        _check_mib(
            "WRITE_BEHIND_MB", self.write_behind_mb, "write-behind off: results are written before returning"
        )
        check_inline_kb(self.inline_kb)
        if self.artifact_store not in ARTIFACT_STORES:
            raise InputError(
                "ARTIFACT_STORE", f"unknown value {self.artifact_store!r}", allowed=ARTIFACT_STORES
            )
        if self.log_level.upper() not in LOG_LEVELS:
            raise InputError("LOG_LEVEL", f"unknown value {self.log_level!r}", allowed=LOG_LEVELS)
        check_db_url(self.db_url)

    def __repr__(self) -> str:
        return (
            f"Settings(db_url={mask_url(self.db_url)!r}, artifact_store={self.artifact_store!r}, "
            f"artifact_path={mask_url(self.artifact_path)!r}, log_level={self.log_level!r}, "
            f"memory_cache_mb={self.memory_cache_mb!r}, write_behind_mb={self.write_behind_mb!r}, "
            f"share_columns={self.share_columns!r}, inline_kb={self.inline_kb!r})"
        )


def check_inline_kb(value: Any, name: str = "INLINE_KB") -> None:
    """A payload size in KiB up to which payloads go in their rows: a whole number from 0 to 1024."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= INLINE_KB_MAX:
        raise InputError(
            name,
            f"{value!r} is not a size in KiB from 0 to {INLINE_KB_MAX}",
            allowed=f"a whole number from 0 (every payload in a file) to {INLINE_KB_MAX}",
        )


def _check_mib(name: str, value: Any, zero: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InputError(
            name, f"{value!r} is not a size in MiB", allowed=f"a whole number >= 0 (0 turns {zero})"
        )


def check_db_url(url: Any, argument: str = "DB_URL") -> None:
    """Raise an InputError naming ``argument`` unless ``url`` is a SQLite or PostgreSQL URL."""
    allowed = (
        f"an SQLAlchemy URL of {' or '.join(DB_SCHEMES)} (a driver may follow the '+'), such as "
        "sqlite:///./data/app.db or postgresql+psycopg://user:password@host:5432/db"
    )
    if not isinstance(url, str) or "://" not in url:
        shown = mask_url(url) if isinstance(url, str) else type(url).__name__
        raise InputError(argument, f"{shown!r} is not a database URL", allowed=allowed)
    scheme = url.split("://", 1)[0].strip()
    if scheme.split("+", 1)[0] not in DB_SCHEMES:
        raise InputError(argument, f"unsupported database scheme {scheme!r}", allowed=allowed)
    path = url.partition(":///")[2]
    if url.startswith(("sqlite:///", "sqlite+pysqlite:///")) and "?" not in path and "%" not in path:
        return  # a SQLite file: nothing to parse (and a cache hit on it loads no SQLAlchemy)
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        make_url(url)
    except (ArgumentError, ValueError) as exc:
        reason = f"{mask_url(url)!r} cannot be parsed ({mask_secrets(str(exc), url)})"
        raise InputError(argument, reason, allowed=allowed) from None


_override: contextvars.ContextVar[Settings | None] = contextvars.ContextVar(
    "banksim_settings_override", default=None
)


def _read_dotenv(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    from dotenv import dotenv_values

    return {k: v for k, v in dotenv_values(path).items() if v is not None}


PROJECT_MARKERS = (".env", "pyproject.toml", ".git")
_SCHEME = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://")


def is_url(path: str | os.PathLike[str]) -> bool:
    """True for ``s3://bucket/prefix`` and the like (``file://`` included), False for a path."""
    return isinstance(path, str) and _SCHEME.match(path) is not None


def project_root(start: str | os.PathLike[str] | None = None) -> Path:
    """The folder that relative settings paths and ``.env`` belong to.

    ``BANKSIM_PROJECT_ROOT`` if set; otherwise the nearest of ``start`` (the working directory by
    default) and its parents that holds a ``.env``, ``pyproject.toml`` or ``.git``, not looking
    above the home directory; otherwise ``start`` itself. It is the user's project folder (where
    the notebook or script lives), never banksim's install folder.
    """
    explicit = os.environ.get("BANKSIM_PROJECT_ROOT", "").strip()
    if explicit:
        return Path(explicit).expanduser().resolve()
    here = Path(start if start is not None else Path.cwd()).expanduser().resolve()
    home = Path.home().resolve()
    for folder in (here, *here.parents):
        if folder == home and here != home:
            break  # a dotfile in the home folder does not make every folder below one project
        if any((folder / marker).exists() for marker in PROJECT_MARKERS):
            return folder
    return here


def _under_root(path: str, root: Path) -> str:
    """``path`` made absolute against ``root`` (``~`` expanded; an absolute path or a URL is kept)."""
    if is_url(path):
        return path  # s3://bucket/prefix, memory://, file://...: not a folder of this project
    expanded = Path(path).expanduser()
    return str(expanded if expanded.is_absolute() else Path(os.path.normpath(root / expanded)))


def _sqlite_under_root(url: str, root: Path) -> str:
    """A SQLite URL whose relative database file is made absolute against ``root``."""
    if not url.startswith("sqlite") or "///" not in url:
        return url  # another database, or SQLite in memory (sqlite://)
    head, rest = url.split("///", 1)
    database, _, query = rest.partition("?")
    if not database or database == ":memory:" or database.startswith("file:"):
        return url
    return f"{head}///{_under_root(database, root)}" + (f"?{query}" if query else "")


def get_settings() -> Settings:
    """Return the settings in force (an override if one is active, else env, ``.env``, defaults).

    Relative paths (``DB_URL=sqlite:///./data/app.db``, ``ARTIFACT_PATH=./data/artifacts``) come
    back absolute, resolved against :func:`project_root`, whichever source they came from.
    """
    active = _override.get()
    if active is not None:
        apply_log_level(active.log_level)
        return active
    root = _root_of(os.getcwd(), os.environ.get("BANKSIM_PROJECT_ROOT", ""))
    dotenv_path = root / ".env"
    try:
        stat = dotenv_path.stat()
        dotenv_state: tuple[int, int] | None = (stat.st_mtime_ns, stat.st_size)
    except OSError:
        dotenv_state = None
    settings = _resolved(root, tuple(os.environ.get(name) for name in DEFAULTS), dotenv_state)
    apply_log_level(settings.log_level)
    return settings


@functools.lru_cache(maxsize=32)
def _root_of(cwd: str, explicit: str) -> Path:
    """:func:`project_root`, remembered per working directory and ``BANKSIM_PROJECT_ROOT``."""
    return project_root(cwd)


@functools.lru_cache(maxsize=32)
def _resolved(
    root: Path, environment: tuple[str | None, ...], dotenv_state: tuple[int, int] | None
) -> Settings:
    """The settings for one project root, environment and ``.env`` state (a cache hit asks for
    the settings at least twice: resolving them each time costs about a millisecond)."""
    dotenv = _read_dotenv(root / ".env") if dotenv_state is not None else {}
    values = {
        name: value if value is not None else dotenv.get(name, default)
        for (name, default), value in zip(DEFAULTS.items(), environment, strict=True)
    }
    return Settings(
        db_url=_sqlite_under_root(values["DB_URL"].strip(), root),
        artifact_store=values["ARTIFACT_STORE"].strip().lower(),
        artifact_path=_under_root(values["ARTIFACT_PATH"].strip(), root),
        log_level=values["LOG_LEVEL"].strip().upper(),
        memory_cache_mb=_whole_number("MEMORY_CACHE_MB", values["MEMORY_CACHE_MB"]),
        write_behind_mb=_whole_number("WRITE_BEHIND_MB", values["WRITE_BEHIND_MB"]),
        share_columns=_switch("SHARE_COLUMNS", values["SHARE_COLUMNS"]),
        inline_kb=_whole_number("INLINE_KB", values["INLINE_KB"]),
    )


_applied_level: int | None = None  # the level apply_log_level last gave the banksim logger


def apply_log_level(level: str) -> None:
    """Give the ``banksim`` logger the level ``level`` (``LOG_LEVEL``); :func:`get_settings` calls it.

    Only the level changes: no handler is added, so nothing is printed twice in a notebook. A
    level that other code set on the logger (``logging.getLogger("banksim").setLevel(...)``,
    pytest's ``caplog``) is left alone: the setting replaces only its own earlier value, or none.
    """
    global _applied_level
    wanted = logging.getLevelName(level.upper())
    logger = logging.getLogger("banksim")
    if logger.level == wanted or logger.level not in (logging.NOTSET, _applied_level):
        return
    logger.setLevel(wanted)
    _applied_level = wanted


def _whole_number(name: str, text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise InputError(
            name, f"{text!r} is not a whole number", allowed="a whole number >= 0, e.g. 1024"
        ) from None


_SWITCHES = {
    **dict.fromkeys(("true", "1", "yes", "on"), True),
    **dict.fromkeys(("false", "0", "no", "off"), False),
}


def _switch(name: str, text: str) -> bool:
    try:
        return _SWITCHES[text.strip().lower()]
    except KeyError:
        raise InputError(name, f"{text!r} is not a switch", allowed=sorted(_SWITCHES)) from None


@contextlib.contextmanager
def override_settings(**changes: Any) -> Iterator[Settings]:
    """Use other settings inside a ``with`` block.

    Parameters
    ----------
    **changes
        Field names of :class:`Settings` (``db_url``, ``artifact_store``, ``artifact_path``,
        ``log_level``, ``memory_cache_mb``, ``write_behind_mb``, ``share_columns``) and their new values.

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
