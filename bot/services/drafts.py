"""The intake's drafts: one per person, saved at every answer, so that nothing given is lost."""

from __future__ import annotations

from dataclasses import dataclass

from storage.db import Database
from storage.repositories import Repos


@dataclass
class Drafts:
    db: Database

    async def save(self, person_id: int, platform: str, question: str, data: dict) -> None:
        async with self.db.statement() as tx:  # one upsert
            await Repos(tx).drafts.save(person_id, platform, question, data)

    async def drop(self, person_id: int) -> None:
        """The person's form in progress is gone (say a revision that can no longer be sent)."""
        async with self.db.statement() as tx:  # one delete
            await Repos(tx).drafts.delete(person_id)

    async def cancel(self, person_id: int, inputs: tuple[str, ...]) -> tuple[bool, tuple[str, dict] | None]:
        """Drop the draft, and an expected input of one of the `inputs` kinds (a reason, a
        file, a link a tapped button asked for). (whether there was a draft, the input dropped)."""
        async with self.db.transaction() as tx:
            repos = Repos(tx)
            draft = await repos.drafts.get(person_id)
            pending = await repos.pending.get(person_id)
            dropped = pending if pending is not None and pending[0] in inputs else None
            if dropped:
                await repos.pending.clear(person_id)
            if draft:
                await repos.drafts.delete(person_id)
        return draft is not None, dropped
