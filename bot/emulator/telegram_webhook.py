"""Telegram's side of a webhook, for the emulator: updates POSTed to the URL the bot set with
setWebhook, as Telegram does.

Each update goes as JSON with the secret token header the bot registered; one that is not
answered 2xx (or whose connection fails) is sent again a little later, until it is. One
chat's updates go one at a time and in order; different chats' at once, up to the webhook's
`max_connections` (Telegram's default, 40). Off unless the emulator is made with
`push_webhook=True`: most tests POST updates to the bot themselves.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any

import aiohttp

if TYPE_CHECKING:
    from bot.emulator.telegram import TelegramEmulator

log = logging.getLogger(__name__)
MAX_CONNECTIONS = 40  # Telegram's default for setWebhook
RETRY_SECONDS = 0.5  # before an update that failed is sent again
TIMEOUT_SECONDS = 30.0


def chat_of(update: dict[str, Any]) -> Any:
    """Whose update it is (its sender, else its chat): one chat's updates stay in order."""
    body = next((v for k, v in update.items() if k != "update_id" and isinstance(v, dict)), {})
    sender = body.get("from") or {}
    return sender.get("id") or (body.get("chat") or {}).get("id")


class WebhookPusher:
    def __init__(self, server: TelegramEmulator) -> None:
        self.server = server
        self.delivered = 0
        self.failures = 0  # deliveries not answered 2xx (each sent again)
        self._sending: set[int] = set()  # update ids on their way
        self._chats: set[Any] = set()  # chats with an update on its way
        self._resting: set[int] = set()  # failed, waiting to be sent again
        self._tasks: set[asyncio.Task] = set()
        self._loop: asyncio.Task | None = None
        self._session: aiohttp.ClientSession | None = None

    def start(self) -> None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT_SECONDS))
        self._loop = asyncio.create_task(self._run(), name="telegram webhook pusher")

    async def stop(self) -> None:
        for task in [self._loop, *self._tasks]:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        if self._session is not None:
            await self._session.close()

    async def _run(self) -> None:
        while not self.server._closing:
            self._launch()
            await self.server._wait_change(0.2)

    def _launch(self) -> None:
        hook = self.server.webhook
        if not hook.get("url"):
            return
        limit = int(hook.get("max_connections") or MAX_CONNECTIONS)
        waiting: set[Any] = set()  # chats with an earlier update not sent yet
        for update in list(self.server._updates):
            if len(self._sending) >= limit:
                return
            number, chat = update["update_id"], chat_of(update)
            if number in self._sending or chat in self._chats or chat in waiting or number in self._resting:
                waiting.add(chat)
                continue
            if not self.server._allowed(update):
                self.server._updates.remove(update)
                continue
            self._sending.add(number)
            self._chats.add(chat)
            task = asyncio.create_task(self._post(update, chat, hook))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _post(self, update: dict[str, Any], chat: Any, hook: dict[str, Any]) -> None:
        headers = {}
        if hook.get("secret_token"):
            headers["X-Telegram-Bot-Api-Secret-Token"] = hook["secret_token"]
        ok = False
        try:
            async with self._session.post(hook["url"], json=update, headers=headers) as response:
                ok = 200 <= response.status < 300
        except (aiohttp.ClientError, TimeoutError) as error:
            log.debug("webhook delivery of update %s failed: %s", update["update_id"], error)
        finally:
            self._sending.discard(update["update_id"])
        if ok:
            self.delivered += 1
            with contextlib.suppress(ValueError):
                self.server._updates.remove(update)
            self._chats.discard(chat)
        else:
            self.failures += 1
            self._resting.add(update["update_id"])
            self._chats.discard(chat)
            await asyncio.sleep(RETRY_SECONDS)
            self._resting.discard(update["update_id"])
        self.server._notify()
