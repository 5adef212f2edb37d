"""Uploads: checked for size before they are fetched, received onto disk under a hard cap
(never whole in memory), posters decoded a few at a time with Pillow's bomb limit at ours.
Real files, real HTTP servers on 127.0.0.1 that lie about sizes or never end."""

from __future__ import annotations

import asyncio
import io
import time
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from aiohttp import web
from PIL import Image

import bot.chat.media as chat_media
from bot.chat.media import accept_upload
from bot.handlers.line.content import fetch_content
from bot.handlers.telegram.transport import AiohttpRequest
from bot.media import limits as L
from bot.media.gate import DECODERS
from bot.media.upload import TooBig, receive
from tests.e2e.bot_world import poster_bytes

CAP = 1024 * 1024
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 4000


@asynccontextmanager
async def serving(handler) -> AsyncIterator[str]:
    """A server on 127.0.0.1 answering every GET with `handler`; its base URL."""
    app = web.Application()
    app.router.add_get("/{tail:.*}", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


class Endless:
    """A body with no length that never ends; counts what it managed to send."""

    def __init__(self) -> None:
        self.sent = 0

    async def handle(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "video/mp4"})
        await response.prepare(request)
        block = MP4[:64] + b"\x00" * (64 * 1024 - 64)
        try:
            while True:
                await response.write(block)
                self.sent += len(block)
        except (ConnectionResetError, RuntimeError):
            pass
        return response


async def lying_length(request: web.Request) -> web.Response:
    """Says 5 GB: nothing should be read."""
    response = web.StreamResponse(headers={"Content-Type": "video/mp4", "Content-Length": str(5 * 1024**3)})
    await response.prepare(request)
    await response.write(MP4)
    return response


def leftovers(app) -> list:
    folder = app.files.incoming()
    return list(folder.iterdir()) if folder.exists() else []


async def chunks_of(data: bytes, size: int = 1000):
    for start in range(0, len(data), size):
        yield data[start:start + size]


async def test_receive_stops_at_the_cap_and_leaves_no_file(tmp_path):
    with pytest.raises(TooBig) as too_big:
        await receive(chunks_of(b"x" * 5000), tmp_path, 4000)
    assert too_big.value.cap == 4000 and too_big.value.size <= 4000 + 1000
    assert list(tmp_path.iterdir()) == []
    upload = await receive(chunks_of(MP4), tmp_path, CAP)
    assert (upload.size, upload.head, upload.read()) == (len(MP4), MP4[:64], MP4)


async def test_a_telegram_download_that_never_ends_is_cut_at_the_cap(app):
    endless = Endless()
    request = AiohttpRequest()
    await request.initialize()
    try:
        async with serving(endless.handle) as base:
            with pytest.raises(TooBig):
                async with request.download(f"{base}/file/botTOKEN/videos/1.mp4") as (declared, chunks):
                    assert declared is None
                    await receive(chunks, app.files.incoming(), CAP)
    finally:
        await request.shutdown()
    assert endless.sent < CAP + 8 * 1024 * 1024, "the bot hung up near the cap"
    assert leftovers(app) == []


async def test_line_content_is_refused_by_its_declared_length_and_cut_at_the_cap(app):
    async with serving(lying_length) as base:
        with pytest.raises(TooBig) as too_big:
            await fetch_content(base, "token", "1001", L.LINE_VIDEO_MAX_BYTES, app.files.incoming())
    assert too_big.value.size == 5 * 1024**3, "refused on the header, before the body"
    endless = Endless()
    async with serving(endless.handle) as base:
        with pytest.raises(TooBig):
            await fetch_content(base, "token", "1002", CAP, app.files.incoming())
    assert leftovers(app) == []

    async def one_video(request: web.Request) -> web.Response:
        assert request.path == "/v2/bot/message/1003/content"
        assert request.headers["Authorization"] == "Bearer token"
        return web.Response(body=MP4, content_type="video/mp4")

    async with serving(one_video) as base:
        upload, mime = await fetch_content(base, "token", "1003", CAP, app.files.incoming())
    assert (upload.size, mime) == (len(MP4), "video/mp4")
    ref, refusal = await accept_upload(app, upload, "clip.mp4", mime, "id")
    assert ref is not None and ref.kind == "video", refusal
    assert app.files.get(ref.sha256) == MP4, "the video moved into the store"
    assert leftovers(app) == []


async def test_an_image_over_the_poster_cap_is_never_decoded(app, monkeypatch):
    decoded = []
    monkeypatch.setattr(chat_media, "check_poster", lambda *a: decoded.append(a))
    upload = await receive(chunks_of(poster_bytes()[:64] + b"\x00" * (L.POSTER_MAX_BYTES + 1 - 64), 1 << 20),
                           app.files.incoming(), L.POSTER_MAX_BYTES * 2)
    ref, refusal = await accept_upload(app, upload, "huge.jpg", "image/jpeg", "id")
    assert ref is None and "20,0 MB" in refusal and decoded == []
    assert leftovers(app) == []


def bomb_png(width: int, height: int) -> bytes:
    """A valid 1-bit PNG of the given size, a few kilobytes long."""
    image = Image.new("1", (1, 1))
    out = io.BytesIO()
    image.save(out, "PNG")
    small = out.getvalue()
    header_end = small.index(b"IDAT") - 4
    ihdr = b"IHDR" + width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([1, 0, 0, 0, 0])
    ihdr_chunk = (13).to_bytes(4, "big") + ihdr + zlib.crc32(ihdr).to_bytes(4, "big")
    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    data = zlib.compress(row * height, 9)
    idat = b"IDAT" + data
    idat_chunk = len(data).to_bytes(4, "big") + idat + zlib.crc32(idat).to_bytes(4, "big")
    iend = (0).to_bytes(4, "big") + b"IEND" + zlib.crc32(b"IEND").to_bytes(4, "big")
    return small[:8] + ihdr_chunk + small[33:header_end] + idat_chunk + iend


async def test_a_decompression_bomb_is_refused_before_its_pixels_are_decoded(app):
    assert Image.MAX_IMAGE_PIXELS == L.MAX_PIXELS
    bomb = bomb_png(12_000, 12_000)  # 144 megapixels in a small file
    assert len(bomb) < 200_000
    with pytest.raises(Image.DecompressionBombError):  # any Image.open in the bot, not only ours
        Image.open(io.BytesIO(bomb))
    ref, refusal = await accept_upload(app, bomb, "bomb.png", "image/png", "en")
    assert ref is None and "too large to process" in refusal, refusal


async def test_posters_are_decoded_a_few_at_a_time(app, monkeypatch):
    running, most = 0, 0
    real = chat_media.check_poster

    def counting(*args):
        nonlocal running, most
        running += 1
        most = max(most, running)
        try:
            time.sleep(0.05)  # long enough for the others to pile up
            return real(*args)
        finally:
            running -= 1

    monkeypatch.setattr(chat_media, "check_poster", counting)
    poster = poster_bytes(400, 500)
    results = await asyncio.gather(*(accept_upload(app, poster, f"p{i}.jpg", "image/jpeg", "id")
                                     for i in range(8)))
    assert all(ref is not None for ref, _ in results)
    assert most == DECODERS == 2
    assert leftovers(app) == []
