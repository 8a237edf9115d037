"""The positions vocabulary: every category a positions column takes, and the named subsets the rules use.

A category tuple's order is the order of the column's categorical codes (stored tables depend on it).
Each subset is defined here once, with what it means and which rule reads it.
"""

from __future__ import annotations

# -- category tuples: the allowed values of one positions column each ------------------------------

RATINGS = (
    "AAA", "AA+", "AA", "AA-", "A+", "A", "A-", "BBB+", "BBB", "BBB-", "BB+", "BB", "BB-",
    "B+", "B", "B-", "CCC+", "CCC", "CCC-", "CC", "C", "D", "unrated",
)  # fmt: skip
SIDES = ("asset", "liability", "equity", "off_balance", "derivative")
EXPOSURE_CLASSES = (
    "sovereign", "pse", "mdb", "bank", "covered_bond", "corporate", "specialised_lending", "retail",
    "residential_real_estate", "commercial_real_estate", "defaulted", "equity", "subordinated_debt",
    "other_assets", "none",
)  # fmt: skip
SUB_CLASSES = (
    "general", "sme", "project_finance_pre_operational", "project_finance_operational",
    "project_finance_high_quality_operational", "object_finance", "commodities_finance",
    "regulatory_retail", "regulatory_retail_transactor", "other_retail", "income_producing",
    "residential_re_not_dependent", "listed", "speculative_unlisted", "legislated_programme", "cash",
    "gold", "cash_items_in_collection", "other", "international_organisation", "eligible_mdb",
    "investment_grade", "adc", "adc_residential_qualifying", "non_regulatory", "significant_investment",
    "threshold_deduction_item", "none",
)  # fmt: skip
APPROACHES = ("sa", "firb", "airb")
IRB_CLASSES = (
    "corporate", "sovereign", "bank", "residential_mortgage", "qrre_revolver", "qrre_transactor",
    "other_retail", "none",
)  # fmt: skip
COUNTERPARTY_TYPES = ("individual", "sme", "corporate", "bank", "sovereign", "pse", "mdb", "none")
LCR_COUNTERPARTIES = (
    "retail", "small_business", "non_financial_corporate", "sovereign", "central_bank", "pse", "mdb",
    "bank", "financial_institution", "other_legal_entity", "none",
)  # fmt: skip
OFF_BALANCE_TYPES = (
    "none", "direct_credit_substitute", "repo_or_asset_sale_with_recourse", "securities_lending",
    "forward_asset_purchase", "nif_ruf", "transaction_related_contingent", "commitment",
    "short_term_trade_letter_of_credit", "unconditionally_cancellable_commitment",
)  # fmt: skip
UNDERLYING_OFF_BALANCE_TYPES = (
    "none", "direct_credit_substitute", "repo_or_asset_sale_with_recourse", "securities_lending",
    "forward_asset_purchase", "nif_ruf", "transaction_related_contingent",
    "short_term_trade_letter_of_credit",
)  # fmt: skip
PRODUCTS = (
    "cash", "central_bank_reserves", "government_bond", "covered_bond", "corporate_bond",
    "equity_holding", "interbank_loan", "corporate_loan", "sme_loan", "specialised_lending",
    "residential_mortgage", "commercial_real_estate_loan", "retail_loan", "credit_card",
    "reverse_repo", "other_asset", "retail_deposit", "sme_deposit", "operational_deposit",
    "corporate_deposit", "wholesale_funding", "repo", "issued_bond", "tier2_instrument",
    "other_liability", "cet1_capital", "at1_instrument", "committed_credit_facility",
    "committed_liquidity_facility", "guarantee", "trade_letter_of_credit", "performance_bond",
    "derivative",
)  # fmt: skip
SCRA_GRADES = ("A", "B", "C", "none")
CURRENCIES = ("EUR", "USD", "GBP", "CHF", "JPY")
COUNTRIES = ("DE", "FR", "NL", "IT", "ES", "GB", "US", "CH", "JP")
HQLA_LEVELS = ("1", "2A", "2B", "none")
HQLA_ASSET_TYPES = (
    "cash", "central_bank_reserves", "sovereign", "covered_bond", "corporate_bond", "rmbs", "equity", "none",
)  # fmt: skip
ENCUMBRANCE_BUCKETS = ("unencumbered", "lt_6m", "6m_to_1y", "ge_1y")
DEPOSIT_CLASSES = (
    "stable_enhanced", "stable", "less_stable", "operational", "cooperative_network", "non_operational",
    "none",
)  # fmt: skip
COLLATERAL_LEVELS = ("1", "2A", "2B_rmbs", "2B", "domestic_sovereign_non_l1_l2a", "other", "none")
FACILITY_TYPES = ("credit", "liquidity", "none")
SACCR_ASSET_CLASSES = ("interest_rate", "fx", "credit", "equity", "commodity", "none")
SACCR_SUB_CLASSES = (
    "AAA", "AA", "A", "BBB", "BB", "B", "CCC", "index_ig", "index_sg", "single_name", "index",
    "electricity", "oil_gas", "metals", "agricultural", "other", "none",
)  # fmt: skip
TRADE_DIRECTIONS = ("long", "short", "none")
OPTION_TYPES = ("call", "put", "none")
OPTION_POSITIONS = ("bought", "sold", "none")
# Holding period classes of CRE22.57 (the CRM line inputs, positions/protection.py); the positions
# column adds 'auto': repo_style for reverse repos, secured_lending otherwise (methodology 9.10).
TRANSACTION_TYPES = ("secured_lending", "repo_style", "capital_market")
CRM_TRANSACTION_TYPES = (*TRANSACTION_TYPES, "auto")
# IFRS 9 EAD profile of a loan (methodology C.39) and IRRBB repricing behaviour (methodology C.43).
AMORTISATION_TYPES = ("bullet", "annuity")
REPRICING_TYPES = ("fixed", "floating", "nmd", "none")
# The positions column adds 'auto': derived from side, product and maturity (methodology 13.10).
POSITION_REPRICING_TYPES = (*REPRICING_TYPES, "auto")
NMD_CATEGORIES = ("retail_transactional", "retail_non_transactional", "wholesale", "none")

