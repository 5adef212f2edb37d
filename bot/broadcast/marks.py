"""Deliveries marked with their outcome, several in one transaction.

With many sends in flight, their answers come in close together; each would take the
database's write lock for a transaction of its own, and the next row's claim waits behind
them. Here a mark waits for the marks already being written, then everything that queued
meanwhile is written in one transaction (a group commit): each caller still returns only once
its own mark is committed, so a crash repeats nothing that was marked.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from bot.app import App
from storage.repositories import Repos


@dataclass
class Mark:
    broadcast_id: int
    row_id: int
    status: str
    result: dict
    was: str


class Marks:
    def __init__(self, app: App) -> None:
        self.app = app
        self._queued: list[tuple[Mark, asyncio.Future]] = []
        self._writing = asyncio.Lock()

    async def mark(self, mark: Mark) -> None:
        done = asyncio.get_running_loop().create_future()
        self._queued.append((mark, done))
        async with self._writing:
            if not done.done():
                batch, self._queued = self._queued, []
                await self._write(batch)
        await done

    async def _write(self, batch: list[tuple[Mark, asyncio.Future]]) -> None:
        try:
            groups: dict[tuple[int, str, str], dict[int, dict]] = {}
            for mark, _ in batch:
                groups.setdefault((mark.broadcast_id, mark.status, mark.was), {})[mark.row_id] = mark.result
            async with self.app.db.transaction() as tx:
                broadcasts = Repos(tx).broadcasts
                for (broadcast_id, status, was), results in groups.items():
                    await broadcasts.settle(broadcast_id, results, status, only_if=was)
        except asyncio.CancelledError:
            for _, done in batch:
                done.cancel()  # the writer was stopped: nothing of the batch is known to be marked
            raise
        except Exception as exc:
            for _, done in batch:
                done.set_exception(exc)
        else:
            for _, done in batch:
                done.set_result(None)
