"""Basel III parameters as data: risk-weight tables, CCFs, IRB floors, SA-CCR factors, OPE25, floor.

Every number has its Basel Framework paragraph in the comment (docs/methodology.md; the
tables of docs/parameters.md are generated from this dict); a jurisdiction's variant is an
override of this nested dict via :func:`regulatory_parameters`, and the resolved dict is part of
every cache key that depends on it.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from banksim.errors import InputError
from banksim.regulation.crm_parameters import CRM_PARAMETERS
from banksim.regulation.cva_parameters import CVA_PARAMETERS
from banksim.regulation.ecl_parameters import ECL_PARAMETERS
from banksim.regulation.irrbb_parameters import IRRBB_PARAMETERS
from banksim.regulation.market_risk_parameters import MARKET_RISK_PARAMETERS

__all__ = ["DEFAULT_PARAMETERS", "OPEN_TABLES", "RATING_BUCKETS", "regulatory_parameters"]

# Rating bucket of each rating string (CRE21 / methodology 2.1, C.2).
RATING_BUCKETS: dict[str, str] = {
    **dict.fromkeys(("AAA", "AA+", "AA", "AA-"), "aaa_aa"),
    **dict.fromkeys(("A+", "A", "A-"), "a"),
    **dict.fromkeys(("BBB+", "BBB", "BBB-"), "bbb"),
    **dict.fromkeys(("BB+", "BB", "BB-"), "bb"),
    **dict.fromkeys(("B+", "B", "B-"), "b"),
    **dict.fromkeys(("CCC+", "CCC", "CCC-", "CC", "C", "D"), "below_b"),
    "unrated": "unrated",
}
BUCKETS = ("aaa_aa", "a", "bbb", "bb", "b", "below_b", "unrated")


def _row(*weights: float) -> dict[str, float]:
    return dict(zip(BUCKETS, weights, strict=True))


NAN = math.nan

DEFAULT_PARAMETERS: dict[str, Any] = {
    "sa": {
        # Rated tables by bucket: AAA..AA-, A, BBB, BB, B, below B-, unrated (methodology 2.2).
        "sovereign": _row(0.0, 0.20, 0.50, 1.00, 1.00, 1.50, 1.00),  # CRE20.7 Table 1
        "pse": _row(0.20, 0.50, 0.50, 1.00, 1.00, 1.50, 0.50),  # CRE20.11 Table 4 (option 2)
        "mdb": _row(0.20, 0.30, 0.50, 1.00, 1.00, 1.50, 0.50),  # CRE20.15 Table 5
        "bank_ecra": _row(0.20, 0.30, 0.50, 1.00, 1.00, 1.50, NAN),  # CRE20.18 Table 6
        "bank_ecra_short_term": _row(0.20, 0.20, 0.20, 0.50, 0.50, 1.50, NAN),  # CRE20.18-19
        "covered_bond": _row(0.10, 0.20, 0.20, 0.50, 0.50, 1.00, NAN),  # CRE20.38 Table 8
        "corporate": _row(0.20, 0.50, 0.75, 1.00, 1.50, 1.50, 1.00),  # CRE20.42-43 Table 10
        "zero_weight": 0.0,  # CRE20.10 (BIS, IMF, ECB, EU, ESM, EFSF), CRE20.14 (eligible MDBs)
        "scra": {"A": 0.40, "A_concession": 0.30, "B": 0.75, "C": 1.50},  # CRE20.21-22 Table 7
        "scra_short_term": {"A": 0.20, "B": 0.50, "C": 1.50},  # CRE20.31
        "scra_concession_cet1_ratio": 0.14,  # CRE20.22
        "scra_concession_leverage_ratio": 0.05,  # CRE20.22
        "short_term_maturity": 0.25,  # methodology C.4: original maturity <= 3 months
        "short_term_trade_maturity": 0.50,  # goods-movement trade items <= 6 months
        # SCRA sovereign floor (CRE20.32): the rating of each jurisdiction's sovereign (illustrative
        # defaults: set the ratings in force) and its local currency.
        "sovereign_rating": {
            "DE": "AAA",
            "FR": "AA-",
            "NL": "AAA",
            "IT": "BBB",
            "ES": "A",
            "GB": "AA",
            "US": "AA+",
            "CH": "AAA",
            "JP": "A+",
        },
        "local_currency": {  # CRE20.32: the floor applies to exposures in another currency
            "DE": "EUR",
            "FR": "EUR",
            "NL": "EUR",
            "IT": "EUR",
            "ES": "EUR",
            "GB": "GBP",
            "US": "USD",
            "CH": "CHF",
            "JP": "JPY",
        },
        # Unrated covered bonds: issuer bank RW -> covered bond RW (CRE20.38 Table 9).
        "covered_bond_unrated": {
            "issuer_risk_weight": (0.20, 0.30, 0.40, 0.50, 0.75, 1.00, 1.50),
            "risk_weight": (0.10, 0.15, 0.20, 0.25, 0.35, 0.50, 1.00),
        },
        "corporate_sme_unrated": 0.85,  # CRE20.47
        "corporate_investment_grade": 0.65,  # CRE20.46 (non-ECAI jurisdictions)
        "specialised_lending": {  # CRE20.51-52, lines without an issue rating
            "object_finance": 1.00,
            "commodities_finance": 1.00,
            "project_finance_pre_operational": 1.30,
            "project_finance_operational": 1.00,
            "project_finance_high_quality_operational": 0.80,
        },
        "equity": {  # CRE20.57-62, CRE20.109
            "general": 2.50,
            "listed": 2.50,
            "speculative_unlisted": 4.00,
            "legislated_programme": 1.00,
            "significant_investment": 12.50,
            "threshold_deduction_item": 2.50,
        },
        "subordinated_debt": 1.50,  # CRE20.60
        "retail": {  # CRE20.63-68
            "regulatory_retail_transactor": 0.45,
            "regulatory_retail": 0.75,
            "other_retail": 1.00,
        },
        # Real estate, whole-loan approach; each band includes its upper bound (CRE20.82-87).
        "rre_ltv_upper": (0.50, 0.60, 0.80, 0.90, 1.00, math.inf),
        "rre_general": (0.20, 0.25, 0.30, 0.40, 0.50, 0.70),  # CRE20.82 Table 11
        "rre_income_producing": (0.30, 0.35, 0.45, 0.60, 0.75, 1.05),  # CRE20.84 Table 12
        "cre_ltv_upper": (0.60, 0.80, math.inf),  # CRE20.85-87 bands
        "cre_general_cap": 0.60,  # CRE20.85 Table 13: min(60%, counterparty RW) up to 60% LTV
        "cre_income_producing": (0.70, 0.90, 1.10),  # CRE20.87 Table 14
        "real_estate_other_dependent": 1.50,  # CRE20.88
        "adc": 1.50,  # CRE20.90
        "adc_residential_qualifying": 1.00,  # CRE20.91
        # Loan-splitting (CRE20.83, CRE20.86; methodology 8.4 and C.23), a national option off by
        # default (the whole-loan approach above): the part of a general residential / commercial
        # loan up to `secured_share` of the property value gets `risk_weight` (CRE: the lower of
        # `risk_weight_cap` and the counterparty's RW), the rest the counterparty's RW.
        "rre_loan_splitting": {
            "applied": False,  # CRE20.83 option (EU: applied, methodology 8.4)
            "secured_share": 0.55,  # CRE20.83: up to 55% of the property value
            "risk_weight": 0.20,  # CRE20.83
        },
        "cre_loan_splitting": {
            "applied": False,  # CRE20.86 option (EU: applied, methodology 8.4)
            "secured_share": 0.55,  # CRE20.86: up to 55% of the property value
            "risk_weight_cap": 0.60,  # CRE20.86: min(60%, RW of the counterparty)
        },
        "counterparty": {"individual": 0.75, "sme": 0.85},  # CRE20.89(1)
        "defaulted": {  # CRE20.104-108 (the 50% national discretion is not applied)
            "provision_threshold": 0.20,
            "below_threshold": 1.50,
            "at_or_above_threshold": 1.00,
            "residential_re_not_dependent": 1.00,
        },
        "other_assets": {  # CRE20.109-110
            "cash": 0.0,
            "gold": 0.0,
            "cash_items_in_collection": 0.20,
            "other": 1.00,
        },
        "currency_mismatch_multiplier": 1.50,  # CRE20.92-93
        "currency_mismatch_cap": 1.50,  # CRE20.93: at most 150% after the multiplier
        # Supporting factors: EU-only multipliers of RWA (methodology 8.2-8.3, C.21-C.22); 1.0 = not
        # applied, the Basel Framework has none.
        "sme_supporting_factor": {
            "factor": 1.0,  # 1 = not applied; EU CRR Art. 501: 0.7619 on E* up to the threshold
            "factor_above_threshold": 1.0,  # 1 = not applied; EU CRR Art. 501: 0.85 above it
            "threshold": 2.5e6,  # EU CRR Art. 501: EUR 2.5m of the total amount owed E*
            "turnover_limit": 50e6,  # EU SME definition (annual turnover <= EUR 50m), methodology C.21
        },
        "infrastructure_supporting_factor": 1.0,  # 1 = not applied; EU CRR Art. 501a: 0.75 (methodology 8.3)
        "ccf": {  # CRE20.94-101
            "none": 0.0,
            "direct_credit_substitute": 1.00,
            "repo_or_asset_sale_with_recourse": 1.00,
            "securities_lending": 1.00,
            "forward_asset_purchase": 1.00,
            "nif_ruf": 0.50,
            "transaction_related_contingent": 0.50,
            "commitment": 0.40,
            "short_term_trade_letter_of_credit": 0.20,
            "unconditionally_cancellable_commitment": 0.10,
        },
    },
    "irb": {
        "confidence": 0.999,  # CRE31.4
        "pd_floor": {  # CRE32.4, CRE32.58; none for sovereigns (methodology C.12)
            "corporate": 0.0005,
            "bank": 0.0005,
            "sovereign": 0.0,
            "residential_mortgage": 0.0005,
            "qrre_revolver": 0.0010,
            "qrre_transactor": 0.0005,
            "other_retail": 0.0005,
        },
        "lgd_floor": {  # CRE32.16, CRE32.58-59 (all exposures treated as unsecured, methodology C.2)
            "corporate": 0.25,
            "bank": 0.0,
            "sovereign": 0.0,
            "residential_mortgage": 0.05,
            "qrre_revolver": 0.50,
            "qrre_transactor": 0.50,
            "other_retail": 0.30,
        },
        "firb_lgd_financial": 0.45,  # CRE32.6 sovereigns, banks, FIs
        "firb_lgd_corporate": 0.40,  # CRE32.6 other corporates
        "firb_lgd_subordinated": 0.75,  # CRE32.7
        "firb_maturity": 2.5,  # CRE32.44
        "maturity_floor": 1.0,  # CRE32.46
        "maturity_cap": 5.0,  # CRE32.46
        "maturity_default": 2.5,  # CRE32.55
        "large_corporate_sales": 500e6,  # CRE30.34: A-IRB not allowed above EUR 500m
        "sme_sales_upper": 50e6,  # CRE31.8
        "sme_sales_lower": 5e6,  # CRE31.8: sales below EUR 5m count as 5m
        "fi_correlation_multiplier": 1.25,  # CRE31.7
        "residential_mortgage_correlation": 0.15,  # CRE31.14
        "qrre_correlation": 0.04,  # CRE31.15
    },
    "saccr": {
        "alpha": 1.4,  # CRE52.1
        "floor_f": 0.05,  # CRE52.23
        "days_per_year": 250.0,  # methodology C.13
        "maturity_floor_days": 10.0,  # CRE52.48
        "mpor_floor_days": 10.0,  # CRE52.50
        "mpor_extended_floor_days": 20.0,  # CRE52.51
        "ir_discount_rate": 0.05,  # CRE52.34
        "ir_bucket_bounds": (1.0, 5.0),  # CRE52.56: B1 < 1y <= B2 <= 5y < B3
        "ir_bucket_correlations": (1.4, 1.4, 0.6),  # 2*rho: D1D2, D2D3, D1D3
        "supervisory_factor": {  # CRE52.72 Table 2
            "interest_rate": 0.005,
            "fx": 0.04,
            "credit_AAA": 0.0038,
            "credit_AA": 0.0038,
            "credit_A": 0.0042,
            "credit_BBB": 0.0054,
            "credit_BB": 0.0106,
            "credit_B": 0.016,
            "credit_CCC": 0.06,
            "credit_index_ig": 0.0038,
            "credit_index_sg": 0.0106,
            "equity_single_name": 0.32,
            "equity_index": 0.20,
            "commodity_electricity": 0.40,
            "commodity_oil_gas": 0.18,
            "commodity_metals": 0.18,
            "commodity_agricultural": 0.18,
            "commodity_other": 0.18,
        },
        "correlation": {  # CRE52.72 Table 2
            "credit_single_name": 0.50,
            "credit_index": 0.80,
            "equity_single_name": 0.50,
            "equity_index": 0.80,
            "commodity": 0.40,
        },
        "option_volatility": {  # CRE52.72 Table 2
            "interest_rate": 0.50,
            "fx": 0.15,
            "credit_single_name": 1.00,
            "credit_index": 0.80,
            "equity_single_name": 1.20,
            "equity_index": 0.75,
            "commodity_electricity": 1.50,
            "commodity_other": 0.70,
        },
    },
    "operational": {
        "bucket_thresholds": (1_000.0, 30_000.0),  # OPE25.7, EUR millions
        "marginal_coefficients": (0.12, 0.15, 0.18),  # OPE25.7 Table 1
        "ildc_cap_rate": 0.0225,  # OPE25.5
        "loss_multiplier": 15.0,  # OPE25.8
        "loss_years": 10,  # OPE25.10
        "minimum_loss_years": 5,  # OPE25.15, methodology C.2
    },
    "lcr": {
        "window_years": 30 / 365,  # the 30-calendar-day stress horizon (LCR20.5)
        "haircut": {"1": 0.0, "2A": 0.15, "2B_rmbs": 0.25, "2B": 0.50},  # LCR30.40-45
        "level2_cap_of_level1": 2 / 3,  # LCR30.35: adjusted L2 <= 2/3 x adjusted L1 (40% cap)
        "level2b_cap_of_level1_and_2a": 15 / 85,  # LCR30.36 (15% cap)
        "level2b_cap_of_level1": 15 / 60,  # LCR30.36, when the 40% cap binds
        "inflow_cap": 0.75,  # LCR40.77
        "retail_deposit": {  # LCR40.7-15, LCR99.1; small business likewise (LCR40.23-24)
            "stable_enhanced": 0.03,
            "stable": 0.05,
            "less_stable": 0.10,
            "term_with_penalty": 0.0,
        },
        "operational_deposit": 0.25,  # LCR40.26-36
        "operational_deposit_insured": 0.05,  # methodology C.2 (the 3% rate is not used)
        "cooperative_network_deposit": 0.25,  # LCR40.37-39
        "unsecured_non_financial": 0.40,  # LCR40.40
        "unsecured_non_financial_insured": 0.20,  # LCR40.41
        "unsecured_financial": 1.00,  # LCR40.42-43
        "secured_funding": {  # LCR40.47-48, by collateral; with a central bank: 0%
            "1": 0.0,
            "2A": 0.15,
            "domestic_sovereign_non_l1_l2a": 0.25,
            "2B_rmbs": 0.25,
            "2B": 0.50,
            "other": 1.00,
            "central_bank": 0.0,
        },
        "committed_facility": {  # LCR40.64 by counterparty: (credit, liquidity)
            "retail": {"credit": 0.05, "liquidity": 0.05},
            "small_business": {"credit": 0.05, "liquidity": 0.05},
            "non_financial_corporate": {"credit": 0.10, "liquidity": 0.30},
            "sovereign": {"credit": 0.10, "liquidity": 0.30},
            "central_bank": {"credit": 0.10, "liquidity": 0.30},
            "mdb": {"credit": 0.10, "liquidity": 0.30},
            "pse": {"credit": 0.10, "liquidity": 0.30},
            "bank": {"credit": 0.40, "liquidity": 0.40},
            "financial_institution": {"credit": 0.40, "liquidity": 1.00},
            "other_legal_entity": {"credit": 1.00, "liquidity": 1.00},
        },
        "other_contingent": {  # LCR40.67-73: national discretion; banksim's defaults
            "trade_finance": 0.05,
            "guarantee": 0.05,
            "revocable_facility": 0.05,
        },
        "other_contractual_outflow": 1.00,  # LCR40.74
        "derivative_outflow": 1.00,  # LCR40.49
        "derivative_inflow": 1.00,  # LCR99.1
        "secured_lending": {  # LCR40.78-79, by collateral
            "1": 0.0,
            "2A": 0.15,
            "2B_rmbs": 0.25,
            "2B": 0.50,
            "domestic_sovereign_non_l1_l2a": 1.00,
            "other": 1.00,
        },
        "inflow": {  # LCR40.86-87, performing contractual inflows by counterparty
            "retail": 0.50,
            "small_business": 0.50,
            "non_financial_corporate": 0.50,
            "sovereign": 0.50,
            "pse": 0.50,
            "mdb": 0.50,
            "central_bank": 1.00,
            "bank": 1.00,
            "financial_institution": 1.00,
            "other_legal_entity": 1.00,
        },
        "operational_deposit_held": 0.0,  # LCR40.31
    },
    "nsfr": {
        "bucket_bounds": (0.5, 1.0),  # residual maturity < 6m, 6m to < 1y, >= 1y (NSF30)
        "asf": {  # NSF30.10-30.14
            "regulatory_capital": 1.00,
            "long_term": 1.00,
            "stable_deposit": 0.95,
            "less_stable_deposit": 0.90,
            "operational_deposit": 0.50,
            "non_financial_short_term": 0.50,
            "financial_6m_to_1y": 0.50,
            "financial_lt_6m": 0.0,
            "tier2_6m_to_1y": 0.50,
            "tier2_lt_6m": 0.0,
            "other": 0.0,
            "net_derivative_liabilities": 0.0,
        },
        "rsf": {  # NSF30.20-30.33
            "cash_and_reserves": 0.0,
            "central_bank_lt_6m": 0.0,
            "level1": 0.05,
            "fi_lt_6m_secured_by_level1": 0.10,
            "level2a": 0.15,
            "fi_lt_6m_other": 0.15,
            "level2b": 0.50,
            "fi_and_central_bank_6m_to_1y": 0.50,
            "operational_deposit_held": 0.50,
            "other_lt_1y": 0.50,
            "loans_ge_1y_low_risk_weight": 0.65,
            "loans_ge_1y_other": 0.85,
            "securities_ge_1y_and_listed_equity": 0.85,
            "commodities": 0.85,
            "non_performing": 1.00,
            "fi_ge_1y": 1.00,
            "other": 1.00,
            "encumbered_ge_1y": 1.00,
            "encumbered_6m_to_1y_floor": 0.50,
            "net_derivative_assets": 1.00,
            "gross_derivative_liabilities": 0.05,  # national discretion 5%-20%
        },
        "low_risk_weight": 0.35,  # NSF30.30: SA risk weight <= 35%
        "off_balance": {  # NSF30.34 Table 1
            "committed_facility": 0.05,
            "other_contingent": 0.05,  # national discretion; banksim's default
        },
    },
    "capital": {
        "minimum": {"cet1": 0.045, "tier1": 0.06, "total": 0.08},  # RBC20.1
        "conservation_buffer": 0.025,  # RBC30.2
        "countercyclical_maximum": 0.025,  # RBC30.9, RBC30.12 (reciprocity maximum)
        # CCyB rate by jurisdiction (RBC30.9-14), set nationally; a country not named has 0, and a
        # rate given in the buffer settings wins for its country (methodology 8.5, C.24).
        "countercyclical_rates": {},
        "gsib_buffer": {"1": 0.010, "2": 0.015, "3": 0.020, "4": 0.025, "5": 0.035},  # RBC40.4
        "dsib_maximum": 0.035,  # banksim's bound on a nationally set D-SIB rate (RBC40.7-23)
        "pillar2_maximum": 0.10,  # banksim's bound on a Pillar 2 requirement
        "pillar2_composition": {"cet1": 0.5625, "tier1": 0.75},  # share of P2R met with CET1 / Tier 1
        "conservation_ratios": (1.0, 0.8, 0.6, 0.4, 0.0),  # RBC30.4 quartiles 1-4, then above the buffer
        "leverage_minimum": 0.03,  # LEV40.4, LEV20
        "leverage_buffer_share": 0.5,  # LEV40.1-2: 50% of the G-SIB HLA
        "ratio_tolerance": 1e-12,  # methodology C.2
        # Provisions in capital (methodology 1.6):
        "sa_general_provisions_cap": 0.0125,  # CAP10.18: SA general provisions, share of SA credit RWA
        "irb_excess_provisions_cap": 0.006,  # CAP10.20: IRB excess provisions, share of IRB credit RWA
    },
    "output_floor": {  # RBC90.1 phase-in by calendar year; 72.5% from 2028 (RBC20.11)
        "schedule": {2023: 0.50, 2024: 0.55, 2025: 0.60, 2026: 0.65, 2027: 0.70, 2028: 0.725},
        # RBC90.2, national discretion: during the phase-in the floor may raise RWA by at most
        # this share of pre-floor RWA (0.25 where applied); infinity = not applied.
        "transitional_cap": math.inf,
    },
    # Credit risk mitigation (methodology 9): haircuts, holding periods, simple approach, F-IRB LGDs.
    "crm": copy.deepcopy(CRM_PARAMETERS),
    # IFRS 9 expected credit loss (methodology 12): staging thresholds, scenarios, positions mapping.
    "ecl": copy.deepcopy(ECL_PARAMETERS),
    # IRRBB standardised framework (methodology 13): shocks, floor, buckets, NMD caps, tests, curves.
    "irrbb": copy.deepcopy(IRRBB_PARAMETERS),
    # CVA risk (methodology 10): BA-CVA scalars, supervisory risk weights, the nominated approach.
    "cva": copy.deepcopy(CVA_PARAMETERS),
    # Market risk, simplified standardised approach (methodology 11): charges, scaling, option method.
    "market_risk": copy.deepcopy(MARKET_RISK_PARAMETERS),
}


def regulatory_parameters(overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The Basel parameters with a jurisdiction's ``overrides`` merged in.

    Parameters
    ----------
    overrides : dict, optional
        A nested dict shaped like :data:`DEFAULT_PARAMETERS`, e.g.
        ``{"sa": {"ccf": {"commitment": 0.5}}}``. Only existing keys can be overridden, with a
        value of the same shape (a number for a number, a tuple of the same length for a tuple,
        True/False for a switch). The tables keyed by country or year take new keys
        (:data:`OPEN_TABLES`, methodology 8.5 and C.24): ``sa.sovereign_rating`` (a rating of
        :data:`RATING_BUCKETS`), ``sa.local_currency`` (three letters),
        ``capital.countercyclical_rates`` (0 to ``capital.countercyclical_maximum``) under a
        two-letter country code, and ``output_floor.schedule`` (a rate 0-1) under a year.

    Returns
    -------
    dict
        A fresh copy of the full parameter set (safe to modify).

    Raises
    ------
    InputError
        For an unknown key or a value of the wrong shape, naming its path.
    """
    merged = _fresh(DEFAULT_PARAMETERS)
    if overrides is not None:
        if not isinstance(overrides, Mapping):
            raise InputError("parameters", f"expected a dict, got {type(overrides).__name__}")
        _merge(merged, overrides, "parameters", ())
        _check_countercyclical_rates(merged)
    return merged


