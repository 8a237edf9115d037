"""Named jurisdictions as data: presets of parameter overrides, and how a run's ``parameters`` resolve.

A preset is a nested dict of overrides of :data:`banksim.regulation.parameters.DEFAULT_PARAMETERS`
(methodology 8); ``basel`` is the Basel Framework itself, i.e. no overrides, ``eu_crr3`` the EU's.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from banksim.errors import InputError

__all__ = ["PRESETS", "resolve_parameters"]

# The EU: Regulation (EU) No 575/2013 (CRR) as amended by Regulation (EU) 2024/1623 (CRR3), applying
# from 1 January 2025. Only the differences that change numbers banksim computes (methodology 8.1-8.6);
# the article numbers are to be checked against the regulation in force (methodology 8.7).
EU_CRR3: dict[str, Any] = {
    "sa": {
        # CRR Art. 501: RWA x 0.7619 on the part of E* (total amount owed) up to EUR 2.5m, x 0.85 above.
        "sme_supporting_factor": {"factor": 0.7619, "factor_above_threshold": 0.85},
        # CRR Art. 501a: RWA x 0.75 for qualifying infrastructure project finance.
        "infrastructure_supporting_factor": 0.75,
        # CRR Art. 125(1) (through Art. 124(2)(a)): 20% on the part of a residential loan up to 55%
        # of the property value, the counterparty's RW on the rest (Basel's CRE20.83 option).
        "rre_loan_splitting": {"applied": True},
        # CRR Art. 126(1) (through Art. 124(2)(b)): min(60%, counterparty RW) on the part up to 55%
        # of the property value, the counterparty's RW on the rest (Basel's CRE20.86 option).
        "cre_loan_splitting": {"applied": True},
    },
    "output_floor": {
        # CRR Art. 465(1): 50% in 2025, 55% 2026, 60% 2027, 65% 2028, 70% 2029, 72.5% from 2030
        # (Art. 92(3)); no floor before 2025, hence 0 for Basel's 2023 and 2024 (methodology 8.6).
        "schedule": {
            2023: 0.0,
            2024: 0.0,
            2025: 0.50,
            2026: 0.55,
            2027: 0.60,
            2028: 0.65,
            2029: 0.70,
            2030: 0.725,
        },
    },
}

# Preset name -> overrides of DEFAULT_PARAMETERS (each with its source in a comment).
PRESETS: dict[str, dict[str, Any]] = {
    "basel": {},  # the Basel Framework as published (the default)
    "eu_crr3": EU_CRR3,  # the EU's CRR as amended by CRR3 (methodology 8)
}


def resolve_parameters(parameters: str | Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The overrides a run's ``parameters`` stand for.

    Parameters
    ----------
    parameters : str, dict or None
        The name of a preset in :data:`PRESETS`, a nested dict of overrides of
        ``DEFAULT_PARAMETERS``, or None (the Basel Framework).

    Returns
    -------
    dict or None
        A fresh copy of the overrides, or None when there are none (``basel``), so that a run with
        no overrides keeps the cache keys it always had.

    Raises
    ------
    InputError
        For an unknown preset name or a value that is neither a name nor a dict.
    """
    if parameters is None:
        return None
    if isinstance(parameters, str):
        if parameters not in PRESETS:
            raise InputError(
                "parameters", f"unknown jurisdiction preset {parameters!r}", allowed=sorted(PRESETS)
            )
        overrides = PRESETS[parameters]
    elif isinstance(parameters, Mapping):
        overrides = dict(parameters)
    else:
        raise InputError(
            "parameters",
            f"expected a preset name or a dict of overrides, got {type(parameters).__name__}",
            allowed=sorted(PRESETS),
        )
    return copy.deepcopy(overrides) or None
