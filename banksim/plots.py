"""Figures for a notebook or the explorer: RWA by class, the LCR waterfall, NSFR, the capital stack.

Every function returns a ``matplotlib.figure.Figure`` built with the object-oriented API (no
pyplot state, safe in widget callbacks and servers), titled, with labelled axes and units.
matplotlib loads only when this module is imported.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

__all__ = ["capital_stack", "lcr_waterfall", "nsfr_bars", "rwa_by_class", "scenario_comparison", "to_png"]

BILLION = 1e9
COLOURS = {"credit": "#4C72B0", "counterparty": "#DD8452", "operational": "#55A868", "floor": "#C44E52"}


def rwa_by_class(rwa: pd.DataFrame, title: str = "RWA by exposure class") -> Figure:
    """Horizontal bars of RWA (EUR bn) per exposure class, coloured by risk type."""
    table = rwa.groupby(["exposure_class", "risk_type"], observed=True)["rwa"].sum().unstack(fill_value=0)
    table = table.loc[table.sum(axis=1).sort_values().index] / BILLION
    figure = Figure(figsize=(7, 4.5), layout="constrained")
    axes = figure.add_subplot()
    left = pd.Series(0.0, index=table.index)
    for risk_type in table.columns:
        axes.barh(
            table.index.astype(str),
            table[risk_type],
            left=left,
            label=str(risk_type),
            color=COLOURS.get(str(risk_type)),
        )
        left += table[risk_type]
    axes.set_title(title)
    axes.set_xlabel("RWA (EUR bn)")
    axes.set_ylabel("exposure class")
    axes.legend(title="risk type", fontsize="small")
    return figure


def lcr_waterfall(liquidity: Mapping[str, Any], title: str = "LCR: HQLA against net cash outflows") -> Figure:
    """HQLA, outflows, capped inflows and net outflows (EUR bn), with the ratio in the title."""
    steps = [
        ("HQLA", liquidity["hqla"], "#55A868"),
        ("outflows", liquidity["outflows"], "#C44E52"),
        ("inflows (capped)", -liquidity["inflows_capped"], "#4C72B0"),
        ("net outflows", liquidity["net_outflows"], "#8172B3"),
    ]
    figure = Figure(figsize=(7, 4), layout="constrained")
    axes = figure.add_subplot()
    bottoms = [0.0, 0.0, liquidity["outflows"] - liquidity["inflows_capped"], 0.0]
    for (label, value, colour), bottom in zip(steps, bottoms, strict=True):
        height = abs(value) / BILLION
        axes.bar(label, height, bottom=bottom / BILLION, color=colour)
        top = bottom / BILLION + height
        axes.annotate(f"{value / BILLION:,.2f}", (label, top), ha="center", va="bottom", fontsize="small")
    axes.set_title(f"{title} (LCR {liquidity['lcr']:.0%})")
    axes.set_ylabel("EUR bn")
    axes.set_xlabel("LCR component (30-day stress)")
    return figure


def nsfr_bars(
    liquidity: Mapping[str, Any], title: str = "NSFR: available against required stable funding"
) -> Figure:
    """ASF and RSF (EUR bn) stacked by category, with the ratio in the title."""
    figure = Figure(figsize=(7, 4.5), layout="constrained")
    axes = figure.add_subplot()
    for column, key in (("ASF", "asf_by_category"), ("RSF", "rsf_by_category")):
        bottom = 0.0
        for category, value in sorted(liquidity[key].items(), key=lambda item: -item[1]):
            if value <= 0:
                continue
            axes.bar(column, value / BILLION, bottom=bottom, label=f"{column}: {category}")
            bottom += value / BILLION
    axes.set_title(f"{title} (NSFR {liquidity['nsfr']:.0%})")
    axes.set_ylabel("EUR bn")
    axes.set_xlabel("stable funding")
    axes.legend(fontsize="x-small", ncols=2, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return figure


def capital_stack(capital: Mapping[str, Any], title: str = "Capital against requirements") -> Figure:
    """CET1, AT1 and Tier 2 ratios stacked beside the requirement stack (minima, P2R, buffers)."""
    rwa = capital["rwa"]["floored_rwa"]
    own = capital["own_funds"]
    buffers = capital["buffers"]
    figure = Figure(figsize=(6, 4.5), layout="constrained")
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
        for label, value, colour in parts:
            if value > 0:
                axes.bar(column, value * 100, bottom=bottom * 100, label=label, color=colour)
                bottom += value
    axes.set_title(
        f"{title} (CET1 {capital['ratios']['cet1_ratio']:.1%}, "
        f"max payout {capital['mda']['maximum_payout_ratio']:.0%})"
    )
    axes.set_ylabel("% of risk-weighted assets")
    axes.set_xlabel("capital")
    axes.legend(fontsize="x-small", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return figure


def scenario_comparison(
    table: pd.DataFrame,
    metrics: tuple[str, ...] = ("cet1_ratio", "lcr", "nsfr"),
    title: str = "Headline ratios by scenario",
) -> Figure:
    """One panel per metric (in %) across the scenarios of a :func:`banksim.sweep` table."""
    ok = table[table["status"] == "ok"] if "status" in table else table
    figure = Figure(figsize=(4 * len(metrics), 4), layout="constrained")
    for i, metric in enumerate(metrics, start=1):
        axes = figure.add_subplot(1, len(metrics), i)
        axes.barh(ok["scenario"].astype(str), ok[metric] * 100)
        axes.set_title(metric)
        axes.set_xlabel(f"{metric} (%)")
        if i == 1:
            axes.set_ylabel("scenario")
        else:
            axes.set_yticklabels([])
    figure.suptitle(title)
    return figure


def to_png(figure: Figure, dpi: int = 96) -> bytes:
    """The figure as PNG bytes (for an Output widget or a file)."""
    import io

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()