def _fresh(value: Any) -> Any:
    """A deep copy of a parameter table: ``copy.deepcopy``'s result, built without its memo for the
    dicts, lists and tuples of numbers and strings the tables are made of (a few times faster)."""
    kind = type(value)
    if kind is dict:
        return {key: _fresh(item) for key, item in value.items()}
    if kind is list:
        return [_fresh(item) for item in value]
    if kind is tuple:
        return tuple(_fresh(item) for item in value)
    if kind in (str, int, float, bool) or value is None:
        return value
    return copy.deepcopy(value)


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(where, f"expected a number, got {value!r}")
    if math.isnan(value) or value < 0:
        raise InputError(where, f"must be a number >= 0, got {value!r}")
    return float(value)


def _country(key: Any, where: str) -> str:
    if not isinstance(key, str) or not COUNTRY_CODE.fullmatch(key):
        raise InputError(where, f"is not a country code: {key!r}", allowed="two capital letters (ISO 3166)")
    return key


def _year(key: Any, where: str) -> int:
    text = str(key) if isinstance(key, int) and not isinstance(key, bool) else key
    if not isinstance(text, str) or not re.fullmatch(r"\d{4}", text):
        raise InputError(where, f"is not a calendar year: {key!r}", allowed="a year such as 2030")
    return int(text)


