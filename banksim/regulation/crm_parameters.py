"""Credit risk mitigation parameters as data: supervisory haircuts, holding periods, floors, F-IRB LGDs.

Every number has its Basel Framework paragraph in the comment (methodology 9 and C.25-C.29); the
CRM functions read ``CRM_PARAMETERS`` (the SA risk-weight tables come from ``parameters['sa']``).
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["CRM_PARAMETERS", "HAIRCUT_MATURITY_UPPER"]

# Residual-maturity bands of the haircut table, upper bounds inclusive (CRE22.49, methodology C.26):
# <= 1y, 1-3y, 3-5y, 5-10y, > 10y.
HAIRCUT_MATURITY_UPPER = (1.0, 3.0, 5.0, 10.0, math.inf)

CRM_PARAMETERS: dict[str, Any] = {
    "approach": "comprehensive",  # CRE22.18-19: one approach for the banking book (methodology C.25)
    "relative_tolerance": 1e-9,  # methodology C.25: band and threshold tests, upper bounds inclusive
    # Supervisory haircuts, 10 business days, daily remargining (CRE22.49 Table; methodology 9.3).
    # Rows: issue-rating group; columns: the five residual-maturity bands above.
    "haircut": {
        "sovereign": {  # CRE22.49, CRE22.51(1): sovereigns and 0%-RW MDBs
            "aaa_aa": (0.005, 0.02, 0.02, 0.04, 0.04),
            "a_bbb": (0.01, 0.03, 0.03, 0.06, 0.06),
            "bb": (0.15, 0.15, 0.15, 0.15, 0.15),  # CRE22.49: BB+ to BB-, sovereigns only
        },
        "other": {  # CRE22.49, CRE22.51(2): banks, corporates, PSEs, MDBs
            "aaa_aa": (0.01, 0.03, 0.04, 0.06, 0.12),
            "a_bbb": (0.02, 0.04, 0.06, 0.12, 0.20),
        },
        "securitisation": {  # CRE22.49: securitisation exposures
            "aaa_aa": (0.02, 0.08, 0.08, 0.16, 0.16),
            "a_bbb": (0.04, 0.12, 0.12, 0.24, 0.24),
        },
        "equity_main_index": 0.20,  # CRE22.49: main-index equities and convertible bonds
        "gold": 0.20,  # CRE22.49
        "equity_other_listed": 0.30,  # CRE22.49: other equities listed on a recognised exchange
        "cash": 0.0,  # CRE22.49: cash in the same currency
        "non_eligible_lent": 0.30,  # CRE22.54: non-eligible instruments lent or posted
    },
    "fx_haircut": 0.08,  # CRE22.52: currency mismatch, 10 business days, daily mark-to-market
    "haircut_base_days": 10.0,  # CRE22.49, CRE22.59: the table's holding period T_N
    "holding_period_days": {  # CRE22.57: minimum holding period T_M (methodology C.27)
        "repo_style": 5.0,
        "capital_market": 10.0,
        "secured_lending": 20.0,
    },
    "protection_holding_period_days": 10.0,  # CRE22.82-83: Hfx of guarantees, sqrt((N_R + 9)/10)
    "maturity_mismatch": {  # CRE22.12-13 (methodology 9.5)
        "minimum_original": 1.0,  # CRE22.12: original maturity at least one year
        "minimum_residual": 0.25,  # CRE22.12: residual maturity at least three months
        "offset": 0.25,  # CRE22.13: (t - 0.25)/(T - 0.25)
        "cap": 5.0,  # CRE22.13: T = min(5, residual maturity of the exposure)
    },
    "simple": {  # CRE22.32-39 (methodology 9.2)
        "floor": 0.20,  # CRE22.33: RW of the collateralised part at least 20%
        "cash_same_currency": 0.0,  # CRE22.39(1)
        "sovereign_zero_rw_discount": 0.20,  # CRE22.39(2): 0% on 80% of the market value
        "repo": 0.10,  # CRE22.38: repo-style transactions meeting CRE22.36
        "repo_core_market_participant": 0.0,  # CRE22.38 with CRE22.37
        "maximum_revaluation_days": 130.0,  # CRE22.33: revalued at least every six months
        "gold": 0.0,  # CRE20.110: RW of gold held
        "equity_main_index": 2.50,  # CRE20.57: RW of a listed equity
        "mdb_zero_rw": 0.0,  # CRE20.14: eligible MDBs
    },
    "credit_derivative_no_restructuring": 0.60,  # CRE22.75: restructuring not covered
    "firb": {  # CRE32.6-14 (methodology 9.7)
        "lgd_unsecured": {  # CRE32.6-7
            "corporate": 0.40,  # CRE32.6: senior claims on other corporates
            "financial": 0.45,  # CRE32.6: sovereigns, banks, securities firms, other FIs
            "subordinated": 0.75,  # CRE32.7
        },
        "lgd_secured": {  # CRE32.11 Table 1
            "financial": 0.0,  # eligible financial collateral
            "receivables": 0.20,
            "residential_real_estate": 0.20,
            "commercial_real_estate": 0.20,
            "other_physical": 0.25,
        },
        "non_financial_haircut": 0.40,  # CRE32.11: receivables, real estate, other physical
    },
}
