"""LINE as the Notifier's Sender, and the one place that puts messages into a LINE chat: with
the event's reply token while it is fresh (one use, free of the monthly quota), by push otherwise.

Every push of an outbox row carries a retry key made from the row, so that the same push
repeated after a crash (sent, then the bot died before marking it) is dropped by LINE (409).
A reply token is single-use: used by a send that the crash then repeats, LINE refuses it
and the repeat goes by push, so that message arrives twice, once per crash.

LINE cannot edit a sent message, so `edit` pushes the short "decided by" line instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Iterator

import aiohttp
from linebot.v3.messaging import (
    ApiException,
    AsyncMessagingApi,
    Message,
    PushMessageRequest,
    ReplyMessageRequest,
)

from bot.chat.notify import DeliveryFailed, RetryLater
from bot.chat.replies import Reply
from bot.handlers.line import render
from bot.handlers.line.render import MESSAGES_PER_CALL, MediaUrls

log = logging.getLogger(__name__)
PLATFORM = "line"
RETRY_SECONDS = 5.0  # LINE's 429 and 5xx carry no Retry-After
KEYS = uuid.UUID("6a1d1f64-2b0e-4c47-9c1e-6f8a7d0b5e21")  # namespace of the retry keys made from rows


class LineSender:
    platform = PLATFORM

    def __init__(self, api: AsyncMessagingApi, urls: MediaUrls) -> None:
        self.api = api
        self.urls = urls

    # Sender (the Notifier's) ----------------------------------------------------------------

    async def send(self, external_id: str, reply: Reply, seed: str | None = None) -> dict:
        with _sorted_errors():
            ids = await self.push(external_id, render.messages(reply, self.urls), seed)
        return {"platform": PLATFORM, "to": external_id, "message_ids": ids}

    async def edit(self, result: dict, reply: Reply) -> None:
        """No editing on LINE: the line that replaces the prompt's buttons comes as a new message."""
        await self.send(result["to"], Reply(reply.text))

    async def answer(self, chat: str, replies: list[Reply], row: dict) -> None:
        """An outbox row's replies to one event, in one call with its reply token if that is
        still fresh, else by push."""
        from bot.chat.notify import seed

        payload = row["payload"]
        lang = payload.get("lang", "id")
        messages = [m for reply in replies for m in render.messages(reply, self.urls, lang)]
        token = payload.get("reply_token") if time.time() < payload.get("token_until", 0) else None
        with _sorted_errors():
            await self.deliver(chat, messages, token, seed(row))

    # Delivery -------------------------------------------------------------------------------

    async def deliver(self, to: str, messages: list[Message], reply_token: str | None = None,
                      seed: str | None = None) -> list[str]:
        """The first five messages with the reply token (if given, and LINE still takes it),
        the rest (or all) by push. The ids LINE gave them."""
        if not messages:
            return []
        ids: list[str] = []
        if reply_token:
            first, messages = messages[:MESSAGES_PER_CALL], messages[MESSAGES_PER_CALL:]
            try:
                request = ReplyMessageRequest(reply_token=reply_token, messages=first)
                answer = await self.api.reply_message(request)
                ids += [m.id for m in answer.sent_messages or []]
            except ApiException as exc:
                if exc.status != 400:
                    raise
                log.info("reply token refused (%s); pushing instead", _reason(exc))
                messages = first + messages
        return ids + await self.push(to, messages, seed)

    async def push(self, to: str, messages: list[Message], seed: str | None = None) -> list[str]:
        """In calls of five; each with its own retry key, so one retry after a lost answer or a
        5xx cannot deliver twice (LINE answers a repeated key with 409). With a `seed` (the
        outbox row), the keys are the row's, the same after a restart."""
        ids: list[str] = []
        for start in range(0, len(messages), MESSAGES_PER_CALL):
            request = PushMessageRequest(to=to, messages=messages[start : start + MESSAGES_PER_CALL])
            key = str(uuid.uuid5(KEYS, f"{seed}:{start}")) if seed else str(uuid.uuid4())
            ids += await self._push_once(request, key)
        return ids

    async def _push_once(self, request: PushMessageRequest, key: str) -> list[str]:
        for attempt in (1, 2):
            try:
                answer = await self.api.push_message(request, x_line_retry_key=key)
                return [m.id for m in answer.sent_messages or []]
            except ApiException as exc:
                if exc.status == 409:  # the first try arrived; its answer was lost
                    return []
                if attempt == 2 or exc.status < 500:
                    raise
            except (aiohttp.ClientError, TimeoutError):
                if attempt == 2:
                    raise
            await asyncio.sleep(1.0)
        return []


@contextlib.contextmanager
def _sorted_errors() -> Iterator[None]:
    """LINE's errors as the Notifier sorts them: wait and retry, or give up on this one."""
    try:
        yield
    except ApiException as exc:
        if exc.status == 429 or exc.status >= 500:
            raise RetryLater(RETRY_SECONDS) from exc
        raise DeliveryFailed(f"LINE {exc.status}: {_reason(exc)}") from exc
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise RetryLater(RETRY_SECONDS) from exc


def _reason(exc: ApiException) -> str:
    body = exc.body.decode(errors="replace") if isinstance(exc.body, bytes) else exc.body
    return str(body or exc.reason or "").strip()[:200]
