"""The bot's Telegram HTTP transport (aiohttp under python-telegram-bot): what reaches the
server, timeouts, a server that is not there, an office proxy, and a restart."""

from __future__ import annotations

import asyncio
import base64
import io
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from PIL import Image
from telegram import Bot
from telegram.error import NetworkError, TimedOut

from bot.emulator.telegram import TelegramEmulator
from bot.handlers.telegram.transport import AiohttpRequest
from tests.e2e.telegram_fixtures import telegram_server  # noqa: F401  (fixture)

TOKEN = "123456:TEST-TOKEN"


class Recorder:
    """A server on 127.0.0.1 that answers every Bot API method after `delay` seconds and
    remembers what it was asked (method, fields, files, the request's host)."""

    def __init__(self) -> None:
        self.calls: list[dict] = []
        self.delay = 0.0
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        fields, files = {}, {}
        form = await request.post()
        for name, value in form.items():
            if isinstance(value, web.FileField):
                files[name] = (value.filename, value.content_type, value.file.read())
            else:
                fields[name] = value
        self.calls.append({"method": request.match_info["method"], "fields": fields,
                           "files": files, "host": request.host,
                           "proxied": request.raw_path.startswith("http://"),  # absolute form
                           "proxy_auth": request.headers.get("Proxy-Authorization")})
        await asyncio.sleep(self.delay)
        results = {"getUpdates": [], "getMe": {"id": 123456, "is_bot": True, "first_name": "Humas",
                                              "username": "humas_bot"}}
        return web.json_response({"ok": True, "result": results.get(request.match_info["method"], True)})


@pytest.fixture
async def recorder() -> AsyncIterator[Recorder]:
    recorder = Recorder()
    app = web.Application()
    app.router.add_post("/bot{token}/{method}", recorder.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    recorder.url = f"http://127.0.0.1:{port}"
    yield recorder
    await runner.cleanup()


def poster() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 80), (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


async def test_text_and_a_file_reach_the_server_as_sent(recorder):
    data = poster()
    async with Bot(TOKEN, base_url=f"{recorder.url}/bot", request=AiohttpRequest()) as bot:
        await bot.send_photo(42, data, caption="Poster ✅ Seminar Nasional", filename="poster.jpg")
    call = recorder.calls[-1]
    assert call["method"] == "sendPhoto"
    assert call["fields"]["chat_id"] == "42"
    assert call["fields"]["caption"] == "Poster ✅ Seminar Nasional"
    assert call["files"]["photo"] == ("poster.jpg", "image/jpeg", data)


async def test_a_poster_goes_up_and_comes_back_whole_through_the_spec_checked_fake(
        telegram_server: TelegramEmulator):  # noqa: F811
    client = telegram_server.user(1001, "Ani")
    await client.send("/start")
    data = poster()
    bot = Bot(telegram_server.token, base_url=telegram_server.base_url,
              base_file_url=telegram_server.base_file_url, request=AiohttpRequest())
    async with bot:
        sent = await bot.send_photo(client.id, data, caption="Poster")
        file = await bot.get_file(sent.photo[-1].file_id)
        assert bytes(await file.download_as_bytearray()) == data
    assert client.messages[-1]["caption"] == "Poster"


async def test_a_reply_slower_than_the_read_timeout_is_timed_out(recorder):
    recorder.delay = 0.5
    async with AiohttpRequest(read_timeout=0.1) as request:
        with pytest.raises(TimedOut):
            await request.post(f"{recorder.url}/bot{TOKEN}/getMe")
        # a call that says it may take longer waits for the answer
        assert (await request.post(f"{recorder.url}/bot{TOKEN}/getMe", read_timeout=2))["is_bot"]


async def test_long_polling_outlasts_the_read_timeout(recorder):
    """getUpdates waits up to `timeout` seconds on Telegram's side; PTB adds that to the
    transport's read timeout, which this transport must report."""
    recorder.delay = 1.25  # longer than `timeout`, within timeout + read timeout
    request = AiohttpRequest(read_timeout=0.5)
    bot = Bot(TOKEN, base_url=f"{recorder.url}/bot", get_updates_request=request)
    async with bot:
        assert await bot.get_updates(timeout=1) == ()
    assert recorder.calls[-1]["fields"]["timeout"] == "1"


async def test_a_server_that_is_not_there_is_a_network_error(recorder):
    closed = recorder.url.rsplit(":", 1)[0] + ":9"  # discard port: nothing listens on it
    async with AiohttpRequest(connect_timeout=2) as request:
        with pytest.raises(NetworkError) as caught:
            await request.post(f"{closed}/bot{TOKEN}/getMe")
    assert not isinstance(caught.value, TimedOut)


async def test_an_office_proxy_from_the_environment_carries_the_calls(recorder, monkeypatch):
    address = recorder.url.replace("http://", "http://humas:rahasia@")
    monkeypatch.setenv("HTTP_PROXY", address)
    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("http_proxy", raising=False)
    async with AiohttpRequest() as request:
        await request.post(f"http://api.telegram.invalid/bot{TOKEN}/getMe")
        through_proxy = recorder.calls[-1]
        await request.post(f"{recorder.url}/bot{TOKEN}/getMe")  # NO_PROXY: straight there
        direct = recorder.calls[-1]
    assert through_proxy["proxied"] and through_proxy["host"] == "api.telegram.invalid"
    assert through_proxy["proxy_auth"] == "Basic " + base64.b64encode(b"humas:rahasia").decode()
    assert not direct["proxied"] and direct["proxy_auth"] is None


async def test_it_works_again_after_a_shutdown(recorder):
    """The Application shuts its transports down on stop and initializes them on start."""
    request = AiohttpRequest()
    for _ in range(2):
        async with request:
            assert (await request.post(f"{recorder.url}/bot{TOKEN}/getMe"))["is_bot"]
    with pytest.raises(NetworkError, match="not initialized"):
        await request.post(f"{recorder.url}/bot{TOKEN}/getMe")
    assert len(recorder.calls) == 2
