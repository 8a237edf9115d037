"""The @cached decorator: keys, hits proven by counting real calls, misses, explain, code versions."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import payload_files
import pytest

import banksim as bs
from banksim.cache import ResultTypeError

calls: list[tuple] = []


@bs.cached(kind="grid")
def grid(n: int, scale: float = 1.0, label: str = "base") -> pd.DataFrame:
    calls.append(("grid", n, scale, label))
    return pd.DataFrame({"i": np.arange(n), "value": np.arange(n) * scale, "label": label})


@bs.cached(kind="totals")
def totals(frame: pd.DataFrame) -> dict:
    calls.append(("totals", len(frame)))
    return {"rows": len(frame), "sum": float(frame["value"].sum())}


@bs.cached(kind="liquidity", parts=("lcr", "summary", "report"), mime="text/plain")
def three_parts(n: int) -> tuple[pd.DataFrame, dict, bytes]:
    calls.append(("three_parts", n))
    return pd.DataFrame({"x": range(n)}), {"n": n}, f"report {n}".encode()


@pytest.fixture(autouse=True)
def _reset_calls() -> None:
    calls.clear()


def test_second_call_is_a_hit_and_does_not_compute(store: bs.Store) -> None:
    first, hit1 = grid(5, 2.0)
    second, hit2 = grid(5, 2.0)
    assert (hit1, hit2) == (False, True)
    assert calls == [("grid", 5, 2.0, "base")]
    pd.testing.assert_frame_equal(first, second)
    assert grid.last_call is not None and grid.last_call.hit
    assert "loaded from cache" in grid.last_call.describe()


def test_defaults_and_keywords_bind_to_one_key(sqlite_store: bs.Store) -> None:
    assert grid.key(10) == grid.key(n=10) == grid.key(10, 1.0) == grid.key(10, label="base", scale=1.0)
    assert grid.key(10) != grid.key(10, 1.5)
    assert grid.key(10) != grid.key(10.0)  # an int and a float are different arguments
    grid(10)
    _, hit = grid(n=10, scale=1.0, label="base")
    assert hit and len(calls) == 1


def test_use_cache_false_recomputes_and_refreshes(sqlite_store: bs.Store) -> None:
    grid(3)
    _, hit = grid(3, use_cache=False)
    assert not hit and len(calls) == 2
    _, hit = grid(3)
    assert hit and len(calls) == 2
    assert len(sqlite_store.list_entries("grid")) == 1


def test_frame_arguments_key_by_content(store: bs.Store) -> None:
    frame, _ = grid(100)
    totals(frame)
    reloaded, hit = grid(100)  # the frame as it comes back from Parquet
    assert hit
    _, hit = totals(reloaded)
    assert hit
    _, hit = totals(frame.copy()[["i", "value", "label"]])
    assert hit
    _, hit = totals(frame.assign(value=frame["value"] + 1))
    assert not hit
    assert [c[0] for c in calls] == ["grid", "totals", "totals"]


def test_tuple_results_store_every_part(store: bs.Store) -> None:
    lcr, _summary, _report, hit = three_parts(4)
    assert not hit
    lcr2, summary2, report2, hit2 = three_parts(4)
    assert hit2 and len(calls) == 1
    pd.testing.assert_frame_equal(lcr, lcr2)
    assert summary2 == {"n": 4} and report2 == b"report 4"
    kinds = set(store.list_entries("liquidity")["kind"])
    assert kinds == {"liquidity_lcr", "liquidity_summary", "liquidity_report"}
    mime = store.load_artifact(three_parts.key(4), "liquidity_report")
    assert mime == (b"report 4", "text/plain")


def test_is_cached_answers_without_computing_or_writing(sqlite_store: bs.Store) -> None:
    assert not grid.is_cached(7)
    assert calls == [] and sqlite_store.list_entries().empty
    grid(7)
    assert grid.is_cached(7) and grid.is_cached(n=7, scale=1.0)
    assert not grid.is_cached(8)
    assert len(calls) == 1


def damage(store: bs.Store, kind: str, key: str) -> None:
    """Cut the end off a stored Parquet payload, in its file or in its database row (once it is
    written: write-behind may still hold it) as another process would find it: this process's
    in-memory tier, which holds what it computed, is emptied."""
    store.flush()
    store.recent.clear()
    if store.artifact_store == "file":
        relative = payload_files.data_path(store, kind, key)
        payload_files.write(store, relative, payload_files.read(store, relative)[:-40])
    else:
        from sqlalchemy import text

        with store.transaction(write=True) as conn:
            conn.execute(
                text("UPDATE simulations SET data_blob = :b WHERE kind = :kind AND params_hash = :k"),
                {"b": b"x", "kind": kind, "k": key},
            )


def test_is_cached_verifies_checksums_without_decoding(
    store: bs.Store, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from banksim import payloads

    three_parts(3)
    decoded: list[str] = []
    real = payloads.decode
    monkeypatch.setattr(payloads, "decode", lambda f, d, *seed: decoded.append(f) or real(f, d, *seed))
    assert three_parts.is_cached(3) and decoded == []  # three parts checked, none decoded
    damage(store, "liquidity_lcr", three_parts.key(3))
    with caplog.at_level(logging.WARNING, logger="banksim.store"):
        assert not three_parts.is_cached(3)
    assert "checksum" in caplog.text and decoded == []
    assert "liquidity_lcr" not in set(store.list_entries()["kind"])  # removed, as a load would


def test_explain_names_the_component_that_differs(sqlite_store: bs.Store) -> None:
    assert "no stored result" in grid.explain(1)
    grid(5, 2.0)
    assert grid.explain(5, 2.0).startswith("hit")
    assert "argument 'scale': 2.0 -> 3.0" in grid.explain(5, 3.0)
    assert "argument 'n': 5 -> 6" in grid.explain(6, 2.0)
    frame, _ = grid(5, 2.0)
    totals(frame)
    assert "argument 'frame': content differs" in totals.explain(frame.assign(value=0.0))


def test_a_damaged_entry_is_recomputed_and_repaired(
    store: bs.Store, caplog: pytest.LogCaptureFixture
) -> None:
    grid(20)
    damage(store, "grid", grid.key(20))
    with caplog.at_level(logging.WARNING):
        frame, hit = grid(20)
    assert not hit and len(calls) == 2
    assert "checksum" in caplog.text
    assert frame["value"].sum() == sum(range(20))
    _, hit = grid(20)
    assert hit and len(calls) == 2


@bs.cached(kind="slow")
def slow(n: int) -> dict:
    time.sleep(0.2)
    return {"n": n}


def test_a_hit_reports_the_compute_time_it_avoided(sqlite_store: bs.Store) -> None:
    slow(1)
    miss = slow.last_call
    assert miss is not None and not miss.hit and miss.compute_seconds is not None
    assert miss.compute_seconds >= 0.2 and miss.seconds_saved == 0.0
    slow(1)
    slow(1)
    hit = slow.last_call
    assert hit is not None and hit.hit
    assert hit.compute_seconds == pytest.approx(miss.compute_seconds)  # the stored one
    assert hit.seconds_saved == pytest.approx(hit.compute_seconds - hit.seconds)
    assert f"computing took {miss.compute_seconds:.3f} s" in hit.describe()
    avoided = sqlite_store.stats()["compute_seconds_avoided"]
    assert avoided["slow"] == pytest.approx(2 * miss.compute_seconds) and avoided["(all)"] >= avoided["slow"]


def test_hits_and_misses_are_counted_in_stats(sqlite_store: bs.Store) -> None:
    grid(2)
    grid(2)
    grid(2)
    grid(3)
    stats = sqlite_store.stats()
    assert stats.loc["grid", "hits"] == 2 and stats.loc["grid", "misses"] == 2
    assert stats.loc["grid", "hit_rate"] == pytest.approx(0.5)
    listing = sqlite_store.list_entries("grid")
    assert sorted(json.loads(p)["n"] for p in listing["params"]) == [2, 3]


def test_unhashable_arguments_are_named_and_nothing_runs(sqlite_store: bs.Store) -> None:
    with pytest.raises(bs.UnhashableArgumentError, match="argument 'label'"):
        grid(3, label=object())  # type: ignore[arg-type]
    assert calls == [] and sqlite_store.list_entries().empty


def test_a_failing_function_stores_nothing(sqlite_store: bs.Store) -> None:
    @bs.cached(kind="boom")
    def boom(n: int) -> pd.DataFrame:
        raise bs.InputError("n", "must be positive", allowed="n > 0")

    with pytest.raises(bs.InputError):
        boom(-1)
    assert sqlite_store.list_entries().empty


def test_unsupported_results_are_refused_before_writing(sqlite_store: bs.Store) -> None:
    @bs.cached(kind="number")
    def number() -> float:
        return 1.0

    with pytest.raises(ResultTypeError, match="returned a float"):
        number()
    assert sqlite_store.list_entries().empty


def test_decorator_arguments_are_validated() -> None:
    with pytest.raises(bs.InputError, match="kind"):
        bs.cached(kind="Bad Kind")(lambda: None)
    with pytest.raises(bs.InputError, match="ignore"):
        bs.cached(kind="ok", ignore=("nope",))(lambda x: x)


def test_ignored_arguments_do_not_change_the_key(sqlite_store: bs.Store) -> None:
    @bs.cached(kind="with_progress", ignore=("progress",))
    def work(n: int, progress: object = None) -> dict:
        return {"n": n}

    assert work.key(1, progress=print) == work.key(1)


def test_signature_shows_use_cache() -> None:
    import inspect

    assert "use_cache" in inspect.signature(grid).parameters
    assert grid.__name__ == "grid" and grid.__wrapped__.__name__ == "grid"


# -- code versions --------------------------------------------------------------------------------

PACKAGE = {
    "__init__.py": "",
    "rules.py": '''
        """Parameters."""
        RISK_WEIGHT = 0.5  # a constant the result depends on


        def weigh(x):
            return x * RISK_WEIGHT
        ''',
    "unrelated.py": """
        def other():
            return 1
        """,
    "service.py": '''
        import pandas as pd

        import banksim as bs
        from toypkg import rules


        @bs.cached(kind="toy")
        def compute(n: int) -> pd.DataFrame:
            """Docstring."""
            return pd.DataFrame({"rwa": [rules.weigh(float(i)) for i in range(n)]})
        ''',
}

RUNNER = """
import json, sys
import banksim as bs
from toypkg.service import compute
with bs.open_store(sys.argv[1], artifact_path=sys.argv[2]):
    frame, hit = compute(3)
