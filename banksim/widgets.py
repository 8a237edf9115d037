"""The scenario explorer as ipywidgets: a thin view over :class:`banksim.explorer.ScenarioController`.

Controls (``continuous_update=False``) set controller values and refresh; the status says for each
step whether it was loaded from the cache or computed; charts are PNGs written into Output widgets
by replacing their ``outputs`` (never ``with out:``); errors show in the widget.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as w
from IPython.display import Image

from banksim import plots
from banksim.explorer import CONTROLS, ExplorerRun, ScenarioController
from banksim.portfolio import PROFILES

__all__ = ["ScenarioExplorer"]

PERCENT_METRICS = (
    "cet1_ratio",
    "tier1_ratio",
    "total_capital_ratio",
    "leverage_ratio",
    "lcr",
    "nsfr",
    "maximum_payout_ratio",
)


class ScenarioExplorer:
    """Sliders for profile, size, seed and every shock; headline ratios, four charts, cache status.

    Parameters
    ----------
    controller : ScenarioController, optional
        The logic to drive; a new one with ``**values`` by default.
    run : bool
        Run once when built (``False`` for tests that set values first).
    **values
        Initial control values (see :data:`banksim.explorer.CONTROLS`).

    Attributes
    ----------
    controls : dict
        The control widgets by name ('profile', 'num_positions', 'seed', one per shock).
    force_button, status, progress, error, headline, charts
        The other widgets; ``charts`` maps 'rwa', 'lcr', 'nsfr', 'capital' to Output widgets.
    """

    def __init__(self, controller: ScenarioController | None = None, run: bool = True, **values: Any) -> None:
        self.controller = controller or ScenarioController(**values)
        self.controls: dict[str, w.Widget] = {
            "profile": w.Dropdown(
                options=sorted(PROFILES), value=self.controller.profile, description="profile"
            )
        }
        for spec in CONTROLS:
            slider = w.IntSlider if spec.integer else w.FloatSlider
            self.controls[spec.name] = slider(
                value=self.controller.values[spec.name],
                min=spec.minimum,
                max=spec.maximum,
                step=spec.step,
                description=spec.label,
                continuous_update=False,
                style={"description_width": "170px"},
                layout=w.Layout(width="420px"),
                readout_format="d" if spec.integer else ".3g",
            )
        for name, control in self.controls.items():
            control.observe(self._on_change(name), names="value")
        self.force_button = w.Button(description="Force recompute", icon="refresh", button_style="warning")
        self.force_button.on_click(lambda _: self.refresh(force=True))
        self.status = w.HTML("not run yet")
        self.status.add_class("bs-cache-status")
        self.error = w.HTML("")
        self.error.add_class("bs-error")
        self.progress = w.IntProgress(value=0, min=0, max=5, description="progress")
        self.headline = w.HTML("")
        self.charts = {name: w.Output() for name in ("rwa", "lcr", "nsfr", "capital")}
        tabs = w.Tab(children=list(self.charts.values()))
        for i, title in enumerate(("RWA by class", "LCR waterfall", "NSFR", "Capital stack")):
            tabs.set_title(i, title)
        sidebar = w.VBox([*self.controls.values(), self.force_button, self.progress])
        self.widget = w.AppLayout(
            header=w.HTML("<h3>banksim scenario explorer</h3>"),
            left_sidebar=sidebar,
            center=w.VBox([self.headline, tabs]),
            footer=w.VBox([self.status, self.error]),
            pane_widths=["440px", 1, 0],
        )
        if run:
            self.refresh()

    def _on_change(self, name: str) -> Any:
        def handler(change: dict[str, Any]) -> None:
            try:
                self.controller.set(name, change["new"])
            except ValueError as exc:
                self.error.value = f"<span style='color:#b00'>{html.escape(str(exc))}</span>"
                return
            self.refresh()

        return handler

    @property
    def last(self) -> ExplorerRun | None:
        return self.controller.last

    def refresh(self, force: bool = False) -> ExplorerRun:
        """Run the controller for the current values and redraw status, headline and charts."""
        for control in (*self.controls.values(), self.force_button):
            control.disabled = True
        self.status.value = "running..."
        try:
            run = self.controller.run(force=force, progress=self._progress)
        finally:
            for control in (*self.controls.values(), self.force_button):
                control.disabled = False
        self.status.value = self._status_html(run)
        if run.error or run.result is None:
            self.error.value = f"<span style='color:#b00'>{html.escape(run.error or 'no result')}</span>"
            return run
        self.error.value = ""
        result = run.result
        self.headline.value = self._headline_html(result.headline())
        self._show("rwa", plots.rwa_by_class(result.rwa))
        self._show("lcr", plots.lcr_waterfall(result.liquidity))
        self._show("nsfr", plots.nsfr_bars(result.liquidity))
        self._show("capital", plots.capital_stack(result.capital))
        return run

    def _progress(self, done: int, total: int) -> None:
        self.progress.max = total
        self.progress.value = done

    def _show(self, name: str, figure: Any) -> None:
        out = self.charts[name]
        out.outputs = ()  # replace, never `with out:` (it stalls notebook runners)
        out.append_display_data(Image(data=plots.to_png(figure), format="png"))

    @staticmethod
    def _status_html(run: ExplorerRun) -> str:
        steps = "".join(f"<li>{html.escape(k)}: {html.escape(v)}</li>" for k, v in run.status.items())
        return f"<b>{html.escape(run.summary())}</b><ul style='margin:0'>{steps}</ul>"

    @staticmethod
    def _headline_html(headline: dict[str, Any]) -> str:
        cells = "".join(
            f"<tr><td>{html.escape(k)}</td><td style='text-align:right'>"
            f"{(f'{v:.2%}' if k in PERCENT_METRICS else f'{v:,.0f}')}</td></tr>"
            for k, v in headline.items()
            if k in (*PERCENT_METRICS, "floored_rwa", "hqla")
        )
        return f"<table>{cells}</table>"

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    def display(self) -> None:
        """Show the explorer (in a notebook or Voila)."""
        from IPython.display import display

        display(self.widget)
