"""Every chart cell of notebooks 01, 04 and 06 produces an image, executed and as committed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
PNG = "iVBORw0KGgo"  # base64 of the PNG signature


def chart_cells(book: Any) -> list[Any]:
    """The cells that draw a chart; each of them must carry the "chart" tag."""
    cells = [c for c in book.cells if c.cell_type == "code" and "plots." in c.source]
    for cell in cells:
        assert "chart" in cell.metadata.get("tags", []), f"untagged chart cell: {cell.source[:60]!r}"
    return cells


@pytest.mark.slow
@pytest.mark.parametrize("name", ["01_quickstart", "04_stress_testing", "06_provisions_and_rate_risk"])
def test_executed_chart_cells_show_an_image(notebooks_on_a_shared_store: dict[str, Any], name: str) -> None:
    cells = chart_cells(notebooks_on_a_shared_store[name])
    assert cells, f"{name} has no chart"
    for cell in cells:
        images = [o for o in cell.outputs if o.get("data", {}).get("image/png", "").startswith(PNG)]
        assert images, (
            f"{name}: no image/png from {cell.source!r} (got {[o.get('data', {}).keys() for o in cell.outputs]})"
        )


@pytest.mark.parametrize("name", ["01_quickstart", "04_stress_testing", "06_provisions_and_rate_risk"])
def test_committed_notebooks_keep_their_chart_images(name: str) -> None:
    book = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    cells = chart_cells(book)
    assert cells
    for cell in cells:
        assert [list(o.data) for o in cell.outputs] == [["image/png"]], cell.source
        assert cell.outputs[0].data["image/png"].startswith(PNG) and cell.execution_count is not None
