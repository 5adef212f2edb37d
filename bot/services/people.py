"""Use cases on people: identities, role grants and invite codes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from bot.domain.flow import Flow
from storage.db import Database
from storage.repositories import Repos
from storage.security_repos import clean_code

ADMIN = "admin"  # holds no step; may register targets and see reports
LINK_CODE_LIFETIME = timedelta(minutes=15)
INVITE_LIFETIME = timedelta(days=7)  # the default; HUMAS_INVITE_DAYS or `invite --days`
PLATFORMS = ("telegram", "line")
# Wrong invite or link codes: the first few are typos; then each try waits twice as long as
# the last, from a minute up to a day. Kept in the database, so a restart resets nothing.
FREE_TRIES = 5
FIRST_WAIT = timedelta(minutes=1)
LONGEST_WAIT = timedelta(days=1)


def wait_after(failures: int) -> timedelta:
    """How long the next try must wait after this many wrong codes in a row."""
    if failures < FREE_TRIES:
        return timedelta(0)
    return min(FIRST_WAIT * 2 ** min(failures - FREE_TRIES, 20), LONGEST_WAIT)


@dataclass(frozen=True)
class Redeemed:
    """What `/gabung KODE` did."""

    outcome: Literal["joined", "bad_code", "blocked"]
    role: str | None = None
    until: datetime | None = None  # no code is tried before then (blocked, or after this failure)


@dataclass(frozen=True)
class Linked:
    """What `/tautkan KODE` did; `person_id` is who the writer is now."""

    outcome: Literal["linked", "same", "bad_code", "conflict", "blocked"]
    person_id: int | None = None
    platforms: tuple[str, ...] = ()  # the person's platforms, after linking
    conflict: str = ""  # the platform both people have an account on
    until: datetime | None = None  # blocked: no code is tried before then


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
        return (await self.meet(platform, external_id, name, language, username))["id"]

    async def meet(
        self, platform: str, external_id: str | int, name: str = "", language: str = "id",
        username: str = "",
    ) -> dict:
        """The person (a people row) behind a platform identity, created on first sight, with
        the name the platform now gives. Known and unchanged, as for nearly every update,
        it is one read and no write."""
        async with self.db.reading() as tx:
            person = await Repos(tx).people.find_ahead(platform, external_id)
        if person is not None and (not name or person["name"] == name):
            return person
        async with self.db.transaction() as tx:
            return await Repos(tx).people.meet(platform, external_id, name, language, username)

    async def known(self, platform: str, external_id: str | int) -> dict | None:
        """The person behind a platform identity, if known; never writes."""
        async with self.db.reading() as tx:
            return await Repos(tx).people.find_person(platform, external_id)

    async def set_language(self, person_id: int, language: str) -> None:
        async with self.db.statement() as tx:
            await Repos(tx).people.set_language(person_id, language)

    async def expect_input(self, person_id: int, kind: str, data: dict) -> None:
        """The person's next message answers this (a reason, an upload, a link, a choice in
        progress); it replaces whatever was expected before."""
        async with self.db.transaction() as tx:
            await Repos(tx).pending.set(person_id, kind, data)

    async def clear_input(self, person_id: int) -> None:
        async with self.db.statement() as tx:
            await Repos(tx).pending.clear(person_id)

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

    async def invite(self, role: str, now: datetime, lifetime: timedelta = INVITE_LIFETIME) -> str:
        """A one-time code (64 bits) that grants `role` until it expires."""
        self.check_role(role)
        async with self.db.transaction() as tx:
            return await Repos(tx).invites.create(role, now, now + lifetime)

    async def invites(self) -> list[dict]:
        async with self.db.reading() as tx:
            return await Repos(tx).invites.listing()

    async def revoke_invite(self, code: str, now: datetime) -> bool:
        async with self.db.transaction() as tx:
            return await Repos(tx).invites.revoke(code, now)

    async def redeem(self, code: str, person_id: int, now: datetime) -> Redeemed:
        """Grant the code's role to the person, once. A wrong code counts against the person;
        after a few, they wait before the next is even looked at."""
        async with self.db.transaction() as tx:
            repos = Repos(tx)
            if until := await blocked_until(repos, person_id, now):
                return Redeemed("blocked", until=until)
            role = await repos.invites.redeem(code, person_id, now)
            if role is None:
                return Redeemed("bad_code", until=await count_failure(repos, person_id, now))
            await repos.roles.grant(person_id, role, f"invite {clean_code(code)}")
            await repos.attempts.reset(person_id)
            return Redeemed("joined", role)

    async def link_code(self, person_id: int, platform: str, now: datetime) -> str:
        async with self.db.transaction() as tx:
            return await Repos(tx).people.new_link_code(person_id, platform, now, now + LINK_CODE_LIFETIME)

    async def link(self, code: str, platform: str, external_id: str | int, now: datetime) -> Linked:
        """Move the identity typing the code (and all its person has: requests, roles, draft)
        onto the code's person, in one transaction. Refused, and the code kept, when both
        people already have an account on the same platform: one account per platform."""
        try:
            async with self.db.transaction() as tx:
                repos = Repos(tx)
                people = repos.people
                source = await people.find(platform, external_id)
                if source is not None and (until := await blocked_until(repos, source, now)):
                    return Linked("blocked", source, until=until)
                target = await people.use_link_code(code, f"{platform}:{external_id}", now)
                if target is None:
                    until = await count_failure(repos, source, now) if source is not None else None
                    return Linked("bad_code", source, until=until)
                if source is not None:
                    await repos.attempts.reset(source)
                if source == target:
                    return Linked("same", target, tuple(await people.identities(target)))
                theirs = await people.identities(target)
                mine = await people.identities(source) if source is not None else {platform: ""}
                clash = next((p for p in mine if p in theirs), "")
                if clash:
                    raise _Undo(Linked("conflict", source, conflict=clash))
                if source is None:
                    source = await people.ensure(platform, external_id)
                await people.merge(source, target)
                return Linked("linked", target, tuple(await people.identities(target)))
        except _Undo as undo:
            return undo.linked

    async def prefer(self, person_id: int, platform: str) -> bool:
        """Notices go to `platform` first; False if the person has no account there."""
        async with self.db.transaction() as tx:
            people = Repos(tx).people
            if platform not in await people.identities(person_id):
                return False
            await people.set_preferred(person_id, platform)
            return True


async def blocked_until(repos: Repos, person_id: int, now: datetime) -> datetime | None:
    """Until when this person may not try another code; None if they may now."""
    _, until = await repos.attempts.get(person_id)
    return until if until is not None and until > now else None


async def count_failure(repos: Repos, person_id: int, now: datetime) -> datetime | None:
    """One more wrong code; until when the next one must wait (None: it need not)."""
    failures, _ = await repos.attempts.get(person_id)
    wait = wait_after(failures + 1)
    until = now + wait if wait else None
    await repos.attempts.failed(person_id, failures + 1, until, now)
    return until


class _Undo(Exception):
    """Roll the transaction back and answer this instead."""

    def __init__(self, linked: Linked) -> None:
        super().__init__(linked.outcome)
        self.linked = linked
