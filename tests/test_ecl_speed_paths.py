"""The fast paths of the ECL computation give the same tables, bit for bit, as the plain ones.

Each shortcut is compared with a route that cannot take it: the exposure validation of a table
already in normal form with the rebuild of the same table given as text; the period loop split by
amortisation type with the single loop over all exposures (``reference_by_scenario``, the loop as
methodology C.39-C.40 writes it); the summary's numbered groups with pandas' ``groupby``; the
trigger labels with ``remove_unused_categories``; the default scenarios with the same table passed
explicitly. Errors of bad input are compared the same way.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

import banksim as bs
from banksim import services
from banksim.errors import InputError
from banksim.positions.credit_quality import ECL_EXPOSURE_COLUMNS, validate_ecl_exposures
from banksim.regulation._frame import categorical
from banksim.regulation.ecl import (
    GRID_TOLERANCE,
    EclScenario,
    compute_ecl,
    ecl_by_scenario,
    ecl_parameters,
    ecl_scenarios,
    ecl_summary,
    exposure_at_default,
    scenario_inputs,
)
from banksim.regulation.ecl_inputs import ecl_exposures, in_ecl_scope
from banksim.regulation.ecl_staging import TRIGGERS, Staging
from banksim.regulation.ecl_totals import ecl_totals

SCENARIOS = (
    EclScenario("base", 0.5),
    EclScenario("upside", 0.2, 0.7, -0.05),
    EclScenario("downside", 0.3, 1.8, 0.12),
)
CATEGORIES = ("exposure_class", "rating", "amortisation_type")


def same_frame(left: pd.DataFrame, right: pd.DataFrame) -> None:
    """Equal columns, dtypes (categories and their dtype included), index, and float bits."""
    pd.testing.assert_frame_equal(left, right, check_exact=True, check_column_type=True)
    assert list(left.columns) == list(right.columns)
    for name in left.columns:
        a, b = left[name], right[name]
        assert a.dtype == b.dtype, name
        if isinstance(a.dtype, pd.CategoricalDtype):
            assert list(a.cat.categories) == list(b.cat.categories), name
            assert a.cat.categories.dtype == b.cat.categories.dtype, name
            assert np.array_equal(a.cat.codes.to_numpy(), b.cat.codes.to_numpy()), name
        elif a.dtype == np.float64:
            assert np.array_equal(a.to_numpy().view(np.int64), b.to_numpy().view(np.int64)), name


def as_text(exposures: pd.DataFrame) -> pd.DataFrame:
    """The same exposures with the categories as plain text: the validation must rebuild them."""
    return exposures.astype({name: object for name in CATEGORIES})


@pytest.fixture(scope="module", params=[(3000, 11, None), (4000, 5, {"irb_share": 0.5})])
def bank(request: pytest.FixtureRequest) -> pd.DataFrame:
    num, seed, config = request.param
    return bs.generate_positions(num, seed, config, True)


@pytest.fixture(scope="module")
def exposures(bank: pd.DataFrame) -> pd.DataFrame:
    return ecl_exposures(bank, bs.regulatory_parameters()["ecl"])


def reference_by_scenario(
    frame: pd.DataFrame, pd_s: np.ndarray, lgd_s: np.ndarray, ead_0: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """One loop over all exposures sorted longest first, each period's formulas with ``np.where``."""
    maturity = frame["residual_maturity"].to_numpy()
    periods = np.ceil(maturity - GRID_TOLERANCE)
    order = np.argsort(-periods, kind="stable")
    alive = np.searchsorted(-periods[order], -np.arange(1, int(periods.max(initial=0)) + 1), side="right")
    maturity, periods, pd_s, lgd_s, ead_0 = (
        maturity[order],
        periods[order],
        pd_s[order],
        lgd_s[order],
        ead_0[order],
    )
    rate = frame["eir"].to_numpy()[order]
    annuity = (frame["amortisation_type"] == "annuity").to_numpy()[order]
    growth = 1.0 + rate
    safe = np.where(rate > 0, rate, 1.0)
    v_maturity = growth**-maturity
    a_total = np.where(rate > 0, (1.0 - (1.0 + safe) ** -maturity) / safe, maturity)
    survive_at_maturity = (1.0 - pd_s) ** maturity[:, None]
    discount_last = growth ** -((periods - 1.0 + maturity) / 2.0)
    discount_half = growth**-0.5
    survive, compound = np.ones_like(pd_s), np.ones_like(rate)
    lifetime, twelve = np.zeros_like(pd_s), np.zeros_like(pd_s)
    for k, m in enumerate(alive, start=1):
        t, r, c = maturity[:m], rate[:m], compound[:m]
        whole = k <= t
        start = np.minimum(k - 1, t)
        remaining = np.where(r > 0, (1.0 - v_maturity[:m] * c) / safe[:m], t - start)
        profile = np.where(annuity[:m], remaining / a_total[:m], 1.0)
        discount = np.where(whole, discount_half[:m] / c, discount_last[:m])
        s = survive[:m]
        marginal = np.where(whole[:, None], s * pd_s[:m], s - survive_at_maturity[:m])
        term = marginal * lgd_s[:m] * (ead_0[:m] * profile * discount)[:, None]
        lifetime[:m] += term
        if k == 1:
            twelve[:m] = term
        survive[:m] = s * (1.0 - pd_s[:m])
        compound[:m] = c * growth[:m]
    inverse = np.empty_like(order)
    inverse[order] = np.arange(len(order))
    return twelve[inverse], lifetime[inverse]


