"""Drains the broadcast outbox to Telegram, within the token's budget, recording every result.

Several deliveries are in flight at once (`in_flight`), so that a real round trip to Telegram
(100-300 ms) does not slow push-info below the 30 messages a second the budget allows. Each
recipient's messages go in order, one recipient per worker; a recipient whose chat must wait
(its own limit, or a 429 for that chat) is set aside until it may, and the others go on.

Each delivery row goes pending -> sending -> sent / failed. It turns "sending" only when the
budget has room for it, just before its first message goes out, so that a crash catches few
rows in flight. A row found in "sending" after a restart is marked unknown and listed in the
report, never sent again: Telegram has no idempotency key, so a resend could deliver twice.
A transient failure (a timeout, a lost connection, a 5xx) puts the row back to pending and it
is tried again after a growing pause, up to `tries` times, then failed with the reason; see
bot/broadcast/errors.py for which failures may have delivered anyway and what is done then.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from dataclasses import dataclass

from telegram import Bot, InputMediaPhoto, InputMediaVideo
from telegram.error import RetryAfter, TelegramError

from bot.app import App
from bot.broadcast.errors import describe, is_gone, is_transient, never_left
from bot.broadcast.limits import Budget, Pacer
from bot.broadcast.marks import Mark, Marks
from bot.broadcast.progress import ProgressReporter
from bot.broadcast.ratelimit import seconds
from bot.domain.request import Content, MediaRef
from bot.services.publishing import posted
from bot.textsplit import split_text, utf16_len
from bot.waiting import rest
from storage.db import utc_text
from storage.lease_repos import Leases
from storage.repositories import Repos

log = logging.getLogger(__name__)
CAPTION_LIMIT = 1024
TEXT_LIMIT = 4096
IN_FLIGHT = 16  # deliveries at once: 30/s at a 300 ms round trip needs 9, plus database time
FETCH = 500  # rows read from the outbox at a time
LOW = 2 * IN_FLIGHT  # rows left in hand when the next ones are read
TRIES = 5  # tries of one delivery that fail transiently before it is failed
BACKOFF = 1.0  # seconds before the second try, doubling after (1, 2, 4, 8)
PART_RETRIES = 3  # 429s waited out for a later part of one recipient's messages
STOP_GRACE = 1.5  # seconds the sends in flight get to finish when the bot stops
TAKEOVER_EVERY = 2.0  # seconds between looks for a dead worker's rows in flight (several workers)
CLAIM_LEAD = 0.05  # seconds before the budget has room that a row is claimed (a database write)
Part = tuple[str, list[MediaRef], str | None]  # kind (photo, video, album, text), media, caption


@dataclass
class Delivery:
    row_id: int
    request_id: int
    chat_id: str
    is_group: bool
    broadcast_id: int
    tries: int = 0  # earlier tries that failed transiently
    unsure: bool = False  # one of them may have been delivered
    last: str = ""  # what the last of them said

    @classmethod
    def of(cls, row: dict) -> Delivery:
        result = row["result"]
        return cls(row["id"], row["request_id"], row["recipient"].split(":", 1)[1],
                   row["payload"]["kind"] != "private", row["payload"]["broadcast_id"],
                   result.get("tries", 0), bool(result.get("unsure")), result.get("last", ""))

    def state(self, **extra) -> dict:
        """What the row's result keeps between tries (and across a restart)."""
        kept: dict = {"tries": self.tries, "last": self.last} if self.tries else {}
        if self.unsure:
            kept["unsure"] = True
        return kept | extra


class Retry(Exception):
    """The delivery goes back to pending, to be tried again after `delay` seconds."""

    def __init__(self, delay: float) -> None:
        super().__init__(delay)
        self.delay = delay


