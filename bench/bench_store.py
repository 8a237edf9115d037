"""Benchmark of the store and cache on a 1M-row positions-like frame; prints medians and ratios.

Run: ``.venv/bin/python bench/bench_store.py [rows]``. Variants compared with each other run
round-robin in one process, so machine noise hits all of them alike; read the ratios.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

import banksim as bs
from banksim import payloads
from banksim.hashing import frame_fingerprint


def make_frame(rows: int, seed: int = 0) -> pd.DataFrame:
    """~20 columns: ids and categorical-like strings (str dtype), floats, ints, a date."""
    rng = np.random.default_rng(seed)
    classes = np.array(["corporate", "retail", "bank", "sovereign", "residential_real_estate", "equity"])
    ratings = np.array(["AAA", "AA", "A", "BBB", "BB", "B", "CCC", "unrated"])
    currencies = np.array(["EUR", "USD", "GBP", "CHF", "JPY"])
    frame = pd.DataFrame(
        {
            "position_id": pd.Series([f"POS-{i:09d}" for i in range(rows)], dtype="str"),
            "exposure_class": pd.Series(classes[rng.integers(0, len(classes), rows)], dtype="str"),
            "rating": pd.Series(ratings[rng.integers(0, len(ratings), rows)], dtype="str"),
            "currency": pd.Series(currencies[rng.integers(0, len(currencies), rows)], dtype="str"),
            "business_line": pd.Series(np.char.add("BL", rng.integers(0, 30, rows).astype(str)), dtype="str"),
        }
    )
    for name in ("notional", "drawn", "undrawn", "ccf", "ead", "pd", "lgd", "maturity", "rw", "rwa", "ltv"):
        frame[name] = rng.random(rows) * 1e6
    frame["days_past_due"] = rng.integers(0, 120, rows)
    frame["book_id"] = rng.integers(0, 1000, rows).astype("int32")
    frame["as_of"] = pd.Timestamp("2026-06-30") + pd.to_timedelta(rng.integers(0, 365, rows), unit="D")
    return frame


def interleaved(variants: dict[str, Callable[[], object]], repeat: int = 7) -> dict[str, float]:
    """Median seconds of each variant, run round-robin after one warm-up each."""
    for run in variants.values():
        run()
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(repeat):
        for name, run in variants.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def main(rows: int = 1_000_000) -> None:
    frame = make_frame(rows)
    size_gb = frame.memory_usage(deep=True).sum() / 1e9
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        url = f"sqlite:///{root / 'bench.db'}"
        store = bs.Store(url, "file", root / "artifacts", memory_cache_mb=0)  # every hit reads
        in_memory = bs.Store(url, "file", root / "artifacts")  # repeated hits from memory

        @bs.cached(kind="bench_positions")
        def positions(n: int) -> pd.DataFrame:
            return frame

        with bs.use_store(store):
            positions(rows)  # the miss: computed and stored
            key = positions.key(rows)
            stored = next((root / "artifacts").rglob("*.parquet"))
            bare_path = root / "bare.parquet"
            pq.write_table(pq.read_table(stored), bare_path)

            write = interleaved(
                {
                    "hash": lambda: frame_fingerprint(frame),
                    "parquet write (pq.write_table)": lambda: pq.write_table(
                        pq.read_table(bare_path), root / "w.parquet"
                    ),
                    "encode (banksim Parquet)": lambda: payloads.encode_dataframe(frame),
                },
                repeat=5,
            )

            def memory_hit() -> object:
                with bs.use_store(in_memory):
                    return positions(rows)

            read = interleaved(
                {
                    "cache hit": lambda: positions(rows),
                    "bare read_table().to_pandas()": lambda: pq.read_table(bare_path).to_pandas(),
                    "cache hit in memory": memory_hit,
                }
            )
            lookup = interleaved({"metadata lookup": lambda: store.configuration(key)}, repeat=50)
        store.close()
        in_memory.close()

    print(f"frame: {rows:,} rows x {frame.shape[1]} columns, {size_gb * 1e3:.0f} MB in memory")
    print(f"content hash:         {write['hash'] * 1e3:8.1f} ms  = {size_gb / write['hash']:.2f} GB/s")
    print(f"parquet encode:       {write['encode (banksim Parquet)'] * 1e3:8.1f} ms")
    print(f"pq.write_table:       {write['parquet write (pq.write_table)'] * 1e3:8.1f} ms")
    print(f"hash / encode ratio:  {write['hash'] / write['encode (banksim Parquet)']:8.3f}   (target < 0.10)")
    print(f"cache hit, read:      {read['cache hit'] * 1e3:8.1f} ms")
    print(f"bare Parquet read:    {read['bare read_table().to_pandas()'] * 1e3:8.1f} ms")
    ratio = read["cache hit"] / read["bare read_table().to_pandas()"]
    print(f"hit / bare read:      {ratio:8.3f}   (target <= 1.25)")
    print(f"hit from memory:      {read['cache hit in memory'] * 1e3:8.1f} ms (repeated call in one process)")
    print(f"warm metadata lookup: {lookup['metadata lookup'] * 1e3:8.2f} ms (target < 5 ms)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
