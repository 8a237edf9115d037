"""Input tables of the CVA charge (MAR50): netting sets with their counterparty, and CVA hedges.

Column specifications and validation; the checks across rows (one sector per counterparty,
hedges referring to known counterparties) live here too (methodology 10.1, 10.3).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from banksim.errors import InputError
from banksim.positions.trading_book import TableColumn, validate_table
from banksim.positions.vocabulary import CVA_HEDGE_TYPES, RATED, RATINGS
from banksim.regulation.cva_parameters import CREDIT_QUALITIES, CVA_SECTORS

__all__ = [
    "HEDGE_COLUMNS",
    "NETTING_SET_COLUMNS",
    "cva_netting_sets",
    "validate_hedges",
    "validate_netting_sets",
]

NAN = math.nan
HEDGE_TYPES = CVA_HEDGE_TYPES
RELATIONS = ("direct", "legally_related", "sector_region", "none")
# C21: IG = AAA to BBB-, HY = BB+ and below, NR = unrated.
QUALITY_OF_RATING = {r: ("IG" if i < RATINGS.index("BB+") else "HY") for i, r in enumerate(RATED)}
QUALITY_OF_RATING["unrated"] = "NR"

NETTING_SET_COLUMNS: tuple[TableColumn, ...] = (
    TableColumn("netting_set", "label", "Netting set (one row each).", required=True),
    TableColumn("counterparty_id", "label", "Counterparty of the netting set.", required=True),
    TableColumn(
        "counterparty_sector", "category", "MAR50.16 Table 1 sector.", allowed=CVA_SECTORS, required=True
    ),
    TableColumn(
        "counterparty_credit_quality",
        "category",
        "IG, HY or NR (blank: from rating).",
        allowed=(*CREDIT_QUALITIES, ""),
        default="",
    ),
    TableColumn(
        "rating",
        "category",
        "Counterparty rating (used when the quality is blank).",
        allowed=RATINGS,
        default="unrated",
    ),
    TableColumn("ead", "float", "SA-CCR exposure at default of the netting set.", required=True, minimum=0.0),
    TableColumn(
        "effective_maturity",
        "float",
        "Notional-weighted residual maturity, before the floor.",
        required=True,
        minimum=0.0,
    ),
    TableColumn(
        "ccr_risk_weight",
        "float",
        "CCR risk weight of the netting set (materiality alternative).",
        default=NAN,
        minimum=0.0,
    ),
)
HEDGE_COLUMNS: tuple[TableColumn, ...] = (
    TableColumn("hedge_id", "label", "Hedge identifier.", required=True),
    TableColumn("hedge_type", "category", "Single-name or index CDS.", allowed=HEDGE_TYPES, required=True),
    TableColumn("hedged_counterparty_id", "label", "Counterparty a single-name hedge protects.", default=""),
    TableColumn(
        "relation",
        "category",
        "Reference name vs counterparty (single names).",
        allowed=RELATIONS,
        default="none",
    ),
    TableColumn(
        "reference_sector",
        "category",
        "Sector of the reference name (blank: the counterparty's).",
        allowed=(*CVA_SECTORS, ""),
        default="",
    ),
    TableColumn(
        "reference_credit_quality",
        "category",
        "Quality of the reference (blank: counterparty's).",
        allowed=(*CREDIT_QUALITIES, ""),
        default="",
    ),
    TableColumn("index_constituents", "label", "'sector:quality:count;...' of an index.", default=""),
    TableColumn("notional", "float", "Notional B of the hedge.", required=True, minimum=0.0),
    TableColumn(
        "remaining_maturity",
        "float",
        "Remaining maturity of the hedge, years (> 0).",
        required=True,
        minimum=0.0,
    ),
)


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Categorical columns as plain strings (tables of netting sets and hedges are small)."""
    text = [c for c in frame.columns if isinstance(frame[c].dtype, pd.CategoricalDtype)]
    return frame.astype(dict.fromkeys(text, object))


def validate_netting_sets(netting_sets: pd.DataFrame) -> pd.DataFrame:
    """Netting sets checked and completed: ``credit_quality`` derived, one profile per counterparty."""
    frame = _as_text(validate_table(netting_sets, "netting_sets", NETTING_SET_COLUMNS, "netting_set"))
    if frame.empty:
        raise InputError("netting_sets", "has no rows")
    derived = frame["rating"].map(QUALITY_OF_RATING)
    frame["credit_quality"] = frame["counterparty_credit_quality"].where(
        frame["counterparty_credit_quality"] != "", derived
    )
    for column in ("counterparty_sector", "credit_quality"):
        count = frame.groupby("counterparty_id")[column].transform("nunique").to_numpy()
        if (count > 1).any():
            raise InputError(
                f"netting_sets[{column!r}]",
                "differs between netting sets of one counterparty; it is a property of the counterparty",
                failure_cases=frame.loc[count > 1, "counterparty_id"].unique()[:5].tolist(),
            )
    return frame


