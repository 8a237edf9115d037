"""The scenario explorer's logic, in plain Python: control values in, headlines with their status out.

``ScenarioController`` holds one value per control (in the units the user sees), starts from a library
scenario, runs :func:`banksim.run_pipeline` for it and for the baseline, and turns the results into
headlines (value, requirement, surplus, red/amber/green, change against the baseline). Thresholds are
data (``METRICS``) naming the rule each requirement comes from. :mod:`banksim.widgets` is a thin view.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from banksim import steps as registry
from banksim.errors import BanksimError, InputError
from banksim.pipeline import PipelineResult, run_pipeline
from banksim.positions.vocabulary import CORPORATE_EXPOSURE_CLASSES
from banksim.regulation.irrbb_parameters import PARALLEL_SCENARIOS, SHOCK_LABELS
from banksim.regulation.jurisdictions import PRESETS
from banksim.scenarios import RUN_OFF_CLASSES, SCENARIOS, Scenario, Shocks
from banksim.synthetic.profiles import PROFILES

__all__ = [
    "CONTROLS",
    "METRICS",
    "ControlSpec",
    "ExplorerRun",
    "Headline",
    "MetricRule",
    "ScenarioController",
    "amounts",
    "ecl_rows",
    "headlines",
    "irrbb_rows",
    "outlier_note",
    "rwa_rows",
    "jurisdiction_label",
    "scenario_label",
    "status_colour",
]

GREEN, AMBER, RED = "green", "amber", "red"


@dataclass(frozen=True)
class ControlSpec:
    """One control: its label and unit, range and default, and the shock it sets.

    ``shock`` names a :class:`~banksim.scenarios.Shocks` field (None for the bank's size and seed);
    for a shock given per key (exposure class, deposit class, HQLA level ...), ``keys`` are the keys
    the control sets, all to the same value. ``percent`` controls show 100 x the shock's value.
    """

    name: str
    label: str
    unit: str
    minimum: float
    maximum: float
    step: float
    default: float
    shock: str | None = None
    keys: tuple[str, ...] = ()
    percent: bool = False
    integer: bool = False

    @property
    def decimals(self) -> int:
        """Decimals the step needs (0.05 -> 2, 5 -> 0): how many the readout shows."""
        return 0 if self.integer else len(f"{self.step:g}".partition(".")[2])

    def to_shock(self, value: float) -> float:
        """The shock's value for the control's value (percent controls divide by 100)."""
        return value / 100 if self.percent else value

    def from_shock(self, value: float) -> float:
        """The control's value for a shock's value."""
        shown = round(value * 100, 9) if self.percent else value
        return int(shown) if self.integer else float(shown)


CONTROLS: tuple[ControlSpec, ...] = (
    ControlSpec("num_positions", "Positions", "", 500, 200_000, 500, 5_000, integer=True),
    ControlSpec("seed", "Random seed", "", 0, 10_000, 1, 42, integer=True),
    ControlSpec(
        "rating_downgrade", "Corporate downgrade", "notches", 0, 6, 1, 0,
        "rating_downgrade", CORPORATE_EXPOSURE_CLASSES, integer=True,
    ),
    ControlSpec("pd_multiplier", "PD multiplier", "×", 0.5, 5.0, 0.1, 1.0, "pd_multiplier"),
    ControlSpec("lgd_multiplier", "LGD multiplier", "×", 0.5, 2.0, 0.05, 1.0, "lgd_multiplier"),
    ControlSpec(
        "house_price_change", "House prices", "% change", -50, 20, 5, 0, "house_price_change", percent=True
    ),
    ControlSpec(
        "deposit_run_off_multiplier", "Deposit run-off", "× LCR rate", 1.0, 5.0, 0.25, 1.0,
        "deposit_run_off_multiplier", RUN_OFF_CLASSES,
    ),
    ControlSpec(
        "hqla_haircut", "Level 2 HQLA haircut", "%", 0, 50, 5, 0, "hqla_haircut", ("2A", "2B"), percent=True
    ),
    ControlSpec(
        "wholesale_not_rolled", "Wholesale not rolled", "%", 0, 100, 5, 0,
        "wholesale_not_rolled", percent=True,
    ),
    ControlSpec(
        "facility_drawdown", "Facilities drawn", "%", 0, 100, 5, 0, "facility_drawdown", percent=True
    ),
    ControlSpec(
        "product_growth", "Corporate loan growth", "%", -50, 50, 5, 0,
        "product_growth", ("corporate_loan",), percent=True,
    ),
    ControlSpec("dividend", "Dividend", "% of CET1", 0, 50, 5, 0, "dividend", percent=True),
    ControlSpec("at1_issuance", "AT1 issued", "% of CET1", 0, 30, 5, 0, "at1_issuance", percent=True),
    ControlSpec(
        "countercyclical_rates", "CCyB rate (home)", "%", 0, 2.5, 0.25, 0,
        "countercyclical_rates", ("{home}",), percent=True,
    ),
)  # fmt: skip
CONTROL_BY_NAME = {spec.name: spec for spec in CONTROLS}
SCENARIO_LABELS = {
    "baseline": "Baseline (no shock)",
    "mild_recession": "Mild recession",
    "severe_recession": "Severe recession",
    "idiosyncratic_liquidity_run": "Idiosyncratic liquidity run",
    "market_wide_liquidity_stress": "Market-wide liquidity stress",
    "combined": "Combined (recession, liquidity)",
}
STEP_LABELS = {
    step.name: step.label for step in registry.STEPS
}  # the pipeline's steps, as a reader calls them


def jurisdiction_label(name: str) -> str:
    """A preset's name as a reader writes it ('basel' -> 'Basel Framework', 'eu_crr3' -> 'EU CRR3')."""
    return "Basel Framework" if name == "basel" else name.replace("_", " ").upper()


def scenario_label(name: str) -> str:
    """A library scenario's name as a reader writes it ('severe_recession' -> 'Severe recession')."""
    return SCENARIO_LABELS.get(name) or name.replace("_", " ").capitalize()


# -- headlines: the thresholds as data ------------------------------------------------------------


@dataclass(frozen=True)
class MetricRule:
    """A headline metric, where its requirement comes from, and the amber margin above it.

    ``requirement`` says which requirement of the results the metric is held against (the rule
    paragraphs come with the result where it carries them); ``amber_margin`` is the surplus (as a
    ratio, 0.01 = 1 percentage point) under which a met requirement shows amber.
    """

    key: str
    label: str
    requirement: str
    amber_margin: float


METRICS: tuple[MetricRule, ...] = (
    MetricRule("cet1_ratio", "CET1 ratio", "overall CET1 requirement", 0.01),
    MetricRule("tier1_ratio", "Tier 1 ratio", "overall Tier 1 requirement", 0.01),
    MetricRule("total_capital_ratio", "Total capital ratio", "overall total capital requirement", 0.01),
    MetricRule("leverage_ratio", "Leverage ratio", "leverage requirement", 0.005),
    MetricRule("lcr", "Liquidity coverage ratio (LCR)", "LCR minimum", 0.10),
    MetricRule("nsfr", "Net stable funding ratio (NSFR)", "NSFR minimum", 0.05),
    MetricRule("mda", "CET1 ratio for MDA", "MDA trigger (CET1 minimum + buffers)", 0.01),
)


@dataclass(frozen=True)
class Headline:
    """One headline metric against its requirement, with its status and change against the baseline."""

    key: str
    label: str
    value: float
    requirement: float
    requirement_label: str
    rule: str
    status: str
    baseline: float | None
    note: str = ""

    @property
    def surplus(self) -> float:
        """Value minus requirement (a ratio: 0.012 = 1.2 percentage points)."""
        return self.value - self.requirement

    @property
    def change(self) -> float | None:
        """Value minus the baseline's value (None when there is no baseline run)."""
        return None if self.baseline is None else self.value - self.baseline

    def cells(self) -> dict[str, str]:
        """The row as shown: percentages, surplus and change in percentage points, status in words."""
        change = self.change
        return {
            "Metric": self.label,
            "Value": percent(self.value),
            "Requirement": f"{percent(self.requirement)} {self.requirement_label}",
            "Surplus": points(self.surplus),
            "Status": STATUS_WORDS[self.status],
            "Change vs baseline": "no baseline" if change is None else points(change),
        }


STATUS_WORDS = {GREEN: "Met", AMBER: "Close to requirement", RED: "Breached"}


def percent(value: float) -> str:
    """A ratio as a percentage: 0.06389 -> '6.39%'; infinite (no outflows) -> '∞'."""
    return "∞" if math.isinf(value) else f"{value:.2%}"


def points(value: float) -> str:
    """A difference of ratios in percentage points: -0.0127 -> '−1.27 pp'; 0 -> '±0.00 pp'."""
    if math.isinf(value) or math.isnan(value):
        return "n/a"
    text = f"{value * 100:+.2f} pp"
    return "±0.00 pp" if text in ("+0.00 pp", "-0.00 pp") else text.replace("-", "−")


def status_colour(value: float, requirement: float, amber_margin: float) -> str:
    """'red' below the requirement, 'amber' within ``amber_margin`` above it, 'green' otherwise."""
    if math.isnan(value):
        return RED
    surplus = value - requirement
    if surplus < 0:
        return RED
    return AMBER if surplus < amber_margin else GREEN


def _requirement(capital: Mapping[str, Any], name: str) -> tuple[float, str]:
    entry = next(r for r in capital["requirements"] if r["requirement"] == name)
    return float(entry["required_ratio"]), str(entry["rule"])


def _measure(key: str, result: PipelineResult) -> tuple[float, float, str, str]:
    """(value, requirement, rule, note) of one metric, read from the results."""
    capital, liquidity = result.capital, result.liquidity
    if key in ("cet1_ratio", "tier1_ratio", "total_capital_ratio"):
        tier = {"cet1_ratio": "cet1", "tier1_ratio": "tier1", "total_capital_ratio": "total"}[key]
        required, rule = _requirement(capital, f"{tier}_overall")
        return capital["ratios"][key], required, rule, ""
    if key == "leverage_ratio":
        leverage = capital["leverage"]
        rule = "LEV20 + LEV40.1-2 (G-SIB buffer)" if leverage["gsib_buffer"] else "LEV20 (LEV40.4)"
        return leverage["leverage_ratio"], leverage["requirement"], rule, ""
    if key == "lcr":
        return liquidity["lcr"], liquidity["lcr_minimum"], "LCR20.5", ""
    if key == "nsfr":
        return liquidity["nsfr"], liquidity["nsfr_minimum"], "NSF20.2", ""
    mda = capital["mda"]
    payout = mda["maximum_payout_ratio"]
    note = "payouts unrestricted" if payout >= 1 else f"payouts limited to {payout:.0%} of profits"
    return mda["cet1_ratio_for_mda"], mda["buffer_range"][1], "RBC30.4", note


def headlines(
    result: PipelineResult, baseline: PipelineResult | None = None, margins: Mapping[str, float] | None = None
) -> tuple[Headline, ...]:
    """Every metric of ``METRICS`` for ``result``, against its requirement and the baseline's value.

    ``margins`` overrides the amber margin of some metrics, by key (a ratio: 0.02 = 2 points).
    """
    margins = dict(margins or {})
    unknown = sorted(set(margins) - {m.key for m in METRICS})
    if unknown:
        raise InputError("margins", f"unknown metrics {unknown}", allowed=[m.key for m in METRICS])
    rows = []
    for metric in METRICS:
        value, required, rule, note = _measure(metric.key, result)
        margin = margins.get(metric.key, metric.amber_margin)
        before = _measure(metric.key, baseline)[0] if baseline is not None else None
        status = status_colour(value, required, margin)
        rows.append(
            Headline(
                metric.key, metric.label, value, required, metric.requirement, rule, status, before, note
            )
        )
    return tuple(rows)


AMOUNTS: tuple[tuple[str, Callable[[PipelineResult], float]], ...] = (
    ("Risk-weighted assets (after output floor)", lambda r: r.capital["rwa"]["floored_rwa"]),
    ("CET1 capital", lambda r: r.capital["own_funds"]["cet1"]),
    ("High-quality liquid assets", lambda r: r.liquidity["hqla"]),
    ("Net cash outflows (30 days)", lambda r: r.liquidity["net_outflows"]),
)


def amounts(result: PipelineResult, baseline: PipelineResult | None = None) -> list[dict[str, str]]:
    """Key amounts in EUR bn, with the change against the baseline."""
    rows = []
    for label, amount in AMOUNTS:
        value = amount(result)
        change = "no baseline"
        if baseline is not None:
            change = f"{(value - amount(baseline)) / 1e9:+,.2f}".replace("-", "−")
        rows.append({"Amount": label, "EUR bn": f"{value / 1e9:,.2f}", "Change vs baseline": change})
    return rows


# -- the new metrics' tables: IFRS 9 allowance, IRRBB, RWA by risk ----------------------------------------

MILLION = 1e6


def _millions(value: float) -> str:
    return f"{value / MILLION:,.1f}".replace("-", "−")


def ecl_rows(summary: Any) -> list[dict[str, str]]:
    """The loss allowance by IFRS 9 stage: exposures, EAD and allowance (EUR m), share, coverage.

    ``summary`` is the ECL summary by stage and class (columns ``stage``, ``exposures``, ``ead_0``,
    ``loss_allowance``); the last row is the total. Coverage is allowance over EAD (methodology 12).
    """
    by_stage = summary.groupby("stage")[["exposures", "ead_0", "loss_allowance"]].sum()
    by_stage = by_stage.reindex([1, 2, 3], fill_value=0)
    total = by_stage.sum()
    rows = []
    for name, row in [*((f"Stage {s}", by_stage.loc[s]) for s in (1, 2, 3)), ("Total", total)]:
        allowance, ead = float(row["loss_allowance"]), float(row["ead_0"])
        share = allowance / float(total["loss_allowance"]) if float(total["loss_allowance"]) else 0.0
        rows.append(
            {
                "Stage": name,
                "Exposures": f"{int(row['exposures']):,}",
                "Exposure at default (EUR m)": _millions(ead),
                "Loss allowance (EUR m)": _millions(allowance),
                "Share of allowance": f"{share:.1%}",
                "Coverage": f"{allowance / ead:.2%}" if ead else "n/a",
            }
        )
    return rows


def irrbb_rows(irrbb: Mapping[str, Any]) -> list[dict[str, str]]:
    """ΔEVE under the six shocks (EUR m, a loss positive, and as a share of Tier 1), against the
    outlier line at 15% of Tier 1; ΔNII (a gain positive) for the two parallel shocks.

    ``irrbb`` is the IRRBB summary (``delta_eve`` and ``delta_nii`` by scenario, ``tier1``, the
    ``outlier_tests``); methodology 13.7-13.8.
    """
    tier1 = float(irrbb["tier1"])
    threshold = float(irrbb["outlier_tests"][irrbb["aggregation"]]["threshold"])
    rows = []
    for name, label in SHOCK_LABELS.items():
        eve = float(irrbb["delta_eve"][name])
        share = eve / tier1 if tier1 else math.inf
        nii = _millions(float(irrbb["delta_nii"][name])) if name in PARALLEL_SCENARIOS else "—"
        rows.append(
            {
                "Shock scenario": label,
                "ΔEVE (EUR m)": _millions(eve),
                "ΔEVE / Tier 1": f"{share:.2%}",
                "Above the outlier line": "yes" if share > threshold else "no",
                "ΔNII, 12 months (EUR m)": nii,
            }
        )
    return rows


def outlier_note(irrbb: Mapping[str, Any]) -> str:
    """The outlier test in words: the worst shock's ΔEVE against 15% of Tier 1 (SRP31.82)."""
    test = irrbb["outlier_tests"][irrbb["aggregation"]]
    worst = SHOCK_LABELS.get(str(test["worst_scenario"]), str(test["worst_scenario"]))
    verdict = "an outlier" if test["outlier"] else "not an outlier"
    return (
        f"Worst shock: {worst.lower()}, ΔEVE {_millions(float(test['measure']))} m = {test['ratio']:.2%} "
        f"of Tier 1 against the outlier line of {test['threshold']:.0%} (SRP31.82): {verdict}."
    )


RWA_PARTS = (
    ("credit", "Credit risk (after collateral and guarantees)"),
    ("counterparty", "Counterparty credit risk (SA-CCR)"),
    ("cva", "CVA risk"),
    ("market_risk", "Market risk"),
    ("operational", "Operational risk"),
)


def rwa_rows(capital: Mapping[str, Any], rwa: Any = None) -> list[dict[str, str]]:
    """RWA by risk (EUR m, share of the floored total), with what collateral and guarantees saved.

    Reads the capital statement's RWA (CVA and market risk where it carries them); with the RWA
    table, a line "Credit risk before collateral and guarantees" (``rwa_before_crm`` of the credit
    lines) and the saving (methodology 9.10). The output floor's add-on comes last (RBC20.11).
    """
    amounts_ = capital["rwa"]
    floored = float(amounts_["floored_rwa"])
    rows = []

    def add(label: str, value: float) -> None:
        share = f"{value / floored:.1%}".replace("-", "−")
        rows.append({"Risk": label, "RWA (EUR m)": _millions(value), "Share": share})

    if rwa is not None and "rwa_before_crm" in rwa:
        credit = rwa[rwa["risk_type"] == "credit"]
        before = float(credit["rwa_before_crm"].sum())
        add("Credit risk before collateral and guarantees", before)
        add("Saved by collateral and guarantees", float(credit["rwa"].sum()) - before)
    for key, label in RWA_PARTS:
        if key in amounts_:
            add(label, float(amounts_[key]))
    add("Output floor add-on", float(amounts_.get("floor_add_on", 0.0)))
    add("Total (after the output floor)", floored)
    return rows


# -- the controller ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExplorerRun:
    """What one refresh produced: results (None on error), headlines, a status line per step, the error."""

    result: PipelineResult | None
    baseline: PipelineResult | None
    headlines: tuple[Headline, ...]
    status: dict[str, str]
    error: str | None
    seconds: float

    @property
    def from_cache(self) -> bool:
        """True if every step that ran was loaded from the cache."""
        return self.result is not None and all(h in (True, None) for h in self.result.hits().values())

    def summary(self) -> str:
        """'loaded from cache', 'computed in 1.23 s' or 'error: ...'."""
        if self.error:
            return f"error: {self.error}"
        return "loaded from cache" if self.from_cache else f"computed in {self.seconds:.2f} s"


Progress = Callable[[int, int, str], None]


class ScenarioController:
    """Control values, the scenario they describe, and runs of the pipeline for it and the baseline.

    Parameters
    ----------
    profile : str
        Bank profile ('universal', 'retail', 'wholesale').
    include_derivatives : bool
        Generate derivative trades (SA-CCR).
    home_country : str
        Jurisdiction of the CCyB control.
    parameters : str
        The jurisdiction's parameters: the name of a preset in
        :data:`banksim.regulation.jurisdictions.PRESETS` ('basel' is the Basel Framework).
    scenario : str
        The library scenario (``banksim.SCENARIOS``) the shock controls start from.
    margins : dict, optional
        Amber margins by metric key, overriding those of ``METRICS``.
    **values
        Initial control values by name, in the units shown (see ``CONTROLS``).
    """

    def __init__(
        self,
        profile: str = "universal",
        include_derivatives: bool = True,
        home_country: str = "DE",
        scenario: str = "baseline",
        margins: Mapping[str, float] | None = None,
        parameters: str = "basel",
        **values: Any,
    ) -> None:
        self.include_derivatives = include_derivatives
        self.home_country = home_country
        self.margins = dict(margins or {})
        self.profile = "universal"
        self.parameters = "basel"
        self.base = SCENARIOS["baseline"]
        self.values: dict[str, float] = {spec.name: spec.default for spec in CONTROLS}
        self.set("profile", profile)
        self.set("parameters", parameters)
        self.load_scenario(scenario)
        for name, value in values.items():
            self.set(name, value)
        self.last: ExplorerRun | None = None

    def set(self, name: str, value: Any) -> None:
        """Set one control (in the units shown); out-of-range values and unknown names are errors."""
        if name == "profile":
            if value not in PROFILES:
                raise InputError("profile", f"unknown profile {value!r}", allowed=sorted(PROFILES))
            self.profile = value
            return
        if name == "parameters":
            if not isinstance(value, str) or value not in PRESETS:
                raise InputError(
                    "parameters", f"unknown jurisdiction preset {value!r}", allowed=sorted(PRESETS)
                )
            self.parameters = value
            return
        spec = CONTROL_BY_NAME.get(name)
        if spec is None:
            allowed = ["profile", "parameters", *CONTROL_BY_NAME]
            raise InputError("control", f"unknown control {name!r}", allowed=allowed)
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not spec.minimum <= value <= spec.maximum
        ):
            raise InputError(name, f"must be between {spec.minimum:g} and {spec.maximum:g}, got {value!r}")
        self.values[name] = int(value) if spec.integer else float(value)

    def load_scenario(self, name: str) -> dict[str, float]:
        """Start from a library scenario: every shock control takes the value it has there.

        A shock given per key shows its largest value over the keys the control sets; the
        scenario's own per-key values are kept until that control is moved.
        """
        if name not in SCENARIOS:
            raise InputError("scenario", f"unknown scenario {name!r}", allowed=sorted(SCENARIOS))
        self.base = SCENARIOS[name]
        shown = self._shown(self.base.shocks)
        self.values.update(shown)
        return shown

    def _keys(self, spec: ControlSpec) -> tuple[str, ...]:
        return tuple(key.format(home=self.home_country) for key in spec.keys)

    def _shown(self, shocks: Shocks) -> dict[str, float]:
        """The control values that show ``shocks``."""
        shown = {}
        for spec in CONTROLS:
            if spec.shock is None:
                continue
            value = getattr(shocks, spec.shock)
            if spec.keys:
                given = [value[k] for k in self._keys(spec) if k in value]
                value = max(given) if given else spec.to_shock(spec.default)
            shown[spec.name] = spec.from_shock(value)
        return shown

    def adjusted(self) -> list[str]:
        """Labels of the shock controls moved away from the library scenario's values."""
        shown = self._shown(self.base.shocks)
        return [CONTROL_BY_NAME[n].label for n, v in shown.items() if self.values[n] != v]

    def scenario(self) -> Scenario:
        """The library scenario with the shocks of every moved control replaced."""
        shown = self._shown(self.base.shocks)
        changes: dict[str, Any] = {}
        for spec in CONTROLS:
            if spec.shock is None or self.values[spec.name] == shown[spec.name]:
                continue
            value = spec.to_shock(self.values[spec.name])
            if spec.keys:
                keyed = {
                    k: v
                    for k, v in getattr(self.base.shocks, spec.shock).items()
                    if k not in self._keys(spec)
                }
                if value != spec.to_shock(spec.default):  # a neutral value is no entry at all
                    keyed.update(dict.fromkeys(self._keys(spec), value))
                changes[spec.shock] = keyed
            else:
                changes[spec.shock] = value
        if not changes:
            return self.base
        shocks = dataclasses.replace(self.base.shocks, **changes)
        moved = ", ".join(self.adjusted()).lower()
        return Scenario(
            f"{self.base.name}-adjusted", shocks, f"{scenario_label(self.base.name)}; changed: {moved}"
        )

    def title(self) -> str:
        """The scenario as a heading: 'Severe recession', 'Severe recession (changed: house prices)'."""
        moved = ", ".join(self.adjusted()).lower()
        label = scenario_label(self.base.name)
        if moved:
            label = "Custom scenario" if self.base.name == "baseline" else label
            label = f"{label} (changed: {moved})"
        if self.parameters != "basel":
            label = f"{label}, {jurisdiction_label(self.parameters)} parameters"
        return label

    def workbook(self) -> tuple[str, bytes]:
        """File name and bytes of the management workbook of the last run (built once, then cached)."""
        from banksim.services import create_excel_export

        if self.last is None or self.last.result is None:
            raise InputError("workbook", "there is no result to export yet", allowed="a successful run first")
        result = self.last.result
        workbook, _ = create_excel_export(result)  # the whole result: jurisdiction, IFRS 9, IRRBB
        return f"banksim-{result.scenario.name}.xlsx", workbook

    def _pipeline(self, scenario: Scenario, force: bool, on_step: Callable[..., None]) -> PipelineResult:
        return run_pipeline(
            int(self.values["num_positions"]),
            int(self.values["seed"]),
            {"profile": self.profile},
            scenario,
            self.include_derivatives,
            use_cache=not force,
            on_step=on_step,
            parameters=self.parameters,
        )

    def run(self, force: bool = False, progress: Progress | None = None) -> ExplorerRun:
        """Run the baseline (for the comparison) and the scenario; errors are captured, not raised.

        ``progress(done, total, label)`` is called before the first step and after every step;
        ``force`` recomputes the scenario's steps (the baseline comes from the cache when it can).
        """
        started = time.perf_counter()
        scenario = self.scenario()
        runs = (
            [scenario]
            if scenario.shocks == SCENARIOS["baseline"].shocks
            else [SCENARIOS["baseline"], scenario]
        )
        steps = registry.STEPS
        labels = {step.name: step.label for step in steps}
        total, done = len(steps) * len(runs), 0

        def on_step(name: str, *_: Any, **__: Any) -> None:
            nonlocal done
            done += 1
            if progress:
                prefix = "Baseline: " if len(runs) == 2 and done <= len(steps) else ""
                progress(done, total, prefix + labels.get(name, name))

        if progress:
            progress(0, total, "Starting")
        try:
            results = [self._pipeline(s, force and s is scenario, on_step) for s in runs]
        except (BanksimError, ValueError, TypeError) as exc:
            self.last = ExplorerRun(
                None, None, (), {}, f"{type(exc).__name__}: {exc}", time.perf_counter() - started
            )
            return self.last
        result, baseline = results[-1], results[0]
        status = {step.label: _step_status(step, result.steps[step.name]) for step in steps}
        lines = headlines(result, baseline, self.margins)
        self.last = ExplorerRun(result, baseline, lines, status, None, time.perf_counter() - started)
        return self.last


def _step_status(step: registry.Step, info: Mapping[str, Any]) -> str:
    if info["hit"] is None:
        return step.skipped
    if info["hit"]:
        return "loaded from cache"
    if info.get("reuse") in ("baseline", "scenario"):  # methodology C.46
        lines = f"{info['recomputed']:,} of {info['lines']:,} lines recomputed"
        source = "the baseline" if info["reuse"] == "baseline" else "an earlier scenario"
        return f"from {source} in {info['seconds']:.2f} s ({lines})"
    return f"computed in {info['seconds']:.2f} s"
