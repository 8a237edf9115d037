"""The registry of pipeline steps drives the pipeline, the sweep, the explorer and the demo."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

import banksim as bs
from banksim import steps as registry
from banksim.cache import cached
from banksim.explorer import ScenarioController
from banksim.pipeline import HEADLINE_COLUMNS, step_code_versions
from banksim.steps import HeadlineColumn, Step

SMALL: dict[str, Any] = {"num_positions": 800, "seed": 4}


@cached(kind="test_rwa_by_risk_type")
def rwa_by_risk_type(rwa: pd.DataFrame) -> dict[str, float]:
    """A step added by the tests: the RWA lines summed per risk type."""
    return {str(k): float(v) for k, v in rwa.groupby("risk_type", observed=True)["rwa"].sum().items()}


RISK_TYPES = Step(
    "risk_types", "RWA by risk type", rwa_by_risk_type, ("rwa",), ("by_risk_type",),
    headline=(HeadlineColumn("credit_line_rwa", "credit RWA (lines)", "by_risk_type", ("credit",)),),
)  # fmt: skip


@pytest.fixture
def extra_step(monkeypatch: pytest.MonkeyPatch) -> tuple[Step, ...]:
    """The registry with one more step after the others."""
    steps = (*registry.STEPS, RISK_TYPES)
    monkeypatch.setattr(registry, "STEPS", steps)
    return steps


def test_the_registry_is_the_pipeline_in_order() -> None:
    assert bs.STEPS is registry.STEPS
    names = [s.name for s in bs.STEPS]
    # the core steps in order: ECL before RWA (stage 3 allowances are the SA's specific provisions) and
    # capital (its provisions), IRRBB after (Tier 1)
    core = ["positions", "scenario", "ecl", "rwa", "liquidity", "capital", "irrbb"]
    assert [name for name in names if name in core] == core
    registry.check_steps()
    assert registry.headline_columns() == HEADLINE_COLUMNS
    assert len(set(HEADLINE_COLUMNS)) == len(HEADLINE_COLUMNS)
    assert {"total_ecl", "ecl_stage2_share", "delta_eve_to_tier1", "eve_outlier"} <= set(HEADLINE_COLUMNS)
    assert [s.name for s in bs.STEPS if not s.always] == ["scenario"]  # only with a balance-sheet shock
    kinds = [s.function.kind for s in bs.STEPS]
    core_kinds = ["positions", "scenario_positions", "ecl", "rwa", "liquidity", "capital", "irrbb"]
    assert [kind for kind in kinds if kind in core_kinds] == core_kinds
    assert set(step_code_versions()) == {*kinds, "run"}  # and the code that runs them
    assert registry.step_named("rwa").function is bs.compute_rwa
    with pytest.raises(bs.InputError, match="unknown step 'fx'"):
        registry.step_named("fx")


def test_a_step_may_read_only_run_inputs_and_earlier_outputs() -> None:
    early = Step("early", "Too early", rwa_by_risk_type, ("capital",), ("x",))
    with pytest.raises(bs.InputError, match=r"step 'early' reads \['capital'\]"):
        registry.check_steps((early, *registry.STEPS))
    with pytest.raises(bs.InputError, match="listed twice"):
        registry.check_steps((*registry.STEPS, registry.STEPS[-1]))
    registry.check_steps((*registry.STEPS, RISK_TYPES))  # after RWA it may read it


def test_headline_columns_read_nested_keys_and_attributes() -> None:
    class Ratios:
        cet1_ratio = 0.125

    column = HeadlineColumn("cet1_ratio", "CET1 ratio", "capital", ("ratios", "cet1_ratio"))
    assert column.read({"capital": {"ratios": {"cet1_ratio": 0.11}}}) == 0.11
    assert column.read({"capital": {"ratios": Ratios()}}) == 0.125


def test_overrides_merge_at_every_depth_the_second_winning() -> None:
    base: dict[str, Any] = {
        "lcr": {"inflow_cap": 0.9, "retail_deposit": {"stable": 0.05, "less_stable": 0.1}}
    }
    over = {"lcr": {"retail_deposit": {"stable": 0.1}}, "sa": {"retail": {"regulatory_retail": 1.0}}}
    assert registry.merge_overrides(base, over) == {
        "lcr": {"inflow_cap": 0.9, "retail_deposit": {"stable": 0.1, "less_stable": 0.1}},
        "sa": {"retail": {"regulatory_retail": 1.0}},
    }
    assert base["lcr"]["retail_deposit"]["stable"] == 0.05  # the inputs are not changed
    assert registry.merge_overrides(None, {}) is None  # no overrides at all: no argument


def test_an_added_step_runs_and_is_cached_counted_and_recorded(
    sqlite_store: bs.Store, extra_step: tuple[Step, ...]
) -> None:
    calls: list[str] = []
    first = bs.run_pipeline(**SMALL, on_step=lambda name, info: calls.append(name))
    assert calls == [s.name for s in extra_step]
    # every step runs and misses once, but a scenario step without a shock (not needed: None)
    assert first.hits() == {s.name: (False if s.always else None) for s in extra_step}
    assert first.hits()["risk_types"] is False
    assert first.steps["risk_types"]["key"] == rwa_by_risk_type.key(first.rwa)
    credit = first.rwa.loc[first.rwa["risk_type"] == "credit", "rwa"].sum()
    assert first.outputs["by_risk_type"]["credit"] == pytest.approx(credit, rel=1e-12)
    assert first.headline()["credit_line_rwa"] == pytest.approx(credit, rel=1e-12)
    assert "test_rwa_by_risk_type" in step_code_versions()
    again = bs.run_pipeline(**SMALL)
    assert again.hits()["risk_types"] is True
    assert again.steps["risk_types"]["key"] == first.steps["risk_types"]["key"]
    record = bs.query("SELECT headline_credit_line_rwa AS v, steps_risk_types_key AS k FROM pipeline")
    assert record["v"].item() == pytest.approx(credit, rel=1e-12)
    assert record["k"].item() == first.steps["risk_types"]["key"]


def test_an_added_step_is_in_the_sweep_table(sqlite_store: bs.Store, extra_step: tuple[Step, ...]) -> None:
    table = bs.sweep(["baseline", "mild_recession"], **SMALL, progress=False).set_index("scenario")
    assert "credit_line_rwa" in table.columns
    assert list(table.columns).index("credit_line_rwa") < list(table.columns).index("hits")
    assert table.loc["baseline", "steps"] == len(extra_step) - 1  # no balance-sheet shock
    assert table.loc["mild_recession", "steps"] == len(extra_step)
    run = bs.run_pipeline(**SMALL, scenario="mild_recession")
    assert table.loc["mild_recession", "credit_line_rwa"] == pytest.approx(
        run.outputs["by_risk_type"]["credit"], rel=1e-12
    )
    again = bs.sweep(["baseline", "mild_recession"], **SMALL, progress=False).set_index("scenario")
    assert again["record"].all() and (again["hits"] == again["steps"]).all()


def test_a_record_without_a_registered_step_is_not_served(sqlite_store: bs.Store) -> None:
    """A sweep re-run serves a run record only if it names exactly the registry's steps."""
    bs.sweep(["baseline"], **SMALL, progress=False)
    assert bs.sweep(["baseline"], **SMALL, progress=False)["record"].item()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(registry, "STEPS", (*registry.STEPS, RISK_TYPES))
        added = bs.sweep(["baseline"], **SMALL, progress=False)
    assert not added["record"].item()  # a new step: the pipeline ran, the other steps loaded
    assert added["hits"].item() == sum(s.always for s in registry.STEPS)
    assert added["steps"].item() == sum(s.always for s in registry.STEPS) + 1


