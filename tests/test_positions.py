"""Positions: the vocabulary and its named subsets, validation, readers and the documented schema."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import banksim as bs
import banksim.regulation
from banksim.positions import vocabulary
from banksim.positions.columns import POSITIONS_SCHEMA, schema_markdown
from banksim.positions.validation import validate_positions
from banksim.synthetic import generate_positions

ROOT = Path(__file__).resolve().parent.parent
CATEGORY_TUPLES = {  # the vocabulary's tuples that are some column's allowed values
    name: value
    for name, value in vars(vocabulary).items()
    if any(value is spec.allowed for spec in POSITIONS_SCHEMA)
}
RULE_MODULES = [
    *(f"banksim.regulation.{m.name}" for m in pkgutil.iter_modules(banksim.regulation.__path__)),
    "banksim.scenarios",
    "banksim.explorer",
]


def test_every_categorical_column_takes_its_values_from_the_vocabulary() -> None:
    tuples = [
        value for name, value in vars(vocabulary).items() if name.isupper() and isinstance(value, tuple)
    ]
    for spec in POSITIONS_SCHEMA:
        if spec.dtype == "category":
            assert any(spec.allowed is value for value in tuples), spec.name


@pytest.mark.parametrize("module_name", RULE_MODULES)
def test_no_rule_module_defines_its_own_category_subset(module_name: str) -> None:
    """A module-level tuple of category values in a rule module is the vocabulary's own object."""
    module = importlib.import_module(module_name)
    named = [value for name, value in vars(vocabulary).items() if name.isupper()]
    for name, value in vars(module).items():
        if not (isinstance(value, tuple) and len(value) >= 2 and all(isinstance(v, str) for v in value)):
            continue
        if any(set(value) <= set(category) for category in CATEGORY_TUPLES.values()):
            assert any(value is subset for subset in named), f"{module_name}.{name} redefines {value}"


def test_no_module_slices_a_category_tuple() -> None:
    """Subsets are named in the vocabulary, never re-derived by slicing (``EXPOSURE_CLASSES[:-1]``)."""
    pattern = re.compile(r"\b(" + "|".join(CATEGORY_TUPLES) + r")\[[-0-9]*:[-0-9]*\]")
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted((ROOT / "banksim").rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line)
    ]
    assert offenders == []


def test_named_subsets_are_subsets_of_their_categories() -> None:
    subsets = {
        "CREDIT_EXPOSURE_CLASSES": vocabulary.EXPOSURE_CLASSES,
        "CORPORATE_EXPOSURE_CLASSES": vocabulary.EXPOSURE_CLASSES,
        "IRB_ASSET_CLASSES": vocabulary.IRB_CLASSES,
        "PRIVATE_SECTOR_COUNTERPARTIES": vocabulary.COUNTERPARTY_TYPES,
        "RETAIL_COUNTERPARTIES": vocabulary.LCR_COUNTERPARTIES,
        "FINANCIAL_AND_OTHER_ENTITIES": vocabulary.LCR_COUNTERPARTIES,
        "NON_FINANCIAL_EXCEPT_CENTRAL_BANKS": vocabulary.LCR_COUNTERPARTIES,
        "NON_FINANCIAL_WITH_CENTRAL_BANKS": vocabulary.LCR_COUNTERPARTIES,
        "HQLA_STOCK_LEVELS": vocabulary.HQLA_LEVELS,
        "RUN_OFF_CLASSES": vocabulary.DEPOSIT_CLASSES,
        "COMMITMENTS": vocabulary.OFF_BALANCE_TYPES,
        "DERIVATIVE_ASSET_CLASSES": vocabulary.SACCR_ASSET_CLASSES,
        "OWN_FUNDS_PRODUCTS": vocabulary.PRODUCTS,
    }
    for name, category in subsets.items():
        subset = getattr(vocabulary, name)
        assert set(subset) < set(category) and "none" not in subset, name
    # The two non-financial groups differ by central banks only (LCR40.40-41 vs NSF30.13).
    assert set(vocabulary.NON_FINANCIAL_WITH_CENTRAL_BANKS) - set(
        vocabulary.NON_FINANCIAL_EXCEPT_CENTRAL_BANKS
    ) == {"central_bank"}


