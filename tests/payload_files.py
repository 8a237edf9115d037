"""The payload files of a store, on a local folder or an fsspec filesystem, for tests that damage
or count them. Paths are relative to the store's root (``kind=<kind>/params_hash=<key>/<file>``)."""

from __future__ import annotations

import fnmatch

from sqlalchemy import text

import banksim as bs
from banksim.store import LocalFiles


def listed(store: bs.Store, pattern: str = "*") -> list[str]:
    """Every payload file (temp files included) whose relative path matches ``pattern``."""
    return sorted(path for path, _ in store.files.listing() if fnmatch.fnmatch(path, pattern))


def data_path(store: bs.Store, kind: str, key: str) -> str:
    store.flush()  # a result computed a moment ago may still be on its way (write-behind)
    with store.transaction() as conn:
        return conn.execute(
            text("SELECT data_path FROM simulations WHERE kind = :k AND params_hash = :h"),
            {"k": kind, "h": key},
        ).scalar_one()


def read(store: bs.Store, relative: str) -> bytes:
    files = store.files
    return (
        (files.root / relative).read_bytes()
        if isinstance(files, LocalFiles)
        else files.fs.cat_file(f"{files.root}/{relative}")
    )


def write(store: bs.Store, relative: str, data: bytes) -> None:
    files = store.files
    if isinstance(files, LocalFiles):
        (files.root / relative).write_bytes(data)
    else:
        files.fs.pipe_file(f"{files.root}/{relative}", data)


def delete(store: bs.Store, relative: str) -> None:
    files = store.files
    if isinstance(files, LocalFiles):
        (files.root / relative).unlink()
    else:
        files.fs.rm_file(f"{files.root}/{relative}")


def flip_a_byte(store: bs.Store, relative: str) -> None:
    data = bytearray(read(store, relative))
    data[len(data) // 2] ^= 0xFF
    write(store, relative, bytes(data))
