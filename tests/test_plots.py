"""Charts show themselves as PNG images in IPython without pyplot, and nothing in them is cut off."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

import banksim as bs
from banksim import plots
from banksim.pipeline import HEADLINE_COLUMNS

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def charts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, plots.Chart]]:
    folder = tmp_path_factory.mktemp("plots")
    with bs.open_store(f"sqlite:///{folder / 'store.db'}", artifact_path=folder / "artifacts") as store:
        with bs.use_store(store):
            run = bs.run_pipeline(600, seed=3)
            table = bs.sweep(
                ["baseline", "mild_recession", "idiosyncratic_liquidity_run"], 600, 3, progress=False
            )
        yield {
            "rwa_by_class": plots.rwa_by_class(run.rwa),
            "lcr_waterfall": plots.lcr_waterfall(run.liquidity),
            "nsfr_bars": plots.nsfr_bars(run.liquidity),
            "capital_stack": plots.capital_stack(run.capital),
            "scenario_comparison": plots.scenario_comparison(table),
        }
        with pytest.raises(bs.InputError, match=r"\['cet2_ratio'\] are not columns") as error:
            plots.scenario_comparison(table, metrics=("cet1_ratio", "cet2_ratio"))
        assert error.value.allowed == list(HEADLINE_COLUMNS)  # every step's headline columns
        store.close()


def test_every_chart_is_a_png_for_ipython(charts: dict[str, plots.Chart]) -> None:
    from IPython.core.formatters import DisplayFormatter

    for name, chart in charts.items():
        data, _ = DisplayFormatter().format(chart)
        assert data["image/png"][:8] == PNG, name
        assert chart.heading(), f"{name} has no title"


def test_nothing_is_cut_off(charts: dict[str, plots.Chart]) -> None:
    """Everything drawn (titles, tick labels, legends, annotations) lies inside the image."""
    for name, chart in charts.items():
        renderer = FigureCanvasAgg(chart).get_renderer()
        chart.draw(renderer)
        drawn = chart.get_tightbbox(renderer)  # inches, over every visible artist
        width, height = chart.get_size_inches()
        assert drawn.x0 >= -0.01 and drawn.y0 >= -0.01, (name, drawn)
        assert drawn.x1 <= width + 0.01 and drawn.y1 <= height + 0.01, (name, drawn, (width, height))


def test_labels_are_words_not_identifiers(charts: dict[str, plots.Chart]) -> None:
    rwa_classes = [t.get_text() for t in charts["rwa_by_class"].axes[0].get_yticklabels()]
    assert "residential real estate" in rwa_classes and not any("_" in c for c in rwa_classes)
    comparison = charts["scenario_comparison"]
    assert [axes.get_title() for axes in comparison.axes] == ["CET1 ratio", "LCR", "NSFR"]
    scenarios = [t.get_text() for t in comparison.axes[0].get_yticklabels()]
    assert scenarios == ["baseline", "mild recession", "idiosyncratic liquidity run"]  # top-down, table order


def test_ratios_below_their_minimum_are_red(charts: dict[str, plots.Chart]) -> None:
    lcr = charts["scenario_comparison"].axes[1]
    for bar in lcr.patches:
        below = bar.get_width() < 100
        assert bar.get_facecolor()[:3] == pytest.approx(
            (0xC4 / 255, 0x4E / 255, 0x52 / 255) if below else (0x4C / 255, 0x72 / 255, 0xB0 / 255)
        )
    assert any(bar.get_width() < 100 for bar in lcr.patches)  # the liquidity run breaches it


def test_plain_python_gets_a_useful_repr_and_show_says_how_to_save(
    charts: dict[str, plots.Chart], monkeypatch: pytest.MonkeyPatch
) -> None:
    import IPython

    monkeypatch.setattr(IPython, "get_ipython", lambda: None)  # another test may have left a shell
    chart = charts["capital_stack"]
    assert repr(chart) == (
        "<Chart 'Capital against requirements', 700x450 px: Jupyter shows it as an image; "
        "elsewhere chart.savefig('chart.png') writes it>"
    )
    with pytest.raises(RuntimeError, match=r"chart.savefig\('chart.png'\)"):
        chart.show()


@pytest.mark.slow
def test_charts_show_in_ipython_without_pyplot_or_inline_backend(tmp_path: Path) -> None:
    """In a fresh IPython shell: an image/png result, and pyplot never loaded."""
    script = f"""
import sys
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
import banksim as bs
from banksim import plots
with bs.open_store("sqlite:///{tmp_path}/s.db", artifact_path="{tmp_path}/a"):
    run = bs.run_pipeline(300, seed=1)
chart = plots.rwa_by_class(run.rwa)
data, _ = shell.display_formatter.format(chart)
print(sorted(data), "matplotlib.pyplot" in sys.modules)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "['image/png', 'text/plain'] False"