def test_generated_frames_validate_unchanged() -> None:
    frame = generate_positions(10_000, 2, include_derivatives=True)
    pd.testing.assert_frame_equal(bs.validate_positions(frame), frame)


def test_a_table_with_only_the_required_columns_gets_the_defaults() -> None:
    frame = pd.DataFrame(
        {"position_id": ["a", "b"], "side": ["asset", "liability"], "drawn_amount": [10, 10]}
    )
    valid = bs.validate_positions(frame)
    assert list(valid.columns) == [spec.name for spec in POSITIONS_SCHEMA]
    assert list(valid["rating"]) == ["unrated", "unrated"] and list(valid["approach"]) == ["sa", "sa"]
    assert valid["ltv"].isna().all() and (valid["off_balance_amount"] == 0).all()
    assert valid["drawn_amount"].dtype == "float64"


def test_a_blank_flag_takes_its_columns_default_never_false() -> None:
    """A blank ``performing`` cell must not make a loan non-performing (its default is True)."""
    frame = pd.DataFrame(
        {
            "position_id": ["a", "b", "c", "d"],
            "side": ["asset"] * 4,
            "drawn_amount": [10.0] * 4,
            "performing": ["no", "", None, "yes"],
            "is_defaulted": [None, "yes", "", "0"],
        }
    )
    valid = bs.validate_positions(frame)
    assert list(valid["performing"]) == [False, True, True, True]
    assert list(valid["is_defaulted"]) == [False, True, False, False]


def base_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "position_id": ["p1", "p2", "p3"],
            "side": ["asset"] * 3,
            "drawn_amount": [1.0, 2.0, 3.0],
            "rating": ["AA", "BBB", "A+"],
            "pd": [0.01, 0.02, 0.03],
            "note": ["kept", "as", "is"],
        }
    )


@pytest.mark.parametrize(
    ("change", "column", "offender"),
    [
        ({"rating": ["AA", "Baa1", "A+"]}, "rating", "p2: 'Baa1'"),
        ({"side": ["asset", "asset", "sideways"]}, "side", "p3: 'sideways'"),
        ({"drawn_amount": [1.0, -2.0, 3.0]}, "drawn_amount", "p2: -2.0"),
        ({"pd": [0.01, 1.2, 0.03]}, "pd", "p2: 1.2"),
        ({"drawn_amount": [1.0, "lots", 3.0]}, "drawn_amount", "p2: 'lots'"),
        ({"is_defaulted": ["yes", "maybe", "no"]}, "is_defaulted", "p2: 'maybe'"),
    ],
)
def test_validation_errors_name_column_positions_and_allowed_values(
    change: dict, column: str, offender: str
) -> None:
    frame = base_frame().assign(**change)
    with pytest.raises(bs.InputError) as info:
        bs.validate_positions(frame)
    assert info.value.argument == f"positions[{column!r}]"
    assert offender in info.value.failure_cases


def test_validation_of_structure() -> None:
    with pytest.raises(bs.InputError, match="missing required columns"):
        bs.validate_positions(base_frame().drop(columns="side"))
    with pytest.raises(bs.InputError, match="unique"):
        bs.validate_positions(base_frame().assign(position_id=["p1", "p1", "p3"]))
    with pytest.raises(bs.InputError, match="DataFrame"):
        bs.validate_positions([1, 2])  # type: ignore[arg-type]
    assert list(bs.validate_positions(base_frame())["note"]) == ["kept", "as", "is"]


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".xlsx"])
def test_readers_validate_like_in_memory_frames(tmp_path: Path, suffix: str) -> None:
    frame = generate_positions(500, 4, include_derivatives=True)
    path = tmp_path / f"positions{suffix}"
    if suffix == ".csv":
        frame.to_csv(path, index=False)
    elif suffix == ".xlsx":
        frame.to_excel(path, index=False)
    else:
        frame.to_parquet(path)
    loaded = bs.read_positions(path)
    pd.testing.assert_frame_equal(loaded, frame, check_exact=False, rtol=1e-12)
    with pytest.raises(bs.InputError, match="unsupported"):
        bs.read_positions(tmp_path / "positions.txt")


