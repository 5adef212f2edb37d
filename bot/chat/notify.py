"""Carries outbox notices to people on the platform they use: prompts to role holders,
decisions to requesters, reminders and escalations.

A notice row is marked sent with the message it became, so that when one holder decides,
the others' prompts can be edited to say who did. A crash between sending and marking
sends that one notice again on restart: a repeated notice is better than a lost prompt.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from bot.app import App
from bot.chat.approvals import Approvals, Decided
from bot.chat.replies import Reply
from bot.waiting import rest
from storage.repositories import Repos

log = logging.getLogger(__name__)
IDLE_SECONDS = 1.0
PEOPLE_AT_ONCE = 8  # whose notices go out side by side; each person's own stay in order


class DeliveryFailed(Exception):
    """The platform refused the message for good (blocked, unknown chat...)."""


class RetryLater(Exception):
    def __init__(self, seconds: float) -> None:
        super().__init__(f"retry after {seconds}s")
        self.seconds = seconds


class Sender(Protocol):
    """One platform's way of putting a Reply in a person's chat."""

    platform: str

    async def send(self, external_id: str, reply: Reply) -> dict: ...

    async def edit(self, result: dict, reply: Reply) -> None: ...


class Notifier:
    def __init__(self, app: App, approvals: Approvals, senders: dict[str, Sender]) -> None:
        self.app = app
        self.approvals = approvals
        self.senders = senders
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        while True:
            try:
                await self.drain()
            except Exception:  # keep the loop alive; the row stays pending and is retried
                log.exception("notice delivery failed")
            await rest(self._wake, IDLE_SECONDS)

    async def drain(self) -> int:
        """Send every due notice; the number handled. A burst (a submission prompts every
        holder of the role) goes out to several people at once, not one after another."""
        async with self.app.db.reading() as tx:
            rows = await Repos(tx).outbox.due(self.app.clock.now(), ("notice",), limit=100)
        by_person: dict[str, list[dict]] = {}
        for row in rows:
            by_person.setdefault(row["recipient"], []).append(row)
        slots = asyncio.Semaphore(PEOPLE_AT_ONCE)

        async def in_order(mine: list[dict]) -> None:
            async with slots:
                for row in mine:
                    if not await self._deliver(row):
                        return  # told to wait: the rest keep their order for the next pass

        outcomes = await asyncio.gather(*(in_order(mine) for mine in by_person.values()),
                                        return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, Exception):
                log.error("notice delivery failed", exc_info=outcome)
        return len(rows)

    async def _deliver(self, row: dict) -> bool:
        """Send one notice; False if the platform said to wait (it stays pending)."""
        person_id = int(row["recipient"])
        platform, external_id, lang = await self.address(person_id, row["payload"].get("step_id"))
        if platform is None:
            await self._mark(row["id"], "skipped", {"reason": "no identity on a running platform"})
            return True
        reply = await self.approvals.notice(row, lang)
        if reply is None:
            await self._mark(row["id"], "skipped", {"reason": "request moved on"})
            return True
        try:
            result = await self.senders[platform].send(external_id, reply)
        except RetryLater as exc:
            await asyncio.sleep(exc.seconds)
            return False
        except DeliveryFailed as exc:
            await self._mark(row["id"], "failed", {"reason": str(exc), "platform": platform})
            return True
        await self._mark(row["id"], "sent", result | {"platform": platform})
        return True

    async def address(self, person_id: int, step_id: str | None = None) -> tuple[str | None, str, str]:
        """(platform, id there, language): the step's own platform where it names one (ISMKI
        confirms on LINE), else the person's preferred platform, else any they have."""
        async with self.app.db.reading() as tx:
            repos = Repos(tx)
            person = await repos.people.get(person_id)
            identities = await repos.people.identities(person_id)
        if person is None:
            return None, "", "id"
        wanted = [self._step_platform(step_id), person["preferred_platform"], *identities]
        for platform in wanted:
            if platform and platform in identities and platform in self.senders:
                return platform, identities[platform], person["language"]
        return None, "", person["language"]

    def _step_platform(self, step_id: str | None) -> str | None:
        if not step_id:
            return None
        try:
            return self.app.flow.step(step_id).platform
        except KeyError:
            return None

    def decided_reply(self, decided: Decided, lang: str) -> Reply:
        step = self.app.flow.step(decided.step_id).name.get(lang)
        return Reply(f"📋 {decided.code}: {step}\n{decided.lines[lang]}")

    async def mark_decided(self, decided: Decided) -> list[dict]:
        """Every holder's prompt for that step now says who decided, without buttons; the
        platform results of the messages edited."""
        edited = []
        for row in await self.approvals.prompt_messages(decided.code, decided.step_id, decided.round):
            result = row["result"]
            sender = self.senders.get(result.get("platform", ""))
            if sender is None:
                continue
            async with self.app.db.reading() as tx:
                person = await Repos(tx).people.get(int(row["recipient"]))
            lang = person["language"] if person else "id"
            try:
                await sender.edit(result, self.decided_reply(decided, lang))
                edited.append(result)
            except (DeliveryFailed, RetryLater) as exc:
                log.warning("could not edit a prompt of %s: %s", decided.code, exc)
        return edited

    async def _mark(self, row_id: int, status: str, result: dict) -> None:
        async with self.app.db.statement() as tx:
            await Repos(tx).outbox.mark(row_id, status, result)
