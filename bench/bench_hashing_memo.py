"""Benchmark of the frame memo: a DataFrame's first hash against a memo hit, side by side.

Run: ``.venv/bin/python bench/bench_hashing_memo.py [rows]`` (default 1,000,000 synthetic positions,
seed 1). Each round, interleaved: the first hash of the frame (the memo told to forget it: the
content is read, and the memo's snapshot taken), a hit as a top-level argument, a hit nested in a
dict, a seeded key (``remember_frame_key``) then its hit; medians over the rounds. Then what the
memo costs elsewhere: the first in-place write to a column after hashing (the memo's reference makes
pandas copy the column's block first) against the same write to a frame nobody hashed, and a
100-row frame's first hash and hit.
"""

from __future__ import annotations

import functools
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import pandas as pd

import banksim.hashing as hashing
from banksim.hashing import compute_params_hash, forget_frame, remember_frame_key
from banksim.synthetic import generate_positions


def seconds(action: Callable[[], Any]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def hashing_rounds(frame: pd.DataFrame, rounds: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {
        name: [] for name in ("first", "hit", "nested hit", "seed", "seeded hit")
    }
    key = compute_params_hash(frame)
    for _ in range(rounds):
        forget_frame(frame)
        times["first"].append(seconds(lambda: compute_params_hash(frame)))
        times["hit"].append(min(seconds(lambda: compute_params_hash(frame)) for _ in range(50)))
        times["nested hit"].append(
            min(seconds(lambda: compute_params_hash({"positions": frame})) for _ in range(50))
        )
        forget_frame(frame)
        times["seed"].append(seconds(lambda: remember_frame_key(frame, key)))
        times["seeded hit"].append(min(seconds(lambda: compute_params_hash(frame)) for _ in range(50)))
    return times


def write_rounds(frame: pd.DataFrame, rounds: int) -> dict[str, list[float]]:
    """The first ``loc`` write to one float column: after hashing, and on a frame never hashed."""
    times: dict[str, list[float]] = {"write, not hashed": [], "write after hashing": []}
    column = "drawn_amount"
    for round_ in range(rounds):
        frames = {"write, not hashed": frame.copy(deep=True), "write after hashing": frame.copy(deep=True)}
        compute_params_hash(frames["write after hashing"])
        for name in sorted(frames, reverse=round_ % 2 == 1):  # alternate which goes first
            times[name].append(seconds(functools.partial(frames[name].loc.__setitem__, (0, column), 1.0)))
        del frames
    return times


def show(title: str, times: dict[str, list[float]], base: str) -> None:
    print(title)
    reference = statistics.median(times[base])
    for name, values in times.items():
        median = statistics.median(values)
        print(f"  {name:<22} {median * 1e3:>10.3f} ms   {reference / median:>9.0f}x of {base!r}")


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    positions = generate_positions(rows, 1)
    shape = f"{len(positions):,} rows x {positions.shape[1]} columns ({positions._mgr.nblocks} blocks)"
    print(f"{shape}; memo size {hashing.FRAME_MEMO_SIZE}")
    show("hashing a positions frame, medians of 7 rounds", hashing_rounds(positions, 7), "first")
    show(
        "first in-place write to a float column, medians of 6 rounds",
        write_rounds(positions, 6),
        "write, not hashed",
    )
    small = generate_positions(100, 1)
    show("a 100-row frame, medians of 25 rounds", hashing_rounds(small, 25), "first")


if __name__ == "__main__":
    main()
