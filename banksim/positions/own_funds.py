"""Own funds carried by a positions table: its CET1, AT1 and Tier 2 rows.

Any positions table (generated or a user's own) states its capital as rows of these three products.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["own_funds"]


def own_funds(positions: pd.DataFrame) -> dict[str, float]:
    """CET1, AT1 and Tier 2 capital carried by a positions table (its own-funds rows)."""
    amounts = positions.groupby("product", observed=False)["drawn_amount"].sum()
    return {
        "cet1": float(amounts.get("cet1_capital", 0.0)),
        "at1": float(amounts.get("at1_instrument", 0.0)),
        "tier2": float(amounts.get("tier2_instrument", 0.0)),
    }
