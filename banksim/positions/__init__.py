"""Positions: the table every metric reads, its vocabulary, column specifications, validation and readers.

``vocabulary`` (categories and the named subsets the rules use), ``columns`` (``POSITIONS_SCHEMA``),
``validation`` (``validate_positions``), ``readers`` (``read_positions``), ``own_funds``.
"""

from banksim.positions.columns import POSITIONS_SCHEMA, ColumnSpec, schema_markdown, schema_table
from banksim.positions.own_funds import own_funds
from banksim.positions.readers import read_positions
from banksim.positions.validation import validate_positions

__all__ = [
    "POSITIONS_SCHEMA",
    "ColumnSpec",
    "own_funds",
    "read_positions",
    "schema_markdown",
    "schema_table",
    "validate_positions",
]
