"""Words for the identifiers of the results (exposure classes, requirements, LCR and NSFR
categories) and the number formats the workbook shows them in.
"""

from __future__ import annotations

from typing import Any

MONEY = "#,##0"
PERCENT = "0.00%"


DETAIL_COLUMNS = {
    "position_id": "Position ID",
    "risk_type": "Risk type",
    "exposure_class": "Exposure class",
    "sub_class": "Sub-class",
    "approach": "Approach",
    "ccf": "CCF",
    "exposure": "Exposure (EUR)",
    "risk_weight": "Risk weight",
    "rwa": "RWA (EUR)",
    "sa_risk_weight": "SA risk weight",
    "rwa_standardised": "RWA standardised (EUR)",
    "rule": "Rule",
}
DETAIL_FORMATS = {
    "exposure": MONEY,
    "rwa": MONEY,
    "rwa_standardised": MONEY,
    "ccf": PERCENT,
    "risk_weight": PERCENT,
    "sa_risk_weight": PERCENT,
}
LABELS = {
    # risk types, exposure classes and approaches (RWA sheet)
    "credit": "Credit",
    "counterparty": "Counterparty credit",
    "operational": "Operational",
    "sovereign": "Sovereigns",
    "pse": "Public sector entities",
    "mdb": "Multilateral development banks",
    "bank": "Banks",
    "covered_bond": "Covered bonds",
    "corporate": "Corporates",
    "specialised_lending": "Specialised lending",
    "retail": "Retail",
    "residential_real_estate": "Residential real estate",
    "commercial_real_estate": "Commercial real estate",
    "defaulted": "Defaulted exposures",
    "equity": "Equity",
    "subordinated_debt": "Subordinated debt",
    "other_assets": "Other assets",
    "counterparty_credit_risk": "Counterparty credit risk (SA-CCR)",
    "operational_risk": "Operational risk",
    "sa": "Standardised",
    "firb": "Foundation IRB",
    "airb": "Advanced IRB",
    # capital requirements (Capital sheet)
    "cet1_minimum": "CET1: Pillar 1 minimum",
    "cet1_minimum_and_pillar2": "CET1: Pillar 1 and Pillar 2",
    "cet1_overall": "CET1: overall, with buffers",
    "tier1_minimum": "Tier 1: Pillar 1 minimum",
    "tier1_minimum_and_pillar2": "Tier 1: Pillar 1 and Pillar 2",
    "tier1_overall": "Tier 1: overall, with buffers",
    "total_minimum": "Total capital: Pillar 1 minimum",
    "total_minimum_and_pillar2": "Total capital: Pillar 1 and Pillar 2",
    "total_overall": "Total capital: overall, with buffers",
    "leverage_minimum": "Leverage ratio: minimum",
    "leverage_with_gsib_buffer": "Leverage ratio: with G-SIB buffer",
    # LCR outflow and inflow categories
    "secured_funding": "Secured funding",
    "retail_term_deposit": "Retail term deposits (withdrawal penalty)",
    "retail_stable_enhanced": "Retail deposits, stable (enhanced protection)",
    "retail_stable": "Retail deposits, stable",
    "retail_less_stable": "Retail deposits, less stable",
    "small_business_stable": "Small business deposits, stable",
    "small_business_less_stable": "Small business deposits, less stable",
    "operational_deposit_insured": "Operational deposits, insured",
    "operational_deposit": "Operational deposits",
    "cooperative_network_deposit": "Cooperative network deposits",
    "unsecured_non_financial": "Unsecured wholesale funding, non-financial",
    "unsecured_financial": "Unsecured wholesale funding, financial",
    "committed_facility": "Committed facilities",
    "trade_finance": "Trade finance",
    "guarantees_and_other_contingent": "Guarantees and other contingent funding",
    "net_derivative_outflow": "Net derivative outflows",
    "net_derivative_inflow": "Net derivative inflows",
    "secured_lending": "Secured lending",
    "inflow_retail": "Retail counterparties",
    "inflow_non_financial": "Non-financial counterparties",
    "inflow_financial": "Financial institutions and central banks",
    # NSFR available and required stable funding categories
    "regulatory_capital": "Regulatory capital",
    "tier2_ge_1y": "Tier 2 instruments, 1 year or more",
    "tier2_6m_to_1y": "Tier 2 instruments, 6 months to 1 year",
    "tier2_lt_6m": "Tier 2 instruments, under 6 months",
    "funding_ge_1y": "Funding of 1 year or more",
    "stable_deposit": "Stable deposits",
    "less_stable_deposit": "Less stable deposits",
    "non_financial_funding_lt_1y": "Non-financial funding under 1 year",
    "other_funding_lt_6m": "Other funding under 6 months",
    "other_funding_6m_to_1y": "Other funding, 6 months to 1 year",
    "other_liabilities": "Other liabilities",
    "cash_and_reserves": "Cash and central bank reserves",
    "non_performing": "Non-performing exposures",
    "hqla_level_1": "HQLA Level 1",
    "hqla_level_2a": "HQLA Level 2A",
    "hqla_level_2b": "HQLA Level 2B",
    "fi_lt_6m_secured_by_level1": "Loans to financial institutions under 6 months, Level 1 secured",
    "fi_lt_6m_other": "Loans to financial institutions under 6 months, other",
    "fi_and_central_bank_6m_to_1y": "Financial institutions and central banks, 6 months to 1 year",
    "fi_ge_1y": "Financial institutions, 1 year or more",
    "other_lt_1y": "Other assets under 1 year",
    "securities_ge_1y": "Securities of 1 year or more",
    "loans_ge_1y_rw_le_35": "Loans of 1 year or more, risk weight up to 35%",
    "loans_ge_1y_rw_gt_35": "Loans of 1 year or more, risk weight over 35%",
    "committed_facilities": "Committed facilities",
    "other_contingent": "Other contingent funding",
    "gross_derivative_liabilities": "Gross derivative liabilities",
    "net_derivative_assets": "Net derivative assets",
    "operational_deposit_held": "Operational deposits held",
}


def label(key: Any) -> str:
    """A result's identifier as words ('retail_stable' -> 'Retail deposits, stable')."""
    text = str(key)
    return LABELS.get(text) or text.replace("_", " ").capitalize()