def test_the_explorer_shows_an_added_step(sqlite_store: bs.Store, extra_step: tuple[Step, ...]) -> None:
    from banksim.widgets import ScenarioExplorer

    ticks: list[tuple[int, int, str]] = []
    run = ScenarioController(**SMALL).run(progress=lambda *tick: ticks.append(tick))
    assert [t[:2] for t in ticks] == [(i, len(extra_step)) for i in range(len(extra_step) + 1)]
    assert ticks[-1][2] == "RWA by risk type"
    assert run.result is not None
    assert run.status["RWA by risk type"] == f"computed in {run.result.steps['risk_types']['seconds']:.2f} s"
    assert run.status["Scenario applied"] == "not needed (no balance-sheet shock)"
    explorer = ScenarioExplorer(**SMALL, run=False)
    assert explorer.progress.max == len(extra_step)
    explorer.refresh()
    assert explorer.progress.value == len(extra_step)
    assert "RWA by risk type: loaded from cache" in explorer.status.value


def test_a_step_with_a_condition_is_skipped_with_its_own_status(
    sqlite_store: bs.Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    only_with_dividend = Step(
        "risk_types", "RWA by risk type", rwa_by_risk_type, ("rwa", "scenario"), ("by_risk_type",),
        arguments=lambda rwa, scenario: (rwa,),
        needed=lambda rwa, scenario: scenario.shocks.dividend > 0,
        skipped="not needed (no dividend)",
    )  # fmt: skip
    monkeypatch.setattr(registry, "STEPS", (*registry.STEPS, only_with_dividend))
    controller = ScenarioController(**SMALL)
    assert controller.run().status["RWA by risk type"] == "not needed (no dividend)"
    controller.set("dividend", 10)
    assert controller.run().result.steps["risk_types"]["hit"] is False  # type: ignore[union-attr]


def test_the_demo_runs_the_registry(
    sqlite_store: bs.Store, extra_step: tuple[Step, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    from banksim.demo import run_demo

    run_demo(num_positions=500, seed=2)
    out = capsys.readouterr().out
    assert f"code versions of the {len(extra_step)} cached steps" in out
    first = out.split("first pass:\n")[1].split("second pass:\n")[0]
    assert "test_rwa_by_risk_type " in first and first.count("computed and stored") == len(extra_step) - 1


def test_a_rate_shift_moves_the_irrbb_base_curves() -> None:
    """A scenario's parallel rate shift (+100 bp) moves every base curve's short and long rate:
    EUR (2.0%, 2.7%) -> (3.0%, 3.7%); no shift: the run's overrides as they are."""
    from types import SimpleNamespace

    step = registry.step_named("irrbb")
    capital = {"own_funds": {"tier1": 500.0}}
    shifted = SimpleNamespace(shocks=SimpleNamespace(interest_rate_shift=0.01))
    args = step.call_arguments(
        {"positions": "P", "capital": capital, "scenario": shifted, "parameters": None}
    )
    assert args[:2] == ("P", 500.0)
    assert args[2]["irrbb"]["base_curve"]["EUR"] == pytest.approx((0.03, 0.037), rel=1e-12)
    still = SimpleNamespace(shocks=SimpleNamespace(interest_rate_shift=0.0))
    overrides = {"irrbb": {"eve_aggregation": "eu_sot"}}
    args = step.call_arguments(
        {"positions": "P", "capital": capital, "scenario": still, "parameters": overrides}
    )
    assert args[2] is overrides


def test_a_sweep_does_not_serve_a_run_record_after_the_code_around_the_steps_changed(
    sqlite_store: bs.Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The capital step's arguments come from code outside its service (the IFRS 9 allowances in
    Tier 2, imported on use): changing it must change the run record's key, or a sweep would keep
    serving the old headline."""
    from banksim.regulation import provisions

    first = bs.sweep(["baseline"], 2_000, seed=5, progress=False)
    again = bs.sweep(["baseline"], 2_000, seed=5, progress=False)
    assert (
        bool(again.loc[0, "record"])
        and again.loc[0, "total_capital_ratio"] == first.loc[0, "total_capital_ratio"]
    )
    original = provisions.provisions_in_capital

    def five_billion_more_tier2(*args: Any, **kwargs: Any) -> dict[str, float]:
        lines = dict(original(*args, **kwargs))
        lines["tier2_addition"] += 5e9
        return lines

    monkeypatch.setattr(provisions, "provisions_in_capital", five_billion_more_tier2)
    changed = bs.sweep(["baseline"], 2_000, seed=5, progress=False)
    assert not bool(changed.loc[0, "record"])
    expected = first.loc[0, "total_capital_ratio"] + 5e9 / first.loc[0, "floored_rwa"]  # same RWA
    assert changed.loc[0, "total_capital_ratio"] == pytest.approx(expected, rel=1e-9)
