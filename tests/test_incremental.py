"""Incremental scenarios: a step built from the baseline's stored result equals a full computation.

Random scenarios on a small bank compare every output of an incremental run with a recomputation of
every step; hand-counted shocks check how many lines each step says it recomputed (methodology C.46).
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import banksim as bs
from banksim import incremental
from banksim import steps as registry
from banksim.incremental import READERS, part_reads, reads, recomputed_share
from banksim.positions.protection import COLLATERAL_TYPES
from banksim.positions.vocabulary import CORPORATE_EXPOSURE_CLASSES
from banksim.services import RULE_COLUMNS

BANK = {"num_positions": 2_000, "seed": 5, "config": None, "include_derivatives": True}
IRB_BANK = {**BANK, "num_positions": 1_500, "config": {"irb_share": 0.5}}  # F-IRB and A-IRB lines too


@contextmanager
def baseline_store(bank: dict[str, Any] = BANK) -> Iterator[bs.Store]:
    """A temporary store holding the bank's baseline run (the results an incremental run reuses)."""
    with tempfile.TemporaryDirectory(prefix="banksim-incremental-") as folder:
        store = bs.Store(f"sqlite:///{folder}/store.db", "file", f"{folder}/artifacts")
        try:
            with bs.use_store(store):
                bs.run_pipeline(**bank)
                yield store
        finally:
            store.close()