def test_schema_table_documents_every_column() -> None:
    table = bs.schema_table()
    assert list(table["column"]) == [spec.name for spec in POSITIONS_SCHEMA]
    assert (table["description"].str.len() > 10).all()
    docs = (ROOT / "docs" / "positions_schema.md").read_text()
    for name in table["column"]:
        assert f"`{name}`" in docs, f"docs/positions_schema.md does not document {name}"
    # The table in the docs is the one the code describes (regenerate with schema_markdown()).
    assert schema_markdown() in docs


def test_a_table_found_valid_is_not_checked_again_until_it_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    """A frame found valid (or content known valid: its key in the hashing memo) skips the column
    checks, without being hashed for it; any write through pandas makes it new content, checked
    again, and a bad value is still an error."""
    from banksim.hashing import compute_params_hash, known_frame_key
    from banksim.positions import validation

    checks: list[str] = []
    real = validation._conforms
    monkeypatch.setattr(
        validation, "_conforms", lambda values, spec: checks.append(spec.name) or real(values, spec)
    )
    frame = bs.generate_positions(300, 3)
    validate_positions(frame)
    assert checks  # first seen: checked in full
    checks.clear()
    again = validate_positions(frame)
    assert checks == [] and again is not frame  # the same frame, unchanged: not checked again
    assert known_frame_key(frame) is None  # and not hashed for it
    validate_positions(again)
    assert checks == []  # what validation returned is marked valid too
    validate_positions(frame.copy())
    assert checks  # another frame of unknown content: checked in full
    checks.clear()
    twin = frame.copy()
    compute_params_hash(frame)  # as a cached step's argument would be
    compute_params_hash(twin)
    validate_positions(frame)
    validate_positions(twin)
    assert checks == []  # the twin's content key was marked valid by the frame's check
    pd.testing.assert_frame_equal(validate_positions(twin), frame)
    frame.loc[0, "drawn_amount"] = -5.0  # written in place: new content
    with pytest.raises(bs.InputError, match="drawn_amount"):
        validate_positions(frame)
    assert "drawn_amount" in checks


def test_only_the_replaced_columns_of_a_valid_table_are_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    """validate_changed_columns checks the replaced columns of a table known valid, marks the result
    valid, and falls back to the full check (with its errors) otherwise."""
    from banksim.positions import validation

    checks: list[str] = []
    real = validation._conforms
    monkeypatch.setattr(
        validation, "_conforms", lambda values, spec: checks.append(spec.name) or real(values, spec)
    )
    source = validate_positions(bs.generate_positions(200, 5))
    checks.clear()
    shocked = source.assign(pd=source["pd"].to_numpy() * 0.5)
    result = validation.validate_changed_columns(shocked, source, ["pd"])
    assert checks == ["pd"] and result is shocked
    validate_positions(result)
    assert checks == ["pd"]  # marked valid
    too_high = source["pd"].to_numpy().copy()
    too_high[3] = 1.5
    with pytest.raises(bs.InputError, match="'pd'"):
        validation.validate_changed_columns(source.assign(pd=too_high), source, ["pd"])
    checks.clear()
    unknown = bs.generate_positions(200, 5)  # never validated: every column checked
    validation.validate_changed_columns(unknown.assign(pd=unknown["pd"]), unknown, ["pd"])
    assert len(checks) > 50


def test_concatenated_categoricals_take_the_union_of_categories_in_order() -> None:
    from banksim.regulation._frame import concat_categorical

    first = pd.DataFrame(
        {"k": pd.Categorical(["b", "a", None], categories=["b", "a", "z"]), "x": [1.0, 2.0, 3.0]}
    )
    second = pd.DataFrame({"k": ["c", None], "x": [4.0, 5.0]})
    result = concat_categorical([first, second], ["k"])
    assert list(result["k"].cat.categories) == ["b", "a", "z", "c"]
    assert result["k"].astype(object).where(result["k"].notna(), None).tolist() == ["b", "a", None, "c", None]
    assert result["x"].tolist() == [1.0, 2.0, 3.0, 4.0, 5.0] and list(result.index) == [0, 1, 2, 3, 4]
    assert second["k"].dtype == object or not isinstance(second["k"].dtype, pd.CategoricalDtype)  # left alone


