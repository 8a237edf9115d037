"""The scenario explorer's logic, in plain Python: control values in, a pipeline run and its status out.

``ScenarioController`` holds one value per control (profile, size, seed and one per shock), runs
:func:`banksim.run_pipeline` and says for each step whether it was loaded from the cache or computed.
:mod:`banksim.widgets` is a thin ipywidgets view over it; tests drive it without a browser.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from banksim.errors import BanksimError, InputError
from banksim.pipeline import STEPS, PipelineResult, run_pipeline
from banksim.portfolio import PROFILES
from banksim.scenarios import RUN_OFF_CLASSES, Scenario, Shocks

__all__ = ["CONTROLS", "ControlSpec", "ExplorerRun", "ScenarioController"]


@dataclass(frozen=True)
class ControlSpec:
    """One control: its range, step and default, and how its value becomes a shock."""

    name: str
    label: str
    minimum: float
    maximum: float
    step: float
    default: float
    integer: bool = False


CONTROLS: tuple[ControlSpec, ...] = (
    ControlSpec("num_positions", "positions", 500, 200_000, 500, 5_000, integer=True),
    ControlSpec("seed", "seed", 0, 10_000, 1, 42, integer=True),
    ControlSpec("rating_downgrade", "corporate downgrade (notches)", 0, 6, 1, 0, integer=True),
    ControlSpec("pd_multiplier", "PD multiplier", 0.5, 5.0, 0.1, 1.0),
    ControlSpec("lgd_multiplier", "LGD multiplier", 0.5, 2.0, 0.05, 1.0),
    ControlSpec("house_price_change", "house prices", -0.5, 0.2, 0.05, 0.0),
    ControlSpec("deposit_run_off_multiplier", "deposit run-off x", 1.0, 5.0, 0.25, 1.0),
    ControlSpec("hqla_haircut", "Level 2 HQLA haircut", 0.0, 0.5, 0.05, 0.0),
    ControlSpec("wholesale_not_rolled", "wholesale not rolled", 0.0, 1.0, 0.05, 0.0),
    ControlSpec("facility_drawdown", "facility drawdown", 0.0, 1.0, 0.05, 0.0),
    ControlSpec("product_growth", "corporate loan growth", -0.5, 0.5, 0.05, 0.0),
    ControlSpec("dividend", "dividend (share of CET1)", 0.0, 0.5, 0.05, 0.0),
    ControlSpec("at1_issuance", "AT1 issued (share of CET1)", 0.0, 0.3, 0.05, 0.0),
    ControlSpec("countercyclical_rates", "CCyB rate (home)", 0.0, 0.025, 0.0025, 0.0),
)
CONTROL_BY_NAME = {spec.name: spec for spec in CONTROLS}
CORPORATE_CLASSES = ("corporate", "specialised_lending", "commercial_real_estate")


@dataclass(frozen=True)
class ExplorerRun:
    """What one refresh produced: the result (None on error), a status line per step, the error."""

    result: PipelineResult | None
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


class ScenarioController:
    """Control values, the scenario they describe, and runs of the pipeline for it.

    Parameters
    ----------
    profile : str
        Bank profile ('universal', 'retail', 'wholesale').
    include_derivatives : bool
        Generate derivative trades (SA-CCR).
    home_country : str
        Jurisdiction of the CCyB control.
    **values
        Initial control values by name (see ``CONTROLS``).
    """

    def __init__(
        self,
        profile: str = "universal",
        include_derivatives: bool = True,
        home_country: str = "DE",
        **values: Any,
    ) -> None:
        self.include_derivatives = include_derivatives
        self.home_country = home_country
        self.profile = "universal"
        self.values: dict[str, float] = {spec.name: spec.default for spec in CONTROLS}
        self.set("profile", profile)
        for name, value in values.items():
            self.set(name, value)
        self.last: ExplorerRun | None = None

    def set(self, name: str, value: Any) -> None:
        """Set one control; out-of-range values and unknown names are errors."""
        if name == "profile":
            if value not in PROFILES:
                raise InputError("profile", f"unknown profile {value!r}", allowed=sorted(PROFILES))
            self.profile = value
            return
        spec = CONTROL_BY_NAME.get(name)
        if spec is None:
            raise InputError("control", f"unknown control {name!r}", allowed=["profile", *CONTROL_BY_NAME])
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not spec.minimum <= value <= spec.maximum
        ):
            raise InputError(name, f"must be between {spec.minimum:g} and {spec.maximum:g}, got {value!r}")
        self.values[name] = int(value) if spec.integer else float(value)

    def scenario(self) -> Scenario:
        """The scenario the shock controls describe."""
        v = self.values
        notches, run_off, haircut = (
            int(v["rating_downgrade"]),
            v["deposit_run_off_multiplier"],
            v["hqla_haircut"],
        )
        growth, ccyb = v["product_growth"], v["countercyclical_rates"]
        shocks = Shocks(
            rating_downgrade=dict.fromkeys(CORPORATE_CLASSES, notches) if notches else {},
            pd_multiplier=v["pd_multiplier"],
            lgd_multiplier=v["lgd_multiplier"],
            house_price_change=v["house_price_change"],
            deposit_run_off_multiplier=dict.fromkeys(RUN_OFF_CLASSES, run_off) if run_off != 1 else {},
            hqla_haircut={"2A": haircut, "2B": haircut} if haircut else {},
            wholesale_not_rolled=v["wholesale_not_rolled"],
            facility_drawdown=v["facility_drawdown"],
            product_growth={"corporate_loan": growth} if growth else {},
            dividend=v["dividend"],
            at1_issuance=v["at1_issuance"],
            countercyclical_rates={self.home_country: ccyb} if ccyb else {},
        )
        return Scenario("explorer", shocks, "Shocks set in the scenario explorer.")

    def run(self, force: bool = False, progress: Callable[[int, int], None] | None = None) -> ExplorerRun:
        """Run the pipeline for the current values; errors are captured in the result, not raised."""
        started = time.perf_counter()
        if progress:
            progress(0, len(STEPS))
        try:
            result = run_pipeline(
                int(self.values["num_positions"]),
                int(self.values["seed"]),
                {"profile": self.profile},
                self.scenario(),
                self.include_derivatives,
                use_cache=not force,
            )
        except (BanksimError, ValueError, TypeError) as exc:
            self.last = ExplorerRun(None, {}, f"{type(exc).__name__}: {exc}", time.perf_counter() - started)
            return self.last
        finally:
            if progress:
                progress(len(STEPS), len(STEPS))
        status = {}
        for name, step in result.steps.items():
            if step["hit"] is None:
                status[name] = "not needed"
            elif step["hit"]:
                status[name] = "loaded from cache"
            else:
                status[name] = f"computed in {step['seconds']:.2f} s"
        self.last = ExplorerRun(result, status, None, time.perf_counter() - started)
        return self.last