def reference_summary(lines: pd.DataFrame) -> pd.DataFrame:
    summary = (
        lines.groupby(["stage", "exposure_class"], observed=True)
        .agg(
            exposures=("position_id", "size"),
            ead_0=("ead_0", "sum"),
            ecl_12m=("ecl_12m", "sum"),
            ecl_lifetime=("ecl_lifetime", "sum"),
            loss_allowance=("loss_allowance", "sum"),
        )
        .reset_index()
    )
    ead = summary["ead_0"].to_numpy()
    summary["coverage"] = np.divide(
        summary["loss_allowance"].to_numpy(), ead, out=np.full(len(ead), np.nan), where=ead > 0
    )
    return summary


def error_of(call: Any) -> str:
    with pytest.raises(InputError) as caught:
        call()
    return str(caught.value)


# -- validation ------------------------------------------------------------------------------------


def test_a_normalised_exposure_table_validates_as_its_rebuild(exposures: pd.DataFrame) -> None:
    fast = validate_ecl_exposures(exposures)
    rebuilt = validate_ecl_exposures(as_text(exposures))
    same_frame(fast, rebuilt)
    assert fast is not exposures


def test_writing_to_the_validated_table_leaves_the_input_alone(exposures: pd.DataFrame) -> None:
    before = exposures["pd"].to_numpy().copy()
    frame = validate_ecl_exposures(exposures)
    frame.loc[0, "pd"] = 0.5
    frame["lgd"] = 0.0
    assert np.array_equal(exposures["pd"].to_numpy(), before)
    assert (exposures["lgd"] > 0).any()


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("residual_maturity", 0.0),
        ("residual_maturity", np.nan),
        ("pd", 1.5),
        ("pd", np.nan),
        ("lgd", -0.1),
        ("eir", -0.01),
        ("eir", np.inf),
        ("drawn_amount", np.nan),
        ("ecl_ccf", 1.2),
        ("days_past_due", 1.5),
        ("days_past_due", -1.0),
    ],
)
def test_bad_numbers_give_the_rebuild_s_error(exposures: pd.DataFrame, column: str, value: float) -> None:
    bad = exposures.copy()
    bad.loc[3, column] = value
    fast = error_of(lambda: validate_ecl_exposures(bad))
    assert fast == error_of(lambda: validate_ecl_exposures(as_text(bad)))
    assert column in fast


def test_missing_optional_numbers_take_their_default_as_in_the_rebuild(exposures: pd.DataFrame) -> None:
    blank = exposures.copy()
    blank.loc[[1, 4], ["off_balance_amount", "days_past_due"]] = np.nan
    frame = validate_ecl_exposures(blank)
    same_frame(frame, validate_ecl_exposures(as_text(blank)))
    assert (frame.loc[[1, 4], ["off_balance_amount", "days_past_due"]] == 0.0).all().all()


