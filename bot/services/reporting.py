"""Queueing the monthly monev report: once per month (the inbox remembers each month as a
'monev' row), to the head role's holders and the SOP's evaluating roles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.db import Database, utc_text
from storage.repositories import Repos

SOURCE = "monev"


@dataclass
class MonthlyReports:
    db: Database

    async def queued_before(self, key: str) -> bool:
        async with self.db.reading() as tx:
            return await Repos(tx).inbox.status(SOURCE, key) is not None

    async def had_requests(self, flow: str, before: datetime) -> bool:
        """Whether the office had any request before `before`: months before its first are
        not reported (a new install would greet its head with a month of zeros)."""
        async with self.db.reading() as tx:
            return await tx.scalar("SELECT 1 FROM requests WHERE flow = ? AND submitted_at < ? LIMIT 1",
                                   (flow, utc_text(before))) is not None

    async def queue(self, key: str, payload: dict, report_to: str, evaluators: list[str],
                    now: datetime) -> int:
        """The report notice to every holder of `report_to` and, with the evaluation buttons,
        of the `evaluators` roles; once for `key`. The number queued (0 if it was before)."""
        async with self.db.transaction() as tx:
            repos = Repos(tx)
            if not await repos.inbox.first_time(SOURCE, key):
                return 0
            recipients = {person: False for person in await repos.roles.holders(report_to)}
            for role in evaluators:
                recipients |= {person: True for person in await repos.roles.holders(role)}
            for person_id, evaluates in recipients.items():
                await repos.outbox.add(None, "notice", person_id, payload | {"evaluate": evaluates}, now)
        return len(recipients)
