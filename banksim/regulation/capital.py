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
from typing import Any

import numpy as np
import pandas as pd

from banksim.errors import InputError
from banksim.positions.vocabulary import PRIVATE_SECTOR_COUNTERPARTIES
from banksim.regulation._frame import is_in
from banksim.regulation.parameters import regulatory_parameters
from banksim.regulation.rwa import output_floor

__all__ = ["BufferSettings", "capital_adequacy", "capital_statement"]

OWN_FUNDS_ITEMS = ("cet1", "at1", "tier2", "cet1_deductions")


@dataclass(frozen=True)
class BufferSettings:
    """The bank-specific inputs of the buffer stack (rates are decimals).

    Parameters
    ----------
    countercyclical_rates : dict
        Jurisdiction (``country`` code of the RWA lines) to CCyB rate, 0 to 2.5%; others are 0.
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


def capital_adequacy(
    rwa: pd.DataFrame,
    own_funds: Mapping[str, float] | pd.DataFrame,
    buffers: BufferSettings | Mapping[str, Any] | None = None,
    parameters: Mapping[str, Any] | None = None,
    as_of: dt.date | None = None,
) -> dict[str, Any]:
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

    Returns
    -------
    dict
        Sections ``own_funds``, ``rwa``, ``ratios``, ``buffers``, ``requirements`` (one entry per
        requirement with its surplus in points and currency), ``mda`` and ``leverage``.
    """
    params = regulatory_parameters(parameters)
    cap = params["capital"]
    tolerance = cap["ratio_tolerance"]
    settings = _check_settings(buffers, cap)
    funds = _check_own_funds(own_funds)
    _check_rwa(rwa)

    # Own funds (C 01.00) and RWA with the output floor (C 02.00, RBC20.11).
    cet1 = funds["cet1"] - funds["cet1_deductions"]
    tier1 = cet1 + funds["at1"]
    total = tier1 + funds["tier2"]
    floor = output_floor(rwa, as_of=as_of, parameters=parameters)
    floored = floor["floored_rwa"]
    if not floored > 0:
        raise InputError("rwa", "total risk-weighted assets are zero; capital ratios are undefined")
    by_type = rwa.groupby("risk_type", observed=True)["rwa"].sum()
    ratios = {
        "cet1_ratio": cet1 / floored,
        "tier1_ratio": tier1 / floored,
        "total_capital_ratio": total / floored,
    }

    # Buffers (RBC30, RBC40): CCyB as the private-sector credit RWA-weighted average of rates.
    private = is_in(rwa, "counterparty_type", *PRIVATE_SECTOR_COUNTERPARTIES) & is_in(
        rwa, "risk_type", "credit", "counterparty"
    )
    private_rwa = rwa.loc[private].groupby(rwa.loc[private, "country"].astype(str))["rwa"].sum()
    rates = dict(settings.countercyclical_rates or {})
    weight_total = float(private_rwa.sum())
    ccyb = (
        float(sum(amount * rates.get(country, 0.0) for country, amount in private_rwa.items()) / weight_total)
        if weight_total > 0
        else 0.0
    )
    gsib = cap["gsib_buffer"][str(settings.gsib_bucket)] if settings.gsib_bucket else 0.0
    systemic = max(gsib, settings.dsib_rate)  # RBC40.18-19: the higher, never the sum
    cbr = cap["conservation_buffer"] + ccyb + systemic

    # Requirements and surpluses (RBC20.1, RBC30, Pillar 2 split by its composition).
    minimum = cap["minimum"]
    p2r = settings.pillar2_rate
    p2r_share = {
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
        for name, requirement, rule in (
            (f"{tier}_minimum", minimum[tier], "RBC20.1"),
            (f"{tier}_minimum_and_pillar2", minimum[tier] + p2r * p2r_share[tier], "RBC20.1 + Pillar 2"),
            (
                f"{tier}_overall",
                minimum[tier] + p2r * p2r_share[tier] + cbr,
                "RBC20.1 + Pillar 2 + RBC30 buffers",
            ),
        ):
            surplus = held[tier] - requirement
            requirements.append(
                {
                    "requirement": name,
                    "capital": tier,
                    "required_ratio": requirement,
                    "ratio": held[tier],
                    "surplus_points": surplus,
                    "surplus_amount": surplus * floored,
                    "met": surplus >= -tolerance,
                    "rule": rule,
                }
            )

    # MDA (RBC30.4, methodology 1.4 and C.11): CET1 used for the Tier 1 and Total minima is excluded.
    at1_ratio, tier2_ratio = funds["at1"] / floored, funds["tier2"] / floored
    used = max(minimum["cet1"], minimum["tier1"] - at1_ratio, minimum["total"] - at1_ratio - tier2_ratio)
    mda_ratio = minimum["cet1"] + (ratios["cet1_ratio"] - used)
    risk_band = _band(mda_ratio, minimum["cet1"], cbr, tolerance)
    conservation = cap["conservation_ratios"]
    risk_conservation = 1.0 if risk_band == 0 else conservation[risk_band - 1]

    # Leverage (LEV20-LEV40): Tier 1 over the exposure measure; G-SIB buffer = 50% of the HLA.
    exposure = float(rwa["leverage_exposure"].sum())
    leverage_ratio = tier1 / exposure if exposure > 0 else math.inf
    leverage_buffer = cap["leverage_buffer_share"] * gsib
    leverage_required = cap["leverage_minimum"] + leverage_buffer
    is_gsib = settings.gsib_bucket > 0
    leverage_band = (
        _band(leverage_ratio, cap["leverage_minimum"], leverage_buffer, tolerance) if is_gsib else None
    )
    leverage_conservation = (
        (1.0 if leverage_band == 0 else conservation[leverage_band - 1])
        if leverage_band is not None
        else None
    )
    binding = max(risk_conservation, leverage_conservation or 0.0)  # LEV40.4: the stricter applies
    requirements.append(
        {
            "requirement": "leverage_minimum",
            "capital": "tier1",
            "required_ratio": cap["leverage_minimum"],
            "ratio": leverage_ratio,
            "surplus_points": leverage_ratio - cap["leverage_minimum"],
            "surplus_amount": (leverage_ratio - cap["leverage_minimum"]) * exposure,
            "met": leverage_ratio - cap["leverage_minimum"] >= -tolerance,
            "rule": "LEV20 (LEV40.4)",
        }
    )
    if is_gsib:
        requirements.append(
            {
                "requirement": "leverage_with_gsib_buffer",
                "capital": "tier1",
                "required_ratio": leverage_required,
                "ratio": leverage_ratio,
                "surplus_points": leverage_ratio - leverage_required,
                "surplus_amount": (leverage_ratio - leverage_required) * exposure,
                "met": leverage_ratio - leverage_required >= -tolerance,
                "rule": "LEV40.1-2",
            }
        )

    return {
        "own_funds": {
            "cet1_before_deductions": funds["cet1"],
            "cet1_deductions": funds["cet1_deductions"],
            "cet1": cet1,
            "at1": funds["at1"],
            "tier1": tier1,
            "tier2": funds["tier2"],
            "total_capital": total,
        },
        "rwa": {
            "credit": float(by_type.get("credit", 0.0)),
            "counterparty": float(by_type.get("counterparty", 0.0)),
            "operational": float(by_type.get("operational", 0.0)),
            **floor,
        },
        "ratios": ratios,
        "buffers": {
            "conservation": cap["conservation_buffer"],
            "countercyclical": ccyb,
            "countercyclical_weights": {str(k): float(v) / weight_total for k, v in private_rwa.items()}
            if weight_total > 0
            else {},
            "gsib": gsib,
            "dsib": settings.dsib_rate,
            "systemic": systemic,
            "combined_buffer_requirement": cbr,
            "pillar2": p2r,
        },
        "requirements": requirements,
        "mda": {
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
        },
        "leverage": {
            "tier1": tier1,
            "exposure_measure": exposure,
            "leverage_ratio": leverage_ratio,
            "minimum": cap["leverage_minimum"],
            "gsib_buffer": leverage_buffer,
            "requirement": leverage_required,
            "minimum_met": leverage_ratio - cap["leverage_minimum"] >= -tolerance,
        },
    }


def capital_statement(capital: Mapping[str, Any]) -> pd.DataFrame:
    """The statement as a table: template, row, value and unit (for notebooks and Excel)."""
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
    ]
    return pd.DataFrame(rows, columns=["template", "row", "value", "unit"])