def test_concatenated_parts_keep_the_column_order_and_sort_text_parts() -> None:
    """A part's text column takes its sorted distinct values as categories (as astype("category"));
    columns come in the order the parts first list them, a column a part lacks is NaN there; a
    union that is the first part's categories keeps its dtype, ordered only if every part is."""
    from banksim.regulation._frame import concat_categorical

    grades = pd.CategoricalDtype(["low", "high"], ordered=True)
    first = pd.DataFrame(
        {"rule": pd.Categorical(["r2", "r1"]), "grade": pd.Categorical(["high", "low"], dtype=grades)}
    )
    second = pd.DataFrame({"x": [7.0, 8.0, 9.0], "rule": ["r9", "r1", "r3"], "grade": ["low", "low", None]})
    result = concat_categorical([first, second], ["rule", "grade"])
    assert list(result.columns) == ["rule", "grade", "x"]
    assert list(result["rule"].cat.categories) == ["r1", "r2", "r3", "r9"]
    assert result["rule"].astype(str).tolist() == ["r2", "r1", "r9", "r1", "r3"]
    assert result["grade"].dtype == pd.CategoricalDtype(
        ["low", "high"], ordered=False
    )  # the text part is not ordered
    assert result["grade"].isna().tolist() == [False, False, False, False, True]
    assert np.isnan(result["x"].to_numpy()[:2]).all() and result["x"].tolist()[2:] == [7.0, 8.0, 9.0]
    same = concat_categorical([first, first], ["rule", "grade"])
    assert same["grade"].dtype == grades and same["rule"].dtype == first["rule"].dtype


def test_codes_among_wanted_ones_by_comparison_or_lookup() -> None:
    """A few wanted codes are compared one by one, many looked up: the same mask, -1 (missing) never in."""
    from banksim.regulation._frame import FEW_CODES, codes_among

    codes = np.array([0, 3, -1, 2, 11, 3], dtype=np.int8)
    assert codes_among(codes, []).tolist() == [False] * 6
    assert codes_among(codes, [3]).tolist() == [False, True, False, False, False, True]
    assert codes_among(codes, [0, 2, 11]).tolist() == [True, False, False, True, True, False]
    many = list(range(FEW_CODES + 3))  # 0..10: the lookup
    assert codes_among(codes, many).tolist() == [True, True, False, True, False, True]


def test_a_write_while_a_table_is_checked_is_not_marked_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    """The mark is of the table as it was when the check began: a write during the check (another
    thread, here the check itself) leaves the table unmarked, so its next validation checks it."""
    from banksim.positions import validation

    frame = bs.generate_positions(200, 9)
    real = validation._conforms
    written: list[bool] = []

    def conforms_then_write(values: pd.Series, spec: object) -> bool:
        if not written:
            written.append(True)
            frame["drawn_amount"] = -1.0  # an ordinary pandas write, mid-check
        return real(values, spec)

    monkeypatch.setattr(validation, "_conforms", conforms_then_write)
    validate_positions(frame)
    monkeypatch.setattr(validation, "_conforms", real)
    with pytest.raises(bs.InputError, match="drawn_amount"):
        validate_positions(frame)


def test_a_selection_of_valid_rows_is_valid_unless_a_row_comes_twice() -> None:
    from banksim.hashing import frame_checked
    from banksim.positions.validation import POSITIONS_SCHEMA, take_rows, validate_positions

    positions = validate_positions(bs.generate_positions(200, 1, None, True))
    assert frame_checked(take_rows(positions, np.array([0, 5, 7])), POSITIONS_SCHEMA)
    assert frame_checked(take_rows(positions, np.array([7, 0, 5])), POSITIONS_SCHEMA)
    assert not frame_checked(take_rows(positions, np.array([0, 5, 5])), POSITIONS_SCHEMA)
    assert not frame_checked(take_rows(positions, np.array([5, 0, 5])), POSITIONS_SCHEMA)
