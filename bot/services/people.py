"""Use cases on people: identities, role grants and invite codes."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.flow import Flow
from storage.db import Database
from storage.repositories import Repos

ADMIN = "admin"  # holds no step; may register targets and see reports


class UnknownRole(ValueError):
    pass


@dataclass
class PeopleServices:
    db: Database
    flow: Flow

    def check_role(self, role: str) -> str:
        known = sorted(self.flow.role_ids | {ADMIN})
        if role not in known:
            raise UnknownRole(f"unknown role {role!r} in flow {self.flow.name}; roles: {', '.join(known)}")
        return role

    async def person(
        self, platform: str, external_id: str | int, name: str = "", language: str = "id",
        username: str = "",
    ) -> int:
        async with self.db.transaction() as tx:
            return await Repos(tx).people.ensure(platform, external_id, name, language, username)

    async def grant(self, role: str, platform: str, external_id: str | int, by: str = "cli") -> bool:
        self.check_role(role)
        async with self.db.transaction() as tx:
            repos = Repos(tx)
            person_id = await repos.people.ensure(platform, external_id)
            return await repos.roles.grant(person_id, role, by)

    async def revoke(self, role: str, platform: str, external_id: str | int) -> bool:
        self.check_role(role)
        async with self.db.transaction() as tx:
            repos = Repos(tx)
            person_id = await repos.people.find(platform, external_id)
            return person_id is not None and await repos.roles.revoke(person_id, role)

    async def roles_of(self, person_id: int) -> set[str]:
        async with self.db.reading() as tx:
            return await Repos(tx).roles.of(person_id)

    async def listing(self) -> list[dict]:
        async with self.db.reading() as tx:
            return await Repos(tx).roles.listing()

    async def invite(self, role: str) -> str:
        self.check_role(role)
        async with self.db.transaction() as tx:
            return await Repos(tx).invites.create(role)

    async def redeem(self, code: str, person_id: int) -> str | None:
        """Grant the code's role to the person, once; None for an unknown or used code."""
        async with self.db.transaction() as tx:
            repos = Repos(tx)
            role = await repos.invites.redeem(code, person_id)
            if role is not None:
                await repos.roles.grant(person_id, role, f"invite {code.upper()}")
            return role