def _rating(value: Any, where: str) -> str:
    if not isinstance(value, str) or value.strip().upper() not in {r.upper() for r in RATING_BUCKETS}:
        raise InputError(where, f"is not a rating: {value!r}", allowed=list(RATING_BUCKETS))
    return value


def _currency(value: Any, where: str) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[A-Z]{3}", value):
        raise InputError(
            where, f"is not a currency code: {value!r}", allowed="three capital letters (ISO 4217)"
        )
    return value


def _share(value: Any, where: str) -> float:
    rate = _number(value, where)
    if rate > 1:
        raise InputError(where, f"must be between 0 and 1, got {value!r}")
    return rate


def _signed(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InputError(where, f"expected a finite number, got {value!r}")
    return float(value)


def _rates(count: int, check: Callable[[Any, str], float]) -> Callable[[Any, str], tuple[float, ...]]:
    def sequence(value: Any, where: str) -> tuple[float, ...]:
        if not isinstance(value, list | tuple) or len(value) != count:
            raise InputError(where, f"expected a sequence of {count} numbers, got {value!r}")
        return tuple(check(v, where) for v in value)

    return sequence


# The tables that take new keys through overrides: path -> (key check, value check).
OPEN_TABLES: dict[tuple[str, ...], tuple[Callable[[Any, str], Any], Callable[[Any, str], Any]]] = {
    ("sa", "sovereign_rating"): (_country, _rating),
    ("sa", "local_currency"): (_country, _currency),
    ("capital", "countercyclical_rates"): (_country, _number),
    ("output_floor", "schedule"): (_year, _share),
    ("irrbb", "shock_sizes", "bcbs2016"): (_currency, _rates(3, _number)),  # bp per new currency
    ("irrbb", "shock_sizes", "bcbs2024"): (_currency, _rates(3, _number)),
    ("irrbb", "base_curve"): (_currency, _rates(2, _signed)),  # (short, long) per currency
    ("irrbb", "fx_to_reporting"): (_currency, _number),
}
# Numbers that may be negative (rotation weights, the post-shock floor at t = 0).
SIGNED = {("irrbb", "steepener"), ("irrbb", "flattener"), ("irrbb", "floor_at_zero_maturity")}
COUNTRY_CODE = re.compile(r"[A-Z]{2}")


def _check_countercyclical_rates(merged: Mapping[str, Any]) -> None:
    cap = merged["capital"]["countercyclical_maximum"]
    for country, rate in merged["capital"]["countercyclical_rates"].items():
        if rate > cap:
            raise InputError(
                f"parameters['capital']['countercyclical_rates'][{country!r}]",
                f"must be between 0 and {cap:g} (RBC30.9), got {rate!r}",
            )


def _merge(target: dict[str, Any], overrides: Mapping[str, Any], where: str, path: tuple[str, ...]) -> None:
    if path in OPEN_TABLES:
        check_key, check_value = OPEN_TABLES[path]
        for key, value in overrides.items():
            at = f"{where}[{key!r}]"
            target[check_key(key, at)] = check_value(value, at)
        return
    for key, value in overrides.items():
        at = f"{where}[{key!r}]"
        if key not in target:
            raise InputError(at, "is not a parameter", allowed=sorted(map(str, target)))
        current = target[key]
        if isinstance(current, dict):
            if not isinstance(value, Mapping):
                raise InputError(at, f"expected a dict, got {type(value).__name__}")
            _merge(current, value, at, (*path, key))
        elif isinstance(current, bool):
            if not isinstance(value, bool):
                raise InputError(at, f"expected True or False, got {value!r}")
            target[key] = value
        elif isinstance(current, str):
            if not isinstance(value, str):
                raise InputError(at, f"expected a string, got {value!r}")
            target[key] = value
        elif isinstance(current, tuple) and current and not isinstance(current[0], int | float):
            target[key] = _items(current, value, at)
        elif isinstance(current, tuple):
            if not isinstance(value, list | tuple) or len(value) != len(current):
                raise InputError(at, f"expected a sequence of {len(current)} numbers, got {value!r}")
            check = _signed if (*path, key) in SIGNED else _number
            target[key] = tuple(check(v, at) for v in value)
        else:
            target[key] = (_signed if (*path, key) in SIGNED else _number)(value, at)


def _items(current: tuple[Any, ...], value: Any, where: str) -> tuple[Any, ...]:
    """A list of names (ratings) or of records (ECL scenarios): any length, items of the same kind."""
    kind = dict if isinstance(current[0], Mapping) else str
    if not isinstance(value, list | tuple) or not all(
        isinstance(v, Mapping if kind is dict else str) for v in value
    ):
        raise InputError(
            where, f"expected a sequence of {'dicts' if kind is dict else 'strings'}, got {value!r}"
        )
    return tuple(dict(v) if kind is dict else v for v in value)
