"""Telegram's sending limits as a pacer: about 30 messages a second overall, 20 a minute to
one group or channel, about one a second to one private chat. The sender asks how long to
wait before a message to a chat, and records each message it sends."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

PRUNE_AT = 4096


@dataclass(frozen=True)
class Limits:
    per_second: int = 30
    group_per_minute: int = 20
    private_interval: float = 1.0


class Pacer:
    def __init__(self, limits: Limits = Limits(), now: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self.now = now
        self._overall: deque[float] = deque()
        self._groups: dict[str, deque[float]] = {}
        self._private: dict[str, float] = {}
        self._paused_until = 0.0

    def wait(self, chat: str, is_group: bool) -> float:
        """Seconds to wait before the next message to `chat` keeps within every limit."""
        now = self.now()
        waits = [self._paused_until - now, _window_wait(self._overall, self.limits.per_second, 1.0, now)]
        if is_group:
            window = self._groups.get(chat, deque())
            waits.append(_window_wait(window, self.limits.group_per_minute, 60.0, now))
        elif chat in self._private:
            waits.append(self._private[chat] + self.limits.private_interval - now)
        return max(0.0, *waits)

    def sent(self, chat: str, is_group: bool) -> None:
        now = self.now()
        self._overall.append(now)
        if is_group:
            self._groups.setdefault(chat, deque()).append(now)
        else:
            self._private[chat] = now
            if len(self._private) > PRUNE_AT:  # a chat last written a while ago limits nothing
                horizon = now - self.limits.private_interval
                self._private = {c: t for c, t in self._private.items() if t > horizon}

    def pause(self, seconds: float) -> None:
        """A 429 said retry after this long: nothing goes out until then."""
        self._paused_until = max(self._paused_until, self.now() + seconds)


def _window_wait(window: deque[float], limit: int, span: float, now: float) -> float:
    while window and window[0] <= now - span:
        window.popleft()
    return window[0] + span - now if len(window) >= limit else 0.0
