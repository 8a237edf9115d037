"""SA-CCR (CRE52): exposure at default of derivative netting sets, margined and unmargined.

``saccr_trades`` computes each trade's adjusted notional, supervisory delta, maturity factors and
supervisory factor; ``saccr_netting_sets`` aggregates them into add-ons, RC, PFE and EAD per set.
Grouping works on integer codes of the netting and hedging sets (no strings per trade).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from banksim.positions.vocabulary import DERIVATIVE_ASSET_CLASSES, SACCR_SUB_CLASSES
from banksim.regulation._frame import fail, is_in

__all__ = ["netting_set_codes", "netting_set_ids", "saccr_netting_sets", "saccr_trades"]

COMMODITY_HEDGING_SET = {
    "electricity": "energy",
    "oil_gas": "energy",
    "metals": "metals",
    "agricultural": "agricultural",
    "other": "other",
}
SUB_CLASSES = {
    "credit": ("AAA", "AA", "A", "BBB", "BB", "B", "CCC", "index_ig", "index_sg"),
    "equity": ("single_name", "index"),
    "commodity": tuple(COMMODITY_HEDGING_SET),
}
NETTING_SET_COLUMNS = (
    "margined",
    "collateral_held",
    "threshold_amount",
    "minimum_transfer_amount",
    "nica",
    "mpor_days",
    "mpor_extended",
    "counterparty_type",
    "rating",
    "scra_grade",
)


def _row_factors(params: Mapping[str, Any]) -> dict[str, dict[tuple[str, str], float]]:
    """Supervisory factor, correlation and option volatility per (asset class, sub-class) (Table 2)."""
    p = params["saccr"]
    sf, rho, vol = p["supervisory_factor"], p["correlation"], p["option_volatility"]
    rows: dict[str, dict[tuple[str, str], float]] = {"sf": {}, "rho": {}, "vol": {}}
    for sub in SACCR_SUB_CLASSES:
        for klass in ("interest_rate", "fx"):
            rows["sf"][klass, sub] = sf[klass]
            rows["vol"][klass, sub] = vol[klass]
    for klass in ("credit", "equity"):
        for sub in SUB_CLASSES[klass]:
            kind = "index" if sub.startswith("index") else "single_name"
            rows["sf"][klass, sub] = sf[f"{klass}_{sub}"]
            rows["rho"][klass, sub] = rho[f"{klass}_{kind}"]
            rows["vol"][klass, sub] = vol[f"{klass}_{kind}"]
    for sub in SUB_CLASSES["commodity"]:
        rows["sf"]["commodity", sub] = sf[f"commodity_{sub}"]
        rows["rho"]["commodity", sub] = rho["commodity"]
        rows["vol"]["commodity", sub] = vol[
            "commodity_electricity" if sub == "electricity" else "commodity_other"
        ]
    return rows


def _by_class_and_sub(frame: pd.DataFrame, table: Mapping[tuple[str, str], float]) -> np.ndarray:
    klass, sub = frame["saccr_asset_class"], frame["saccr_sub_class"]
    matrix = np.full((len(klass.cat.categories) + 1, len(sub.cat.categories) + 1), np.nan)
    for i, k in enumerate(klass.cat.categories):
        for j, s in enumerate(sub.cat.categories):
            matrix[i, j] = table.get((str(k), str(s)), np.nan)
    return matrix[klass.cat.codes.to_numpy(), sub.cat.codes.to_numpy()]


def _codes(frame: pd.DataFrame, column: str) -> np.ndarray:
    return frame[column].cat.codes.to_numpy().astype(np.int64)


def netting_set_ids(frame: pd.DataFrame) -> np.ndarray:
    """A trade outside any netting agreement is its own netting set (CRE52.1)."""
    names = frame["netting_set"].astype(str).to_numpy(dtype=object)
    return np.where(names == "", frame["position_id"].to_numpy(dtype=object), names)


def netting_set_codes(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Integer netting-set code per trade and each set's name (the label, or the position id)."""
    label = _codes(frame, "netting_set")
    categories = frame["netting_set"].cat.categories
    blank = categories.get_loc("") if "" in categories else -2
    own = label == blank
    key = np.where(own, len(categories) + np.arange(len(frame)), label)
    codes, uniques = pd.factorize(key, sort=False)
    first_row = np.zeros(len(uniques), dtype=np.int64)
    first_row[codes[::-1]] = np.arange(len(frame))[::-1]
    first_label = label[first_row]
    names = np.where(
        own[first_row],
        frame["position_id"].to_numpy(dtype=object)[first_row],
        np.asarray(categories, dtype=object)[np.clip(first_label, 0, None)],
    )
    return codes.astype(np.int64), names


