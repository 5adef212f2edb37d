"""The LINE side of the bot: an aiohttp server with the webhook LINE posts events to, and the
stored posters LINE fetches for image messages.

POST /line/webhook: the X-Line-Signature must be the HMAC of the raw body under the channel
secret, else 400 and nothing is stored. A good body's events are stored in the inbox (one
statement) and committed before LINE hears 200, so a crash after the 200 loses nothing; the
inbox worker handles them from there, in order per user (one user's messages never overtake
each other), every user concurrently. A redelivered event (same webhookEventId) is skipped.

GET /media/{sha256} and /media/{sha256}/preview: a stored file, and a small JPEG of it (a
placeholder frame for a video) for LINE's preview image, which must stay under 1 MB. Only at
an address the bot signed (`?e=EXPIRY&s=HMAC`, bot/services/media_links.py), and served
`Cache-Control: private`.
"""

from __future__ import annotations

import io
import json
import logging
import re
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace

from aiohttp import web
from linebot.v3.messaging import AsyncApiClient, AsyncMessagingApi, AsyncMessagingApiBlob, Configuration
from linebot.v3.webhook import SignatureValidator
from PIL import Image, ImageDraw

from bot.app import App
from bot.chat.notify import KINDS as NOTIFIED
from bot.chat.notify import Notifier
from bot.handlers.inbox import InboxWorker
from bot.handlers.line.handlers import LineHandlers, LineSource, incoming
from bot.handlers.line.render import media_urls
from bot.handlers.line.sender import LineSender
from bot.media.gate import decode
from bot.media.video import sniff_video
from bot.services.media_links import media_key, remaining, valid

log = logging.getLogger(__name__)
WEBHOOK_PATH = "/line/webhook"
MAX_BODY = 2 * 1024 * 1024
SHA256 = re.compile(r"[0-9a-f]{64}")
PREVIEW_SIDE = 480
PREVIEW_CACHE = 64
MAGIC = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG", "image/png"))


def line_configured(app: App) -> bool:
    settings = app.settings
    return settings.line_channel_secret is not None and settings.line_access_token is not None


