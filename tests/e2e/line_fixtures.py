"""pytest fixtures for end-to-end tests against the fake LINE Messaging API.

Use them with ``from tests.e2e.line_fixtures import line_server`` in a test module, or
``pytest_plugins = ["tests.e2e.line_fixtures"]`` in the root conftest.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from linebot.v3.messaging import AsyncApiClient, AsyncMessagingApi, AsyncMessagingApiBlob, Configuration

from bot.emulator.line import LineEmulator
from tests.e2e.line_world import (
    LINE_PEOPLE,
    LINE_ROLES,
    LineWorld,
    follow_all,
    line_settings,
    running_line_bot,
)

CHANNEL_SECRET = "test-channel-secret"
ACCESS_TOKEN = "test-access-token"


def assert_no_violations(server: LineEmulator) -> None:
    """Fail the test if the bot made a call that breaks the Messaging API spec."""
    if server.violations:
        lines = []
        for v in server.violations:
            details = "; ".join(f"{d.get('property', '')}: {d['message']}" for d in v["details"])
            lines.append(f"  {v['method']} {v['path']} [{v['kind']}] {v['message']} {details}")
        pytest.fail("LINE Messaging API spec violations:\n" + "\n".join(lines), pytrace=False)


@pytest.fixture
async def line_server() -> AsyncIterator[LineEmulator]:
    """A running emulator; the test fails at teardown if any call broke the spec."""
    server = LineEmulator(channel_secret=CHANNEL_SECRET, access_token=ACCESS_TOKEN)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
    assert_no_violations(server)


def sdk_configuration(server: LineEmulator, access_token: str | None = None) -> Configuration:
    """An SDK Configuration whose one host serves both api.line.me and api-data.line.me."""
    return Configuration(host=server.base_url, access_token=access_token or server.access_token)


@asynccontextmanager
async def line_apis(
    server: LineEmulator, access_token: str | None = None
) -> AsyncIterator[tuple[AsyncMessagingApi, AsyncMessagingApiBlob]]:
    """The SDK's messaging and blob (content) clients, talking to ``server``."""
    async with AsyncApiClient(sdk_configuration(server, access_token)) as client:
        yield AsyncMessagingApi(client), AsyncMessagingApiBlob(client)


@pytest.fixture
async def line_world(line_server, tmp_path, clock):
    """The bot on LINE (default flow) with its people following it, roles granted."""

    settings = line_settings(line_server, tmp_path)
    async with running_line_bot(settings, clock, line_server) as (app, platforms):
        world = LineWorld(line_server, app, platforms)
        await follow_all(world, LINE_PEOPLE, LINE_ROLES)
        yield world