print(json.dumps({"hit": hit, "total": float(frame["rwa"].sum()), "code": compute.code_version}))
"""


def _write_package(root: Path, files: dict[str, str]) -> None:
    package = root / "toypkg"
    package.mkdir(exist_ok=True)
    for name, source in files.items():
        (package / name).write_text(textwrap.dedent(source))


def _run(root: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(root), "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run(
        [sys.executable, "-c", RUNNER, f"sqlite:///{root / 'store.db'}", str(root / "artifacts")],
        env=env,
        capture_output=True,
        text=True,
        cwd=root,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.slow
def test_code_changes_invalidate_exactly_what_they_should(tmp_path: Path) -> None:
    _write_package(tmp_path, PACKAGE)
    first = _run(tmp_path)
    assert first == {"hit": False, "total": 1.5, "code": first["code"]}  # 0.5 * (0 + 1 + 2)
    assert _run(tmp_path)["hit"]

    cosmetic = {**PACKAGE, "service.py": PACKAGE["service.py"].replace('"""Docstring."""', "# a comment\n")}
    cosmetic["rules.py"] = cosmetic["rules.py"].replace("x * RISK_WEIGHT", "x  *  RISK_WEIGHT  # same")
    _write_package(tmp_path, cosmetic)
    assert _run(tmp_path)["hit"], "comments, docstrings and spacing must not invalidate"

    _write_package(tmp_path, {**cosmetic, "unrelated.py": "def other():\n    return 2\n"})
    assert _run(tmp_path)["hit"], "an unrelated module must not invalidate"

    _write_package(tmp_path, {**cosmetic, "rules.py": cosmetic["rules.py"].replace("0.5", "0.75")})
    changed = _run(tmp_path)
    assert changed["hit"] is False and changed["total"] == 2.25, "a constant in a helper module changed"

    _write_package(tmp_path, cosmetic)
    assert _run(tmp_path)["hit"], "switching the code back hits the old entry again"

    bumped = {
        **cosmetic,
        "service.py": cosmetic["service.py"].replace('kind="toy"', 'kind="toy", version="2"'),
    }
    _write_package(tmp_path, bumped)
    assert _run(tmp_path)["hit"] is False, "version= bumps the code version"


def test_code_version_follows_local_helpers_and_constants() -> None:
    from banksim.code_version import code_version

    def make(weight: float):  # type: ignore[no-untyped-def]
        def helper(x):  # type: ignore[no-untyped-def]
            return x * weight

        def compute(n):  # type: ignore[no-untyped-def]
            return helper(n)

        return compute

    assert code_version(make(0.5)) == code_version(make(0.5))
    assert code_version(make(0.5)) != code_version(make(0.75))
    assert code_version(make(0.5)) != code_version(make(0.5), version="2")


def test_compute_seconds_counts_the_computation_only(
    sqlite_store: bs.Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A clock that only the function body and argument hashing advance: hashing a big frame
    argument takes 10 s, the body 1 s; compute_seconds is the body's second, on a miss and a hit."""
    import banksim.cache as cache_module

    clock = [0.0]
    hash_value = cache_module.compute_params_hash

    def slow_hash(value: object, **kwargs: object) -> str:
        clock[0] += 10.0
        return hash_value(value, **kwargs)

    monkeypatch.setattr(
        cache_module, "time", type("Clock", (), {"perf_counter": staticmethod(lambda: clock[0])})
    )
    monkeypatch.setattr(cache_module, "compute_params_hash", slow_hash)

    @bs.cached(kind="trivial")
    def trivial(frame: pd.DataFrame) -> dict:
        clock[0] += 1.0
        return {"rows": len(frame)}

    frame = pd.DataFrame({"x": np.arange(100_000)})
    assert trivial(frame) == ({"rows": 100_000}, False)
    miss = trivial.last_call
    assert miss is not None and miss.compute_seconds == 1.0 and miss.seconds >= 21.0
    assert trivial(frame)[1]
    hit = trivial.last_call
    assert hit is not None and hit.compute_seconds == 1.0 and hit.seconds_saved == 0.0  # hashing took longer


