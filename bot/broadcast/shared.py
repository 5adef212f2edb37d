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

Who goes first. A slot is a moment of the schedule, given when asked for: a message asking
later cannot be put before the slots other workers were given. So:
- bulk (push-info, its progress message) takes a slot only while the schedule is no further
  ahead of now than BULK_AHEAD, in the same statement (else it takes nothing and asks again
  when the schedule has come that close; one bulk message per worker asks at a time): replies
  and notices never queue behind the bulk messages of any worker, as in one process;
- replies and notices take the next slot, first come, first served across the workers;
- each worker gives the slots it holds and has not reached yet to its own waiting messages:
  replies and notices first, then bulk, each in the order they were queued (`queued`: the
  Notifier says when each outbox row became due), not the order they asked. A chat's messages
  go one after another, each asking only once the one before went: a koordinator getting a
  card for each of 200 requests asked for each behind every message asked for since the one
  before. Measured with 200 people writing at once to four workers, the schedule ran 4-8 s
  ahead, so that chat got one message every 5-10 s, and the people whose requests waited for
  that koordinator waited minutes; queued earlier, its cards now take the worker's next slots.
  A worker cannot move its messages before the slots other workers hold: where it holds none
  of a later message, its message waits its turn.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import time
from collections import deque
from dataclasses import dataclass, field

from bot.broadcast.limits import RTTS_KEPT, Limits, Pacer
from storage.budget_repos import UNBOUNDED, SendSlots, token_key

# Of each second left unused (28.6 of 30 messages a second): any second then holds the slots of
# 1.05 s, so messages that arrive up to 50 ms later than the fastest still fit in 30. One later
# than that moves the schedule on by the rest.
SLACK = 0.05
MAX_DELAY = 1.0  # seconds the schedule moves on for one late message, at most
# Bulk takes a slot only while the schedule is no further ahead of now than this (seconds):
# what replies and notices leave. Far enough that bulk alone never lets it run dry while the
# next statement is on its way (a few ms; tens on a loaded machine).
BULK_AHEAD = 0.1
URGENT, BULK = 0, 1  # a worker's waiting messages go by class, then by when they were queued
ROOM_KEPT = 2.0  # seconds the room made for late messages is remembered (see _owe)


@dataclass(eq=False)
class _Waiting:
    """A message of this worker waiting for its slot (monotonic), which may change."""

    rank: tuple[int, float, int]  # (URGENT or BULK, when queued, order asked)
    slot: float
    count: int
    moved: asyncio.Event = field(default_factory=asyncio.Event)


