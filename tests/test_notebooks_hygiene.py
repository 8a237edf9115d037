"""Notebooks are stored clean: python3 kernel, no widget state, outputs only in golden and chart cells."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))
EXPECTED = {"01_quickstart", "02_scenario_explorer", "03_sql_across_results", "04_stress_testing",
            "05_bring_your_own_data", "06_provisions_and_rate_risk", "explorer_app"}  # fmt: skip


def test_every_notebook_is_there() -> None:
    assert {path.stem for path in NOTEBOOKS} == EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_clean(path: Path) -> None:
    book = nbformat.read(path, as_version=4)
    assert book.metadata["kernelspec"]["name"] == "python3"
    assert "widgets" not in book.metadata
    code = [cell for cell in book.cells if cell.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", [])
    for cell in code:
        tags = cell.metadata.get("tags", [])
        if "chart" in tags:  # one PNG, nothing else (nbval never compares images)
            assert [list(output.data) for output in cell.outputs] == [["image/png"]], cell.source[:60]
            assert cell.execution_count is not None
            assert len(cell.outputs[0].data["image/png"]) < 150_000
        elif "nbval-check-output" in tags:
            assert cell.outputs and cell.execution_count is not None, cell.source[:60]
            assert sum(len(str(output)) for output in cell.outputs) < 20_000
        else:
            assert not cell.outputs, f"unexpected stored output in {path.name}: {cell.source[:60]}"
    if path.stem != "explorer_app":
        asserts = sum("assert " in cell.source for cell in code)
        assert asserts >= 2, f"{path.name} checks too little ({asserts} assert cells)"
        assert sum("nbval-check-output" in cell.metadata.get("tags", []) for cell in code) >= 1


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_uses_the_configured_store(path: Path) -> None:
    """No private temporary store: the project's (or the environment's) store, so results persist."""
    source = "\n".join(cell.source for cell in nbformat.read(path, as_version=4).cells)
    for private in ("tempfile", "mkdtemp", 'environ.setdefault("DB_URL"', 'environ["DB_URL"]'):
        assert private not in source, f"{path.name} makes its own store ({private})"