def test_load_returns_what_is_stored_and_computes_nothing(sqlite_store: bs.Store) -> None:
    assert grid.load(4) is None and three_parts.load(2) is None
    assert calls == [] and sqlite_store.list_entries().empty
    frame, _ = grid(4)
    three_parts(2)
    pd.testing.assert_frame_equal(grid.load(4), frame)
    lcr, summary, report = three_parts.load(2)
    assert summary == {"n": 2} and report == b"report 2" and len(lcr) == 2
    assert len(calls) == 2
    assert grid.is_stored(grid.key(4)) and not grid.is_stored(grid.key(5))


def test_each_thread_sees_its_own_last_call(sqlite_store: bs.Store) -> None:
    """``last_call`` is per thread: scenarios run on threads never read each other's call keys."""
    import threading

    @bs.cached(kind="per_thread")
    def square(n: int) -> dict[str, int]:
        return {"n": n * n}

    seen: dict[int, str | None] = {}
    ready = threading.Barrier(2)

    def run(n: int) -> None:
        square(n)
        ready.wait()  # both have called before either reads
        info = square.last_call
        seen[n] = info.key if info else None

    threads = [threading.Thread(target=run, args=(n,)) for n in (2, 3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == {2: square.key(2), 3: square.key(3)}


def test_a_cached_function_is_copied_as_a_function_is(sqlite_store: bs.Store) -> None:
    """``copy`` and ``deepcopy`` give the function itself (its per-thread last calls and code
    watch cannot be copied), also inside what holds it, and after it was called."""
    import copy

    from banksim.steps import STEPS

    @bs.cached(kind="copied")
    def double(n: int) -> dict[str, int]:
        return {"n": 2 * n}

    double(3)
    assert copy.copy(double) is double and copy.deepcopy(double) is double
    assert copy.deepcopy({"f": double})["f"] is double
    assert [step.function for step in copy.deepcopy(STEPS)] == [step.function for step in STEPS]


def test_within_a_run_each_code_version_is_checked_once(
    sqlite_store: bs.Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pipeline run asks for each step's version several times; its watch is checked once per
    run, and a run after an edit sees the edit."""
    from banksim import cache
    from banksim.code_version import CodeVersion

    checks: list[object] = []
    current = CodeVersion.current
    monkeypatch.setattr(CodeVersion, "current", lambda self: checks.append(self.func) or current(self))
    function = bs.compute_rwa
    with cache.code_versions_pinned():
        first = function.code_version
        with cache.code_versions_pinned():  # nested: the outer run's versions
            assert function.code_version == first
        assert function.code_version == first
    assert checks.count(function._code.func) == 1
    assert function.code_version == first and checks.count(function._code.func) == 2  # outside: each call
    checks.clear()
    bs.run_pipeline(2_000, seed=3)
    assert function._code.func in checks
    assert len(checks) == len(set(checks)), checks  # one run: each version checked once


EXPOSURE_FACTOR = 2.0  # read by _exposure: part of its code version


def _exposure(frame: pd.DataFrame, scale: float) -> float:
    return float(frame["x"].sum()) * scale * EXPOSURE_FACTOR


def test_a_derived_value_is_computed_once_per_content_of_its_arguments_and_its_code(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from banksim.cache import derived

    exposure_calls: list[int] = []  # its calls, counted by the sums it takes
    total = pd.Series.sum
    monkeypatch.setattr(
        pd.Series, "sum", lambda self, *a, **k: exposure_calls.append(len(self)) or total(self, *a, **k)
    )
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0]})
    assert derived(_exposure, frame, 1.0) == 12.0
    assert derived(_exposure, frame.copy(), 1.0) == 12.0  # another frame, the same content
    assert exposure_calls == [3]
    assert derived(_exposure, frame, 0.5) == 6.0  # another argument
    assert derived(_exposure, pd.DataFrame({"x": [1.0]}), 1.0) == 2.0  # another content
    assert len(exposure_calls) == 3
    monkeypatch.setattr(sys.modules[__name__], "EXPOSURE_FACTOR", 3.0)  # its code reads a new value
    assert derived(_exposure, frame, 1.0) == 18.0
    assert len(exposure_calls) == 4


def test_a_sweep_batch_checks_each_code_version_once(
    sqlite_store: bs.Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The scenarios of a sweep's batch run under one check of each code version (the first)."""
    from banksim import pipeline
    from banksim.code_version import CodeVersion

    checks: list[object] = []
    current = CodeVersion.current
    monkeypatch.setattr(CodeVersion, "current", lambda self: checks.append(self.func) or current(self))
    spec = (sqlite_store.url, sqlite_store.artifact_store, str(sqlite_store.artifact_root))
    monkeypatch.setitem(pipeline._worker_stores, spec, sqlite_store)
    scenarios = bs.scenario_grid(pd_multiplier=[1.0, 1.5, 2.0])
    arguments = {"num_positions": 1_000, "seed": 3, "config": None, "include_derivatives": True}
    rows = pipeline._sweep_task(spec, scenarios, arguments)
    assert [row["status"] for row in rows] == ["ok"] * 3
    assert bs.compute_rwa._code.func in checks
    assert len(checks) == len(set(checks)), checks  # three runs: each version checked once