def validate_hedges(hedges: pd.DataFrame, counterparties: pd.DataFrame) -> pd.DataFrame:
    """Hedges checked against the counterparties (one row per counterparty id, sector, quality)."""
    frame = _as_text(validate_table(hedges, "hedges", HEDGE_COLUMNS, "hedge_id"))
    ids = frame["hedge_id"]

    def check(mask: np.ndarray, column: str, reason: str, allowed: object = None) -> None:
        if mask.any():
            cases = [f"{i}: {v!r}" for i, v in zip(ids[mask][:5], frame[column][mask][:5], strict=False)]
            raise InputError(f"hedges[{column!r}]", reason, failure_cases=cases, allowed=allowed)  # type: ignore[arg-type]

    single = (frame["hedge_type"] == "single_name").to_numpy()
    known = frame["hedged_counterparty_id"].isin(counterparties["counterparty_id"]).to_numpy()
    check(frame["remaining_maturity"].to_numpy() <= 0, "remaining_maturity", "must be > 0 (DF, MAR50.23)")
    check(
        single & ~known,
        "hedged_counterparty_id",
        "is not a counterparty of the netting sets",
        allowed=counterparties["counterparty_id"].tolist()[:20],
    )
    check(
        single & (frame["relation"] == "none").to_numpy(),
        "relation",
        "is missing on a single-name hedge (MAR50.26 Table 2)",
        allowed=RELATIONS[:3],
    )
    index = ~single
    no_composition = (frame["index_constituents"] == "").to_numpy() & (
        (frame["reference_sector"] == "") | (frame["reference_credit_quality"] == "")
    ).to_numpy()
    check(
        index & no_composition,
        "index_constituents",
        "is blank and the index has no single sector and quality (MAR50.24(4))",
        allowed="'sector:quality:count;...' or reference_sector + reference_credit_quality",
    )
    own = counterparties.set_index("counterparty_id")
    for column, source in (
        ("reference_sector", "counterparty_sector"),
        ("reference_credit_quality", "credit_quality"),
    ):
        fill = frame["hedged_counterparty_id"].map(own[source]).where(pd.Series(single), "")
        frame[column] = frame[column].where(frame[column] != "", fill.fillna(""))
    return frame


