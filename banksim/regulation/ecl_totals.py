"""The headline totals of an ECL run: allowance by stage and by credit-risk approach, stage shares.

A plain dict (stored as JSON) that the pipeline's headline and the capital statement read
(methodology 12.9, 1.6).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from banksim.regulation._frame import is_in

__all__ = ["ecl_totals"]


def ecl_totals(lines: pd.DataFrame) -> dict[str, Any]:
    """Allowance and EAD by stage; SA and IRB allowances split into stage 3 and stages 1-2.

    ``stage2_share`` and ``stage3_share`` are shares of EAD_0 in scope (0 without exposures).
    """
    stage = lines["stage"].to_numpy()
    allowance = lines["loss_allowance"].to_numpy()
    ead = lines["ead_0"].to_numpy()
    irb = ~is_in(lines, "approach", "sa") if "approach" in lines else np.zeros(len(lines), bool)
    total_ead = float(ead.sum())

    def amount(mask: np.ndarray, values: np.ndarray = allowance) -> float:
        return float(values[mask].sum())

    return {
        "exposures": len(lines),
        "ead": total_ead,
        "total_allowance": float(allowance.sum()),
        **{f"stage{s}_allowance": amount(stage == s) for s in (1, 2, 3)},
        **{f"stage{s}_exposures": int((stage == s).sum()) for s in (1, 2, 3)},
        **{f"stage{s}_share": amount(stage == s, ead) / total_ead if total_ead > 0 else 0.0 for s in (2, 3)},
        "coverage": float(allowance.sum()) / total_ead if total_ead > 0 else 0.0,
        "sa_specific_allowance": amount(~irb & (stage == 3)),
        "sa_general_allowance": amount(~irb & (stage < 3)),
        "irb_allowance": amount(irb),
    }
