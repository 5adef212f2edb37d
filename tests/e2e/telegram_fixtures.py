"""pytest fixtures for end-to-end tests against the fake Telegram Bot API.

Use them with ``from tests.e2e.telegram_fixtures import telegram_server`` in a test module,
or ``pytest_plugins = ["tests.e2e.telegram_fixtures"]`` in the root conftest.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from telegram.ext import Application, ApplicationBuilder

from bot.emulator.telegram import TelegramEmulator

TOKEN = "123456:TEST-TOKEN"


def assert_no_violations(server: TelegramEmulator) -> None:
    """Fail the test if the bot made a call that breaks the Bot API spec."""
    if server.violations:
        lines = [f"  {v['method']} [{v['kind']}]: {v['description']}" for v in server.violations]
        pytest.fail("Bot API spec violations:\n" + "\n".join(lines), pytrace=False)


@pytest.fixture
async def telegram_server() -> AsyncIterator[TelegramEmulator]:
    """A running emulator; the test fails at teardown if any call broke the spec."""
    server = TelegramEmulator(token=TOKEN)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
    assert_no_violations(server)


def ptb_builder(server: TelegramEmulator) -> ApplicationBuilder:
    """An ApplicationBuilder that talks to ``server`` instead of api.telegram.org."""
    return (
        ApplicationBuilder()
        .token(server.token)
        .base_url(server.base_url)
        .base_file_url(server.base_file_url)
    )


@asynccontextmanager
async def running(app: Application) -> AsyncIterator[Application]:
    """Run ``app`` with fast long polling for the length of the block."""
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0.0, timeout=1)
    try:
        yield app
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
