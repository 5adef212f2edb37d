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

from bot.clock import Clock
from bot.services.outbox import REPLY
from storage.db import Database
from storage.inbox_repos import InboxRow, Incoming
from storage.repositories import Repos

MAX_RESTARTS = 3  # an update in hand at this many starts is taken as the cause of the crashes


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
                await Repos(tx).inbox.handled(row.id)
        await self.db.durable()

    async def failed(self, row: InboxRow, error: str, apology: tuple[str, dict] | None) -> None:
        """The update is given up (its effects were rolled back): say why, and queue the
        apology (recipient, outbox payload) in the same transaction."""
        async with self.db.transaction() as tx:
            repos = Repos(tx)
            await repos.inbox.failed(row.id, error[:500])
            if apology is not None:
                await repos.outbox.add_many(REPLY, [(None, *apology)], self.clock.now())

    async def recover(self, sources: list[str]) -> list[InboxRow]:
        """At start: the rows of `sources` a crash (or a stop) left pending; each chat's oldest
        is counted once more (another platform's wait, uncounted, until it runs again)."""
        async with self.db.transaction() as tx:
            inbox = Repos(tx).inbox
            await inbox.count_restart(sources)
            return [row for row in await inbox.pending() if row.source in sources]

