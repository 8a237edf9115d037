"""docs/methodology.md and docs/parameters.md: the parameter tables are what the script generates,
every ``methodology <id>`` citation names a heading, and nothing cites a file outside the repository.
"""

from __future__ import annotations

import copy
import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest

import banksim as bs

ROOT = Path(__file__).resolve().parent.parent
METHODOLOGY = ROOT / "docs" / "methodology.md"
PARAMETERS = ROOT / "docs" / "parameters.md"

ID = r"(?:C\.\d+|N\b|\d+(?:\.\d+)?)"
CITATION = re.compile(rf"\bmethodology\s+({ID}(?:(?:,\s*|\s+and\s+|-){ID})*)")
HEADING = re.compile(r"^#{2,4} (C\.\d+|N|\d+(?:\.\d+)?) ", re.MULTILINE)
# Spelled in pieces so that this file does not contain them.
OUTSIDE = ("basel" + ".md", "pillar1-crm-cva-market" + ".md", "ifrs9-irrbb" + ".md", ".." + "/shared",
           "/work/" + "shared")  # fmt: skip
SCANNED = ("banksim", "tests", "tools", "bench", "docs", "notebooks", "db")
TEXT = {".py", ".md", ".ipynb", ".toml", ".ini", ".cfg", ".txt", ".yml", ".yaml", ".json", ".csv"}


def _tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "build_methodology", ROOT / "tools" / "build_methodology.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _files(folders: tuple[str, ...], suffixes: set[str]) -> list[Path]:
    found = [ROOT / "README.md", ROOT / "Makefile", ROOT / "pyproject.toml"]
    for folder in folders:
        found += [
            p
            for p in (ROOT / folder).rglob("*")
            if p.is_file() and p.suffix in suffixes and "__pycache__" not in p.parts
        ]
    return [p for p in found if p.exists()]


def _cited_ids(text: str) -> list[str]:
    return [i for match in CITATION.finditer(text) for i in re.findall(ID, match.group(1))]


def _anchors() -> list[str]:
    return HEADING.findall(METHODOLOGY.read_text(encoding="utf-8"))


def test_parameters_doc_is_what_the_script_generates() -> None:
    committed = PARAMETERS.read_text(encoding="utf-8")
    assert committed == _tool().render(), "docs/parameters.md is stale: run python tools/build_methodology.py"


def test_a_changed_parameter_shows_in_the_generated_doc() -> None:
    changed = copy.deepcopy(bs.DEFAULT_PARAMETERS)
    changed["sa"]["ccf"]["commitment"] = 0.55
    changed["sa"]["corporate"]["bbb"] = 0.85
    text = _tool().render(changed)
    assert text != PARAMETERS.read_text(encoding="utf-8")
    assert "| `ccf.commitment` | 0.55 | as above |" in text
    assert "| `corporate` | 0.2 | 0.5 | 0.85 | 1 | 1.5 | 1.5 | 1 | CRE20.42-43 Table 10 |" in text


def test_every_parameter_has_a_row_with_its_source() -> None:
    text = PARAMETERS.read_text(encoding="utf-8")
    assert "| `ccf.commitment` | 0.4 | as above |" in text
    assert "| `short_term_maturity` | 0.25 | methodology C.4: original maturity <= 3 months |" in text
    assert "| `large_corporate_sales` | 500,000,000 | CRE30.34: A-IRB not allowed above EUR 500m |" in text
    rows = re.findall(r"^\| `([^`]+)` \|", text, re.MULTILINE)
    tool = _tool()
    for name, values in bs.DEFAULT_PARAMETERS.items():
        for path, _ in tool.leaves(values, (name,)):
            assert ".".join(path[1:]) in rows, path
    unsourced = re.findall(r"^\| `[^`]+` \| [^|]+ \| — \|$", text, re.MULTILINE)
    assert not unsourced, f"parameters without a source comment in parameters.py: {unsourced}"


def test_conventions_mirror_the_numbering_and_anchors_are_unique() -> None:
    anchors = _anchors()
    assert len(anchors) == len(set(anchors)), sorted(a for a in anchors if anchors.count(a) > 1)
    assert {f"C.{k}" for k in range(1, 15)} <= set(anchors)
    assert {"1", "2", "3", "4", "5", "6", "7", "N", "2.8", "3.4", "4.4"} <= set(anchors)


def test_the_citation_check_finds_a_missing_anchor() -> None:
    assert _cited_ids("(CRE20.1, methodology C.2)") == ["C.2"]
    several = "see methodology\n7 and C.10; methodology 2.2-2.11 and C.2."
    assert _cited_ids(several) == ["7", "C.10", "2.2", "2.11", "C.2"]
    assert _cited_ids("docs/methodology.md, the `methodology <id>` scheme") == []
    unknown = "method" + "ology C.99"  # in pieces: this file's own citations are checked too
    assert set(_cited_ids(unknown)) - set(_anchors()) == {"C.99"}


def test_every_citation_points_to_a_heading() -> None:
    anchors = set(_anchors())
    cited: dict[str, list[str]] = {}
    for path in _files(("banksim", "tests", "tools", "bench", "docs"), {".py", ".md"}):
        for i in _cited_ids(path.read_text(encoding="utf-8")):
            cited.setdefault(i, []).append(str(path.relative_to(ROOT)))
    missing = {i: where for i, where in cited.items() if i not in anchors}
    assert not missing, f"citations of ids that are no heading of docs/methodology.md: {missing}"
    in_code = [p for where in cited.values() for p in where if p.startswith("banksim/")]
    assert len(in_code) >= 40, len(in_code)  # the rule modules cite their conventions


@pytest.mark.parametrize(
    "module", ["standardised", "irb", "saccr", "operational", "lcr", "nsfr", "parameters"]
)
def test_each_rule_module_cites_the_methodology(module: str) -> None:
    assert _cited_ids((ROOT / "banksim" / "regulation" / f"{module}.py").read_text(encoding="utf-8"))


def test_nothing_cites_a_file_outside_the_repository() -> None:
    offenders = []
    for path in _files(SCANNED, TEXT):
        text = path.read_text(encoding="utf-8", errors="replace")
        offenders += [f"{path.relative_to(ROOT)}: {name}" for name in OUTSIDE if name in text]
    assert not offenders, offenders
