"""Own funds carried by a positions table: its CET1, AT1 and Tier 2 rows.

Any positions table (generated or a user's own) states its capital as rows of these three products.
"""

from __future__ import annotations

import pandas as pd

from banksim.positions.vocabulary import OWN_FUNDS_PRODUCTS

__all__ = ["own_funds"]


def own_funds(positions: pd.DataFrame) -> dict[str, float]:
    """CET1, AT1 and Tier 2 capital carried by a positions table (the sums of its own-funds rows)."""
    amounts = positions.groupby("product", observed=False)["drawn_amount"].sum()
    tiers = ("cet1", "at1", "tier2")
    return {
        tier: float(amounts.get(product, 0.0))
        for tier, product in zip(tiers, OWN_FUNDS_PRODUCTS, strict=True)
    }
