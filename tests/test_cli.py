"""The banksim command: db, cache ls/stats/purge and demo, on a store chosen by the settings."""

from __future__ import annotations

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
    assert "0002_content_hash" in capsys.readouterr().out
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
