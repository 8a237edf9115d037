"""Operational risk, standardised approach (OPE25): business indicator, BIC, ILM and RWA.

Amounts are EUR millions per year (methodology C.14). A bank that reports no income statement
(the synthetic bank) gets one from ``banksim.synthetic.proxy.business_indicator_proxy``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from banksim.errors import InputError
from banksim.positions.vocabulary import BI_ITEMS, SIGNED_ITEMS
from banksim.regulation.parameters import regulatory_parameters

__all__ = ["BI_ITEMS", "operational_risk"]


def operational_risk(
    business_indicator: pd.DataFrame,
    annual_losses: Sequence[float] | None = None,
    params: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Operational-risk capital and RWA under OPE25.

    Parameters
    ----------
    business_indicator : pandas.DataFrame
        Three rows (years t-2, t-1, t) with the columns ``BI_ITEMS`` in EUR millions; all items
        are >= 0 except the two net P&L items.
    annual_losses : sequence of float, optional
        Annual net operational losses, most recent last, EUR millions. Fewer than 5 years means
        ILM = 1 (methodology C.2); only the most recent 10 count.
    params : dict, optional
        Resolved parameters (:func:`regulatory_parameters`); defaults to Basel.

    Returns
    -------
    dict
        ``ildc``, ``sc``, ``fc``, ``bi``, ``bucket``, ``bic``, ``lc``, ``ilm``, ``orc`` and ``rwa``
        (EUR millions), with the rule reference of each step.
    """
    op = (params or regulatory_parameters())["operational"]
    frame = _check_business_indicator(business_indicator)
    average = {item: float(frame[item].mean()) for item in BI_ITEMS}
    absolute = {item: float(frame[item].abs().mean()) for item in SIGNED_ITEMS}
    net_interest = float((frame["interest_income"] - frame["interest_expense"]).abs().mean())  # OPE25.5 fn 1
    ildc = (
        min(net_interest, op["ildc_cap_rate"] * average["interest_earning_assets"])
        + average["dividend_income"]
    )
    sc = max(average["other_operating_income"], average["other_operating_expense"]) + max(
        average["fee_income"], average["fee_expense"]
    )
    fc = absolute["net_pnl_trading_book"] + absolute["net_pnl_banking_book"]
    bi = ildc + sc + fc
    low, high = op["bucket_thresholds"]
    a1, a2, a3 = op["marginal_coefficients"]
    bic = a1 * min(bi, low) + a2 * min(max(bi - low, 0.0), high - low) + a3 * max(bi - high, 0.0)
    bucket = 1 if bi <= low else 2 if bi <= high else 3

    losses = _check_losses(annual_losses)[-int(op["loss_years"]) :]
    if len(losses) >= op["minimum_loss_years"] and bucket > 1 and bic > 0:
        lc = op["loss_multiplier"] * float(np.mean(losses))
        ilm = math.log(math.e - 1 + (lc / bic) ** 0.8)
    else:  # bucket 1, or too little loss data: ILM = 1 (OPE25.11, methodology C.2)
        lc = math.nan
        ilm = 1.0
    orc = bic * ilm
    return {
        "ildc": ildc,
        "sc": sc,
        "fc": fc,
        "bi": bi,
        "bucket": bucket,
        "bic": bic,
        "loss_years": len(losses),
        "lc": lc,
        "ilm": ilm,
        "orc": orc,
        "rwa": 12.5 * orc,
        "rules": "OPE25.4-25.5 (BI), OPE25.7 (BIC), OPE25.8 (LC, ILM), OPE25.2 (RWA = 12.5 x ORC)",
    }


def _check_business_indicator(business_indicator: Any) -> pd.DataFrame:
    if not isinstance(business_indicator, pd.DataFrame):
        raise InputError(
            "business_indicator", f"expected a DataFrame, got {type(business_indicator).__name__}"
        )
    missing = [c for c in BI_ITEMS if c not in business_indicator.columns]
    if missing:
        raise InputError("business_indicator", f"missing columns {missing}", allowed=list(BI_ITEMS))
    if len(business_indicator) != 3:
        raise InputError(
            "business_indicator", f"needs 3 rows (years t-2, t-1, t), got {len(business_indicator)}"
        )
    frame = business_indicator[list(BI_ITEMS)]
    if not all(dtype == np.float64 for dtype in frame.dtypes):
        frame = frame.apply(pd.to_numeric, errors="coerce")
    numbers = frame.to_numpy(dtype=float)
    unsigned = [i for i, item in enumerate(BI_ITEMS) if item not in SIGNED_ITEMS]
    if np.isfinite(numbers).all() and not (numbers[:, unsigned] < 0).any():
        return frame  # every check below passes (one look at the numbers, not one per item)
    for item in BI_ITEMS:
        values = frame[item]
        if values.isna().any() or not np.isfinite(values).all():
            raise InputError(f"business_indicator[{item!r}]", "must be finite numbers",
                             failure_cases=business_indicator[item].tolist())  # fmt: skip
        if item not in SIGNED_ITEMS and (values < 0).any():
            raise InputError(f"business_indicator[{item!r}]", "must be >= 0 (EUR millions)",
                             failure_cases=values.tolist())  # fmt: skip
    return frame


def _check_losses(annual_losses: Sequence[float] | None) -> list[float]:
    if annual_losses is None:
        return []
    losses = list(annual_losses)
    bad = [v for v in losses if isinstance(v, bool) or not isinstance(v, int | float) or not v >= 0]
    if bad:
        raise InputError("annual_losses", "must be numbers >= 0 (EUR millions per year)", failure_cases=bad)
    return [float(v) for v in losses]
