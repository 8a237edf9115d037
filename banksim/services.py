"""The cached pipeline: each step is a plain function wrapped by ``@cached``.

Every service returns its result(s) and, last, whether it came from the cache; every step can be
called alone with a user's own DataFrame.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from banksim.cache import cached
from banksim.portfolio import generate_positions

__all__ = ["run_simulation"]


@cached(kind="positions")
def run_simulation(
    num_positions: int,
    seed: int,
    config: Mapping[str, Any] | None = None,
    include_derivatives: bool = False,
) -> pd.DataFrame:
    """Generate (or load from the cache) a synthetic bank's positions.

    Parameters
    ----------
    num_positions : int
        Business positions, 1 to 10 million; three own-funds rows are added.
    seed : int
        Seed of the random generator; the same inputs give the same frame in any process.
    config : dict, optional
        Overrides of :data:`banksim.portfolio.DEFAULT_CONFIG`; unknown keys are an error.
    include_derivatives : bool
        Add derivative trades with their SA-CCR fields.
    use_cache : bool
        ``False`` regenerates and replaces the stored frame.

    Returns
    -------
    positions : pandas.DataFrame
        One row per position, in the schema of :data:`banksim.portfolio.POSITIONS_SCHEMA`.
    cache_hit : bool
        True if the frame was loaded from the store.
    """
    return generate_positions(num_positions, seed, config, include_derivatives)
