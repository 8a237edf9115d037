"""The shortcuts of a fresh process's first hit give what the long ways give.

Code versions: a source file's text digest taken from its bytes (when ``linecache`` does not hold
the file) equals the digest of the text ``linecache`` reads, or is not taken; a walk remembers
each file and each immutable frozen instance for that walk only. Decoding: numeric columns copied
from their Arrow buffers and the dictionaries checked all at once give what ``to_pandas`` gives.
"""

from __future__ import annotations

import codecs
import dataclasses
import hashlib
import importlib
import linecache
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import banksim.code_source as code_source
from banksim import payloads
from banksim.code_version import CodeVersion, code_version

# -- the text digest of a source file from its bytes ------------------------------------------------


def _linecache_digest(path: Path) -> str:
    linecache.checkcache(str(path))
    return hashlib.sha256("".join(linecache.getlines(str(path))).encode()).hexdigest()


@pytest.mark.parametrize(
    "data",
    [
        b"X = 1\n\n\ndef f():\n    return X\n",
        "NAME = 'émission'\n".encode(),
        b"X = 1\n\n\n# the word coding on the third line is not a declaration\n",
    ],
    ids=["ascii", "utf-8", "coding after line two"],
)
def test_a_plain_files_digest_from_its_bytes_is_the_digest_of_its_text(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / f"m_{uuid.uuid4().hex[:8]}.py"
    path.write_bytes(data)
    assert code_source._disk_text_digest(str(path)) == _linecache_digest(path)


@pytest.mark.parametrize(
    "data",
    [
        b"X = 1\r\nY = 2\r\n",  # reading text turns CRLF into LF: the bytes are not the text
        b"X = 1\rY = 2\r",
        codecs.BOM_UTF8 + b"X = 1\n",
        b"# -*- coding: latin-1 -*-\nNAME = '\xe9'\n",
        b"#!/usr/bin/env python\n# coding: utf-8\nX = 1\n",
        b"X = '\xff\xfe'\n",  # not UTF-8: linecache reads no lines
        b"X = 1",  # linecache ends the last line with a newline
        b"",
    ],
    ids=["crlf", "cr", "bom", "latin-1", "declared on line two", "not utf-8", "no final newline", "empty"],
)
def test_a_file_whose_bytes_are_not_its_text_is_read_as_text(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / f"m_{uuid.uuid4().hex[:8]}.py"
    path.write_bytes(data)
    assert code_source._disk_text_digest(str(path)) is None


@pytest.fixture
def module_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, Any]]:
    """A module in a file of its own, imported (never from a .pyc), removed afterwards."""
    name = f"speedmod_{uuid.uuid4().hex[:8]}"
    path = tmp_path / f"{name}.py"
    path.write_text(
        "RATE = 2.0\n\n\ndef helper(x):\n    return x * RATE\n\n\ndef f(x):\n    return helper(x) + 1\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    importlib.invalidate_caches()
    yield path, importlib.import_module(name)
    sys.modules.pop(name, None)
    linecache.cache.pop(str(path), None)


def test_the_memo_address_is_the_same_from_the_bytes_and_from_linecache(
    module_file: tuple[Path, Any],
) -> None:
    path, module = module_file
    linecache.cache.pop(str(path), None)
    from_bytes = code_source._memo_address(module.f)
    assert str(path) not in linecache.cache, "the bytes were read, not the text"
    linecache.getlines(str(path))
    assert code_source._memo_address(module.f) == from_bytes
    assert from_bytes is not None and from_bytes[0] == _linecache_digest(path)


def test_text_held_by_linecache_decides_over_the_file(module_file: tuple[Path, Any]) -> None:
    """Source exec'd under the file's name, its text put in linecache (never checked against the
    file): ``inspect`` reads that text, so the memo address is that text's digest."""
    path, module = module_file
    text = path.read_text().replace("x * RATE", "x / RATE")
    linecache.cache[str(path)] = (len(text), None, text.splitlines(True), str(path))
    exec(compile(text, str(path), "exec"), vars(module))
    address = code_source._memo_address(module.f)
    assert address is not None and address[0] == hashlib.sha256(text.encode()).hexdigest()
    assert "Div" in code_source.normalized_source(module.helper)


def test_a_file_edited_between_walks_is_read_again(module_file: tuple[Path, Any]) -> None:
    """A walk reads each file once; the next walk (after a reload) reads it again."""
    path, module = module_file
    version = CodeVersion(module.f)
    before = version.current()
    assert version.current() == before
    path.write_text(path.read_text().replace("x * RATE", "x - RATE"))
    importlib.reload(module)
    version = CodeVersion(module.f)
    assert version.current() != before
    assert version.current() == code_version(module.f)


# -- frozen instances proven immutable once per walk ---------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Spec:
    name: str
    allowed: tuple[str, ...]
    extra: Any = None


_SHARED = _Spec("a", ("x", "y"))
_HOLDS_A_LIST = _Spec("b", ("z",), extra=[1.0])
SCHEMA = (_SHARED, _HOLDS_A_LIST)
BY_NAME = {spec.name: spec for spec in SCHEMA}


def reads_the_schema_twice() -> int:
    return len(SCHEMA) + len(BY_NAME["a"].allowed) + len(BY_NAME["b"].extra)


def test_an_instance_reached_twice_is_watched_as_it_should_be() -> None:
    """The specs are reached through the tuple and again through the dict: the one holding a list
    is not taken as immutable the second time, so editing its list is seen."""
    version = CodeVersion(reads_the_schema_twice)
    before = version.current()
    _HOLDS_A_LIST.extra.append(2.0)
    try:
        assert version.current() != before
    finally:
        _HOLDS_A_LIST.extra.pop()
    assert version.current() == before
    BY_NAME["a"] = _Spec("a", ("x", "y", "w"))
    try:
        assert version.current() != before
    finally:
        BY_NAME["a"] = _SHARED
    assert version.current() == before


# -- numeric columns from their buffers, dictionaries checked together ---------------------------------


def _reference(table: pa.Table) -> pd.DataFrame:
    return payloads._restore_categories(table, payloads._writable(table.to_pandas()))


def _with_pandas_metadata(table: pa.Table, frame: pd.DataFrame) -> pa.Table:
    return table.replace_schema_metadata(pa.Table.from_pandas(frame).schema.metadata)


def test_columns_at_an_offset_in_their_buffers_decode_as_to_pandas_does() -> None:
    """Arrow arrays can start inside their buffers (a slice); nulls of floating columns are NaN."""
    frame = pd.DataFrame(
        {
            "f64": [1.5, np.nan, -0.0, 3.0, np.nan, 7.25, 8.0, np.nan, 1e300, -2.5, 0.5],
            "f32": np.arange(11, dtype="float32"),
            "i16": np.arange(11, dtype="int16") - 5,
            "flag": [True, False, True, True, False, False, True, False, True, True, False],
            "c": pd.Categorical(list("abcabcabcab")),
        }
    )
    whole = pa.Table.from_pandas(frame, preserve_index=False)
    for start in (0, 1, 3, 8):
        table = whole.slice(start, 3)  # every column a slice of one chunk
        assert table.column("f64").chunk(0).offset == start
        direct = payloads._plain_frame(table)
        assert direct is not None
        reference = _reference(table)
        pd.testing.assert_frame_equal(direct, reference, check_exact=True)
        assert direct._mgr.nblocks == reference._mgr.nblocks
        values = direct["f64"].to_numpy()
        assert np.array_equal(np.isnan(values), np.isnan(reference["f64"].to_numpy()))
        assert all(block.values.flags.writeable for block in direct._mgr.blocks if block.values.ndim == 2)


def test_dictionaries_sharing_values_are_each_unique() -> None:
    """The same values in two columns' dictionaries are no repeat; a repeat inside one is."""
    frame = pd.DataFrame(
        {
            "a": pd.Categorical(["x", "y", "x"], categories=["x", "y", "z"]),
            "b": pd.Categorical(["y", "y", "z"], categories=["z", "y", "x"]),
        }
    )
    table = pa.Table.from_pandas(frame, preserve_index=False)
    direct = payloads._plain_frame(table)
    assert direct is not None
    pd.testing.assert_frame_equal(direct, _reference(table), check_exact=True)

    repeated = pa.DictionaryArray.from_arrays(pa.array([0, 1, 2], type=pa.int8()), pa.array(["x", "y", "x"]))
    clean = pa.DictionaryArray.from_arrays(pa.array([0, 1, 0], type=pa.int8()), pa.array(["x", "y"]))
    table = _with_pandas_metadata(pa.table({"a": clean, "b": repeated}), frame)
    checked = payloads._Dictionaries(table)
    assert checked.unique(0, table.column(0).chunk(0))
    assert not checked.unique(1, table.column(1).chunk(0))
    assert payloads._plain_frame(table) is None
