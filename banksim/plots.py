"""Figures for a notebook or the explorer: RWA by class, the LCR waterfall, NSFR, the capital stack.

Every function returns a :class:`Chart`: a ``matplotlib.figure.Figure`` built with the
object-oriented API (no pyplot state, safe in widget callbacks and servers) that shows itself as
a PNG image wherever IPython displays it (JupyterLab, Voila, nbconvert, nbval) without
``display`` or ``%matplotlib``. matplotlib loads only when this module is imported.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from banksim.display import label
from banksim.errors import InputError
from banksim.regulation.irrbb_parameters import IRRBB_PARAMETERS, SCENARIOS, SHOCK_LABELS

__all__ = [
    "Chart",
    "capital_stack",
    "delta_eve_by_scenario",
    "ecl_by_stage",
    "lcr_waterfall",
    "nsfr_bars",
    "rwa_by_class",
    "scenario_comparison",
    "to_png",
]

BILLION = 1e9
PNG_DPI = 100
COLOURS = {"credit": "#4C72B0", "counterparty": "#DD8452", "operational": "#55A868", "floor": "#C44E52"}
MINIMA = {"lcr": 1.0, "nsfr": 1.0, "leverage_ratio": 0.03}  # LCR30.2, NSF20.2, LEV20.2 (Pillar 1)
BELOW_MINIMUM, ABOVE_MINIMUM = "#C44E52", "#4C72B0"
LABEL_BOX = {"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none", "alpha": 0.8}


class Chart(Figure):
    """A figure that shows itself as a PNG image in Jupyter, Voila and nbconvert.

    IPython asks an object for ``_repr_png_``; a plain ``Figure`` has none unless pyplot's inline
    backend is loaded, so it shows as ``<Figure size 700x450 with 1 Axes>`` text. A ``Chart``
    renders through the Agg canvas at :data:`PNG_DPI` without touching pyplot. In a plain Python
    session its repr says what it is and how to keep it: ``chart.savefig("chart.png")``.
    """

    def _repr_png_(self) -> bytes:
        return to_png(self, dpi=PNG_DPI)

    def __repr__(self) -> str:
        width, height = (round(x * PNG_DPI) for x in self.get_size_inches())
        return (
            f"<Chart {self.heading()!r}, {width}x{height} px: Jupyter shows it as an image; "
            "elsewhere chart.savefig('chart.png') writes it>"
        )

    def heading(self) -> str:
        """The chart's title (the figure's, else its first panel's)."""
        text = self.get_suptitle()
        if not text and self.axes:
            text = self.axes[0].get_title()
        return text

    def show(self, warn: bool = True) -> None:
        """Show the chart as an image in IPython or Jupyter; elsewhere, raise saying how to save it."""
        try:
            from IPython import get_ipython
            from IPython.display import display
        except ImportError:
            get_ipython = None
        if get_ipython is not None and get_ipython() is not None:
            display(self)
            return
        raise RuntimeError(
            "a Chart shows itself in IPython or Jupyter; in a plain Python session save it with "
            "chart.savefig('chart.png') and open the file"
        )


def _chart(width: float, height: float) -> Chart:
    return Chart(figsize=(width, height), layout="constrained")


def rwa_by_class(rwa: pd.DataFrame, title: str = "RWA by exposure class") -> Chart:
    """Horizontal bars of RWA (EUR bn) per exposure class, coloured by risk type."""
    table = rwa.groupby(["exposure_class", "risk_type"], observed=True)["rwa"].sum().unstack(fill_value=0)
    table = table.loc[table.sum(axis=1).sort_values().index] / BILLION
    figure = _chart(7, 4.5)
    axes = figure.add_subplot()
    names = [label(name) for name in table.index]
    left = pd.Series(0.0, index=table.index)
    for risk_type in table.columns:
        axes.barh(names, table[risk_type], left=left, label=str(risk_type), color=COLOURS.get(str(risk_type)))
        left += table[risk_type]
    axes.set_xlim(0, max(left.max(), 1e-9) * 1.08)  # room after the longest bar
    axes.set_title(title)
    axes.set_xlabel("RWA (EUR bn)")
    axes.set_ylabel("exposure class")
    axes.legend(title="risk type", fontsize="small", loc="lower right")
    return figure


