"""How the background loops (notices, broadcasts, timers) rest between passes."""

from __future__ import annotations

import asyncio
import contextlib


async def rest(wake: asyncio.Event, seconds: float) -> None:
    """Until woken or `seconds` pass; then the wake is consumed.

    asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancel that lands as
    the wake comes, and the loop would never stop (the bot's shutdown would hang)."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await wake.wait()
    wake.clear()
