"""The notebooks pass on a store that already holds other runs, and keep to the runs they made."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.slow


def outputs_text(cell: Any) -> str:
    return "".join(o.get("text", "") + str(o.get("data", {}).get("text/plain", "")) for o in cell.outputs)


def test_every_notebook_runs_on_a_store_with_other_runs(notebooks_on_a_shared_store: dict[str, Any]) -> None:
    for name, book in notebooks_on_a_shared_store.items():
        errors = [
            o for c in book.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"
        ]
        assert not errors, f"{name}: {errors[0]['ename']}: {errors[0]['evalue']}"


def test_the_sql_notebook_reports_only_its_own_runs(notebooks_on_a_shared_store: dict[str, Any]) -> None:
    book = notebooks_on_a_shared_store["03_sql_across_results"]
    headline = next(c for c in book.cells if c.cell_type == "code" and c.source.startswith("headline ="))
    rows = outputs_text(headline).strip().splitlines()[2:]  # after the header lines
    assert [row.split()[0] for row in rows] == ["baseline", "mild_recession", "severe_recession"]


def test_reopening_the_quickstart_is_served_from_the_store(
    notebooks_on_a_shared_store: dict[str, Any],
) -> None:
    book = notebooks_on_a_shared_store["01_quickstart"]
    first = next(
        c for c in book.cells if c.cell_type == "code" and "bs.run_simulation(NUM_POSITIONS" in c.source
    )
    assert "cache hit: True" in outputs_text(first)  # the pre-filled store holds this bank already
