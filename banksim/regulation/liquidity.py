"""Liquidity metrics of a positions table: the LCR and NSFR lines and one summary of both.

``liquidity`` validates the positions once and runs :mod:`banksim.regulation.lcr` and
:mod:`banksim.regulation.nsfr` with one resolved parameter set.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from banksim.positions.validation import validate_positions
from banksim.regulation.lcr import LcrSummary, lcr_lines, lcr_summary
from banksim.regulation.nsfr import NsfrSummary, nsfr_lines, nsfr_summary
from banksim.regulation.parameters import regulatory_parameters

__all__ = ["LiquiditySummary", "liquidity", "liquidity_with"]


class LiquiditySummary(LcrSummary, NsfrSummary):
    """The LCR and NSFR summaries in one plain dict (stored as JSON): the keys of both."""


def liquidity(
    positions: pd.DataFrame, parameters: Mapping[str, Any] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, LiquiditySummary]:
    """LCR lines, NSFR lines and their summary.

    Parameters
    ----------
    positions : pandas.DataFrame
        A positions table (validated here).
    parameters : dict, optional
        Overrides of the Basel parameters (``{"lcr": {...}, "nsfr": {...}}``).

    Returns
    -------
    lcr : pandas.DataFrame
        One row per position and per derivative netting set: section, category, factor,
        weighted amount and rule (see :func:`banksim.regulation.lcr.lcr_lines`).
    nsfr : pandas.DataFrame
        One row per position plus the derivative lines (see :func:`banksim.regulation.nsfr.nsfr_lines`).
    summary : LiquiditySummary
        A plain dict: HQLA by level before and after the caps, outflows, inflows (capped and not), net
        outflows, LCR, ASF, RSF, NSFR, whether each 100% minimum is met, and splits by category.
    """
    return liquidity_with(positions, parameters)


def liquidity_with(
    positions: pd.DataFrame,
    parameters: Mapping[str, Any] | None = None,
    lcr: pd.DataFrame | None = None,
    nsfr: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, LiquiditySummary]:
    """:func:`liquidity`, with the LCR or NSFR lines given where they are known already (those of
    the same positions and parameters, e.g. an unshocked run's, methodology C.46): only the others
    are computed, and the summary is computed from both."""
    params = regulatory_parameters(parameters)
    frame = validate_positions(positions)
    lcr = lcr_lines(frame, params) if lcr is None else lcr
    nsfr = nsfr_lines(frame, params) if nsfr is None else nsfr
    return lcr, nsfr, {**lcr_summary(lcr, params), **nsfr_summary(nsfr)}
