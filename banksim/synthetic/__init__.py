"""The synthetic bank: a generator of coherent positions tables, its profiles, and an income proxy.

``generate_positions`` (``generator``) draws a bank from the profiles and products as data
(``profiles``); ``business_indicator_proxy`` (``proxy``) derives its operational-risk income statement.
"""

from banksim.synthetic.config import check_bank_arguments
from banksim.synthetic.generator import generate_positions
from banksim.synthetic.profiles import DEFAULT_CONFIG, PROFILES
from banksim.synthetic.proxy import business_indicator_proxy

__all__ = [
    "DEFAULT_CONFIG",
    "PROFILES",
    "business_indicator_proxy",
    "check_bank_arguments",
    "generate_positions",
]