def saccr_trades(frame: pd.DataFrame, params: Mapping[str, Any]) -> pd.DataFrame:
    """Per-trade SA-CCR quantities of the derivative lines in ``frame`` (CRE52.30-52.53).

    Returns a frame indexed like ``frame`` with ``netting_set``, ``asset_class``, ``sub_class``,
    ``hedging_set``, ``ir_bucket``, ``supervisory_factor``, ``correlation``, ``adjusted_notional``
    (d), ``delta``, ``maturity_factor`` (unmargined), ``maturity_factor_margined`` and
    ``effective_notional`` = d x delta (the maturity factor is applied per netting set, which
    knows whether it is margined).
    """
    p = params["saccr"]
    rows = _row_factors(params)
    asset_class = frame["saccr_asset_class"]
    fail(
        frame,
        is_in(frame, "saccr_asset_class", "none"),
        "saccr_asset_class",
        "is missing on derivative lines",
        allowed=DERIVATIVE_ASSET_CLASSES,
    )
    supervisory_factor = _by_class_and_sub(frame, rows["sf"])
    for klass, allowed in SUB_CLASSES.items():
        fail(
            frame,
            is_in(frame, "saccr_asset_class", klass) & np.isnan(supervisory_factor),
            "saccr_sub_class",
            f"does not select a supervisory factor for {klass} trades (CRE52.72 Table 2)",
            allowed=allowed,
        )
    fail(frame, is_in(frame, "hedging_set", ""), "hedging_set", "is empty on derivative lines",
         allowed="IR currency, FX pair 'BASE/QUOTE', reference entity or commodity type")  # fmt: skip

    # Time parameters and maturity factors (CRE52.31-32, CRE52.48-53, methodology C.13 and C.2).
    year = p["days_per_year"]
    floor = p["maturity_floor_days"] / year
    maturity = frame["residual_maturity"].to_numpy()
    fail(frame, np.isnan(maturity), "residual_maturity", "is missing on derivative lines (M, CRE52.31)",
         allowed="years >= 0")  # fmt: skip
    maturity_factor = np.sqrt(np.minimum(np.maximum(maturity, floor), 1.0))
    mpor_floor = np.where(
        frame["mpor_extended"].to_numpy(), p["mpor_extended_floor_days"], p["mpor_floor_days"]
    )
    mpor = np.fmax(frame["mpor_days"].to_numpy(), mpor_floor)  # a missing MPOR is the floor
    maturity_factor_margined = 1.5 * np.sqrt(mpor / year)

    # Adjusted notional (CRE52.34-36).
    start = frame["start_years"].to_numpy()
    end = frame["end_years"].to_numpy()
    notional = frame["notional"].to_numpy()
    dated = is_in(frame, "saccr_asset_class", "interest_rate", "credit")
    fail(frame, dated & ~(end > start), "end_years",
         "must be after start_years on interest-rate and credit trades (E > S, CRE52.34)")  # fmt: skip
    rate = p["ir_discount_rate"]
    duration = np.maximum((np.exp(-rate * start) - np.exp(-rate * end)) / rate, floor)
    adjusted = np.where(dated, notional * duration, notional)

    # Supervisory delta (CRE52.38-40, methodology C.2).
    option = ~is_in(frame, "option_type", "none")
    direction_missing = is_in(frame, "trade_direction", "none")
    fail(frame, ~option & direction_missing, "trade_direction", "is missing on a linear derivative",
         allowed=["long", "short"])  # fmt: skip
    delta = np.where(is_in(frame, "trade_direction", "short"), -1.0, 1.0)
    if option.any():
        from scipy.special import ndtr  # loaded on first use: keeps `import banksim` light

        fail(frame, option & is_in(frame, "option_position", "none"), "option_position",
             "is missing on an option", allowed=["bought", "sold"])  # fmt: skip
        price = frame["underlying_price"].to_numpy()
        strike = frame["strike_price"].to_numpy()
        expiry = frame["option_expiry"].to_numpy()
        for column, values in (
            ("underlying_price", price),
            ("strike_price", strike),
            ("option_expiry", expiry),
        ):
            fail(frame, option & ~(values > 0), column, "must be > 0 on options (CRE52.40)")
        sigma = _by_class_and_sub(frame, rows["vol"])
        with np.errstate(divide="ignore", invalid="ignore"):
            d = (np.log(price / strike) + 0.5 * sigma**2 * expiry) / (sigma * np.sqrt(expiry))
        call = is_in(frame, "option_type", "call")
        bought = is_in(frame, "option_position", "bought")
        option_delta = np.select(
            [call & bought, call & ~bought, ~call & bought], [ndtr(d), -ndtr(d), -ndtr(-d)], default=ndtr(-d)
        )
        delta = np.where(option, option_delta, delta)

    low, high = p["ir_bucket_bounds"]
    return pd.DataFrame(
        {
            "position_id": frame["position_id"].array,
            "netting_set": netting_set_ids(frame),
            "asset_class": asset_class.array,
            "sub_class": frame["saccr_sub_class"].array,
            "hedging_set": frame["hedging_set"].array,
            "ir_bucket": np.select([end < low, end <= high], [1, 2], default=3),  # CRE52.56
            "supervisory_factor": supervisory_factor,
            "correlation": _by_class_and_sub(frame, rows["rho"]),
            "adjusted_notional": adjusted,
            "delta": delta,
            "maturity_factor": maturity_factor,
            "maturity_factor_margined": maturity_factor_margined,
            "effective_notional": adjusted * delta,
            "mtm": frame["mtm"].to_numpy(),
        },
        index=frame.index,
    )


