"""Shared fixtures: a real database per test (a SQLite file, or PostgreSQL with
HUMAS_TEST_DATABASE: see tests/databases.py), a clock the test moves."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.app import App
from bot.clock import ManualClock
from bot.config import Settings
from storage.targets import redacted
from tests.databases import ON_POSTGRES, SERVER, database_for, drop_test_databases, media_for


def pytest_report_header(config) -> str:
    return f"database: {'PostgreSQL at ' + redacted(SERVER) if ON_POSTGRES else 'SQLite files'}"


@pytest.fixture(autouse=True)
def _database_server(request, monkeypatch):
    """On PostgreSQL: media files in the test's folder (as beside a SQLite file there), and the
    test's databases dropped after it."""
    if ON_POSTGRES:
        monkeypatch.setenv("HUMAS_MEDIA_DIR", str(media_for(request.getfixturevalue("tmp_path"))))
    yield
    drop_test_databases()


@pytest.fixture
def clock() -> ManualClock:
    # 26 Nov 2026, 09:00 WIB
    return ManualClock(datetime(2026, 11, 26, 2, 0, tzinfo=UTC))


@pytest.fixture
def settings(tmp_path, monkeypatch) -> Settings:
    monkeypatch.setenv("HUMAS_CONFIG", str(tmp_path / "absent.toml"))
    return Settings(database=database_for(tmp_path), flow="default")


@pytest.fixture
async def app(settings, clock):
    app = await App.open(settings, clock=clock)
    yield app
    await app.close()
