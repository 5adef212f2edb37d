"""A worker's claims on the rows it is sending (several `humas-bot run` on one PostgreSQL).

Each process is a worker with its own id (host:pid:random, `App.worker_id`). The rows it takes
(outbox notices, replies and broadcast deliveries) are claimed for LEASE_SECONDS and renewed
every RENEW_SECONDS while it lives (storage/lease_repos.py). A worker that dies (SIGKILL, a
power cut) stops renewing: LEASE_SECONDS later its claims have passed and the other workers
take its rows over, a pending row to send, a Telegram delivery caught in "sending" to report
as unknown. A worker that stops cleanly lets go of its pending rows at once.

Claims use the wall clock of each machine, so the workers' clocks must agree to well under a
lease (NTP does). On SQLite there is one process: nothing is claimed and nothing runs here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from datetime import UTC, datetime, timedelta

from storage.db import Database, Tx, utc_text
from storage.lease_repos import Leases

LEASE_SECONDS = 10.0  # a claim not renewed for this long is a dead worker's
RENEW_SECONDS = 3.0  # a live worker renews its claims this often: two renewals may fail in a row
log = logging.getLogger(__name__)


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class Lease:
    def __init__(self, db: Database, worker: str, seconds: float = LEASE_SECONDS) -> None:
        self.db = db
        self.worker = worker
        self.seconds = seconds
        self._conn = None  # the renewals' own connection (PostgreSQL)

    @property
    def shared(self) -> bool:
        """Whether other workers may share the database (PostgreSQL): only then is anything claimed."""
        return self.db.dialect.shared

    def now(self) -> str:
        return utc_text(datetime.now(UTC))

    def until(self) -> str:
        """The end of a claim taken or renewed now."""
        return utc_text(datetime.now(UTC) + timedelta(seconds=self.seconds))

    def expired(self) -> str:
        """Claims that ended before this moment are dead workers'."""
        return self.now()

    async def run(self) -> None:
        """Renew this worker's claims until cancelled; then let go of its pending rows."""
        if not self.shared:
            return
        try:
            while True:
                await asyncio.sleep(RENEW_SECONDS)
                await self.renew()
        finally:
            await self.release()
            await self._close()

    async def renew(self) -> None:
        """On a connection of its own: the worker's one writing connection may be held by an
        update for a while, and a renewal that waited behind it would let the claims end."""
        try:
            if self._conn is None:
                self._conn = await self.db.engine.connection()
            await Leases(Tx(self._conn), self.db.dialect).renew(self.worker, self.until())
        except Exception:  # the next renewal tries again, well inside the lease
            log.exception("renewing the claims of worker %s failed", self.worker)
            await self._close()

    async def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close()

    async def broadcast(self, broadcast_id: int) -> bool:
        """Whether this worker shows the broadcast's progress and report (always, alone)."""
        if not self.shared:
            return True
        async with self.db.statement() as tx:
            return await Leases(tx, self.db.dialect).broadcast(self.worker, self.until(), self.now(),
                                                               broadcast_id)

    async def release(self) -> None:
        if not self.shared:
            return
        try:
            async with self.db.statement() as tx:
                await Leases(tx, self.db.dialect).release(self.worker)
        except Exception:  # the claims then end by themselves, LEASE_SECONDS later
            log.exception("letting go of the claims of worker %s failed", self.worker)

