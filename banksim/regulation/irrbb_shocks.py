"""The six standard interest-rate shock scenarios: sizes per currency, shapes, post-shock floor.

Shocked zero curves at the 19 bucket mid-points, per currency (SRP31.90-31.93; methodology
13.2-13.3, C.42). Small arrays (6 scenarios x 19 buckets), no position data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from banksim.errors import InputError

__all__ = ["ShockedCurves", "shock_deltas", "shock_sizes", "shocked_curves"]

BASIS_POINT = 1e-4


def shock_sizes(currency: str, params: Mapping[str, Any]) -> tuple[float, float, float]:
    """(parallel, short, long) shock sizes of ``currency`` as decimals (SRP31.90; methodology C.42).

    Raises
    ------
    InputError
        The currency is not in the chosen calibration's table (banksim derives no shocks).
    """
    calibration = params["irrbb_calibration"]
    table = params["shock_sizes"][calibration]
    if currency not in table:
        raise InputError(
            "positions['currency']",
            f"has no shock sizes in the {calibration!r} calibration",
            failure_cases=[currency],
            allowed=sorted(table),
        )
    parallel, short, long = table[currency]
    return parallel * BASIS_POINT, short * BASIS_POINT, long * BASIS_POINT


def shock_deltas(
    sizes: tuple[float, float, float], midpoints: np.ndarray, params: Mapping[str, Any]
) -> np.ndarray:
    """ΔR of the six scenarios (rows, ``SCENARIOS`` order) at each mid-point (SRP31.91-31.92).

    S_short(t) = exp(-t/4), S_long(t) = 1 - exp(-t/4); steepener -0.65|short| + 0.9|long|,
    flattener +0.8|short| - 0.6|long| (methodology 13.2).
    """
    parallel, short, long = sizes
    decay = np.exp(-midpoints / params["shape_decay_years"])
    short_shock = np.abs(short * decay)
    long_shock = np.abs(long * (1.0 - decay))
    steep_short, steep_long = params["steepener"]
    flat_short, flat_long = params["flattener"]
    return np.vstack(
        [
            np.full_like(midpoints, parallel),
            np.full_like(midpoints, -parallel),
            steep_short * short_shock + steep_long * long_shock,
            flat_short * short_shock + flat_long * long_shock,
            short * decay,
            -short * decay,
        ]
    )


@dataclass(frozen=True)
class ShockedCurves:
    """Base and shocked zero curves of one currency at the bucket mid-points."""

    base: np.ndarray  # (19,)
    delta: np.ndarray  # (6, 19): the shock before the floor
    lower_bound: np.ndarray  # (19,): min(LB(t), R_0(t)), or -inf without a floor
    shocked: np.ndarray  # (6, 19): max(R_0 + ΔR, lower bound)
    floor_binds: np.ndarray  # (6, 19): R_0 + ΔR < lower bound (strict)

    @property
    def effective_delta(self) -> np.ndarray:
        """R_shocked - R_0 on the floored curves (used by ΔNII)."""
        return self.shocked - self.base


def _lower_bound(base: np.ndarray, midpoints: np.ndarray, params: Mapping[str, Any]) -> np.ndarray:
    """min(LB(t), R_0(t)) (SRP31.93; methodology 13.3, C.42): a shock never lifts a rate to the floor."""
    floor = params["post_shock_floor"]
    if floor == "none":
        return np.full_like(base, -np.inf)
    if floor == "zero":
        bound = np.zeros_like(midpoints)
    else:
        slope = params["floor_at_zero_maturity"] + params["floor_slope_per_year"] * midpoints
        bound = np.minimum(slope, 0.0)
    return np.minimum(bound, base)


def shocked_curves(currency: str, base: np.ndarray, params: Mapping[str, Any]) -> ShockedCurves:
    """The six floored shocked curves of ``currency`` from its base curve (methodology 13.2-13.3)."""
    midpoints = np.asarray(params["bucket_midpoints"], dtype=float)
    delta = shock_deltas(shock_sizes(currency, params), midpoints, params)
    bound = _lower_bound(base, midpoints, params)
    raw = base + delta
    return ShockedCurves(base, delta, bound, np.maximum(raw, bound), raw < bound)
