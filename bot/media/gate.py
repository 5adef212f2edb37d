"""Pillow decodes untrusted images under a small semaphore: a decoded poster holds its
pixels in memory (up to MAX_PIXELS x 4 bytes, some 200 MB), so many posters arriving at
once must not be decoded all at once. One semaphore per event loop (tests run many loops)."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from typing import TypeVar

DECODERS = 2  # at most this many images decoded at a time, process-wide

T = TypeVar("T")
_gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = weakref.WeakKeyDictionary()


def gate() -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    if loop not in _gates:
        _gates[loop] = asyncio.Semaphore(DECODERS)
    return _gates[loop]


async def decode(work: Callable[..., T], *args: object) -> T:
    """Run Pillow work in a thread, once a decoding slot is free."""
    async with gate():
        return await asyncio.to_thread(work, *args)
