"""Interest-rate risk under MAR40: specific risk per issue and general risk by the maturity method.

Specific risk by issuer category, rating and residual maturity (MAR40.6 Table 1); general risk on
one maturity ladder per currency with vertical and horizontal disallowances (MAR40.23-40.28).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from banksim.regulation._frame import is_in
from banksim.regulation.market_risk_book import concat_lines, net_issues
from banksim.regulation.parameters import RATING_BUCKETS

__all__ = ["general_risk_bands", "interest_rate_lines", "ladder", "specific_risk_rates"]

RELATIVE_TOLERANCE = 1e-9  # methodology C.32: upper band bounds are inclusive
ISSUE_COLUMNS = (
    "risk_class",
    "issuer_category",
    "rating",
    "qualifying_unrated",
    "currency",
    "coupon",
    "residual_maturity",
)
LADDER_CHARGES = (
    ("ir_general_vertical", "MAR40.27"),
    ("ir_general_zone_1", "MAR40.28"),
    ("ir_general_zone_2", "MAR40.28"),
    ("ir_general_zone_3", "MAR40.28"),
    ("ir_general_zones_1_2", "MAR40.28"),
    ("ir_general_zones_2_3", "MAR40.28"),
    ("ir_general_zones_1_3", "MAR40.28"),
    ("ir_general_net", "MAR40.23"),
)


def _inclusive_band(values: np.ndarray, bounds: list[float]) -> np.ndarray:
    """Index of the first band whose upper bound is >= value (relative tolerance 1e-9)."""
    return np.searchsorted(np.asarray(bounds) * (1 + RELATIVE_TOLERANCE), values, side="left")


def _by_rating(issues: pd.DataFrame, table: Mapping[str, Any], default: Any = np.nan) -> np.ndarray:
    """``table`` (keyed by rating bucket) looked up per rating category, then spread by codes."""
    rating = issues["rating"].astype("category")
    per_category = [table.get(RATING_BUCKETS[str(c)], default) for c in rating.cat.categories]
    return np.array([*per_category, default])[rating.cat.codes.to_numpy()]


def specific_risk_rates(issues: pd.DataFrame, params: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """Specific-risk charge and rule per issue (MAR40.6 Table 1, methodology 11.2, C.32)."""
    p = params["specific_risk"]
    maturity = issues["residual_maturity"].to_numpy(dtype=float)
    qualifying_rate = np.asarray(p["qualifying_rates"])[
        _inclusive_band(maturity, p["qualifying_maturity_bounds"])
    ]
    buckets = ("aaa_aa", "a", "bbb", "bb", "b", "below_b", "unrated")
    investment_grade = _by_rating(issues, {b: b in ("aaa_aa", "a", "bbb") for b in buckets}, False).astype(
        bool
    )
    unrated = _by_rating(issues, {"unrated": True}, False).astype(bool)
    middle_grade = _by_rating(issues, {"a": True, "bbb": True}, False).astype(bool)
    government = is_in(issues, "issuer_category", "government")
    none = is_in(issues, "issuer_category", "none")
    bank_or_corporate = is_in(issues, "issuer_category", "bank", "corporate")
    qualifying = (
        is_in(issues, "issuer_category", "pse", "mdb")
        | (bank_or_corporate & investment_grade)
        | (bank_or_corporate & unrated & issues["qualifying_unrated"].to_numpy(dtype=bool))
    )
    government_rate = np.where(middle_grade, qualifying_rate, _by_rating(issues, p["government"]))
    other_rate = _by_rating(issues, p["other"])
    rate = np.select(
        [government, qualifying, none], [government_rate, qualifying_rate, 0.0], default=other_rate
    )
    rule = np.select(
        [government, qualifying, none], ["MAR40.6", "MAR40.6; MAR40.9", "MAR40.38"], default="MAR40.6"
    )
    return rate, rule


def general_risk_bands(maturity: np.ndarray, coupon: np.ndarray, params: Mapping[str, Any]) -> np.ndarray:
    """Time band 1-15 of each position (MAR40.26 Table 4; coupon < 3% second column, blank first; C.32)."""
    g = params["general_risk"]
    low = coupon < g["low_coupon"]  # NaN (a floating leg) compares False: first column
    band = np.where(
        low,
        _inclusive_band(maturity, g["band_bounds_low_coupon"]),
        _inclusive_band(maturity, g["band_bounds"]),
    )
    return band + 1


def _match(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Matched amount of two zone positions of opposite sign, and what each keeps."""
    matched = np.where(a * b < 0, np.minimum(np.abs(a), np.abs(b)), 0.0)
    return matched, a - np.sign(a) * matched, b - np.sign(b) * matched


