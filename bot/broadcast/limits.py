"""One sending budget per bot token: Telegram's limits, kept by everything that sends with the
token (push-info and its progress messages, notices, replies), so that the bot as a whole
stays inside them.

Telegram's limits (Bot API FAQ): about 30 messages a second in all, 20 a minute to one group or
channel, and, for bulk sending, about one a second to one private chat. A reply of two or three
messages to a person who just wrote may go at once (`urgent`): the one-a-second rule is for
bulk sending (push-info); the overall and group limits hold for everyone.

A sender asks the budget for room (`take`) just before a message goes out; the budget counts
it from that moment. Several senders can wait at once; an urgent one (a reply, a notice) goes
before the bulk senders waiting with it. Bulk messages are spread evenly over the second
rather than sent in bursts of 30. Telegram counts a message when it arrives, some time
after it left; a constant delay shifts every message alike and changes no interval, but one
delayed more than the others (jitter: a slow moment of the network or of either side) arrives
closer to the next ones than it left. So when Telegram's answer comes (`answered`), the message
is counted again from the moment it probably arrived: its departure plus how much longer its
round trip took than the fastest recent one. The 1 s window is `1 + slack` s long for what
jitter remains.

Telegram's 429 says how long to wait (`retry_after`) and nothing else: not which limit was
hit (the Bot API's ResponseParameters hold only `retry_after`; PTB's RetryAfter only that). So
`refused` decides: the refused chat always waits that long; every chat waits too only when
the 429 must be the overall limit's, i.e. when the chat's own limit cannot explain it (the
budget, which counts every message the token sends, saw nothing to that chat lately: within
the group's minute, or `recent_private` seconds for a private chat), or when several chats
were refused within one second.

`Budget` is what senders use; `Pacer` keeps it in this process. A budget shared by several
processes (in the database) can take its place behind the same four methods.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from bisect import bisect_right, insort
from collections import deque
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Protocol

PRUNE_AT = 4096  # chats remembered before the ones that limit nothing any more are forgotten
URGENT_POLL = 0.005  # seconds a bulk sender waits while an urgent one takes the free room
GLOBAL_AFTER = 3  # chats refused within one second: the overall limit, whatever each chat did
PRIVATE_KEPT = 4  # a private chat's last few messages tell its own limit and recent activity
RTTS_KEPT = 64  # recent round trips; the fastest is taken as the delay every message has
BULK_CATCH_UP = 2  # steps of the even schedule a late bulk message may make up


@dataclass(frozen=True)
class Limits:
    per_second: int = 30
    group_per_minute: int = 20
    private_interval: float = 1.0
    group_window: float = 60.0  # seconds of "a minute" (tests shorten it)
    slack: float = 0.01  # seconds added to the 1 s window, for the jitter `answered` cannot see
    recent_private: float = 3.0  # a private chat written to this recently may have hit its own limit


class Budget(Protocol):
    """What senders need from a token's budget."""

    async def ready_in(self, chat: str, is_group: bool, count: int = 1, *, chat_only: bool = False) -> float:
        """Seconds until `count` messages to `chat` keep within every limit (0: now); takes
        nothing. `chat_only`: the chat's own limits and pauses alone (not the overall ones)."""
        ...

    async def take(self, chat: str, is_group: bool, count: int = 1, *, urgent: bool = False,
                   queued: float | None = None) -> float:
        """Wait for room for `count` messages to `chat` and count them as sent now; the moment
        they were counted (give it to `answered` or `refused`). `queued`: when the messages
        were queued (time.monotonic(); None: now)."""
        ...

    async def answered(self, chat: str, is_group: bool, taken: float, count: int = 1) -> None:
        """Telegram answered the messages counted at `taken` (or gave up answering): count them
        from when they probably arrived."""
        ...

    async def refused(self, chat: str, is_group: bool, retry_after: float, taken: float | None = None,
                      count: int = 1) -> bool:
        """Telegram answered the messages counted at `taken` with a 429: they do not count,
        and the chat (or every chat) waits `retry_after` seconds. True if every chat waits."""
        ...


