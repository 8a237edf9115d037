"""Rule citations per line: the paragraph of a line's weight, then each paragraph that changed its number.

``cite`` joins a line's base rule with notes given as small integer codes and builds each distinct
text once, from the codes (methodology C.45): no string work per row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["Note", "cite", "flag", "subset"]

# A note: one code per line (0: the note does not apply; k: its k-th text applies) and the texts.
Note = tuple[np.ndarray, tuple[str, ...]]
SEPARATOR = "; "


def flag(mask: np.ndarray, text: str) -> Note:
    """A note that applies, with one text, to the lines in ``mask``."""
    return mask.astype(np.int8), (text,)


def subset(notes: Sequence[Note], rows: np.ndarray) -> list[Note]:
    """The notes of the lines at the positions ``rows``."""
    return [(codes.take(rows), texts) for codes, texts in notes]


def cite(base: Any, notes: Sequence[Note]) -> Any:
    """``base`` (a Categorical of rules) followed by the texts of the notes that apply, joined by "; ".

    Returns a Categorical. The notes keep the order given; a line none applies to keeps its rule.
    The combined codes of the rule and the notes key a table of the few distinct texts, built once
    each.
    """
    if not notes:
        return base
    radices = [len(texts) + 1 for _, texts in notes]
    space = len(base.categories) * int(np.prod(radices, dtype=np.float64))
    key = np.asarray(base.codes, dtype=np.int32 if space < 2**31 else np.int64)
    for (codes, _), radix in zip(notes, radices, strict=True):
        key = key * radix + codes
    present = np.flatnonzero(np.bincount(key)) if key.size else np.zeros(0, dtype=np.int64)
    rules = [str(c) for c in base.categories]
    texts = [_text(int(k), rules, notes, radices) for k in present]
    categories = list(dict.fromkeys([*rules, *texts]))
    table = np.zeros(int(present.max()) + 1 if present.size else 1, dtype=np.int32)
    table[present] = [categories.index(t) for t in texts]
    return pd.Categorical.from_codes(table[key], dtype=pd.CategoricalDtype(categories))


def _text(key: int, rules: list[str], notes: Sequence[Note], radices: list[int]) -> str:
    """The text of one combined code: the rule, then each note's text in order."""
    digits = []
    for radix in reversed(radices):
        key, digit = divmod(key, radix)
        digits.append(digit)
    parts = [rules[key]] if rules[key] else []
    for (_, texts), digit in zip(notes, reversed(digits), strict=True):
        if digit:
            parts.append(texts[digit - 1])
    return SEPARATOR.join(parts)
