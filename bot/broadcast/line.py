"""Drains the broadcast outbox to LINE: subscribers by multicast (500 user ids a call), every
follower by LINE's broadcast, a LINE group by push. Every call carries an X-Line-Retry-Key.

A batch's rows go pending -> sending -> sent / failed (/ unknown). The retry key is written
into every row of the batch, in one transaction, before the call. LINE accepts a key once and
answers a repeat with 409 and the first request's id, without delivering again, so unlike on
Telegram a resend is safe: a timeout or a 5xx is retried with the same key, a 409 counts as
delivered, and rows found in "sending" (no answer after a few tries, or a crash) are sent again
later with their stored key. Only when the batch has had no answer for `give_up_after` (well
inside the key's 24 hours) are its rows given up: unknown if LINE may have accepted a call,
failed if every answer said it had not (a 4xx, a 429, or no connection at all: a refused or
timed-out connect never reached LINE).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from linebot.v3.messaging import (
    ApiException,
    AsyncMessagingApi,
    BroadcastRequest,
    ImageMessage,
    MulticastRequest,
    PushMessageRequest,
    TextMessage,
)

from bot.app import App
from bot.domain.request import Content
from bot.handlers.line.render import MediaUrls, media_urls
from bot.services.media_links import media_key
from bot.services.publishing import posted
from bot.textsplit import split_text
from bot.waiting import rest
from storage.db import utc_text
from storage.lease_repos import Leases
from storage.repositories import Repos

log = logging.getLogger(__name__)

PREFIX = "line:"
FOLLOWERS = "line:*"  # the recipient of a broadcast to every follower
MULTICAST_LIMIT = 500  # user ids per multicast call
MESSAGES_PER_CALL = 5
TEXT_LIMIT = 5000  # characters of a text message (counted as UTF-16 units, to be safe)
PROGRESS_EVERY = 2.0  # seconds between progress nudges while a broadcast runs
MAX_PASS_WAIT = timedelta(minutes=10)
REQUEST_ID = "x-line-request-id"
ACCEPTED_ID = "x-line-accepted-request-id"

Message = ImageMessage | TextMessage


@dataclass
class Batch:
    """Rows that go out in one call, under one retry key."""

    call: str  # "multicast", "broadcast" (every follower) or "push" (a group or room)
    broadcast_id: int
    request_id: int
    rows: list[int]
    to: list[str]  # LINE ids; empty for a broadcast
    key: str = ""
    name: str = ""
    keyed_at: datetime | None = None
    passes: int = 0  # earlier passes that ended without an answer
    maybe_accepted: bool = False  # a call got no clear answer: LINE may have taken it

    def result(self, **extra: Any) -> dict:
        keyed = self.keyed_at.isoformat() if self.keyed_at else None
        return {"retry_key": self.key, "batch": self.name, "call": self.call, "size": len(self.rows),
                "keyed_at": keyed, **extra}


class LineBroadcaster:
    """`on_progress(broadcast_id)` is told when a batch went out (at most every few seconds,
    and always when a broadcast has nothing left to send): wire it to the Telegram
    broadcaster's wake(), whose loop edits the petugas's progress message and sends the
    report, so that one task alone talks to the petugas."""

    def __init__(self, app: App, api: AsyncMessagingApi, idle: float = 1.0, *, attempts: int = 3,
                 backoff: float = 1.0, timeout: float = 30.0, retry_after: timedelta = timedelta(seconds=30),
                 give_up_after: timedelta = timedelta(hours=1),
                 on_progress: Callable[[int], None] | None = None) -> None:
        self.app = app
        self.api = api
        self.idle = idle
        self.attempts = attempts  # calls per batch in one pass
        self.backoff = backoff  # seconds before the 2nd call, doubling after
        self.timeout = timeout  # seconds to wait for one answer
        self.retry_after = retry_after  # before the next pass tries an unanswered batch again
        self.give_up_after = give_up_after
        self.on_progress = on_progress
        self._wake = asyncio.Event()
        self._told = 0.0

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        """No recovery step: rows a crash left in "sending" are resumed by drain()."""
        while True:
            try:
                busy = await self.drain()
            except Exception:
                log.exception("LINE broadcast pass failed; rows stay as they are")
                busy = 0
            if busy:
                continue  # more may be due right away
            await rest(self._wake, self.idle)

    async def drain(self, limit: int = 5000) -> int:
        """One pass: batches left in flight whose time has come, then due pending rows (up to
        `limit`). The number of rows whose batch got an answer or was tried."""
        now = self.app.clock.now()
        in_flight, pending = await self._rows(now, limit)
        async with self.app.db.reading() as tx:
            following = {s["chat_id"] for s in await Repos(tx).subscribers.reachable("line")}
        done = 0
        for batch in _resumable(in_flight, now):
            done += await self._attempt(batch)
        for batch in await self._new_batches(pending, following):
            if await self._key(batch):
                done += await self._attempt(batch)
        return done

    async def _rows(self, now: datetime, limit: int) -> tuple[list[dict], list[dict]]:
        """(rows in flight, due pending rows): read, or, with several workers (PostgreSQL),
        claimed: a live worker's batch in flight is its own to resume, a dead one's is taken
        over (sent again with its key, which LINE drops if it had the first)."""
        lease = self.app.lease
        if not lease.shared:
            async with self.app.db.reading() as tx:
                repos = Repos(tx)
                return (await repos.outbox.in_flight("broadcast", PREFIX),
                        await repos.outbox.due(now, ("broadcast",), limit, prefix=PREFIX))
        async with self.app.db.transaction() as tx:
            leases, until, at = Leases(tx, self.app.db.dialect), lease.until(), lease.now()
            due = utc_text(now)
            in_flight = await leases.deliveries(lease.worker, until, at, due, PREFIX, limit, status="sending")
            pending = await leases.deliveries(lease.worker, until, at, due, PREFIX, limit)
        return in_flight, pending

    # --- batches -------------------------------------------------------------------------

    async def _new_batches(self, rows: list[dict], following: set[str]) -> list[Batch]:
        """Group pending rows per broadcast into calls; a subscriber who unfollowed since the
        publication is not sent to (failed, so the report says so)."""
        gone = {row["id"] for row in rows
                if row["payload"]["kind"] == "private" and _chat_id(row) not in following}
        if gone:
            by_broadcast: dict[int, list[int]] = {}
            for row in rows:
                if row["id"] in gone:
                    by_broadcast.setdefault(row["payload"]["broadcast_id"], []).append(row["id"])
            async with self.app.db.transaction() as tx:
                unfollowed = {"reason": "unfollowed the bot", "gone": True}
                broadcasts = Repos(tx).broadcasts
                for broadcast_id, ids in by_broadcast.items():
                    await broadcasts.move(broadcast_id, ids, "failed", unfollowed, only_if="pending")
        users: dict[tuple[int, int], list[dict]] = {}
        batches: list[Batch] = []
        for row in rows:
            if row["id"] in gone:
                continue
            broadcast_id, kind = row["payload"]["broadcast_id"], row["payload"]["kind"]
            if kind == "private":
                users.setdefault((broadcast_id, row["request_id"]), []).append(row)
            else:
                call = "broadcast" if row["recipient"] == FOLLOWERS else "push"
                to = [] if call == "broadcast" else [_chat_id(row)]
                batches.append(Batch(call, broadcast_id, row["request_id"], [row["id"]], to))
        for (broadcast_id, request_id), group in users.items():
            for start in range(0, len(group), MULTICAST_LIMIT):
                chunk = group[start:start + MULTICAST_LIMIT]
                batches.append(Batch("multicast", broadcast_id, request_id, [r["id"] for r in chunk],
                                     [_chat_id(r) for r in chunk]))
        return batches

    async def _key(self, batch: Batch) -> bool:
        """Give the batch its retry key and write it into every row, before any call. Rows no
        longer pending drop out; False if none is left."""
        batch.key = str(uuid.uuid4())
        batch.name = f"{batch.broadcast_id}:{batch.rows[0]}"
        batch.keyed_at = self.app.clock.now()
        async with self.app.db.transaction() as tx:
            lease = self.app.lease
            claimed = await Repos(tx).broadcasts.move(batch.broadcast_id, batch.rows, "sending",
                                                      batch.result(), only_if="pending",
                                                      owner=lease.worker if lease.shared else None)
        if len(claimed) != len(batch.rows):
            keep = set(claimed)
            if batch.to:
                batch.to = [to for row, to in zip(batch.rows, batch.to, strict=True) if row in keep]
            batch.rows = [row for row in batch.rows if row in keep]
        return bool(batch.rows)

    # --- calls ---------------------------------------------------------------------------

    async def _attempt(self, batch: Batch) -> int:
        """Up to `attempts` calls with the batch's key; then the rows wait for a later pass."""
        try:
            messages = await self._messages(batch.broadcast_id)
        except Exception as exc:  # a bug or bad content: no call was made
            log.exception("LINE batch %s: no messages", batch.name)
            await self._finish(batch, "failed", reason=f"error: {exc!r}")
            return len(batch.rows)
        if not messages:
            await self._finish(batch, "failed", reason="nothing to send on LINE (no caption, no image URL)")
            return len(batch.rows)
        reason = ""
        for attempt in range(self.attempts):
            if attempt:
                await asyncio.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                response = await self._call(batch, messages)
            except ApiException as exc:
                status, message = exc.status or 0, _error_message(exc)
                if status == 409:  # the key was accepted before: delivered, once
                    await self._finish(batch, "sent", accepted_request_id=_header(exc.headers, ACCEPTED_ID))
                    return len(batch.rows)
                if status == 429 and "monthly limit" in message.lower():
                    await self._finish(batch, "failed", reason=f"429 {message}")
                    return len(batch.rows)
                if status != 429 and status < 500:
                    await self._finish(batch, "failed", reason=f"{status} {message}".strip())
                    return len(batch.rows)
                batch.maybe_accepted |= status != 429  # a 429 refused it; a 5xx may not have
                reason = f"{status} {message}".strip()
            except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
                reason = f"no connection: {type(exc).__name__} {exc}".strip()  # nothing reached LINE
            except (TimeoutError, aiohttp.ClientError) as exc:
                batch.maybe_accepted = True
                reason = f"no answer: {type(exc).__name__} {exc}".strip()
            else:
                await self._finish(batch, "sent", request_id=_header(response.headers, REQUEST_ID))
                return len(batch.rows)
            log.warning("LINE %s %s (key %s), try %d: %s", batch.call, batch.name, batch.key, attempt + 1,
                        reason)
        await self._postpone(batch, reason)
        return len(batch.rows)

    async def _call(self, batch: Batch, messages: list[Message]):
        options = {"x_line_retry_key": batch.key, "_request_timeout": self.timeout}
        if batch.call == "multicast":
            request = MulticastRequest(to=batch.to, messages=messages)
            return await self.api.multicast_with_http_info(request, **options)
        if batch.call == "broadcast":
            return await self.api.broadcast_with_http_info(BroadcastRequest(messages=messages), **options)
        request = PushMessageRequest(to=batch.to[0], messages=messages)
        return await self.api.push_message_with_http_info(request, **options)

    async def _postpone(self, batch: Batch, reason: str) -> None:
        """No answer in this pass: the rows stay "sending" with their key for a later pass, or,
        after `give_up_after`, are given up."""
        now = self.app.clock.now()
        batch.passes += 1
        if batch.keyed_at and now - batch.keyed_at >= self.give_up_after:
            status = "unknown" if batch.maybe_accepted else "failed"
            await self._finish(batch, status, reason=f"LINE gave no answer in {batch.passes} tries: {reason}")
            return
        wait = min(self.retry_after * 2 ** (batch.passes - 1), MAX_PASS_WAIT)
        result = batch.result(passes=batch.passes, retry_at=(now + wait).isoformat(),
                              maybe_accepted=batch.maybe_accepted, last=reason)
        async with self.app.db.transaction() as tx:
            await Repos(tx).outbox.mark_many(batch.rows, "sending", result, only_if="sending")

    async def _finish(self, batch: Batch, status: str, **extra: Any) -> None:
        async with self.app.db.transaction() as tx:
            await Repos(tx).broadcasts.move(batch.broadcast_id, batch.rows, status, batch.result(**extra),
                                            only_if="sending")
        await self._tell(batch)

    async def _tell(self, batch: Batch) -> None:
        if self.on_progress is None:
            return
        async with self.app.db.reading() as tx:
            counts = await Repos(tx).broadcasts.tally(batch.broadcast_id)
        finished = not counts.get("pending") and not counts.get("sending")
        now = time.monotonic()
        if finished or now - self._told >= PROGRESS_EVERY:
            self._told = now
            self.on_progress(batch.broadcast_id)

    # --- messages ------------------------------------------------------------------------

    async def _messages(self, broadcast_id: int) -> list[Message]:
        async with self.app.db.reading() as tx:
            repos = Repos(tx)
            broadcast = await repos.broadcasts.get(broadcast_id)
            state = await repos.requests.get(broadcast["code"]) if broadcast else None
        if state is None:
            raise LookupError(f"broadcast {broadcast_id} has no request")
        key = await media_key(self.app.db, self.app.clock.now())
        return messages_for(posted(self.app.flow, state.content), replace(media_urls(self.app), key=key))