class TelegramBroadcaster:
    def __init__(self, app: App, bot: Bot, budget: Budget | None = None, idle: float = 1.0, *,
                 pacer: Budget | None = None, in_flight: int = IN_FLIGHT, tries: int = TRIES,
                 backoff: float = BACKOFF) -> None:
        self.app = app
        self.bot = bot
        self.budget = budget or pacer or Pacer()  # the token's: replies and notices share it
        self.idle = idle
        self.in_flight = in_flight
        self.tries = tries
        self.backoff = backoff
        self.progress = ProgressReporter(app, bot, self.budget)
        self._contents: dict[int, Content] = {}  # request id -> what it publishes (fixed once published)
        self._file_ids: dict[str, str] = {}  # sha256 -> Telegram file_id, after the first upload
        self._upload = asyncio.Lock()  # a poster is uploaded once; the other sends wait for its id
        self._gate = asyncio.Lock()  # rows turn "sending" one at a time, as the budget has room
        self._marks = Marks(app)  # outcomes written together when they come in together
        self._wake = asyncio.Event()
        self._queue: deque[Delivery] = deque()
        self._in_hand: set[int] = set()  # row ids taken from the outbox and not done yet
        self._workers: set[asyncio.Task] = set()
        self._parked: set[asyncio.TimerHandle] = set()
        self._changed = asyncio.Event()  # for drain(): the queue ran low, or nothing is in hand
        self._stopping = False
        self._next_takeover = 0.0  # when to look for a dead worker's rows in flight next

    @property
    def pacer(self) -> Budget:
        """The budget, under its older name."""
        return self.budget

    def wake(self) -> None:
        self._wake.set()

    async def recover(self) -> int:
        """In-flight rows of a crashed run become 'unknown': at start, of this process's last
        run; with several workers (PostgreSQL), every few seconds, of the workers whose claims
        ended (dead ones), never a live worker's."""
        lease = self.app.lease
        async with self.app.db.transaction() as tx:
            return await Repos(tx).broadcasts.abandon_in_flight(
                expired=lease.expired() if lease.shared else None)

    async def _take_over(self) -> None:
        """Several workers: a dead worker's rows in flight become unknown once its claims end
        (its pending rows are simply claimed again by `_fill`)."""
        now = time.monotonic()
        if self.app.lease.shared and now >= self._next_takeover:
            self._next_takeover = now + TAKEOVER_EVERY
            await self.recover()

    async def run(self) -> None:
        await self.recover()
        try:
            while True:
                try:
                    await self._take_over()
                    await self._fill()
                    if not self._in_hand:
                        await self.progress.finish_done()
                except Exception:
                    log.exception("broadcast pass failed; rows stay pending")
                await rest(self._wake, self.idle)
        finally:
            await self._stop()

    async def drain(self, limit: int = FETCH) -> int:
        """Send every due delivery, `in_flight` at a time, and wait until none is left in hand;
        the number taken. What `run` does, for tests and benchmarks."""
        taken = 0
        while True:
            self._changed.clear()
            taken += await self._fill(limit)
            if not self._in_hand:
                return taken
            await self._changed.wait()

    # --- the pipeline ----------------------------------------------------------------------

    async def _fill(self, limit: int = FETCH) -> int:
        """Take due rows not in hand yet into the queue, when it runs low; the number taken."""
        if len(self._queue) >= LOW or self._stopping:
            return 0
        rows = await self._due(limit + len(self._in_hand))
        fresh = [Delivery.of(row) for row in rows if row["id"] not in self._in_hand][:limit]
        for delivery in fresh:
            self._in_hand.add(delivery.row_id)
            self._queue.append(delivery)
        self._spawn()
        return len(fresh)

    async def _due(self, limit: int) -> list[dict]:
        """Due rows (those in hand among them): read, or, with several workers, claimed (rows
        another live worker holds are not)."""
        lease = self.app.lease
        if not lease.shared:
            async with self.app.db.reading() as tx:
                return await Repos(tx).outbox.due(self.app.clock.now(), ("broadcast",), limit,
                                                  prefix="telegram:")
        async with self.app.db.statement() as tx:
            return await Leases(tx, self.app.db.dialect).deliveries(
                lease.worker, lease.until(), lease.now(), utc_text(self.app.clock.now()), "telegram:", limit)

    def _spawn(self) -> None:
        while len(self._workers) < min(self.in_flight, len(self._queue)) and not self._stopping:
            task = asyncio.create_task(self._work(), name="telegram broadcast")
            self._workers.add(task)
            task.add_done_callback(self._workers.discard)

    async def _work(self) -> None:
        while self._queue and not self._stopping:
            delivery = self._queue.popleft()
            if len(self._queue) < LOW:
                self._running_low()
            await self._handle(delivery)

    def _running_low(self) -> None:
        self._changed.set()
        self._wake.set()

    async def _handle(self, delivery: Delivery) -> None:
        """One delivery, or set it aside until its chat may be written to (or its retry is due)."""
        done = True
        try:
            own = await self.budget.ready_in(delivery.chat_id, delivery.is_group, chat_only=True)
            if own > 0:
                self._park(delivery, own)
                done = False
            else:
                await self.deliver(delivery)
        except Retry as retry:
            self._park(delivery, retry.delay)
            done = False
        except Exception:  # a database error, say: the row stays as it is, for a later pass
            log.exception("broadcast row %s", delivery.row_id)
        try:
            await self.progress.update(delivery.broadcast_id)  # the report, after the last row
        except Exception:  # progress is a courtesy; the next delivery or pass tries again
            log.exception("broadcast %s: progress", delivery.broadcast_id)
        finally:
            if done:  # only now: drain() returns once the report of what it sent went out
                self._done(delivery)

    def _park(self, delivery: Delivery, delay: float) -> None:
        def back() -> None:
            self._parked.discard(handle)
            if not self._stopping:
                self._queue.append(delivery)
                self._spawn()

        handle = asyncio.get_running_loop().call_later(delay, back)
        self._parked.add(handle)

    def _done(self, delivery: Delivery) -> None:
        self._in_hand.discard(delivery.row_id)
        if not self._in_hand:
            self._running_low()

    async def _stop(self) -> None:
        """Stopping: nothing new starts; the sends in flight get STOP_GRACE to finish, so that
        their rows are marked rather than left unknown."""
        self._stopping = True
        for handle in self._parked:
            handle.cancel()
        workers = list(self._workers)
        if workers:
            await asyncio.wait(workers, timeout=STOP_GRACE)
        for task in workers:
            task.cancel()
        for task in workers:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    # --- one delivery ----------------------------------------------------------------------

    async def deliver(self, delivery: Delivery) -> None:
        """One recipient's messages, each given room by the budget just before it goes out.
        Raises Retry when the row went back to pending (a 429 or a transient failure before
        anything went out); after a part went out, later parts are retried on the spot, since
        putting the row back would send that part twice."""
        try:
            plan = _messages_for(await self._content(delivery.request_id))
        except Exception as exc:  # a request that cannot be read: trying again will not help
            log.exception("broadcast row %s: no content", delivery.row_id)
            await self._mark(delivery, "failed", {"reason": f"error: {exc!r}"}, was="pending")
            return
        media = [ref for _, refs, _ in plan for ref in refs]
        if self._uploads(media):  # the first send uploads the poster; the others wait for its file_id
            async with self._upload:
                if self._uploads(media):
                    await self._deliver(delivery, plan)
                    return
        await self._deliver(delivery, plan)

    async def _deliver(self, delivery: Delivery, plan: list[Part]) -> None:
        taken: float | None = await self._claim(delivery, plan[0])
        if taken is None:
            return  # no longer pending (taken or finished elsewhere), or the bot is stopping
        sent: list[int] = []
        try:
            for part in plan:
                sent += await self._send_part(delivery, part, after=bool(sent), taken=taken)
                taken = None  # the next part takes its own room
        except RetryAfter as exc:
            await self._refused(delivery, sent, exc)
        except TelegramError as exc:
            await self._failed(delivery, sent, exc)
        except Exception as exc:  # a bug or a missing file: the row must not stay 'sending'
            log.exception("broadcast row %s failed", delivery.row_id)
            await self._mark(delivery, "failed", _partly(sent, f"error: {exc!r}"))
        else:
            extra = {"maybe_twice": True} if delivery.unsure else {}
            await self._mark(delivery, "sent", delivery.state(message_ids=sent, **extra))

    async def _refused(self, delivery: Delivery, sent: list[int], exc: RetryAfter) -> None:
        if sent:  # the chat kept refusing a later part
            await self._mark(delivery, "failed", _partly(sent, exc.message))
            return
        await self._mark(delivery, "pending", delivery.state(retry_after=seconds(exc.retry_after)))
        raise Retry(0.0)  # the budget keeps the chat (or everyone) waiting as long as asked

    async def _failed(self, delivery: Delivery, sent: list[int], exc: TelegramError) -> None:
        reason = describe(exc)
        if is_gone(exc):
            await self._gone(delivery, reason, sent)
        elif not is_transient(exc) or sent:
            await self._mark(delivery, "failed", _partly(sent, reason, delivery))
        else:
            delivery.tries += 1
            delivery.unsure |= not never_left(exc)
            delivery.last = reason
            if delivery.tries >= self.tries:
                await self._mark(delivery, "failed", _gave_up(delivery, reason))
                return
            log.warning("broadcast row %s, try %d: %s", delivery.row_id, delivery.tries, reason)
            await self._mark(delivery, "pending", delivery.state())
            raise Retry(self.backoff * 2 ** (delivery.tries - 1))

    async def _send_part(self, delivery: Delivery, part: Part, after: bool,
                         taken: float | None = None) -> list[int]:
        """Send one part when the budget has room (`taken`: room taken already). After an
        earlier part went out, a 429 or a transient failure is waited out here (a few times),
        not by putting the row back."""
        count = _count(part)
        refusals = failures = 0
        while True:
            if taken is None:
                taken = await self.budget.take(delivery.chat_id, delivery.is_group, count)
            try:
                ids = await self._send(delivery.chat_id, part)
            except RetryAfter as exc:
                await self.budget.refused(delivery.chat_id, delivery.is_group, seconds(exc.retry_after),
                                          taken, count)
                refusals += 1
                if not after or refusals > PART_RETRIES:
                    raise
            except TelegramError as exc:
                await self.budget.answered(delivery.chat_id, delivery.is_group, taken, count)
                failures += 1
                if not after or not is_transient(exc) or failures >= self.tries:
                    raise
                delivery.unsure |= not never_left(exc)
                delivery.tries, delivery.last = delivery.tries + 1, describe(exc)
                await asyncio.sleep(self.backoff * 2 ** (failures - 1))
            else:
                await self.budget.answered(delivery.chat_id, delivery.is_group, taken, count)
                return ids
            taken = None

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

    def _uploads(self, media: list[MediaRef]) -> bool:
        return any(ref.publish_sha256 not in self._file_ids for ref in media)

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
            elif message.video:
                self._file_ids[ref.publish_sha256] = message.video.file_id

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

    # --- the row ---------------------------------------------------------------------------

    async def _claim(self, delivery: Delivery, first: Part) -> float | None:
        """When the budget has room for the first message: pending -> sending (with the
        broadcast's counters), then the room is taken; the moment it was (None if the row was
        not pending any more, or the bot is stopping). One worker at a time, CLAIM_LEAD before
        the room is there: so a row turns "sending" only as it goes out (a crash catches just the
        sends in flight), the write does not delay the message, and the budget counts a message
        as it leaves, not a database write before."""
        count = _count(first)
        async with self._gate:
            wait = await self.budget.ready_in(delivery.chat_id, delivery.is_group, count)
            await asyncio.sleep(max(0.0, wait - CLAIM_LEAD))  # the claim's write overlaps the rest
            if self._stopping:
                return None
            lease = self.app.lease  # with several workers: only while the row is still this one's
            async with self.app.db.statement() as tx:  # one statement: both unfinished, no count moves
                moved = await Repos(tx).broadcasts.move(delivery.broadcast_id, [delivery.row_id], "sending",
                                                        delivery.state(), only_if="pending",
                                                        owner=lease.worker if lease.shared else None)
            if not moved:
                return None
            return await self.budget.take(delivery.chat_id, delivery.is_group, count)

    async def _gone(self, delivery: Delivery, reason: str, sent: list[int] | None = None) -> None:
        """Blocked, deleted or removed: failed now, and no longer a recipient."""
        async with self.app.db.transaction() as tx:
            repos = Repos(tx)
            result = {"reason": reason, "gone": True} | ({"message_ids": sent} if sent else {})
            await repos.broadcasts.move(delivery.broadcast_id, [delivery.row_id], "failed", result,
                                        only_if="sending")
            if not delivery.is_group:
                await repos.subscribers.mark_blocked("telegram", delivery.chat_id, reason)
            else:
                await repos.targets.remove("telegram", delivery.chat_id)

    async def _mark(self, delivery: Delivery, status: str, result: dict, was: str = "sending") -> None:
        await self._marks.mark(Mark(delivery.broadcast_id, delivery.row_id, status, result, was))


def _count(part: Part) -> int:
    """Messages a part is to Telegram's limits: an album counts each of its media."""
    return len(part[1]) if part[0] == "album" else 1


def _partly(sent: list[int], reason: str, delivery: Delivery | None = None) -> dict:
    """A failure's result; when some messages had gone out, which, so that none is resent."""
    kept = delivery.state() if delivery else {}
    if not sent:
        return kept | {"reason": reason}
    return kept | {"reason": f"partly sent ({len(sent)} messages, then: {reason})", "message_ids": sent,
                   "partial": True}


def _gave_up(delivery: Delivery, reason: str) -> dict:
    """Failed after `tries` transient failures; whether one of them may have arrived."""
    text = f"no answer after {delivery.tries} tries, last: {reason}"
    if delivery.unsure:
        text += " (Telegram may have received one of them)"
    return delivery.state(reason=text)


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
