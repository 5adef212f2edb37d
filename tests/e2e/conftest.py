"""Fixtures shared by the Telegram end-to-end tests: the emulator, a test clock, and the real
bot running against it with the people of the default flow, each having said /start."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.clock import ManualClock
from tests.e2e.bot_world import PEOPLE, ROLES, World, expect, running_bot, settings_for
from tests.e2e.telegram_fixtures import telegram_server as telegram_server  # noqa: F401


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 11, 26, 2, 0, tzinfo=UTC))  # 09.00 WIB


@pytest.fixture
async def world(telegram_server, tmp_path, clock):
    settings = settings_for(telegram_server, tmp_path)
    async with running_bot(settings, clock) as app:
        users = {}
        for name, (user_id, first_name) in PEOPLE.items():
            users[name] = telegram_server.user(user_id, first_name, language_code="id")
            if name in ROLES:
                await app.people.grant(ROLES[name], "telegram", user_id)
            await users[name].send("/start")
            await expect(users[name], "Selamat datang")
        yield World(telegram_server, app, users)
