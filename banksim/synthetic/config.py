"""The generator's arguments: the configuration merged over ``DEFAULT_CONFIG`` and checked.

Every bad argument is one clear ``InputError`` before anything is drawn.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from banksim.errors import InputError
from banksim.positions.vocabulary import CURRENCIES
from banksim.synthetic.profiles import (
    DEFAULT_CONFIG,
    OWN_FUNDS_KEYS,
    PRODUCT_SIDE,
    PROFILES,
    RATING_GRADES,
)

__all__ = ["MAX_SEED", "check_bank_arguments", "resolve_config"]

MAX_SEED = 2**63 - 1  # the largest signed 64-bit integer (BIGINT in the store, in DuckDB)


def resolve_config(config: Mapping[str, Any] | None) -> dict[str, Any]:
    """Merge ``config`` over ``DEFAULT_CONFIG``; unknown keys and bad values are errors."""
    merged = {**DEFAULT_CONFIG, "own_funds": dict(DEFAULT_CONFIG["own_funds"])}
    if config is None:
        return merged
    if not isinstance(config, Mapping):
        raise InputError("config", f"expected a dict, got {type(config).__name__}")
    unknown = sorted(set(config) - set(DEFAULT_CONFIG))
    if unknown:
        raise InputError("config", f"unknown keys {unknown}", allowed=sorted(DEFAULT_CONFIG))
    for key, value in config.items():
        merged[key] = (
            {**merged["own_funds"], **value} if key == "own_funds" and isinstance(value, Mapping) else value
        )
    if merged["profile"] not in PROFILES:
        raise InputError(
            "config['profile']", f"unknown profile {merged['profile']!r}", allowed=sorted(PROFILES)
        )
    if merged["currency"] not in CURRENCIES:
        raise InputError("config['currency']", f"unknown currency {merged['currency']!r}", allowed=CURRENCIES)
    for key in ("total_assets", "off_balance_share", "derivative_notional_share"):
        if not isinstance(merged[key], int | float) or not np.isfinite(merged[key]) or merged[key] < 0:
            raise InputError(f"config[{key!r}]", f"must be a finite number >= 0, got {merged[key]!r}")
    if merged["total_assets"] <= 0:
        raise InputError("config['total_assets']", "must be > 0")
    for key in ("foreign_currency_share", "irb_share", "default_rate"):
        if not isinstance(merged[key], int | float) or not 0 <= merged[key] <= 1:
            raise InputError(f"config[{key!r}]", f"must be between 0 and 1, got {merged[key]!r}")
    _check_weights("config['rating_distribution']", merged["rating_distribution"], RATING_GRADES)
    if merged["mix"]:
        mixable = {p: () for p, side in PRODUCT_SIDE.items() if side in ("asset", "liability", "off_balance")}
        mixable.pop("tier2_instrument")
        _check_weights("config['mix']", merged["mix"], mixable, need_positive_total=False)
    own = merged["own_funds"]
    if not isinstance(own, Mapping) or set(own) - set(OWN_FUNDS_KEYS):
        raise InputError(
            "config['own_funds']",
            "unknown keys",
            allowed=OWN_FUNDS_KEYS,
            failure_cases=sorted(set(own) - set(OWN_FUNDS_KEYS)) if isinstance(own, Mapping) else [own],
        )
    for key, value in own.items():
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < math.inf
        ):
            raise InputError(f"config['own_funds'][{key!r}]", f"must be a finite number >= 0, got {value!r}")
    return merged


def _check_weights(
    argument: str, weights: Any, allowed: Mapping[str, Any], need_positive_total: bool = True
) -> None:
    if not isinstance(weights, Mapping):
        raise InputError(argument, f"expected a dict, got {type(weights).__name__}")
    unknown = sorted(set(weights) - set(allowed))
    if unknown:
        raise InputError(argument, f"unknown keys {unknown}", allowed=sorted(allowed))
    bad = [k for k, v in weights.items() if not isinstance(v, int | float) or not np.isfinite(v) or v < 0]
    if bad:
        raise InputError(argument, "weights must be finite numbers >= 0", failure_cases=bad)
    if need_positive_total and sum(weights.values()) <= 0:
        raise InputError(argument, "weights must not all be zero")


def check_bank_arguments(
    num_positions: Any, seed: Any, config: Any, include_derivatives: Any
) -> dict[str, Any]:
    """Check the arguments of :func:`generate_positions` and return the resolved config.

    Callers that fan out (a sweep) call it first, so a bad argument is one clear error up front.
    """
    if (
        isinstance(num_positions, bool)
        or not isinstance(num_positions, int | np.integer)
        or not 1 <= num_positions <= 10_000_000
    ):
        raise InputError(
            "num_positions", f"got {num_positions!r}", allowed="a whole number from 1 to 10,000,000"
        )
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or not 0 <= seed <= MAX_SEED:
        raise InputError(
            "seed", f"got {seed!r}", allowed=f"a whole number from 0 to 2**63 - 1 ({MAX_SEED:,})"
        )
    if not isinstance(include_derivatives, bool | np.bool_):
        raise InputError("include_derivatives", f"got {include_derivatives!r}", allowed="True or False")
    return resolve_config(config)
