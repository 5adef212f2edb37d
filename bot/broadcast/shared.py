"""The token's budget shared by several workers (PostgreSQL): Telegram's 30 messages a second
hold for all of them together, not for each.

Every message takes its slot from one schedule in the database (storage/budget_repos.py): one
statement moves the token's `next_at` on by the message's share of the second, (1 + SLACK) / 30
s, and says how long to wait for the slot it got. Whichever worker sends, the token's messages
go evenly spaced, at most 30 in any second. SLACK leaves room for the jitter between a slot and
the arrival (a busy moment of the worker, a slower round trip): a message may arrive up to 50 ms
later than the fastest, and one later than that moves the schedule on by the rest (added to
that worker's next statement), so that the next ones leave room behind it. A 429 that must be
the overall limit's pauses the schedule itself, so every worker waits it out.

A chat's own limits (20 a minute to a group, one a second to a private chat in bulk) and the
pauses Telegram asks of one chat are kept by each worker in memory, by the same `Pacer` as on
one process: the workers claim by chat (a person's notices and replies are one worker's at a
time; a broadcast has one delivery per chat), so one chat's messages come from one worker
except when two broadcasts to it run at once; then a 429 for that chat is waited out as ever.

Unlike the in-memory Pacer, a waiting reply does not go before waiting bulk messages: slots are
given in the order asked. Each worker asks for one bulk slot at a time (its broadcaster claims
rows one by one), so a reply waits at most a slot per worker.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque

from bot.broadcast.limits import RTTS_KEPT, Limits, Pacer
from storage.budget_repos import SendSlots

# Of each second left unused (28.6 of 30 messages a second): any second then holds the slots of
# 1.05 s, so messages that arrive up to 50 ms later than the fastest still fit in 30. One later
# than that moves the schedule on by the rest.
SLACK = 0.05
MAX_DELAY = 1.0  # seconds the schedule moves on for one late message, at most


class SharedBudget:
    def __init__(self, slots: SendSlots, limits: Limits | None = None, slack: float = SLACK) -> None:
        self.slots = slots
        self.limits = limits = limits or Limits()
        self.slack = slack
        self.step = (1.0 + slack) / limits.per_second  # seconds of the schedule one message takes
        self.local = Pacer(limits)  # each chat's own limits and pauses, in this worker
        self._next = 0.0  # when this worker's last slot ended (monotonic): a guess at the next
        self._left_late: dict[float, float] = {}  # taken -> how long after its slot it left
        self._owed = 0.0  # seconds of lateness the schedule has yet to make room for
        self._rtts: deque[float] = deque(maxlen=RTTS_KEPT)  # the fastest: the delay every message has

    async def ready_in(self, chat: str, is_group: bool, count: int = 1, *, chat_only: bool = False) -> float:
        own = self.local.wait(chat, is_group, count, chat_only=True)
        if chat_only:
            return own
        return max(own, self._next - time.monotonic())  # the other workers' slots are not known here

    async def take(self, chat: str, is_group: bool, count: int = 1, *, urgent: bool = False) -> float:
        await self._chat_ready(chat, is_group, count, urgent)
        seconds, self._owed = count * self.step + self._owed, 0.0
        wait = max(await self.slots.take(seconds), 0.0)
        slot = time.monotonic() + wait
        self._next = slot + seconds
        if wait > 0:
            await asyncio.sleep(wait)
        await self._chat_ready(chat, is_group, count, urgent)  # another of this worker's went first
        taken = self.local.sent(chat, is_group, count)
        left = self._left_late[taken] = taken - slot
        self._owe(left)  # known now: this worker's next slot makes room for it at once
        return taken

    async def answered(self, chat: str, is_group: bool, taken: float, count: int = 1) -> None:
        """A message that reached Telegram later than its slot (it left late: a busy moment of
        this worker; or took longer than the fastest round trip) arrived among the next ones'
        slots: the schedule leaves that much room behind it, added to this worker's next take
        (no statement of its own)."""
        rtt = time.monotonic() - taken
        left = self._left_late.pop(taken, 0.0)
        self._owe(left + rtt - min(self._rtts, default=rtt), already=left)
        self._rtts.append(rtt)
        await self.local.answered(chat, is_group, taken, count)

    def _owe(self, late: float, already: float = 0.0) -> None:
        """Lateness past the schedule's slack (which absorbs what is less), less what was owed
        for this message before, to be added to this worker's next take."""
        more = max(0.0, late - self.slack) - max(0.0, already - self.slack)
        if more > 0:
            self._owed = min(self._owed + more, MAX_DELAY)

    async def refused(self, chat: str, is_group: bool, retry_after: float, taken: float | None = None,
                      count: int = 1) -> bool:
        self._left_late.pop(taken, None)
        everyone = await self.local.refused(chat, is_group, retry_after, taken, count)
        if everyone:
            await self.slots.pause(retry_after)
        return everyone

    async def _chat_ready(self, chat: str, is_group: bool, count: int, urgent: bool) -> None:
        """Until the chat's own limits and pauses allow, and a pause of every chat heard here (and
        this worker's own sends, a part of the whole, within the overall limit)."""
        # a moment known in advance, no event to wait for
        while (wait := self.local.wait(chat, is_group, count, urgent=urgent)) > 0:  # noqa: ASYNC110
            await asyncio.sleep(wait)

    async def close(self) -> None:
        await self.slots.close()


def budget_for(db, token: str, limits: Limits) -> Pacer | SharedBudget:
    """The token's budget: in memory for one process (SQLite), in the database for several."""
    if not db.dialect.shared:
        return Pacer(limits)
    from storage.budget_repos import token_key

    return SharedBudget(SendSlots(db.engine, token_key(token)), limits)
