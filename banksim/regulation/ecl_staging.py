"""IFRS 9 stage allocation: the lifetime-PD SICR test, the low-credit-risk exemption, stages 1-3.

Vectorised over a validated exposure table; each exposure gets its stage, the triggers of that stage
that fired and the paragraph applied (methodology 12.2-12.3, C.36-C.37).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from banksim.regulation._frame import categorical

__all__ = ["TRIGGERS", "PdTest", "Staging", "allocate_stages", "meets", "pd_test"]

# Trigger names, in the order they are listed (methodology C.36); bit i of a trigger code is TRIGGERS[i].
TRIGGERS = ("defaulted", "dpd>=90", "dpd>30", "forborne", "watchlist", "pd_test")
# The label of each trigger code: the names of its bits, e.g. 'defaulted, dpd>=90' ('' for 0).
TRIGGER_LABELS = tuple(
    ", ".join(name for i, name in enumerate(TRIGGERS) if code >> i & 1) for code in range(64)
)
STAGE3_BITS = 0b000011
STAGE2_BITS = 0b111100
STAGE_RULES = (
    "IFRS 9 5.5.5: 12-month ECL",
    "IFRS 9 5.5.3: lifetime ECL, not credit-impaired",
    "IFRS 9 B5.5.33: lifetime ECL, credit-impaired",
)
# The banksim conventions each stage's measurement applies (docs/methodology.md).
STAGE_CONVENTIONS = (
    "methodology C.35-C.40 (12-month horizon)",
    "methodology C.35-C.40 (lifetime horizon)",
    "methodology C.35-C.38, C.40 (PD 1, undiscounted)",
)


def meets(value: np.ndarray, threshold: float | np.ndarray, tolerance: float) -> np.ndarray:
    """``value`` meets ``threshold`` iff value >= threshold - tolerance * |threshold| (methodology C.37)."""
    return np.asarray(value >= threshold - tolerance * np.abs(threshold))


@dataclass(frozen=True)
class PdTest:
    """The quantitative SICR test of each exposure (IFRS 9 5.5.9; methodology 12.3, C.37)."""

    lpd_reporting: np.ndarray  # sum_s w_s (1 - S_s(T))
    lpd_origination: np.ndarray  # 1 - (1 - pd_at_origination)^T
    relative: np.ndarray  # LPD_rep >= relative threshold x LPD_orig
    absolute: np.ndarray  # LPD_rep - LPD_orig >= absolute threshold

    @property
    def passed(self) -> np.ndarray:
        return self.relative & self.absolute


def pd_test(
    frame: pd.DataFrame, scenario_pd: np.ndarray, weights: np.ndarray, params: Mapping[str, Any]
) -> PdTest:
    """Lifetime PDs over the remaining life T at the reporting date and at origination, and the test.

    ``scenario_pd`` is the (exposures x scenarios) array of annual PDs p_s; both boundaries are
    inclusive with the relative tolerance (methodology C.37). The relative test is a product, so
    LPD_orig = 0 needs no division.
    """
    maturity = frame["residual_maturity"].to_numpy()[:, None]
    lpd_reporting = (1.0 - (1.0 - scenario_pd) ** maturity) @ weights
    lpd_origination = 1.0 - (1.0 - frame["pd_at_origination"].to_numpy()) ** maturity[:, 0]
    tolerance = params["tolerance"]
    relative = meets(lpd_reporting, params["sicr_relative_threshold"] * lpd_origination, tolerance)
    absolute = meets(lpd_reporting - lpd_origination, params["sicr_absolute_threshold"], tolerance)
    return PdTest(lpd_reporting, lpd_origination, relative, absolute)


def low_credit_risk(frame: pd.DataFrame, params: Mapping[str, Any]) -> np.ndarray:
    """Investment-grade rating at the reporting date, when the exemption is on (IFRS 9 5.5.10; C.37)."""
    if not params["low_credit_risk_exemption"]:
        return np.zeros(len(frame), dtype=bool)
    return frame["rating"].isin(params["low_credit_risk_ratings"]).to_numpy()


@dataclass(frozen=True)
class Staging:
    """Stage (1, 2, 3) of each exposure, its trigger code and labels."""

    stage: np.ndarray
    trigger_codes: np.ndarray
    low_credit_risk: np.ndarray

    def triggers(self) -> pd.Categorical:
        """The triggers of the assigned stage that fired, e.g. ``'defaulted, dpd>=90'`` ('' in stage 1)."""
        codes = np.asarray(self.trigger_codes)
        if (
            codes.dtype.kind != "i"
            or codes.ndim != 1
            or (codes.size and (codes.min() < 0 or codes.max() >= len(TRIGGER_LABELS)))
        ):
            return categorical(codes, TRIGGER_LABELS).remove_unused_categories()  # its error
        # The codes present (bincount, not a hash of the codes), in the order of TRIGGER_LABELS.
        used = np.flatnonzero(np.bincount(codes, minlength=len(TRIGGER_LABELS)))
        renumber = np.zeros(len(TRIGGER_LABELS), dtype=np.int64)
        renumber[used] = np.arange(len(used))
        categories = pd.Index(TRIGGER_LABELS)[used]  # str dtype, also when empty
        labels: Any = pd.Categorical.from_codes(renumber[codes], dtype=pd.CategoricalDtype(categories))
        return labels

    def rules(self) -> pd.Categorical:
        """The paragraph that sets the measurement of each exposure's stage."""
        return categorical(self.stage - 1, STAGE_RULES)

    def conventions(self) -> pd.Categorical:
        """The banksim conventions of each exposure's measurement (methodology C.35-C.40)."""
        return categorical(self.stage - 1, STAGE_CONVENTIONS)


def allocate_stages(frame: pd.DataFrame, test: PdTest, params: Mapping[str, Any]) -> Staging:
    """Stage 3 before stage 2 before stage 1 (IFRS 9 5.5.3, 5.5.5, 5.5.11, B5.5.37; methodology C.36).

    Stage 3: defaulted, or days past due >= ``stage3_days_past_due`` (90). Stage 2: days past due
    > ``stage2_days_past_due`` (30), forborne, watchlist, or the PD test passes and the exposure is
    not low credit risk. No cure or probation period: the data at the reporting date decide.
    """
    dpd = frame["days_past_due"].to_numpy()
    exempt = low_credit_risk(frame, params)
    fired = (
        frame["is_defaulted"].to_numpy().astype(np.int64)
        | (dpd >= params["stage3_days_past_due"]) << 1
        | (dpd > params["stage2_days_past_due"]) << 2
        | frame["forborne"].to_numpy().astype(np.int64) << 3
        | frame["watchlist"].to_numpy().astype(np.int64) << 4
        | (test.passed & ~exempt).astype(np.int64) << 5
    )
    stage = np.where(fired & STAGE3_BITS, 3, np.where(fired & STAGE2_BITS, 2, 1))
    codes = np.where(stage == 3, fired & STAGE3_BITS, np.where(stage == 2, fired & STAGE2_BITS, 0))
    return Staging(stage.astype(np.int64), codes.astype(np.int64), exempt)
