"""Long polling that confirms an update to Telegram only after it was handled and committed.

Telegram's getUpdates `offset` confirms every update below it. python-telegram-bot's
Updater moves it past an update as soon as it is fetched, before any handler ran, so a crash
then loses the update. Here each answer's new updates are stored in the inbox (one
statement), handed to the inbox worker, and the offset sent is the oldest update not yet done
(handled, or failed and answered), so Telegram keeps redelivering until then; updates fetched
again are recognised by id and skipped (the inbox's unique key does the same after a restart).

While an update is in hand, Telegram answers every poll at once (there is an unconfirmed
update), so the next poll waits until one is done, or at most STUCK_WAIT for a slow one (a
poster being checked) so that others' updates keep coming in. With nothing in hand it is a
long poll, whose offset confirms everything done so far.

Several workers on one PostgreSQL: exactly one polls a token (Telegram allows one getUpdates
at a time). `lead()` waits for the token's session advisory lock (storage/sessions.py), held
on a connection of its own; when the polling worker dies, the server lets the lock go and a
waiting worker takes it within moments. What is in hand then comes from the database (any
worker may hold a chat's updates), and a new poller resumes from there: the oldest update
stored and not yet done, else one past the newest stored; updates Telegram sends again are
skipped by their id, so nothing is lost and nothing handled twice.
"""

from __future__ import annotations

import asyncio
import logging
import time

from telegram import Bot, Update
from telegram.error import Conflict, InvalidToken, RetryAfter, TelegramError

from bot.handlers.inbox import InboxWorker
from bot.handlers.telegram.transport import AiohttpRequest, Form
from bot.handlers.telegram.updates import SOURCE, incoming
from bot.waiting import rest
from storage.inbox_repos import Inbox, InboxRow
from storage.sessions import leadership

log = logging.getLogger(__name__)
LONG_POLL = 10  # seconds Telegram holds a poll open when there is nothing to hand over
STUCK_WAIT = 0.25  # longest wait for an update in hand before polling again anyway
POLL_GAP = 0.02  # shortest time between polls while updates are in hand (Telegram answers at once)
LIMIT = 100  # updates per answer (Telegram's maximum)
BACKOFF = (0.5, 1, 2, 5, 10, 30)  # seconds between failed polls


