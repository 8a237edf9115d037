"""Exceptions raised by banksim.

One small hierarchy rooted in :class:`BanksimError`; input errors carry structure (what was
wrong, where, and what is allowed) so a notebook user can fix the call without reading code.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

__all__ = [
    "BanksimError",
    "InputError",
    "SchemaVersionError",
    "StoreError",
    "UnhashableArgumentError",
]


def _preview(values: Iterable[Any], limit: int = 5) -> str:
    items = list(values)
    shown = ", ".join(repr(v) for v in items[:limit])
    more = f", ... ({len(items) - limit} more)" if len(items) > limit else ""
    return f"[{shown}{more}]"


class BanksimError(Exception):
    """Base class of every error banksim raises on purpose."""


class InputError(BanksimError, ValueError):
    """An argument or a column holds a value that banksim does not accept.

    Parameters
    ----------
    argument : str
        The argument (or ``column`` of a table argument) that is wrong.
    reason : str
        What is wrong, in words.
    allowed : str or sequence, optional
        What would have been accepted.
    failure_cases : sequence, optional
        The first offending values (or position ids), shown in the message.
    """

    def __init__(
        self,
        argument: str,
        reason: str,
        *,
        allowed: str | Sequence[Any] | None = None,
        failure_cases: Sequence[Any] | None = None,
    ) -> None:
        self.argument = argument
        self.reason = reason
        self.allowed = allowed
        self.failure_cases = list(failure_cases) if failure_cases is not None else []
        message = f"{argument}: {reason}"
        if self.failure_cases:
            message += f"; offending values: {_preview(self.failure_cases)}"
        if allowed is not None:
            allowed_text = allowed if isinstance(allowed, str) else _preview(allowed, limit=20)
            message += f"; allowed: {allowed_text}"
        super().__init__(message)


class UnhashableArgumentError(BanksimError, TypeError):
    """A value cannot be turned into a deterministic cache key.

    ``path`` names where the value sits (``config['mix'][2]``) and ``type_name`` its type.
    """

    def __init__(self, path: str, type_name: str, hint: str = "") -> None:
        self.path = path
        self.type_name = type_name
        message = (
            f"{path}: values of type {type_name} cannot be hashed into a cache key; "
            "use None, bool, int, float, str, bytes, Decimal, date/datetime, list, tuple, set, "
            "dict, dataclass, Enum, numpy array or pandas Series/DataFrame"
        )
        if hint:
            message += f" ({hint})"
        super().__init__(message)


class StoreError(BanksimError):
    """The store cannot be opened or used as configured."""


class SchemaVersionError(StoreError):
    """The database schema is at a revision this version of banksim does not know."""
