"""F-IRB collateral (CRE32.6-14, CRE32.56): the effective LGD* of secured exposures.

Collateral does not reduce EAD; it splits E(1 + He) into secured parts, each at its LGD_S, and an
unsecured part at LGD_U (methodology 9.7, C.29).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from banksim.errors import InputError
from banksim.positions.protection import (
    FINANCIAL_COLLATERAL,
    GUARANTEE_TYPES,
    PHYSICAL_COLLATERAL,
    validate_crm_lines,
    validate_protection,
)
from banksim.regulation._frame import is_in, lookup
from banksim.regulation.crm import CrmResult, crm_parameters
from banksim.regulation.crm_allocation import allocate, item_lines, per_line, rule_labels
from banksim.regulation.crm_haircuts import (
    fx_haircut,
    holding_period_scaling,
    lent_security_haircut,
    maturity_mismatch_factor,
    supervisory_haircut,
)

__all__ = ["firb_collateral_lgd", "firb_lgd_matched"]


def firb_collateral_lgd(
    lines: pd.DataFrame, protection: pd.DataFrame, parameters: Mapping[str, Any] | None = None
) -> CrmResult:
    """LGD* of F-IRB lines with collateral (CRE32.10, CRE32.14; methodology 9.7 and C.29).

    Parameters
    ----------
    lines : DataFrame
        One row per F-IRB line: ``position_id``, ``exposure`` (EAD), ``currency``,
        ``residual_maturity``, ``obligor_group`` (corporate / financial), ``seniority`` and the
        optional CRM columns (``transaction_type``, ``remargining_days``, lent security).
    protection : DataFrame
        The protection table (collateral only: a guarantee or credit derivative is an input error
        here, since ``apply_crm`` substitutes those after LGD*, methodology C.47); rows of other
        positions are ignored.
    parameters : mapping, optional
        Regulatory parameters (the CRM parameters are ``CRM_PARAMETERS``).

    Returns
    -------
    CrmResult
        ``lines``: E, He, LGD_U, the secured and unsecured parts of E(1 + He), LGD* and
        ``crm_rule``; ``items``: each item's haircuts, factor, adjusted value, LGD_S and cover.
    """
    frame = validate_crm_lines(lines, "firb")
    line, items = item_lines(frame, validate_protection(protection))
    return firb_lgd_matched(frame, items, line, parameters)


def firb_lgd_matched(
    frame: pd.DataFrame, items: pd.DataFrame, line: np.ndarray, parameters: Mapping[str, Any] | None = None
) -> CrmResult:
    """:func:`firb_collateral_lgd` on inputs already checked and matched (one pass in ``apply_crm``).

    ``frame`` as ``validate_crm_lines(lines, "firb")`` returns it, ``items`` validated protection
    rows and ``line`` the index into ``frame`` of each of them.
    """
    crm, _ = crm_parameters(parameters)
    _refuse_guarantees(items)
    n = len(frame)
    lgd_u, scaling, he = _line_terms(frame, crm)
    capacity = frame["exposure"].to_numpy(dtype=float) * (1 + he)
    haircut, fx, lgd_s = _item_haircuts(frame, items, line, scaling, crm)
    mf, _ = maturity_mismatch_factor(items, frame["residual_maturity"].to_numpy()[line], crm)
    value = items["amount"].to_numpy()
    eligible = ~np.isnan(haircut)
    adjusted = np.where(eligible, value * np.maximum(0.0, 1 - np.nan_to_num(haircut) - fx) * mf, 0.0)
    covered = allocate(line, np.nan_to_num(lgd_s), adjusted, capacity)  # ascending LGD_S (C.29)
    secured = per_line(line, covered, n)
    unsecured = capacity - secured
    with np.errstate(invalid="ignore", divide="ignore"):
        weighted = (lgd_u * unsecured + per_line(line, covered * np.nan_to_num(lgd_s), n)) / capacity
    used = covered > 0
    financial = is_in(items, "protection_type", *FINANCIAL_COLLATERAL) & (np.nan_to_num(haircut) > 0)
    flags = {
        "CRE32.10": _lines(used, line, n),
        "CRE32.12": _lines(used & (fx > 0), line, n),
        "CRE22.59": _lines(used & financial & (scaling[line] != 1), line, n),
        "CRE32.14": per_line(line, adjusted, n) > capacity,
        "CRE32.56": _lines(used & (mf < 1), line, n),
    }
    result = pd.DataFrame(
        {
            "position_id": frame["position_id"].array,
            "exposure": frame["exposure"].to_numpy(dtype=float),
            "he": he,
            "lgd_unsecured": lgd_u,
            "collateral_value": per_line(line, np.where(eligible, value, 0.0), n),
            "secured_exposure": secured,
            "unsecured_exposure": unsecured,
            "lgd_star": np.where(capacity > 0, weighted, lgd_u),
            "crm_rule": rule_labels({k: v & (secured > 0) for k, v in flags.items() if v.any()}, n),
        },
        copy=False,
    )
    given = {name: items[name].array for name in ("position_id", "protection_type", "amount", "currency")}
    computed = {
        "haircut": haircut,
        "fx_haircut": fx,
        "maturity_factor": mf,
        "adjusted_value": adjusted,
        "lgd_secured": lgd_s,
        "covered": covered,
        "recognised": used,
    }
    return CrmResult(lines=result, items=pd.DataFrame({**given, **computed}, copy=False))


def _refuse_guarantees(items: pd.DataFrame) -> None:
    """Guarantees and credit derivatives are not collateral: an input error here (methodology C.47)."""
    guarantee = is_in(items, "protection_type", *GUARANTEE_TYPES)
    if guarantee.any():
        raise InputError(
            "protection['protection_type']",
            "F-IRB LGD* takes collateral only, not guarantees or credit derivatives"
            f" ({int(guarantee.sum())} rows; apply_crm substitutes those after LGD*)",
            failure_cases=items["position_id"][guarantee][:5].tolist(),
            allowed=[*FINANCIAL_COLLATERAL, *PHYSICAL_COLLATERAL, "deposit_netting"],
        )


def _line_terms(frame: pd.DataFrame, crm: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """LGD_U (CRE32.6-7), the haircut scaling of CRE22.59 and He (CRE22.54) of each line (C.29)."""
    firb = crm["firb"]
    lgd_u = np.where(
        is_in(frame, "seniority", "subordinated"),
        firb["lgd_unsecured"]["subordinated"],
        lookup(frame, "obligor_group", firb["lgd_unsecured"]).astype(float, copy=False),
    )
    holding = frame["transaction_type"].map(crm["holding_period_days"]).to_numpy(dtype=float)
    scaling = holding_period_scaling(holding, frame["remargining_days"].to_numpy(), crm["haircut_base_days"])
    he10, _ = lent_security_haircut(frame, crm)
    return lgd_u, scaling, he10 * scaling


def _item_haircuts(
    frame: pd.DataFrame, items: pd.DataFrame, line: np.ndarray, scaling: np.ndarray, crm: Mapping[str, Any]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hc, Hfx and LGD_S of each item (CRE32.11-12, methodology C.29); Hc NaN: not recognised.

    Financial collateral: the scaled CRE22.49 haircuts and Hfx, LGD_S 0%; netting deposits: Hc 0,
    Hfx 8% unscaled, LGD_S 0%; receivables, real estate, other physical: Hc 40%, Hfx 8%, unscaled.
    """
    firb = crm["firb"]
    mismatch = items["currency"].cat.codes.to_numpy() != frame["currency"].cat.codes.to_numpy()[line]
    financial = is_in(items, "protection_type", *FINANCIAL_COLLATERAL)
    physical = is_in(items, "protection_type", *PHYSICAL_COLLATERAL)
    deposit = is_in(items, "protection_type", "deposit_netting")
    line_scaling = scaling[line]
    haircut = np.where(financial, supervisory_haircut(items, crm) * line_scaling, np.nan)
    haircut = np.where(deposit, 0.0, np.where(physical, firb["non_financial_haircut"], haircut))
    fx = np.where(financial, fx_haircut(mismatch, line_scaling, crm), fx_haircut(mismatch, 1.0, crm))
    lgd_s = lookup(items, "protection_type", firb["lgd_secured"]).astype(float, copy=False)
    lgd_s = np.where(financial | deposit, firb["lgd_secured"]["financial"], lgd_s)
    return haircut, fx, lgd_s


def _lines(item_mask: np.ndarray, line: np.ndarray, n: int) -> np.ndarray:
    hit = np.zeros(n, dtype=bool)
    hit[line[item_mask]] = True
    return hit
