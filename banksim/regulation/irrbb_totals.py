"""The headline summary of an IRRBB run: ΔEVE per scenario, the worst one against Tier 1, ΔNII.

A plain dict (stored as JSON) that the pipeline's headline reads (methodology 13.7-13.10).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from banksim.regulation.irrbb import IrrbbResult

__all__ = ["irrbb_summary"]


def irrbb_summary(result: IrrbbResult) -> dict[str, Any]:
    """ΔEVE by scenario (both aggregations), the outlier tests, ΔNII by scenario and the NII test."""
    chosen = result.eve_risk_measure
    eve = result.eve_by_scenario.set_index("scenario")
    nii = result.nii_by_scenario.set_index("scenario")
    return {
        "aggregation": chosen.aggregation,
        "worst_scenario": chosen.worst_scenario,
        "worst_delta_eve": chosen.measure,
        "delta_eve_to_tier1": chosen.ratio,
        "eve_outlier": chosen.outlier,
        "tier1": chosen.tier1,
        "delta_eve": {s: float(v) for s, v in eve[f"delta_eve_{chosen.aggregation}"].items()},
        "outlier_tests": {name: asdict(test) for name, test in result.eve_outlier.items()},
        "delta_nii": {s: float(v) for s, v in nii["delta_nii_total"].items()},
        "delta_nii_parallel_up": float(nii["delta_nii_total"]["parallel_up"]),
        "delta_nii_parallel_down": float(nii["delta_nii_total"]["parallel_down"]),
        "nii_test": asdict(result.nii_test),
    }
