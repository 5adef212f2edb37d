"""Drains the broadcast outbox to Telegram, within Telegram's limits, recording every result.

Each delivery row goes pending -> sending -> sent / failed. A row found in "sending" after
a restart is marked unknown and listed in the report, never sent again: Telegram has no
idempotency key, so a resend could deliver twice.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from telegram import Bot, InputMediaPhoto, InputMediaVideo
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.app import App
from bot.broadcast.limits import Pacer
from bot.broadcast.progress import ProgressReporter
from bot.domain.request import Content, MediaRef
from bot.services.publishing import posted
from bot.textsplit import split_text, utf16_len
from bot.waiting import rest
from storage.repositories import Repos

log = logging.getLogger(__name__)
CAPTION_LIMIT = 1024
TEXT_LIMIT = 4096
GONE = ("blocked", "deactivated", "kicked", "not a member", "chat not found")
PART_RETRIES = 3  # 429s waited out for a later part of one recipient's messages
Part = tuple[str, list[MediaRef], str | None]  # kind (photo, video, album, text), media, caption


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
        self.progress = ProgressReporter(app, bot, self.pacer)
        self._contents: dict[int, Content] = {}  # request id -> what it publishes (fixed once published)
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
            await rest(self._wake, self.idle)

    async def drain(self, limit: int = 500) -> int:
        """Send every due delivery (up to `limit`); the number attempted."""
        async with self.app.db.reading() as tx:
            rows = await Repos(tx).outbox.due(self.app.clock.now(), ("broadcast",), limit, prefix="telegram:")
        for row in rows:
            delivery = Delivery(row["id"], row["request_id"], row["recipient"].split(":", 1)[1],
                                row["payload"]["kind"] != "private", row["payload"]["broadcast_id"])
            await self.deliver(delivery)
            await self.progress.update(delivery.broadcast_id)
        return len(rows)

    async def deliver(self, delivery: Delivery) -> None:
        """One recipient's messages, each paced just before it goes out. A 429 before anything
        went out puts the row back (sent later, once); one after a part went out is waited out
        on the spot, since putting the row back would send that part twice."""
        content = await self._content(delivery.request_id)
        plan = _messages_for(content)
        await self._pace(delivery)
        await self._mark(delivery.row_id, "sending", {})
        sent: list[int] = []
        try:
            for index, part in enumerate(plan):
                if index:
                    await self._pace(delivery)
                sent += await self._send_part(delivery, part, wait_out=bool(sent))
        except RetryAfter as exc:
            seconds = _seconds(exc.retry_after)
            self.pacer.pause(seconds)
            if sent:
                await self._mark(delivery.row_id, "failed", _partly(sent, exc.message))
            else:
                await self._mark(delivery.row_id, "pending", {"retry_after": seconds})
        except Forbidden as exc:
            await self._gone(delivery, exc.message, sent)
        except BadRequest as exc:
            if any(word in exc.message.lower() for word in GONE):
                await self._gone(delivery, exc.message, sent)
            else:
                await self._mark(delivery.row_id, "failed", _partly(sent, exc.message))
        except NetworkError as exc:  # a timeout: it may have arrived, so it is not resent
            await self._mark(delivery.row_id, "unknown", _partly(sent, f"network: {exc.message}"))
        except TelegramError as exc:
            await self._mark(delivery.row_id, "failed", _partly(sent, exc.message))
        except Exception as exc:  # a bug or a missing file: the row must not stay 'sending'
            log.exception("broadcast row %s failed", delivery.row_id)
            await self._mark(delivery.row_id, "failed", _partly(sent, f"error: {exc!r}"))
        else:
            await self._mark(delivery.row_id, "sent", {"message_ids": sent})

    async def _pace(self, delivery: Delivery) -> None:
        """Wait until one more message to this chat keeps within every limit."""
        await asyncio.sleep(self.pacer.wait(delivery.chat_id, delivery.is_group))

    async def _send_part(self, delivery: Delivery, part: Part, wait_out: bool) -> list[int]:
        """Send one part; the pacer counts it once the call returns (Telegram has seen it by
        then), so the next message's interval is measured from where Telegram measures it."""
        for attempt in range(PART_RETRIES + 1):
            try:
                return await self._send(delivery.chat_id, part)
            except RetryAfter as exc:
                if not wait_out or attempt == PART_RETRIES:
                    raise
                self.pacer.pause(_seconds(exc.retry_after))
                await self._pace(delivery)
            finally:
                for _ in range(len(part[1]) if part[0] == "album" else 1):
                    self.pacer.sent(delivery.chat_id, delivery.is_group)
        raise AssertionError("unreachable")

    async def _send(self, chat_id: str, part: Part) -> list[int]:
        kind, media, caption = part
        if kind == "text":
            return [(await self.bot.send_message(chat_id, caption)).message_id]
        if kind == "album":
            messages = await self.bot.send_media_group(chat_id, self._album(media, caption))
            self._remember_album(media, messages)
            return [m.message_id for m in messages]
        return [await self._send_one(chat_id, kind, media[0], caption)]

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
        if request_id in self._contents:
            return self._contents[request_id]
        if len(self._contents) > 32:
            self._contents.clear()
        async with self.app.db.reading() as tx:
            row = await tx.one(
                "SELECT v.content FROM requests r JOIN request_versions v"
                " ON v.request_id = r.id AND v.version = r.version WHERE r.id = ?",
                (request_id,),
            )
        self._contents[request_id] = posted(self.app.flow, Content.model_validate_json(row["content"]))
        return self._contents[request_id]

    async def _gone(self, delivery: Delivery, reason: str, sent: list[int] | None = None) -> None:
        """Blocked, deleted or removed: failed now, and no longer a recipient."""
        async with self.app.db.transaction() as tx:
            repos = Repos(tx)
            result = {"reason": reason, "gone": True} | ({"message_ids": sent} if sent else {})
            await repos.outbox.mark(delivery.row_id, "failed", result)
            if not delivery.is_group:
                await repos.subscribers.mark_blocked("telegram", delivery.chat_id, reason)
            else:
                await repos.targets.remove("telegram", delivery.chat_id)

    async def _mark(self, row_id: int, status: str, result: dict) -> None:
        async with self.app.db.transaction() as tx:
            await Repos(tx).outbox.mark(row_id, status, result)


def _partly(sent: list[int], reason: str) -> dict:
    """A failure's result; when some messages had gone out, which, so that none is resent."""
    if not sent:
        return {"reason": reason}
    return {"reason": f"partly sent ({len(sent)} messages, then: {reason})", "message_ids": sent,
            "partial": True}


def _messages_for(content: Content) -> list[Part]:
    """What one recipient receives: the poster(s) with the caption, the caption as text
    after them when it is over Telegram's 1024 characters (split between paragraphs)."""
    caption = content.caption
    fits = utf16_len(caption) <= CAPTION_LIMIT
    plan: list[Part] = []
    if len(content.media) > 1:
        plan.append(("album", content.media, caption if fits else None))
    elif content.media:
        plan.append((content.media[0].kind, content.media, caption if fits else None))
    if not fits or not content.media:
        plan += [("text", [], part) for part in split_text(caption, TEXT_LIMIT)]
    return plan


def _seconds(value) -> float:
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)
