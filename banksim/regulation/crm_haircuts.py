"""Credit risk mitigation building blocks: supervisory haircuts, holding-period scaling, maturity mismatch.

Also the risk weight of a collateral instrument (simple approach) and of a protection provider;
all vectorised over the rows of a validated protection table (methodology 9.3-9.6, C.26-C.28).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from banksim.errors import InputError
from banksim.regulation._frame import is_in, lookup
from banksim.regulation.crm_parameters import HAIRCUT_MATURITY_UPPER
from banksim.regulation.parameters import BUCKETS, RATING_BUCKETS

__all__ = [
    "collateral_risk_weight",
    "eligible_debt_security",
    "fx_haircut",
    "haircut_maturity_band",
    "holding_period_scaling",
    "maturity_mismatch_factor",
    "provider_risk_weight",
    "supervisory_haircut",
]

SOVEREIGN_COLUMN = ("sovereign", "mdb_zero_rw")  # CRE22.51(1); PSEs are other issuers (methodology C.26)


# Haircut rating group of each rating bucket (0 AAA..AA-, 1 A+..BBB-, 2 BB, 3 not eligible; C.26).
RATING_GROUP_OF_BUCKET = np.array([0, 1, 1, 2, 3, 3, 3])


def bucket_of(frame: pd.DataFrame, column: str) -> np.ndarray:
    """Index into ``BUCKETS`` (0 = AAA..AA-, ..., 6 = unrated) of a rating column."""
    return lookup(frame, column, {r: BUCKETS.index(b) for r, b in RATING_BUCKETS.items()}, 6).astype(
        np.int64, copy=False
    )


def haircut_maturity_band(maturity: np.ndarray, tolerance: float = 1e-9) -> np.ndarray:
    """Band 0..4 of a residual maturity: <= 1y, <= 3y, <= 5y, <= 10y, > 10y (upper bounds inclusive, C.26)."""
    values = np.nan_to_num(maturity)
    band = np.zeros(len(values), dtype=np.int64)
    for upper in HAIRCUT_MATURITY_UPPER:  # the bounds passed (a comparison each: faster than a search)
        band += values > upper * (1 + tolerance)
    return np.minimum(band, 4)


def eligible_debt_security(
    frame: pd.DataFrame, issuer: str, rating: str, unrated_flag: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Rating group (0 AAA..AA-, 1 A+..BBB- and eligible unrated bank paper, 2 BB) and eligibility.

    CRE22.34(3), CRE22.45(1): sovereign paper (with 0%-RW MDBs) down to BB-, other issuers and
    securitisations down to BBB-; unrated only a bank's senior paper of CRE22.34(3)(b).
    """
    bucket = bucket_of(frame, rating)
    sovereign = is_in(frame, issuer, *SOVEREIGN_COLUMN)
    flagged = np.zeros(len(frame), dtype=bool) if unrated_flag is None else unrated_flag
    unrated_bank = (bucket == 6) & is_in(frame, issuer, "bank") & flagged
    group = np.where(unrated_bank, 1, RATING_GROUP_OF_BUCKET[bucket])
    eligible = (group <= 1) | ((group == 2) & sovereign)
    return group, eligible & ~is_in(frame, issuer, "none")


def debt_security_haircut(
    frame: pd.DataFrame, prefix: str, unrated_flag: np.ndarray | None, crm: Mapping[str, Any]
) -> tuple[np.ndarray, np.ndarray]:
    """10-day haircut (CRE22.49) and eligibility of the debt securities described by ``prefix`` columns."""
    issuer, rating = f"{prefix}issuer_type", f"{prefix}rating"
    maturity = frame[f"{prefix}security_residual_maturity" if prefix == "" else f"{prefix}residual_maturity"]
    group, eligible = eligible_debt_security(frame, issuer, rating, unrated_flag)
    band = haircut_maturity_band(maturity.to_numpy(), crm["relative_tolerance"])
    table = crm["haircut"]
    column = np.where(
        is_in(frame, issuer, *SOVEREIGN_COLUMN),
        0,
        np.where(is_in(frame, issuer, "securitisation"), 2, 1),
    )
    values = np.full((3, 4, 5), np.nan)  # issuer column x rating group x maturity band
    for c, name in enumerate(("sovereign", "other", "securitisation")):
        for g, row in enumerate(("aaa_aa", "a_bbb", "bb")):
            if row in table[name]:
                values[c, g] = table[name][row]
    haircut = values[column, group, band]
    return np.where(eligible, haircut, np.nan), eligible


