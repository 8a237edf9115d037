"""IFRS 9 loss allowances in regulatory capital: stage 3 as specific provisions, Tier 2, the IRB EL test.

Stage 3 allowances are the specific provisions the SA nets from exposure (``ecl_specific_provisions``);
stage 1-2 allowances on SA lines count in Tier 2 up to 1.25% of SA credit RWA; on IRB lines all
allowances are compared with expected loss (methodology 1.6).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from banksim.errors import InputError
from banksim.regulation._frame import is_in
from banksim.regulation.parameters import regulatory_parameters

__all__ = ["PROVISION_RULES", "ecl_specific_provisions", "irb_expected_loss", "provisions_in_capital"]

PROVISION_RULES = {
    "sa_specific_provisions": "CAP10.19: stage 3 allowances are specific provisions, excluded from Tier 2",
    "sa_exposure_net": "CRE20.1: SA exposures net of specific provisions, each line's stage 3 allowance",
    "tier2_general_provisions": "CAP10.18: SA general provisions in Tier 2, at most 1.25% of SA credit RWA",
    "cet1_deduction": "CAP30.14, CRE35.4: IRB expected-loss shortfall deducted from CET1",
    "tier2_excess_provisions": "CAP10.20, CRE35.4: IRB excess provisions in Tier 2, at most 0.6% of IRB RWA",
}


def ecl_specific_provisions(positions: pd.DataFrame, ecl_lines: pd.DataFrame) -> pd.DataFrame:
    """The positions with stage 3 allowances as specific provisions (CRE20.1, CAP10.19; methodology 1.6).

    A line the ECL measures gets ``specific_provisions`` = its stage 3 allowance, or 0 in stages 1-2
    (whose allowance is a general provision: Tier 2 on the SA, eligible provisions on the IRB, never
    netted from exposure as well); a line it does not measure keeps its own. The SA then nets them
    from exposure and compares them with the gross amount of a defaulted line (CRE20.104-20.108), so
    ``risk_weighted_assets(ecl_specific_provisions(positions, ecl_lines))`` is the RWA of the bank whose
    allowances ``provisions_in_capital`` counts, each allowance once.

    Parameters
    ----------
    positions : DataFrame
        A positions table (validated here).
    ecl_lines : DataFrame
        ``position_id``, ``stage`` and ``loss_allowance`` of the measured lines
        (:func:`banksim.compute_ecl` on the same positions).

    Returns
    -------
    DataFrame
        The validated positions with ``specific_provisions`` replaced on the measured lines.

    Raises
    ------
    InputError
        A missing column, a position measured twice, a ``position_id`` that is not in ``positions``,
        or a ``loss_allowance`` that is negative or not a finite number.
    """
    from banksim.positions.validation import validate_changed_columns, validate_positions

    _require(ecl_lines, ("position_id", "stage", "loss_allowance"))
    frame = validate_positions(positions)
    where = _measured_rows(frame, ecl_lines["position_id"])
    stage = ecl_lines["stage"].to_numpy()
    allowance = ecl_lines["loss_allowance"].to_numpy(dtype=float)
    bad = ~np.isfinite(allowance) | (allowance < 0)
    if bad.any():
        ids = ecl_lines["position_id"].to_numpy()[bad][:5]
        raise InputError(
            "ecl_lines['loss_allowance']",
            f"must be a finite number >= 0 ({int(bad.sum())} lines)",
            failure_cases=[f"{i}: {v!r}" for i, v in zip(ids, allowance[bad][:5], strict=False)],
            allowed="an allowance >= 0",
        )
    provisions = frame["specific_provisions"].to_numpy(dtype=float).copy()
    provisions[where] = np.where(stage == 3, allowance, 0.0)
    return validate_changed_columns(
        frame.assign(specific_provisions=provisions), frame, ["specific_provisions"]
    )


def _measured_rows(frame: pd.DataFrame, ids: pd.Series) -> np.ndarray:
    """The row in ``frame`` of each measured position; at once when the ECL lines are the scope's rows
    in order (``compute_ecl`` of the same positions), else by id."""
    from banksim.regulation.ecl_inputs import in_ecl_scope

    rows = np.flatnonzero(in_ecl_scope(frame))
    measured = ids.astype(str).reset_index(drop=True)
    if len(rows) == len(measured) and frame["position_id"].astype(str).iloc[rows].reset_index(
        drop=True
    ).equals(measured):
        return rows
    index = pd.Index(measured)
    if index.has_duplicates:
        cases = index[index.duplicated()].unique()[:5].tolist()
        raise InputError("ecl_lines['position_id']", "lists a position twice", failure_cases=cases)
    where = pd.Index(frame["position_id"].astype(str)).get_indexer(index)
    if (where < 0).any():
        cases = index[where < 0][:5].tolist()
        raise InputError(
            "ecl_lines['position_id']",
            "names positions that are not in the table (ECL lines of other positions?)",
            failure_cases=cases,
        )
    return np.asarray(where)


def _require(ecl_lines: pd.DataFrame, columns: tuple[str, ...]) -> None:
    missing = [c for c in columns if c not in ecl_lines.columns]
    if missing:
        raise InputError("ecl_lines", f"missing columns {missing}", allowed=list(columns))


def irb_expected_loss(rwa: pd.DataFrame) -> float:
    """EL = PD x LGD x EAD summed over the IRB credit lines (CRE35.2; methodology 1.6).

    A defaulted line carries PD 1 and, in A-IRB, its best estimate of expected loss as LGD.
    """
    irb = _lines(rwa, irb=True)
    return float(
        (
            rwa["pd_used"].to_numpy()[irb] * rwa["lgd_used"].to_numpy()[irb] * rwa["exposure"].to_numpy()[irb]
        ).sum()
    )


def _lines(rwa: pd.DataFrame, irb: bool) -> np.ndarray:
    credit = is_in(rwa, "risk_type", "credit")
    sa = is_in(rwa, "approach", "sa")
    return np.asarray(credit & (sa if not irb else ~sa))


def provisions_in_capital(
    ecl_lines: pd.DataFrame, rwa: pd.DataFrame, parameters: Mapping[str, Any] | None = None
) -> dict[str, float]:
    """The provision lines of the capital statement (CAP10.18-10.20, CAP30.14, CRE35.4; methodology 1.6).

    Parameters
    ----------
    ecl_lines : DataFrame
        ``stage``, ``loss_allowance`` and ``approach`` per exposure (:func:`banksim.compute_ecl`).
    rwa : DataFrame
        The RWA lines (:func:`banksim.compute_rwa`): ``risk_type``, ``approach``, ``rwa`` and, for
        IRB lines, ``pd_used``, ``lgd_used`` and ``exposure`` (EAD).
    parameters : dict, optional
        Overrides of the Basel parameters (``capital.sa_general_provisions_cap``,
        ``capital.irb_excess_provisions_cap``).

    Returns
    -------
    dict
        SA specific and general provisions, SA credit RWA and the Tier 2 cap, the general
        provisions counted in Tier 2; IRB expected loss, eligible provisions, the shortfall deducted
        from CET1, the excess, IRB credit RWA and its cap, the excess counted in Tier 2; and the
        totals ``tier2_addition`` and ``cet1_deduction``.
    """
    _require(ecl_lines, ("stage", "loss_allowance", "approach"))
    cap = regulatory_parameters(parameters)["capital"]
    stage = ecl_lines["stage"].to_numpy()
    allowance = ecl_lines["loss_allowance"].to_numpy()
    irb_line = ~is_in(ecl_lines, "approach", "sa")
    sa_general = float(allowance[~irb_line & (stage < 3)].sum())
    sa_rwa = float(rwa["rwa"].to_numpy()[_lines(rwa, irb=False)].sum())
    general_cap = cap["sa_general_provisions_cap"] * sa_rwa
    expected_loss = irb_expected_loss(rwa)
    eligible = float(allowance[irb_line].sum())
    irb_rwa = float(rwa["rwa"].to_numpy()[_lines(rwa, irb=True)].sum())
    excess_cap = cap["irb_excess_provisions_cap"] * irb_rwa
    tier2_general = min(sa_general, general_cap)
    shortfall = max(0.0, expected_loss - eligible)
    excess = max(0.0, eligible - expected_loss)
    tier2_excess = min(excess, excess_cap)
    return {
        "sa_specific_provisions": float(allowance[~irb_line & (stage == 3)].sum()),
        "sa_general_provisions": sa_general,
        "sa_credit_rwa": sa_rwa,
        "sa_general_provisions_cap": general_cap,
        "tier2_general_provisions": tier2_general,
        "irb_expected_loss": expected_loss,
        "irb_eligible_provisions": eligible,
        "irb_shortfall": shortfall,
        "irb_excess_provisions": excess,
        "irb_credit_rwa": irb_rwa,
        "irb_excess_provisions_cap": excess_cap,
        "tier2_excess_provisions": tier2_excess,
        "tier2_addition": tier2_general + tier2_excess,
        "cet1_deduction": shortfall,
    }


def with_provisions(funds: Mapping[str, float], provisions: Mapping[str, float] | None) -> dict[str, float]:
    """Own funds with the Tier 2 provisions added and the IRB shortfall deducted (methodology 1.6)."""
    if not provisions:
        return dict(funds)
    return {
        **funds,
        "tier2": funds["tier2"] + provisions["tier2_addition"],
        "cet1_deductions": funds["cet1_deductions"] + provisions["cet1_deduction"],
    }


def provision_rows(provisions: Mapping[str, float] | None) -> list[tuple[str, str, float, str]]:
    """The statement rows of the provisions (none without them): template, row, value, unit."""
    if not provisions:
        return []
    rows = (
        ("SA stage 3 allowances (specific provisions, not in Tier 2)", "sa_specific_provisions"),
        ("SA general provisions (stages 1-2)", "sa_general_provisions"),
        ("of which in Tier 2 (cap 1.25% of SA credit RWA)", "tier2_general_provisions"),
        ("IRB expected loss", "irb_expected_loss"),
        ("IRB eligible provisions", "irb_eligible_provisions"),
        ("IRB shortfall deducted from CET1", "irb_shortfall"),
        ("IRB excess in Tier 2 (cap 0.6% of IRB credit RWA)", "tier2_excess_provisions"),
    )
    return [("Provisions", label, float(provisions[key]), "amount") for label, key in rows]
