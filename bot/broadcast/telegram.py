"""Drains the broadcast outbox to Telegram, within Telegram's limits, recording every result.

Each delivery row goes pending -> sending -> sent / failed. A row found in "sending" after
a restart is marked unknown and listed in the report, never sent again: Telegram has no
idempotency key, so a resend could deliver twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

from telegram import Bot, InputMediaPhoto, InputMediaVideo
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.app import App
from bot.broadcast.limits import Pacer
from bot.broadcast.progress import ProgressReporter
from bot.domain.request import Content, MediaRef
from storage.repositories import Repos

log = logging.getLogger(__name__)
CAPTION_LIMIT = 1024
TEXT_LIMIT = 4096
GONE = ("blocked", "deactivated", "kicked", "not a member", "chat not found")


@dataclass(frozen=True)
class Delivery:
    row_id: int
    request_id: int
    chat_id: str
    is_group: bool
    broadcast_id: int


class TelegramBroadcaster:
    def __init__(self, app: App, bot: Bot, pacer: Pacer | None = None, idle: float = 1.0) -> None:
        self.app = app
        self.bot = bot
        self.pacer = pacer or Pacer()
        self.idle = idle
        self.progress = ProgressReporter(app, bot)
        self._file_ids: dict[str, str] = {}  # sha256 -> Telegram file_id, after the first upload
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def recover(self) -> int:
        """Call once at start: in-flight rows of a crashed run become 'unknown'."""
        async with self.app.db.transaction() as tx:
            return await Repos(tx).broadcasts.abandon_in_flight()

    async def run(self) -> None:
        await self.recover()
        while True:
            try:
                if await self.drain() == 0:
                    await self.progress.finish_done()
            except Exception:
                log.exception("broadcast pass failed; rows stay pending")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.idle)
            self._wake.clear()

    async def drain(self, limit: int = 500) -> int:
        """Send every due delivery (up to `limit`); the number attempted."""
        async with self.app.db.reading() as tx:
            rows = await Repos(tx).outbox.due(self.app.clock.now(), ("broadcast",), limit)
        rows = [row for row in rows if row["recipient"].startswith("telegram:")]
        for row in rows:
            delivery = Delivery(row["id"], row["request_id"], row["recipient"].split(":", 1)[1],
                                row["payload"]["kind"] != "private", row["payload"]["broadcast_id"])
            await self.deliver(delivery)
            await self.progress.update(delivery.broadcast_id)
        return len(rows)

    async def deliver(self, delivery: Delivery) -> None:
        content = await self._content(delivery.request_id)
        plan = sum(len(media) if kind == "album" else 1 for kind, media, _ in _messages_for(content))
        for _ in range(plan):
            await asyncio.sleep(self.pacer.wait(delivery.chat_id, delivery.is_group))
            self.pacer.sent(delivery.chat_id, delivery.is_group)
        await self._mark(delivery.row_id, "sending", {})
        try:
            message_ids = await self._send(delivery.chat_id, content)
        except RetryAfter as exc:
            self.pacer.pause(_seconds(exc.retry_after))
            await self._mark(delivery.row_id, "pending", {"retry_after": _seconds(exc.retry_after)})
        except Forbidden as exc:
            await self._gone(delivery, exc.message)
        except BadRequest as exc:
            if any(word in exc.message.lower() for word in GONE):
                await self._gone(delivery, exc.message)
            else:
                await self._mark(delivery.row_id, "failed", {"reason": exc.message})
        except NetworkError as exc:  # a timeout: it may have arrived, so it is not resent
            await self._mark(delivery.row_id, "unknown", {"reason": f"network: {exc.message}"})
        except TelegramError as exc:
            await self._mark(delivery.row_id, "failed", {"reason": exc.message})
        else:
            await self._mark(delivery.row_id, "sent", {"message_ids": message_ids})

    async def _send(self, chat_id: str, content: Content) -> list[int]:
        sent: list[int] = []
        for kind, media, caption in _messages_for(content):
            if kind == "text":
                message = await self.bot.send_message(chat_id, caption)
                sent.append(message.message_id)
            elif kind == "album":
                messages = await self.bot.send_media_group(chat_id, self._album(media, caption))
                self._remember_album(media, messages)
                sent += [m.message_id for m in messages]
            else:
                sent.append(await self._send_one(chat_id, kind, media[0], caption))
        return sent

    async def _send_one(self, chat_id: str, kind: str, media: MediaRef, caption: str | None) -> int:
        file = self._file_ids.get(media.publish_sha256) or self.app.files.get(media.publish_sha256)
        if kind == "video":
            message = await self.bot.send_video(chat_id, file, caption=caption)
            file_id = message.video.file_id if message.video else None
        else:
            message = await self.bot.send_photo(chat_id, file, caption=caption)
            file_id = message.photo[-1].file_id if message.photo else None
        if file_id:
            self._file_ids[media.publish_sha256] = file_id
        return message.message_id

    def _album(self, media: list[MediaRef], caption: str | None) -> list:
        items = []
        for i, ref in enumerate(media):
            file = self._file_ids.get(ref.publish_sha256) or self.app.files.get(ref.publish_sha256)
            kind = InputMediaVideo if ref.kind == "video" else InputMediaPhoto
            items.append(kind(file, caption=caption if i == 0 else None))
        return items

    def _remember_album(self, media: list[MediaRef], messages) -> None:
        for ref, message in zip(media, messages, strict=False):
            if message.photo:
                self._file_ids[ref.publish_sha256] = message.photo[-1].file_id

    async def _content(self, request_id: int) -> Content:
        async with self.app.db.reading() as tx:
            row = await tx.one(
                "SELECT v.content FROM requests r JOIN request_versions v"
                " ON v.request_id = r.id AND v.version = r.version WHERE r.id = ?",
                (request_id,),
            )
        return Content.model_validate_json(row["content"])

    async def _gone(self, delivery: Delivery, reason: str) -> None:
        """Blocked, deleted or removed: failed now, and no longer a recipient."""
        async with self.app.db.transaction() as tx:
            repos = Repos(tx)
            await repos.outbox.mark(delivery.row_id, "failed", {"reason": reason, "gone": True})
            if not delivery.is_group:
                await repos.subscribers.mark_blocked("telegram", delivery.chat_id, reason)
            else:
                await repos.targets.remove("telegram", delivery.chat_id)

    async def _mark(self, row_id: int, status: str, result: dict) -> None:
        async with self.app.db.transaction() as tx:
            await Repos(tx).outbox.mark(row_id, status, result)


def _messages_for(content: Content) -> list[tuple[str, list[MediaRef], str | None]]:
    """What one recipient receives: the poster(s) with the caption, the caption as text
    after them when it is over Telegram's 1024 characters."""
    caption = content.caption
    fits = len(caption) <= CAPTION_LIMIT
    plan: list[tuple[str, list[MediaRef], str | None]] = []
    if len(content.media) > 1:
        plan.append(("album", content.media, caption if fits else None))
    elif content.media:
        plan.append((content.media[0].kind, content.media, caption if fits else None))
    if not fits or not content.media:
        plan += [("text", [], caption[i:i + TEXT_LIMIT]) for i in range(0, len(caption), TEXT_LIMIT)]
    return plan


def _seconds(value) -> float:
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)