def test_categories_of_another_form_are_rebuilt(exposures: pd.DataFrame) -> None:
    """Object-dtype categories, an extra category, a missing value: all end as the schema's dtype."""
    expected = validate_ecl_exposures(as_text(exposures))
    variants = {
        "object categories": exposures.assign(
            exposure_class=exposures["exposure_class"].cat.rename_categories(
                pd.Index(list(exposures["exposure_class"].cat.categories), dtype=object)
            )
        ),
        "extra category": exposures.assign(rating=exposures["rating"].cat.add_categories(["NR"])),
        "reordered": exposures.assign(
            amortisation_type=exposures["amortisation_type"].cat.reorder_categories(["annuity", "bullet"])
        ),
    }
    for name, variant in variants.items():
        frame = validate_ecl_exposures(variant)
        same_frame(frame, expected)
        assert frame["exposure_class"].cat.categories.dtype == "str", name
    unrated = exposures.assign(rating=exposures["rating"].cat.add_categories(["NR"]))
    unrated.loc[2, "rating"] = "NR"
    unrated.loc[5, "rating"] = np.nan
    frame = validate_ecl_exposures(unrated)
    assert frame.loc[2, "rating"] == "unrated" and frame.loc[5, "rating"] == "unrated"
    same_frame(frame, validate_ecl_exposures(as_text(unrated)))


def test_a_category_outside_the_allowed_set_is_the_same_error(exposures: pd.DataFrame) -> None:
    bad = exposures.assign(rating=exposures["rating"].cat.add_categories(["ZZZ"]))
    bad.loc[1, "rating"] = "ZZZ"
    assert error_of(lambda: validate_ecl_exposures(bad)) == error_of(
        lambda: validate_ecl_exposures(as_text(bad))
    )


def test_duplicate_or_empty_ids_are_errors(exposures: pd.DataFrame) -> None:
    duplicated = exposures.copy()
    duplicated.loc[1, "position_id"] = duplicated.loc[0, "position_id"]
    assert "must be unique" in error_of(lambda: validate_ecl_exposures(duplicated))
    empty = exposures.copy()
    empty.loc[2, "position_id"] = ""
    assert "empty values" in error_of(lambda: validate_ecl_exposures(empty))


def test_the_layout_of_the_rebuild(exposures: pd.DataFrame) -> None:
    """Shuffled rows keep their order with a new index; extra columns follow the schema's; a
    frame with attrs or with columns in another order is rebuilt into the same layout."""
    shuffled = exposures.iloc[::-1]
    frame = validate_ecl_exposures(shuffled)
    assert (
        isinstance(frame.index, pd.RangeIndex)
        and frame["position_id"].iloc[0] == shuffled["position_id"].iloc[0]
    )
    names = [spec.name for spec in ECL_EXPOSURE_COLUMNS]
    moved = exposures[["approach", *names]]
    assert list(validate_ecl_exposures(moved).columns) == [*names, "approach"]
    tagged = exposures.copy()
    tagged.attrs["source"] = "test"
    assert validate_ecl_exposures(tagged).attrs == {}
    same_frame(validate_ecl_exposures(tagged), validate_ecl_exposures(exposures))


# -- the period loop -------------------------------------------------------------------------------


@pytest.mark.parametrize("scenarios", [None, SCENARIOS])
def test_the_period_loop_equals_the_single_loop(exposures: pd.DataFrame, scenarios: Any) -> None:
    params = ecl_parameters(bs.regulatory_parameters()["ecl"])
    frame = validate_ecl_exposures(exposures)
    pd_s, lgd_s = scenario_inputs(frame, ecl_scenarios(scenarios, params))
    ead_0 = exposure_at_default(frame)
    twelve, lifetime = ecl_by_scenario(frame, pd_s, lgd_s, ead_0)
    ref_twelve, ref_lifetime = reference_by_scenario(frame, pd_s, lgd_s, ead_0)
    assert np.array_equal(twelve.view(np.int64), ref_twelve.view(np.int64))
    assert np.array_equal(lifetime.view(np.int64), ref_lifetime.view(np.int64))
    assert (lifetime >= twelve).all() and (twelve > 0).any()