def supervisory_haircut(protection: pd.DataFrame, crm: Mapping[str, Any]) -> np.ndarray:
    """10-day supervisory haircut Hc of each financial-collateral row (CRE22.49); NaN: not eligible.

    Debt securities by issuer column, rating group and residual-maturity band; gold and main-index
    equities 20%, other listed equities 30%, funds their ``fund_haircut`` (methodology C.26), cash
    and netting deposits 0%.
    """
    table = crm["haircut"]
    haircut = lookup(
        protection,
        "protection_type",
        {
            "cash": table["cash"],
            "deposit_netting": table["cash"],
            "gold": table["gold"],
            "equity_main_index": table["equity_main_index"],
            "equity_other_listed": table["equity_other_listed"],
        },
    ).astype(float, copy=False)
    fund = is_in(protection, "protection_type", "ucits_fund")
    haircut[fund] = protection["fund_haircut"].to_numpy()[fund]
    security = is_in(protection, "protection_type", "debt_security")
    if security.any():
        flag = protection["unrated_bank_senior_eligible"].to_numpy()
        haircut = np.where(security, debt_security_haircut(protection, "", flag, crm)[0], haircut)
    return haircut


def lent_security_haircut(lines: pd.DataFrame, crm: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """10-day haircut He of what a line lends or posts (CRE22.54, methodology C.27) and its non-eligibility.

    Cash lent (``lent_security_type`` 'none'): 0. A non-eligible instrument, or a debt security
    below the eligible ratings: 30%.
    """
    table = crm["haircut"]
    he = lookup(
        lines,
        "lent_security_type",
        {
            "none": 0.0,
            "gold": table["gold"],
            "equity_main_index": table["equity_main_index"],
            "equity_other_listed": table["equity_other_listed"],
            "non_eligible": table["non_eligible_lent"],
        },
    ).astype(float, copy=False)
    security = is_in(lines, "lent_security_type", "debt_security")
    if security.any():
        he = np.where(security, debt_security_haircut(lines, "lent_security_", None, crm)[0], he)
    non_eligible = np.isnan(he)
    he[non_eligible] = table["non_eligible_lent"]
    return he, non_eligible | is_in(lines, "lent_security_type", "non_eligible")


def holding_period_scaling(
    holding_days: np.ndarray, remargining_days: np.ndarray, base: float = 10.0
) -> np.ndarray:
    """CRE22.59: sqrt((N_R + T_M - 1) / 10), the factor on a 10-day haircut."""
    return np.sqrt((remargining_days + holding_days - 1.0) / base)


def fx_haircut(mismatch: np.ndarray, scaling: np.ndarray | float, crm: Mapping[str, Any]) -> np.ndarray:
    """Hfx = 8% x scaling where the currencies differ, else 0 (CRE22.52, methodology C.27)."""
    return np.where(mismatch, crm["fx_haircut"] * scaling, 0.0)


def maturity_mismatch_factor(
    items: pd.DataFrame, exposure_residual: np.ndarray, crm: Mapping[str, Any]
) -> tuple[np.ndarray, np.ndarray]:
    """MF of each item (CRE22.10-14, methodology C.25) and whether the item has a mismatch.

    A blank protection residual maturity lasts the exposure's life. With a mismatch the item is
    recognised only with original >= 1 year and residual >= 3 months; then
    MF = (t - 0.25)/(T - 0.25), T = min(5, exposure residual), t = min(T, protection residual);
    MF = 0 marks an item not recognised.
    """
    mm, tol = crm["maturity_mismatch"], crm["relative_tolerance"]
    residual = items["protection_residual_maturity"].to_numpy()
    original = items["protection_original_maturity"].to_numpy()
    given = ~np.isnan(residual)
    _raise(
        items,
        given & np.isnan(exposure_residual),
        "protection_residual_maturity",
        "is given but the exposure has no residual maturity (CRE22.14 needs both)",
        "blank (the protection lasts the exposure's life), or a residual maturity on the line",
    )
    mismatch = given & (residual < exposure_residual * (1 - tol))
    _raise(
        items,
        mismatch & np.isnan(original),
        "protection_original_maturity",
        "is missing on an item with a maturity mismatch (CRE22.12 needs it)",
        "original maturity in years",
    )
    recognised = (original >= mm["minimum_original"] * (1 - tol)) & (
        residual >= mm["minimum_residual"] * (1 - tol)
    )
    big_t = np.minimum(mm["cap"], exposure_residual)
    small_t = np.minimum(big_t, residual)
    with np.errstate(invalid="ignore", divide="ignore"):
        factor = (small_t - mm["offset"]) / (big_t - mm["offset"])
    mf = np.where(mismatch, np.where(recognised, np.clip(factor, 0.0, 1.0), 0.0), 1.0)
    return mf, mismatch


def collateral_risk_weight(items: pd.DataFrame, sa: Mapping[str, Any], crm: Mapping[str, Any]) -> np.ndarray:
    """SA risk weight of a direct exposure to each collateral instrument (CRE22.33, methodology C.26).

    Cash and gold 0%; eligible rated debt securities of sovereigns (Table 1), PSEs (Table 4), MDBs
    (Table 5), 0%-RW MDBs (0%), banks (Table 6 base) and corporates (Table 10); main-index
    equities 250%. NaN: not recognised in the simple approach (securitisations, unrated bank paper,
    other listed equities, funds, physical collateral, ineligible ratings).
    """
    simple = crm["simple"]
    rw = lookup(
        items,
        "protection_type",
        {"cash": 0.0, "gold": simple["gold"], "equity_main_index": simple["equity_main_index"]},
    ).astype(float, copy=False)
    security = is_in(items, "protection_type", "debt_security")
    if security.any():
        _, eligible = eligible_debt_security(items, "issuer_type", "rating", None)
        rated = bucket_of(items, "rating") < 6
        rw = np.where(security, np.where(eligible & rated, _issuer_table_weight(items, sa, crm), np.nan), rw)
    return rw


def _issuer_table_weight(part: pd.DataFrame, sa: Mapping[str, Any], crm: Mapping[str, Any]) -> np.ndarray:
    """The SA weight of each row's issuer type and rating bucket, read from one issuer x bucket table."""
    issuer = part["issuer_type"]
    categories = [str(c) for c in issuer.cat.categories]
    matrix = np.full((len(categories) + 1, len(BUCKETS)), np.nan)  # the last row: a missing type
    for name, table in (
        ("sovereign", "sovereign"),
        ("pse", "pse"),
        ("mdb", "mdb"),
        ("bank", "bank_ecra"),
        ("corporate", "corporate"),
    ):
        if name in categories:
            matrix[categories.index(name)] = [sa[table][b] for b in BUCKETS]
    if "mdb_zero_rw" in categories:
        matrix[categories.index("mdb_zero_rw")] = crm["simple"]["mdb_zero_rw"]
    return matrix[issuer.cat.codes.to_numpy(), bucket_of(part, "rating")]


def provider_risk_weight(items: pd.DataFrame, sa: Mapping[str, Any], crm: Mapping[str, Any]) -> np.ndarray:
    """SA risk weight of each guarantee or credit-derivative provider (CRE22.76, methodology C.28).

    Sovereigns (Table 1), PSEs (Table 4), MDBs (Table 5), 0%-RW MDBs (0%), banks (Table 6 base;
    unrated: SCRA Table 7 base, no concession), rated corporates (Table 10); an unrated corporate
    is not eligible (NaN). A given ``provider_risk_weight`` replaces the table's weight.
    """
    rw = _issuer_table_weight(items, sa, crm)
    unrated = bucket_of(items, "rating") == 6
    scra = lookup(items, "scra_grade", {g: sa["scra"][g] for g in ("A", "B", "C")}).astype(float, copy=False)
    rw = np.where(is_in(items, "issuer_type", "bank") & unrated, scra, rw)
    rw = np.where(is_in(items, "issuer_type", "corporate") & unrated, np.nan, rw)
    given = items["provider_risk_weight"].to_numpy()
    return np.where(np.isnan(given), rw, given)


def _raise(items: pd.DataFrame, mask: np.ndarray, column: str, reason: str, allowed: str) -> None:
    if not mask.any():
        return
    rows = np.flatnonzero(mask)[:5]
    cases = [f"{items['position_id'].iat[i]}: {items[column].iat[i]!r}" for i in rows]
    raise InputError(
        f"protection[{column!r}]", f"{reason} ({int(mask.sum())} rows)", failure_cases=cases, allowed=allowed
    )
