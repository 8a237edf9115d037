"""The scenario explorer: the controller, the ipywidgets view driven headless, and the plots."""

from __future__ import annotations

import ipywidgets
import pytest
from matplotlib.figure import Figure

import banksim as bs
from banksim import plots
from banksim.explorer import CONTROLS, ScenarioController
from banksim.widgets import ScenarioExplorer

SMALL = {"num_positions": 1_000, "seed": 5}


@pytest.fixture(autouse=True)
def _close_widgets():  # type: ignore[no-untyped-def]
    yield
    ipywidgets.Widget.close_all()


def test_controller_maps_every_control_to_the_scenario(sqlite_store: bs.Store) -> None:
    controller = ScenarioController(**SMALL)
    assert controller.scenario().shocks.changed() == {}
    controller.set("rating_downgrade", 2)
    controller.set("deposit_run_off_multiplier", 2.0)
    controller.set("countercyclical_rates", 0.01)
    changed = controller.scenario().shocks.changed()
    assert changed["rating_downgrade"]["corporate"] == 2
    assert set(changed["deposit_run_off_multiplier"].values()) == {2.0}
    assert changed["countercyclical_rates"] == {"DE": 0.01}
    with pytest.raises(bs.InputError, match="between"):
        controller.set("pd_multiplier", 50.0)
    with pytest.raises(bs.InputError, match="unknown control"):
        controller.set("weather", 1.0)


def test_controller_reports_cache_status_per_step(sqlite_store: bs.Store) -> None:
    controller = ScenarioController(**SMALL)
    first = controller.run()
    assert first.summary().startswith("computed") and first.status["scenario"] == "not needed"
    again = controller.run()
    assert again.summary() == "loaded from cache" and again.from_cache
    forced = controller.run(force=True)
    assert not forced.from_cache and forced.status["rwa"].startswith("computed")
    calls = []
    controller.run(progress=lambda done, total: calls.append((done, total)))
    assert calls[0] == (0, 5) and calls[-1] == (5, 5)


def test_controller_captures_errors(sqlite_store: bs.Store) -> None:
    controller = ScenarioController(**SMALL)
    controller.set("product_growth", 0.5)
    controller.set("facility_drawdown", 1.0)
    controller.values["num_positions"] = 0  # bypassing set(): the pipeline itself refuses
    run = controller.run()
    assert run.result is None and "num_positions" in (run.error or "")
    assert run.summary().startswith("error:")


def test_view_sliders_drive_the_controller(sqlite_store: bs.Store) -> None:
    explorer = ScenarioExplorer(**SMALL)
    assert set(explorer.controls) == {"profile", *(spec.name for spec in CONTROLS)}
    assert all(c.continuous_update is False for n, c in explorer.controls.items() if n != "profile")
    assert explorer.last is not None and "computed" in explorer.status.value
    baseline = explorer.last.result.headline()
    explorer.controls["house_price_change"].value = -0.3
    assert explorer.last.status["scenario"].startswith("computed")
    assert explorer.last.result.headline()["cet1_ratio"] < baseline["cet1_ratio"]
    explorer.controls["house_price_change"].value = 0.0
    assert "loaded from cache" in explorer.status.value
    explorer.force_button.click()
    assert explorer.last.summary().startswith("computed")
    assert explorer.progress.value == explorer.progress.max
    # Each chart is a PNG written into its Output widget.
    for out in explorer.charts.values():
        assert out.outputs[0]["data"]["image/png"]
    assert "cet1_ratio" in explorer.headline.value


def test_view_shows_errors_instead_of_raising(sqlite_store: bs.Store) -> None:
    explorer = ScenarioExplorer(**SMALL, run=False)
    explorer.controls["product_growth"].value = 0.5  # needs more reserves than a small bank has
    explorer.controls["facility_drawdown"].value = 1.0
    assert "central bank reserves" in explorer.error.value
    assert explorer.status.value.startswith("<b>error")


def test_plots_have_titles_axes_and_the_plotted_values(sqlite_store: bs.Store) -> None:
    run = bs.run_pipeline(**SMALL)
    figure = plots.rwa_by_class(run.rwa)
    assert isinstance(figure, Figure)
    axes = figure.axes[0]
    assert axes.get_title() == "RWA by exposure class" and axes.get_xlabel() == "RWA (EUR bn)"
    total = sum(patch.get_width() for patch in axes.patches)
    assert total == pytest.approx(run.rwa["rwa"].sum() / 1e9, rel=1e-9)
    waterfall = plots.lcr_waterfall(run.liquidity).axes[0]
    heights = [patch.get_height() for patch in waterfall.patches]
    assert heights[0] == pytest.approx(run.liquidity["hqla"] / 1e9)
    assert heights[3] == pytest.approx(run.liquidity["net_outflows"] / 1e9)
    assert "LCR" in waterfall.get_title() and waterfall.get_ylabel() == "EUR bn"
    stack = plots.capital_stack(run.capital).axes[0]
    cet1 = stack.patches[0].get_height()
    assert cet1 == pytest.approx(run.capital["ratios"]["cet1_ratio"] * 100)
    assert stack.get_ylabel() == "% of risk-weighted assets"
    nsfr = plots.nsfr_bars(run.liquidity).axes[0]
    asf = sum(p.get_height() for p in nsfr.patches if p.get_x() < 0.5)
    assert asf == pytest.approx(run.liquidity["asf"] / 1e9, rel=1e-9)
    assert plots.to_png(figure)[:8] == b"\x89PNG\r\n\x1a\n"
