"""Hand-built positions for regulatory tests: one dict per line, schema defaults for the rest."""

from __future__ import annotations

from typing import Any

import pandas as pd

import banksim as bs
from banksim.regulation import risk_weighted_assets


def positions(*lines: dict[str, Any]) -> pd.DataFrame:
    """A validated positions table; each line gets an id ``L1``, ``L2``... unless it names one."""
    rows = [
        {"position_id": f"L{i}", "side": "asset", "drawn_amount": 0.0, **line}
        for i, line in enumerate(lines, start=1)
    ]
    return bs.validate_positions(pd.DataFrame(rows))


def rwa_lines(*lines: dict[str, Any], **kwargs: Any) -> pd.DataFrame:
    """Credit and counterparty rows of ``risk_weighted_assets`` for hand-built lines, by id."""
    result = risk_weighted_assets(positions(*lines), **kwargs)
    result = result[result["risk_type"] != "operational"]
    return result.set_index(result["position_id"].astype(str))
