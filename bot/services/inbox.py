"""The inbox's writes: storing what the platforms send, and recording how each update ended.

`store` is one statement per batch (a getUpdates answer, a webhook call), committed before
the platform is answered. `handling` is the update's unit of work, which marks the row
handled as its last write, so the mark commits with the update's effects; `failed` runs
after that unit rolled back, in a transaction of its own, with the apology to the person,
so a failing update is answered once and never retried.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.clock import Clock
from bot.services.outbox import REPLY
from storage.db import Database, utc_text
from storage.inbox_repos import InboxClaims, InboxRow, Incoming
from storage.repositories import Repos

MAX_RESTARTS = 3  # an update in hand at this many starts is taken as the cause of the crashes
LEASE = timedelta(seconds=30)  # a chat's claim, renewed every third of it while its worker lives


class AlreadyHandled(Exception):
    """Another worker committed this update first: this unit rolls back, nothing twice."""


@dataclass
class InboxService:
    db: Database
    clock: Clock

    async def store(self, items: list[Incoming]) -> list[InboxRow]:
        """The new ones among `items`, stored; redeliveries are skipped."""
        if not items:
            return []
        async with self.db.statement() as tx:
            return await Repos(tx).inbox.store(items)

    @asynccontextmanager
    async def handling(self, row: InboxRow) -> AsyncIterator[None]:
        """The update's unit of work (storage/unit.py): what the block writes, and the mark
        that the row was handled, commit together when it ends; nothing if it raises. Durable
        when this returns (before Telegram can hear the update is done, or a popup shows):
        the commit itself does not wait for the disk, so other updates' transactions follow
        at once, and one fsync serves them all (Database.durable)."""
        async with self.db.unit():
            yield
            async with self.db.statement() as tx:
                if not await Repos(tx).inbox.handled(row.id):
                    raise AlreadyHandled(row.id)
        await self.db.durable()

    async def failed(self, row: InboxRow, error: str, apology: tuple[str, dict] | None) -> None:
        """The update is given up (its effects were rolled back): say why, and queue the
        apology (recipient, outbox payload) in the same transaction."""
        async with self.db.transaction() as tx:
            repos = Repos(tx)
            if not await repos.inbox.failed(row.id, error[:500]):
                return  # another worker handled it after all: nothing to apologise for
            if apology is not None:
                await repos.outbox.add_many(REPLY, [(None, *apology)], self.clock.now())

    async def recover(self, sources: list[str]) -> list[InboxRow]:
        """At start: the rows of `sources` a crash (or a stop) left pending; each chat's oldest
        is counted once more (another platform's wait, uncounted, until it runs again)."""
        async with self.db.transaction() as tx:
            inbox = Repos(tx).inbox
            await inbox.count_restart(sources)
            return [row for row in await inbox.pending() if row.source in sources]



def _until() -> str:
    """A lease from now: real time (claims are about processes, not the office's clock)."""
    return utc_text(datetime.now(UTC) + LEASE)


@dataclass
class ChatClaims:
    """A chat's updates handled by one worker at a time, whichever stored them (PostgreSQL with
    several workers; storage/inbox_repos.py InboxClaims)."""

    db: Database
    worker: str

    def _claims(self, tx) -> InboxClaims:
        return InboxClaims(tx, self.db.dialect)

    async def claim(self, source: str, chat_key: str) -> int | None:
        """This worker now handles the chat; None if a live worker holds it. Taking a dead
        (or stopped) worker's claim counts a start for the update it had in hand: the
        number of such starts of the chat's oldest update (MAX_RESTARTS), else 0."""
        now = utc_text(datetime.now(UTC))
        async with self.db.transaction() as tx:
            claims = self._claims(tx)
            held = await claims.holder(source, chat_key)
            if held is None:
                return 0 if await claims.add(source, chat_key, self.worker, _until()) else None
            if held.worker != self.worker and held.alive and held.until >= now:
                return None
            await claims.take(source, chat_key, self.worker, _until())
            return await claims.count_restart(source, chat_key) if held.worker != self.worker else 0

    async def release(self, source: str, chat_key: str) -> list[InboxRow]:
        """Let the chat go; if updates of it are pending still (this worker's next ones, or
        stored by another worker while this one held it), keep it and return them, oldest first."""
        async with self.db.statement() as tx:
            if await self._claims(tx).release(source, chat_key, self.worker):
                return []
        return await self.pending(source, chat_key)

    async def pending(self, source: str, chat_key: str) -> list[InboxRow]:
        """The chat's pending updates, oldest first, while this worker holds it (else none)."""
        async with self.db.reading() as tx:
            return await self._claims(tx).pending_held(source, chat_key, self.worker)

    async def renew(self) -> None:
        async with self.db.statement() as tx:
            await self._claims(tx).renew(self.worker, _until())

    async def expire(self) -> None:
        async with self.db.statement() as tx:
            await self._claims(tx).expire(self.worker)

    async def adrift(self, sources: list[str]) -> list[InboxRow]:
        async with self.db.reading() as tx:
            return await self._claims(tx).adrift(sources, self.worker, utc_text(datetime.now(UTC)))