# When the message being sent was queued (time.monotonic()), set by a sender that knows (the
# Notifier: when the outbox row became due). A budget shared by several workers lets a message
# queued earlier go before one queued later (bot/broadcast/shared.py); None: queued now.
QUEUED_AT: ContextVar[float | None] = ContextVar("humas_queued_at", default=None)


def is_group(chat: str | int) -> bool:
    """A group or channel (a negative id or an @username), not a private chat."""
    return str(chat).startswith(("-", "@"))


class Pacer:
    """The budget of one token, in this process."""

    def __init__(self, limits: Limits = Limits(), now: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self.now = now
        self._overall = _Window()
        self._chats: dict[tuple[bool, str], _Window] = {}  # recent messages per chat
        self._paused_until = 0.0  # every chat, after a global 429
        self._chat_paused: dict[tuple[bool, str], float] = {}
        self._refusals: deque[tuple[float, str]] = deque()
        self._rtts: deque[float] = deque(maxlen=RTTS_KEPT)
        self._urgent = 0  # urgent senders waiting for room overall
        self._bulk_next = float("-inf")  # bulk sends go evenly spaced, not in bursts of 30

    # --- the Budget ----------------------------------------------------------------------

    async def ready_in(self, chat: str, is_group: bool, count: int = 1, *, chat_only: bool = False) -> float:
        wait = self.wait(chat, is_group, count, chat_only=chat_only)
        return wait if chat_only else max(wait, self._bulk_next - self.now())

    async def take(self, chat: str, is_group: bool, count: int = 1, *, urgent: bool = False,
                   queued: float | None = None) -> float:
        # `queued` changes nothing here: no room is given ahead of time, so a message does not
        # wait behind every one that asked before it (see bot/broadcast/shared.py)
        while True:
            own = self.wait(chat, is_group, count, urgent=urgent, chat_only=True)
            if own > 0:  # the chat's own limit or pause: nobody else is held up by this wait
                await asyncio.sleep(own)
                continue
            delay = self.wait(chat, is_group, count, urgent=urgent)
            if not urgent:
                delay = max(delay, self._bulk_next - self.now())
            if delay <= 0 and (urgent or not self._urgent):
                taken = self.sent(chat, is_group, count)
                if not urgent:
                    self._space(taken, count)
                return taken
            if not urgent:
                await asyncio.sleep(delay if delay > 0 else URGENT_POLL)
                continue
            self._urgent += 1  # waiting for room overall: the bulk senders let it go first
            try:
                await asyncio.sleep(delay)
            finally:
                self._urgent -= 1

    async def answered(self, chat: str, is_group: bool, taken: float, count: int = 1) -> None:
        rtt = self.now() - taken
        late = rtt - min(self._rtts, default=0.0)  # the first one: as late as its whole round trip
        self._rtts.append(rtt)
        if late > 0:
            self._overall.move(taken, taken + late, count)
            if (is_group, chat) in self._chats:
                self._chats[(is_group, chat)].move(taken, taken + late, count)

    async def refused(self, chat: str, is_group: bool, retry_after: float, taken: float | None = None,
                      count: int = 1) -> bool:
        now = self.now()
        key = (is_group, chat)
        window = self._chats.get(key, _Window())
        if taken is not None:  # Telegram did not count them: neither does the budget
            self._overall.remove(taken, count)
            window.remove(taken, count)
        horizon = self.limits.group_window if is_group else self.limits.recent_private
        explained = window.last > now - horizon
        self._refusals.append((now, chat))
        while self._refusals and self._refusals[0][0] <= now - 1.0:
            self._refusals.popleft()
        widespread = len({refused for _, refused in self._refusals}) >= GLOBAL_AFTER
        until = now + retry_after
        self._chat_paused[key] = max(self._chat_paused.get(key, 0.0), until)
        if explained and not widespread:
            return False
        self._paused_until = max(self._paused_until, until)
        return True

    # --- the limits ----------------------------------------------------------------------

    def wait(self, chat: str, is_group: bool, count: int = 1, *, urgent: bool = False,
             chat_only: bool = False) -> float:
        """Seconds to wait before `count` more messages to `chat` keep within every limit."""
        now = self.now()
        key = (is_group, chat)
        waits = [self._chat_paused.get(key, 0.0) - now]
        if not chat_only:
            waits += [self._paused_until - now,
                      self._overall.wait(self.limits.per_second, 1.0 + self.limits.slack, count, now)]
        window = self._chats.get(key)
        if window:
            if is_group:
                waits.append(window.wait(self.limits.group_per_minute, self.limits.group_window, count, now))
            elif not urgent:
                waits.append(window.last + self.limits.private_interval - now)
        return max(0.0, *waits)

    def _space(self, taken: float, count: int) -> None:
        """Bulk messages follow an even schedule (a burst of 30 at once would reach Telegram
        queued, and the last ones would count late); one that went late leaves the next
        BULK_CATCH_UP steps a little closer, so that small delays do not add up."""
        step = (1.0 + self.limits.slack) / self.limits.per_second
        self._bulk_next = max(self._bulk_next, taken - BULK_CATCH_UP * step) + count * step

    def sent(self, chat: str, is_group: bool, count: int = 1) -> float:
        """Count `count` messages to `chat` as sent now, without waiting (see `take`)."""
        now = self.now()
        self._overall.add(now, count)
        key = (is_group, chat)
        window = self._chats.setdefault(key, _Window())
        window.add(now, count)
        window.expire(now - self.limits.group_window, keep=None if is_group else PRIVATE_KEPT)
        if len(self._chats) > PRUNE_AT:
            self._prune(now)
        return now

    def pause(self, seconds: float) -> None:
        """Nothing goes out for `seconds` (a 429 known to be global)."""
        self._paused_until = max(self._paused_until, self.now() + seconds)

    def _prune(self, now: float) -> None:
        """Forget chats whose messages limit nothing any more, and pauses that ended."""
        private = max(self.limits.recent_private, self.limits.private_interval)
        self._chats = {key: window for key, window in self._chats.items()
                       if window.last > now - (self.limits.group_window if key[0] else private)}
        self._chat_paused = {key: until for key, until in self._chat_paused.items() if until > now}


class _Window:
    """The moments messages were counted at, in order."""

    def __init__(self) -> None:
        self.moments: list[float] = []

    @property
    def last(self) -> float:
        return self.moments[-1] if self.moments else float("-inf")

    def add(self, moment: float, count: int = 1) -> None:
        for _ in range(count):
            insort(self.moments, moment)

    def remove(self, moment: float, count: int = 1) -> None:
        for _ in range(count):
            with contextlib.suppress(ValueError):  # already out of the window
                self.moments.remove(moment)

    def move(self, old: float, new: float, count: int = 1) -> None:
        for _ in range(count):
            if old in self.moments:
                self.moments.remove(old)
                insort(self.moments, new)

    def expire(self, before: float, keep: int | None = None) -> None:
        """Forget moments up to `before`, or all but the last `keep`."""
        cut = bisect_right(self.moments, before)
        if keep is not None:
            cut = max(cut, len(self.moments) - keep)
        del self.moments[:max(cut, 0)]

    def wait(self, limit: int, span: float, count: int, now: float) -> float:
        """Seconds until `count` more fit in a sliding window of `span` seconds holding `limit`.
        An empty window takes any count (as Telegram takes an album of ten)."""
        self.expire(now - span)
        excess = len(self.moments) + count - limit
        if excess <= 0 or not self.moments:
            return 0.0
        return self.moments[min(excess, len(self.moments)) - 1] + span - now
