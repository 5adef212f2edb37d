"""The one way platform updates are handled: from the inbox, once each, in order per chat.

Receivers (Telegram polling or webhook, the LINE webhook) store what arrives with
`InboxWorker.receive` before they confirm it to the platform; the rows come straight here.
Different chats' updates run concurrently, one chat's in the order they arrived. Each update
runs in a unit of work (storage/unit.py): its state changes, audit events, the messages it
queues and the mark that it was handled commit together, or not at all.

If the handler raises, everything it did is rolled back; the row is then marked failed with
the error, and the person is told once (an apology through the outbox) that their input did
not go through and to send it again. It is not retried: a bug would fail again, forever.
A crash leaves the row pending, handled after the restart; a row that was its chat's oldest
pending one at MAX_RESTARTS starts (so in hand at each crash) is taken as what crashes the
bot, and failed the same way.

Several workers on one PostgreSQL (`Dialect.shared`): a chat's updates are handled by the one
worker holding the chat's claim (bot/services/inbox.py ChatClaims), taken before its first
update is handled and let go only when none of its updates is pending, so the holder also
handles what other workers stored meanwhile, in order. Rows of a chat another live worker
holds are left to it. Every SWEEP_SECONDS each worker looks for pending updates nobody
handles (their worker died: its presence lock is gone, or its lease ran out) and takes them;
at start, that is `recover()`, which never touches a live worker's chats. The mark that a
row was handled is conditional (`status = 'pending'`): if two workers ever held one update,
the second commit rolls back. On SQLite (one process) none of this runs: rows in hand are in
memory, as they always were.

After the outcome is durable (committed, or recorded as failed), the handler's `after`
actions run (a Telegram button's popup); then the receivers hear the row is done (Telegram
polling moves its offset only past done updates).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Protocol

from bot.app import App
from bot.services.inbox import LEASE, MAX_RESTARTS, AlreadyHandled, ChatClaims
from storage.inbox_repos import InboxRow, Incoming

log = logging.getLogger(__name__)
AT_ONCE = 256  # updates handled concurrently (of different chats)
RETRY_SECONDS = 5.0  # when even recording a failure failed (the database is unwell)
HANDLE_SECONDS = 300.0  # an update still in hand after this is failed: a hung download must not
# hold its chat, and Telegram's confirmations, for ever
SWEEP_SECONDS = 1.0  # several workers: how often each looks for updates nobody handles

Action = Callable[[], Awaitable[object]]


@dataclass
class Handling:
    """The update being handled, for the code that handles it."""

    row: InboxRow
    failed: BaseException | None = None  # set by a framework that catches handler errors itself
    ok: bool = False  # its unit of work committed
    after: list[Action] = field(default_factory=list)
    notes: dict[str, object] = field(default_factory=dict)  # the platform adapter's own


_handling: ContextVar[Handling | None] = ContextVar("humas_handling", default=None)


def current() -> Handling | None:
    return _handling.get()


class Source(Protocol):
    """One platform's way of handling its stored updates."""

    source: str

    async def handle(self, row: InboxRow) -> None:
        """Handle one update, inside its unit of work; raise to fail it."""

    def apology(self, row: InboxRow) -> tuple[str, dict] | None:
        """(recipient, outbox payload) telling the sender it failed, if there is someone to tell."""