# -- named subsets: what each means, and the rule that reads it ------------------------------------

# The rows that carry own funds (CET1, AT1, Tier 2), in this order; positions/own_funds.py, the generator.
OWN_FUNDS_PRODUCTS = ("cet1_capital", "at1_instrument", "tier2_instrument")
# Every exposure class a credit line can carry (all but 'none'); rwa.py, scenarios.py (downgrades).
CREDIT_EXPOSURE_CLASSES = tuple(c for c in EXPOSURE_CLASSES if c != "none")
# Exposure classes of lending to companies and their projects; the explorer's downgrade sliders.
CORPORATE_EXPOSURE_CLASSES = ("corporate", "specialised_lending", "commercial_real_estate")
# Every IRB asset class a line can carry (all but 'none'; CRE30-31); irb.py (what may be given).
IRB_ASSET_CLASSES = tuple(c for c in IRB_CLASSES if c != "none")
# Obligors whose credit is private-sector credit for the countercyclical buffer (RBC30.13-14); capital.py.
PRIVATE_SECTOR_COUNTERPARTIES = ("individual", "sme", "corporate", "bank")
# Retail customers and small businesses: retail deposits and inflows (LCR40.4-18, LCR40.86); lcr.py.
RETAIL_COUNTERPARTIES = ("retail", "small_business")
# Banks, other financial institutions and other legal entities: the 100% unsecured run-off group
# (LCR40.42-43); lcr.py, nsfr.py, scenarios.py (the wholesale-funding run).
FINANCIAL_AND_OTHER_ENTITIES = ("bank", "financial_institution", "other_legal_entity")
# Non-financial wholesale counterparties without central banks: their funding of under a year
# counts at ASF 50% (NSF30.13(1),(3)); nsfr.py (central banks have rows of their own there).
NON_FINANCIAL_EXCEPT_CENTRAL_BANKS = ("non_financial_corporate", "sovereign", "pse", "mdb")
# Non-financial wholesale counterparties with central banks: unsecured wholesale funding at 20-40%
# run-off (LCR40.40-41); lcr.py (inflows take central banks out again, LCR40.87).
NON_FINANCIAL_WITH_CENTRAL_BANKS = ("non_financial_corporate", "sovereign", "central_bank", "mdb", "pse")
# The levels that count in the stock of HQLA (LCR30-31); scenarios.py (a haircut shock per level).
HQLA_STOCK_LEVELS = tuple(level for level in HQLA_LEVELS if level != "none")
# The collateral levels that are HQLA: the secured transactions and collateral swaps the LCR caps
# unwind (LCR30.35-39); lcr.py (other collateral is not unwound).
HQLA_COLLATERAL_LEVELS = ("1", "2A", "2B_rmbs", "2B")
# Deposit classes that carry a run-off rate (all but 'none'); scenarios.py (run-off multipliers).
RUN_OFF_CLASSES = tuple(c for c in DEPOSIT_CLASSES if c != "none")
# Commitments: the only lines that may provide another off-balance item, taking the lower of the
# two CCFs (CRE20.101); standardised.py.
COMMITMENTS = ("commitment", "unconditionally_cancellable_commitment")
# Project-finance sub-classes of specialised lending (CRE20.51): the only lines that may be flagged
# qualifying_infrastructure (EU infrastructure supporting factor); rwa.py, synthetic/products.py.
PROJECT_FINANCE_SUB_CLASSES = (
    "project_finance_pre_operational", "project_finance_operational",
    "project_finance_high_quality_operational",
)  # fmt: skip
# The classes whose exposures to SMEs take the EU SME supporting factor (CRR Art. 501: corporates,
# specialised lending being corporate in the EU, retail, secured by immovable property); rwa.py.
SME_SUPPORTING_FACTOR_CLASSES = (
    "corporate", "specialised_lending", "retail", "residential_real_estate", "commercial_real_estate",
)  # fmt: skip
# Investment-grade ratings, AAA to BBB-: the IFRS 9 low-credit-risk exemption's default (IFRS 9
# B5.5.23 example; methodology C.37); regulation/ecl_parameters.py.
INVESTMENT_GRADE_RATINGS = ("AAA", "AA+", "AA", "AA-", "A+", "A", "A-", "BBB+", "BBB", "BBB-")
# The behavioural categories of a non-maturity deposit (all but 'none'; SRP31.104-110); repricing.py.
NMD_BEHAVIOURAL_CATEGORIES = tuple(c for c in NMD_CATEGORIES if c != "none")
# Products in the scope of IFRS 9 impairment (debt assets at amortised cost or FVOCI, loan
# commitments and financial guarantees; IFRS 9 5.5.1, 2.1(g)); regulation/ecl_inputs.py.
ECL_PRODUCTS = (
    "central_bank_reserves", "government_bond", "covered_bond", "corporate_bond", "interbank_loan",
    "corporate_loan", "sme_loan", "specialised_lending", "residential_mortgage",
    "commercial_real_estate_loan", "retail_loan", "credit_card", "reverse_repo",
    "committed_credit_facility", "committed_liquidity_facility", "guarantee", "trade_letter_of_credit",
    "performance_bond",
)  # fmt: skip
# Deposits without a contractual maturity: non-maturity deposits for IRRBB when the repricing type
# is 'auto' (SRP31.103-110); regulation/irrbb_inputs.py.
NMD_PRODUCTS = ("retail_deposit", "sme_deposit", "operational_deposit", "corporate_deposit")
# The five SA-CCR asset classes of a derivative trade (CRE52.40); saccr.py.
DERIVATIVE_ASSET_CLASSES = tuple(c for c in SACCR_ASSET_CLASSES if c != "none")

