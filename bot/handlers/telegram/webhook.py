"""Telegram's webhook: each POSTed update is stored in the inbox before Telegram hears 200.

The checks are python-telegram-bot's own (telegram/ext/_utils/webhookhandler.py): JSON only,
and the secret token header must match the one registered with setWebhook, else 403 and
nothing is stored. Telegram retries a delivery that did not get 2xx, so a crash before the
commit loses nothing; a retry of one that was stored is skipped by its update_id.

The route never runs without a secret. With none, anyone who learns the URL could post
updates in any user's name: approve as a koordinator, read a draft. So the secret is the
configured HUMAS_TELEGRAM_WEBHOOK_SECRET, else a random one made at each start and
registered with setWebhook right then (nothing needs to know it but Telegram). Several
workers behind one URL must all accept the secret Telegram was given last, so on a database
they share (PostgreSQL) the random one is made once and kept there, as the media key is.
"""

from __future__ import annotations

import hmac
import json
import logging
import secrets
from datetime import datetime
from urllib.parse import urlparse

from aiohttp import web

from bot.config import Settings
from bot.handlers.inbox import InboxWorker
from bot.handlers.telegram.updates import incoming
from storage.db import Database
from storage.repositories import Repos

log = logging.getLogger(__name__)
SECRET_NAME = "telegram_webhook_secret"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1024 * 1024


def webhook_secret(settings: Settings) -> str:
    configured = settings.telegram_webhook_secret
    if configured is not None:
        return configured.get_secret_value()
    log.info("no HUMAS_TELEGRAM_WEBHOOK_SECRET: the webhook is registered with a random secret")
    return secrets.token_urlsafe(32)  # 43 characters of A-Z a-z 0-9 _ -, as Telegram allows


async def shared_webhook_secret(settings: Settings, db: Database, now: datetime) -> str:
    """The secret every worker on this database checks (see the module docstring)."""
    if settings.telegram_webhook_secret is not None or not db.dialect.shared:
        return webhook_secret(settings)
    async with db.transaction() as tx:
        return await Repos(tx).secrets.get_or_create(SECRET_NAME, now, nbytes=24)  # hex: Telegram takes it


class WebhookReceiver:
    def __init__(self, worker: InboxWorker, url: str, secret: str) -> None:
        if not secret:
            raise ValueError("the Telegram webhook needs a secret token (webhook_secret)")
        self.worker = worker
        self.path = "/" + urlparse(url).path.lstrip("/")
        self.secret = secret
        self.web = web.Application(client_max_size=MAX_BODY)
        self.web.router.add_post(self.path, self.receive)
        if self.path != "/":
            self.web.router.add_post(self.path.rstrip("/") + "/", self.receive)
        self._runner: web.AppRunner | None = None

    async def start(self, host: str, port: int) -> None:
        self._runner = web.AppRunner(self.web, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        log.info("Telegram webhook listening on %s:%s%s", host, port, self.path)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def receive(self, request: web.Request) -> web.Response:
        if request.content_type != "application/json":
            return web.Response(status=403, text="JSON only")
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            log.debug("webhook call without the right secret token refused")
            return web.Response(status=403, text="wrong secret token")
        try:
            update = json.loads(await request.read())
            item = incoming(update)
        except (ValueError, KeyError, TypeError, AttributeError):
            return web.Response(status=400, text="not an update")
        await self.worker.receive([item])  # committed before Telegram hears 200
        return web.Response(text="OK")
