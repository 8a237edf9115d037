"""Settings from the environment and .env, overrides, and password masking."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

import banksim as bs
from banksim.settings import get_settings


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in ("DB_URL", "ARTIFACT_STORE", "ARTIFACT_PATH", "LOG_LEVEL", "MEMORY_CACHE_MB", "BANKSIM_PROJECT_ROOT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_defaults_match_the_design(clean_env: Path) -> None:
    # sqlite:///./data/app.db and ./data/artifacts, in the project folder (here: the working directory)
    assert get_settings() == bs.Settings(
        db_url=f"sqlite:///{clean_env}/data/app.db",
        artifact_store="file",
        artifact_path=f"{clean_env}/data/artifacts",
        log_level="INFO",
        memory_cache_mb=1024,
    )


def test_dotenv_then_environment(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (clean_env / ".env").write_text("DB_URL=sqlite:///from_dotenv.db\nARTIFACT_STORE=db\n")
    assert get_settings().db_url == f"sqlite:///{clean_env}/from_dotenv.db"
    assert get_settings().artifact_store == "db"
    monkeypatch.setenv("DB_URL", "sqlite:///from_env.db")
    assert get_settings().db_url == f"sqlite:///{clean_env}/from_env.db"


def test_override_settings_is_scoped(clean_env: Path) -> None:
    with bs.override_settings(artifact_store="db", artifact_path="/tmp/x") as settings:
        assert settings.artifact_store == "db" and get_settings().artifact_path == "/tmp/x"
    assert get_settings().artifact_store == "file"
    with pytest.raises(bs.InputError, match="override_settings"), bs.override_settings(colour="blue"):
        pass


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ARTIFACT_STORE", "s3"),
        ("LOG_LEVEL", "LOUD"),
        ("DB_URL", "not-a-url"),
        ("MEMORY_CACHE_MB", "lots"),
        ("MEMORY_CACHE_MB", "-1"),
    ],
)
def test_bad_settings_are_named(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(bs.InputError, match=name):
        get_settings()


def test_memory_cache_size_from_environment_and_override(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEMORY_CACHE_MB", " 64 ")
    assert get_settings().memory_cache_mb == 64
    assert bs.Store(f"sqlite:///{clean_env / 's.db'}").recent.limit_bytes == 64 * 2**20
    with bs.override_settings(memory_cache_mb=0):
        assert bs.Store(f"sqlite:///{clean_env / 's.db'}").recent.limit_bytes == 0
    with pytest.raises(bs.InputError, match="MEMORY_CACHE_MB"), bs.override_settings(memory_cache_mb=-5):
        pass


def test_passwords_never_show(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    url = "postgresql+psycopg://risk:hunter2@127.0.0.1:9/nowhere"
    assert bs.mask_url(url) == "postgresql+psycopg://risk:***@127.0.0.1:9/nowhere"
    assert bs.mask_url("sqlite:///./data/app.db") == "sqlite:///./data/app.db"
    monkeypatch.setenv("DB_URL", url)
    assert "hunter2" not in repr(get_settings())
    store = bs.Store(url, migrate=False)
    assert "hunter2" not in repr(store) and "hunter2" not in str(store)
    with caplog.at_level(logging.DEBUG, logger="banksim"), pytest.raises(Exception) as info:
        store.upgrade()
    assert "hunter2" not in str(info.value) and "hunter2" not in caplog.text


def test_the_default_store_follows_the_settings(clean_env: Path) -> None:
    with bs.override_settings(db_url=f"sqlite:///{clean_env / 'a.db'}", artifact_path=str(clean_env / "art")):
        store = bs.get_store()
        assert store.url.endswith("a.db") and store.artifact_root == (clean_env / "art").resolve()
        bs.save_dict("note", "k", {"a": 1})
        assert bs.load_dict("note", "k") == {"a": 1}
    with bs.open_store(f"sqlite:///{clean_env / 'b.db'}", artifact_path=clean_env / "b") as other:
        assert bs.get_store() is other
        assert bs.load_dict("note", "k") is None
    assert bs.get_store() is not other
