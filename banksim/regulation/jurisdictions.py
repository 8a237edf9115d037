"""Named jurisdictions as data: presets of parameter overrides, and how a run's ``parameters`` resolve.

A preset is a nested dict of overrides of :data:`banksim.regulation.parameters.DEFAULT_PARAMETERS`
(methodology 8); ``basel`` is the Basel Framework itself, i.e. no overrides.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from banksim.errors import InputError

__all__ = ["PRESETS", "resolve_parameters"]

# Preset name -> overrides of DEFAULT_PARAMETERS (each with its source in a comment).
PRESETS: dict[str, dict[str, Any]] = {
    "basel": {},  # the Basel Framework as published (the default)
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
