"""The scenario explorer as ipywidgets: a thin view over :class:`banksim.explorer.ScenarioController`.

Library scenario, bank and shock controls (``continuous_update=False``) on the left; headlines with
requirement, surplus, status and change against the baseline, charts and the cache status on the
right. Charts are PNGs written into Output widgets by replacing ``outputs`` (never ``with out:``).
"""

from __future__ import annotations

import base64
import html
from collections.abc import Iterable, Mapping
from typing import Any

import ipywidgets as w
from IPython.display import Image
from matplotlib.figure import Figure

from banksim import plots
from banksim import steps as registry
from banksim.explorer import (
    CONTROLS,
    ExplorerRun,
    Headline,
    ScenarioController,
    amounts,
    ecl_rows,
    irrbb_rows,
    jurisdiction_label,
    outlier_note,
    rwa_rows,
    scenario_label,
)
from banksim.regulation.jurisdictions import PRESETS
from banksim.scenarios import SCENARIOS
from banksim.synthetic.profiles import PROFILES

__all__ = ["ScenarioExplorer"]

STATUS_COLOURS = {"green": "#1b7f3b", "amber": "#b36b00", "red": "#c0392b"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSS = """<style>
.bs-table {border-collapse: collapse; font-size: 13px; margin: 0 0 8px 0;}
.bs-table th {text-align: left; border-bottom: 2px solid #999; padding: 3px 10px 3px 0;}
.bs-table td {border-bottom: 1px solid #ddd; padding: 3px 10px 3px 0; vertical-align: top; line-height: 1.3;}
.bs-table td.num {text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap;}
.bs-rule {color: #666; font-size: 11px; line-height: 1.3;}
.bs-badge {color: white; border-radius: 3px; padding: 1px 6px; white-space: nowrap;}
.bs-section {font-weight: bold; margin: 8px 0 2px 0;}
</style>"""


def _label(text: str, width: str = "180px") -> w.HTML:
    """A control's label that wraps instead of being cut."""
    return w.HTML(f"<span style='line-height:1.2'>{html.escape(text)}</span>", layout=w.Layout(width=width))


def _section(text: str) -> w.HTML:
    return w.HTML(f"<div class='bs-section'>{html.escape(text)}</div>")


def _table(rows: Iterable[Mapping[str, str]], numeric: tuple[str, ...] = ()) -> str:
    rows = list(rows)
    head = "".join(f"<th>{html.escape(k)}</th>" for k in rows[0])
    body = "".join(
        "<tr>"
        + "".join(
            f"<td class='num'>{html.escape(v)}</td>" if k in numeric else f"<td>{html.escape(v)}</td>"
            for k, v in row.items()
        )
        + "</tr>"
        for row in rows
    )
    return f"<table class='bs-table'><tr>{head}</tr>{body}</table>"


class ScenarioExplorer:
    """Scenario library, bank and shock controls; headline metrics against requirements; charts.

    Parameters
    ----------
    controller : ScenarioController, optional
        The logic to drive; a new one with ``**values`` by default.
    run : bool
        Run once when built (``False`` for tests that set values first).
    **values
        Initial control values, in the units shown (see :data:`banksim.explorer.CONTROLS`), and the
        other :class:`~banksim.explorer.ScenarioController` arguments.

    Attributes
    ----------
    controls : dict
        The control widgets by name ('scenario', 'parameters', 'profile', 'num_positions', 'seed',
        one per shock).
    force_button, workbook_button, download, status, progress, progress_label, error, headline,
    amounts, charts, tables
        The other widgets; ``charts`` maps 'capital', 'lcr', 'nsfr', 'rwa', 'ecl', 'irrbb' to Output
        widgets; ``tables`` maps 'rwa' (RWA by risk), 'ecl' (allowance by stage) and 'irrbb' (ΔEVE and
        ΔNII by shock) to HTML widgets beside their charts.
    """

    def __init__(self, controller: ScenarioController | None = None, run: bool = True, **values: Any) -> None:
        self.controller = controller or ScenarioController(**values)
        self._syncing = False
        self.controls: dict[str, w.Widget] = {
            "scenario": w.Dropdown(
                options=[(scenario_label(name), name) for name in SCENARIOS],
                value=self.controller.base.name,
                layout=w.Layout(width="225px"),
            ),
            "parameters": w.Dropdown(
                options=[(jurisdiction_label(name), name) for name in PRESETS],
                value=self.controller.parameters,
                layout=w.Layout(width="225px"),
            ),
            "profile": w.Dropdown(
                options=[(p.capitalize(), p) for p in sorted(PROFILES)],
                value=self.controller.profile,
                layout=w.Layout(width="225px"),
            ),
        }
        rows = {
            "scenario": self._row("Library scenario", "scenario"),
            "parameters": self._row("Jurisdiction", "parameters"),
            "profile": self._row("Bank profile", "profile"),
        }
        for spec in CONTROLS:
            slider = w.IntSlider if spec.integer else w.FloatSlider
            self.controls[spec.name] = slider(
                value=self.controller.values[spec.name],
                min=spec.minimum,
                max=spec.maximum,
                step=spec.step,
                continuous_update=False,
                readout_format="d" if spec.integer else f".{spec.decimals}f",
                layout=w.Layout(width="210px"),
            )
            rows[spec.name] = self._row(f"{spec.label} ({spec.unit})" if spec.unit else spec.label, spec.name)
        for name, control in self.controls.items():
            control.observe(self._on_change(name), names="value")
        self.scenario_note = w.HTML(layout=w.Layout(width="400px"))
        self.force_button = w.Button(
            description="Force recompute", icon="refresh", layout=w.Layout(width="180px")
        )
        self.force_button.on_click(lambda _: self.refresh(force=True))
        self.workbook_button = w.Button(
            description="Excel workbook", icon="file-excel-o", tooltip="Build the workbook of this scenario",
            layout=w.Layout(width="180px"),
        )  # fmt: skip
        self.workbook_button.on_click(lambda _: self.prepare_workbook())
        self.download = w.HTML("")
        self.download.add_class("bs-download")
        self.progress = w.IntProgress(value=0, min=0, max=len(registry.STEPS), layout=w.Layout(width="180px"))
        self.progress_label = w.Label("")
        self.progress_label.add_class("bs-progress")
        self.title = w.HTML("")
        self.headline = w.HTML("")
        self.headline.add_class("bs-headlines")
        self.amounts = w.HTML("")
        self.status = w.HTML("not run yet")
        self.status.add_class("bs-cache-status")
        self.error = w.HTML("")
        self.error.add_class("bs-error")
        self.charts = {name: w.Output() for name in ("capital", "lcr", "nsfr", "rwa", "ecl", "irrbb")}
        self.tables = {name: w.HTML("") for name in ("rwa", "ecl", "irrbb")}
        for name, table in self.tables.items():
            table.add_class(f"bs-table-{name}")  # a stable hook for the browser test
        pages = [
            w.VBox([self.tables[name], chart]) if name in self.tables else chart
            for name, chart in self.charts.items()
        ]
        tabs = w.Tab(children=pages)
        titles = (
            "Capital stack",
            "LCR waterfall",
            "NSFR",
            "RWA",
            "Expected credit loss",
            "Interest-rate risk",
        )
        for i, title in enumerate(titles):
            tabs.set_title(i, title)
        sidebar = w.VBox(
            [
                _section("Scenario"), rows["scenario"], self.scenario_note,
                _section("Bank"), rows["parameters"], rows["profile"], rows["num_positions"], rows["seed"],
                _section("Shocks"), *(rows[s.name] for s in CONTROLS if s.shock),
                w.HBox([self.force_button, self.workbook_button]), self.download,
                w.HBox([self.progress, self.progress_label]),
            ],
            layout=w.Layout(width="415px", min_width="415px"),
        )  # fmt: skip
        main = w.VBox(
            [self.title, self.headline, self.amounts, tabs, self.status, self.error],
            layout=w.Layout(flex="1 1 auto", min_width="600px", padding="0 0 0 16px"),
        )
        header = w.HTML(f"{CSS}<h2 style='margin:4px 0 8px 0'>banksim scenario explorer</h2>")
        self.widget = w.VBox([header, w.HBox([sidebar, main])])
        self._show_scenario_note()
        if run:
            self.refresh()

    def _row(self, text: str, name: str) -> w.HBox:
        control = self.controls.get(name)
        row = w.HBox([_label(text), control] if control is not None else [_label(text)])
        row.add_class(f"bs-control-{name}")  # a stable hook for the browser test
        return row

    def _on_change(self, name: str) -> Any:
        def handler(change: dict[str, Any]) -> None:
            if self._syncing:
                return
            try:
                if name == "scenario":
                    self._load_scenario(change["new"])
                else:
                    self.controller.set(name, change["new"])
            except ValueError as exc:
                self.error.value = f"<span style='color:#c0392b'>{html.escape(str(exc))}</span>"
                return
            self._show_scenario_note()
            self.refresh()

        return handler

    def _load_scenario(self, name: str) -> None:
        """Set every shock slider to the library scenario's value, then refresh once."""
        shown = self.controller.load_scenario(name)
        self._syncing = True
        try:
            for control_name, value in shown.items():
                self.controls[control_name].value = value
        finally:
            self._syncing = False

    def _show_scenario_note(self) -> None:
        description = SCENARIOS[self.controller.base.name].description
        moved = self.controller.adjusted()
        changed = f"<br><i>Changed here: {html.escape(', '.join(moved))}</i>" if moved else ""
        self.scenario_note.value = f"<div class='bs-rule'>{html.escape(description)}{changed}</div>"

    @property
    def last(self) -> ExplorerRun | None:
        return self.controller.last

    def refresh(self, force: bool = False) -> ExplorerRun:
        """Run the controller for the current values and redraw headlines, charts and status."""
        widgets = (*self.controls.values(), self.force_button, self.workbook_button)
        for control in widgets:
            control.disabled = True
        self.status.value = "running..."
        self.download.value = ""  # a workbook of the previous scenario would mislead
        try:
            run = self.controller.run(force=force, progress=self._progress)
        finally:
            for control in widgets:
                control.disabled = False
        self.status.value = self._status_html(run)
        if run.error or run.result is None:
            self.error.value = f"<span style='color:#c0392b'>{html.escape(run.error or 'no result')}</span>"
            self._clear_results()  # the previous scenario's numbers must not stand under these settings
            return run
        self.error.value = ""
        self.title.value = f"<h3 style='margin:0 0 4px 0'>{html.escape(self.controller.title())}</h3>"
        self.headline.value = self._headline_html(run.headlines)
        self.amounts.value = _table(
            amounts(run.result, run.baseline), numeric=("EUR bn", "Change vs baseline")
        )
        result = run.result
        self._show("capital", plots.capital_stack(result.capital, title="Capital stack"))
        self._show("lcr", plots.lcr_waterfall(result.liquidity, title="Liquidity coverage"))
        self._show("nsfr", plots.nsfr_bars(result.liquidity, title="Stable funding"))
        self._show("rwa", plots.rwa_by_class(result.rwa))
        self.tables["rwa"].value = _table(
            rwa_rows(result.capital, result.rwa), numeric=("RWA (EUR m)", "Share")
        )
        self._show_new_metrics(result.outputs)
        return run

    def _show_new_metrics(self, outputs: Mapping[str, Any]) -> None:
        """The IFRS 9 and IRRBB tabs: a table and a chart each (left empty without the step's output)."""
        if "ecl_summary" in outputs:
            numeric = ("Exposures", "Exposure at default (EUR m)", "Loss allowance (EUR m)")
            table = _table(
                ecl_rows(outputs["ecl_summary"]), numeric=(*numeric, "Share of allowance", "Coverage")
            )
            self.tables["ecl"].value = f"<div class='bs-section'>IFRS 9 loss allowance by stage</div>{table}"
            self._show("ecl", plots.ecl_by_stage(outputs["ecl_summary"]))
        if "irrbb" in outputs:
            irrbb = outputs["irrbb"]
            numeric = ("ΔEVE (EUR m)", "ΔEVE / Tier 1", "ΔNII, 12 months (EUR m)")
            note = f"<div class='bs-rule'>{html.escape(outlier_note(irrbb))}</div>"
            self.tables["irrbb"].value = _table(irrbb_rows(irrbb), numeric=numeric) + note
            self._show("irrbb", plots.delta_eve_by_scenario(irrbb))

    def prepare_workbook(self) -> None:
        """Build the current scenario's workbook and offer it as a download link."""
        try:
            name, data = self.controller.workbook()
        except ValueError as exc:
            self.download.value = f"<span style='color:#c0392b'>{html.escape(str(exc))}</span>"
            return
        href = f"data:{XLSX};base64,{base64.b64encode(data).decode('ascii')}"
        self.download.value = (
            f"<a download='{html.escape(name)}' href='{href}' style='font-weight:bold'>"
            f"⬇ Download {html.escape(name)} ({len(data) / 1024:,.0f} kB)</a>"
        )

    def _progress(self, done: int, total: int, label: str) -> None:
        self.progress.max = total
        self.progress.value = done
        self.progress_label.value = f"{done}/{total} {label}"

    def _clear_results(self) -> None:
        self.title.value = "<h3 style='margin:0 0 4px 0'>No result for these settings</h3>"
        self.headline.value = self.amounts.value = ""
        for table in self.tables.values():
            table.value = ""
        for out in self.charts.values():
            out.outputs = ()

    def _show(self, name: str, figure: Figure) -> None:
        out = self.charts[name]
        out.outputs = ()  # replace, never `with out:` (it stalls notebook runners)
        out.append_display_data(Image(data=plots.to_png(figure), format="png"))

    @staticmethod
    def _status_html(run: ExplorerRun) -> str:
        steps = "; ".join(f"{html.escape(k)}: {html.escape(v)}" for k, v in run.status.items())
        return f"<b>{html.escape(run.summary())}</b> <span class='bs-rule'>{steps}</span>"

    @staticmethod
    def _headline_html(lines: tuple[Headline, ...]) -> str:
        head = "".join(f"<th>{k}</th>" for k in lines[0].cells())
        rows = []
        for line in lines:
            cells = line.cells()
            colour = STATUS_COLOURS[line.status]
            badge = f"<span class='bs-badge' style='background:{colour}'>{cells['Status']}</span>"
            note = f"<br><span class='bs-rule'>{html.escape(line.note)}</span>" if line.note else ""
            rows.append(
                f"<tr class='bs-status-{line.status}'><td>{html.escape(cells['Metric'])}{note}</td>"
                f"<td class='num'><b>{html.escape(cells['Value'])}</b></td>"
                f"<td>{html.escape(cells['Requirement'])}<br>"
                f"<span class='bs-rule'>{html.escape(line.rule)}</span></td>"
                f"<td class='num'>{html.escape(cells['Surplus'])}</td><td>{badge}</td>"
                f"<td class='num'>{html.escape(cells['Change vs baseline'])}</td></tr>"
            )
        return f"<table class='bs-table'><tr>{head}</tr>{''.join(rows)}</table>"

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    def display(self) -> None:
        """Show the explorer (in a notebook or Voila)."""
        from IPython.display import display

        display(self.widget)
