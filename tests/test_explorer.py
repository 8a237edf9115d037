"""The scenario explorer: the controller without a browser (statuses, deltas, labels, scenarios, runs),
and the ipywidgets view driven headless."""

from __future__ import annotations

import base64
import io
import math
from typing import Any

import ipywidgets
import openpyxl
import pandas as pd
import pytest

import banksim as bs
from banksim.explorer import (
    CONTROLS,
    METRICS,
    SCENARIO_LABELS,
    STEP_LABELS,
    ScenarioController,
    ecl_rows,
    headlines,
    irrbb_rows,
    outlier_note,
    points,
    rwa_rows,
    scenario_label,
    status_colour,
)
from banksim.pipeline import HEADLINE_COLUMNS, PipelineResult
from banksim.scenarios import RUN_OFF_CLASSES, SCENARIOS, Scenario
from banksim.widgets import ScenarioExplorer

SMALL: dict[str, Any] = {"num_positions": 1_000, "seed": 5}


@pytest.fixture(autouse=True)
def _close_widgets():  # type: ignore[no-untyped-def]
    yield
    ipywidgets.Widget.close_all()


# -- statuses, deltas and labels from hand-worked cases ----------------------------------------------


@pytest.mark.parametrize(
    ("value", "requirement", "margin", "expected"),
    [
        (0.6389, 1.00, 0.10, "red"),  # the LCR of the issue: 36 points short
        (0.0699, 0.07, 0.01, "red"),  # a hair below the overall CET1 requirement
        (0.0700, 0.07, 0.01, "amber"),  # met exactly: no surplus
        (0.0750, 0.07, 0.01, "amber"),  # 0.5 points above, margin 1 point
        (0.0850, 0.07, 0.01, "green"),  # 1.5 points above
        (0.0750, 0.07, 0.002, "green"),  # the same 0.5 points with a margin of 0.2 points
        (1.0500, 1.00, 0.10, "amber"),
        (1.2500, 1.00, 0.10, "green"),
        (math.inf, 1.00, 0.10, "green"),  # LCR with no net outflows
        (math.nan, 1.00, 0.10, "red"),  # no number is no comfort
    ],
)
def test_status_colour_from_hand_worked_cases(
    value: float, requirement: float, margin: float, expected: str
) -> None:
    assert status_colour(value, requirement, margin) == expected


def _result(cet1: float, lcr: float, payout: float = 1.0) -> PipelineResult:
    """A result with hand-set numbers: requirements 7 / 8.5 / 10.5%, leverage 3%, LCR and NSFR 100%."""
    requirements = [
        {
            "requirement": f"{tier}_overall",
            "required_ratio": required,
            "rule": "RBC20.1 + Pillar 2 + RBC30 buffers",
        }
        for tier, required in (("cet1", 0.07), ("tier1", 0.085), ("total", 0.105))
    ]
    capital = {
        "ratios": {"cet1_ratio": cet1, "tier1_ratio": cet1 + 0.025, "total_capital_ratio": cet1 + 0.045},
        "requirements": requirements,
        "leverage": {"leverage_ratio": 0.031, "requirement": 0.03, "gsib_buffer": 0.0},
        "mda": {"cet1_ratio_for_mda": cet1, "buffer_range": [0.045, 0.07], "maximum_payout_ratio": payout},
    }
    liquidity = {"lcr": lcr, "lcr_minimum": 1.0, "nsfr": 1.2, "nsfr_minimum": 1.0}
    empty = pd.DataFrame()
    return PipelineResult(Scenario("hand"), empty, empty, empty, empty, liquidity, capital, {})