# Every rating string but 'unrated': the ratings a CVA counterparty maps to IG or HY (methodology 10.2);
# regulation/cva_inputs.py.
RATED = tuple(r for r in RATINGS if r != "unrated")
# The kinds of CVA hedge, single-name and index CDS (MAR50.23-50.24, methodology 10.3);
# regulation/cva_inputs.py.
CVA_HEDGE_TYPES = ("single_name", "index")
# The four risk classes of the simplified standardised approach, each with its scaling factor
# (MAR40.2, methodology 11.1); positions/trading_book.py, regulation/market_risk.py.
MARKET_RISK_CLASSES = ("interest_rate", "equity", "fx", "commodity")
# The market-risk classes of a trading-book option whose PFE the leverage exposure takes from
# SA-CCR (an option on interest rates would need its underlying's dates; methodology C.48).
LEVERAGE_OPTION_CLASSES = ("equity", "fx", "commodity")

# -- the operational-risk input: the business-indicator items (OPE25.4-25.5), EUR millions ---------

# Columns of a business_indicator table; regulation/operational.py reads them, synthetic/proxy.py fills them.
BI_ITEMS = (
    "interest_income",
    "interest_expense",
    "interest_earning_assets",
    "dividend_income",
    "other_operating_income",
    "other_operating_expense",
    "fee_income",
    "fee_expense",
    "net_pnl_trading_book",
    "net_pnl_banking_book",
)
# The two net P&L items, the only ones that may be negative (OPE25.5); operational.py.
SIGNED_ITEMS = ("net_pnl_trading_book", "net_pnl_banking_book")
