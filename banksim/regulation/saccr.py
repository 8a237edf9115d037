"""SA-CCR (CRE52): exposure at default of derivative netting sets, margined and unmargined.

``saccr_trades`` computes each trade's adjusted notional, supervisory delta, maturity factor and
effective notional; ``saccr_netting_sets`` aggregates them into add-ons, RC, PFE and EAD per set.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtr

from banksim.regulation._frame import fail, is_in, labels, map_values

__all__ = ["saccr_netting_sets", "saccr_trades"]

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


def netting_set_ids(frame: pd.DataFrame) -> np.ndarray:
    """A trade outside any netting agreement is its own netting set (CRE52.1)."""
    names = labels(frame, "netting_set")
    return np.where(names == "", frame["position_id"].to_numpy(dtype=str), names)


def saccr_trades(frame: pd.DataFrame, params: Mapping[str, Any]) -> pd.DataFrame:
    """Per-trade SA-CCR quantities of the derivative lines in ``frame`` (CRE52.30-52.53).

    Returns a frame indexed like ``frame`` with ``netting_set``, ``asset_class``, ``hedging_set``,
    ``supervisory_factor``, ``adjusted_notional``, ``delta``, ``maturity_factor`` (unmargined),
    ``maturity_factor_margined`` and the effective notional ``effective_notional`` = d x delta
    (the maturity factor is applied per netting set, which knows whether it is margined).
    """
    p = params["saccr"]
    asset_class = labels(frame, "saccr_asset_class")
    fail(frame, asset_class == "none", "saccr_asset_class", "is missing on derivative lines",
         allowed=["interest_rate", "fx", "credit", "equity", "commodity"])  # fmt: skip
    sub_class = labels(frame, "saccr_sub_class")
    for klass, allowed in SUB_CLASSES.items():
        fail(
            frame,
            (asset_class == klass) & ~np.isin(sub_class, allowed),
            "saccr_sub_class",
            f"does not select a supervisory factor for {klass} trades (CRE52.72 Table 2)",
            allowed=allowed,
        )
    hedging_set = labels(frame, "hedging_set")
    fail(frame, hedging_set == "", "hedging_set", "is empty on derivative lines",
         allowed="IR currency, FX pair 'BASE/QUOTE', reference entity or commodity type")  # fmt: skip

    # Time parameters and maturity factor (CRE52.31-32, CRE52.48-53, basel.md 9.13 and 9.2).
    year = p["days_per_year"]
    floor = p["maturity_floor_days"] / year
    maturity = frame["residual_maturity"].to_numpy()
    fail(frame, np.isnan(maturity), "residual_maturity", "is missing on derivative lines (M, CRE52.31)",
         allowed="years >= 0")  # fmt: skip
    maturity_factor = np.sqrt(np.minimum(np.maximum(maturity, floor), 1.0))
    mpor_floor = np.where(
        frame["mpor_extended"].to_numpy(), p["mpor_extended_floor_days"], p["mpor_floor_days"]
    )
    mpor = np.fmax(frame["mpor_days"].to_numpy(), mpor_floor)  # NaN input: the floor
    maturity_factor_margined = 1.5 * np.sqrt(mpor / year)

    # Adjusted notional (CRE52.34-36).
    start = frame["start_years"].to_numpy()
    end = frame["end_years"].to_numpy()
    notional = frame["notional"].to_numpy()
    dated = np.isin(asset_class, ("interest_rate", "credit"))
    fail(frame, dated & ~(end > start), "end_years",
         "must be after start_years on interest-rate and credit trades (E > S, CRE52.34)")  # fmt: skip
    rate = p["ir_discount_rate"]
    duration = np.maximum((np.exp(-rate * start) - np.exp(-rate * end)) / rate, floor)
    adjusted = np.where(dated, notional * duration, notional)

    # Supervisory factor, correlation and option volatility (CRE52.72 Table 2).
    factors = p["supervisory_factor"]
    factor_key = np.where(
        np.isin(asset_class, ("credit", "equity", "commodity")),
        np.char.add(np.char.add(asset_class, "_"), sub_class),
        asset_class,
    )
    supervisory_factor = map_values(factor_key, factors)
    single_or_index = np.where(np.char.startswith(sub_class, "index"), "index", "single_name")
    vol_key = np.select(
        [np.isin(asset_class, ("credit", "equity")), asset_class == "commodity"],
        [
            np.char.add(np.char.add(asset_class, "_"), single_or_index),
            np.where(sub_class == "electricity", "commodity_electricity", "commodity_other"),
        ],
        default=asset_class,
    )

    # Supervisory delta (CRE52.38-40, basel.md 9.2).
    option = ~is_in(frame, "option_type", "none")
    direction = labels(frame, "trade_direction")
    fail(frame, ~option & (direction == "none"), "trade_direction", "is missing on a linear derivative",
         allowed=["long", "short"])  # fmt: skip
    delta = np.where(direction == "short", -1.0, 1.0)
    if option.any():
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
        sigma = map_values(vol_key, p["option_volatility"])
        with np.errstate(divide="ignore", invalid="ignore"):
            d = (np.log(price / strike) + 0.5 * sigma**2 * expiry) / (sigma * np.sqrt(expiry))
        call = is_in(frame, "option_type", "call")
        bought = is_in(frame, "option_position", "bought")
        option_delta = np.select(
            [call & bought, call & ~bought, ~call & bought], [ndtr(d), -ndtr(d), -ndtr(-d)], default=ndtr(-d)
        )
        delta = np.where(option, option_delta, delta)

    return pd.DataFrame(
        {
            "position_id": frame["position_id"].to_numpy(),
            "netting_set": netting_set_ids(frame),
            "asset_class": asset_class,
            "sub_class": sub_class,
            "hedging_set": hedging_set,
            "ir_bucket": np.select(  # CRE52.56: B1 E < 1y, B2 1y <= E <= 5y, B3 E > 5y
                [end < p["ir_bucket_bounds"][0], end <= p["ir_bucket_bounds"][1]], [1, 2], default=3
            ),
            "supervisory_factor": supervisory_factor,
            "adjusted_notional": adjusted,
            "delta": delta,
            "maturity_factor": maturity_factor,
            "maturity_factor_margined": maturity_factor_margined,
            "effective_notional": adjusted * delta,
            "mtm": frame["mtm"].to_numpy(),
        },
        index=frame.index,
    )


def _add_ons(trades: pd.DataFrame, mf: np.ndarray, params: Mapping[str, Any]) -> pd.DataFrame:
    """Add-on per asset class and netting set for effective notionals D = d x delta x ``mf``."""
    p = params["saccr"]
    t = trades.assign(d=trades["effective_notional"].to_numpy() * mf)
    t["sfd"] = t["d"] * t["supervisory_factor"]
    out = pd.DataFrame(index=pd.Index(pd.unique(t["netting_set"]), name="netting_set"))

    ir = t[t["asset_class"] == "interest_rate"]
    if len(ir):
        buckets = ir.pivot_table(
            index=["netting_set", "hedging_set"],
            columns="ir_bucket",
            values="sfd",
            aggfunc="sum",
            fill_value=0.0,
        ).reindex(columns=[1, 2, 3], fill_value=0.0)
        d1, d2, d3 = (buckets[c].to_numpy() for c in (1, 2, 3))
        c12, c23, c13 = p["ir_bucket_correlations"]
        effective = np.sqrt(
            np.maximum(d1**2 + d2**2 + d3**2 + c12 * d1 * d2 + c23 * d2 * d3 + c13 * d1 * d3, 0)
        )
        out["add_on_interest_rate"] = pd.Series(effective, index=buckets.index).groupby(level=0).sum()

    fx = t[t["asset_class"] == "fx"]
    if len(fx):
        pair = fx.groupby(["netting_set", "hedging_set"], sort=False)["sfd"].sum().abs()
        out["add_on_fx"] = pair.groupby(level=0).sum()

    for klass, index_rho, single_rho in (
        ("credit", p["correlation"]["credit_index"], p["correlation"]["credit_single_name"]),
        ("equity", p["correlation"]["equity_index"], p["correlation"]["equity_single_name"]),
    ):
        rows = t[t["asset_class"] == klass]
        if not len(rows):
            continue
        rho = np.where(rows["sub_class"].str.startswith("index"), index_rho, single_rho)
        entity = (
            rows.assign(rho=rho)
            .groupby(["netting_set", "hedging_set"], sort=False)
            .agg(add_on=("sfd", "sum"), rho=("rho", "max"))
        )
        parts = (
            pd.DataFrame(
                {
                    "systematic": entity["rho"] * entity["add_on"],
                    "idiosyncratic": (1 - entity["rho"] ** 2) * entity["add_on"] ** 2,
                }
            )
            .groupby(level=0)
            .sum()
        )
        out[f"add_on_{klass}"] = np.sqrt(parts["systematic"] ** 2 + parts["idiosyncratic"])

    commodity = t[t["asset_class"] == "commodity"]
    if len(commodity):
        rho = p["correlation"]["commodity"]
        group = commodity["sub_class"].map(COMMODITY_HEDGING_SET)
        kind = (
            commodity.assign(group=group)
            .groupby(["netting_set", "group", "hedging_set"], sort=False)["sfd"]
            .sum()
        )
        sets = pd.DataFrame({"sum": kind, "square": kind**2}).groupby(level=[0, 1]).sum()
        per_set = np.sqrt((rho * sets["sum"]) ** 2 + (1 - rho**2) * sets["square"])
        out["add_on_commodity"] = per_set.groupby(level=0).sum()

    for klass in ("interest_rate", "fx", "credit", "equity", "commodity"):
        column = f"add_on_{klass}"
        out[column] = out[column].fillna(0.0) if column in out else 0.0
    out["add_on"] = out[
        [f"add_on_{k}" for k in ("interest_rate", "fx", "credit", "equity", "commodity")]
    ].sum(axis=1)
    return out


def saccr_netting_sets(frame: pd.DataFrame, params: Mapping[str, Any]) -> pd.DataFrame:
    """EAD of every netting set of the derivative lines in ``frame`` (CRE52.1-52.23).

    One row per netting set with V, C, RC, add-ons by asset class, multiplier, PFE and EAD; a
    margined set's EAD is capped at its unmargined EAD recomputed from the same trades, V and C
    (CRE52.2, basel.md 9.2). Netting-set fields (margining, collateral, TH, MTA, NICA, MPOR and
    the counterparty) must agree across the set's trades.
    """
    p = params["saccr"]
    trades = saccr_trades(frame, params)
    _check_fx_orderings(frame, trades)
    sets = frame.assign(_set=trades["netting_set"].to_numpy())
    first = sets.groupby("_set", sort=False, observed=True)[list(NETTING_SET_COLUMNS)].first()
    for column in NETTING_SET_COLUMNS:
        distinct = sets.groupby("_set", sort=False, observed=True)[column].nunique(dropna=False)
        fail(
            frame,
            sets["_set"].map(distinct).to_numpy() > 1,
            column,
            "differs between trades of one netting set; it is a property of the set",
        )

    margined = first["margined"].to_numpy(dtype=bool)
    mf_margined = trades["maturity_factor_margined"].to_numpy()
    trade_margined = sets["margined"].to_numpy(dtype=bool)
    unmargined_add_ons = _add_ons(trades, trades["maturity_factor"].to_numpy(), params).reindex(first.index)
    own_mf = np.where(trade_margined, mf_margined, trades["maturity_factor"].to_numpy())
    add_ons = _add_ons(trades, own_mf, params).reindex(first.index)

    value = trades.groupby("netting_set", sort=False)["mtm"].sum().reindex(first.index).to_numpy()
    collateral = first["collateral_held"].to_numpy(dtype=float)
    exposure = value - collateral
    margin_floor = (
        first["threshold_amount"].to_numpy(dtype=float)
        + first["minimum_transfer_amount"].to_numpy(dtype=float)
        - first["nica"].to_numpy(dtype=float)
    )

    def ead(add_on: np.ndarray, rc: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        f = p["floor_f"]
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            multiplier = np.minimum(1.0, f + (1 - f) * np.exp(exposure / (2 * (1 - f) * add_on)))
        multiplier = np.where(add_on > 0, multiplier, 1.0)
        pfe = multiplier * add_on
        return multiplier, pfe, p["alpha"] * (rc + pfe)

    rc_unmargined = np.maximum(exposure, 0.0)
    rc = np.where(margined, np.maximum(np.maximum(exposure, margin_floor), 0.0), rc_unmargined)
    multiplier, pfe, ead_own = ead(add_ons["add_on"].to_numpy(), rc)
    _, _, ead_unmargined = ead(unmargined_add_ons["add_on"].to_numpy(), rc_unmargined)
    result = first.drop(columns=["margined"]).assign(
        margined=margined,
        trades=trades.groupby("netting_set", sort=False).size().reindex(first.index).to_numpy(),
        mtm=value,
        replacement_cost=rc,
        **{c: add_ons[c].to_numpy() for c in add_ons.columns},
        multiplier=multiplier,
        pfe=pfe,
        ead_unmargined=ead_unmargined,
        ead=np.where(margined, np.minimum(ead_own, ead_unmargined), ead_own),
    )
    result.index.name = "netting_set"
    return result.reset_index()


def _check_fx_orderings(frame: pd.DataFrame, trades: pd.DataFrame) -> None:
    """All FX trades of one currency pair in a netting set use one ordering (basel.md 9.2)."""
    fx = trades["asset_class"].to_numpy() == "fx"
    if not fx.any():
        return
    pairs = trades.loc[fx, "hedging_set"]
    fail(frame.loc[fx], ~pairs.str.fullmatch(r"[A-Z]{3}/[A-Z]{3}").to_numpy(), "hedging_set",
         "of an FX trade must be a currency pair 'BASE/QUOTE'", allowed="e.g. 'EUR/USD'")  # fmt: skip
    parts = pairs.str.split("/", expand=True)
    unordered = np.where(parts[0] < parts[1], parts[0] + parts[1], parts[1] + parts[0])
    key = trades.loc[fx, "netting_set"] + "|" + unordered
    orderings = pairs.groupby(key.to_numpy()).nunique()
    mixed = key.map(orderings).to_numpy() > 1
    fail(
        frame.loc[fx],
        mixed,
        "hedging_set",
        "mixes orderings of one currency pair within a netting set; write each trade as one 'BASE/QUOTE'",
    )