def messages_for(content: Content, urls: MediaUrls) -> list[Message]:
    """What a LINE recipient gets in one call: the poster(s) as images, then the caption as
    text (split at 5000 characters); at most five messages, the caption first to keep.
    Images need this server's public https address (LINE fetches them, at signed addresses);
    without it, text only. Videos are not sent on LINE (a video message needs a preview image)."""
    texts = [TextMessage(text=part) for part in split_text(content.caption, TEXT_LIMIT)][:MESSAGES_PER_CALL]
    images: list[Message] = []
    if urls.base:
        for ref in content.media:
            if ref.kind == "image" and (url := urls.original(ref.publish_sha256)):
                images.append(ImageMessage(original_content_url=url, preview_image_url=url))
    elif content.media and urls.public_url:
        log.warning("line_public_url %r is not https: posters are not sent on LINE", urls.public_url)
    return images[:MESSAGES_PER_CALL - len(texts)] + texts


def _resumable(rows: list[dict], now: datetime) -> list[Batch]:
    """Batches left in "sending", by their retry key, whose retry time has come."""
    keyed: dict[str, list[dict]] = {}
    for row in rows:
        key = row["result"].get("retry_key")
        if key:
            keyed.setdefault(key, []).append(row)
        else:  # not expected: every LINE row gets its key as it turns "sending"
            log.warning("LINE row %s is sending without a retry key", row["id"])
    batches = []
    for key, group in keyed.items():
        result = group[0]["result"]
        if result.get("retry_at") and datetime.fromisoformat(result["retry_at"]) > now:
            continue
        call = result.get("call", "multicast")
        keyed_at = datetime.fromisoformat(result["keyed_at"]) if result.get("keyed_at") else now
        to = [] if call == "broadcast" else [_chat_id(r) for r in group]
        batches.append(Batch(call, group[0]["payload"]["broadcast_id"], group[0]["request_id"],
                             [r["id"] for r in group], to, key, result.get("batch", ""), keyed_at,
                             result.get("passes", 0), result.get("maybe_accepted", True)))
    return batches


def _chat_id(row: dict) -> str:
    return row["recipient"].split(":", 1)[1]


def _header(headers: Any, name: str) -> str | None:
    if not headers:
        return None
    with contextlib.suppress(Exception):
        return headers.get(name) or headers.get(name.title())
    return None


def _error_message(exc: ApiException) -> str:
    body = exc.body.decode() if isinstance(exc.body, bytes) else (exc.body or "")
    with contextlib.suppress(ValueError, AttributeError):
        return str(json.loads(body).get("message", "")) or exc.reason or ""
    return body[:200] or str(exc.reason or "")
