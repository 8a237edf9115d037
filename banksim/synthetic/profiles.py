"""The synthetic bank as data: balance-sheet profiles, product attributes and the default configuration.

Shares, granularity, rating grades and per-product attributes the generator draws from; nothing
here computes. ``DEFAULT_CONFIG`` is what ``generate_positions`` uses unless overridden.
"""

from __future__ import annotations

from typing import Any

# Share of each side's total amount (assets, liabilities before own funds, off-balance) by profile.
PROFILES: dict[str, dict[str, dict[str, float]]] = {
    "universal": {
        "asset": {
            "cash": 0.01,
            "central_bank_reserves": 0.06,
            "government_bond": 0.09,
            "covered_bond": 0.02,
            "corporate_bond": 0.03,
            "equity_holding": 0.01,
            "interbank_loan": 0.04,
            "corporate_loan": 0.21,
            "sme_loan": 0.06,
            "specialised_lending": 0.03,
            "residential_mortgage": 0.25,
            "commercial_real_estate_loan": 0.05,
            "retail_loan": 0.04,
            "credit_card": 0.01,
            "reverse_repo": 0.05,
            "other_asset": 0.04,
        },
        "liability": {
            "retail_deposit": 0.38,
            "sme_deposit": 0.08,
            "operational_deposit": 0.08,
            "corporate_deposit": 0.10,
            "wholesale_funding": 0.06,
            "repo": 0.05,
            "issued_bond": 0.20,
            "other_liability": 0.05,
        },
        "off_balance": {
            "committed_credit_facility": 0.55,
            "committed_liquidity_facility": 0.10,
            "guarantee": 0.15,
            "trade_letter_of_credit": 0.10,
            "performance_bond": 0.10,
        },
    },
    "retail": {
        "asset": {
            "cash": 0.02,
            "central_bank_reserves": 0.06,
            "government_bond": 0.08,
            "covered_bond": 0.03,
            "corporate_bond": 0.01,
            "interbank_loan": 0.02,
            "corporate_loan": 0.05,
            "sme_loan": 0.08,
            "residential_mortgage": 0.51,
            "commercial_real_estate_loan": 0.02,
            "retail_loan": 0.07,
            "credit_card": 0.02,
            "other_asset": 0.03,
        },
        "liability": {
            "retail_deposit": 0.62,
            "sme_deposit": 0.10,
            "operational_deposit": 0.03,
            "corporate_deposit": 0.04,
            "wholesale_funding": 0.02,
            "repo": 0.02,
            "issued_bond": 0.14,
            "other_liability": 0.03,
        },
        "off_balance": {"committed_credit_facility": 0.70, "guarantee": 0.15, "performance_bond": 0.15},
    },
    "wholesale": {
        "asset": {
            "cash": 0.01,
            "central_bank_reserves": 0.10,
            "government_bond": 0.12,
            "covered_bond": 0.02,
            "corporate_bond": 0.06,
            "equity_holding": 0.02,
            "interbank_loan": 0.08,
            "corporate_loan": 0.32,
            "sme_loan": 0.04,
            "specialised_lending": 0.08,
            "commercial_real_estate_loan": 0.06,
            "reverse_repo": 0.06,
            "other_asset": 0.03,
        },
        "liability": {
            "sme_deposit": 0.05,
            "operational_deposit": 0.18,
            "corporate_deposit": 0.20,
            "wholesale_funding": 0.08,
            "repo": 0.08,
            "issued_bond": 0.36,
            "other_liability": 0.05,
        },
        "off_balance": {
            "committed_credit_facility": 0.55,
            "committed_liquidity_facility": 0.15,
            "guarantee": 0.15,
            "trade_letter_of_credit": 0.15,
        },
    },
}

