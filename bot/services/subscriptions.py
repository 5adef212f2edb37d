"""Push-info's audience: people subscribing to audiences, and the channels and groups an
admin registers. Each call is one transaction."""

from __future__ import annotations

from dataclasses import dataclass

from storage.db import Database
from storage.repositories import Repos


@dataclass
class Subscriptions:
    db: Database
    audiences: list[str]  # the flow's audience names

    async def subscribe(self, platform: str, chat_id: str | int, person_id: int | None,
                        chosen: list[str]) -> None:
        async with self.db.transaction() as tx:
            await Repos(tx).subscribers.subscribe(platform, chat_id, person_id, chosen)

    async def stop(self, platform: str, chat_id: str | int) -> bool:
        """No more push-info (the choice of audiences is kept); True if they were subscribed."""
        async with self.db.transaction() as tx:
            return await Repos(tx).subscribers.unsubscribe(platform, chat_id)

    async def follow(self, platform: str, user_id: str | int, person_id: int | None) -> list[str]:
        """Subscribed again with the audiences chosen before, if any were, else all of them;
        the audiences they now have."""
        async with self.db.transaction() as tx:
            repos = Repos(tx)
            current = await repos.subscribers.get(platform, user_id)
            chosen = [a for a in current["audiences"] if a in self.audiences] if current else []
            audiences = chosen or list(self.audiences)
            if person_id is None and current:
                person_id = current["person_id"]
            await repos.subscribers.subscribe(platform, user_id, person_id, audiences)
        return audiences

    async def add_target(self, platform: str, chat_id: str | int, title: str, kind: str,
                         audiences: list[str]) -> None:
        async with self.db.transaction() as tx:
            await Repos(tx).targets.add(platform, chat_id, title, kind, audiences)
