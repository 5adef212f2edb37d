"""Shared fixtures: a real SQLite file per test, a clock the test moves."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.app import App
from bot.clock import ManualClock
from bot.config import Settings


@pytest.fixture
def clock() -> ManualClock:
    # 26 Nov 2026, 09:00 WIB
    return ManualClock(datetime(2026, 11, 26, 2, 0, tzinfo=UTC))


@pytest.fixture
def settings(tmp_path, monkeypatch) -> Settings:
    monkeypatch.setenv("HUMAS_CONFIG", str(tmp_path / "absent.toml"))
    return Settings(database=tmp_path / "humas.db", flow="default")


@pytest.fixture
async def app(settings, clock):
    app = await App.open(settings, clock=clock)
    yield app
    await app.close()