def _sum_by(key: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct keys and the sum of ``values`` per key."""
    distinct, inverse = np.unique(key, return_inverse=True)
    return distinct, np.bincount(inverse, weights=values, minlength=len(distinct))


def _add_ons(
    klass: np.ndarray, sets: np.ndarray, n_sets: int, hedge: np.ndarray, n_hedges: int, trades: pd.DataFrame,
    d: np.ndarray, params: Mapping[str, Any],
) -> dict[str, np.ndarray]:  # fmt: skip
    """Add-on per asset class and netting set for effective notionals ``d`` (CRE52.56-52.71)."""
    p = params["saccr"]
    sfd = d * trades["supervisory_factor"].to_numpy()
    out = {}

    ir = klass == DERIVATIVE_ASSET_CLASSES.index("interest_rate")
    pair = sets[ir] * n_hedges + hedge[ir]
    keys, sums = _sum_by(pair * 3 + trades["ir_bucket"].to_numpy()[ir] - 1, sfd[ir])
    pairs, slot = np.unique(keys // 3, return_inverse=True)
    buckets = np.zeros((len(pairs), 3))
    buckets[slot, keys % 3] = sums
    d1, d2, d3 = buckets.T
    c12, c23, c13 = p["ir_bucket_correlations"]
    effective = np.sqrt(
        np.maximum(d1**2 + d2**2 + d3**2 + c12 * d1 * d2 + c23 * d2 * d3 + c13 * d1 * d3, 0.0)
    )
    out["interest_rate"] = np.bincount(pairs // n_hedges, weights=effective, minlength=n_sets)

    fx = klass == DERIVATIVE_ASSET_CLASSES.index("fx")
    keys, sums = _sum_by(sets[fx] * n_hedges + hedge[fx], sfd[fx])
    out["fx"] = np.bincount(keys // n_hedges, weights=np.abs(sums), minlength=n_sets)

    rho = trades["correlation"].to_numpy()
    for name in ("credit", "equity"):
        mask = klass == DERIVATIVE_ASSET_CLASSES.index(name)
        keys, entity = _sum_by(sets[mask] * n_hedges + hedge[mask], sfd[mask])
        entity_rho = np.zeros(len(keys))
        np.maximum.at(entity_rho, np.searchsorted(keys, sets[mask] * n_hedges + hedge[mask]), rho[mask])
        owner = keys // n_hedges
        systematic = np.bincount(owner, weights=entity_rho * entity, minlength=n_sets)
        idiosyncratic = np.bincount(owner, weights=(1 - entity_rho**2) * entity**2, minlength=n_sets)
        out[name] = np.sqrt(systematic**2 + idiosyncratic)

    commodity = klass == DERIVATIVE_ASSET_CLASSES.index("commodity")
    groups = list(dict.fromkeys(COMMODITY_HEDGING_SET.values()))  # energy, metals, agricultural, other
    group_of_sub = {sub: groups.index(group) for sub, group in COMMODITY_HEDGING_SET.items()}
    sub = trades["sub_class"]
    group_table = np.array([group_of_sub.get(str(c), 0) for c in sub.cat.categories] + [0])
    group = group_table[sub.cat.codes.to_numpy()[commodity]]
    n_groups = len(groups)
    type_keys, type_add_on = _sum_by(
        (sets[commodity] * n_groups + group) * n_hedges + hedge[commodity], sfd[commodity]
    )
    set_group = type_keys // n_hedges
    keys, total = _sum_by(set_group, type_add_on)
    _, squares = _sum_by(set_group, type_add_on**2)
    c = p["correlation"]["commodity"]
    per_group = np.sqrt((c * total) ** 2 + (1 - c**2) * squares)
    out["commodity"] = np.bincount(keys // n_groups, weights=per_group, minlength=n_sets)
    return out


def saccr_netting_sets(frame: pd.DataFrame, params: Mapping[str, Any]) -> pd.DataFrame:
    """EAD of every netting set of the derivative lines in ``frame`` (CRE52.1-52.23).

    One row per netting set with V, C, RC, add-ons by asset class, multiplier, PFE and EAD; a
    margined set's EAD is capped at its unmargined EAD recomputed from the same trades, V and C
    (CRE52.2, methodology C.2; ``margined_cap_binding`` where the cap lowered it). Netting-set
    fields (margining, collateral, TH, MTA, NICA, MPOR and the counterparty) must agree across the
    set's trades.
    """
    p = params["saccr"]
    trades = saccr_trades(frame, params)
    sets, names = netting_set_codes(frame)
    n_sets = len(names)
    order = np.argsort(sets, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(sets[order]) != 0])
    first_row = order[starts]  # set codes are 0..n_sets-1: sorted set k starts at starts[k]
    for column in NETTING_SET_COLUMNS:
        _check_same_within_sets(frame, column, sets, order, starts)
    _check_fx_orderings(frame, sets)

    klass = _codes(trades, "asset_class")
    klass = np.array([DERIVATIVE_ASSET_CLASSES.index(str(c)) if c in DERIVATIVE_ASSET_CLASSES else -1
                      for c in trades["asset_class"].cat.categories] + [-1])[klass]  # fmt: skip
    hedge = _codes(frame, "hedging_set")
    n_hedges = len(frame["hedging_set"].cat.categories) + 1
    margined_trade = frame["margined"].to_numpy(dtype=bool)
    mf = trades["maturity_factor"].to_numpy()
    effective = trades["effective_notional"].to_numpy()
    own_mf = np.where(margined_trade, trades["maturity_factor_margined"].to_numpy(), mf)
    args = (klass, sets, n_sets, hedge, n_hedges, trades)
    add_ons = _add_ons(*args, effective * own_mf, params)
    unmargined_add_ons = _add_ons(*args, effective * mf, params)
    add_on = np.sum(list(add_ons.values()), axis=0)
    add_on_unmargined = np.sum(list(unmargined_add_ons.values()), axis=0)

    def at_sets(column: str) -> np.ndarray:
        return frame[column].to_numpy()[first_row]

    margined = at_sets("margined").astype(bool)
    value = np.bincount(sets, weights=trades["mtm"].to_numpy(), minlength=n_sets)
    exposure = value - at_sets("collateral_held")
    margin_floor = at_sets("threshold_amount") + at_sets("minimum_transfer_amount") - at_sets("nica")

    def ead(add_on: np.ndarray, rc: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        f = p["floor_f"]
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            multiplier = np.minimum(1.0, f + (1 - f) * np.exp(exposure / (2 * (1 - f) * add_on)))
        multiplier = np.where(add_on > 0, multiplier, 1.0)  # methodology C.2: no add-on, multiplier 1
        pfe = multiplier * add_on
        return multiplier, pfe, p["alpha"] * (rc + pfe)

    rc_unmargined = np.maximum(exposure, 0.0)  # CRE52.10
    rc = np.where(margined, np.maximum(np.maximum(exposure, margin_floor), 0.0), rc_unmargined)  # CRE52.18
    multiplier, pfe, ead_own = ead(add_on, rc)
    _, _, ead_unmargined = ead(add_on_unmargined, rc_unmargined)
    result = pd.DataFrame({"netting_set": names})
    for column in NETTING_SET_COLUMNS:
        result[column] = frame[column].iloc[first_row].to_numpy()
    return result.assign(
        trades=np.bincount(sets, minlength=n_sets),
        mtm=value,
        replacement_cost=rc,
        **{f"add_on_{name}": values for name, values in add_ons.items()},
        add_on=add_on,
        multiplier=multiplier,
        pfe=pfe,
        ead_unmargined=ead_unmargined,
        ead=np.where(margined, np.minimum(ead_own, ead_unmargined), ead_own),  # CRE52.2
        margined_cap_binding=margined & (ead_unmargined < ead_own),
    )


def _check_same_within_sets(
    frame: pd.DataFrame, column: str, sets: np.ndarray, order: np.ndarray, starts: np.ndarray
) -> None:
    """Fail if ``column`` takes more than one value within a netting set (NaN counts as a value)."""
    series = frame[column]
    if isinstance(series.dtype, pd.CategoricalDtype):
        values = series.cat.codes.to_numpy().astype(float)
    else:
        values = np.nan_to_num(series.to_numpy(dtype=float), nan=-np.inf)
    ordered = values[order]
    differs = np.minimum.reduceat(ordered, starts) != np.maximum.reduceat(ordered, starts)
    fail(
        frame, differs[sets], column, "differs between trades of one netting set; it is a property of the set"
    )


def _check_fx_orderings(frame: pd.DataFrame, sets: np.ndarray) -> None:
    """All FX trades of one currency pair in a netting set use one ordering (methodology C.2)."""
    fx = is_in(frame, "saccr_asset_class", "fx")
    if not fx.any():
        return
    categories = pd.Series(frame["hedging_set"].cat.categories.astype(str))
    valid = categories.str.fullmatch(r"[A-Z]{3}/[A-Z]{3}").to_numpy()
    code = frame["hedging_set"].cat.codes.to_numpy()
    fail(frame, fx & ~valid[code], "hedging_set", "of an FX trade must be a currency pair 'BASE/QUOTE'",
         allowed="e.g. 'EUR/USD'")  # fmt: skip
    unordered = categories.map(lambda pair: "/".join(sorted(pair.split("/"))))
    unordered_code = pd.factorize(unordered)[0][code]
    key = sets * (len(categories) + 1) + unordered_code
    rows = np.flatnonzero(fx)
    frame_fx = pd.DataFrame({"key": key[rows], "code": code[rows]})
    orderings = frame_fx.groupby("key")["code"].transform("nunique").to_numpy()
    mixed = np.zeros(len(frame), dtype=bool)
    mixed[rows] = orderings > 1
    fail(
        frame,
        mixed,
        "hedging_set",
        "mixes orderings of one currency pair within a netting set; write each trade as one 'BASE/QUOTE'",
    )
