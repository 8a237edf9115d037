"""The banksim command: db, cache ls/stats/purge and demo, on a store chosen by the settings."""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

import banksim as bs
from banksim.cli import build_parser, human_age, human_duration, human_size, main, summarize_arguments


@pytest.fixture
def configured(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("DB_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("ARTIFACT_PATH", str(tmp_path / "artifacts"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_cache_commands(configured: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "upgrade"]) == 0
    assert "0004_shared_columns" in capsys.readouterr().out
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
    first, second = out.split("first pass:\n")[1].split("second pass:\n")
    assert re.match(r"  positions [0-9a-f]{12}: computed and stored in ", first), first
    assert re.match(r"  positions [0-9a-f]{12}: loaded from cache in .*\(computing took ", second), second
    ran = sum(step.always for step in bs.STEPS)  # the baseline needs no scenario step
    assert first.count("computed and stored") == ran and second[: second.index("\n\n")].count("loaded") == ran
    assert "argument 'seed': 3 -> 4" in out


def test_demo_runs_the_whole_pipeline(configured: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--num-positions", "2000", "--seed", "5"]) == 0
    out = capsys.readouterr().out
    assert "rwa " in out and "liquidity " in out and "capital " in out
    assert "CET1 " in out and "LCR " in out and "NSFR " in out
    # the stored tables the capital statement came from, level by level, down to the generated bank
    assert "lineage: capital <- rwa, trading_book <- ecl_lines, positions, protection <- positions" in out


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


# -- a command line people read (issue 16) -------------------------------------------------------------


@pytest.fixture
def pipeline_run(configured: Path) -> bs.PipelineResult:
    """A severe-recession pipeline run stored in the configured store: tables, parts, a scenario."""
    return bs.run_pipeline(500, 1, scenario="severe_recession")


def test_cache_ls_fits_the_terminal_with_one_line_of_arguments(
    pipeline_run: bs.PipelineResult, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    listing = bs.get_store().list_entries()
    for columns in (100, 80):
        monkeypatch.setenv("COLUMNS", str(columns))
        assert main(["cache", "ls"]) == 0
        lines = capsys.readouterr().out.splitlines()
        assert len(lines) == 1 + len(listing) + 1  # header, one line per part, total
        assert max(map(len, lines)) <= columns, "\n".join(lines)
        assert lines[0].split() == ["KIND", "KEY", "ARGUMENTS", "SIZE", "AGE"]
        assert lines[
            -1
        ] == f"{len(listing)} parts of {listing['params_hash'].nunique()} calls, " + human_size(
            int(listing["bytes"].sum())
        )
        for line, kind, key in zip(lines[1:-1], listing["kind"], listing["params_hash"], strict=True):
            assert line.split()[:2] == [kind, key[:12]] and key not in line  # the short key only
            assert re.search(r"  \d+(\.\d)? (B|kB|MB)  +\d+ (s|min)$", line), line
        by_kind = dict(zip(listing["kind"], lines[1:-1], strict=False))
        assert "position_id" not in "".join(lines)  # no column lists
        # the arguments in a line, tables as <table rows x columns> (cut at the terminal's width)
        assert re.search(r"rwa +\w{12}  ecl_lines=<table [\d,]+x\d+> posi", by_kind["rwa"])
    monkeypatch.setenv("COLUMNS", "100")
    assert main(["cache", "ls", "--kind", "pipeline"]) == 0
    pipeline_line = capsys.readouterr().out.splitlines()[1]
    assert "  num_positions=500 seed=1 scenario=severe_recession include_de" in pipeline_line


def test_cache_ls_wide_and_json_show_every_field(
    pipeline_run: bs.PipelineResult, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    listing = bs.get_store().list_entries()
    assert main(["cache", "ls", "--wide"]) == 0
    lines = capsys.readouterr().out.splitlines()[1:-1]
    for line, key, params, code in zip(
        lines, listing["params_hash"], listing["params"], listing["code_version"], strict=True
    ):
        assert key in line and code in line and line.endswith(params)  # nothing cut
    assert main(["cache", "ls", "--json"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["params_hash"] for r in records] == list(listing["params_hash"])
    assert [r["bytes"] for r in records] == list(listing["bytes"])
    assert {r["kind"]: r["function_kind"] for r in records}["liquidity_lcr"] == "liquidity"
    rwa = next(r for r in records if r["kind"] == "rwa")
    assert rwa["params"]["positions"]["dataframe"]["rows"] == len(pipeline_run.positions)
    assert rwa["rows"] == len(pipeline_run.rwa) and rwa["created_at"].endswith("+00:00")


def test_wide_and_json_are_exclusive(configured: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["cache", "ls", "--wide", "--json"])
    assert info.value.code == 2 and "not allowed with argument" in capsys.readouterr().err


def test_cache_stats_counts_calls_and_parts_in_human_units(
    pipeline_run: bs.PipelineResult, capsys: pytest.CaptureFixture[str]
) -> None:
    bs.run_simulation(500, 1, include_derivatives=True)  # a hit
    listing = bs.get_store().list_entries()
    stats = bs.get_store().stats()
    assert stats.loc["liquidity", "calls"] == 1 and stats.loc["liquidity", "entries"] == 3
    assert stats.loc["(all)", "calls"] == listing["params_hash"].nunique()
    assert stats.loc["(all)", "entries"] == len(listing)
    assert main(["cache", "stats"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == [
        "KIND",
        "CALLS",
        "PARTS",
        "SIZE",
        "HITS",
        "MISSES",
        "HIT",
        "RATE",
        "COMPUTE",
        "AVOIDED",
    ]
    rows = {line.split()[0]: line.split() for line in lines[1:] if line.split()[0] in stats.index}
    assert rows["liquidity"][1:3] == ["1", "3"]
    assert rows["positions"][5:8] == ["1", "1", "50%"]  # one hit, one miss
    total = rows["(all)"]
    assert total[1:3] == [str(listing["params_hash"].nunique()), str(len(listing))]
    assert " ".join(total[3:5]) == human_size(int(listing["bytes"].sum()))
    assert re.fullmatch(r"\d+\.\d+ (s|min)", " ".join(total[-2:]))
    assert not re.search(r"\d{5}|0\.\d{4}", "\n".join(lines))  # no raw bytes, no raw fractions


def test_human_units() -> None:
    assert [human_size(n) for n in (0, 999, 1000, 35_500_000, 999_960_000, 2_300_000_000)] == [
        "0 B", "999 B", "1.0 kB", "35.5 MB", "1.0 GB", "2.3 GB",
    ]  # fmt: skip
    assert [human_age(s) for s in (-1, 59, 180, 7_300, 4 * 86_400 + 5)] == [
        "0 s",
        "59 s",
        "3 min",
        "2 h",
        "4 d",
    ]
    assert [human_duration(s) for s in (0.123, 42.0, 150.0, 7_560.0)] == [
        "0.12 s",
        "42.0 s",
        "2.5 min",
        "2.1 h",
    ]


def test_arguments_summary() -> None:
    params = {
        "positions": {"dataframe": {"rows": 1_000_000, "columns": [f"c{i}" for i in range(62)]}},
        "include_derivatives": True,
        "config": None,
        "scenario": {"name": "severe_recession", "description": "a long text", "shocks": {"pd": 2.5}},
        "seed": 1,
        "num_positions": 1_000_000,
        "own_funds": {"cet1": 4_293_520_000.0, "at1": None},
        "weights": [0.5, 1.25],
    }
    assert summarize_arguments(json.dumps(params)) == (
        "seed=1 num_positions=1,000,000 scenario=severe_recession include_derivatives=True "
        "positions=<table 1,000,000x62> own_funds={cet1=4,293,520,000} weights=[0.5,1.25]"
    )
    assert summarize_arguments(None) == ""  # a direct save has no stored arguments


def _subcommands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [path]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += _subcommands(sub, (*path, name))
    return found


SUBCOMMANDS = _subcommands(build_parser())


def test_every_subcommand_is_listed() -> None:
    names = {" ".join(path) for path in SUBCOMMANDS}
    assert {
        "",
        "demo",
        "explore",
        "db",
        "cache",
        "cache ls",
        "cache stats",
        "cache verify",
        "cache purge",
    } <= names


@pytest.mark.parametrize("path", SUBCOMMANDS, ids=lambda path: " ".join(path) or "banksim")
def test_every_subcommand_has_its_own_plain_text_help(
    path: tuple[str, ...], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    with pytest.raises(SystemExit) as info:
        main([*path, "--help"])
    out = capsys.readouterr().out
    assert info.value.code == 0
    assert out.startswith(f"usage: {' '.join(['banksim', *path])} ")  # its own, not the generic help
    assert not re.search(r"`|:(func|meth|class|mod|attr):", out), out  # no reST markup
    assert max(map(len, out.splitlines())) <= 100
    options = re.findall(r"^  (--[\w-]+)(?: [A-Z_]+)?(?:  +|\n {10,})(\S.*)$", out, flags=re.M)
    assert all(text.strip() for _, text in options), out  # every option says what it does


def test_help_shows_defaults_and_each_actions_own_options(capsys: pytest.CaptureFixture[str]) -> None:
    expected = {
        ("cache", "ls"): ["--wide", "--json", "--kind"],
        ("cache", "purge"): ["--all", "--orphans", "--older-than AGE", "--max-size SIZE", "--dry-run"],
        ("cache", "verify"): ["--dry-run", "--kind"],
        ("demo",): ["(default: 10000)", "(default: 42)"],
        ("explore",): ["port on 127.0.0.1 (default 8866)", "positions of the bank the page opens with"],
    }
    for path, texts in expected.items():
        with pytest.raises(SystemExit):
            main([*path, "--help"])
        out = capsys.readouterr().out
        assert all(text in out for text in texts), out
    with pytest.raises(SystemExit):
        main(["cache", "ls", "--help"])
    assert "--orphans" not in capsys.readouterr().out  # purge's options are purge's


def test_demo_prints_each_call_once_and_logs_no_copy(
    configured: Path, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level("INFO")
    assert main(["demo", "--num-positions", "300", "--seed", "7"]) == 0
    out = capsys.readouterr().out
    assert not [r for r in caplog.records if r.name == "banksim.cache" and r.levelname == "INFO"]
    calls = [line for line in out.splitlines() if re.search(r"\b[0-9a-f]{12}: (computed|loaded)", line)]
    ran = sum(step.always for step in bs.STEPS)  # the baseline needs no scenario step
    assert len(calls) == 2 * ran and len(set(calls)) == 2 * ran  # every step it runs, twice, each once
    assert f"code versions of the {len(bs.STEPS)} cached steps:" in out
    assert logging.getLogger("banksim.cache").level == logging.NOTSET  # put back after the demo


def test_demo_in_a_terminal_prints_one_line_per_event(configured: Path) -> None:
    """The real command: its log lines go to stderr beside the printed ones on stdout."""
    env = {**os.environ, "LOG_LEVEL": "INFO"}
    env.pop("COLUMNS", None)
    command = [sys.executable, "-m", "banksim", "demo", "--num-positions", "300"]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300, check=True)
    assert "banksim.cache" not in done.stderr, done.stderr
    ran = sum(step.always for step in bs.STEPS)
    assert done.stdout.count("computed and stored") == ran and done.stdout.count("loaded from cache") == ran
    assert max(map(len, done.stdout.splitlines())) <= 100
    listing = subprocess.run(
        [sys.executable, "-m", "banksim", "cache", "ls"], capture_output=True, text=True, env=env, timeout=300
    )
    lines = listing.stdout.splitlines()
    parts = sum(len(step.outputs) for step in bs.STEPS if step.always)  # one stored table or dict each
    assert listing.returncode == 0 and len(lines) == parts + 2  # header, the parts, total
    assert max(map(len, lines)) <= 100  # piped, COLUMNS unset: 100 columns
