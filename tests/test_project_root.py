"""Relative settings paths and .env belong to the project folder, not to the working directory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from banksim.settings import get_settings, project_root

SETTINGS = (
    "DB_URL",
    "ARTIFACT_STORE",
    "ARTIFACT_PATH",
    "LOG_LEVEL",
    "MEMORY_CACHE_MB",
    "BANKSIM_PROJECT_ROOT",
)


@pytest.fixture
def project(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A user's project: pyproject.toml at the top, notebooks one folder down; no settings in env."""
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)
    root = tmp_path / "analysis"
    (root / "notebooks" / "deep").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'analysis'\n")
    return root


def test_a_kernel_in_notebooks_uses_the_project_data_folder(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project / "notebooks")
    settings = get_settings()
    assert settings.db_url == f"sqlite:///{project}/data/app.db"
    assert settings.artifact_path == f"{project}/data/artifacts"
    monkeypatch.chdir(project)
    assert get_settings() == settings


def test_the_project_dotenv_is_read_from_a_subfolder(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (project / ".env").write_text("DB_URL=sqlite:///store/risk.db\nARTIFACT_PATH=store/files\n")
    monkeypatch.chdir(project / "notebooks" / "deep")
    assert get_settings().db_url == f"sqlite:///{project}/store/risk.db"
    assert get_settings().artifact_path == f"{project}/store/files"
    monkeypatch.setenv("ARTIFACT_PATH", "/elsewhere/files")  # the environment still comes first
    assert get_settings().artifact_path == "/elsewhere/files"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///./x.db", "sqlite:///{root}/x.db"),
        ("sqlite+pysqlite:///x.db?timeout=5", "sqlite+pysqlite:///{root}/x.db?timeout=5"),
        ("sqlite:////abs/x.db", "sqlite:////abs/x.db"),
        ("sqlite:///:memory:", "sqlite:///:memory:"),
        ("sqlite://", "sqlite://"),
        ("postgresql+psycopg://u@h:5432/db", "postgresql+psycopg://u@h:5432/db"),
    ],
)
def test_only_relative_sqlite_files_move(
    project: Path, monkeypatch: pytest.MonkeyPatch, url: str, expected: str
) -> None:
    monkeypatch.chdir(project / "notebooks")
    monkeypatch.setenv("DB_URL", url)
    assert get_settings().db_url == expected.format(root=project)


@pytest.mark.parametrize("url", ["s3://bank-risk/banksim", "memory://store", "file:///srv/store"])
def test_an_artifact_url_is_kept(project: Path, monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.chdir(project / "notebooks")
    monkeypatch.setenv("ARTIFACT_PATH", url)
    assert get_settings().artifact_path == url


def test_nearest_marker_wins_then_the_working_directory(
    project: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (project / "notebooks" / ".env").write_text("LOG_LEVEL=DEBUG\n")
    assert project_root(project / "notebooks" / "deep") == project / "notebooks"
    assert project_root(project) == project
    bare = tmp_path / "no_markers" / "here"
    bare.mkdir(parents=True)
    assert project_root(bare) == bare
    monkeypatch.setenv("BANKSIM_PROJECT_ROOT", str(bare))
    assert project_root(project / "notebooks") == bare


def test_home_dotfiles_do_not_make_a_project(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "scratch").mkdir(parents=True)
    (home / ".git").mkdir()  # a dotfiles repository
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("BANKSIM_PROJECT_ROOT", raising=False)
    assert project_root(home / "scratch") == home / "scratch"


@pytest.mark.slow
def test_a_notebook_folder_reads_what_the_project_folder_computed(project: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS}
    run = "import banksim as bs; _, hit = bs.run_simulation(300, seed=5); print(hit)"
    first = subprocess.run([sys.executable, "-c", run], cwd=project, env=env, capture_output=True, text=True)
    again = subprocess.run(
        [sys.executable, "-c", run], cwd=project / "notebooks", env=env, capture_output=True, text=True
    )
    assert (first.returncode, again.returncode) == (0, 0), first.stderr + again.stderr
    assert (first.stdout.strip(), again.stdout.strip()) == ("False", "True")
    assert (project / "data" / "app.db").is_file() and not (project / "notebooks" / "data").exists()


@pytest.mark.slow
def test_a_pytest_run_works_on_its_own_store_and_removes_it(tmp_path: Path) -> None:
    """The root conftest points DB_URL at a temporary folder for the session and removes it after."""
    root = Path(__file__).resolve().parent.parent
    script = """
import os, sys, pytest
class Seen:
    def pytest_sessionfinish(self, session):
        print("DB_URL=" + os.environ["DB_URL"])
code = pytest.main(["tests/test_import.py", "-q", "-p", "no:cacheprovider", "-s"], plugins=[Seen()])
sys.exit(code)
"""
    env = {**os.environ, "TMPDIR": str(tmp_path), "DB_URL": "sqlite:////nowhere/else.db"}
    done = subprocess.run([sys.executable, "-c", script], cwd=root, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    url = next(line for line in done.stdout.splitlines() if "DB_URL=" in line).split("DB_URL=")[1]
    folder = Path(url.removeprefix("sqlite:///")).parent
    assert folder.parent == tmp_path and folder.name.startswith("banksim-pytest-")
    leftovers = [path for path in tmp_path.iterdir() if not path.name.startswith("pytest-of-")]
    assert not folder.exists() and leftovers == []
