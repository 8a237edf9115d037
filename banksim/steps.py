"""The pipeline's steps as data: each step's cached service, what it reads, what it yields, its headlines.

:data:`STEPS` lists them in order; :func:`banksim.run_pipeline`, :func:`banksim.sweep`, the explorer, the
demo and the ready-made queries iterate over it, so a new step is one entry here plus its service.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from banksim.errors import InputError

if TYPE_CHECKING:
    from banksim.cache import CachedFunction

__all__ = [
    "RUN_INPUTS",
    "STEPS",
    "HeadlineColumn",
    "Step",
    "check_steps",
    "headline",
    "headline_columns",
    "merge_overrides",
    "run_steps",
    "step_named",
]

# What every run is given (the names a step may read besides earlier steps' outputs): the bank's
# arguments of banksim.run_simulation, the Scenario, and the resolved parameter overrides (or None).
RUN_INPUTS = ("num_positions", "seed", "config", "include_derivatives", "scenario", "parameters")


@dataclass(frozen=True)
class HeadlineColumn:
    """One headline metric: its column name, its label, and where it is read in a step's output.

    ``path`` are the keys (or attributes) leading from the output named ``output`` to the value,
    e.g. ``("ratios", "cet1_ratio")`` in the capital statement.
    """

    name: str
    label: str
    output: str
    path: tuple[str, ...]

    def read(self, outputs: Mapping[str, Any]) -> Any:
        """The metric's value in ``outputs`` (output name -> result)."""
        value = outputs[self.output]
        for key in self.path:
            value = value[key] if isinstance(value, Mapping) else getattr(value, key)
        return value


