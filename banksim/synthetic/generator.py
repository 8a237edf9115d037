"""The synthetic bank: ``generate_positions`` builds a coherent, balanced bank with vectorised draws.

It sizes every product (counts, then amounts in integer cents so that the balance sheet balances
exactly), then describes the products (``products``) and adds derivatives (``derivatives``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from banksim.errors import InputError
from banksim.positions.vocabulary import OWN_FUNDS_PRODUCTS, PRODUCTS, SIDES
from banksim.synthetic.config import check_bank_arguments
from banksim.synthetic.derivatives import derivatives
from banksim.synthetic.products import describe_products, flag_infrastructure
from banksim.synthetic.profiles import COUNT_WEIGHT, PRODUCT_SIDE, PROFILES, RWA_DENSITY
from banksim.synthetic.protection import describe_crm_inputs
from banksim.synthetic.rates_and_stages import describe_rates_and_stages
from banksim.synthetic.table import Columns, position_ids

__all__ = ["generate_positions"]


def generate_positions(
    num_positions: int,
    seed: int,
    config: Mapping[str, Any] | None = None,
    include_derivatives: bool = False,
) -> pd.DataFrame:
    """Generate a synthetic bank of ``num_positions`` positions plus its three own-funds rows.

    The balance sheet balances to the cent (assets = liabilities + equity); own funds are set
    at the configured ratios of an approximate RWA unless given in currency. The same inputs
    give the same frame in any process.

    Parameters
    ----------
    num_positions : int
        Business positions (1 to 10 million); the frame has three more rows (CET1, AT1, Tier 2).
    seed : int
        Seed of the numpy ``Generator``, 0 to 2**63 - 1: the seed is a cache-key argument, kept in a
        64-bit integer column by the store and its queries.
    config : dict, optional
        Overrides of ``DEFAULT_CONFIG`` (profile, size, mix, ratings, currency, own funds).
    include_derivatives : bool
        Add derivative trades with SA-CCR fields.

    Returns
    -------
    pandas.DataFrame
        A table that passes :func:`validate_positions`.

    Notes
    -----
    ``config["profile"]`` picks the balance-sheet mix (:data:`PROFILES`): ``"universal"`` (the
    default), ``"retail"`` (mortgages and retail deposits) or ``"wholesale"`` (corporate lending,
    operational and corporate deposits, bonds). Every profile, with or without derivatives,
    lands at a CET1 ratio of 10-18%, an LCR of 110-250% and an NSFR of 100-140%
    (``tests/test_portfolio.py``); seen at 50k positions: universal 13% / 190-199% / 115%,
    retail 11-12% / 214-219% / 126%, wholesale 14% / 216-225% / 106%.
    """
    cfg = check_bank_arguments(num_positions, seed, config, include_derivatives)
    rng = np.random.default_rng(int(seed))
    shares = {side: dict(weights) for side, weights in PROFILES[cfg["profile"]].items()}
    for product, weight in cfg["mix"].items():
        shares[PRODUCT_SIDE[product]][product] = float(weight)
    blocks = _product_blocks(rng, shares, int(num_positions), include_derivatives)
    rows = sum(len(block) for block in blocks.values())
    cols = Columns(rows)
    names = list(blocks)
    sizes = [len(blocks[name]) for name in names]
    products = np.repeat(np.array([PRODUCTS.index(name) for name in names], dtype=np.int16), sizes)
    sides = np.array([SIDES.index(PRODUCT_SIDE[name]) for name in names], dtype=np.int16)
    cols.set(slice(None), side=np.repeat(sides, sizes), product=products)
    _amounts(cols, blocks, shares, rng, cfg)
    describe_products(cols, blocks, rng, cfg)
    if include_derivatives:
        derivatives(cols, blocks["derivative"], rng, cfg)
    flag_infrastructure(cols, blocks, np.random.default_rng([int(seed), 501]))  # its own stream
    describe_rates_and_stages(cols, blocks, np.random.default_rng([int(seed), 9]))  # its own stream
    describe_crm_inputs(cols, blocks, np.random.default_rng([int(seed), 19]))  # its own stream
    return cols.frame(position_ids(rows))


def _product_blocks(
    rng: np.random.Generator,
    shares: dict[str, dict[str, float]],
    num_positions: int,
    include_derivatives: bool,
) -> dict[str, np.ndarray]:
    """The rows of each product, in one contiguous block per product, own-funds rows last."""
    catalogue = [
        p for side in ("asset", "liability", "off_balance") for p, w in shares[side].items() if w > 0
    ]
    if include_derivatives:
        catalogue.append("derivative")
    count_weights = np.array([COUNT_WEIGHT[p] for p in catalogue])
    counts = rng.multinomial(num_positions, count_weights / count_weights.sum())
    if num_positions >= 4 * len(catalogue):  # a bank of some size holds every product of its profile
        for i in np.flatnonzero(counts == 0):
            counts[int(np.argmax(counts))] -= 1
            counts[i] = 1
    if not any(counts[i] for i, p in enumerate(catalogue) if PRODUCT_SIDE[p] == "asset"):
        donor = int(np.argmax(counts))
        counts[donor] -= 1
        counts[catalogue.index(max(shares["asset"], key=lambda p: shares["asset"][p]))] += 1
    names = [*catalogue, *OWN_FUNDS_PRODUCTS]
    sizes = np.append(counts, [1, 1, 1])
    ends = np.cumsum(sizes)
    return {name: np.arange(end - size, end) for name, size, end in zip(names, sizes, ends, strict=True)}


def _amounts(
    cols: Columns,
    blocks: dict[str, np.ndarray],
    shares: dict[str, dict[str, float]],
    rng: np.random.Generator,
    cfg: dict[str, Any],
) -> None:
    """Drawn and off-balance amounts, in integer cents so that the balance sheet balances exactly.

    Assets add up to ``total_assets``; own funds are set at the configured ratios of an approximate
    RWA (or given in currency); liabilities fund the rest.
    """
    cents = np.zeros(cols.rows, dtype=np.int64)
    spread = rng.lognormal(0.0, 0.9, cols.rows)
    total_asset_cents = round(cfg["total_assets"] * 100)
    present = {  # the business products the bank holds, by side (own funds are set apart)
        side: [
            p for p in blocks if PRODUCT_SIDE[p] == side and len(blocks[p]) and p not in OWN_FUNDS_PRODUCTS
        ]
        for side in ("asset", "liability", "off_balance")
    }

    def allocate(side: str, total: int) -> None:
        weights = np.array([shares[side][p] for p in present[side]])
        if not len(weights):
            return
        for product, product_cents in zip(present[side], _to_cents(weights, total), strict=True):
            mask = blocks[product]
            cents[mask] = _to_cents(spread[mask], int(product_cents))

    allocate("asset", total_asset_cents)
    capital = _own_funds_cents({p: cents[blocks[p]].sum() / 100 for p in present["asset"]}, cfg)
    liability_cents = total_asset_cents - capital["cet1"] - capital["at1"] - capital["tier2"]
    if liability_cents < 0:
        raise InputError(
            "config['own_funds']", "own funds exceed total assets; lower them or raise total_assets"
        )
    if present["liability"]:
        allocate("liability", liability_cents)
    else:  # no funding positions (a tiny bank): equity funds everything
        capital["cet1"] += liability_cents
    cents[-3:] = [capital["cet1"], capital["at1"], capital["tier2"]]
    allocate("off_balance", round(cfg["off_balance_share"] * cfg["total_assets"] * 100))
    is_off = np.zeros(cols.rows, dtype=bool)
    for product in present["off_balance"]:
        is_off[blocks[product]] = True
    cols.set(~is_off, drawn_amount=cents[~is_off] / 100)
    cols.set(is_off, off_balance_amount=cents[is_off] / 100)


def _own_funds_cents(asset_amounts: dict[str, float], cfg: dict[str, Any]) -> dict[str, int]:
    """CET1, AT1 and Tier 2 in cents: given amounts, or the configured ratios of an approximate RWA."""
    approx_rwa = (
        1.12 * sum(RWA_DENSITY.get(p, 0.0) * a for p, a in asset_amounts.items())
        + 0.3 * cfg["off_balance_share"] * cfg["total_assets"]
    )
    own = cfg["own_funds"]
    capital = {}
    for name in ("cet1", "at1", "tier2"):
        amount = own.get(name)
        capital[name] = round((amount if amount is not None else own[f"{name}_ratio"] * approx_rwa) * 100)
    return capital


def _to_cents(weights: np.ndarray, total_cents: int) -> np.ndarray:
    """Split ``total_cents`` in proportion to ``weights``; the sum is exact."""
    if len(weights) == 0:
        return np.zeros(0, dtype=np.int64)
    cents = np.floor(weights / weights.sum() * total_cents).astype(np.int64)
    cents[np.argmax(weights)] += total_cents - int(cents.sum())
    return cents