def test_the_period_loop_on_edge_maturities() -> None:
    """Whole and fractional maturities, T within the grid tolerance of an integer, zero rates,
    bullets and annuities mixed, one exposure alone."""
    rng = np.random.default_rng(7)
    n = 400
    maturity = rng.choice([1 / 365, 0.5, 1.0, 1.0 + 5e-10, 2.0 - 5e-10, 3.0, 7.25, 30.0], n)
    frame = pd.DataFrame(
        {
            "residual_maturity": maturity,
            "eir": np.where(rng.random(n) < 0.3, 0.0, rng.uniform(0.0, 0.1, n)),
            "amortisation_type": pd.Categorical(rng.choice(["bullet", "annuity"], n)),
        }
    )
    pd_s = rng.uniform(0.0, 1.0, (n, 2))
    lgd_s = rng.uniform(0.0, 1.0, (n, 2))
    ead_0 = rng.uniform(0.0, 1e6, n)
    for rows in (slice(None), slice(0, 1), slice(0, 0)):
        part = frame.iloc[rows].reset_index(drop=True)
        got = ecl_by_scenario(part, pd_s[rows], lgd_s[rows], ead_0[rows])
        want = reference_by_scenario(part, pd_s[rows], lgd_s[rows], ead_0[rows])
        for a, b in zip(got, want, strict=True):
            assert a.shape == b.shape and np.array_equal(a.view(np.int64), b.view(np.int64))


# -- summary, labels, scenarios, totals ------------------------------------------------------------


def test_the_summary_equals_pandas_groupby(exposures: pd.DataFrame) -> None:
    lines = compute_ecl(exposures, SCENARIOS).lines
    same_frame(ecl_summary(lines), reference_summary(lines))
    other = lines.assign(exposure_class=lines["exposure_class"].astype(object))  # groupby's own route
    same_frame(ecl_summary(other), reference_summary(other))
    holes = lines.copy()
    holes.loc[[0, 7], "exposure_class"] = np.nan  # groupby drops missing keys
    same_frame(ecl_summary(holes), reference_summary(holes))
    same_frame(ecl_summary(lines.iloc[:0]), reference_summary(lines.iloc[:0]))
    for part in (lines.iloc[::3], lines.iloc[::-1], lines.set_index(lines.index * 2 + 5)):
        same_frame(ecl_summary(part), reference_summary(part))
    with pytest.raises(KeyError):
        ecl_summary(lines.drop(columns="position_id"))


