"""Fresh-process benchmark: what a notebook's first call, a CLI command or a sweep worker pays.

Run: ``.venv/bin/python bench/bench_fresh_process.py [--repeats N] [--rows N] [--baseline DIR]``.
Every variant is a new Python process, run round-robin with the others in a shuffled order
(machine noise hits all alike); the table shows medians of the process's wall time and CPU time
(user + system, steadier on a busy machine) and the ratios the targets are set in. Variants
marked "SQLAlchemy reads" read the store through the engine, as a hit did before it read SQLite
files with sqlite3 alone; variants marked "baseline" import banksim from ``--baseline`` (another
copy of the package) and hit the same store. A store is prepared first in a temporary project
folder (``MEMORY_CACHE_MB=0``: every hit reads its payload). Children run with bytecode caching
on, as a user's Python does (``PYTHONDONTWRITEBYTECODE`` is dropped).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BASE_IMPORTS = "import pandas, pyarrow.parquet, sqlalchemy.orm, xxhash"
PREPARE = """
import json, sys
import banksim as bs
rows = int(sys.argv[1])
for n in (rows, 10_000):
    frame, hit = bs.run_simulation(n, seed=1)
getattr(bs.get_store(), "flush", lambda: None)()  # results written behind the call are on disk
key = bs.run_simulation.key(rows, seed=1)
path = next(bs.get_store().files.root.glob(f"kind=positions/params_hash={key}/*.parquet"))
print(json.dumps({"path": str(path)}))
"""
READ_FLOOR = """
import sys
import pandas, pyarrow.parquet as pq
frame = pq.read_table(sys.argv[1]).to_pandas()
"""
# banksim's own decoder reads with ParquetFile.read (one chunk per row group; faster here).
READER_FLOOR = """
import sys
import pandas, pyarrow as pa, pyarrow.parquet as pq
frame = pq.ParquetFile(sys.argv[1]).read().to_pandas()
"""
# The variants marked "SQLAlchemy reads" read the store as banksim did before its hit path read
# SQLite with the sqlite3 driver alone: SQLAlchemy and the ORM tables loaded with the store
# modules, and every read through the engine. Placed after the cache and store modules load.
ENGINE_READS = """
import sqlalchemy.orm, banksim.models, banksim.store.core
banksim.store.core.sqlite_file = lambda url: None
"""
HIT = """
import json, sys
import banksim as bs
import banksim.cache
#ENGINE_READS
frame, hit = bs.run_simulation(int(sys.argv[2]), seed=1)
print(json.dumps({"hit": hit}))
"""
# The first call in a process, timed inside it: the hit against the computation it replaces.
FIRST_CALL = """
import json, sys, time
import banksim as bs
run = bs.run_simulation
#ENGINE_READS
started, started_cpu = time.perf_counter(), time.process_time()
if sys.argv[3] == "hit":
    frame, hit = run(int(sys.argv[2]), seed=1)
else:
    frame, hit = bs.generate_positions(int(sys.argv[2]), 1), True
print(json.dumps({"first call": time.perf_counter() - started,
                  "first call cpu": time.process_time() - started_cpu, "hit": hit}))
"""
# The steps of one hit, each timed (CPU seconds of the process) in the order the call takes them.
STEPS = """
import json, sys, time
steps = {}
mark = time.process_time()
def step(name):
    global mark
    now = time.process_time()
    steps[name] = now - mark
    mark = now