# Relative number of positions per product (granularity), and a rough RWA density used only to
# size own funds at the configured capital ratios (the regulation modules compute the real RWA).
COUNT_WEIGHT = {
    "cash": 0.001, "central_bank_reserves": 0.001, "government_bond": 0.01, "covered_bond": 0.005,
    "corporate_bond": 0.01, "equity_holding": 0.005, "interbank_loan": 0.01, "corporate_loan": 0.05,
    "sme_loan": 0.06, "specialised_lending": 0.01, "residential_mortgage": 0.20,
    "commercial_real_estate_loan": 0.02, "retail_loan": 0.12, "credit_card": 0.15, "reverse_repo": 0.005,
    "other_asset": 0.002, "retail_deposit": 0.25, "sme_deposit": 0.04, "operational_deposit": 0.01,
    "corporate_deposit": 0.01, "wholesale_funding": 0.005, "repo": 0.003, "issued_bond": 0.003,
    "other_liability": 0.002, "committed_credit_facility": 0.02, "committed_liquidity_facility": 0.002,
    "guarantee": 0.005, "trade_letter_of_credit": 0.005, "performance_bond": 0.005, "derivative": 0.03,
}  # fmt: skip
RWA_DENSITY = {
    "government_bond": 0.05, "covered_bond": 0.1, "corporate_bond": 0.6, "equity_holding": 2.5,
    "interbank_loan": 0.4, "corporate_loan": 0.8, "sme_loan": 0.85, "specialised_lending": 1.0,
    "residential_mortgage": 0.3, "commercial_real_estate_loan": 0.8, "retail_loan": 0.75,
    "credit_card": 0.6, "reverse_repo": 0.2, "other_asset": 1.0,
}  # fmt: skip

DEFAULT_CONFIG: dict[str, Any] = {
    "profile": "universal",
    "total_assets": 50e9,
    "currency": "EUR",
    "foreign_currency_share": 0.10,
    "off_balance_share": 0.12,
    "derivative_notional_share": 2.0,
    "irb_share": 0.0,
    "default_rate": 0.015,
    "rating_distribution": {
        "AAA": 0.03,
        "AA": 0.08,
        "A": 0.20,
        "BBB": 0.30,
        "BB": 0.14,
        "B": 0.05,
        "CCC": 0.01,
        "unrated": 0.19,
    },
    "mix": {},
    "own_funds": {"cet1_ratio": 0.14, "at1_ratio": 0.015, "tier2_ratio": 0.02},
}
OWN_FUNDS_KEYS = ("cet1_ratio", "at1_ratio", "tier2_ratio", "cet1", "at1", "tier2")
RATING_GRADES = {
    "AAA": ("AAA",),
    "AA": ("AA+", "AA", "AA-"),
    "A": ("A+", "A", "A-"),
    "BBB": ("BBB+", "BBB", "BBB-"),
    "BB": ("BB+", "BB", "BB-"),
    "B": ("B+", "B", "B-"),
    "CCC": ("CCC+", "CCC", "CCC-", "CC", "C"),
    "unrated": ("unrated",),
}
BASE_PD = {
    "AAA": 0.0003,
    "AA": 0.0005,
    "A": 0.001,
    "BBB": 0.003,
    "BB": 0.012,
    "B": 0.04,
    "CCC": 0.15,
    "unrated": 0.02,
}
PRODUCT_SIDE = {
    p: side
    for side_map in (PROFILES["universal"], PROFILES["retail"], PROFILES["wholesale"])
    for side, products in side_map.items()
    for p in products
}
PRODUCT_SIDE.update(
    {
        "derivative": "derivative",
        "cet1_capital": "equity",
        "at1_instrument": "equity",
        "tier2_instrument": "liability",
    }
)