class Poller:
    def __init__(self, bot: Bot, worker: InboxWorker, request: AiohttpRequest | None = None,
                 long_poll: int = LONG_POLL) -> None:
        self.bot = bot
        self.worker = worker
        self.request = request or AiohttpRequest(connection_pool_size=1)
        self.long_poll = long_poll
        self._fetched: set[int] = set()  # fetched, and not yet below a confirmed offset
        self._done = asyncio.Event()
        self._shared = worker.claims is not None  # several workers: what is in hand is in the database
        self._resume = 0  # several workers: where the last poller left off (one past the newest stored)
        worker.on_done(self._on_done)

    def _on_done(self, row: InboxRow) -> None:
        if row.source == SOURCE:
            self._done.set()

    async def in_hand(self) -> list[int]:
        """The updates stored and not yet done: this process's, or (several workers) anyone's."""
        if not self._shared:
            return [int(row.event_id) for row in self.worker.unhandled(SOURCE)]
        async with self.worker.app.db.reading() as tx:
            oldest = await Inbox(tx).oldest_telegram_pending()
        return [] if oldest is None else [int(oldest)]

    async def offset(self) -> int:
        """The oldest update in hand, else one past the newest fetched (0: none yet)."""
        in_hand = await self.in_hand()
        if in_hand:
            return min(in_hand)
        return max(self._fetched) + 1 if self._fetched else self._resume

    async def lead(self) -> None:
        """Several workers: poll while this worker holds the token's lock; wait for it otherwise."""
        lock = leadership(self.worker.app.db, int(self.bot.token.split(":")[0]) % 2**31)
        failures = 0
        try:
            while True:
                try:
                    await self._lead_once(lock)
                    failures = 0
                except Exception as error:  # the database, say: let the lock go, try again
                    wait = BACKOFF[min(failures, len(BACKOFF) - 1)]
                    failures += 1
                    log.warning("polling as the leader stopped (%s); again in %.1f s", error, wait)
                    await lock.release()
                    await asyncio.sleep(wait)
        finally:
            await lock.release()

    async def _lead_once(self, lock) -> None:
        """Wait for the lock, then poll until this process or the lock's connection fails."""
        await lock.acquire()  # waits while another worker polls
        log.info("this worker polls Telegram now")
        await self._resume_point()
        polling = asyncio.create_task(self.run(), name="telegram polling")
        lost = asyncio.create_task(lock.lost(), name="poller lock")
        await asyncio.wait({polling, lost}, return_when=asyncio.FIRST_COMPLETED)
        for task in (polling, lost):
            task.cancel()
        outcome, _ = await asyncio.gather(polling, lost, return_exceptions=True)
        if isinstance(outcome, Exception):
            raise outcome

    async def _resume_point(self) -> None:
        async with self.worker.app.db.reading() as tx:
            newest = await Inbox(tx).newest_telegram()
        self._resume = int(newest) + 1 if newest is not None else 0

    async def run(self) -> None:
        await self.request.initialize()
        try:
            await self.worker.ready.wait()  # the last run's pending updates are in hand
            failures = 0
            while True:
                try:
                    await self.poll_once()
                    failures = 0
                except (InvalidToken, Conflict, TelegramError) as error:
                    wait = _backoff(error, failures)
                    failures += 1
                    log.warning("getUpdates failed (%s); again in %.1f s", error, wait)
                    await asyncio.sleep(wait)
        finally:
            await self.request.shutdown()

    async def poll_once(self) -> None:
        """One getUpdates; then, if updates are in hand, wait for one to be done first."""
        started = time.monotonic()
        offset = await self.offset()
        in_hand = bool(await self.in_hand())
        self._done.clear()
        updates = await self._get(offset, 0 if in_hand else self.long_poll)
        self._fetched = {i for i in self._fetched if i >= offset}
        fresh = [u for u in updates if u["update_id"] not in self._fetched]
        if fresh:
            self._fetched.update(u["update_id"] for u in fresh)
            await self.worker.receive([incoming(u) for u in fresh])
        # several workers: others' updates in hand are not in this process's memory
        if (fresh or in_hand) if self._shared else self.worker.unhandled(SOURCE):
            await rest(self._done, STUCK_WAIT)
            await asyncio.sleep(max(0.0, started + POLL_GAP - time.monotonic()))

    async def confirm(self) -> None:
        """Tell Telegram what is done (on the way out), without waiting for anything new.
        Several workers: not done, another worker may be polling by now (a getUpdates from here
        would cut its poll short); the next poller starts from what the database knows."""
        if not self._fetched or self._shared:
            return
        await self.request.initialize()
        try:
            await self._get(await self.offset(), 0)
        except TelegramError as error:
            log.info("could not confirm the last updates (%s); they come again and are skipped", error)
        finally:
            await self.request.shutdown()

    async def _get(self, offset: int, hold: int) -> list[dict]:
        """One getUpdates; Telegram holds it open up to `hold` seconds if there is nothing."""
        params: dict = {"timeout": hold, "limit": LIMIT, "allowed_updates": Update.ALL_TYPES}
        if offset:
            params["offset"] = offset
        started = time.monotonic()
        result = await self.request.post(f"{self.bot.base_url}/getUpdates", Form(params),
                                         read_timeout=hold + 5.0)
        log.debug("getUpdates(%s) gave %d in %.3f s", offset, len(result), time.monotonic() - started)
        return list(result)


def _backoff(error: TelegramError, failures: int) -> float:
    if isinstance(error, RetryAfter):
        after = error.retry_after
        return after.total_seconds() if hasattr(after, "total_seconds") else float(after)
    return BACKOFF[min(failures, len(BACKOFF) - 1)]