def lcr_waterfall(liquidity: Mapping[str, Any], title: str = "LCR: HQLA against net cash outflows") -> Chart:
    """HQLA, outflows, capped inflows and net outflows (EUR bn), with the ratio in the title."""
    steps = [
        ("HQLA", liquidity["hqla"], "#55A868"),
        ("outflows", liquidity["outflows"], "#C44E52"),
        ("inflows (capped)", -liquidity["inflows_capped"], "#4C72B0"),
        ("net outflows", liquidity["net_outflows"], "#8172B3"),
    ]
    figure = _chart(7, 4)
    axes = figure.add_subplot()
    bottoms = [0.0, 0.0, liquidity["outflows"] - liquidity["inflows_capped"], 0.0]
    for (name, value, colour), bottom in zip(steps, bottoms, strict=True):
        height = abs(value) / BILLION
        axes.bar(name, height, bottom=bottom / BILLION, color=colour)
        top = bottom / BILLION + height
        axes.annotate(f"{value / BILLION:,.2f}", (name, top), ha="center", va="bottom", fontsize="small")
    axes.margins(y=0.1)
    axes.set_title(f"{title} (LCR {liquidity['lcr']:.0%})")
    axes.set_ylabel("EUR bn")
    axes.set_xlabel("LCR component (30-day stress)")
    return figure


def _largest(values: Mapping[str, float], keep: int) -> dict[str, float]:
    """The ``keep`` largest positive entries, the rest summed as "other"."""
    ranked = sorted(((k, v) for k, v in values.items() if v > 0), key=lambda item: -item[1])
    kept = dict(ranked[:keep])
    rest = sum(v for _, v in ranked[keep:])
    return {**kept, "other": rest} if rest > 0 else kept


