"""Ports on 127.0.0.1 for the servers a test starts: a free one, and waiting until one listens."""

from __future__ import annotations

import asyncio
import socket


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def listening(port: int, timeout: float = 5.0, pause: float = 0.02) -> None:  # noqa: ASYNC109
    """Wait until something accepts connections on the port (OSError after `timeout`)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            if loop.time() > deadline:
                raise
            await asyncio.sleep(pause)
            continue
        writer.close()
        await writer.wait_closed()
        return