# Static attributes per product: (exposure_class, sub_class, counterparty_type, lcr_counterparty,
# residual maturity range in years or None for non-maturity items, LGD).
PRODUCT_ATTRIBUTES: dict[str, tuple[str, str, str, str, tuple[float, float] | None, float]] = {
    "cash": ("other_assets", "cash", "none", "none", None, 0.0),
    "central_bank_reserves": ("sovereign", "general", "sovereign", "central_bank", None, 0.0),
    "government_bond": ("sovereign", "general", "sovereign", "sovereign", (0.2, 15.0), 0.45),
    "covered_bond": ("covered_bond", "general", "bank", "bank", (0.5, 10.0), 0.11),
    "corporate_bond": ("corporate", "general", "corporate", "non_financial_corporate", (0.5, 10.0), 0.45),
    "equity_holding": ("equity", "listed", "corporate", "non_financial_corporate", None, 0.9),
    "interbank_loan": ("bank", "general", "bank", "bank", (0.02, 3.0), 0.45),
    "corporate_loan": ("corporate", "general", "corporate", "non_financial_corporate", (0.1, 7.0), 0.40),
    "sme_loan": ("corporate", "sme", "sme", "small_business", (0.1, 7.0), 0.40),
    "specialised_lending": ("specialised_lending", "project_finance_operational", "corporate",
                            "non_financial_corporate", (2.0, 20.0), 0.35),
    "residential_mortgage": ("residential_real_estate", "general", "individual", "retail", (1.0, 30.0), 0.15),
    "commercial_real_estate_loan": ("commercial_real_estate", "general", "corporate",
                                    "non_financial_corporate", (1.0, 10.0), 0.30),
    "retail_loan": ("retail", "regulatory_retail", "individual", "retail", (0.2, 7.0), 0.55),
    "credit_card": ("retail", "regulatory_retail", "individual", "retail", None, 0.75),
    "reverse_repo": ("bank", "general", "bank", "bank", (0.01, 0.5), 0.10),
    "other_asset": ("other_assets", "other", "none", "none", None, 1.0),
    "retail_deposit": ("none", "none", "individual", "retail", None, 0.0),
    "sme_deposit": ("none", "none", "sme", "small_business", None, 0.0),
    "operational_deposit": ("none", "none", "corporate", "non_financial_corporate", None, 0.0),
    "corporate_deposit": ("none", "none", "corporate", "non_financial_corporate", (0.02, 2.0), 0.0),
    "wholesale_funding": ("none", "none", "bank", "bank", (0.02, 3.0), 0.0),
    "repo": ("none", "none", "bank", "bank", (0.01, 0.5), 0.0),
    "issued_bond": ("none", "none", "none", "other_legal_entity", (0.3, 10.0), 0.0),
    "tier2_instrument": ("none", "none", "none", "other_legal_entity", (5.0, 10.0), 0.0),
    "other_liability": ("none", "none", "none", "none", None, 0.0),
    "cet1_capital": ("none", "none", "none", "none", None, 0.0),
    "at1_instrument": ("none", "none", "none", "none", None, 0.0),
    "committed_credit_facility": ("corporate", "general", "corporate", "non_financial_corporate",
                                  (0.5, 5.0), 0.40),
    "committed_liquidity_facility": ("corporate", "general", "corporate", "non_financial_corporate",
                                     (0.5, 3.0), 0.40),
    "guarantee": ("corporate", "general", "corporate", "non_financial_corporate", (0.5, 5.0), 0.40),
    "trade_letter_of_credit": ("bank", "general", "bank", "bank", (0.1, 0.5), 0.45),
    "performance_bond": ("corporate", "general", "corporate", "non_financial_corporate", (0.5, 3.0), 0.40),
    "derivative": ("none", "none", "bank", "bank", (0.1, 10.0), 0.45),
}  # fmt: skip
IRB_CLASS_OF_PRODUCT = {
    "central_bank_reserves": "sovereign", "government_bond": "sovereign", "covered_bond": "bank",
    "corporate_bond": "corporate", "interbank_loan": "bank", "corporate_loan": "corporate",
    "sme_loan": "corporate", "specialised_lending": "corporate",
    "residential_mortgage": "residential_mortgage", "commercial_real_estate_loan": "corporate",
    "retail_loan": "other_retail", "credit_card": "qrre_revolver", "reverse_repo": "bank",
    "committed_credit_facility": "corporate", "committed_liquidity_facility": "corporate",
    "guarantee": "corporate", "trade_letter_of_credit": "bank", "performance_bond": "corporate",
}  # fmt: skip
OFF_BALANCE_OF = {
    "committed_credit_facility": "commitment", "committed_liquidity_facility": "commitment",
    "guarantee": "direct_credit_substitute", "trade_letter_of_credit": "short_term_trade_letter_of_credit",
    "performance_bond": "transaction_related_contingent",
    "credit_card": "unconditionally_cancellable_commitment",
}  # fmt: skip
WHOLESALE = (
    "government_bond",
    "covered_bond",
    "corporate_bond",
    "interbank_loan",
    "corporate_loan",
    "specialised_lending",
    "commercial_real_estate_loan",
    "reverse_repo",
    "committed_credit_facility",
    "committed_liquidity_facility",
    "guarantee",
    "trade_letter_of_credit",
    "performance_bond",
    "derivative",
)
LOANS = (
    "interbank_loan",
    "corporate_loan",
    "sme_loan",
    "specialised_lending",
    "residential_mortgage",
    "commercial_real_estate_loan",
    "retail_loan",
    "credit_card",
)
