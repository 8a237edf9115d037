"""The credit-quality columns IFRS 9 impairment reads, one ``ColumnSpec`` each, and their validation.

``ECL_EXPOSURE_COLUMNS`` is the exposure table of ``compute_ecl`` (methodology 12.1, C.35);
``ALLOWANCE_COLUMNS`` the per-loan stage and allowance table of the reconciliation (methodology 12.7).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from banksim.positions._table import reject, validate_table
from banksim.positions.columns import SCHEMA_BY_NAME, ColumnSpec
from banksim.positions.vocabulary import AMORTISATION_TYPES, EXPOSURE_CLASSES, RATINGS

__all__ = [
    "ALLOWANCE_COLUMNS",
    "AMORTISATION_TYPES",
    "ECL_EXPOSURE_COLUMNS",
    "validate_allowances",
    "validate_ecl_exposures",
]

UNRATED_ALIASES = ("NR",)  # methodology C.37: NR means unrated for the low-credit-risk test


def _number(name: str, description: str, unit: str = "decimal", **kw: Any) -> ColumnSpec:
    return ColumnSpec(name, "float64", description, unit=unit, **kw)


ECL_EXPOSURE_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("position_id", "str", "Unique identifier of the exposure.", required=True),
    ColumnSpec(
        "exposure_class", "category", "Class the summary groups by.", allowed=EXPOSURE_CLASSES, default="none"
    ),
    ColumnSpec(
        "rating", "category", SCHEMA_BY_NAME["rating"].description, allowed=RATINGS, default="unrated"
    ),
    _number("drawn_amount", "Gross carrying amount outstanding.", "EUR", required=True, minimum=0.0),
    _number("off_balance_amount", "Undrawn commitment.", "EUR", default=0.0, minimum=0.0),
    _number(
        "ecl_ccf",
        "Expected drawdown of the undrawn amount (IFRS 9 B5.5.31); needed where off_balance_amount > 0.",
        default=np.nan,
        minimum=0.0,
        maximum=1.0,
    ),
    _number("residual_maturity", "Contractual residual maturity T (> 0).", "years", required=True),
    _number("pd", "12-month PD at the reporting date.", required=True, minimum=0.0, maximum=1.0),
    _number(
        "pd_at_origination", "Annual PD at initial recognition.", required=True, minimum=0.0, maximum=1.0
    ),
    _number("lgd", "Loss given default (present value at default).", required=True, minimum=0.0, maximum=1.0),
    _number("eir", "Effective interest rate (annual).", required=True, minimum=0.0),
    ColumnSpec("amortisation_type", "category", "EAD profile.", allowed=AMORTISATION_TYPES, default="bullet"),
    _number(
        "days_past_due", "Days past due at the reporting date (whole days).", "days", default=0.0, minimum=0.0
    ),
    ColumnSpec("is_defaulted", "bool", "In default / credit-impaired.", default=False),
    ColumnSpec("forborne", "bool", "Forborne performing exposure.", default=False),
    ColumnSpec("watchlist", "bool", "On the watchlist (closer monitoring).", default=False),
)

ALLOWANCE_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("position_id", "str", "Unique identifier of the exposure.", required=True),
    _number("stage", "IFRS 9 stage (1, 2 or 3).", "", required=True, minimum=1.0, maximum=3.0),
    _number("loss_allowance", "Loss allowance.", "EUR", required=True, minimum=0.0),
)


def validate_ecl_exposures(exposures: pd.DataFrame) -> pd.DataFrame:
    """Check an ECL exposure table and return it normalised (methodology C.35).

    ``pd_12m`` is accepted for ``pd``; a rating ``NR`` or blank is ``unrated``.

    Raises
    ------
    InputError
        A column is missing or out of range; ``residual_maturity <= 0``; ``days_past_due`` not a
        whole number; an undrawn amount without ``ecl_ccf``; an unknown rating or amortisation type.
    """
    if isinstance(exposures, pd.DataFrame) and "pd_12m" in exposures and "pd" not in exposures:
        exposures = exposures.rename(columns={"pd_12m": "pd"})
    if isinstance(exposures, pd.DataFrame) and "rating" in exposures and _has_alias(exposures["rating"]):
        rating = exposures["rating"].astype("object")
        exposures = exposures.assign(rating=rating.where(~rating.isin(UNRATED_ALIASES), "unrated"))
    frame = validate_table(exposures, ECL_EXPOSURE_COLUMNS, "exposures")
    maturity = frame["residual_maturity"].to_numpy()
    reject("exposures", frame, ~(maturity > 0), "residual_maturity", "must be > 0", "years > 0")
    dpd = frame["days_past_due"].to_numpy()
    reject("exposures", frame, dpd != np.floor(dpd), "days_past_due", "must be whole days", "0, 1, 2, ...")
    undrawn = frame["off_balance_amount"].to_numpy() > 0
    reject(
        "exposures", frame, undrawn & np.isnan(frame["ecl_ccf"].to_numpy()), "ecl_ccf",
        "is missing on exposures with an undrawn amount", "a drawdown factor in [0, 1]",
    )  # fmt: skip
    return frame


def _has_alias(rating: pd.Series | pd.DataFrame) -> bool:
    """The ratings may hold an alias of ``unrated``: a categorical column only if one of its
    categories is one (else replacing them changes no value, and its categories are read as they
    are: the validated column is the same)."""
    if not isinstance(rating, pd.Series) or not isinstance(rating.dtype, pd.CategoricalDtype):
        return True
    return bool(rating.cat.categories.isin(UNRATED_ALIASES).any())


def validate_allowances(table: pd.DataFrame, name: str) -> pd.DataFrame:
    """Check a per-loan (``position_id``, ``stage``, ``loss_allowance``) table (methodology 12.7).

    ``opening_stage`` / ``opening_allowance`` are accepted for ``stage`` / ``loss_allowance`` (rows
    without an opening stage are then left out: loans that did not exist at the opening date).
    """
    if isinstance(table, pd.DataFrame):
        if "opening_stage" in table:  # an exposure table: rows without an opening stage are new loans
            table = table[table["opening_stage"].notna()]
        table = table.rename(columns={"opening_stage": "stage", "opening_allowance": "loss_allowance"})
        table = table[[c for c in ("position_id", "stage", "loss_allowance") if c in table]]
    frame = validate_table(table, ALLOWANCE_COLUMNS, name)
    stage = frame["stage"].to_numpy()
    reject(name, frame, stage != np.floor(stage), "stage", "must be 1, 2 or 3", [1, 2, 3])
    return frame