def run(
    scenario: bs.Scenario, seed: int = BANK["seed"], bank: dict[str, Any] = BANK, **options: Any
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    inputs = {**bank, "seed": seed, "scenario": scenario, "parameters": None}
    return registry.run_steps(inputs, **options)


def assert_same_outputs(incremental: dict[str, Any], full: dict[str, Any]) -> None:
    """Every output identical: frames value for value and dtype for dtype, summaries as dicts."""
    assert set(incremental) == set(full)
    for name, value in full.items():
        if name in registry.RUN_INPUTS:
            continue
        if isinstance(value, pd.DataFrame):
            pd.testing.assert_frame_equal(incremental[name], value, check_exact=True, obj=name)
        else:
            assert same_dict(incremental[name], value), name


def same_dict(a: Any, b: Any) -> bool:
    """Equality where NaN equals NaN (a summary of an empty part may hold one)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_dict(a[k], b[k]) for k in a)
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return bool(a == b)


def maybe(neutral: Any, strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """The neutral value half of the time: most scenarios leave most inputs alone."""
    return st.one_of(st.just(neutral), strategy)


SHOCKS = st.fixed_dictionaries(
    {
        "pd_multiplier": maybe(1.0, st.sampled_from([0.5, 1.5, 2.0, 3.0])),
        "lgd_multiplier": maybe(1.0, st.sampled_from([0.8, 1.2, 1.5])),
        "house_price_change": maybe(0.0, st.sampled_from([-0.4, -0.2, 0.1])),
        "rating_downgrade": maybe(
            {}, st.dictionaries(st.sampled_from(CORPORATE_EXPOSURE_CLASSES), st.integers(1, 3), max_size=2)
        ),
        "facility_drawdown": maybe(0.0, st.sampled_from([0.1, 0.3])),
        "product_growth": maybe({}, st.sampled_from([{"corporate_loan": -0.1}, {"retail_deposit": 0.1}])),
        "wholesale_not_rolled": maybe(0.0, st.sampled_from([0.25, 0.5])),
        "collateral_value_change": maybe(
            {}, st.dictionaries(st.sampled_from(COLLATERAL_TYPES), st.sampled_from([-0.3, 0.1]), max_size=2)
        ),
        "derivative_counterparty_downgrade": maybe(0, st.integers(1, 3)),
        "deposit_run_off_multiplier": maybe({}, st.just({"stable": 2.0})),
        "interest_rate_shift": maybe(0.0, st.just(0.01)),
        "cva_spread_multiplier": maybe(1.0, st.just(1.5)),
    }
)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_incremental_run_equals_a_full_recomputation(data: st.DataObject) -> None:
    with baseline_store():
        for index in range(3):  # several scenarios on one stored baseline
            shocks = data.draw(SHOCKS, label=f"shocks {index}")
            scenario = bs.Scenario(f"random {index}", bs.Shocks(**shocks))
            incremental, steps = run(scenario)
            full, _ = run(scenario, use_cache=False)  # every step computed by its service
            assert_same_outputs(incremental, full)
            for info in steps.values():
                if info["key"] is not None:
                    assert 0 <= info["recomputed"] <= info["lines"]


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_incremental_rwa_of_an_irb_bank_equals_a_full_recomputation(data: st.DataObject) -> None:
    """IRB lines (PD, LGD, LGD*, IRB guarantees) spliced from the baseline's as exactly as SA lines."""
    with baseline_store(IRB_BANK):
        for index in range(2):
            scenario = bs.Scenario(f"irb {index}", bs.Shocks(**data.draw(SHOCKS, label=f"shocks {index}")))
            incremental, steps = run(scenario, bank=IRB_BANK)
            full, _ = run(scenario, bank=IRB_BANK, use_cache=False)
            assert_same_outputs(incremental, full)
            assert 0 <= steps["rwa"]["recomputed"] <= steps["rwa"]["lines"]


def test_a_corporate_downgrade_recomputes_the_corporate_lines() -> None:
    """Downgrading corporates moves their rating and PD (IRB lines among them): those lines are
    recomputed, the others kept, and the result is a full computation's."""
    shocks = bs.Shocks(rating_downgrade={"corporate": 2})
    with baseline_store(IRB_BANK):
        values, steps = run(bs.Scenario("corporates", shocks), bank=IRB_BANK)
        full, _ = run(bs.Scenario("corporates", shocks), bank=IRB_BANK, use_cache=False)
    assert_same_outputs(values, full)
    rwa = values["rwa"]
    corporate = int(((rwa["exposure_class"] == "corporate") & (rwa["approach"] != "sa")).sum())
    assert corporate > 20
    assert steps["rwa"]["reuse"] == "baseline"
    assert corporate + 1 <= steps["rwa"]["recomputed"] < steps["rwa"]["lines"] / 2


def test_a_pd_and_lgd_shock_recomputes_the_irb_lines_and_keeps_the_sa_lines() -> None:
    """PD, LGD and ELBE are read by IRB lines only (SA_UNREAD): a PD and LGD multiplier recomputes
    the IRB credit lines (and those whose stage 3 allowance moved), not the SA lines."""
    shocks = bs.Shocks(pd_multiplier=1.5, lgd_multiplier=1.2)
    with baseline_store(IRB_BANK):
        base, _ = run(bs.SCENARIOS["baseline"], bank=IRB_BANK)
        values, steps = run(bs.Scenario("pd lgd", shocks), bank=IRB_BANK)
        full, _ = run(bs.Scenario("pd lgd", shocks), bank=IRB_BANK, use_cache=False)
    assert_same_outputs(values, full)
    rwa = values["rwa"]
    credit = (rwa["risk_type"] == "credit").to_numpy()
    irb = int((credit & (rwa["approach"] != "sa").to_numpy()).sum())
    assert 0 < irb < credit.sum() / 2
    assert steps["rwa"]["reuse"] == "baseline"
    assert irb + 1 <= steps["rwa"]["recomputed"] < credit.sum()
    same_provision = rwa["specific_provisions"].to_numpy() == base["rwa"]["specific_provisions"].to_numpy()
    sa = credit & (rwa["approach"] == "sa").to_numpy() & same_provision
    assert sa.sum() > credit.sum() / 3
    # kept as they were (the rule columns' categories are the paragraphs the whole table uses)
    as_text = {c: str for c in RULE_COLUMNS if c in rwa}
    pd.testing.assert_frame_equal(rwa[sa].astype(as_text), base["rwa"][sa].astype(as_text), check_exact=True)


def test_the_sa_reads_no_irb_risk_parameter() -> None:
    """Moving PD, LGD and ELBE on the SA lines of a mixed bank leaves the whole RWA table as it was:
    what lets a PD or LGD shock keep the SA lines (SA_UNREAD, methodology C.46)."""
    from banksim import services
    from banksim.incremental import SA_UNREAD
    from banksim.positions.validation import validate_positions

    positions = validate_positions(bs.generate_positions(3_000, 7, {"irb_share": 0.4}, True))
    sa = (positions["approach"] == "sa").to_numpy()
    assert 0 < sa.sum() < len(sa)
    base = services.compute_rwa.func(positions, None, None, None, None)
    for blank in (False, True):  # values moved; then given where missing and blanked where given
        moved = positions.assign(
            **{
                c: np.where(
                    sa,
                    np.where(positions[c].isna(), 0.02, np.nan)
                    if blank
                    else positions[c].to_numpy() * 0.5 + 0.01,
                    positions[c],
                )
                for c in SA_UNREAD
            }
        )
        assert not moved["pd"].equals(positions["pd"])
        again = services.compute_rwa.func(moved, None, None, None, None)
        pd.testing.assert_frame_equal(again, base, check_exact=True)


def test_a_pd_shock_reuses_the_steps_that_do_not_read_pd() -> None:
    with baseline_store():
        base, _ = run(bs.SCENARIOS["baseline"])
        values, steps = run(bs.Scenario("pd", bs.Shocks(pd_multiplier=2.0)))
        full, _ = run(bs.Scenario("pd", bs.Shocks(pd_multiplier=2.0)), use_cache=False)
    assert_same_outputs(values, full)
    # PD enters IFRS 9: every ECL line is computed.
    assert steps["ecl"]["reuse"] == "computed"
    assert steps["ecl"]["recomputed"] == steps["ecl"]["lines"] == len(values["ecl_lines"])
    # This bank is all SA, which reads no PD (SA_UNREAD): the RWA lines recomputed are those whose
    # stage 3 allowance (their specific provision, methodology 1.6) moved, and the operational line.
    assert (values["rwa"]["approach"].dropna() == "sa").all()
    provisions = base["ecl_lines"]["loss_allowance"].where(base["ecl_lines"]["stage"] == 3, 0.0)
    moved = values["ecl_lines"]["loss_allowance"].where(values["ecl_lines"]["stage"] == 3, 0.0) != provisions
    assert steps["rwa"]["reuse"] == "baseline"
    # (a stage 3 allowance is LGD x EAD: no PD in it. With no credit line changed, the first one is
    # recomputed with the operational line, which needs a computation of one credit line at least.)
    assert steps["rwa"]["recomputed"] == max(int(moved.sum()), 1) + 1
    # Protection, CVA, liquidity and IRRBB read no PD: the baseline's results, no line recomputed.
    for name in ("protection", "cva", "liquidity", "irrbb"):
        assert steps[name]["reuse"] == "baseline", name
        assert steps[name]["recomputed"] == 0
        assert steps[name]["lines"] == len(values[LINE[name]]) if name != "liquidity" else True
    assert steps["liquidity"]["lines"] == len(values["lcr"]) + len(values["nsfr"])
    pd.testing.assert_frame_equal(values["lcr"], base["lcr"], check_exact=True)


LINE = {"ecl": "ecl_lines", "rwa": "rwa", "protection": "protection", "cva": "cva_netting_sets",
        "irrbb": "irrbb_buckets"}  # fmt: skip


def test_a_collateral_shock_recomputes_the_collateral_items_it_moves() -> None:
    shocks = bs.Shocks(pd_multiplier=1.5, collateral_value_change={"debt_security": -0.2})
    with baseline_store():
        base, _ = run(bs.SCENARIOS["baseline"])
        values, steps = run(bs.Scenario("collateral", shocks))
    table = base["protection"]
    moved = int(((table["protection_type"] == "debt_security") & (table["amount"] != 0)).sum())
    assert moved > 0  # the bank holds bond collateral, so the test means something
    assert steps["protection"] == {**steps["protection"], "reuse": "baseline", "recomputed": moved}
    assert steps["protection"]["lines"] == len(table)
    bonds = (table["protection_type"] == "debt_security").to_numpy()
    np.testing.assert_array_equal(
        values["protection"]["amount"].to_numpy()[bonds], table["amount"][bonds] * 0.8
    )


def test_a_house_price_shock_recomputes_the_real_estate_lines_and_the_operational_line() -> None:
    """-30% on house prices divides every LTV by 0.7 (methodology C.46): the credit lines with an LTV
    are recomputed, and the operational line; the derivative netting sets and the rest are kept."""
    with baseline_store():
        base, _ = run(bs.SCENARIOS["baseline"])
        values, steps = run(bs.Scenario("houses", bs.Shocks(house_price_change=-0.3)))
        full, _ = run(bs.Scenario("houses", bs.Shocks(house_price_change=-0.3)), use_cache=False)
    pd.testing.assert_frame_equal(values["rwa"], full["rwa"], check_exact=True)
    positions = base["positions"]
    credit = positions["side"].isin(["asset", "off_balance"]).to_numpy()
    real_estate = int((credit & (positions["ltv"].to_numpy() > 0)).sum())
    assert 0 < real_estate < credit.sum()
    assert steps["rwa"]["reuse"] == "baseline"
    assert steps["rwa"]["recomputed"] == real_estate + 1  # and the operational line
    kept = ~values["rwa"]["position_id"].isin(positions["position_id"][positions["ltv"].to_numpy() > 0])
    kept &= (values["rwa"]["risk_type"] != "operational").to_numpy()
    pd.testing.assert_frame_equal(values["rwa"][kept], base["rwa"][kept], check_exact=True)


def test_a_house_price_shock_recomputes_the_nsfr_lines_and_keeps_the_lcr_lines() -> None:
    """The LTV is read by the NSFR (a mortgage's SA risk weight decides its RSF factor, NSF30.30-30.31) and not by the LCR: the
    liquidity step takes the baseline's LCR lines, computes the NSFR lines and the summary of both
    (methodology C.46), exactly as a full computation does."""
    assert "ltv" in part_reads("liquidity", "nsfr") and "ltv" not in part_reads("liquidity", "lcr")
    with baseline_store():
        base, _ = run(bs.SCENARIOS["baseline"])
        values, steps = run(bs.Scenario("houses", bs.Shocks(house_price_change=-0.3)))
        full, _ = run(bs.Scenario("houses", bs.Shocks(house_price_change=-0.3)), use_cache=False)
    assert_same_outputs(values, full)
    assert steps["liquidity"]["reuse"] == "baseline"
    assert steps["liquidity"]["recomputed"] == len(values["nsfr"])
    assert steps["liquidity"]["lines"] == len(values["nsfr"]) + len(values["lcr"])
    pd.testing.assert_frame_equal(values["lcr"], base["lcr"], check_exact=True)
    assert not values["nsfr"].equals(base["nsfr"])  # the shock moved some required funding


def test_a_derivative_downgrade_recomputes_the_netting_sets_only() -> None:
    """A counterparty downgrade moves derivative lines only: every netting set is recomputed, the
    operational line with the first credit line (its computation needs one), no other credit line."""
    with baseline_store():
        values, steps = run(bs.Scenario("swaps", bs.Shocks(derivative_counterparty_downgrade=2)))
        full, _ = run(bs.Scenario("swaps", bs.Shocks(derivative_counterparty_downgrade=2)), use_cache=False)
    pd.testing.assert_frame_equal(values["rwa"], full["rwa"], check_exact=True)
    netting_sets = int((values["rwa"]["risk_type"] == "counterparty").sum())
    assert netting_sets > 0
    assert steps["rwa"]["reuse"] == "baseline"
    assert steps["rwa"]["recomputed"] == netting_sets + 2


def test_the_rule_columns_hold_the_paragraphs_used_sorted() -> None:
    from banksim import services

    positions = bs.generate_positions(1_500, 5, None, True)
    protection = services.generate_protection.func(positions, 5, None)
    rwa = services.compute_rwa.func(positions, None, None, None, protection)
    for column in services.RULE_COLUMNS:
        categories = list(rwa[column].cat.categories)
        assert categories == sorted(set(rwa[column].astype(str))), column


def test_new_lines_or_no_stored_baseline_mean_a_full_computation() -> None:
    with baseline_store():
        _, steps = run(bs.Scenario("drawn", bs.Shocks(facility_drawdown=0.2)))  # adds loan lines
    for name in (*READERS, "rwa"):
        assert steps[name]["reuse"] == "computed", name
        assert steps[name]["recomputed"] == steps[name]["lines"]
    with tempfile.TemporaryDirectory() as folder:
        store = bs.Store(f"sqlite:///{folder}/s.db", "file", f"{folder}/a")
        with bs.use_store(store):  # another bank, whose baseline no store (and no earlier test) holds
            _, steps = run(bs.Scenario("pd", bs.Shocks(pd_multiplier=2.0)), seed=6)
        store.close()
    assert {steps[name]["reuse"] for name in READERS} == {"computed"}


def test_incremental_off_computes_every_missed_step() -> None:
    with baseline_store():
        _, steps = run(bs.Scenario("pd", bs.Shocks(pd_multiplier=2.0)), incremental=False)
    assert {info["reuse"] for name, info in steps.items() if info["key"]} <= {"stored", "computed"}
    assert steps["liquidity"]["reuse"] == "computed"


def test_each_reusable_step_reads_its_named_columns() -> None:
    """Halving a float column a step does not name leaves its result alone (the columns it names
    are the ones that decide reuse)."""
    from banksim import services

    positions = bs.generate_positions(1_500, 5, None, True)
    compute = {
        "liquidity": lambda p: services.compute_liquidity.func(p, None),
        "ecl": lambda p: services.compute_ecl.func(p, None, None),
        "irrbb": lambda p: services.compute_irrbb.func(p, 1e9, None),
        "protection": lambda p: services.generate_protection.func(p, 5, None),
    }
    floats = [c for c in positions.columns if positions[c].dtype == float and halvable(positions, c)]
    for part, lines in (("lcr", 0), ("nsfr", 1)):  # the liquidity step's parts, each alone
        compute[part] = lambda p, lines=lines: services.compute_liquidity.func(p, None)[lines]
    for name, function in compute.items():
        base = function(positions)
        named = part_reads("liquidity", name) if name in ("lcr", "nsfr") else reads(name)
        others = [c for c in floats if c not in named]
        assert len(others) >= 3  # some float columns are not read
        moved = positions.assign(**{c: positions[c] * 0.5 for c in others})
        again = function(moved)
        pairs = zip(
            base if isinstance(base, tuple) else (base,),
            again if isinstance(again, tuple) else (again,),
            strict=True,
        )
        for a, b in pairs:
            if isinstance(a, pd.DataFrame):
                pd.testing.assert_frame_equal(a, b, check_exact=True)
            else:
                assert same_dict(a, b)


def halvable(positions: pd.DataFrame, column: str) -> bool:
    """Whether the table stays valid with ``column`` halved (e.g. ``remargining_days`` >= 1 does not)."""
    from banksim.errors import InputError
    from banksim.positions.validation import validate_positions

    try:
        validate_positions(positions.assign(**{column: positions[column] * 0.5}))
    except InputError:
        return False
    return True


def test_recomputed_share_counts_the_lines_of_the_steps_that_ran() -> None:
    steps = {
        "positions": {"hit": True, "key": "a", "recomputed": 0, "lines": 6},
        "scenario": {"hit": None, "seconds": 0.0, "key": None},  # not needed: no lines
        "rwa": {"hit": False, "key": "b", "recomputed": 3, "lines": 3},
        "liquidity": {"hit": False, "key": "c", "recomputed": 0, "lines": 7},
    }
    assert recomputed_share(steps) == 3 / 16
    assert recomputed_share({"scenario": steps["scenario"]}) == 0.0


def test_the_baselines_kept_in_memory_never_change_a_code_version() -> None:
    """The run records' and every step's code versions are the same before and after incremental runs
    fill the in-process memo of baseline results: another process (a sweep worker) keys alike."""
    from banksim.pipeline import step_code_versions

    before = step_code_versions()
    with baseline_store():
        run(bs.SCENARIOS["baseline"])
        run(bs.Scenario("pd", bs.Shocks(pd_multiplier=2.0)))
    assert step_code_versions() == before


def test_categories_in_another_order_are_a_change() -> None:
    """pandas counts two unordered categoricals with the same categories in another order as equal
    dtypes; over the same codes they hold other values, so the column has changed."""
    from banksim.incremental import changed_columns

    base = pd.DataFrame(
        {"position_id": ["a", "b"], "grade": pd.Categorical(["x", "y"], categories=["x", "y"])}
    )
    codes = base["grade"].cat.codes.to_numpy()
    swapped = base.assign(grade=pd.Categorical.from_codes(codes, categories=["y", "x"]))
    assert swapped["grade"].dtype == base["grade"].dtype  # what pandas says
    assert changed_columns(base, swapped) == frozenset({"grade"})


def _rwa_lines(
    rwa: list[float], rules: list[str], classes: list[str], class_vocabulary: list[str]
) -> pd.DataFrame:
    """An RWA table as compute_rwa shapes it: rule categories those used, sorted."""
    return pd.DataFrame(
        {
            "rwa": rwa,
            "rule": pd.Categorical(rules, categories=sorted(set(rules))),
            "exposure_class": pd.Categorical(classes, categories=class_vocabulary),
        }
    )


def test_a_splice_overwrites_the_recomputed_lines_only() -> None:
    """Three credit lines and the operational line; line 1 recomputed. Its RWA is -0.0 (bit for bit
    not the baseline's 0.0), its rule a new paragraph, its class unchanged: the rule column keeps the
    paragraphs still used, sorted (CRE20.7 gone), and the class column is the baseline's own."""
    from banksim.incremental import _splice

    vocabulary = ["corporate", "retail", "operational_risk"]
    base = _rwa_lines(
        [1.0, 0.0, 3.0, 9.0],
        ["CRE20.1", "CRE20.7", "CRE20.1", "OPE25.2"],
        ["corporate", "retail", "corporate", "operational_risk"],
        vocabulary,
    )
    sub = _rwa_lines(
        [-0.0, 9.0], ["CRE20.9", "OPE25.2"], ["retail", "operational_risk"], ["retail", "operational_risk"]
    )
    spliced = _splice(base, sub, np.array([False, True, False]), derivatives=False)
    assert spliced is not None
    expected = _rwa_lines(
        [1.0, -0.0, 3.0, 9.0],
        ["CRE20.1", "CRE20.9", "CRE20.1", "OPE25.2"],
        ["corporate", "retail", "corporate", "operational_risk"],
        vocabulary,
    )
    pd.testing.assert_frame_equal(spliced, expected, check_exact=True)
    assert np.signbit(spliced["rwa"].to_numpy()[1])
    assert np.shares_memory(spliced["exposure_class"].array.codes, base["exposure_class"].array.codes)


def test_a_splice_adding_rules_past_127_categories_keeps_every_rule() -> None:
    """125 paragraphs in the baseline (int8 codes), six lines recomputed to six new ones: the codes
    widen, none wraps around (the full table's rule column lists all 130, sorted, unused ones gone)."""
    from banksim.incremental import _splice

    old = [f"r{i:03d}" for i in range(125)]
    rules = [old[i % 125] for i in range(130)] + ["OPE25.2"]
    vocabulary = ["corporate", "operational_risk"]
    classes = ["corporate"] * 130 + ["operational_risk"]
    base = _rwa_lines([1.0] * 131, rules, classes, vocabulary)
    new = [f"z{i}" for i in range(6)]
    sub = _rwa_lines(
        [2.0] * 6 + [1.0], [*new, "OPE25.2"], ["corporate"] * 6 + ["operational_risk"], vocabulary
    )
    lines = np.zeros(130, dtype=bool)
    lines[:6] = True
    spliced = _splice(base, sub, lines, derivatives=False)
    assert spliced is not None
    expected = new + rules[6:]
    assert spliced["rule"].astype(str).tolist() == expected
    assert list(spliced["rule"].cat.categories) == sorted(set(expected))


def test_a_splice_refuses_a_class_outside_the_baselines_vocabulary() -> None:
    from banksim.incremental import _splice

    vocabulary = ["corporate", "operational_risk"]
    base = _rwa_lines([1.0, 9.0], ["CRE20.1", "OPE25.2"], ["corporate", "operational_risk"], vocabulary)
    sub = _rwa_lines(
        [2.0, 9.0], ["CRE20.1", "OPE25.2"], ["bank", "operational_risk"], ["bank", "operational_risk"]
    )
    assert _splice(base, sub, np.array([True]), derivatives=False) is None


def test_a_step_reading_what_an_earlier_scenario_read_takes_its_result() -> None:
    """ECL reads PD and LGD, not house prices; the NSFR reads house prices (LTV), not PD or LGD: a
    scenario takes each from the earlier scenario that moved what it reads alike (methodology C.46),
    and every output equals a full computation."""
    with baseline_store():
        for pd_multiplier, house_prices in ((2.0, 0.0), (1.0, -0.2), (2.0, -0.2)):
            shocks = bs.Shocks(pd_multiplier=pd_multiplier, house_price_change=house_prices)
            incremental, steps = run(bs.Scenario(f"pd {pd_multiplier} hp {house_prices}", shocks))
            full, _ = run(bs.Scenario("full", shocks), use_cache=False)
            assert_same_outputs(incremental, full)
    # the last one: ECL as the first scenario's (same PD), the NSFR lines as the second's (same LTV)
    assert (steps["ecl"]["reuse"], steps["ecl"]["recomputed"]) == ("scenario", 0)
    assert (steps["liquidity"]["reuse"], steps["liquidity"]["recomputed"]) == ("scenario", 0)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_results_taken_from_earlier_scenarios_equal_a_full_recomputation(data: st.DataObject) -> None:
    """Scenarios that each change one shock of the first: steps reading none of what changed come from
    an earlier scenario's result, and every output equals a full computation."""
    first = data.draw(SHOCKS, label="first")
    with baseline_store():
        for index in range(3):
            name = data.draw(st.sampled_from(sorted(first)), label=f"changed {index}")
            value = data.draw(SHOCKS, label=f"from {index}")[name]
            shocks = bs.Shocks(**{**first, name: value}) if index else bs.Shocks(**first)
            incremental, steps = run(bs.Scenario(f"variant {index}", shocks))
            full, _ = run(bs.Scenario("full", shocks), use_cache=False)
            assert_same_outputs(incremental, full)
            for info in steps.values():
                if info["key"] is not None:
                    assert 0 <= info["recomputed"] <= info["lines"]


def test_an_earlier_scenarios_result_comes_from_memory_within_half_the_memory_tier(
    monkeypatch: Any,
) -> None:
    """A result another scenario reads again is kept in memory (half the in-memory tier's budget):
    taking it reads nothing from the store; with the tier off it is read back from the store."""
    from banksim.cache import CachedFunction

    reads: list[str] = []
    real = CachedFunction.stored_result

    def counting(self: CachedFunction, key: str) -> Any:
        reads.append(self.name)
        return real(self, key)

    monkeypatch.setattr(CachedFunction, "stored_result", counting)
    for tier_mb in (64, 0):
        with baseline_store() as store:
            monkeypatch.setattr(store.readings, "limit_bytes", tier_mb * 2**20 // 2)
            for pd_multiplier, house_prices in ((2.0, 0.0), (1.0, -0.2)):
                shocks = bs.Shocks(pd_multiplier=pd_multiplier, house_price_change=house_prices)
                run(bs.Scenario(f"pd {pd_multiplier} hp {house_prices}", shocks))
            reads.clear()
            shocks = bs.Shocks(pd_multiplier=2.0, house_price_change=-0.2)
            incremental, steps = run(bs.Scenario("both", shocks))
            kept = len(store.readings)
            full, _ = run(bs.Scenario("full", shocks), use_cache=False)
        assert not store.readings  # closed: what was kept for it is dropped
        assert_same_outputs(incremental, full)
        assert steps["ecl"]["reuse"] == steps["liquidity"]["reuse"] == "scenario"
        if tier_mb:
            assert reads == [] and kept > 0
        else:
            assert {"banksim.services.compute_ecl", "banksim.services.compute_liquidity"} <= set(reads)
            assert kept == 0


def test_a_scenario_splices_onto_the_last_scenarios_lines_when_fewer_changed_since() -> None:
    """A sweep's neighbours differ in one shock: after a house-price scenario, the same one with an
    LGD multiplier recomputes the lines the LGD moved since (the IRB lines, and those whose stage 3
    allowance moved), not the real-estate lines again (methodology C.46), where against the baseline
    it is computed in full; equal to a full computation."""
    houses = bs.Shocks(house_price_change=-0.3)
    both = bs.Shocks(house_price_change=-0.3, lgd_multiplier=1.2)
    with baseline_store(IRB_BANK):
        incremental._last_rwa.clear()  # nothing spliced before: against the baseline
        _, alone = run(bs.Scenario("houses and LGD", both), bank=IRB_BANK)
    with baseline_store(IRB_BANK):
        incremental._last_rwa.clear()
        first, before = run(bs.Scenario("houses", houses), bank=IRB_BANK)
        values, steps = run(bs.Scenario("houses and LGD", both), bank=IRB_BANK)
        full, _ = run(bs.Scenario("houses and LGD", both), bank=IRB_BANK, use_cache=False)
    assert_same_outputs(values, full)
    # against the baseline, more than half the credit lines changed: computed in full (MOST)
    assert (alone["rwa"]["reuse"], alone["rwa"]["recomputed"]) == ("computed", alone["rwa"]["lines"])
    assert (before["rwa"]["reuse"], steps["rwa"]["reuse"]) == ("baseline", "scenario")
    rwa, earlier = values["rwa"], first["rwa"]
    credit = (rwa["risk_type"] == "credit").to_numpy()
    irb = credit & (rwa["approach"] != "sa").to_numpy()
    moved = credit & (rwa["specific_provisions"].to_numpy() != earlier["specific_provisions"].to_numpy())
    # at most those lines, the counterparty lines and the operational line; fewer than from the baseline
    counterparty = int((rwa["risk_type"] == "counterparty").sum())
    assert (
        int((irb | moved).sum()) <= steps["rwa"]["recomputed"] <= int((irb | moved).sum()) + counterparty + 1
    )
    assert steps["rwa"]["recomputed"] < alone["rwa"]["recomputed"]


def test_writing_to_a_returned_rwa_table_changes_no_later_scenario() -> None:
    """The table a scenario splices onto is its own copy of the last one: a caller writing to the
    RWA table it got changes nothing in the next scenario, which still equals a full computation."""
    houses = bs.Shocks(house_price_change=-0.3)
    both = bs.Shocks(house_price_change=-0.3, lgd_multiplier=1.2)
    with baseline_store(IRB_BANK):
        incremental._last_rwa.clear()
        first, _ = run(bs.Scenario("houses", houses), bank=IRB_BANK)
        first["rwa"]["rwa"] = 0.0
        first["rwa"].loc[0, "exposure"] = -1.0
        first["positions"]["lgd"] = 0.0
        values, steps = run(bs.Scenario("houses and LGD", both), bank=IRB_BANK)
        full, _ = run(bs.Scenario("houses and LGD", both), bank=IRB_BANK, use_cache=False)
    assert steps["rwa"]["reuse"] == "scenario"
    assert_same_outputs(values, full)


def test_parameters_changed_in_place_are_not_the_last_scenarios() -> None:
    """The last RWA table is kept with the key of the parameters it was made with: a caller changing
    its parameters dict in place before the next scenario gets a full computation's table, not one
    spliced onto lines made under the old parameters."""
    parameters = {"sa": {"ccf": {"commitment": 0.5}}}
    houses = bs.Shocks(house_price_change=-0.3)
    more = bs.Shocks(house_price_change=-0.3, lgd_multiplier=1.2)
    with baseline_store(IRB_BANK):
        incremental._last_rwa.clear()
        run_steps = registry.run_steps
        inputs = {**IRB_BANK, "parameters": parameters}
        run_steps({**inputs, "scenario": bs.SCENARIOS["baseline"]})  # the baseline under 0.5
        run_steps({**inputs, "scenario": bs.Scenario("houses", houses)})
        parameters["sa"]["ccf"]["commitment"] = 1.0  # in place: the kept table was made under 0.5
        run_steps({**inputs, "scenario": bs.SCENARIOS["baseline"]})  # the baseline under 1.0
        values, _ = run_steps({**inputs, "scenario": bs.Scenario("more", more)})
        full, _ = run_steps({**inputs, "scenario": bs.Scenario("more", more)}, use_cache=False)
    assert_same_outputs(values, full)
