"""Which failed sends may have reached Telegram (bot/broadcast/errors.py), from real failures:
python-telegram-bot over humas-bot's aiohttp transport, against a closed port and against the
emulator answering 500, 400, 403 or nothing."""

from __future__ import annotations

import socket

import pytest
from telegram import Bot
from telegram.error import TelegramError

from bot.broadcast.errors import describe, is_gone, is_transient, never_left
from bot.emulator.telegram import TelegramEmulator
from bot.handlers.telegram.transport import AiohttpRequest
from tests.e2e.telegram_fixtures import telegram_server as telegram_server  # noqa: F401


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nobody listens there once the socket is closed


async def failure(base_url: str, token: str, chat_id: int = 1001) -> TelegramError:
    """What a sendMessage raises (the bot is not initialized: that would call getMe first)."""
    request = AiohttpRequest(read_timeout=0.3, connect_timeout=1.0)
    await request.initialize()
    try:
        with pytest.raises(TelegramError) as caught:
            await Bot(token, base_url=base_url, request=request).send_message(chat_id, "Info")
    finally:
        await request.shutdown()
    return caught.value


async def test_a_refused_connection_never_reached_telegram():
    exc = await failure(f"http://127.0.0.1:{closed_port()}/bot", "123456:TEST-TOKEN")
    assert is_transient(exc) and never_left(exc) and not is_gone(exc)
    assert describe(exc).startswith("network: aiohttp.ClientConnectorError")


@pytest.mark.parametrize(("code", "description"), [(500, "Internal Server Error"), (502, "Bad Gateway")])
async def test_a_5xx_may_follow_a_delivery(telegram_server: TelegramEmulator, code: int, description: str):
    telegram_server.user(1001, "Sari").started = True
    telegram_server.fail_next("sendMessage", code, description)
    exc = await failure(telegram_server.base_url, telegram_server.token)
    assert is_transient(exc) and not never_left(exc)
    assert describe(exc) == f"network: {description}"


async def test_no_answer_may_follow_a_delivery(telegram_server: TelegramEmulator):
    telegram_server.user(1001, "Sari").started = True
    telegram_server.hang_next("sendMessage")
    exc = await failure(telegram_server.base_url, telegram_server.token)
    assert is_transient(exc) and not never_left(exc)
    assert describe(exc) == "network: Timed out (SocketTimeoutError)"


async def test_refusals_are_final_and_a_blocked_chat_is_gone(telegram_server: TelegramEmulator):
    telegram_server.user(1001, "Sari").started = True
    telegram_server.fail_next("sendMessage", 400, "Bad Request: message text is empty")
    refused = await failure(telegram_server.base_url, telegram_server.token)
    assert not is_transient(refused) and not is_gone(refused)
    telegram_server.block(1001)
    blocked = await failure(telegram_server.base_url, telegram_server.token)
    assert is_gone(blocked) and not is_transient(blocked)
    assert describe(blocked) == "Forbidden: bot was blocked by the user"