import pandas, pyarrow.parquet
step("import pandas + pyarrow.parquet")
import banksim as bs
step("import banksim")
import banksim.cache
#ENGINE_READS
step("import the cache and store modules")
run = bs.run_simulation
step("load the API (bs.run_simulation)")
store = bs.get_store()
step("open the store (schema revision)")
version = run.code_version
step("code version")
key = run.key(int(sys.argv[2]), seed=1)
step("key (arguments)")
configuration = store.configuration(key)
step("lookup (configuration row)")
frame = store.load_part("positions", key, blob=False)
step("payload: row, read, checksum, decode")
store.record_hit(key)
step("record the hit")
steps["SQLAlchemy loaded (1 = yes)"] = float("sqlalchemy" in sys.modules)
print(json.dumps({**steps, "hit": configuration is not None and frame is not None}))
"""


def child(script: str, *args: str, env: dict[str, str]) -> dict[str, Any]:
    """Run ``script`` in a fresh interpreter; its wall and CPU seconds and whatever it printed.

    The child runs in the project folder: ``python -c`` puts its working directory first on
    ``sys.path``, so run from a checkout it would import that checkout's banksim, not the one
    ``PYTHONPATH`` names (``--baseline``).
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        env=env,
        capture_output=True,
        text=True,
        cwd=env["BANKSIM_PROJECT_ROOT"],
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        raise RuntimeError(f"child failed:\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    printed = json.loads(done.stdout.strip().splitlines()[-1]) if done.stdout.strip() else {}
    return {"wall": wall, "cpu": cpu, **printed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15, help="processes per variant (default 15)")
    parser.add_argument("--rows", type=int, default=1_000_000, help="positions of the large hit")
    parser.add_argument(
        "--baseline",
        help="a folder holding another copy of the banksim package (an earlier version, say): its "
        "hits run beside this one's, on the same store",
    )
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-fresh-") as folder:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env |= {
            "BANKSIM_PROJECT_ROOT": folder,
            "MEMORY_CACHE_MB": "0",
            "BANKSIM_CODE_CACHE": str(Path(folder) / "code"),
            "LOG_LEVEL": "WARNING",
        }
        print(f"preparing a store in {folder} ({options.rows:,} and 10,000 positions) ...", flush=True)
        path = str(child(PREPARE, str(options.rows), env=env)["path"])
        rows, small = str(options.rows), "10000"
        variants = {
            "base imports": lambda: child(BASE_IMPORTS, env=env),
            "import banksim": lambda: child("import banksim", env=env),
            "import banksim + bs.run_simulation": lambda: child(
                "import banksim; banksim.run_simulation", env=env
            ),
            "read floor (pandas + pyarrow read)": lambda: child(READ_FLOOR, path, env=env),
            "read floor (ParquetFile.read)": lambda: child(READER_FLOOR, path, env=env),
            f"hit {options.rows:,}": lambda: child(HIT, path, rows, env=env),
            f"hit {options.rows:,}, SQLAlchemy reads": lambda: child(
                HIT.replace("#ENGINE_READS", ENGINE_READS), path, rows, env=env
            ),
            f"hit {options.rows:,}, no code memo": lambda: child(
                HIT, path, rows, env=env | {"BANKSIM_CODE_CACHE": "off"}
            ),
            "hit 10,000 (first call)": lambda: child(FIRST_CALL, path, small, "hit", env=env),
            "hit 10,000 (first call), SQLAlchemy reads": lambda: child(
                FIRST_CALL.replace("#ENGINE_READS", ENGINE_READS), path, small, "hit", env=env
            ),
            "compute 10,000 (first call)": lambda: child(FIRST_CALL, path, small, "compute", env=env),
            "steps of a hit": lambda: child(STEPS, path, rows, env=env),
            "steps of a hit, SQLAlchemy reads": lambda: child(
                STEPS.replace("#ENGINE_READS", ENGINE_READS), path, rows, env=env
            ),
            "steps of a hit, 10,000": lambda: child(STEPS, path, small, env=env),
        }
        if options.baseline:
            base = env | {"PYTHONPATH": options.baseline}
            variants |= {
                f"hit {options.rows:,}, baseline": lambda: child(HIT, path, rows, env=base),
                "hit 10,000 (first call), baseline": lambda: child(FIRST_CALL, path, small, "hit", env=base),
                "steps of a hit, 10,000, baseline": lambda: child(STEPS, path, small, env=base),
            }
        for run in variants.values():  # warm-up: bytecode written, code memo filled, page cache
            run()
        results: dict[str, list[dict[str, float]]] = {name: [] for name in variants}
        misses = 0
        for round_ in range(options.repeats):
            # A shuffled order each round: on this VM a process that follows a large one reuses its
            # freed memory and runs faster, so a fixed order would favour some variants.
            order = list(variants)
            random.Random(round_).shuffle(order)
            for name in order:
                sample = variants[name]()
                if sample.pop("hit", True):
                    results[name].append(sample)
                else:  # the code changed under the run (another edit): that process recomputed and stored
                    misses += 1
            print(f"  round {round_ + 1}/{options.repeats}", end="\r", file=sys.stderr, flush=True)
    if misses:
        print(f"\n{misses} processes missed (code edited during the run) and are left out of the medians")
    report(results, options)