def test_headlines_hold_each_metric_against_its_requirement() -> None:
    stressed, baseline = _result(cet1=0.075, lcr=0.6389, payout=0.6), _result(cet1=0.085, lcr=1.30)
    lines = {line.key: line for line in headlines(stressed, baseline)}
    assert [line.label for line in lines.values()] == [m.label for m in METRICS]
    cet1 = lines["cet1_ratio"]
    assert (cet1.requirement, cet1.rule, cet1.status) == (0.07, "RBC20.1 + Pillar 2 + RBC30 buffers", "amber")
    assert cet1.surplus == pytest.approx(0.005) and cet1.change == pytest.approx(-0.01)
    assert cet1.cells() == {
        "Metric": "CET1 ratio",
        "Value": "7.50%",
        "Requirement": "7.00% overall CET1 requirement",
        "Surplus": "+0.50 pp",
        "Status": "Close to requirement",
        "Change vs baseline": "−1.00 pp",
    }
    lcr = lines["lcr"]
    assert (lcr.status, lcr.rule) == ("red", "LCR20.5")
    assert lcr.cells()["Value"] == "63.89%" and lcr.cells()["Surplus"] == "−36.11 pp"
    assert lcr.cells()["Status"] == "Breached" and lcr.cells()["Change vs baseline"] == "−66.11 pp"
    assert lines["tier1_ratio"].status == "green"  # 10% against 8.5%: 1.5 points over a 1-point margin
    assert (
        lines["total_capital_ratio"].requirement == 0.105 and lines["total_capital_ratio"].status == "green"
    )
    assert lines["leverage_ratio"].status == "amber"  # 3.1% against 3%, margin 0.5 points
    assert lines["nsfr"].status == "green"  # 120% against 100%, margin 5 points
    mda = lines["mda"]
    assert (mda.requirement, mda.status, mda.rule) == (0.07, "amber", "RBC30.4")
    assert mda.note == "payouts limited to 60% of profits"
    # The margin is a parameter: 0.2 points turns the CET1 surplus of 0.5 points green.
    relaxed = {line.key: line for line in headlines(stressed, baseline, margins={"cet1_ratio": 0.002})}
    assert relaxed["cet1_ratio"].status == "green"
    with pytest.raises(bs.InputError, match="unknown metrics"):
        headlines(stressed, baseline, margins={"cet1": 0.01})
    alone = headlines(stressed)[0]
    assert alone.change is None and alone.cells()["Change vs baseline"] == "no baseline"


def test_points_and_percent_formatting() -> None:
    assert points(-0.0127) == "−1.27 pp" and points(0.0) == "±0.00 pp" and points(1e-7) == "±0.00 pp"
    assert points(math.inf) == "n/a"
    line = headlines(_result(cet1=0.075, lcr=math.inf))[4]
    assert line.cells()["Value"] == "∞" and line.status == "green"


def test_labels_are_words_not_identifiers() -> None:
    words = [
        *(spec.label for spec in CONTROLS),
        *(spec.unit for spec in CONTROLS),
        *(m.label for m in METRICS),
        *(m.requirement for m in METRICS),
        *STEP_LABELS.values(),
        *(scenario_label(name) for name in SCENARIOS),
    ]
    assert all("_" not in text for text in words), [t for t in words if "_" in t]
    assert set(SCENARIO_LABELS) == set(SCENARIOS)
    assert scenario_label("house_price_shock") == "House price shock"  # a scenario added later


# -- scenarios and controls ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_a_library_scenario_sets_the_controls_and_runs_unchanged(name: str) -> None:
    controller = ScenarioController(**SMALL)
    shown = controller.load_scenario(name)
    assert {k: controller.values[k] for k in shown} == shown
    assert controller.scenario() is SCENARIOS[name]  # the scenario itself, per-key values and all
    assert controller.adjusted() == [] and controller.title() == scenario_label(name)


def test_moving_a_control_replaces_only_its_shock() -> None:
    controller = ScenarioController(**SMALL, scenario="severe_recession")
    assert controller.values["house_price_change"] == -25 and controller.values["rating_downgrade"] == 2
    controller.set("house_price_change", -30)  # percent, as shown
    shocks = controller.scenario().shocks
    assert shocks.house_price_change == -0.3
    assert (
        shocks.rating_downgrade == SCENARIOS["severe_recession"].shocks.rating_downgrade
    )  # bank 1, sovereign 1
    assert controller.title() == "Severe recession (changed: house prices)"
    controller.set("rating_downgrade", 0)  # neutral: the corporate classes leave the mapping
    assert controller.scenario().shocks.rating_downgrade == {"bank": 1, "sovereign": 1}
    controller.set("house_price_change", -25)
    controller.set("rating_downgrade", 2)
    assert controller.scenario() is SCENARIOS["severe_recession"]

    controller.load_scenario("idiosyncratic_liquidity_run")
    assert controller.values["deposit_run_off_multiplier"] == 2.0  # the largest of 2.0 and 1.5
    controller.set("deposit_run_off_multiplier", 3.0)
    assert controller.scenario().shocks.deposit_run_off_multiplier == dict.fromkeys(RUN_OFF_CLASSES, 3.0)
    controller.load_scenario("baseline")
    controller.set("countercyclical_rates", 1.0)
    assert controller.scenario().shocks.countercyclical_rates == {"DE": 0.01}
    assert controller.title() == "Custom scenario (changed: ccyb rate (home))"