class SharedBudget:
    def __init__(self, slots: SendSlots, limits: Limits | None = None, slack: float = SLACK) -> None:
        self.slots = slots
        self.limits = limits = limits or Limits()
        self.slack = slack
        self.step = (1.0 + slack) / limits.per_second  # seconds of the schedule one message takes
        self.local = Pacer(limits)  # each chat's own limits and pauses, in this worker
        self._next = 0.0  # when this worker's last slot ended (monotonic): a guess at the next
        self._slots_of: dict[float, float] = {}  # taken -> the slot it had (monotonic)
        self._room: deque[tuple[float, float]] = deque()  # (when, seconds) of room made for late ones
        self._bulk = asyncio.Lock()  # the one bulk message of this worker asking
        self._waiting: list[_Waiting] = []  # this worker's messages whose slot is still ahead
        self._asked = itertools.count()
        self._owed = 0.0  # seconds of lateness the schedule has yet to make room for
        self._rtts: deque[float] = deque(maxlen=RTTS_KEPT)  # the fastest: the delay every message has

    async def ready_in(self, chat: str, is_group: bool, count: int = 1, *, chat_only: bool = False) -> float:
        own = self.local.wait(chat, is_group, count, chat_only=True)
        if chat_only:
            return own
        return max(own, self._next - time.monotonic())  # the other workers' slots are not known here

    async def take(self, chat: str, is_group: bool, count: int = 1, *, urgent: bool = False,
                   queued: float | None = None) -> float:
        await self._chat_ready(chat, is_group, count, urgent)
        if not urgent:  # one bulk message of this worker asks at a time, in the order they came
            async with self._bulk:
                wait = await self._slot(count, BULK_AHEAD)
        else:
            wait = await self._slot(count, UNBOUNDED)
        now = time.monotonic()
        rank = (BULK if not urgent else URGENT, now if queued is None else queued, next(self._asked))
        me = _Waiting(rank, now + wait, count)
        self._waiting.append(me)
        self._reorder()
        slot = await self._until_slot(me)
        await self._chat_ready(chat, is_group, count, urgent)  # another of this worker's went first
        taken = self.local.sent(chat, is_group, count)
        self._slots_of[taken] = slot
        self._owe(slot, taken - slot)  # known now: this worker's next slot makes room for it at once
        return taken

    async def _slot(self, count: int, horizon: float) -> float:
        """Seconds until a slot of `count` messages taken within `horizon` begins; asks again
        (about when the schedule will have come that close) until one is."""
        while True:
            if self._next - time.monotonic() > 1.0:
                # room made now would come more than a second after the late messages, in no
                # second with them: it would keep nothing within the limit, only slow the token
                self._owed = 0.0
            seconds, owed = count * self.step + self._owed, self._owed
            self._owed = 0.0
            got = await self.slots.take(seconds, horizon)
            if got.taken:
                self._next = time.monotonic() + got.ahead
                if owed > 0:
                    self._room.append((time.monotonic(), owed))
                return max(got.wait, 0.0)
            self._owed = max(self._owed, owed)  # not made: still owed
            # other workers' bulk askers wake then too: a little spread saves statements that fail
            await asyncio.sleep(got.ahead - horizon + random.uniform(0, self.step))

    def _reorder(self) -> None:
        """This worker's slots not yet reached go to its waiting messages by rank: replies and
        notices, then bulk, each in the order queued (one-message slots only: a slot for an
        album is its own)."""
        singles = [waiting for waiting in self._waiting if waiting.count == 1]
        ranked = sorted(singles, key=lambda waiting: waiting.rank)
        for waiting, slot in zip(ranked, sorted(waiting.slot for waiting in singles), strict=True):
            if waiting.slot != slot:
                waiting.slot = slot
                waiting.moved.set()

    async def _until_slot(self, me: _Waiting) -> float:
        """Until `me`'s slot (which a message of a higher rank asking later may take, `me` taking
        the next of this worker's); the slot it went in."""
        try:
            while (delay := me.slot - time.monotonic()) > 0:
                me.moved.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(me.moved.wait(), delay)
        finally:
            self._waiting.remove(me)
        return me.slot

    async def answered(self, chat: str, is_group: bool, taken: float, count: int = 1) -> None:
        """A message that reached Telegram later than its slot (it left late: a busy moment of
        this worker; or took longer than the fastest round trip) arrived among the next ones'
        slots: the schedule leaves that much room behind it, added to this worker's next take
        (no statement of its own)."""
        rtt = time.monotonic() - taken
        slot = self._slots_of.pop(taken, taken)
        self._owe(slot, taken - slot + rtt - min(self._rtts, default=rtt))
        self._rtts.append(rtt)
        await self.local.answered(chat, is_group, taken, count)

    def _owe(self, slot: float, late: float) -> None:
        """A message that arrived `late` after its slot: room for what the slack does not absorb,
        less the room this worker made since that slot, to be added to its next take. Late
        messages overlap (one slow moment delays every message in flight alike): room for the
        latest of them is room for all, so it is the most owed, not the sum (summed, four
        workers on a loaded machine gave 20 s of a 118 s run to room nobody needed)."""
        now = time.monotonic()
        while self._room and self._room[0][0] < now - ROOM_KEPT:
            self._room.popleft()
        made = sum(room for when, room in self._room if when >= slot)
        more = late - self.slack - made
        if more > 0:
            self._owed = min(max(self._owed, more), MAX_DELAY)

    async def refused(self, chat: str, is_group: bool, retry_after: float, taken: float | None = None,
                      count: int = 1) -> bool:
        self._slots_of.pop(taken, None)
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
    return SharedBudget(SendSlots(db.engine, token_key(token)), limits)