class InboxWorker:
    def __init__(self, app: App, at_once: int = AT_ONCE, handle_seconds: float = HANDLE_SECONDS) -> None:
        self.app = app
        self.handle_seconds = handle_seconds
        self.sources: dict[str, Source] = {}
        self.ready = asyncio.Event()  # rows left pending by the last run are taken
        self._taken: dict[int, InboxRow] = {}  # stored, not yet done
        self._queues: dict[str, deque[InboxRow]] = {}
        self._workers: dict[str, asyncio.Task] = {}
        self._background: set[asyncio.Task] = set()
        self._slots = asyncio.Semaphore(at_once)
        self._listeners: list[Callable[[InboxRow], None]] = []
        self._idle = asyncio.Event()
        self._idle.set()
        # several workers on one database: chats are claimed (None on SQLite: one process)
        self.claims = ChatClaims(app.db, app.worker_id) if app.db.dialect.shared else None

    def add(self, source: Source) -> None:
        self.sources[source.source] = source

    def on_done(self, listener: Callable[[InboxRow], None]) -> None:
        """Called with each row once it is handled or failed, durably."""
        self._listeners.append(listener)

    async def receive(self, items: list[Incoming]) -> list[InboxRow]:
        """Store a batch (one statement) and take its new rows; committed when this returns."""
        rows = await self.app.inbox.store(items)
        self.take(rows)
        return rows

    def unhandled(self, source: str) -> list[InboxRow]:
        return [row for row in self._taken.values() if row.source == source]

    def take(self, rows: list[InboxRow]) -> None:
        for row in rows:
            if row.id in self._taken or row.source not in self.sources:
                continue
            self._taken[row.id] = row
            self._idle.clear()
            self._queues.setdefault(row.key, deque()).append(row)
            if row.key not in self._workers:
                self._workers[row.key] = asyncio.create_task(self._work(row.key), name=f"inbox {row.key}")

    async def run(self) -> None:
        """Take what the last run left, then keep handling what arrives until cancelled."""
        try:
            await self.recover()
            if self.claims is None:
                await asyncio.Event().wait()
            await self._sweep()
        finally:
            await self._cancel_all()

    async def _sweep(self) -> None:
        """Several workers: take what nobody handles, now and then, and keep this worker's
        claims alive."""
        renewed = time.monotonic()
        while True:
            await asyncio.sleep(SWEEP_SECONDS)
            try:
                if time.monotonic() - renewed > LEASE.total_seconds() / 3:
                    await self.claims.renew()
                    renewed = time.monotonic()
                await self.recover()
            except Exception:
                log.warning("could not look for updates nobody handles", exc_info=True)

    async def recover(self) -> None:
        if self.claims is not None:  # restarts are counted when a chat is claimed (_claim)
            adrift = await self.claims.adrift(list(self.sources))
            self.take([row for row in adrift if row.key not in self._queues])
            self.ready.set()
            return
        rows = await self.app.inbox.recover(list(self.sources))
        for row in rows:
            if row.restarts >= MAX_RESTARTS:
                await self._give_up(row, row.restarts)
        self.take([row for row in rows if row.restarts < MAX_RESTARTS])
        self.ready.set()

    async def _give_up(self, row: InboxRow, restarts: int) -> None:
        error = f"in hand at {restarts} starts of the bot (a crash each time?)"
        log.error("update %s:%s failed: %s", row.source, row.event_id, error)
        await self._record_failure(row, error)
        self._done(row)

    async def wait_idle(self) -> None:
        """Until every row taken so far is done (tests, shutdown)."""
        await self._idle.wait()

    async def stop(self, timeout: float) -> None:  # noqa: ASYNC109
        """Let the updates in hand finish for up to `timeout` seconds, then cancel the rest
        (rolled back: they are handled after the next start, or by another worker, which may
        take this one's chats at once)."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await self.wait_idle()
        await self._cancel_all()
        if self.claims is not None:
            with contextlib.suppress(Exception):
                await self.claims.expire()

    async def _cancel_all(self) -> None:
        tasks = [*self._workers.values(), *self._background]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _work(self, key: str) -> None:
        queue = self._queues[key]
        try:
            if not await self._claim(queue):
                return
            while queue:
                row = queue[0]
                async with self._slots:
                    finished = await self._handle(row)
                if not finished:  # the failure could not even be recorded: try again later
                    await asyncio.sleep(RETRY_SECONDS)
                    continue
                queue.popleft()
                self._done(row)
                await self._next(row, queue)
        finally:
            self._workers.pop(key, None)
            if not queue:
                self._queues.pop(key, None)

    async def _claim(self, queue: deque[InboxRow]) -> bool:
        """Several workers: hold the chat before handling any of its updates; if a live worker
        holds it, its rows are that worker's (they stay pending in the database). Held, the
        chat's pending rows are read back, oldest first: another worker may have stored older
        ones than those this one received."""
        if self.claims is None:
            return True
        first = queue[0]
        while True:
            try:
                restarts = await self.claims.claim(first.source, first.chat_key)
                break
            except Exception:
                log.warning("could not claim chat %s; again in %s s", first.key, RETRY_SECONDS, exc_info=True)
                await asyncio.sleep(RETRY_SECONDS)
        if restarts is None:
            self._replace(queue, [])
            return False
        with contextlib.suppress(Exception):  # else what this worker received, in order
            self._replace(queue, await self.claims.pending(first.source, first.chat_key))
        if queue and restarts >= MAX_RESTARTS:  # what its workers died on, each time
            oldest = queue.popleft()
            await self._give_up(oldest, restarts)
            await self._next(oldest, queue)
        return bool(queue)

    async def _next(self, last: InboxRow, queue: deque[InboxRow]) -> None:
        """Several workers: the chat's pending rows as the database has them, oldest first
        (others may have stored some meanwhile); with none, the chat is let go."""
        if self.claims is None:
            return
        try:
            rows = await self.claims.release(last.source, last.chat_key)
        except Exception:
            log.warning("could not read chat %s's updates; going on with those in hand", last.key,
                        exc_info=True)
            return
        self._replace(queue, rows)

    def _replace(self, queue: deque[InboxRow], rows: list[InboxRow]) -> None:
        keep = {row.id for row in rows}
        for row in queue:
            if row.id not in keep:
                self._forget(row)
        queue.clear()
        for row in rows:
            self._taken[row.id] = row
            self._idle.clear()
            queue.append(row)

    async def _handle(self, row: InboxRow) -> bool:
        """Handle one row to a durable outcome; False if not even a failure could be recorded."""
        source = self.sources[row.source]
        handling = Handling(row)
        token = _handling.set(handling)
        try:
            try:
                async with self.app.inbox.handling(row), asyncio.timeout(self.handle_seconds):
                    await source.handle(row)
                    if handling.failed is not None:
                        raise handling.failed
                handling.ok = True
            except AlreadyHandled:
                log.info("update %s:%s was handled by another worker", row.source, row.event_id)
                return True
            except Exception as error:
                log.error("update %s:%s failed", row.source, row.event_id, exc_info=error)
                if not await self._record_failure(row, f"{type(error).__name__}: {error}"):
                    return False
        finally:
            _handling.reset(token)
        for action in handling.after:  # after the commit; nobody waits for them
            task = asyncio.create_task(_quietly(action()))
            self._background.add(task)
            task.add_done_callback(self._background.discard)
        return True

    async def _record_failure(self, row: InboxRow, error: str) -> bool:
        try:
            await self.app.inbox.failed(row, error, self.sources[row.source].apology(row))
        except Exception:
            log.exception("could not record that update %s:%s failed; it stays pending", row.source,
                          row.event_id)
            return False
        return True

    def _forget(self, row: InboxRow) -> None:
        self._taken.pop(row.id, None)
        if not self._taken:
            self._idle.set()

    def _done(self, row: InboxRow) -> None:
        self._forget(row)
        for listener in self._listeners:
            listener(row)


async def _quietly(awaitable: Awaitable[object]) -> None:
    try:
        await awaitable
    except Exception:
        log.warning("an after-commit action failed", exc_info=True)