def test_controls_refuse_bad_values() -> None:
    controller = ScenarioController(**SMALL)
    with pytest.raises(bs.InputError, match="between"):
        controller.set("pd_multiplier", 50.0)
    with pytest.raises(bs.InputError, match="between"):
        controller.set("house_price_change", -0.9 * 100)
    with pytest.raises(bs.InputError, match="unknown control"):
        controller.set("weather", 1.0)
    with pytest.raises(bs.InputError, match="unknown scenario"):
        controller.load_scenario("apocalypse")
    with pytest.raises(bs.InputError, match="unknown profile"):
        controller.set("profile", "hedge fund")


# -- runs ------------------------------------------------------------------------------------------------


def test_runs_report_every_step_and_compare_with_the_baseline(sqlite_store: bs.Store) -> None:
    controller = ScenarioController(**SMALL)
    calls: list[tuple[int, int, str]] = []
    first = controller.run(progress=lambda *call: calls.append(call))
    steps = len(bs.STEPS)
    assert [c[:2] for c in calls] == [
        (i, steps) for i in range(steps + 1)
    ]  # one tick per step, not 0 then all
    assert first.summary().startswith("computed") and first.baseline is first.result
    assert all(line.change == 0 for line in first.headlines)
    assert first.status["Scenario applied"] == "not needed (no balance-sheet shock)"
    assert controller.run().summary() == "loaded from cache"

    calls.clear()
    controller.set("house_price_change", -30)
    shocked = controller.run(progress=lambda *call: calls.append(call))
    both = 2 * steps  # the baseline's steps, then the scenario's
    assert [c[:2] for c in calls] == [(i, both) for i in range(both + 1)]
    assert calls[1][2] == "Baseline: Bank generated" and calls[-1][2] == bs.STEPS[-1].label
    assert shocked.status["Bank generated"] == "loaded from cache"
    assert shocked.status["Scenario applied"].startswith("computed")
    expected = bs.run_pipeline(**SMALL, config={"profile": "universal"}, scenario=Scenario("check").with_shocks(
        house_price_change=-0.3)).headline()["cet1_ratio"]  # fmt: skip
    cet1 = shocked.headlines[0]
    assert cet1.value == pytest.approx(expected, rel=1e-12)
    assert cet1.change == pytest.approx(expected - first.headlines[0].value, rel=1e-12) and cet1.change < 0
    forced = controller.run(force=True)
    assert forced.status["Risk-weighted assets"].startswith("computed") and not forced.from_cache


def test_errors_are_captured_not_raised(sqlite_store: bs.Store) -> None:
    controller = ScenarioController(**SMALL)
    controller.values["num_positions"] = 0  # bypassing set(): the pipeline itself refuses
    run = controller.run()
    assert run.result is None and run.headlines == () and "num_positions" in (run.error or "")
    assert run.summary().startswith("error:")
    with pytest.raises(bs.InputError, match="no result"):
        controller.workbook()


def test_workbook_of_the_current_scenario(sqlite_store: bs.Store) -> None:
    controller = ScenarioController(**SMALL, scenario="mild_recession")
    controller.run()
    name, data = controller.workbook()
    assert name == "banksim-mild_recession.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    assert "Summary" in book.sheetnames
    summary = " ".join(str(c) for row in book["Summary"].iter_rows(values_only=True) for c in row if c)
    assert "mild_recession" in summary


# -- the view, headless ----------------------------------------------------------------------------------


def _runs(explorer: ScenarioExplorer) -> list[Any]:
    calls: list[Any] = []
    run = explorer.controller.run

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return run(*args, **kwargs)

    explorer.controller.run = counted  # type: ignore[method-assign]
    return calls