def index_constituents(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per (hedge, sector, quality, count) of the index hedges given as constituent lists."""
    lists = frame.loc[frame["index_constituents"] != "", ["hedge_id", "index_constituents"]]
    items = lists.assign(item=lists["index_constituents"].str.split(";")).explode("item")
    parts = items["item"].str.strip().str.split(":", expand=True)
    if parts.shape[1] != 3:
        raise InputError(
            "hedges['index_constituents']",
            "is not a 'sector:quality:count;...' list",
            failure_cases=lists["index_constituents"].tolist()[:5],
        )
    count = pd.to_numeric(parts[2], errors="coerce")
    bad = ~parts[0].isin(CVA_SECTORS) | ~parts[1].isin(CREDIT_QUALITIES) | ~(count > 0)
    if bad.any():
        raise InputError(
            "hedges['index_constituents']",
            "has an entry with an unknown sector or quality, or a count that is not > 0",
            failure_cases=items.loc[bad.to_numpy(), "item"].tolist()[:5],
            allowed=f"sector in {list(CVA_SECTORS)}, quality in {list(CREDIT_QUALITIES)}, count > 0",
        )
    return pd.DataFrame(
        {
            "hedge_id": items["hedge_id"].to_numpy(),
            "sector": parts[0].to_numpy(),
            "quality": parts[1].to_numpy(),
            "count": count.to_numpy(dtype=float),
        }
    )


COUNTERPARTY_OVERRIDES = ("counterparty_id", "counterparty_sector", "counterparty_credit_quality")


def cva_netting_sets(
    positions: pd.DataFrame,
    rwa: pd.DataFrame,
    params: dict[str, Any],
    counterparties: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, float]:
    """The netting-set table of :func:`banksim.regulation.cva.cva_capital` for a positions table.

    EAD and CCR risk weight from the counterparty rows of ``rwa`` (SA-CCR, keyed by netting set),
    rating and counterparty type from the set's trades, the effective maturity from
    :func:`netting_set_maturities`; each netting set is its own counterparty and its sector comes
    from ``params["sector_of_counterparty_type"]`` unless ``counterparties`` says otherwise
    (methodology 10.6, C.30). Returns the table and the derivatives' total absolute notional (all
    non-centrally cleared: the positions carry no clearing flag).
    """
    from banksim.positions.validation import validate_positions
    from banksim.regulation._frame import is_in
    from banksim.regulation.cva import netting_set_maturities
    from banksim.regulation.saccr import netting_set_codes

    frame = validate_positions(positions)
    trades = frame.loc[is_in(frame, "side", "derivative")].reset_index(drop=True)
    if trades.empty:
        return pd.DataFrame(columns=[c.name for c in NETTING_SET_COLUMNS]), 0.0
    codes, names = netting_set_codes(trades)
    first = np.zeros(len(names), dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes))[::-1]
    ccr = _ccr_lines(rwa, names)
    kind = trades["counterparty_type"].astype(str).to_numpy()[first]
    mapping = params["sector_of_counterparty_type"]
    sets = pd.DataFrame(
        {
            "netting_set": names.astype(str),
            "counterparty_id": names.astype(str),
            "counterparty_sector": [mapping.get(k, "other") for k in kind],  # one per netting set
            "counterparty_credit_quality": "",
            "rating": trades["rating"].astype(str).to_numpy()[first],
            "ead": ccr["exposure"].to_numpy(dtype=float),
            "ccr_risk_weight": ccr["risk_weight"].to_numpy(dtype=float),
        }
    )
    maturity = netting_set_maturities(frame).set_index("netting_set")["effective_maturity"]
    sets["effective_maturity"] = maturity.reindex(sets["netting_set"]).to_numpy()
    if counterparties is not None:
        sets = _with_counterparties(sets, counterparties)
    return sets, float(np.abs(trades["notional"].to_numpy()).sum())


def _ccr_lines(rwa: pd.DataFrame, names: np.ndarray) -> pd.DataFrame:
    """The counterparty rows of the RWA table, one per netting set in ``names`` order."""
    if not isinstance(rwa, pd.DataFrame) or not {
        "risk_type",
        "position_id",
        "exposure",
        "risk_weight",
    } <= set(rwa.columns):
        raise InputError(
            "rwa", "expected the table of compute_rwa()", allowed="the RWA table of these positions"
        )
    lines = rwa.loc[(rwa["risk_type"] == "counterparty").to_numpy()]
    lines = lines.set_index(lines["position_id"].astype(str))[["exposure", "risk_weight"]]
    missing = pd.Index(names.astype(str)).difference(lines.index)
    if len(missing):
        raise InputError(
            "rwa",
            "has no counterparty row for some netting sets of the positions",
            failure_cases=missing[:5].tolist(),
            allowed="the compute_rwa() result of the same positions",
        )
    return lines.reindex(names.astype(str))


def _with_counterparties(sets: pd.DataFrame, counterparties: pd.DataFrame) -> pd.DataFrame:
    """``sets`` with the given counterparty id, sector or quality of the netting sets named."""
    if not isinstance(counterparties, pd.DataFrame) or "netting_set" not in counterparties.columns:
        raise InputError(
            "counterparties",
            "expected a DataFrame with a 'netting_set' column",
            allowed=COUNTERPARTY_OVERRIDES,
        )
    unknown = sorted(set(counterparties.columns) - {"netting_set", *COUNTERPARTY_OVERRIDES})
    if unknown:
        raise InputError("counterparties", f"unknown columns {unknown}", allowed=COUNTERPARTY_OVERRIDES)
    given = counterparties.set_index(counterparties["netting_set"].astype(str))
    stray = given.index.difference(pd.Index(sets["netting_set"]))
    if len(stray) or given.index.duplicated().any():
        raise InputError(
            "counterparties['netting_set']",
            "names a netting set the positions do not have, or one twice",
            failure_cases=[*stray[:5], *given.index[given.index.duplicated()][:5]],
        )
    out = sets.copy()
    for column in COUNTERPARTY_OVERRIDES:
        if column in given.columns:
            new = given[column].reindex(out["netting_set"]).to_numpy(dtype=object)
            keep = pd.isna(new)
            out[column] = np.where(keep, out[column].to_numpy(dtype=object), new)
    return out
