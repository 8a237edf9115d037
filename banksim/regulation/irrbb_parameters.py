"""IRRBB standardised-framework parameters as cited data: shock sizes, shapes, floor, buckets, NMD caps.

Every number has its Basel Framework paragraph (SRP31, SRP98) or EU text in the comment
(docs/methodology.md section 13 and C.42-C.44); ``compute_irrbb`` takes ``parameters`` overriding keys.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "BUCKET_MIDPOINTS",
    "BUCKET_UPPER_BOUNDS",
    "IRRBB_PARAMETERS",
    "SCENARIOS",
    "SHOCK_SIZES",
    "base_curve_rate",
]


def base_curve_rate(short: Any, long: Any, years: Any) -> Any:
    """R(t) = long + (short - long) (1 - exp(-t/2)) / (t/2), R(0) = short (methodology 13.10)."""
    import numpy as np

    t = np.maximum(np.asarray(years, dtype=float), 1e-12)
    return long + (short - long) * -np.expm1(-t / 2.0) / (t / 2.0)


def _table(currencies: str, parallel: str, short: str, long: str) -> dict[str, tuple[float, float, float]]:
    """Shock sizes in bp per currency: (parallel, short, long)."""
    rows = zip(currencies.split(), parallel.split(), short.split(), long.split(), strict=True)
    return {c: (float(p), float(s), float(lo)) for c, p, s, lo in rows}


BASEL_CURRENCIES = "ARS AUD BRL CAD CHF CNY EUR GBP HKD IDR INR JPY KRW MXN RUB SAR SEK SGD TRY USD ZAR"
SHOCK_SIZES: dict[str, dict[str, tuple[float, float, float]]] = {
    # d368 Annex 2 Table 1 = SRP31.90 Table 2 before 2026 = Delegated Reg. (EU) 2024/856 Annex Part A
    # (methodology 13.2, C.42).
    "bcbs2016": {
        **_table(
            BASEL_CURRENCIES,
            "400 300 400 200 100 250 200 250 200 400 400 100 300 400 400 200 200 150 400 200 400",
            "500 450 500 300 150 300 250 300 250 500 500 100 400 500 500 300 300 200 500 300 500",
            "300 200 300 150 100 150 100 150 100 350 300 100 200 300 300 150 150 100 300 150 300",
        ),
        # Delegated Reg. (EU) 2024/856 Annex Part A: the non-euro EU currencies it adds.
        **_table(
            "BGN CZK DKK HUF PLN RON",
            "250 200 200 300 250 350",
            "350 250 250 450 350 500",
            "150 100 150 200 150 250",
        ),
    },
    # SRP31.90 Table 2 as recalibrated in July 2024 (d578, from 1 January 2026), as reproduced in
    # OSFI B-12 Annex 1 (methodology 13.2).
    "bcbs2024": _table(
        BASEL_CURRENCIES,
        "400 350 400 200 175 225 225 275 225 400 325 100 225 400 400 275 275 175 400 200 325",
        "500 425 500 275 250 300 350 425 375 500 475 100 350 500 500 375 425 250 500 300 500",
        "300 300 300 175 200 150 200 250 200 300 225 100 225 200 300 250 200 225 300 225 300",
    ),
}
SCENARIOS = ("parallel_up", "parallel_down", "steepener", "flattener", "short_up", "short_down")  # SRP31.90
# How the explorer and the workbook name each shock; the two parallel shocks are the ones ΔNII is
# disclosed for (methodology 13.8).
SHOCK_LABELS = dict(
    zip(SCENARIOS, ("Parallel up", "Parallel down", "Steepener", "Flattener", "Short rates up",
                    "Short rates down"), strict=True)
)  # fmt: skip
PARALLEL_SCENARIOS = ("parallel_up", "parallel_down")
# SRP31.96 Table 3: upper bounds (years, inclusive) and mid-points exactly as printed (methodology 13.4).
BUCKET_UPPER_BOUNDS = (1 / 365, 1 / 12, 3 / 12, 6 / 12, 9 / 12, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0,
                       9.0, 10.0, 15.0, 20.0, float("inf"))  # fmt: skip
BUCKET_MIDPOINTS = (0.0028, 0.0417, 0.1667, 0.375, 0.625, 0.875, 1.25, 1.75, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5,
                    8.5, 9.5, 12.5, 17.5, 25.0)  # fmt: skip

IRRBB_PARAMETERS: dict[str, Any] = {
    "irrbb_calibration": "bcbs2016",  # methodology 13.2, C.42: verified against d368 and the EU RTS
    "shock_sizes": SHOCK_SIZES,  # bp; divided by 10,000 (C.42)
    "shape_decay_years": 4.0,  # SRP31.91: x = 4 in S_short(t) = exp(-t/x)
    # SRP31.91: rotation weights |short| and |long| of the steepener and the flattener.
    "steepener": (-0.65, 0.90),
    "flattener": (0.80, -0.60),
    # Post-shock floor (SRP31.93 national discretion, not greater than zero; EBA/GL/2022/14 and
    # Delegated Reg. (EU) 2024/856): LB(t) = min(-1.5% + 0.03% t, 0) (methodology 13.3, C.42).
    "post_shock_floor": "eba2022",  # options "none", "zero"
    "floor_at_zero_maturity": -0.015,
    "floor_slope_per_year": 0.0003,
    "bucket_upper_bounds": BUCKET_UPPER_BOUNDS,
    "bucket_midpoints": BUCKET_MIDPOINTS,
    "bucket_tolerance": 1e-9,  # C.42: a flow is in the first bucket with t <= upper x (1 + 1e-9)
    "whole_number_tolerance": 1e-9,  # C.43: T x f (annuity) and (T - t_r) x f (floater) whole
    # SRP31.110 Table 4: caps on the core share and on the average maturity of core (years).
    "nmd_core_share_cap": {"retail_transactional": 0.90, "retail_non_transactional": 0.70, "wholesale": 0.50},
    "nmd_core_maturity_cap": {"retail_transactional": 5.0, "retail_non_transactional": 4.5, "wholesale": 4.0},
    "nmd_non_core_tenor": 1 / 365,  # SRP31.111: non-core is overnight; its NII repricing tenor (C.44)
    "eve_aggregation": "basel",  # SRP31.129(5): losses only; option "eu_sot" (methodology 13.7, C.44)
    "eu_gain_weight": 0.5,  # Delegated Reg. (EU) 2024/856: gains count at 50%
    "eve_outlier_threshold": 0.15,  # SRP31.82: 15% of Tier 1 (outlier iff exceeded, C.44)
    "nii_outlier_threshold": 0.05,  # Delegated Reg. (EU) 2024/856 Art. 5(1): 5% of Tier 1
    "nii_horizon_years": 1.0,  # SRP31.90, DIS70: 12-month horizon (methodology 13.8)
    "outlier_tolerance": 1e-9,  # C.44: exceeds iff measure > threshold x Tier 1 x (1 + 1e-9)
    "reporting_currency": "EUR",  # fx 1 (C.44)
    # Illustrative base zero curves of the positions' services, continuously compounded, per
    # currency (short rate, long rate) of R(t) above; market data, not rules: set today's curves
    # (methodology 13.10). Other currencies are added under their ISO code.
    "base_curve": {
        "EUR": (0.020, 0.027),
        "USD": (0.043, 0.042),
        "GBP": (0.040, 0.041),
        "CHF": (0.005, 0.011),
        "JPY": (0.003, 0.016),
    },
    "fx_to_reporting": {},  # reporting units per unit of each other currency (set per run)
}