def test_view_shows_headlines_in_words_with_status_and_change(sqlite_store: bs.Store) -> None:
    explorer = ScenarioExplorer(**SMALL)
    assert all(
        c.continuous_update is False
        for n, c in explorer.controls.items()
        if n not in ("scenario", "parameters", "profile")
    )
    page = explorer.headline.value + explorer.amounts.value + explorer.status.value
    assert not [key for key in (*HEADLINE_COLUMNS, *(m.key for m in METRICS)) if key in page]
    assert "CET1 ratio" in page and "overall CET1 requirement" in page and "±0.00 pp" in page
    steps = len(bs.STEPS)
    assert explorer.progress.value == explorer.progress.max == steps
    assert explorer.progress_label.value.startswith(f"{steps}/{steps}")
    explorer.controls["house_price_change"].value = -30
    assert "−" in explorer.headline.value and "changed: house prices" in explorer.title.value
    for out in explorer.charts.values():
        assert out.outputs[0]["data"]["image/png"]


def test_choosing_a_library_scenario_sets_the_sliders_and_runs_once(sqlite_store: bs.Store) -> None:
    explorer = ScenarioExplorer(**SMALL)
    runs = _runs(explorer)
    explorer.controls["scenario"].value = "combined"
    assert len(runs) == 1
    assert explorer.controls["pd_multiplier"].value == 2.5 and explorer.controls["hqla_haircut"].value == 25
    assert explorer.last.result.scenario is SCENARIOS["combined"]
    assert "bs-status-red" in explorer.headline.value  # the combined run breaks the LCR of this bank
    assert "Combined (recession, liquidity)" in explorer.title.value


def test_view_offers_the_workbook_and_withdraws_it_when_the_scenario_moves(sqlite_store: bs.Store) -> None:
    explorer = ScenarioExplorer(**SMALL)
    explorer.workbook_button.click()
    link = explorer.download.value
    assert "download='banksim-baseline.xlsx'" in link
    data = base64.b64decode(link.split("base64,")[1].split("'")[0])
    assert "Summary" in openpyxl.load_workbook(io.BytesIO(data), read_only=True).sheetnames
    explorer.controls["dividend"].value = 10
    assert explorer.download.value == ""


def test_view_shows_errors_instead_of_raising(sqlite_store: bs.Store) -> None:
    explorer = ScenarioExplorer(**SMALL, run=False)
    explorer.refresh()  # a good run first: its numbers and charts are on the page
    assert "CET1" in explorer.headline.value and all(out.outputs for out in explorer.charts.values())
    explorer.controls["product_growth"].value = 50  # needs more reserves than a small bank has
    explorer.controls["facility_drawdown"].value = 100
    assert "central bank reserves" in explorer.error.value
    assert explorer.status.value.startswith("<b>error")
    assert explorer.headline.value == "" and explorer.amounts.value == ""  # nothing stale left standing
    assert not any(out.outputs for out in explorer.charts.values())
    assert "No result" in explorer.title.value


# -- jurisdictions ---------------------------------------------------------------------------------------