class LineServer:
    """Everything LINE needs while the bot runs: the API clients and the webhook server.
    `start()`, then `stop()`. Its `sender` joins the shared Notifier's senders, its `source`
    the inbox worker's; `on_change` wakes whatever sends queued messages (the notifier, the
    broadcasters)."""

    def __init__(self, app: App, notifier: Notifier, worker: InboxWorker,
                 on_change: Callable[[], None] | None = None) -> None:
        self.app = app
        self.notifier = notifier
        self.worker = worker
        self.url = ""  # where the server listens, once started (http://host:port)
        settings = app.settings
        token = settings.line_access_token.get_secret_value()
        self._client = AsyncApiClient(Configuration(host=settings.line_api_url, access_token=token))
        self._data_client = AsyncApiClient(Configuration(host=settings.line_data_url, access_token=token))
        self.api = AsyncMessagingApi(self._client)
        self.sender = LineSender(self.api, media_urls(app))  # signed once sign_media() has the key
        self._media_key = b""
        notifier.senders[self.sender.platform] = self.sender
        self.handlers = LineHandlers(app, notifier, self.sender, AsyncMessagingApiBlob(self._data_client))
        worker.add(LineSource(self.handlers))
        if on_change is not None:
            app.db.watch_queue(on_change)
        else:
            app.db.watch_queue(notifier.wake, kinds=NOTIFIED)
        self.signature = SignatureValidator(settings.line_channel_secret.get_secret_value())
        self.web = web.Application(client_max_size=MAX_BODY)
        self.web.router.add_post(WEBHOOK_PATH, self.webhook)
        self.web.router.add_get("/media/{sha}", self.media)
        self.web.router.add_get("/media/{sha}/preview", self.preview)
        self._runner: web.AppRunner | None = None
        self._previews: OrderedDict[str, bytes] = OrderedDict()

    # Lifecycle ------------------------------------------------------------------------------

    async def sign_media(self) -> None:
        """Load the key that signs media addresses (made on first use). Before anything is
        sent: a notice sent unsigned would point LINE at an address this server refuses."""
        if not self._media_key:
            self._media_key = await media_key(self.app.db, self.app.clock.now())
            self.sender.urls = replace(self.sender.urls, key=self._media_key)

    async def start(self) -> str:
        settings = self.app.settings
        await self.sign_media()
        self._runner = web.AppRunner(self.web, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, settings.line_host, settings.line_port).start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        log.info("LINE webhook listening on %s%s", self.url, WEBHOOK_PATH)
        return self.url

    async def stop_receiving(self) -> None:
        """No new events; the inbox worker finishes (or rolls back) the ones in hand."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def close(self) -> None:
        """Close the API clients (after the senders that use them have stopped)."""
        await self._client.close()
        await self._data_client.close()

    async def stop(self) -> None:
        await self.stop_receiving()
        await self.close()

    async def wait_idle(self) -> None:
        """Until every event stored so far is handled (for tests)."""
        await self.worker.wait_idle()

    # Webhook --------------------------------------------------------------------------------

    async def webhook(self, request: web.Request) -> web.Response:
        raw = await request.read()
        signature = request.headers.get("X-Line-Signature", "")
        try:
            body = raw.decode("utf-8")
            if not self.signature.validate(body, signature):
                log.warning("LINE webhook with a missing or wrong signature refused")
                return web.Response(status=400, text="bad signature")
            items = [incoming(event) for event in json.loads(body)["events"]]
        except (UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError):
            return web.Response(status=400, text="bad body")
        await self.worker.receive(items)  # committed before LINE hears 200
        return web.Response(text="OK")

    # Media ----------------------------------------------------------------------------------

    async def media(self, request: web.Request) -> web.StreamResponse:
        path = self._stored(request, "file")
        with path.open("rb") as file:
            head = file.read(64)
        return web.FileResponse(path, headers={"Content-Type": _content_type(head),
                                               "Cache-Control": self._cache_control(request)})

    async def preview(self, request: web.Request) -> web.Response:
        sha = request.match_info["sha"]
        path = self._stored(request, "preview")
        if sha not in self._previews:
            self._previews[sha] = await decode(_preview_of, path)
            while len(self._previews) > PREVIEW_CACHE:
                self._previews.popitem(last=False)
        return web.Response(body=self._previews[sha], content_type="image/jpeg",
                            headers={"Cache-Control": self._cache_control(request)})

    def _stored(self, request: web.Request, variant: str):
        """The stored file a signed, unexpired address names; 404 for anything else (a bad
        or old signature reads as a missing file, so addresses cannot probe for hashes)."""
        sha = request.match_info["sha"]
        expires, signature = request.query.get("e", ""), request.query.get("s", "")
        if not SHA256.fullmatch(sha) or not self._media_key:
            raise web.HTTPNotFound()
        if not valid(self._media_key, sha, variant, expires, signature, self.app.clock.now()):
            raise web.HTTPNotFound()
        path = self.app.files.path(sha)
        if not path.is_file():
            raise web.HTTPNotFound()
        return path

    def _cache_control(self, request: web.Request) -> str:
        """Only the one who fetched it keeps it (no shared cache), and not past the expiry."""
        left = remaining(request.query.get("e", ""), self.app.clock.now())
        return f"private, max-age={min(left, 86400)}"


def _content_type(head: bytes) -> str:
    for magic, mime in MAGIC:
        if head.startswith(magic):
            return mime
    if head[8:12] == b"WEBP":
        return "image/webp"
    container = sniff_video(head)
    if container in ("mp4", "mov"):
        return "video/mp4" if container == "mp4" else "video/quicktime"
    if container in ("webm", "mkv"):
        return f"video/{'webm' if container == 'webm' else 'x-matroska'}"
    return "application/octet-stream"


def _preview_of(path) -> bytes:
    """The preview of a stored file; a video is not read (it may be hundreds of MB)."""
    with path.open("rb") as file:
        head = file.read(64)
    return _preview(b"" if _content_type(head).startswith("video/") else path.read_bytes())


def _preview(data: bytes) -> bytes:
    """A JPEG of at most 480 px a side; for a video (or anything Pillow cannot read), a dark
    frame with a play sign."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.thumbnail((PREVIEW_SIDE, PREVIEW_SIDE))
            frame = image.convert("RGB")
    except Exception:
        frame = Image.new("RGB", (PREVIEW_SIDE, PREVIEW_SIDE * 9 // 16), (30, 30, 30))
        w, h = frame.size
        ImageDraw.Draw(frame).polygon([(w * 0.42, h * 0.3), (w * 0.42, h * 0.7), (w * 0.62, h * 0.5)],
                                      fill=(235, 235, 235))
    out = io.BytesIO()
    frame.save(out, "JPEG", quality=80)
    return out.getvalue()
