"""Settings from the environment and .env, overrides, and password masking."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

import banksim as bs
from banksim.settings import get_settings
from conftest import new_pg_database


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in (
        "DB_URL",
        "ARTIFACT_STORE",
        "ARTIFACT_PATH",
        "LOG_LEVEL",
        "MEMORY_CACHE_MB",
        "INLINE_KB",
        "BANKSIM_PROJECT_ROOT",
    ):
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
        inline_kb=64,
    )


def test_dotenv_then_environment(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (clean_env / ".env").write_text("DB_URL=sqlite:///from_dotenv.db\nARTIFACT_STORE=db\n")
    assert get_settings().db_url == f"sqlite:///{clean_env}/from_dotenv.db"
    assert get_settings().artifact_store == "db"
    monkeypatch.setenv("DB_URL", "sqlite:///from_env.db")
    assert get_settings().db_url == f"sqlite:///{clean_env}/from_env.db"


def test_settings_follow_edits_of_dotenv_and_the_environment(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The resolved settings are remembered, never past a change of what they came from."""
    (clean_env / ".env").write_text("MEMORY_CACHE_MB=7\n")
    assert bs.get_settings().memory_cache_mb == 7
    assert bs.get_settings() is bs.get_settings()  # remembered
    (clean_env / ".env").write_text("MEMORY_CACHE_MB=123\n")
    assert bs.get_settings().memory_cache_mb == 123
    monkeypatch.setenv("MEMORY_CACHE_MB", "5")
    assert bs.get_settings().memory_cache_mb == 5
    monkeypatch.delenv("MEMORY_CACHE_MB")
    (clean_env / ".env").unlink()
    assert bs.get_settings().memory_cache_mb == 1024


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


# Passwords in every place and shape a database URL can carry one (issue 15, point 10).
MASKED = [
    ("postgresql+psycopg://risk:p w@db:5432/risk", "postgresql+psycopg://risk:***@db:5432/risk"),
    (
        "postgresql+psycopg://risk@db/risk?password=hunter2&sslmode=require",
        "postgresql+psycopg://risk@db/risk?password=***&sslmode=require",
    ),
    (
        "postgresql+psycopg://risk@db/risk?sslmode=require&password=hunter2",
        "postgresql+psycopg://risk@db/risk?sslmode=require&password=***",
    ),
    ("postgresql://risk:p@ss@db/risk", "postgresql://risk:***@db/risk"),
    ("postgresql://risk:a:b/c@db:5432/risk", "postgresql://risk:***@db:5432/risk"),
    ("postgresql://risk:x?y#z@db/risk", "postgresql://risk:***@db/risk"),
    ("postgresql://risk:%40enc%2F@db/risk", "postgresql://risk:***@db/risk"),
    ("postgresql://risk:pw1@db/risk?sslpassword=key1", "postgresql://risk:***@db/risk?sslpassword=***"),
    ("sqlite:////tmp/a:b/store.db", "sqlite:////tmp/a:b/store.db"),
    ("postgresql://db:5432/risk", "postgresql://db:5432/risk"),
]


def test_every_password_shape_is_masked_in_urls_and_reprs(clean_env: Path) -> None:
    for url, expected in MASKED:
        assert bs.mask_url(url) == expected, url
        secrets = {"p w", "hunter2", "p@ss", "a:b/c", "x?y#z", "%40enc%2F", "pw1", "key1"}
        shown = [repr(bs.Settings(db_url=url)), repr(bs.Store(url, migrate=False))]
        assert not [s for s in secrets for text in shown if s in text], (url, shown)


def test_a_query_string_password_never_shows_in_log_lines(caplog: pytest.LogCaptureFixture) -> None:
    """Opening an empty PostgreSQL database logs its migration with the URL: masked, also when the
    password sits in the query string (the test server trusts local users and ignores it)."""
    with new_pg_database("banksim_mask") as base, caplog.at_level(logging.INFO, logger="banksim"):
        bs.Store(f"{base}?password=hunter2&application_name=banksim_test").close()
    assert "migrating" in caplog.text and "password=***" in caplog.text
    assert "hunter2" not in caplog.text


def test_db_url_must_be_sqlite_or_postgresql(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for url in ("foo://bar", "mysql://u:pw@h/db", "postgres://u:pw@h/db", "postgresql://u:pw@h:notaport/db"):
        monkeypatch.setenv("DB_URL", url)
        with pytest.raises(bs.InputError) as info:
            get_settings()
        message = str(info.value)
        assert message.startswith("DB_URL: ") and "sqlite" in message and "postgresql" in message, message
        assert ":pw@" not in message


@pytest.fixture
def banksim_logger() -> Iterator[logging.Logger]:
    logger = logging.getLogger("banksim")
    level, handlers = logger.level, list(logger.handlers)
    logger.setLevel(logging.NOTSET)  # as in a fresh notebook
    yield logger
    logger.setLevel(level)
    assert logger.handlers == handlers  # the setting never adds a handler (no doubled output)


def test_log_level_acts_outside_the_cli(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, banksim_logger: logging.Logger
) -> None:
    monkeypatch.setenv("LOG_LEVEL", "warning")
    get_settings()
    assert banksim_logger.level == logging.WARNING
    with bs.override_settings(log_level="DEBUG"):
        bs.get_settings()
        assert banksim_logger.level == logging.DEBUG
    get_settings()
    assert banksim_logger.level == logging.WARNING
    banksim_logger.setLevel(logging.ERROR)  # set in code by the user: the setting leaves it alone
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    get_settings()
    assert banksim_logger.level == logging.ERROR


@pytest.mark.parametrize("text", ["-1", "2048", "64k"])
def test_a_bad_inline_kb_names_the_setting_and_what_is_allowed(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    monkeypatch.setenv("INLINE_KB", text)
    with pytest.raises(bs.InputError, match="INLINE_KB") as error:
        get_settings()
    assert "whole number" in str(error.value)
    monkeypatch.setenv("INLINE_KB", "0")
    assert get_settings().inline_kb == 0
