"""Where payload bytes live: local files, database blobs, or any fsspec filesystem.

A row's ``data_path`` is relative to the backend's root (``kind=<kind>/params_hash=<key>/<file>``)
and is checked against that layout before any use, so no row can lead outside the root.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import os
import re
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

from banksim import payloads
from banksim.errors import StoreError
from banksim.settings import is_url, mask_url

from .rows import Row

__all__ = [
    "DatabaseBlobs",
    "FsspecFiles",
    "LocalFiles",
    "PayloadBackend",
    "Unreadable",
    "file_backend",
    "is_url",
]

# Where a row's data_path may point: a file in its kind's or the artifacts' key folder (temp files
# of a write in progress included). Paths read back from the database are checked against this.
PAYLOAD_PATH = re.compile(
    r"(?:kind=[a-z][a-z0-9_]{0,63}|artifacts)/params_hash=[A-Za-z0-9_-]{1,128}/"
    r"(?:\.tmp-)?[A-Za-z0-9][A-Za-z0-9._-]{0,255}"
)
TEMP_PREFIX = ".tmp-"


class Unreadable(Exception):
    """A payload that is there but cannot be used: outside the root, no permission, I/O error."""


class PayloadBackend(Protocol):
    """What the store needs from a place that keeps payload bytes."""

    def write(self, relative: str, payload: payloads.Payload) -> str | None:
        """Store the bytes whole under ``relative``; return the row's ``data_path`` (None: the
        bytes go into the row itself)."""

    def read(self, row: Row, blob: bytes | None) -> Any | None:
        """The bytes of a row (unverified); None if missing; :class:`Unreadable` if unusable."""

    def state(self, row: Row) -> tuple[Any, ...] | None:
        """What identifies the current content without reading it; None if missing, ``()`` if
        unknown (read it to find out)."""

    def remove(self, data_path: str | None) -> None:
        """Remove a payload (nothing if the path is not a payload path)."""

    def listing(self) -> Iterator[tuple[str, float]]:
        """Every file under the payload folders: relative path and modification time (epoch s)."""

    def uri(self, data_path: str) -> str:
        """An address DuckDB can read once :meth:`register` has run on its connection."""

    def register(self, connection: Any) -> None:
        """Let a DuckDB connection read :meth:`uri` addresses."""

    def arrow_filesystem(self) -> tuple[Any, str]:
        """A pyarrow filesystem and the root path in it, for readers that go through Arrow."""


def payload_relative(relative: Any) -> str | None:
    """``relative`` if it follows the payload layout (no ``..``, no absolute path), else None."""
    if not isinstance(relative, str) or not PAYLOAD_PATH.fullmatch(relative) or ".." in relative:
        return None
    return relative


def file_backend(artifact_path: str | os.PathLike[str]) -> LocalFiles | FsspecFiles:
    """The backend of ``ARTIFACT_PATH``: a folder, or an fsspec URL (``s3://``, ``memory://``)."""
    return FsspecFiles(str(artifact_path)) if is_url(artifact_path) else LocalFiles(artifact_path)


class DatabaseBlobs:
    """Payloads inside their rows (``ARTIFACT_STORE=db``)."""

    root = "database blobs"

    def write(self, relative: str, payload: payloads.Payload) -> str | None:
        return None  # the bytes go in the row, in the transaction that writes it

    def read(self, row: Row, blob: bytes | None) -> Any | None:
        return blob

    def state(self, row: Row) -> tuple[Any, ...] | None:
        return ()

    def remove(self, data_path: str | None) -> None:
        return None

    def listing(self) -> Iterator[tuple[str, float]]:
        return iter(())

    def uri(self, data_path: str) -> str:
        raise StoreError("database blobs have no address DuckDB can read")

    def register(self, connection: Any) -> None:
        return None

    def arrow_filesystem(self) -> tuple[Any, str]:
        raise StoreError("database blobs are not files")


class LocalFiles:
    """Payload files under a local folder: temp file, fsync, size verified, rename, fsync of the folder."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).expanduser().resolve()

    def __repr__(self) -> str:
        return f"LocalFiles({str(self.root)!r})"

    def path(self, data_path: Any) -> Path | None:
        """The file a row's ``data_path`` names, or None if it is not a payload path inside the
        root (absolute, ``..``, another folder, a symlink out)."""
        relative = payload_relative(data_path)
        if relative is None:
            return None
        path = self.root / relative
        try:
            inside = path.resolve().is_relative_to(self.root)
        except (OSError, RuntimeError):  # a symlink loop
            return None
        return path if inside else None

    def write(self, relative: str, payload: payloads.Payload) -> str | None:
        """Write atomically; a failure (disk full, no permission) removes the temp file and
        raises a StoreError that names ``ARTIFACT_PATH``."""
        target = self.root / relative
        folder = target.parent
        temp = folder / f"{TEMP_PREFIX}{uuid.uuid4().hex}"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with open(temp, "wb") as handle:
                handle.write(memoryview(payload.data))
                handle.flush()
                os.fsync(handle.fileno())
                written = os.fstat(handle.fileno()).st_size
            if written != payload.size_bytes:  # verified whole before any row may point at it
                raise OSError(f"wrote {written} of {payload.size_bytes} bytes")
            os.replace(temp, target)
            if sys.platform != "win32":
                fd = os.open(folder, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
        except BaseException as exc:
            with contextlib.suppress(OSError):
                temp.unlink(missing_ok=True)
            if isinstance(exc, OSError):
                raise _write_error(str(self.root), exc) from exc
            raise
        return relative

    def read(self, row: Row, blob: bytes | None) -> Any | None:
        import pyarrow as pa

        path = self.path(row.data_path)
        if path is None:
            raise Unreadable(f"its path {row.data_path!r} is not inside the store")
        try:
            return pa.memory_map(str(path)).read_buffer()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise Unreadable(f"{path} could not be read: {exc}") from exc

    def state(self, row: Row) -> tuple[Any, ...] | None:
        """Device, inode, size, modification and change times: an in-place write changes the
        change time even with the modification time set back."""
        path = self.path(row.data_path)
        if path is None:
            return ()
        try:
            stat = path.stat()
        except FileNotFoundError:
            return None
        except OSError:
            return ()
        return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)

    def remove(self, data_path: str | None) -> None:
        path = self.path(data_path)
        if path is None:
            return
        try:
            path.unlink(missing_ok=True)
            folder = path.parent
            if folder != self.root and not any(folder.iterdir()):
                folder.rmdir()
        except OSError:  # another writer may have just created the folder again
            pass

    def listing(self) -> Iterator[tuple[str, float]]:
        if not self.root.is_dir():
            return
        for path in self.root.rglob("*"):
            relative = path.relative_to(self.root).as_posix()
            try:
                if payload_relative(relative) and path.is_file() and not path.is_symlink():
                    yield relative, path.stat().st_mtime
            except OSError:
                continue

    def uri(self, data_path: str) -> str:
        return str(self.root / data_path)

    def register(self, connection: Any) -> None:
        return None

    def arrow_filesystem(self) -> tuple[Any, str]:
        from pyarrow.fs import LocalFileSystem

        return LocalFileSystem(), str(self.root)


class FsspecFiles:
    """Payload objects on any fsspec filesystem (``s3://bucket/prefix``, ``gs://``, ``memory://``).

    Credentials and endpoints come from the usual environment variables or fsspec's own
    configuration; none is stored or logged. An object is written with one PUT under a fresh
    name before its row is committed, so no row ever points at a partial object.
    """

    def __init__(self, url: str) -> None:
        try:
            from fsspec.core import url_to_fs
        except ModuleNotFoundError as exc:
            raise StoreError(
                f"ARTIFACT_PATH={mask_url(url)} needs fsspec (and s3fs for s3://): install banksim[cluster]"
            ) from exc
        try:
            self.fs, root = url_to_fs(url)
        except (ImportError, ValueError) as exc:
            raise StoreError(f"ARTIFACT_PATH={mask_url(url)} cannot be opened: {exc}") from exc
        self.protocol = url.split("://", 1)[0]
        self.root = root.rstrip("/")
        self.url = mask_url(url)

    def __repr__(self) -> str:
        return f"FsspecFiles({self.url!r})"

    def _path(self, data_path: Any) -> str | None:
        relative = payload_relative(data_path)
        return None if relative is None else f"{self.root}/{relative}"

    def write(self, relative: str, payload: payloads.Payload) -> str | None:
        path = f"{self.root}/{relative}"
        try:
            self.fs.pipe_file(path, bytes(memoryview(payload.data)))
            self.fs.invalidate_cache(path)
            written = self.fs.size(path)
            if written != payload.size_bytes:  # verified whole before any row may point at it
                raise OSError(f"wrote {written} of {payload.size_bytes} bytes")
        except OSError as exc:
            raise _write_error(self.url, exc) from exc
        return relative

    def read(self, row: Row, blob: bytes | None) -> Any | None:
        path = self._path(row.data_path)
        if path is None:
            raise Unreadable(f"its path {row.data_path!r} is not inside the store")
        try:
            return self.fs.cat_file(path)
        except FileNotFoundError:
            return None
        except Exception as exc:  # each filesystem raises its own
            raise Unreadable(f"{self.protocol}://{path} could not be read: {exc}") from exc

    def state(self, row: Row) -> tuple[Any, ...] | None:
        path = self._path(row.data_path)
        if path is None:
            return ()
        try:
            self.fs.invalidate_cache(path)
            info = self.fs.info(path)
        except FileNotFoundError:
            return None
        except Exception:
            return ()
        version = info.get("ETag") or info.get("etag") or info.get("mtime") or info.get("LastModified")
        return (info.get("size"), str(version)) if version else ()

    def remove(self, data_path: str | None) -> None:
        path = self._path(data_path)
        if path is None:
            return
        with contextlib.suppress(FileNotFoundError):
            self.fs.rm_file(path)

    def listing(self) -> Iterator[tuple[str, float]]:
        self.fs.invalidate_cache()
        try:
            found = self.fs.find(self.root, detail=True)
        except FileNotFoundError:
            return
        for path, info in found.items():
            relative = path[len(self.root) + 1 :] if path.startswith(self.root + "/") else ""
            if payload_relative(relative):
                yield relative, _modified(info)

    def uri(self, data_path: str) -> str:
        return f"{self.protocol}://{self.root}/{data_path}"

    def register(self, connection: Any) -> None:
        connection.register_filesystem(self.fs)

    def arrow_filesystem(self) -> tuple[Any, str]:
        from pyarrow.fs import FSSpecHandler, PyFileSystem

        return PyFileSystem(FSSpecHandler(self.fs)), self.root


def _modified(info: dict[str, Any]) -> float:
    """An object's modification time in epoch seconds, from what its filesystem reports."""
    for name in ("mtime", "LastModified", "created", "last_modified"):
        value = info.get(name)
        if isinstance(value, dt.datetime):
            return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).timestamp()
        if isinstance(value, int | float):
            return float(value)
    return dt.datetime.now(dt.UTC).timestamp()  # unknown: young, never removed as an orphan


def _write_error(root: str, exc: OSError) -> StoreError:
    reason = "the disk is full" if exc.errno == errno.ENOSPC else (exc.strerror or str(exc))
    return StoreError(f"could not write a payload under ARTIFACT_PATH={root}: {reason}; nothing was stored")