def test_the_jurisdiction_is_a_control_of_its_own(
    sqlite_store: bs.Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A preset chosen in the dropdown reaches the pipeline: the controller runs under it, the title
    names it, and a heavier retail weight (CRE20.65 at 100% instead of 75%) lowers the CET1 ratio."""
    from banksim.regulation.jurisdictions import PRESETS

    monkeypatch.setitem(PRESETS, "heavy_retail", {"sa": {"retail": {"regulatory_retail": 1.0}}})
    explorer = ScenarioExplorer(**SMALL)
    dropdown = explorer.controls["parameters"]
    assert [value for _, value in dropdown.options] == list(PRESETS)
    assert dropdown.value == explorer.controller.parameters == "basel"
    basel = explorer.last.result  # type: ignore[union-attr]
    assert basel is not None and basel.parameters == "basel"
    runs = _runs(explorer)
    dropdown.value = "heavy_retail"
    assert len(runs) == 1 and explorer.controller.parameters == "heavy_retail"
    heavy = explorer.last.result  # type: ignore[union-attr]
    assert heavy is not None and heavy.parameters == "heavy_retail"
    protection = basel.outputs["protection"]
    assert heavy.steps["rwa"]["key"] == bs.compute_rwa.key(
        basel.positions, PRESETS["heavy_retail"], protection=protection, ecl_lines=basel.outputs["ecl_lines"]
    )
    assert heavy.headline()["cet1_ratio"] < basel.headline()["cet1_ratio"]
    assert "HEAVY RETAIL parameters" in explorer.title.value
    assert explorer.error.value == ""
    with pytest.raises(bs.InputError, match="unknown jurisdiction preset 'atlantis'"):
        explorer.controller.set("parameters", "atlantis")
    with pytest.raises(bs.InputError, match="unknown jurisdiction preset"):
        ScenarioController(**SMALL, parameters="atlantis")


# -- the IFRS 9, IRRBB and RWA tables ----------------------------------------------------------------------


def test_ecl_rows_give_the_allowance_share_and_coverage_by_stage() -> None:
    summary = pd.DataFrame(
        {
            "stage": [1, 1, 2, 3],
            "exposure_class": ["retail", "corporate", "retail", "defaulted"],
            "exposures": [60, 40, 8, 2],
            "ead_0": [600e6, 400e6, 100e6, 50e6],
            "loss_allowance": [2e6, 1e6, 3e6, 20e6],
        }
    )
    rows = ecl_rows(summary)
    assert [r["Stage"] for r in rows] == ["Stage 1", "Stage 2", "Stage 3", "Total"]
    # stage 1: 3 m on 1,000 m -> coverage 0.30%, share 3/26 = 11.5%; stage 3: 20/50 = 40.00%, 20/26 = 76.9%
    assert rows[0] == {
        "Stage": "Stage 1", "Exposures": "100", "Exposure at default (EUR m)": "1,000.0",
        "Loss allowance (EUR m)": "3.0", "Share of allowance": "11.5%", "Coverage": "0.30%",
    }  # fmt: skip
    assert (rows[1]["Coverage"], rows[1]["Share of allowance"]) == ("3.00%", "11.5%")
    assert (rows[2]["Coverage"], rows[2]["Share of allowance"]) == ("40.00%", "76.9%")
    # total: 26 m on 1,150 m = 2.26%
    assert rows[3]["Loss allowance (EUR m)"] == "26.0" and rows[3]["Coverage"] == "2.26%"
    assert rows[3]["Exposures"] == "110" and rows[3]["Share of allowance"] == "100.0%"
    empty = ecl_rows(summary[summary["stage"] != 2])
    assert empty[1]["Coverage"] == "n/a" and empty[1]["Exposures"] == "0"


def _irrbb(parallel_down: float) -> dict[str, Any]:
    eve = {"parallel_up": 20e6, "parallel_down": parallel_down, "steepener": 5e6,
           "flattener": 0.0, "short_up": 1e6, "short_down": 40e6}  # fmt: skip
    worst = max(eve, key=eve.__getitem__)
    test = {"measure": eve[worst], "worst_scenario": worst, "ratio": eve[worst] / 1e9, "threshold": 0.15,
            "outlier": eve[worst] > 0.15e9}  # fmt: skip
    nii = dict.fromkeys(eve, 1.0) | {"parallel_up": 30e6, "parallel_down": -30e6}
    return {"tier1": 1e9, "aggregation": "basel", "outlier_tests": {"basel": test}, "delta_eve": eve,
            "delta_nii": nii}  # fmt: skip


def test_irrbb_rows_hold_each_shock_against_15_percent_of_tier1() -> None:
    rows = irrbb_rows(_irrbb(parallel_down=150e6))
    assert [r["Shock scenario"] for r in rows] == [
        "Parallel up", "Parallel down", "Steepener", "Flattener", "Short rates up", "Short rates down",
    ]  # fmt: skip
    # SRP31.82: 150 m / 1,000 m = 15.00% is not more than 15%: not an outlier
    assert rows[1] == {
        "Shock scenario": "Parallel down", "ΔEVE (EUR m)": "150.0", "ΔEVE / Tier 1": "15.00%",
        "Above the outlier line": "no", "ΔNII, 12 months (EUR m)": "−30.0",
    }  # fmt: skip
    assert rows[0]["ΔNII, 12 months (EUR m)"] == "30.0" and rows[0]["ΔEVE / Tier 1"] == "2.00%"
    assert all(r["ΔNII, 12 months (EUR m)"] == "—" for r in rows[2:])  # ΔNII for the parallel shocks only
    assert outlier_note(_irrbb(150e6)).endswith("against the outlier line of 15% (SRP31.82): not an outlier.")
    # 150.1 m / 1,000 m = 15.01% > 15%: an outlier
    over = _irrbb(parallel_down=150.1e6)
    assert irrbb_rows(over)[1]["Above the outlier line"] == "yes"
    assert outlier_note(over) == (
        "Worst shock: parallel down, ΔEVE 150.1 m = 15.01% of Tier 1 against the outlier line of 15% "
        "(SRP31.82): an outlier."
    )


def test_rwa_rows_show_collateral_savings_cva_and_market_risk() -> None:
    capital = {"rwa": {"credit": 700e6, "counterparty": 50e6, "cva": 40e6, "market_risk": 60e6,
                       "operational": 100e6, "floor_add_on": 50e6, "floored_rwa": 1000e6}}  # fmt: skip
    table = pd.DataFrame(
        {
            "risk_type": ["credit", "credit", "counterparty"],
            "rwa": [500e6, 200e6, 50e6],
            "rwa_before_crm": [600e6, 250e6, 50e6],
        }
    )
    rows = {r["Risk"]: (r["RWA (EUR m)"], r["Share"]) for r in rwa_rows(capital, table)}
    assert rows == {
        "Credit risk before collateral and guarantees": ("850.0", "85.0%"),  # 600 + 250
        "Saved by collateral and guarantees": ("−150.0", "−15.0%"),  # 700 - 850
        "Credit risk (after collateral and guarantees)": ("700.0", "70.0%"),
        "Counterparty credit risk (SA-CCR)": ("50.0", "5.0%"),
        "CVA risk": ("40.0", "4.0%"),
        "Market risk": ("60.0", "6.0%"),
        "Operational risk": ("100.0", "10.0%"),
        "Output floor add-on": ("50.0", "5.0%"),
        "Total (after the output floor)": ("1,000.0", "100.0%"),
    }
    # a statement without CVA and market risk, and no RWA table: those lines are left out
    plain = {"rwa": {"credit": 900e6, "counterparty": 0.0, "operational": 100e6, "floored_rwa": 1000e6}}
    assert [r["Risk"] for r in rwa_rows(plain)] == [
        "Credit risk (after collateral and guarantees)", "Counterparty credit risk (SA-CCR)",
        "Operational risk", "Output floor add-on", "Total (after the output floor)",
    ]  # fmt: skip


def test_view_shows_the_ifrs9_irrbb_and_rwa_tables_in_words(sqlite_store: bs.Store) -> None:
    explorer = ScenarioExplorer(**SMALL)
    result = explorer.last.result
    tables = {name: table.value for name, table in explorer.tables.items()}
    assert "Stage 3" in tables["ecl"] and "Coverage" in tables["ecl"]
    assert "Short rates down" in tables["irrbb"] and "outlier line of 15%" in tables["irrbb"]
    assert "CVA risk" in tables["rwa"] and "Market risk" in tables["rwa"]
    assert not [t for t in tables.values() if "_" in t.replace("bs-table", "")]
    stage3 = ecl_rows(result.outputs["ecl_summary"])[2]["Loss allowance (EUR m)"]
    assert f"<td class='num'>{stage3}</td>" in tables["ecl"]
    # the totals match the step's summary and the capital statement
    total = ecl_rows(result.outputs["ecl_summary"])[3]["Loss allowance (EUR m)"]
    assert total == f"{result.outputs['ecl']['total_allowance'] / 1e6:,.1f}"
    cva = f"{result.capital['rwa']['cva'] / 1e6:,.1f}"
    assert f"<td class='num'>{cva}</td>" in tables["rwa"]
    for name in ("ecl", "irrbb"):
        assert explorer.charts[name].outputs[0]["data"]["image/png"]
    explorer.controller.values["num_positions"] = 0
    explorer.refresh()
    assert all(table.value == "" for table in explorer.tables.values())