@dataclass(frozen=True)
class Step:
    """One step of the pipeline.

    Attributes
    ----------
    name, label
        The step's name (a key of ``PipelineResult.steps``) and how a reader calls it.
    service
        The ``@cached`` function that computes it, or its name in :mod:`banksim.services`.
    inputs
        Names it reads: run inputs (:data:`RUN_INPUTS`) or outputs of earlier steps.
    outputs
        Names of the service's results, in order (a later output of the same name replaces an
        earlier one: the scenario step's shocked positions replace the generated ones).
    headline
        The headline metrics read from its outputs.
    arguments
        Called with the inputs as keywords, returns the service's positional arguments; by
        default the inputs themselves, in order.
    needed
        Called with the inputs as keywords: False skips the step (``hit`` None, no key); by default
        the step always runs.
    skipped
        What the status says of a skipped step.
    """

    name: str
    label: str
    service: str | CachedFunction
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    headline: tuple[HeadlineColumn, ...] = ()
    arguments: Callable[..., tuple[Any, ...]] | None = None
    needed: Callable[..., bool] | None = None
    skipped: str = "not needed"

    @property
    def function(self) -> CachedFunction:
        """The cached service (resolved from :mod:`banksim.services` when given by name)."""
        if isinstance(self.service, str):
            function: CachedFunction = getattr(importlib.import_module("banksim.services"), self.service)
            return function
        return self.service

    @property
    def always(self) -> bool:
        """True if every run runs this step (it has no ``needed`` condition)."""
        return self.needed is None

    def call_arguments(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        """The positional arguments of the service, from the run's values so far."""
        given = {name: values[name] for name in self.inputs}
        return self.arguments(**given) if self.arguments else tuple(given.values())

    def is_needed(self, values: Mapping[str, Any]) -> bool:
        """Whether the step runs, given the run's values so far."""
        return self.needed is None or bool(self.needed(**{name: values[name] for name in self.inputs}))


# -- the steps' arguments and conditions (imports on use: keeps `import banksim` light) --------------


def _has_balance_sheet_shock(positions: Any, scenario: Any) -> bool:
    from banksim.scenarios import SCENARIOS, position_shocks

    baseline = SCENARIOS["baseline"].shocks
    moves = position_shocks(scenario.shocks)
    return any(value != getattr(baseline, name) for name, value in moves.items())


def _scenario_arguments(positions: Any, scenario: Any) -> tuple[Any, ...]:
    from banksim.scenarios import position_shocks

    return positions, position_shocks(scenario.shocks)


def merge_overrides(base: Mapping[str, Any] | None, over: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """``over`` merged into ``base`` key by key at every depth (``over`` wins); None when both are empty."""
    merged: dict[str, Any] = dict(base or {})
    for key, value in (over or {}).items():
        below = merged.get(key)
        if isinstance(value, Mapping) and isinstance(below, Mapping):
            merged[key] = merge_overrides(below, value) or {}
        else:
            merged[key] = value
    return merged or None


def _liquidity_arguments(positions: Any, scenario: Any, parameters: Any) -> tuple[Any, ...]:
    """The run's overrides with the scenario's run-off and haircut overrides (computed from the
    run's rates) merged in, the scenario's values winning."""
    from banksim.scenarios import scenario_parameters

    return positions, merge_overrides(parameters, scenario_parameters(scenario.shocks, parameters))


def _protection_arguments(positions: Any, seed: Any, scenario: Any) -> tuple[Any, ...]:
    return positions, seed, dict(scenario.shocks.collateral_value_change) or None


def _rwa_arguments(positions: Any, parameters: Any, protection: Any, ecl_lines: Any) -> tuple[Any, ...]:
    """The positions and the ECL lines, whose stage 3 allowances are their specific provisions
    (methodology 1.6)."""
    return positions, parameters, None, None, protection, ecl_lines


def _trading_book_arguments(num_positions: Any, seed: Any, config: Any, scenario: Any) -> tuple[Any, ...]:
    """The bank's arguments and the scenario's market moves (None without any)."""
    from banksim.scenarios import market_moves

    moves = {name: value for name, value in market_moves(scenario.shocks).items() if value != 0.0}
    return num_positions, seed, config, moves or None


def _cva_arguments(positions: Any, rwa: Any, scenario: Any, parameters: Any) -> tuple[Any, ...]:
    """The run's overrides with the scenario's credit-spread shock on the CVA risk weights."""
    from banksim.scenarios import scenario_cva_parameters

    return positions, rwa, merge_overrides(parameters, scenario_cva_parameters(scenario.shocks, parameters))


def _capital_arguments(
    rwa: Any,
    positions: Any,
    scenario: Any,
    parameters: Any,
    cva: Any,
    market_risk: Any,
    trading_book: Any,
    ecl_lines: Any,
) -> tuple[Any, ...]:
    """Own funds with the trading book's revaluation in CET1 (methodology 11.8), the buffers, the
    CVA and market-risk RWA beside the RWA table (methodology 1.2), and the trading book for its
    leverage exposure (methodology 1.5, C.48)."""
    from banksim.positions.own_funds import own_funds
    from banksim.scenarios import scenario_buffers

    funds = own_funds(positions)
    if "revaluation" in trading_book.columns:
        funds = {**funds, "cet1": max(0.0, funds["cet1"] + float(trading_book["revaluation"].sum()))}
    buffers = scenario_buffers(scenario.shocks) or None
    provisions = _provisions(ecl_lines, rwa, parameters)
    return rwa, funds, buffers, parameters, None, cva["rwa"], market_risk["rwa"], provisions, trading_book


def _provisions(ecl_lines: Any, rwa: Any, parameters: Any) -> dict[str, float]:
    """The IFRS 9 allowances in capital (methodology 1.6)."""
    from banksim.regulation.provisions import provisions_in_capital

    return provisions_in_capital(ecl_lines, rwa, parameters)


def _ecl_arguments(positions: Any, scenario: Any, parameters: Any) -> tuple[Any, ...]:
    """The run's positions (a scenario's PD and LGD shocks already in them) and overrides, with the
    scenario's own forward-looking ECL scenarios (methodology 12.4)."""
    from banksim.scenarios import scenario_ecl_parameters

    return positions, None, merge_overrides(parameters, scenario_ecl_parameters(scenario.shocks))


def _irrbb_arguments(positions: Any, capital: Any, scenario: Any, parameters: Any) -> tuple[Any, ...]:
    """Tier 1 of the capital statement, and the scenario's parallel rate shift on the base curves
    (methodology 13.10)."""
    from banksim.regulation.parameters import regulatory_parameters

    shift = float(getattr(scenario.shocks, "interest_rate_shift", 0.0))
    overrides = parameters
    if shift:
        curves = regulatory_parameters(parameters)["irrbb"]["base_curve"]
        moved = {c: (short + shift, long + shift) for c, (short, long) in curves.items()}
        overrides = merge_overrides(parameters, {"irrbb": {"base_curve": moved}})
    return positions, float(capital["own_funds"]["tier1"]), overrides


def _column(name: str, label: str, output: str, *path: str) -> HeadlineColumn:
    return HeadlineColumn(name, label, output, path)


STEPS: tuple[Step, ...] = (
    Step(
        "positions", "Bank generated", "run_simulation",
        ("num_positions", "seed", "config", "include_derivatives"), ("positions",),
    ),
    Step(
        "scenario", "Scenario applied", "apply_scenario", ("positions", "scenario"), ("positions",),
        arguments=_scenario_arguments, needed=_has_balance_sheet_shock,
        skipped="not needed (no balance-sheet shock)",
    ),
    Step(
        "protection", "Collateral and guarantees", "generate_protection", ("positions", "seed", "scenario"),
        ("protection",), arguments=_protection_arguments,
    ),
    Step(
        "ecl", "Expected credit loss (IFRS 9)", "compute_ecl", ("positions", "scenario", "parameters"),
        ("ecl_lines", "ecl_summary", "ecl"),
        headline=(
            _column("total_ecl", "loss allowance", "ecl", "total_allowance"),
            _column("ecl_stage2_share", "stage 2 share", "ecl", "stage2_share"),
            _column("ecl_stage3_share", "stage 3 share", "ecl", "stage3_share"),
            _column("ecl_coverage", "ECL coverage", "ecl", "coverage"),
        ),
        arguments=_ecl_arguments,
    ),
    Step(
        "rwa", "Risk-weighted assets", "compute_rwa", ("positions", "parameters", "protection", "ecl_lines"),
        ("rwa",), arguments=_rwa_arguments,
    ),
    Step(
        "cva", "CVA risk (MAR50)", "compute_cva", ("positions", "rwa", "scenario", "parameters"),
        ("cva_counterparties", "cva_netting_sets", "cva_hedges", "cva"),
        headline=(_column("cva_rwa", "CVA RWA", "cva", "rwa"),), arguments=_cva_arguments,
    ),
    Step(
        "trading_book", "Trading book (after market moves)", "run_trading_book",
        ("num_positions", "seed", "config", "scenario"), ("trading_book",), arguments=_trading_book_arguments,
    ),
    Step(
        "market_risk", "Market risk (MAR40)", "compute_market_risk", ("trading_book", "parameters"),
        ("market_risk_lines", "market_risk_classes", "market_risk"),
        headline=(_column("market_risk_rwa", "market-risk RWA", "market_risk", "rwa"),),
    ),
    Step(
        "liquidity", "Liquidity (LCR, NSFR)", "compute_liquidity", ("positions", "scenario", "parameters"),
        ("lcr", "nsfr", "liquidity"),
        headline=(
            _column("lcr", "LCR", "liquidity", "lcr"),
            _column("nsfr", "NSFR", "liquidity", "nsfr"),
            _column("hqla", "HQLA", "liquidity", "hqla"),
            _column("net_outflows", "net outflows", "liquidity", "net_outflows"),
            _column("asf", "ASF", "liquidity", "asf"),
            _column("rsf", "RSF", "liquidity", "rsf"),
        ),
        arguments=_liquidity_arguments,
    ),
    Step(
        "capital", "Capital, buffers and MDA", "compute_capital",
        ("rwa", "positions", "scenario", "parameters", "cva", "market_risk", "trading_book", "ecl_lines"),
        ("capital",),
        headline=(
            _column("cet1_ratio", "CET1 ratio", "capital", "ratios", "cet1_ratio"),
            _column("tier1_ratio", "Tier 1 ratio", "capital", "ratios", "tier1_ratio"),
            _column("total_capital_ratio", "total capital ratio", "capital", "ratios", "total_capital_ratio"),
            _column("leverage_ratio", "leverage ratio", "capital", "leverage", "leverage_ratio"),
            _column("floored_rwa", "RWA (floored)", "capital", "rwa", "floored_rwa"),
            _column("credit_rwa", "credit RWA", "capital", "rwa", "credit"),
            _column("counterparty_rwa", "counterparty RWA", "capital", "rwa", "counterparty"),
            _column("operational_rwa", "operational RWA", "capital", "rwa", "operational"),
            _column(
                "combined_buffer_requirement", "combined buffer requirement",
                "capital", "buffers", "combined_buffer_requirement",
            ),
            _column("mda_quartile", "MDA quartile", "capital", "mda", "quartile"),
            _column("maximum_payout_ratio", "maximum payout", "capital", "mda", "maximum_payout_ratio"),
        ),
        arguments=_capital_arguments,
    ),
    Step(
        "irrbb", "Interest-rate risk (IRRBB)", "compute_irrbb",
        ("positions", "capital", "scenario", "parameters"),
        ("irrbb_eve", "irrbb_buckets", "irrbb_nii", "irrbb"),
        headline=(
            _column("worst_delta_eve", "worst ΔEVE", "irrbb", "worst_delta_eve"),
            _column("delta_eve_to_tier1", "ΔEVE / Tier 1", "irrbb", "delta_eve_to_tier1"),
            _column("eve_outlier", "EVE outlier", "irrbb", "eve_outlier"),
            _column("delta_nii_parallel_up", "ΔNII parallel up", "irrbb", "delta_nii_parallel_up"),
            _column("delta_nii_parallel_down", "ΔNII parallel down", "irrbb", "delta_nii_parallel_down"),
        ),
        arguments=_irrbb_arguments,
    ),
)  # fmt: skip


def _registry(steps: Sequence[Step] | None) -> Sequence[Step]:
    return STEPS if steps is None else steps


def step_named(name: str, steps: Sequence[Step] | None = None) -> Step:
    """The step called ``name``; an unknown name is an InputError listing the steps."""
    for step in _registry(steps):
        if step.name == name:
            return step
    raise InputError("step", f"unknown step {name!r}", allowed=[s.name for s in _registry(steps)])


def headline_columns(steps: Sequence[Step] | None = None) -> tuple[str, ...]:
    """The names of every step's headline metrics, step by step."""
    return tuple(column.name for step in _registry(steps) for column in step.headline)


def headline(outputs: Mapping[str, Any], steps: Sequence[Step] | None = None) -> dict[str, Any]:
    """Every step's headline metrics read from ``outputs`` (output name -> result), as one flat dict."""
    return {column.name: column.read(outputs) for step in _registry(steps) for column in step.headline}


def check_steps(steps: Sequence[Step] | None = None) -> None:
    """Raise InputError unless every step has a unique name and reads only run inputs or earlier outputs."""
    known = set(RUN_INPUTS)
    names: set[str] = set()
    for step in _registry(steps):
        if step.name in names:
            raise InputError("steps", f"step {step.name!r} is listed twice")
        names.add(step.name)
        missing = [name for name in step.inputs if name not in known]
        if missing:
            reason = f"step {step.name!r} reads {missing}, which no earlier step yields"
            raise InputError("steps", reason, allowed=sorted(known))
        known.update(step.outputs)


def run_steps(
    inputs: Mapping[str, Any],
    steps: Sequence[Step] | None = None,
    use_cache: bool = True,
    on_step: Callable[[str, dict[str, Any]], None] | None = None,
    incremental: bool = True,
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Run ``steps`` (by default :data:`STEPS`) in order on the run's ``inputs`` (:data:`RUN_INPUTS`).

    Returns the values (run inputs and every output, by name) and, per step, ``{"hit", "seconds",
    "key", "recomputed", "lines", "reuse"}``: ``lines`` the rows of its line tables, ``recomputed``
    how many were computed anew (0 on a hit), ``reuse`` "stored" (a hit), "baseline" (built from the
    unshocked run's stored result, methodology C.46), "scenario" (taken from another scenario's that
    read the same) or "computed"; a step not needed has
    ``{"hit": None, "seconds": 0.0, "key": None}``. ``on_step(name, info)`` is called after each
    step, a skipped one included. ``incremental`` False (or ``use_cache`` False) computes every
    missed step in full.
    """
    from banksim.incremental import Baseline, line_count, plan, remember

    steps = _registry(steps)
    check_steps(steps)
    values = dict(inputs)
    info: dict[str, dict[str, Any]] = {}
    keys: dict[str, str] = {}
    baseline = None
    for index, step in enumerate(steps):
        if step.is_needed(values):
            if step.name == "scenario" and incremental and use_cache:
                baseline = Baseline(values, keys, steps[index + 1 :])
            function = step.function
            arguments = step.call_arguments(values)
            route = plan(step, arguments, baseline)
            if route is None:
                *results, hit = function(*arguments, use_cache=use_cache)
            else:
                *results, hit = function.computed_by(route.compute, *arguments, use_cache=use_cache)
            call = function.last_call
            assert call is not None  # set by the call just made
            if route is not None and route.readings:  # a later scenario reading the same takes it
                remember(route.readings, function.name, call.key, tuple(results))
            outputs = dict(zip(step.outputs, results, strict=True))
            lines = line_count(step.name, outputs)
            reused = route is not None and bool(route.reused) and not hit
            recomputed = 0 if hit else route.reused[0] if reused and route else lines
            reuse = "stored" if hit else route.source[0] if reused and route else "computed"
            info[step.name] = {"hit": hit, "seconds": call.seconds, "key": call.key,
                               "recomputed": recomputed, "lines": lines, "reuse": reuse}  # fmt: skip
            values.update(outputs)
            keys.update(dict.fromkeys(step.outputs, call.key))
        else:
            info[step.name] = {"hit": None, "seconds": 0.0, "key": None}
        if on_step is not None:
            on_step(step.name, info[step.name])
    return values, info
