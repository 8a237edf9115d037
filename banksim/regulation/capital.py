"""Capital adequacy (RBC20-RBC40, LEV): ratios on floored RWA, the buffer stack, MDA and leverage.

``capital_adequacy`` turns an RWA table (from :func:`risk_weighted_assets`) and own funds into one
statement; ``capital_statement`` shows it as a table named after COREP C 01.00 / C 02.00 / C 03.00
and C 47.00 where a row exists.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypedDict, cast

import numpy as np
import pandas as pd

from banksim.errors import InputError
from banksim.positions.vocabulary import PRIVATE_SECTOR_COUNTERPARTIES
from banksim.regulation._frame import is_in
from banksim.regulation.parameters import regulatory_parameters
from banksim.regulation.provisions import provision_rows, with_provisions
from banksim.regulation.rwa import output_floor

__all__ = [
    "BufferSettings",
    "Buffers",
    "CapitalAdequacy",
    "Leverage",
    "Mda",
    "OwnFunds",
    "Ratios",
    "Requirement",
    "RwaTotals",
    "buffer_stack",
    "capital_adequacy",
    "capital_ratios",
    "capital_statement",
    "countercyclical_buffer",
    "leverage_measure",
    "leverage_requirements",
    "maximum_distributable_amount",
    "own_funds_after_deductions",
    "risk_based_requirements",
    "rwa_totals",
]

OWN_FUNDS_ITEMS = ("cet1", "at1", "tier2", "cet1_deductions")


@dataclass(frozen=True)
class BufferSettings:
    """The bank-specific inputs of the buffer stack (rates are decimals).

    Parameters
    ----------
    countercyclical_rates : dict
        Jurisdiction (``country`` code of the RWA lines) to CCyB rate, 0 to 2.5%; a jurisdiction
        not named takes ``parameters["capital"]["countercyclical_rates"]`` (a preset's), else 0.
    gsib_bucket : int
        0 (not a G-SIB) or the G-SIB bucket 1-5 (RBC40.4).
    dsib_rate : float
        D-SIB higher loss absorbency set nationally (0 if none).
    pillar2_rate : float
        Pillar 2 requirement as a share of RWA (0 if none); not part of the MDA test (Basel).
    """

    countercyclical_rates: Mapping[str, float] | None = None
    gsib_bucket: int = 0
    dsib_rate: float = 0.0
    pillar2_rate: float = 0.0


class OwnFunds(TypedDict):
    """Own funds after deductions (C 01.00); amounts in the reporting currency."""

    cet1_before_deductions: float
    cet1_deductions: float
    cet1: float
    at1: float
    tier1: float
    tier2: float
    total_capital: float


class RwaTotals(TypedDict):
    """RWA by risk type and the output floor (C 02.00, RBC20.11-13, RBC90.1-2).

    ``cva`` and ``market_risk`` (MAR50, MAR40) count in both the pre-floor total and the floor base
    (RBC20.11, methodology 1.2); statements stored before they existed read as 0 there.
    """

    credit: float
    counterparty: float
    cva: float
    market_risk: float
    operational: float
    pre_floor_rwa: float
    standardised_rwa: float
    floor_rate: float
    floor_amount: float
    floored_rwa: float
    floor_binding: bool
    transitional_cap_binding: bool
    floor_add_on: float


class Ratios(TypedDict):
    """Capital ratios on floored RWA (C 03.00)."""

    cet1_ratio: float
    tier1_ratio: float
    total_capital_ratio: float


class Buffers(TypedDict):
    """The buffer stack as decimals of RWA (RBC30, RBC40)."""

    conservation: float
    countercyclical: float
    countercyclical_weights: dict[str, float]
    gsib: float
    dsib: float
    systemic: float
    combined_buffer_requirement: float
    pillar2: float


class Requirement(TypedDict):
    """One requirement, the ratio held against it and the surplus in points and currency."""

    requirement: str
    capital: str
    required_ratio: float
    ratio: float
    surplus_points: float
    surplus_amount: float
    met: bool
    rule: str


class Mda(TypedDict):
    """The maximum distributable amount test (RBC30.4, LEV40.4, methodology 1.4 and C.11)."""

    cet1_used_for_minima: float
    cet1_ratio_for_mda: float
    buffer_range: list[float]
    quartile: int
    minimum_breached: bool
    risk_based_conservation_ratio: float
    leverage_quartile: int | None
    leverage_conservation_ratio: float | None
    conservation_ratio: float
    maximum_payout_ratio: float
    binding_constraint: str


class Leverage(TypedDict):
    """The leverage ratio and its requirement (LEV20-LEV40)."""

    tier1: float
    exposure_measure: float
    trading_book_exposure: float  # of which the trading book's (methodology C.48)
    leverage_ratio: float
    minimum: float
    gsib_buffer: float
    requirement: float
    minimum_met: bool


class CapitalAdequacy(TypedDict):
    """The capital statement of :func:`capital_adequacy`: a plain dict at run time (stored as JSON)."""

    own_funds: OwnFunds
    rwa: RwaTotals
    ratios: Ratios
    buffers: Buffers
    requirements: list[Requirement]
    mda: Mda
    leverage: Leverage


def _check_settings(
    buffers: BufferSettings | Mapping[str, Any] | None, cap: Mapping[str, Any]
) -> BufferSettings:
    if buffers is None:
        return BufferSettings()
    if isinstance(buffers, Mapping):
        unknown = sorted(set(buffers) - set(BufferSettings.__dataclass_fields__))
        if unknown:
            raise InputError(
                "buffers", f"unknown keys {unknown}", allowed=list(BufferSettings.__dataclass_fields__)
            )
        buffers = BufferSettings(**buffers)
    if not isinstance(buffers, BufferSettings):
        raise InputError("buffers", f"expected BufferSettings or a dict, got {type(buffers).__name__}")
    rates = dict(buffers.countercyclical_rates or {})
    bad = {
        k: v
        for k, v in rates.items()
        if not isinstance(v, int | float) or not 0 <= v <= cap["countercyclical_maximum"]
    }
    if bad:
        raise InputError(
            "buffers.countercyclical_rates",
            "rates must be between 0 and 2.5% (RBC30.9)",
            failure_cases=[f"{k}: {v!r}" for k, v in bad.items()],
            allowed="0 <= rate <= 0.025",
        )
    if buffers.gsib_bucket not in (0, 1, 2, 3, 4, 5) or isinstance(buffers.gsib_bucket, bool):
        raise InputError(
            "buffers.gsib_bucket", f"got {buffers.gsib_bucket!r}", allowed="0 (none) or 1-5 (RBC40.4)"
        )
    for name, upper in (("dsib_rate", cap["dsib_maximum"]), ("pillar2_rate", cap["pillar2_maximum"])):
        value = getattr(buffers, name)
        if not isinstance(value, int | float) or not 0 <= value <= upper:
            raise InputError(f"buffers.{name}", f"must be between 0 and {upper:g}, got {value!r}")
    return buffers


def _check_own_funds(own_funds: Mapping[str, float] | pd.DataFrame) -> dict[str, float]:
    if isinstance(own_funds, pd.DataFrame):
        if not {"item", "amount"} <= set(own_funds.columns):
            raise InputError(
                "own_funds", "a DataFrame needs the columns 'item' and 'amount'", allowed=OWN_FUNDS_ITEMS
            )
        own_funds = dict(zip(own_funds["item"].astype(str), own_funds["amount"], strict=True))
    if not isinstance(own_funds, Mapping):
        raise InputError("own_funds", f"expected a dict or a DataFrame, got {type(own_funds).__name__}")
    unknown = sorted(set(own_funds) - set(OWN_FUNDS_ITEMS))
    if unknown:
        raise InputError("own_funds", f"unknown items {unknown}", allowed=OWN_FUNDS_ITEMS)
    if "cet1" not in own_funds:
        raise InputError("own_funds", "needs 'cet1'", allowed=OWN_FUNDS_ITEMS)
    values = {item: own_funds.get(item, 0.0) for item in OWN_FUNDS_ITEMS}
    bad = [
        f"{k}: {v!r}"
        for k, v in values.items()
        if isinstance(v, bool) or not isinstance(v, int | float | np.number) or not math.isfinite(v) or v < 0
    ]
    if bad:
        raise InputError(
            "own_funds",
            "amounts must be finite numbers >= 0 (deductions as a positive amount)",
            failure_cases=bad,
        )
    if values["cet1_deductions"] > values["cet1"]:
        raise InputError("own_funds['cet1_deductions']", "exceed CET1 before deductions")
    return {k: float(v) for k, v in values.items()}


RWA_COLUMNS = ("risk_type", "rwa", "rwa_standardised", "counterparty_type", "country", "leverage_exposure")
RWA_AMOUNTS = ("rwa", "rwa_standardised", "leverage_exposure")


def _check_rwa(rwa: Any) -> None:
    """The RWA table has its columns, and its amounts are numbers >= 0: a NaN, a negative or a
    text amount would give a plausible but wrong ratio, so each is an error naming the column."""
    if not isinstance(rwa, pd.DataFrame) or not set(RWA_COLUMNS) <= set(rwa.columns):
        raise InputError("rwa", "expected the table of risk_weighted_assets()", allowed=sorted(RWA_COLUMNS))
    for column in RWA_AMOUNTS:
        values = rwa[column]
        if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            raise InputError(
                f"rwa[{column!r}]",
                f"holds {values.dtype} values, not numbers",
                allowed="numbers >= 0 (the table of risk_weighted_assets())",
            )
        numbers = values.to_numpy(dtype=float, na_value=np.nan)
        bad = ~(np.isfinite(numbers) & (numbers >= 0))
        if bad.any():
            ids = rwa["position_id"] if "position_id" in rwa.columns else pd.Series(rwa.index)
            raise InputError(
                f"rwa[{column!r}]",
                "has missing (NaN), infinite or negative amounts",
                failure_cases=[f"{i}: {v!r}" for i, v in zip(ids[bad][:5], numbers[bad][:5], strict=False)],
                allowed="finite numbers >= 0",
            )


def _band(ratio: float, start: float, width: float, tolerance: float) -> int:
    """Quartile 1-4 of ``ratio`` in (start + (k-1) width/4, start + k width/4], 5 above, 0 below start."""
    if ratio < start - tolerance:
        return 0
    if width <= 0:
        return 5
    for k in (1, 2, 3, 4):
        if ratio <= start + k * width / 4 + tolerance:
            return k
    return 5


def own_funds_after_deductions(funds: Mapping[str, float]) -> OwnFunds:
    """CET1 net of deductions, Tier 1 and total capital (C 01.00) from checked own-funds items."""
    cet1 = funds["cet1"] - funds["cet1_deductions"]
    tier1 = cet1 + funds["at1"]
    return {
        "cet1_before_deductions": funds["cet1"],
        "cet1_deductions": funds["cet1_deductions"],
        "cet1": cet1,
        "at1": funds["at1"],
        "tier1": tier1,
        "tier2": funds["tier2"],
        "total_capital": tier1 + funds["tier2"],
    }


def _check_rwa_amount(value: Any, argument: str) -> float:
    """A CVA or market-risk RWA amount, or the trading book's leverage exposure: a finite number >= 0."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.number) or not math.isfinite(value):
        raise InputError(argument, f"expected a finite number, got {value!r}", allowed="a number >= 0")
    if value < 0:
        raise InputError(argument, f"must be >= 0, got {value!r}", allowed="a number >= 0")
    return float(value)


def rwa_totals(
    rwa: pd.DataFrame,
    as_of: dt.date | None = None,
    parameters: Mapping[str, Any] | None = None,
    cva: float = 0.0,
    market_risk: float = 0.0,
) -> RwaTotals:
    """RWA by risk type and after the output floor (C 02.00, RBC20.11); zero RWA is an error.

    ``cva`` and ``market_risk`` are the CVA and market-risk RWA (MAR50, MAR40): banksim computes
    them with one approach only, so the same amounts enter the pre-floor total and the floor base
    (RBC20.11-20.12, methodology 1.2).
    """
    base = rwa
    if cva or market_risk:  # the table's two sums and the two amounts (no copy of the lines)
        base = pd.DataFrame(
            {
                "rwa": [float(rwa["rwa"].sum()), cva, market_risk],
                "rwa_standardised": [float(rwa["rwa_standardised"].sum()), cva, market_risk],
            }
        )
    floor = output_floor(base, as_of=as_of, parameters=parameters)
    if not floor["floored_rwa"] > 0:
        raise InputError("rwa", "total risk-weighted assets are zero; capital ratios are undefined")
    by_type = rwa.groupby("risk_type", observed=True)["rwa"].sum()
    return {
        "credit": float(by_type.get("credit", 0.0)),
        "counterparty": float(by_type.get("counterparty", 0.0)),
        "cva": cva,
        "market_risk": market_risk,
        "operational": float(by_type.get("operational", 0.0)),
        "pre_floor_rwa": floor["pre_floor_rwa"],
        "standardised_rwa": floor["standardised_rwa"],
        "floor_rate": floor["floor_rate"],
        "floor_amount": floor["floor_amount"],
        "floored_rwa": floor["floored_rwa"],
        "floor_binding": bool(floor["floor_binding"]),
        "transitional_cap_binding": bool(floor["transitional_cap_binding"]),
        "floor_add_on": floor["floor_add_on"],
    }


def capital_ratios(own: OwnFunds, floored_rwa: float) -> Ratios:
    """CET1, Tier 1 and total capital over floored RWA (RBC20.1, C 03.00)."""
    return {
        "cet1_ratio": own["cet1"] / floored_rwa,
        "tier1_ratio": own["tier1"] / floored_rwa,
        "total_capital_ratio": own["total_capital"] / floored_rwa,
    }


def countercyclical_buffer(rwa: pd.DataFrame, rates: Mapping[str, float]) -> tuple[float, dict[str, float]]:
    """The CCyB (RBC30.9-14): jurisdiction rates averaged with private-sector credit RWA weights.

    Returns the rate and the weight of each jurisdiction (empty when there is no such RWA).
    """
    private = is_in(rwa, "counterparty_type", *PRIVATE_SECTOR_COUNTERPARTIES) & is_in(
        rwa, "risk_type", "credit", "counterparty"
    )
    private_rwa = _by_country(rwa["country"], rwa["rwa"].to_numpy(), private)
    weight_total = float(private_rwa.sum())
    if not weight_total > 0:
        return 0.0, {}
    rate = float(
        sum(amount * rates.get(str(country), 0.0) for country, amount in private_rwa.items()) / weight_total
    )
    return rate, {str(k): float(v) / weight_total for k, v in private_rwa.items()}


def _by_country(country: pd.Series, amounts: np.ndarray, rows: np.ndarray) -> pd.Series:
    """The sum of ``amounts`` over ``rows`` by country, countries in order of their names (a missing
    country or amount left out); a categorical column is grouped by its codes, without a name per row."""
    if not isinstance(country.dtype, pd.CategoricalDtype):
        return (
            pd.Series(amounts[rows])
            .groupby(np.asarray(country.astype(str).to_numpy(), dtype=object)[rows])
            .sum()
        )
    codes = country.cat.codes.to_numpy()[rows]
    named = codes >= 0
    by_code = pd.Series(amounts[rows][named]).groupby(codes[named]).sum()
    names = np.asarray([str(c) for c in country.cat.categories], dtype=object)[by_code.index.to_numpy()]
    return pd.Series(by_code.to_numpy(), index=names).groupby(level=0).sum()  # by name, as text


def buffer_stack(rwa: pd.DataFrame, settings: BufferSettings, cap: Mapping[str, Any]) -> Buffers:
    """Conservation, countercyclical and systemic buffers and their sum (RBC30, RBC40)."""
    # methodology 8.5, C.24: a country's rate from the settings, else from the parameters, else 0.
    rates = {**cap["countercyclical_rates"], **dict(settings.countercyclical_rates or {})}
    ccyb, weights = countercyclical_buffer(rwa, rates)
    gsib = cap["gsib_buffer"][str(settings.gsib_bucket)] if settings.gsib_bucket else 0.0
    systemic = max(gsib, settings.dsib_rate)  # RBC40.18-19: the higher, never the sum
    return {
        "conservation": cap["conservation_buffer"],
        "countercyclical": ccyb,
        "countercyclical_weights": weights,
        "gsib": gsib,
        "dsib": settings.dsib_rate,
        "systemic": systemic,
        "combined_buffer_requirement": cap["conservation_buffer"] + ccyb + systemic,
        "pillar2": settings.pillar2_rate,
    }


def _requirement(
    name: str, capital: str, required: float, ratio: float, base: float, tolerance: float, rule: str
) -> Requirement:
    """One requirement row: surplus in points and in currency (points x ``base``), met within tolerance."""
    surplus = ratio - required
    return {
        "requirement": name,
        "capital": capital,
        "required_ratio": required,
        "ratio": ratio,
        "surplus_points": surplus,
        "surplus_amount": surplus * base,
        "met": surplus >= -tolerance,
        "rule": rule,
    }


def risk_based_requirements(
    ratios: Ratios, buffers: Buffers, floored_rwa: float, cap: Mapping[str, Any]
) -> list[Requirement]:
    """Minimum, minimum + Pillar 2 and overall requirement per tier (RBC20.1, RBC30, Pillar 2).

    Pillar 2 is split over the tiers by its composition; the overall requirement adds the CBR.
    """
    minimum, p2r, cbr = cap["minimum"], buffers["pillar2"], buffers["combined_buffer_requirement"]
    share = {
        "cet1": cap["pillar2_composition"]["cet1"],
        "tier1": cap["pillar2_composition"]["tier1"],
        "total": 1.0,
    }
    held = {
        "cet1": ratios["cet1_ratio"],
        "tier1": ratios["tier1_ratio"],
        "total": ratios["total_capital_ratio"],
    }
    requirements = []
    for tier in ("cet1", "tier1", "total"):
        for name, required, rule in (
            (f"{tier}_minimum", minimum[tier], "RBC20.1"),
            (f"{tier}_minimum_and_pillar2", minimum[tier] + p2r * share[tier], "RBC20.1 + Pillar 2"),
            (
                f"{tier}_overall",
                minimum[tier] + p2r * share[tier] + cbr,
                "RBC20.1 + Pillar 2 + RBC30 buffers",
            ),
        ):
            requirements.append(
                _requirement(name, tier, required, held[tier], floored_rwa, cap["ratio_tolerance"], rule)
            )
    return requirements


def leverage_measure(
    tier1: float, rwa: pd.DataFrame, buffers: Buffers, cap: Mapping[str, Any], trading_book: float = 0.0
) -> Leverage:
    """Tier 1 over the exposure measure (LEV20-30): the RWA lines' ``leverage_exposure`` plus the
    trading book's (methodology C.48); the G-SIB buffer is 50% of the HLA (LEV40.1-2)."""
    exposure = float(rwa["leverage_exposure"].sum()) + trading_book
    ratio = tier1 / exposure if exposure > 0 else math.inf
    gsib_buffer = cap["leverage_buffer_share"] * buffers["gsib"]
    return {
        "tier1": tier1,
        "exposure_measure": exposure,
        "trading_book_exposure": trading_book,
        "leverage_ratio": ratio,
        "minimum": cap["leverage_minimum"],
        "gsib_buffer": gsib_buffer,
        "requirement": cap["leverage_minimum"] + gsib_buffer,
        "minimum_met": ratio - cap["leverage_minimum"] >= -cap["ratio_tolerance"],
    }


def leverage_requirements(leverage: Leverage, is_gsib: bool, tolerance: float) -> list[Requirement]:
    """The leverage minimum (LEV20, LEV40.4) and, for a G-SIB, the minimum plus its buffer (LEV40.1-2)."""
    ratio, exposure = leverage["leverage_ratio"], leverage["exposure_measure"]
    rows = [
        _requirement(
            "leverage_minimum", "tier1", leverage["minimum"], ratio, exposure, tolerance, "LEV20 (LEV40.4)"
        )
    ]
    if is_gsib:
        rows.append(
            _requirement(
                "leverage_with_gsib_buffer",
                "tier1",
                leverage["requirement"],
                ratio,
                exposure,
                tolerance,
                "LEV40.1-2",
            )
        )
    return rows


def maximum_distributable_amount(
    own: OwnFunds,
    ratios: Ratios,
    floored_rwa: float,
    buffers: Buffers,
    leverage: Leverage,
    is_gsib: bool,
    cap: Mapping[str, Any],
) -> Mda:
    """The MDA test (RBC30.4, methodology 1.4 and C.11); for a G-SIB also the leverage buffer (LEV40.4).

    CET1 used for the Tier 1 and Total minima is excluded from the CET1 that meets the buffers;
    the quartile of the buffer range sets the conservation ratio, and the stricter of the
    risk-based and leverage ratios applies.
    """
    minimum, tolerance, conservation = cap["minimum"], cap["ratio_tolerance"], cap["conservation_ratios"]
    cbr = buffers["combined_buffer_requirement"]
    at1_ratio, tier2_ratio = own["at1"] / floored_rwa, own["tier2"] / floored_rwa
    used = max(minimum["cet1"], minimum["tier1"] - at1_ratio, minimum["total"] - at1_ratio - tier2_ratio)
    mda_ratio = minimum["cet1"] + (ratios["cet1_ratio"] - used)
    risk_band = _band(mda_ratio, minimum["cet1"], cbr, tolerance)
    risk_conservation = 1.0 if risk_band == 0 else conservation[risk_band - 1]
    leverage_band = (
        _band(leverage["leverage_ratio"], leverage["minimum"], leverage["gsib_buffer"], tolerance)
        if is_gsib
        else None
    )
    leverage_conservation = (
        (1.0 if leverage_band == 0 else conservation[leverage_band - 1])
        if leverage_band is not None
        else None
    )
    binding = max(risk_conservation, leverage_conservation or 0.0)  # LEV40.4: the stricter applies
    return {
        "cet1_used_for_minima": used,
        "cet1_ratio_for_mda": mda_ratio,
        "buffer_range": [minimum["cet1"], minimum["cet1"] + cbr],
        "quartile": risk_band,
        "minimum_breached": risk_band == 0,
        "risk_based_conservation_ratio": risk_conservation,
        "leverage_quartile": leverage_band,
        "leverage_conservation_ratio": leverage_conservation,
        "conservation_ratio": binding,
        "maximum_payout_ratio": 1.0 - binding,
        "binding_constraint": "leverage"
        if (leverage_conservation or 0.0) > risk_conservation
        else "risk_based",
    }


def capital_adequacy(
    rwa: pd.DataFrame,
    own_funds: Mapping[str, float] | pd.DataFrame,
    buffers: BufferSettings | Mapping[str, Any] | None = None,
    parameters: Mapping[str, Any] | None = None,
    as_of: dt.date | None = None,
    cva_rwa: float = 0.0,
    market_risk_rwa: float = 0.0,
    provisions: Mapping[str, float] | None = None,
    trading_book_leverage_exposure: float = 0.0,
) -> CapitalAdequacy:
    """The capital statement: own funds, floored RWA, ratios, requirements, buffers, MDA, leverage.

    Parameters
    ----------
    rwa : pandas.DataFrame
        The output of :func:`banksim.risk_weighted_assets` (needs ``risk_type``, ``rwa``,
        ``rwa_standardised``, ``counterparty_type``, ``country`` and ``leverage_exposure``).
    own_funds : dict or DataFrame
        ``cet1`` (before deductions), ``at1``, ``tier2`` and optional ``cet1_deductions``, in the
        reporting currency; a DataFrame with columns ``item`` and ``amount`` works the same.
    buffers : BufferSettings or dict, optional
        CCyB rates by jurisdiction, G-SIB bucket, D-SIB rate, Pillar 2 requirement.
    parameters : dict, optional
        Overrides of the Basel parameters (``capital``, ``output_floor``).
    as_of : datetime.date, optional
        Date for the output-floor phase-in (RBC90.1); by default the full 72.5%.
    provisions : dict, optional
        The provision lines of :func:`banksim.regulation.provisions.provisions_in_capital`: their
        Tier 2 amounts are added and the IRB shortfall deducted from CET1 (methodology 1.6).
    cva_rwa, market_risk_rwa : float
        CVA RWA (MAR50, :func:`banksim.compute_cva`) and market-risk RWA (MAR40,
        :func:`banksim.compute_market_risk`), 0 by default. They are amounts beside the RWA table,
        which keeps one row per credit, counterparty and operational-risk line; both count in the
        pre-floor total and in the output-floor base (RBC20.4, RBC20.11, methodology 1.2).
    trading_book_leverage_exposure : float
        The trading book's leverage exposure (the total of
        :func:`banksim.regulation.leverage.trading_book_leverage_exposure`), 0 by default; added to
        the RWA lines' ``leverage_exposure`` in the exposure measure (LEV30, methodology 1.5, C.48).

    Returns
    -------
    CapitalAdequacy
        A plain dict with sections ``own_funds``, ``rwa``, ``ratios``, ``buffers``,
        ``requirements`` (one entry per requirement with its surplus in points and currency),
        ``mda`` and ``leverage``; each section is a TypedDict of this module.
    """
    cap = regulatory_parameters(parameters)["capital"]
    settings = _check_settings(buffers, cap)
    funds = _check_own_funds(own_funds)
    _check_rwa(rwa)
    cva = _check_rwa_amount(cva_rwa, "cva_rwa")
    market = _check_rwa_amount(market_risk_rwa, "market_risk_rwa")
    trading_book = _check_rwa_amount(trading_book_leverage_exposure, "trading_book_leverage_exposure")

    funds = with_provisions(funds, provisions)  # CAP10.18-10.20, CAP30.14 (methodology 1.6)
    own = own_funds_after_deductions(funds)  # C 01.00
    totals = rwa_totals(rwa, as_of, parameters, cva, market)  # C 02.00, RBC20.11
    floored = totals["floored_rwa"]
    ratios = capital_ratios(own, floored)
    stack = buffer_stack(rwa, settings, cap)  # RBC30, RBC40
    leverage = leverage_measure(own["tier1"], rwa, stack, cap, trading_book)  # LEV20-LEV40
    is_gsib = settings.gsib_bucket > 0
    result: CapitalAdequacy = {
        "own_funds": own,
        "rwa": totals,
        "ratios": ratios,
        "buffers": stack,
        "requirements": [
            *risk_based_requirements(ratios, stack, floored, cap),
            *leverage_requirements(leverage, is_gsib, cap["ratio_tolerance"]),
        ],
        "mda": maximum_distributable_amount(own, ratios, floored, stack, leverage, is_gsib, cap),
        "leverage": leverage,
    }
    if provisions:  # an optional section, only with IFRS 9 allowances (methodology 1.6)
        cast("dict[str, Any]", result)["provisions"] = dict(provisions)
    return result


def capital_statement(capital: CapitalAdequacy | Mapping[str, Any]) -> pd.DataFrame:
    """The statement as a table: template, row, value and unit (for notebooks and Excel).

    The C 02.00 amounts add up: total = credit + counterparty + market risk + CVA + operational
    + output-floor add-on (methodology 1.2).
    """
    rows = [
        ("C 01.00", "Own funds", capital["own_funds"]["total_capital"], "amount"),
        ("C 01.00", "Tier 1 capital", capital["own_funds"]["tier1"], "amount"),
        ("C 01.00", "Common Equity Tier 1 capital", capital["own_funds"]["cet1"], "amount"),
        ("C 01.00", "CET1 deductions", -capital["own_funds"]["cet1_deductions"] or 0.0, "amount"),
        ("C 01.00", "Additional Tier 1 capital", capital["own_funds"]["at1"], "amount"),
        ("C 01.00", "Tier 2 capital", capital["own_funds"]["tier2"], "amount"),
        ("C 02.00", "Total risk exposure amount", capital["rwa"]["floored_rwa"], "amount"),
        ("C 02.00", "Credit risk", capital["rwa"]["credit"], "amount"),
        ("C 02.00", "Counterparty credit risk (SA-CCR)", capital["rwa"]["counterparty"], "amount"),
        # Market-risk and CVA rows: 0 in a statement stored before they were computed.
        (
            "C 02.00",
            "Position, FX and commodities risks (MAR40)",
            capital["rwa"].get("market_risk", 0.0),
            "amount",
        ),
        ("C 02.00", "Credit valuation adjustment risk (MAR50)", capital["rwa"].get("cva", 0.0), "amount"),
        ("C 02.00", "Operational risk", capital["rwa"]["operational"], "amount"),
        ("C 02.00", "Output floor add-on", capital["rwa"]["floor_add_on"], "amount"),
        ("C 03.00", "CET1 Capital ratio", capital["ratios"]["cet1_ratio"], "ratio"),
        ("C 03.00", "T1 Capital ratio", capital["ratios"]["tier1_ratio"], "ratio"),
        ("C 03.00", "Total capital ratio", capital["ratios"]["total_capital_ratio"], "ratio"),
        (
            "Buffers",
            "Combined buffer requirement",
            capital["buffers"]["combined_buffer_requirement"],
            "ratio",
        ),
        ("Buffers", "Countercyclical buffer", capital["buffers"]["countercyclical"], "ratio"),
        ("Buffers", "Systemic buffer (max of G-SIB, D-SIB)", capital["buffers"]["systemic"], "ratio"),
        ("MDA", "CET1 ratio for MDA", capital["mda"]["cet1_ratio_for_mda"], "ratio"),
        ("MDA", "Maximum payout ratio", capital["mda"]["maximum_payout_ratio"], "ratio"),
        ("C 47.00", "Leverage ratio exposure measure", capital["leverage"]["exposure_measure"], "amount"),
        ("C 47.00", "Leverage ratio", capital["leverage"]["leverage_ratio"], "ratio"),
        *provision_rows(cast("Mapping[str, float] | None", capital.get("provisions"))),
    ]
    return pd.DataFrame(rows, columns=["template", "row", "value", "unit"])
