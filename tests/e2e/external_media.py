"""A web server on 127.0.0.1 standing for the sites a LINE user's external image or video
lives on (contentProvider "external"): a good poster, a missing file, a page that is not an
image, a file that says it is too big, one that never ends, and a link that is not http(s)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from tests.e2e.bot_world import poster_bytes

CHUNK = 1024 * 1024


class ExternalMedia:
    def __init__(self) -> None:
        self.app = web.Application()
        self.app.router.add_get("/poster.jpg", self.poster)
        self.app.router.add_get("/moved.jpg", self.moved)
        self.app.router.add_get("/page.html", self.page)
        self.app.router.add_get("/declared-big.jpg", self.declared_big)
        self.app.router.add_get("/endless.jpg", self.endless)
        self.requests: list[str] = []
        self.streamed = 0  # bytes the endless file got to send before the bot hung up
        self.base = ""
        self._runner: web.AppRunner | None = None

    @property
    def urls(self) -> dict[str, str]:
        """The URLs the kinds generator picks from at random (the endless one is kept for its
        own test: each would cost the size cap in transfer)."""
        return {"poster": f"{self.base}/poster.jpg", "moved": f"{self.base}/moved.jpg",
                "missing": f"{self.base}/missing.jpg", "page": f"{self.base}/page.html",
                "declared-big": f"{self.base}/declared-big.jpg",
                "not-web": self.base.replace("http://", "ftp://") + "/poster.jpg"}

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.base = f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def poster(self, request: web.Request) -> web.Response:
        self.requests.append(request.path)
        return web.Response(body=poster_bytes(), content_type="image/jpeg")

    async def moved(self, request: web.Request) -> web.Response:
        self.requests.append(request.path)
        raise web.HTTPFound("/poster.jpg")

    async def page(self, request: web.Request) -> web.Response:
        self.requests.append(request.path)
        return web.Response(text="<html>not an image</html>", content_type="text/html")

    async def declared_big(self, request: web.Request) -> web.StreamResponse:
        """Says 300 MB up front; a careful client stops there."""
        self.requests.append(request.path)
        response = web.StreamResponse(headers={"Content-Type": "image/jpeg"})
        response.content_length = 300 * CHUNK
        await response.prepare(request)
        with contextlib.suppress(ConnectionError):
            await response.write(b"\xff\xd8\xff" + bytes(CHUNK))
        return response

    async def endless(self, request: web.Request) -> web.StreamResponse:
        """No length given, and no end: only a hard cap on the reading side stops it."""
        self.requests.append(request.path)
        response = web.StreamResponse(headers={"Content-Type": "image/jpeg"})
        await response.prepare(request)
        chunk = b"\xff\xd8\xff" + bytes(CHUNK - 3)
        with contextlib.suppress(ConnectionError, asyncio.CancelledError):
            while self.streamed < 2000 * CHUNK:
                await response.write(chunk)
                self.streamed += len(chunk)
        return response


@pytest.fixture
async def external() -> AsyncIterator[ExternalMedia]:
    """The server, running for one test."""
    media = ExternalMedia()
    await media.start()
    try:
        yield media
    finally:
        await media.stop()