def nsfr_bars(
    liquidity: Mapping[str, Any], title: str = "NSFR: available against required stable funding"
) -> Chart:
    """ASF and RSF (EUR bn) stacked by their largest categories, with the ratio in the title."""
    figure = _chart(8, 4.5)
    axes = figure.add_subplot()
    palettes = {
        "ASF": ["#4C72B0", "#55A868", "#64B5CD", "#8172B3", "#2E8B57"],
        "RSF": ["#DD8452", "#C44E52", "#DA8BC3", "#937860", "#CCB974"],
    }
    for column, key in (("ASF", "asf_by_category"), ("RSF", "rsf_by_category")):
        bottom = 0.0
        colours = iter(palettes[column])
        for category, value in _largest(liquidity[key], keep=len(palettes[column])).items():
            colour = "#DDDDDD" if category == "other" else next(colours)
            axes.bar(
                column, value / BILLION, bottom=bottom, label=f"{column}: {label(category)}", color=colour
            )
            bottom += value / BILLION
        axes.annotate(f"{bottom:,.1f}", (column, bottom), ha="center", va="bottom", fontsize="small")
    axes.margins(y=0.08)
    figure.suptitle(f"{title} (NSFR {liquidity['nsfr']:.0%})")
    axes.set_ylabel("EUR bn")
    axes.set_xlabel("stable funding (the five largest categories each)")
    axes.legend(fontsize="x-small", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return figure


def capital_stack(capital: Mapping[str, Any], title: str = "Capital against requirements") -> Chart:
    """CET1, AT1 and Tier 2 ratios stacked beside the requirement stack (minima, P2R, buffers)."""
    rwa = capital["rwa"]["floored_rwa"]
    own = capital["own_funds"]
    buffers = capital["buffers"]
    figure = _chart(7, 4.5)
    axes = figure.add_subplot()
    held = [
        ("CET1", own["cet1"] / rwa, "#4C72B0"),
        ("AT1", own["at1"] / rwa, "#64B5CD"),
        ("Tier 2", own["tier2"] / rwa, "#8C8C8C"),
    ]
    required = [
        ("Pillar 1 minimum (8%)", 0.08, "#C44E52"),
        ("Pillar 2", buffers["pillar2"], "#DD8452"),
        ("conservation buffer", buffers["conservation"], "#CCB974"),
        ("countercyclical buffer", buffers["countercyclical"], "#937860"),
        ("systemic buffer", buffers["systemic"], "#DA8BC3"),
    ]
    for column, parts in (("held", held), ("required", required)):
        bottom = 0.0
        for name, value, colour in parts:
            if value > 0:
                axes.bar(column, value * 100, bottom=bottom * 100, label=name, color=colour)
                bottom += value
        axes.annotate(f"{bottom:.1%}", (column, bottom * 100), ha="center", va="bottom", fontsize="small")
    axes.margins(y=0.08)
    figure.suptitle(title)
    axes.set_title(
        f"CET1 ratio {capital['ratios']['cet1_ratio']:.1%}, "
        f"maximum payout {capital['mda']['maximum_payout_ratio']:.0%}",
        fontsize="medium",
    )
    axes.set_ylabel("% of risk-weighted assets")
    axes.set_xlabel("total capital")
    axes.legend(fontsize="x-small", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return figure


def scenario_comparison(
    table: pd.DataFrame,
    metrics: tuple[str, ...] = ("cet1_ratio", "lcr", "nsfr"),
    title: str = "Headline ratios by scenario",
) -> Chart:
    """One panel per metric (in %) across the scenarios of a :func:`banksim.sweep` table.

    ``metrics`` are headline columns of the table (see :data:`banksim.pipeline.HEADLINE_COLUMNS`).
    LCR, NSFR and leverage panels mark their Pillar 1 minimum and colour the bars below it red.
    """
    missing = [metric for metric in metrics if metric not in table]
    if missing:
        from banksim.steps import headline_columns

        shown = [column for column in headline_columns() if column in table]
        raise InputError("metrics", f"{missing} are not columns of the table", allowed=shown)
    ok = table[table["status"] == "ok"] if "status" in table else table
    names = [label(name) for name in ok["scenario"].astype(str)]
    figure = _chart(1.5 + 3.4 * len(metrics), 0.9 + 0.45 * max(len(ok), 3))
    for i, metric in enumerate(metrics, start=1):
        axes = figure.add_subplot(1, len(metrics), i)
        values = ok[metric].to_numpy() * 100
        minimum = MINIMA.get(metric)
        colours = [
            BELOW_MINIMUM if minimum is not None and v < minimum * 100 else ABOVE_MINIMUM for v in values
        ]
        axes.barh(names, values, color=colours)
        for y, value in enumerate(values):
            axes.annotate(f" {value:.1f}%", (value, y), va="center", fontsize="small", bbox=LABEL_BOX)
        if minimum is not None:
            axes.axvline(minimum * 100, color="#333333", linestyle="--", linewidth=1)
            axes.annotate("minimum", (minimum * 100, 1.0), xycoords=("data", "axes fraction"),
                          ha="center", va="bottom", fontsize="x-small")  # fmt: skip
        axes.margins(x=0.25)
        axes.set_xlim(left=0)
        axes.invert_yaxis()  # the scenarios read top-down, in the table's order
        axes.set_title(label(metric), pad=12)
        axes.set_xlabel(f"{label(metric)} (%)")
        if i == 1:
            axes.set_ylabel("scenario")
        else:
            axes.tick_params(labelleft=False)
    figure.suptitle(title)
    return figure


STAGE_COLOURS = {1: "#55A868", 2: "#CCB974", 3: "#C44E52"}
EVE_SCENARIOS = SCENARIOS  # the six shocks, in the order of SRP31.90
EVE_SCENARIO_LABELS = {name: words.lower() for name, words in SHOCK_LABELS.items()}  # axis labels
# SRP31.82: the outlier test, ΔEVE above 15% of Tier 1 (methodology 13.7)
OUTLIER_THRESHOLD = IRRBB_PARAMETERS["eve_outlier_threshold"]


def ecl_by_stage(summary: pd.DataFrame, title: str = "IFRS 9 loss allowance by stage") -> Chart:
    """Loss allowance (EUR m) per stage, each bar with its share of the allowance and its coverage.

    ``summary`` is the ECL summary by stage and class (``ecl_summary`` of a pipeline run, or
    ``bs.compute_ecl``'s summary): columns ``stage``, ``ead_0`` and ``loss_allowance``.
    Coverage is allowance over exposure at default (methodology 12).
    """
    missing = [c for c in ("stage", "ead_0", "loss_allowance") if c not in summary]
    if missing:
        raise InputError(
            "summary", f"missing columns {missing}", allowed=["stage", "ead_0", "loss_allowance"]
        )
    by_stage = summary.groupby("stage")[["ead_0", "loss_allowance"]].sum().reindex([1, 2, 3], fill_value=0.0)
    total = float(by_stage["loss_allowance"].sum())
    figure = _chart(7, 4.2)
    axes = figure.add_subplot()
    names = [f"stage {stage}" for stage in by_stage.index]
    heights = by_stage["loss_allowance"].to_numpy() / 1e6
    axes.bar(names, heights, color=[STAGE_COLOURS[s] for s in by_stage.index])
    for name, (_, row) in zip(names, by_stage.iterrows(), strict=True):
        share = row["loss_allowance"] / total if total else 0.0
        coverage = row["loss_allowance"] / row["ead_0"] if row["ead_0"] else 0.0
        text = f"{row['loss_allowance'] / 1e6:,.1f}\n{share:.0%} of allowance\ncoverage {coverage:.2%}"
        axes.annotate(text, (name, row["loss_allowance"] / 1e6), ha="center", va="bottom", fontsize="small")
    axes.margins(y=0.35)
    axes.set_ylim(bottom=0)
    coverage = total / float(by_stage["ead_0"].sum()) if float(by_stage["ead_0"].sum()) else 0.0
    figure.suptitle(title)
    axes.set_title(f"total {total / 1e6:,.1f} m, coverage {coverage:.2%} of exposure", fontsize="medium")
    axes.set_ylabel("loss allowance (EUR m)")
    axes.set_xlabel("IFRS 9 stage")
    return figure


def delta_eve_by_scenario(irrbb: Mapping[str, Any], title: str = "IRRBB: ΔEVE by shock scenario") -> Chart:
    """ΔEVE (EUR m, a loss positive) under the six shocks against the outlier line at 15% of Tier 1.

    ``irrbb`` is the IRRBB summary of a pipeline run (``outputs["irrbb"]``, or ``bs.compute_irrbb``'s
    summary): ``delta_eve`` by scenario after aggregation across currencies and ``tier1``
    (methodology 13.7). Bars above the line are red.
    """
    for key in ("delta_eve", "tier1"):
        if key not in irrbb:
            raise InputError("irrbb", f"missing {key!r}", allowed=["delta_eve", "tier1"])
    values = [float(irrbb["delta_eve"].get(name, 0.0)) / 1e6 for name in EVE_SCENARIOS]
    line = OUTLIER_THRESHOLD * float(irrbb["tier1"]) / 1e6
    names = [EVE_SCENARIO_LABELS[name] for name in EVE_SCENARIOS]
    figure = _chart(7.5, 4.2)
    axes = figure.add_subplot()
    axes.barh(names, values, color=[BELOW_MINIMUM if v > line else ABOVE_MINIMUM for v in values])
    for y, value in enumerate(values):
        axes.annotate(f" {value:,.1f}", (value, y), va="center", fontsize="small", bbox=LABEL_BOX)
    axes.axvline(line, color="#333333", linestyle="--", linewidth=1)
    axes.annotate(f"15% of Tier 1 ({line:,.0f})", (line, 1.0), xycoords=("data", "axes fraction"),
                  ha="right", va="bottom", fontsize="x-small")  # fmt: skip
    axes.set_xlim(min(0.0, *values) * 1.2, max(line, *values) * 1.2)
    axes.invert_yaxis()
    figure.suptitle(title)
    axes.set_xlabel("ΔEVE (EUR m, loss positive)")
    axes.set_ylabel("shock scenario")
    return figure


def to_png(figure: Figure, dpi: int = 96) -> bytes:
    """The figure as PNG bytes (for an Output widget or a file)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()
