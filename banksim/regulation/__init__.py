"""Basel III: parameter tables as data and one module per metric (docs/methodology.md).

Credit risk (``standardised``, ``irb``), counterparty credit risk (``saccr``), operational risk
(``operational``) and their assembly into RWA with the output floor (``rwa``); liquidity
(``lcr``, ``nsfr``, assembled by ``liquidity``); capital ratios, buffers and MDA (``capital``).
"""

from banksim.regulation.capital import BufferSettings, CapitalAdequacy, capital_adequacy, capital_statement
from banksim.regulation.irb import irb_capital_requirement
from banksim.regulation.lcr import LcrSummary, lcr_lines, lcr_summary
from banksim.regulation.liquidity import LiquiditySummary, liquidity
from banksim.regulation.nsfr import NsfrSummary, nsfr_lines, nsfr_summary
from banksim.regulation.operational import BI_ITEMS, operational_risk
from banksim.regulation.parameters import DEFAULT_PARAMETERS, RATING_BUCKETS, regulatory_parameters
from banksim.regulation.rwa import floor_rate, output_floor, risk_weighted_assets, rwa_summary
from banksim.regulation.saccr import saccr_netting_sets, saccr_trades
from banksim.synthetic.proxy import business_indicator_proxy  # the synthetic bank's BI; rwa uses it

__all__ = [
    # parameters
    "DEFAULT_PARAMETERS",
    "RATING_BUCKETS",
    "regulatory_parameters",
    # risk-weighted assets
    "risk_weighted_assets",
    "rwa_summary",
    "output_floor",
    "floor_rate",
    "irb_capital_requirement",
    "saccr_trades",
    "saccr_netting_sets",
    "BI_ITEMS",
    "business_indicator_proxy",
    "operational_risk",
    # capital
    "BufferSettings",
    "CapitalAdequacy",
    "capital_adequacy",
    "capital_statement",
    # liquidity
    "liquidity",
    "LiquiditySummary",
    "LcrSummary",
    "NsfrSummary",
    "lcr_lines",
    "lcr_summary",
    "nsfr_lines",
    "nsfr_summary",
]