def test_the_summary_sums_are_kahan_sums_not_bincount() -> None:
    """Values whose plain sum loses the small ones: the summary keeps pandas' compensated sum."""
    n = 3000
    values = np.tile([1e16, 1.0, -1e16, 3.0], n // 4)
    lines = pd.DataFrame(
        {
            "position_id": [f"P{i}" for i in range(n)],
            "exposure_class": pd.Categorical(["retail"] * n, categories=["corporate", "retail"]),
            "stage": np.ones(n, dtype=np.int64),
            **{name: values for name in ("ead_0", "ecl_12m", "ecl_lifetime", "loss_allowance")},
        }
    )
    summary = ecl_summary(lines)
    same_frame(summary, reference_summary(lines))
    assert summary["ead_0"].iloc[0] == reference_summary(lines)["ead_0"].iloc[0]


def test_trigger_labels_keep_the_codes_present(exposures: pd.DataFrame) -> None:
    labels = [", ".join(name for i, name in enumerate(TRIGGERS) if code >> i & 1) for code in range(64)]
    rng = np.random.default_rng(3)
    for codes in (rng.integers(0, 64, 500), np.array([0, 0, 5]), np.array([], dtype=np.int64)):
        got = Staging(codes, codes, codes).triggers()
        want = categorical(codes, labels).remove_unused_categories()
        same_frame(pd.DataFrame({"t": got}), pd.DataFrame({"t": want}))
    with pytest.raises(ValueError, match="codes need to be between"):
        Staging(np.array([64]), np.array([64]), np.array([64])).triggers()


def outcome(call: Any) -> Any:
    try:
        return call()
    except InputError as error:
        return str(error)


@pytest.mark.parametrize(
    "entries",
    [
        [{"scenario": "base", "weight": 1.0, "pd_multiplier": 1.0, "lgd_addon": 0.0}],
        [{"scenario": "base", "weight": 0.5}, {"scenario": "down", "weight": 0.5}],
        [{"name": "base", "weight": 1}],
        [{"scenario": "b", "weight": 0.5}, {"scenario": "d", "weight": 0.5, "pd_multiplier": 2.0}],
        [
            {"scenario": "b", "weight": 0.5, "lgd_addon": 0.1},
            {"scenario": "b", "weight": 0.5, "lgd_addon": 0.0},
        ],
        [{"scenario": "b", "weight": 0.7}],
        [{"scenario": "b", "weight": float("nan")}],
        [{"scenario": "b", "weight": 1.0, "pd_multiplier": -1}],
        [{"scenario": 3, "weight": 1.0}],
        [{"scenario": "b", "weight": True}],
        [{"scenario": "b", "weight": "1"}],
    ],
)
def test_default_scenarios_read_as_the_same_table(entries: list[dict[str, Any]]) -> None:
    """The parameters' scenarios give what the same entries give as a table (or its error)."""
    params = ecl_parameters({"scenarios": entries})
    assert outcome(lambda: ecl_scenarios(None, params)) == outcome(
        lambda: ecl_scenarios(pd.DataFrame(entries), params)
    )


def test_totals_read_the_approach_as_text() -> None:
    lines = pd.DataFrame(
        {
            "stage": [1, 2, 3, 3],
            "loss_allowance": [1.0, 2.0, 4.0, 8.0],
            "ead_0": [10.0, 10.0, 10.0, 10.0],
        }
    )
    for approach in (
        ["sa", "firb", None, "airb"],
        pd.Categorical(["sa", "firb", None, "airb"]),
        pd.array(["sa", "firb", None, "airb"], dtype="string"),
    ):
        totals = ecl_totals(lines.assign(approach=approach))
        assert totals["irb_allowance"] == 2.0 + 4.0 + 8.0
        assert totals["sa_general_allowance"] == 1.0 and totals["sa_specific_allowance"] == 0.0


# -- end to end --------------------------------------------------------------------------------------


def test_in_scope_lookup_equals_isin(bank: pd.DataFrame) -> None:
    from banksim.positions.vocabulary import ECL_PRODUCTS, PRODUCTS, SIDES

    product = np.isin(bank["product"].cat.codes.to_numpy(), [PRODUCTS.index(p) for p in ECL_PRODUCTS])
    side = np.isin(bank["side"].cat.codes.to_numpy(), [SIDES.index("asset"), SIDES.index("off_balance")])
    rated = ~np.isnan(bank["pd"].to_numpy()) | bank["is_defaulted"].to_numpy()
    assert np.array_equal(in_ecl_scope(bank), product & side & rated)


OVERRIDES = {
    "ecl": {
        "scenarios": [
            {"scenario": "b", "weight": 0.4, "pd_multiplier": 1.0, "lgd_addon": 0.0},
            {"scenario": "d", "weight": 0.6, "pd_multiplier": 1.5, "lgd_addon": 0.05},
        ],
        "sicr_relative_threshold": 2.5,
    }
}


@pytest.mark.parametrize("overrides", [None, OVERRIDES])
def test_the_service_equals_the_rebuilt_route(bank: pd.DataFrame, overrides: Any) -> None:
    """``services.compute_ecl`` against the same steps with the exposures rebuilt from text, the
    single period loop and pandas' groupby."""
    lines, summary, totals = services.compute_ecl.func(bank, None, overrides)
    params = bs.regulatory_parameters(overrides)["ecl"]
    exposures = ecl_exposures(bank, params)
    frame = validate_ecl_exposures(as_text(exposures))
    chosen = ecl_scenarios(None, ecl_parameters(params))
    pd_s, lgd_s = scenario_inputs(frame, chosen)
    ead_0 = exposure_at_default(frame)
    twelve, lifetime = reference_by_scenario(frame, pd_s, lgd_s, ead_0)
    impaired = (lines["stage"] == 3).to_numpy()[:, None]
    weights = np.array([s.weight for s in chosen])
    twelve = np.where(impaired, lgd_s * ead_0[:, None], twelve)
    lifetime = np.where(impaired, lgd_s * ead_0[:, None], lifetime)
    assert np.array_equal(lines["ecl_12m"].to_numpy(), twelve @ weights)
    assert np.array_equal(lines["ecl_lifetime"].to_numpy(), lifetime @ weights)
    same_frame(summary, reference_summary(lines.drop(columns="approach")))
    assert totals == ecl_totals(lines)
    rebuilt = compute_ecl(as_text(exposures), None, params).lines
    same_frame(lines.drop(columns="approach"), rebuilt)
