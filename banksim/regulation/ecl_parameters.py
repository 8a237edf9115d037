"""IFRS 9 expected-credit-loss parameters as cited data: staging thresholds, exemption, scenarios.

Every number has its IFRS 9 paragraph and banksim convention (docs/methodology.md section 12 and
C.35-C.41); ``compute_ecl`` takes ``parameters`` overriding any of these keys.
"""

from __future__ import annotations

from typing import Any

from banksim.positions.vocabulary import INVESTMENT_GRADE_RATINGS

__all__ = ["ECL_PARAMETERS", "LOW_CREDIT_RISK_RATINGS"]

# Investment grade, AAA ... BBB- (IFRS 9 B5.5.23 example; methodology C.37).
LOW_CREDIT_RISK_RATINGS = INVESTMENT_GRADE_RATINGS

ECL_PARAMETERS: dict[str, Any] = {
    # Stage 3: default presumed no later than 90 days past due, boundary inclusive (IFRS 9 B5.5.37;
    # methodology 12.2, C.36). Set 91 for the regulatory "more than 90 days" (CRR Art. 178).
    "stage3_days_past_due": 90,
    # Stage 2 backstop: more than 30 days past due, boundary exclusive (IFRS 9 5.5.11; methodology C.36).
    "stage2_days_past_due": 30,
    # Quantitative SICR test on lifetime PD over the remaining life (IFRS 9 5.5.9; methodology 12.3, C.37):
    "sicr_relative_threshold": 2.0,  # LPD_rep >= 2 x LPD_orig (banksim calibration, entity choice)
    "sicr_absolute_threshold": 0.005,  # and LPD_rep - LPD_orig >= 0.5 percentage point
    # Low credit risk exemption from the PD test only (IFRS 9 5.5.10, B5.5.22-24; methodology C.37).
    "low_credit_risk_exemption": True,
    "low_credit_risk_ratings": LOW_CREDIT_RISK_RATINGS,  # investment grade (B5.5.23; methodology C.37)
    # Relative tolerance of every threshold test: x meets theta iff x >= theta - 1e-9 |theta| (C.37).
    "tolerance": 1e-9,
    # Scenario weights must sum to 1 within this (IFRS 9 5.5.17; methodology C.38).
    "weight_tolerance": 1e-9,
    # Default scenario set: one base scenario with the input PDs and LGDs as given, i.e. inputs that
    # already are unbiased probability-weighted estimates (IFRS 9 5.5.17-18; methodology 12.4).
    "scenarios": ({"scenario": "base", "weight": 1.0, "pd_multiplier": 1.0, "lgd_addon": 0.0},),
    # How a positions table maps to exposures (banksim choices; methodology 12.9):
    "undrawn_drawdown": 1.0,  # ecl_ccf where a line with an undrawn amount gives none (B5.5.31)
    "non_maturity_life": 1.0,  # years: life of a line without residual maturity (5.5.20, revolving)
    "minimum_life": 1 / 365,  # years: a residual maturity of 0 is one day
    "missing_lgd": 0.45,  # LGD of a line that gives none: the F-IRB senior unsecured LGD (CRE32.6)
}
