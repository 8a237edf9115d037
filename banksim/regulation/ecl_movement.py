"""IFRS 7.35H reconciliation of the loss allowance between two reporting dates, by stage.

Transfers at the opening allowance, remeasurement in the closing stage, new and derecognised loans
(methodology 12.7, C.41); vectorised with one merge on ``position_id``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from banksim.positions.credit_quality import validate_allowances

__all__ = ["MOVEMENT_LINES", "allowance_movement"]

MOVEMENT_LINES = (
    "opening",
    "transfer to stage 1",
    "transfer to stage 2",
    "transfer to stage 3",
    "new financial assets",
    "derecognised",
    "remeasurement",
    "closing",
)
_OPENING, _TRANSFER, _NEW, _DERECOGNISED, _REMEASUREMENT, _CLOSING = 0, 1, 4, 5, 6, 7


def allowance_movement(opening: Any, closing: Any) -> pd.DataFrame:
    """Opening-to-closing loss allowance by stage (IFRS 7.35H; methodology 12.7, C.41).

    Parameters
    ----------
    opening, closing : DataFrame or EclResult
        Per loan ``position_id``, ``stage`` (1-3) and ``loss_allowance`` (``opening_stage`` and
        ``opening_allowance`` accepted for the opening table); an ``EclResult`` gives its lines.

    Returns
    -------
    DataFrame
        Rows ``MOVEMENT_LINES``, columns ``stage_1``, ``stage_2``, ``stage_3``, ``total``. A loan whose
        stage changed moves its opening allowance out of the opening-stage column into the
        closing-stage column on "transfer to stage j" (j = closing stage); every loan present at
        both dates books closing - opening as remeasurement in its closing stage; new loans enter at
        their closing allowance, derecognised loans leave at -opening. Each column adds up:
        opening + transfers + new + derecognised + remeasurement = closing.
    """
    before = validate_allowances(getattr(opening, "lines", opening), "opening")
    after = validate_allowances(getattr(closing, "lines", closing), "closing")
    both = before.merge(after, on="position_id", how="outer", suffixes=("_open", "_close"), indicator=True)
    kind = both["_merge"].to_numpy()
    had, has = kind != "right_only", kind != "left_only"
    stage_open = both["stage_open"].fillna(1).to_numpy().astype(np.int64) - 1
    stage_close = both["stage_close"].fillna(1).to_numpy().astype(np.int64) - 1
    amount_open = both["loss_allowance_open"].fillna(0.0).to_numpy()
    amount_close = both["loss_allowance_close"].fillna(0.0).to_numpy()
    moved = had & has & (stage_open != stage_close)
    line = _TRANSFER + stage_close
    entries = (
        (_OPENING, stage_open, amount_open, had),
        (line, stage_open, -amount_open, moved),
        (line, stage_close, amount_open, moved),
        (_NEW, stage_close, amount_close, has & ~had),
        (_DERECOGNISED, stage_open, -amount_open, had & ~has),
        (_REMEASUREMENT, stage_close, amount_close - amount_open, had & has),
        (_CLOSING, stage_close, amount_close, has),
    )
    cells = np.zeros(len(MOVEMENT_LINES) * 3)
    for row, column, amount, mask in entries:
        index = (np.broadcast_to(row, mask.shape) * 3 + column)[mask]
        cells += np.bincount(index, weights=amount[mask], minlength=cells.size)
    table = pd.DataFrame(
        cells.reshape(len(MOVEMENT_LINES), 3),
        index=list(MOVEMENT_LINES),
        columns=["stage_1", "stage_2", "stage_3"],
    )
    table["total"] = table.sum(axis=1)
    return table
