"""Firing the timers a step sets: a reminder to the step's role holders at a share of its
time standard and at its deadline, then escalation to the supervising role (or the admin).

Each timer fires once, in the transaction that queues its messages; a timer whose step has
moved on is closed as moot. Timers are rows, so a restart loses none: the loop reloads
the earliest one when it starts.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.domain.engine import Event
from bot.domain.flow import Flow
from bot.domain.worktime import Calendar, working_between
from bot.i18n import t
from bot.services.people import ADMIN
from bot.waiting import rest
from storage.db import Database, utc_text
from storage.repositories import Repos

log = logging.getLogger(__name__)
MAX_SLEEP = 30.0


@dataclass
class Deadlines:
    db: Database
    flow: Flow
    clock: Clock
    monthly: Callable[[datetime], Awaitable[int]] | None = None  # queues the monthly monev report
    calendar: Calendar | None = None  # the flow's working time: how late an escalated step is
    poll: float = MAX_SLEEP
    _wake: asyncio.Event = field(default_factory=asyncio.Event)

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        watch = getattr(self.clock, "on_change", None)  # a clock that jumps (the sandbox's)
        if watch is not None:
            watch(self.wake)
        while True:
            try:
                await self.fire_due()  # its notices wake the senders (Database.watch_queue)
                if self.monthly is not None:
                    await self.monthly(self.clock.now())
            except Exception:
                log.exception("firing timers failed; they stay due")
            await rest(self._wake, await self._sleep())

    async def _sleep(self) -> float:
        async with self.db.reading() as tx:
            nxt = await Repos(tx).timers.next_due()
        if nxt is None:
            return self.poll
        seconds = (nxt - self.clock.now()).total_seconds()
        return min(max(seconds, 0.05), self.poll)

    async def fire_due(self) -> int:
        """Fire every due timer; the number that sent something."""
        now = self.clock.now()
        async with self.db.reading() as tx:
            timers = await Repos(tx).timers.due(now)
        fired = 0
        for timer in timers:
            fired += await self._fire(timer, now)
        return fired

    async def _fire(self, timer: dict, now: datetime) -> int:
        async with self.db.transaction() as tx:
            repos = Repos(tx)
            state = await repos.requests.get(timer["code"])
            current = (state is not None and state.status == "active" and state.step_id == timer["step_id"]
                       and utc_text(state.step_started_at) == timer["step_started_at"])
            if not await repos.timers.fire(timer["id"], "sent" if current else "moot") or not current:
                return 0
            step = self.flow.step(timer["step_id"])
            role = step.role if timer["kind"] != "escalate" else self.flow.escalation_role(step, ADMIN)
            if role is None:  # the top of the hierarchy: a timer from before the flow said so
                return 0
            payload = {"kind": "reminder" if timer["kind"] != "escalate" else "escalation",
                       "code": timer["code"], "step_id": step.id, "role": step.role, "act": timer["kind"],
                       "note": "", "due_at": state.step_due_at.isoformat() if state.step_due_at else ""}
            recipients = await repos.roles.holders(role)
            if role == "requester":
                recipients = [state.requester_id]
            if timer["kind"] == "escalate":
                late = self._late(state.step_due_at or now, now)
                await repos.audit.append(timer["request_id"], Event(
                    "escalate", step.id, state.version, None, "system", now,
                    t("timer.late_note", "id", minutes=_minutes(late)), {"to_role": role}))
            for person_id in recipients:
                await repos.outbox.add(timer["request_id"], "notice", person_id, payload, now)
        return 1

    def _late(self, due: datetime, now: datetime) -> timedelta:
        return working_between(due, now, self.calendar) if self.calendar else max(now - due, timedelta(0))


def _minutes(delta: timedelta) -> int:
    return max(0, int(delta.total_seconds() // 60))
