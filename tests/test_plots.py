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
            "ecl_by_stage": plots.ecl_by_stage(run.outputs["ecl_summary"]),
            "delta_eve_by_scenario": plots.delta_eve_by_scenario(run.outputs["irrbb"]),
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


def test_ecl_by_stage_shows_the_allowance_share_and_coverage_of_each_stage() -> None:
    import pandas as pd

    summary = pd.DataFrame(
        {
            "stage": [1, 1, 2, 3],
            "exposure_class": ["retail", "corporate", "retail", "defaulted"],
            "ead_0": [600e6, 400e6, 100e6, 50e6],
            "loss_allowance": [2e6, 1e6, 3e6, 20e6],
        }
    )
    chart = plots.ecl_by_stage(summary)
    axes = chart.axes[0]
    # stage 1: 2 + 1 = 3 m; stage 2: 3 m; stage 3: 20 m (EUR m)
    assert [p.get_height() for p in axes.patches] == pytest.approx([3.0, 3.0, 20.0], abs=1e-12)
    assert [t.get_text() for t in axes.get_xticklabels()] == ["stage 1", "stage 2", "stage 3"]
    texts = [t.get_text() for t in axes.texts]
    # shares of 26 m: 3/26 = 11.5% -> '12%', 20/26 = 76.9% -> '77%'; coverage 3/1000 = 0.30%,
    # 3/100 = 3.00%, 20/50 = 40.00%; total coverage 26/1150 = 2.26%
    assert texts == [
        "3.0\n12% of allowance\ncoverage 0.30%",
        "3.0\n12% of allowance\ncoverage 3.00%",
        "20.0\n77% of allowance\ncoverage 40.00%",
    ]
    assert axes.get_title() == "total 26.0 m, coverage 2.26% of exposure"
    assert axes.get_ylabel() == "loss allowance (EUR m)"
    with pytest.raises(bs.InputError, match="loss_allowance"):
        plots.ecl_by_stage(summary.drop(columns="loss_allowance"))


def test_delta_eve_by_scenario_marks_the_outlier_line_at_15_percent_of_tier1() -> None:
    irrbb = {
        "tier1": 1000e6,
        "delta_eve": {
            "parallel_up": 160e6, "parallel_down": -20e6, "steepener": 10e6,
            "flattener": 0.0, "short_up": 149e6, "short_down": 5e6,
        },
    }  # fmt: skip
    chart = plots.delta_eve_by_scenario(irrbb)
    axes = chart.axes[0]
    assert [p.get_width() for p in axes.patches] == pytest.approx([160, -20, 10, 0, 149, 5], abs=1e-12)
    assert [t.get_text() for t in axes.get_yticklabels()] == [
        "parallel up", "parallel down", "steepener", "flattener", "short rates up", "short rates down",
    ]  # fmt: skip
    # SRP31.82: outlier above 0.15 x 1000 m = 150 m; only parallel up (160 m) is above it
    assert axes.lines[0].get_xdata()[0] == pytest.approx(150.0, abs=1e-12)
    red = [
        p.get_width()
        for p in axes.patches
        if p.get_facecolor()[:3] == pytest.approx((0xC4 / 255, 0x4E / 255, 0x52 / 255))
    ]
    assert red == pytest.approx([160.0])
    assert "15% of Tier 1 (150)" in [t.get_text() for t in axes.texts]
    assert axes.get_xlabel() == "ΔEVE (EUR m, loss positive)"
    with pytest.raises(bs.InputError, match="tier1"):
        plots.delta_eve_by_scenario({"delta_eve": {}})