def median(samples: list[dict[str, float]], field: str) -> float:
    return statistics.median(sample[field] for sample in samples)


def report(results: dict[str, list[dict[str, float]]], options: argparse.Namespace) -> None:
    print(f"\nwhole processes, medians of {options.repeats} (load average {os.getloadavg()[0]:.1f})")
    print(f"{'variant':<42} {'wall s':>8} {'cpu s':>8}")
    for name, samples in results.items():
        print(f"{name:<42} {median(samples, 'wall'):8.3f} {median(samples, 'cpu'):8.3f}")
    hit = f"hit {options.rows:,}"
    ratios = [
        ("import banksim / base imports", "import banksim", "base imports", 1.1),
        ("import banksim + API / base imports", "import banksim + bs.run_simulation", "base imports", None),
        (f"{hit} / read floor", hit, "read floor (pandas + pyarrow read)", 1.3),
        (f"{hit} / ParquetFile.read floor", hit, "read floor (ParquetFile.read)", None),
        (
            f"{hit}, SQLAlchemy reads / read floor",
            f"{hit}, SQLAlchemy reads",
            "read floor (pandas + pyarrow read)",
            None,
        ),
        *(
            [
                (
                    f"{hit}, baseline / read floor",
                    f"{hit}, baseline",
                    "read floor (pandas + pyarrow read)",
                    None,
                )
            ]
            if options.baseline
            else []
        ),
        (
            f"{hit} without the code memo / read floor",
            f"{hit}, no code memo",
            "read floor (pandas + pyarrow read)",
            None,
        ),
    ]
    print(f"\n{'ratio':<52} {'wall':>6} {'cpu':>6}  target")
    for label, top, bottom, target in ratios:
        wall = median(results[top], "wall") / median(results[bottom], "wall")
        cpu = median(results[top], "cpu") / median(results[bottom], "cpu")
        print(f"{label:<52} {wall:6.2f} {cpu:6.2f}  {'<= ' + str(target) if target else ''}")
    compute = results["compute 10,000 (first call)"]
    firsts = ["hit 10,000 (first call)", "hit 10,000 (first call), SQLAlchemy reads"]
    for variant in [*firsts, *([f"{firsts[0]}, baseline"] if options.baseline else [])]:
        print()
        for field in ("first call", "first call cpu"):
            hit_first, compute_first = median(results[variant], field), median(compute, field)
            print(
                f"{variant}: {hit_first * 1000:.1f} ms {'CPU' if 'cpu' in field else 'wall'} inside the "
                f"process; compute {compute_first * 1000:.1f} ms "
                f"(hit / compute {hit_first / compute_first:.2f}; target <= 1, aim 0.7)"
            )
    columns = {
        "sqlite3": results["steps of a hit"],
        "SQLAlchemy": results["steps of a hit, SQLAlchemy reads"],
        "10,000 rows": results["steps of a hit, 10,000"],
    }
    if options.baseline:
        columns["10k, base"] = results["steps of a hit, 10,000, baseline"]
    print(f"\nsteps of a fresh hit, {options.rows:,} rows unless named (medians of CPU ms in the child)")
    print(f"  {'step':<44}" + "".join(f" {name:>10}" for name in columns))
    for name in columns["sqlite3"][0]:
        if name not in ("wall", "cpu"):
            scale = 1 if name.startswith("SQLAlchemy loaded") else 1000
            cells = "".join(f" {scale * median(runs, name):10.1f}" for runs in columns.values())
            print(f"  {name:<44}{cells}")


if __name__ == "__main__":
    main()
