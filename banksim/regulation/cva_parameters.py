"""CVA risk parameters as data (MAR50): BA-CVA scalars, supervisory risk weights, hedge correlations.

Every number has its MAR50 paragraph in the comment (methodology 10); a variant is an override of
this nested dict passed as ``parameters`` to :func:`banksim.regulation.cva.cva_capital`.
"""

from __future__ import annotations

from typing import Any

__all__ = ["CVA_PARAMETERS", "CVA_SECTORS", "CREDIT_QUALITIES"]

CVA_SECTORS = (
    "sovereign",
    "local_government",
    "financial",
    "basic_materials_energy_industrials",
    "consumer_transport_admin",
    "technology_telecom",
    "healthcare_utilities_professional",
    "other",
)
CREDIT_QUALITIES = ("IG", "HY", "NR")

CVA_PARAMETERS: dict[str, Any] = {
    "alpha": 1.4,  # MAR50.15: converts the netting set's EAD back to an EEPE
    "rho": 0.5,  # MAR50.14: correlation of a counterparty's spread with the systematic factor
    "beta": 0.25,  # MAR50.20: weight of the unhedged K_reduced in K_full
    "discount_scalar": 0.65,  # MAR50.14, MAR50.20: DS (July 2020 revision)
    "discount_rate": 0.05,  # MAR50.15: DF = (1 - exp(-0.05 M)) / (0.05 M), non-IMM banks
    "maturity_floor": 1.0,  # MAR50.15 via CRE32.46: M_NS floored at one year, no five-year cap
    # MAR50.16 Table 1: supervisory risk weight by sector, investment grade vs high yield / unrated.
    "risk_weight": {
        "sovereign": {"IG": 0.005, "HY_NR": 0.02},
        "local_government": {"IG": 0.01, "HY_NR": 0.04},
        "financial": {"IG": 0.05, "HY_NR": 0.12},
        "basic_materials_energy_industrials": {"IG": 0.03, "HY_NR": 0.07},
        "consumer_transport_admin": {"IG": 0.03, "HY_NR": 0.085},
        "technology_telecom": {"IG": 0.02, "HY_NR": 0.055},
        "healthcare_utilities_professional": {"IG": 0.015, "HY_NR": 0.05},
        "other": {"IG": 0.05, "HY_NR": 0.12},
    },
    # MAR50.26 Table 2: correlation r_hc between the counterparty and a single-name hedge's reference.
    "hedge_correlation": {"direct": 1.0, "legally_related": 0.8, "sector_region": 0.5},
    "index_scalar": 0.7,  # MAR50.24(4): index risk weight = 0.7 x (average) Table 1 weight
    "materiality_threshold": 100e9,  # MAR50.9: EUR 100 billion of non-centrally-cleared notional
    "materiality_ccr_share": 1.0,  # MAR50.9: CVA capital = 100% of the CCR capital requirement
    "rwa_multiplier": 12.5,  # MAR50.1: RWA_CVA = 12.5 x K_CVA
    # MAR50.7-50.13: the bank's nominated approach (materiality_alternative, ba_cva_reduced or
    # ba_cva_full); the materiality alternative is used only when named here (methodology 10.1).
    "approach": "ba_cva_reduced",
    # methodology 10.6, C.30: the MAR50.16 sector of a positions table's counterparty_type (the
    # positions carry no industry; corporates and SMEs take "other", the highest corporate weights).
    "sector_of_counterparty_type": {
        "sovereign": "sovereign",  # MAR50.16 Table 1: sovereigns, central banks
        "mdb": "sovereign",  # MAR50.16 Table 1: sovereigns including MDBs
        "pse": "local_government",  # MAR50.16 Table 1: local government, public administration
        "bank": "financial",  # MAR50.16 Table 1: financials
        "corporate": "other",  # methodology C.30: no industry in the positions table
        "sme": "other",  # methodology C.30
        "individual": "other",  # methodology C.30
        "none": "other",  # methodology C.30
    },
}
