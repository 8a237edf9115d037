"""The banksim command: db, cache ls/stats/purge and demo, on a store chosen by the settings."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

import banksim as bs
from banksim.cli import main


@pytest.fixture
def configured(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("DB_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("ARTIFACT_PATH", str(tmp_path / "artifacts"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_cache_commands(configured: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "upgrade"]) == 0
    assert "0003_leases" in capsys.readouterr().out
    assert main(["cache", "ls"]) == 0
    assert "the cache is empty" in capsys.readouterr().out
    bs.get_store().save_dict("summary", "k1", {"a": 1})
    bs.get_store().save_dict("other", "k2", {"b": 2})
    assert main(["cache", "ls", "--kind", "summary"]) == 0
    listing = capsys.readouterr().out
    assert "k1" in listing and "k2" not in listing
    assert main(["cache", "stats"]) == 0
    assert "(all)" in capsys.readouterr().out
    assert main(["cache", "verify", "--dry-run"]) == 0
    assert "found 0 damaged payloads" in capsys.readouterr().out
    assert main(["cache", "purge", "--kind", "summary", "--dry-run"]) == 0
    assert "would remove 1 entries" in capsys.readouterr().out
    assert bs.get_store().load_dict("summary", "k1") == {"a": 1}
    assert main(["cache", "purge", "--kind", "summary"]) == 0
    assert "removed 1 entries" in capsys.readouterr().out
    assert bs.get_store().load_dict("summary", "k1") is None
    assert bs.get_store().load_dict("other", "k2") == {"b": 2}
    assert main(["cache", "purge", "--max-size", "1TB"]) == 0
    assert "removed 0 entries" in capsys.readouterr().out
    assert main(["cache", "purge", "--max-size", "0", "--dry-run"]) == 0
    assert "would remove 1 entries" in capsys.readouterr().out
    assert main(["cache", "purge", "--max-size", "0"]) == 0
    assert "removed 1 entries" in capsys.readouterr().out
    assert bs.get_store().list_entries().empty


def test_bad_input_is_a_message_not_a_traceback(configured: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cache", "purge", "--older-than", "soon"]) == 2
    assert "older_than" in capsys.readouterr().err
    assert main(["cache", "purge", "--max-size", "huge"]) == 2
    assert "max_bytes" in capsys.readouterr().err


def test_demo_shows_a_miss_then_a_hit(configured: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--num-positions", "500", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "first call: positions" in out and "(cache hit: False)" in out
    assert "second call: positions" in out and "(cache hit: True)" in out
    assert "argument 'seed': 3 -> 4" in out


def test_demo_runs_the_whole_pipeline(configured: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--num-positions", "2000", "--seed", "5"]) == 0
    out = capsys.readouterr().out
    assert "rwa " in out and "liquidity " in out and "capital " in out
    assert "CET1 " in out and "LCR " in out and "NSFR " in out
    assert "lineage: capital <- rwa (rwa) <- positions (positions)" in out


# -- errors are one line, never a traceback (issue 15) ------------------------------------------------


def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith("banksim: error: ") and "\n" not in err and "Traceback" not in err, err
    return err


@pytest.mark.parametrize(
    ("name", "value", "named"),
    [
        ("DB_URL", "notaurl", "DB_URL"),
        ("DB_URL", "foo://bar", "DB_URL"),
        ("MEMORY_CACHE_MB", "lots", "MEMORY_CACHE_MB"),
        ("DB_URL", "postgresql+psycopg://risk:hunter2@127.0.0.1:9/nowhere", "DB_URL"),
        ("DB_URL", "postgresql+psycopg://risk@127.0.0.1:9/nowhere?password=hunter2", "DB_URL"),
        ("DB_URL", "postgresql+psycopg://risk:hun ter2@127.0.0.1:9/nowhere", "DB_URL"),
        ("DB_URL", "postgresql+psycopg://risk:hunter2@ss@127.0.0.1:9/nowhere", "DB_URL"),
    ],
)
def test_bad_settings_and_unreachable_databases_exit_2_with_one_masked_line(
    configured: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    name: str,
    value: str,
    named: str,
) -> None:
    monkeypatch.setenv(name, value)
    for command in (["cache", "ls"], ["db", "current"]):
        assert main(command) == 2
        err = one_line_error(capsys)
        assert named in err
        assert not any(secret in err for secret in ("hunter2", "hun ter2", "ss@127")), err


def test_an_unknown_log_level_is_a_usage_error(configured: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--log-level", "LOUD", "cache", "ls"])
    assert info.value.code == 2 and "--log-level" in capsys.readouterr().err


@pytest.fixture(params=["sqlite", "postgresql"])
def any_backend(request: pytest.FixtureRequest, configured: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The configured folder, with DB_URL on SQLite or on an emptied PostgreSQL test database."""
    if request.param == "postgresql":
        url = request.getfixturevalue("pg_database_url")
        monkeypatch.setenv("DB_URL", url)
        with bs.Store(url, "file", configured / "artifacts") as store:
            store.purge()  # the session's database: start without other tests' entries
    return configured


def two_entries() -> bs.Store:
    store = bs.get_store()
    store.save_dict("summary", "k1", {"a": 1})
    store.save_dict("other", "k2", {"b": 2})
    return store


def test_purge_without_a_filter_asks_for_all(any_backend: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = two_entries()
    assert main(["cache", "purge"]) == 2
    err = one_line_error(capsys)
    assert "--all" in err and "--kind" in err and "--orphans" in err
    assert len(store.list_entries()) == 2
    assert main(["cache", "purge", "--all", "--kind", "summary"]) == 2
    assert "--all" in one_line_error(capsys) and len(store.list_entries()) == 2
    assert main(["cache", "purge", "--all", "--dry-run"]) == 0
    assert "would remove 2 entries" in capsys.readouterr().out and len(store.list_entries()) == 2
    assert main(["cache", "purge", "--all"]) == 0
    assert "removed 2 entries" in capsys.readouterr().out
    assert store.list_entries().empty


def test_purge_orphans_removes_only_stray_files(
    any_backend: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = two_entries()
    kept = sorted(p for p in store.artifact_root.rglob("*") if p.is_file())
    stale = store.artifact_root / "kind=summary" / "params_hash=k9" / ".tmp-crashed-writer"
    young = store.artifact_root / "kind=summary" / "params_hash=k9" / ".tmp-write-in-progress"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"half a payload")
    young.write_bytes(b"being written")
    two_hours_ago = time.time() - 7200
    os.utime(stale, (two_hours_ago, two_hours_ago))
    assert main(["cache", "purge", "--orphans", "--kind", "summary"]) == 2
    assert "--orphans" in one_line_error(capsys) and stale.exists()
    assert main(["cache", "purge", "--orphans"]) == 0
    out = capsys.readouterr().out
    assert "removed 1 orphan" in out and ".tmp-crashed-writer" in out
    assert not stale.exists() and young.exists()  # a young file may belong to a write in progress
    assert sorted(p for p in store.artifact_root.rglob("*") if p.is_file() and p != young) == kept
    assert len(store.list_entries()) == 2
