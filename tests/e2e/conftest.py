"""Fixtures shared by the Telegram end-to-end tests: the emulator, a test clock, and the real
bot running against it with the people of the default flow, each having said /start."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.clock import ManualClock
from tests.e2e.bot_world import settings_for, world_on
from tests.e2e.telegram_fixtures import telegram_server as telegram_server  # noqa: F401


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 11, 26, 2, 0, tzinfo=UTC))  # 09.00 WIB


@pytest.fixture
async def world(telegram_server, tmp_path, clock):
    async with world_on(telegram_server, settings_for(telegram_server, tmp_path), clock) as world:
        yield world
