"""Retention: rows that only served delivery are pruned once they are older than their period,
by a small loop inside the running bot (and once by `humas-bot db prune`).

What goes (HUMAS_RETENTION_DAYS, 30 by default): notices and replies sent, skipped or failed for
good (a notice of a request still open stays: a decision edits the other holders' prompts by
the messages their rows name); fired timers; expired link codes; and a finished broadcast's
deliveries are folded into one row (every delivery kept, compressed; see migration 0012).
Updates handled or failed, with their payload (HUMAS_RETENTION_INBOX_DAYS, 7 by default and at
least 7): the inbox row is what recognises a redelivered update, so it stays as long as Telegram
may deliver it again; after a week without updates Telegram may choose update ids anew, so an
older row could only ever mistake a new update for a repeat.

What stays: requests, every version, the audit log (the SOP record and the report are made from
it), media, broadcasts with their folded deliveries, people, roles, subscribers, drafts and
pending inputs, and the inbox's 'monev' rows (a month reported).

Each batch (BATCH rows) is one short transaction found through an index, with a pause between
batches, so the bot's own writers are never held up for long.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock
from storage.db import Database
from storage.retention_repos import RetentionRepo

log = logging.getLogger(__name__)
BATCH = 500  # rows per transaction
PAUSE = 0.02  # seconds between batches: the update handlers' transactions go first


@dataclass(frozen=True)
class Policy:
    delivered: timedelta = timedelta(days=30)  # notices, replies, timers, codes, deliveries folded
    inbox: timedelta = timedelta(days=7)  # handled updates


@dataclass
class Retention:
    db: Database
    clock: Clock
    policy: Policy = Policy()
    every: float = 3600.0  # seconds between passes of the loop
    batch: int = BATCH
    pause: float = PAUSE

    @classmethod
    def of(cls, app) -> Retention:
        settings = app.settings
        policy = Policy(timedelta(days=settings.retention_days),
                        timedelta(days=settings.retention_inbox_days))
        return cls(app.db, app.clock, policy, every=settings.retention_interval_minutes * 60)

    async def run(self) -> None:
        """Prune now, then every `every` seconds, until cancelled."""
        while True:
            try:
                pruned = await self.prune(self.clock.now())
                if any(pruned.values()):
                    log.info("retention: %s", ", ".join(f"{n} {what}" for what, n in pruned.items() if n))
            except Exception:  # the next pass tries again; nothing is lost by waiting
                log.exception("retention failed")
            await asyncio.sleep(self.every)

    async def prune(self, now: datetime) -> dict[str, int]:
        """Everything past its period at `now`, a batch at a time; how many of each."""
        delivered, updates = now - self.policy.delivered, now - self.policy.inbox
        return {
            "messages": await self._batches(lambda repo: repo.delivered_messages(delivered, self.batch),
                                            RetentionRepo.delete_outbox),
            "updates": await self._inbox(updates),
            "timers": await self._batches(lambda repo: repo.fired_timers(delivered, self.batch),
                                          RetentionRepo.delete_timers),
            "link codes": await self._once(lambda repo: repo.old_link_codes(delivered)),
            "deliveries folded": await self._fold(delivered),
        }

    async def _batches(self, find, delete) -> int:
        total = 0
        while True:
            async with self.db.transaction() as tx:
                repo = RetentionRepo(tx)
                ids = await find(repo)
                await delete(repo, ids)
            total += len(ids)
            if len(ids) < self.batch:
                return total
            await asyncio.sleep(self.pause)

    async def _inbox(self, before: datetime) -> int:
        total, after = 0, 0
        while after is not None:
            async with self.db.transaction() as tx:
                repo = RetentionRepo(tx)
                ids, after = await repo.handled_updates(after, before, self.batch)
                await repo.delete_inbox(ids)
            total += len(ids)
            await asyncio.sleep(self.pause if after is not None else 0)
        return total

    async def _once(self, work) -> int:
        async with self.db.transaction() as tx:
            return await work(RetentionRepo(tx))

    async def _fold(self, before: datetime) -> int:
        """Finished broadcasts' deliveries into one row each, a few broadcasts per transaction."""
        total, per = 0, max(1, self.batch // 50)
        while True:
            async with self.db.reading() as tx:
                found = await RetentionRepo(tx).finished_broadcasts(before, self.batch)
            if not found:
                return total
            folded_now = 0
            for start in range(0, len(found), per):
                async with self.db.transaction() as tx:
                    repo = RetentionRepo(tx)
                    for broadcast_id in found[start:start + per]:
                        folded_now += await repo.fold(broadcast_id)
                await asyncio.sleep(self.pause)
            total += folded_now
            if folded_now == 0:  # what is left cannot be folded yet (a delivery still open)
                return total

    async def due(self, now: datetime) -> dict[str, int]:
        """What a pass at `now` would prune (for `humas-bot db stats`), without pruning."""
        delivered, updates = now - self.policy.delivered, now - self.policy.inbox
        async with self.db.reading() as tx:
            return await RetentionRepo(tx).due(delivered, updates)
