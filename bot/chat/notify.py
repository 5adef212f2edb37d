"""Carries the outbox's messages to people on the platform they use: notices (prompts to role
holders, decisions to requesters, reminders, escalations, reports) and replies (the answers
to what a person sent, and edits of cards once someone decided).

Every row is written in the transaction that causes it and sent after it commits. Each
person's (or chat's) messages go out in the order they were queued, several people's side by
side. A row is marked sent after it went out: a crash in between sends that one message
again after the restart (a repeated message beats a lost one; LINE pushes carry a retry key
made from the row, so LINE itself drops the repeat). A notice row is marked with the message
it became, so that when one holder decides, the others' prompts can be edited to say who did.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from datetime import datetime
from typing import Protocol

from bot.app import App
from bot.broadcast.limits import QUEUED_AT
from bot.chat.approvals import Approvals, Decided
from bot.chat.replies import Reply, from_payload
from bot.waiting import rest
from storage.db import utc_text
from storage.lease_repos import Leases
from storage.repositories import Repos

log = logging.getLogger(__name__)
IDLE_SECONDS = 1.0
PEOPLE_AT_ONCE = 32  # whose messages go out side by side; each person's own stay in order
RUN_ROWS = 50  # rows of one chat sent in a row, at most, before the other chats waiting go first
ERROR_PAUSE = 1.0  # after a send failed unexpectedly, before that person's messages are tried again
TRIES = 5  # unexpected failures of one row before it is given up
FETCH = 500  # rows looked at per pass
KINDS = ("notice", "reply")  # the outbox rows it sends
NO_IDENTITY = {"reason": "no identity on a running platform"}


class DeliveryFailed(Exception):
    """The platform refused the message for good (blocked, unknown chat...)."""


class RetryLater(Exception):
    def __init__(self, seconds: float) -> None:
        super().__init__(f"retry after {seconds}s")
        self.seconds = seconds


class Sender(Protocol):
    """One platform's way of putting a Reply in a person's chat."""

    platform: str

    async def send(self, external_id: str, reply: Reply, seed: str | None = None) -> dict:
        """A notice; what it became. `seed` names the outbox row, for platforms that can drop a
        repeated send (LINE's retry key)."""

    async def edit(self, result: dict, reply: Reply) -> None: ...

    async def answer(self, chat: str, replies: list[Reply], row: dict) -> None:
        """The replies of an outbox 'reply' row, in order."""


class Notifier:
    def __init__(self, app: App, approvals: Approvals, senders: dict[str, Sender],
                 at_once: int = PEOPLE_AT_ONCE) -> None:
        self.app = app
        self.approvals = approvals
        self.senders = senders
        self._wake = asyncio.Event()
        self._slots = asyncio.Semaphore(at_once)
        self._queues: dict[str, deque[dict]] = {}
        self._workers: dict[str, asyncio.Task] = {}
        self._taken: set[int] = set()
        self._recent: set[int] = set()  # rows done while a look at the outbox was in flight
        self._tries: dict[int, int] = {}
        self._marks = _SentMarks(app)

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        # a commit's new rows come straight here; with several workers they are claimed first
        # (`dispatch`, woken by the commit), as another worker may hold the same chat
        handed = not self.app.lease.shared
        if handed:
            self.app.db.watch_rows(self.take, KINDS)
        try:
            while True:
                try:
                    await self.dispatch()
                except Exception:  # keep the loop alive; the rows stay pending and are retried
                    log.exception("looking for messages to send failed")
                await rest(self._wake, IDLE_SECONDS)
        finally:
            if handed:
                self.app.db.unwatch_rows(self.take)
            workers = list(self._workers.values())
            for task in workers:
                task.cancel()
            for task in workers:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    async def drain(self) -> int:
        """Send every due message and wait for them; the number taken (for tests)."""
        count = await self.dispatch()
        await asyncio.gather(*list(self._workers.values()), return_exceptions=True)
        return count

    async def dispatch(self) -> int:
        """Hand the due rows not yet in hand to their person's sender; the number handed."""
        # a row done while the read below is in flight may still read as pending: remember it
        self._recent = set()
        return self.take(await self._due())

    def take(self, rows: list[dict]) -> int:
        """Queue rows for their person's worker, unless in hand or just done: those `dispatch`
        read (or claimed), and those a commit hands over as it happens (Database.watch_rows),
        which need not be read back. The number taken."""
        now = self.app.clock.now()
        fresh = [row for row in rows if row["id"] not in self._taken and row["id"] not in self._recent
                 and datetime.fromisoformat(row["due_at"]) <= now]
        for row in fresh:
            self._taken.add(row["id"])
            key = row["recipient"]
            self._queues.setdefault(key, deque()).append(row)
            if key not in self._workers:
                self._workers[key] = asyncio.create_task(self._work(key), name=f"notify {key}")
        return len(fresh)

    async def _due(self) -> list[dict]:
        """The due rows past those in hand: read, or, with several workers (PostgreSQL), claimed
        by chat: a chat another live worker is sending to stays its, so one person's messages
        keep their order whichever worker sends them."""
        # past the rows in hand: a backlog being sent must not hide what was queued after it
        limit = FETCH + len(self._taken)
        lease = self.app.lease
        if not lease.shared:
            async with self.app.db.reading() as tx:
                return await Repos(tx).outbox.due(self.app.clock.now(), KINDS, limit=limit,
                                                  besides=self._taken)
        async with self.app.db.transaction() as tx:
            rows = await Leases(tx, self.app.db.dialect).notices(
                lease.worker, lease.until(), lease.now(), utc_text(self.app.clock.now()), KINDS, limit)
        return [row for row in rows if row["id"] not in self._taken]

    async def _work(self, key: str) -> None:
        queue = self._queues[key]
        try:
            while queue:
                # the rows waiting when the chat got its place go in a row (up to RUN_ROWS), not
                # each queueing again behind every other chat's (a koordinator's cards, one per
                # request); rows queued since then queue again, as another chat's would (kept,
                # a person answering at once kept a place for a whole intake while 200 waited)
                async with self._slots:
                    await self._run(queue, min(len(queue), RUN_ROWS))
        finally:
            self._workers.pop(key, None)
            if not queue:
                self._queues.pop(key, None)

    async def _run(self, queue: deque[dict], rows: int) -> None:
        for _ in range(rows):
            if not queue:
                return
            row = queue[0]
            token = QUEUED_AT.set(self._queued_at(row))
            try:
                delivered = await self._deliver(row)
            except Exception:
                log.exception("sending outbox row %s failed", row["id"])
                delivered = await self._failed_unexpectedly(row)
            finally:
                QUEUED_AT.reset(token)
            if not delivered:  # told to wait: the rest keep their order for a later pass
                for later in queue:
                    self._taken.discard(later["id"])
                queue.clear()
                return
            queue.popleft()
            self._taken.discard(row["id"])
            self._recent.add(row["id"])
            self._tries.pop(row["id"], None)

    def _queued_at(self, row: dict) -> float:
        """When the row became due, on this process's monotonic clock: with several workers the
        budget lets the messages queued first go first (a role holder's cards waiting in a row
        before the replies asked for since), bot/broadcast/shared.py."""
        waited = (self.app.clock.now() - datetime.fromisoformat(row["due_at"])).total_seconds()
        return time.monotonic() - max(0.0, waited)

    async def _failed_unexpectedly(self, row: dict) -> bool:
        """A network error, say: the row stays pending for a later pass, up to TRIES times."""
        tries = self._tries[row["id"]] = self._tries.get(row["id"], 0) + 1
        if tries < TRIES:
            await asyncio.sleep(ERROR_PAUSE)
            return False
        self._tries.pop(row["id"], None)
        await self.app.outgoing.mark(row["id"], "failed", {"reason": f"failed {tries} times"})
        return True

    async def _deliver(self, row: dict) -> bool:
        """Send one row; False if the platform said to wait (it stays pending). Nobody hears
        of a commit that a power cut could still undo: durable first (one fsync for many)."""
        await self.app.db.durable()
        try:
            if row["kind"] == "reply":
                return await self._reply(row)
            return await self._notice(row)
        except RetryLater as exc:
            await asyncio.sleep(exc.seconds)
            return False

    async def _reply(self, row: dict) -> bool:
        platform, chat = row["recipient"].split(":", 1)
        sender = self.senders.get(platform)
        if sender is None:
            await self.app.outgoing.mark(row["id"], "skipped", {"reason": f"{platform} is not running"})
            return True
        payload = row["payload"]
        replies = [from_payload(item) for item in payload["replies"]]
        try:
            if payload["op"] == "edit":
                await sender.edit(payload["target"], replies[0])
            else:
                await sender.answer(chat, replies, row)
        except DeliveryFailed as exc:
            await self.app.outgoing.mark(row["id"], "failed", {"reason": str(exc)})
            return True
        await self._marks.sent(row["id"])
        return True

    async def _notice(self, row: dict) -> bool:
        person_id = int(row["recipient"])
        platform, external_id, lang = await self.address(person_id, row["payload"].get("step_id"))
        if platform is None:
            await self.app.outgoing.mark(row["id"], "skipped", NO_IDENTITY)
            return True
        reply = await self.approvals.notice(row, lang)
        if reply is None:
            await self.app.outgoing.mark(row["id"], "skipped", {"reason": "request moved on"})
            return True
        try:
            result = await self.senders[platform].send(external_id, reply, seed=seed(row))
        except DeliveryFailed as exc:
            await self.app.outgoing.mark(row["id"], "failed", {"reason": str(exc), "platform": platform})
            return True
        await self.app.outgoing.mark(row["id"], "sent", result | {"platform": platform})
        return True

    async def address(self, person_id: int, step_id: str | None = None) -> tuple[str | None, str, str]:
        """(platform, id there, language): the step's own platform where it names one (ISMKI
        confirms on LINE), else the person's preferred platform, else any they have."""
        async with self.app.db.reading() as tx:
            repos = Repos(tx)
            person = await repos.people.get(person_id)
            identities = await repos.people.identities(person_id)
        if person is None:
            return None, "", "id"
        wanted = [self._step_platform(step_id), person["preferred_platform"], *identities]
        for platform in wanted:
            if platform and platform in identities and platform in self.senders:
                return platform, identities[platform], person["language"]
        return None, "", person["language"]

    def _step_platform(self, step_id: str | None) -> str | None:
        if not step_id:
            return None
        try:
            return self.app.flow.step(step_id).platform
        except KeyError:
            return None

    def decided_reply(self, decided: Decided, lang: str) -> Reply:
        step = self.app.flow.step(decided.step_id).name.get(lang)
        return Reply(f"📋 {decided.code}: {step}\n{decided.lines[lang]}")

    async def queue_decided(self, decided: Decided, tapped: tuple[str, dict] | None = None,
                            lang: str = "id") -> None:
        """Every holder's delivered prompt for that step gets edited to say who decided, without
        buttons; so does `tapped` (recipient, message), the card the decider pressed, when it
        is not one of them (a card from /antrian). Queued in the decision's transaction."""
        rows = await self.approvals.prompt_messages(decided.code, decided.step_id, decided.round)
        edits = []
        for row in rows:
            result = row["result"]
            chat = result.get("chat_id", result.get("to"))
            reply = self.decided_reply(decided, row["language"] or "id")
            edits.append((f"{result.get('platform', '')}:{chat}", result, reply))
        if tapped is not None and not any(_same_message(result, tapped[1]) for _, result, _ in edits):
            edits.append((tapped[0], tapped[1], self.decided_reply(decided, lang)))
        await self.app.outgoing.edit(edits)


def seed(row: dict) -> str:
    """What names an outbox row across restarts (and a database made anew): a LINE retry key
    is made from it, so that a send repeated after a crash is dropped by LINE."""
    return f"{row['id']}@{row['created_at']}"


def _same_message(a: dict, b: dict) -> bool:
    return (a.get("chat_id"), a.get("message_id")) == (b.get("chat_id"), b.get("message_id"))


class _SentMarks:
    """Replies are marked sent in batches: each send waits until its own mark committed (so a
    crash repeats at most the messages in flight), but the marks of the sends that finished
    meanwhile share one statement."""

    def __init__(self, app: App) -> None:
        self.app = app
        self._waiting: list[tuple[int, asyncio.Future]] = []
        self._lock = asyncio.Lock()

    async def sent(self, row_id: int) -> None:
        future = asyncio.get_running_loop().create_future()
        self._waiting.append((row_id, future))
        async with self._lock:
            if not future.done():
                batch, self._waiting = self._waiting, []
                try:
                    await self.app.outgoing.sent([row for row, _ in batch])
                except Exception as exc:
                    for _, waiting in batch:
                        waiting.set_exception(exc)
                else:
                    for _, waiting in batch:
                        waiting.set_result(None)
        await future
