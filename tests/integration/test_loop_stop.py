"""The background loops (notices, push-info broadcasts, deadline timers) stop when cancelled,
even when the cancel lands just as they are woken. asyncio.wait_for on Python 3.11 returns
normally if its awaitable finished in the same tick as the cancel, swallowing the cancel;
a loop that waits with it then never stops, and the bot's shutdown hangs for ever."""

from __future__ import annotations

import asyncio

import pytest
from telegram import Bot

from bot.broadcast.line import LineBroadcaster
from bot.broadcast.telegram import TelegramBroadcaster
from bot.chat.approvals import Approvals
from bot.chat.notify import Notifier
from bot.services.deadlines import Deadlines


class WatchedEvent(asyncio.Event):
    """A wake event that says when the loop is waiting on it."""

    def __init__(self) -> None:
        super().__init__()
        self.waiting = asyncio.Event()

    async def wait(self) -> bool:
        self.waiting.set()
        try:
            return await super().wait()
        finally:
            self.waiting.clear()


LOOPS = [
    pytest.param(lambda app: Notifier(app, Approvals(app), {}), id="notifier"),
    pytest.param(lambda app: TelegramBroadcaster(app, Bot("123456:TEST-TOKEN")), id="broadcaster"),
    pytest.param(lambda app: LineBroadcaster(app, None), id="line-broadcaster"),
    pytest.param(lambda app: Deadlines(app.db, app.flow, app.clock), id="deadlines"),
]


@pytest.mark.parametrize("make", LOOPS)
async def test_a_cancel_that_lands_with_a_wake_stops_the_loop(app, make):
    for ticks in range(8):  # the window is a tick or two wide: try each place it could be
        loop = make(app)
        loop._wake = wake = WatchedEvent()
        task = asyncio.create_task(loop.run())
        await asyncio.wait_for(wake.waiting.wait(), 3)  # idle, waiting to be woken
        loop.wake()
        for _ in range(ticks):
            await asyncio.sleep(0)
        task.cancel()
        done, _ = await asyncio.wait([task], timeout=3)
        if not done:
            task.cancel()  # a second cancel, away from the wake, does stop it
            await asyncio.wait([task], timeout=3)
        assert done, f"the loop ignored a cancel {ticks} ticks after a wake"
        assert task.cancelled()