def ladder(
    ladder_code: np.ndarray, band: np.ndarray, weighted: np.ndarray, n_ladders: int, params: Mapping[str, Any]
) -> np.ndarray:
    """Matched amounts per ladder: columns in the order of ``LADDER_CHARGES`` (MAR40.27-40.28, C.32).

    Vertical (sum over bands of min(longs, shorts)), within zones 1-3, between zones 1-2, then 2-3
    with zone 2's residual, then 1-3 with the residuals, and the net position |sum of all|.
    """
    g = params["general_risk"]
    n_bands = len(g["band_risk_weights"])
    key = ladder_code * n_bands + band - 1
    longs = np.bincount(key, weights=np.maximum(weighted, 0.0), minlength=n_ladders * n_bands)
    shorts = np.bincount(key, weights=np.maximum(-weighted, 0.0), minlength=n_ladders * n_bands)
    longs, shorts = longs.reshape(n_ladders, n_bands), shorts.reshape(n_ladders, n_bands)
    vertical = np.minimum(longs, shorts).sum(axis=1)
    net = longs - shorts
    zones = np.asarray(g["band_zones"])
    within, position = [], []
    for zone in (1, 2, 3):
        in_zone = net[:, zones == zone]
        zone_long, zone_short = np.maximum(in_zone, 0).sum(axis=1), np.maximum(-in_zone, 0).sum(axis=1)
        within.append(np.minimum(zone_long, zone_short))
        position.append(zone_long - zone_short)
    m12, z1, z2 = _match(position[0], position[1])
    m23, z2, z3 = _match(z2, position[2])
    m13, z1, z3 = _match(z1, z3)
    total = np.abs(position[0] + position[1] + position[2])
    return np.column_stack([vertical, *within, m12, m23, m13, total])


def _ladder_rates(params: Mapping[str, Any]) -> list[float]:
    g = params["general_risk"]
    return [
        g["vertical_disallowance"],
        *g["within_zone"],
        g["adjacent_zones"],
        g["adjacent_zones"],
        g["zones_1_and_3"],
        g["net_position"],
    ]


def interest_rate_lines(rows: pd.DataFrame, params: Mapping[str, Any]) -> pd.DataFrame:
    """Specific lines per issue, general lines per issue (weighted position) and per currency ladder.

    ``rows`` are the interest-rate positions left after options are carved out (methodology 11.2-11.3).
    """
    issues = net_issues(rows, ISSUE_COLUMNS)
    if issues.empty:
        return pd.DataFrame()
    value = issues["market_value"].to_numpy(dtype=float)
    rate, rule = specific_risk_rates(issues, params)
    specific = ~is_in(issues, "issuer_category", "none")
    band = general_risk_bands(
        issues["residual_maturity"].to_numpy(dtype=float), issues["coupon"].to_numpy(dtype=float), params
    )
    band_rw = np.asarray(params["general_risk"]["band_risk_weights"])[band - 1]
    codes, currencies = pd.factorize(issues["currency"], sort=True)
    matched = ladder(codes, band, value * band_rw, len(currencies), params)
    rates = _ladder_rates(params)
    per_currency = pd.DataFrame(
        {
            "risk_class": "interest_rate",
            "charge": np.tile([c for c, _ in LADDER_CHARGES], len(currencies)),
            "key": np.repeat(np.asarray(currencies, dtype=object), len(LADDER_CHARGES)),
            "currency": np.repeat(np.asarray(currencies, dtype=object), len(LADDER_CHARGES)),
            "amount": matched.ravel(),
            "rate": np.tile(rates, len(currencies)),
            "capital": (matched * np.asarray(rates)).ravel(),
            "rule": np.tile([r for _, r in LADDER_CHARGES], len(currencies)),
        }
    )
    issue_id = issues["issue_id"].to_numpy(dtype=object)
    currency = issues["currency"].to_numpy(dtype=object)
    specific_lines = pd.DataFrame(
        {
            "risk_class": "interest_rate",
            "charge": "ir_specific",
            "key": issue_id[specific],
            "currency": currency[specific],
            "amount": value[specific],
            "rate": rate[specific],
            "capital": np.abs(value[specific]) * rate[specific],
            "rule": rule[specific],
        }
    )
    general_lines = pd.DataFrame(
        {
            "risk_class": "interest_rate",
            "charge": "ir_general_position",
            "key": issue_id,
            "currency": currency,
            "amount": value,
            "rate": band_rw,
            "weighted_position": value * band_rw,
            "band": band,
            "zone": np.asarray(params["general_risk"]["band_zones"])[band - 1],
            "capital": 0.0,
            "rule": "MAR40.26",
        }
    )
    return concat_lines([specific_lines, general_lines, per_currency])
