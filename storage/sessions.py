"""Locks a worker holds for as long as it lives: PostgreSQL session advisory locks, each on a
connection of its own, which the server lets go the moment the process (or that connection)
dies; a SIGKILL included.

- `Presence`: every worker holds (PRESENCE, hash of its worker id), so that another can tell a
  dead worker's claims from a live one's at once (`Dialect.alive`), instead of waiting out
  their lease.
- `Leadership`: one worker of many holds (LEADER, key), say the Telegram poller of a token;
  the others wait in the server's queue for that lock, and one gets it as soon as the holder
  is gone.

Only on a database several processes share (`Dialect.shared`); SQLite has one process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from storage.db import Database
from storage.dialect import LEADER, PRESENCE

log = logging.getLogger(__name__)
CHECK_SECONDS = 2.0  # how often a held lock's connection is checked to be alive


class SessionLock:
    """One advisory lock on one dedicated connection."""

    def __init__(self, db: Database, sql: str, *args: Any) -> None:
        self.db = db
        self.sql = sql  # a statement taking the lock, waiting as long as it is held elsewhere
        self.args = args
        self._conn: Any = None

    async def acquire(self) -> None:
        """Wait until this process holds the lock (a new connection each time)."""
        await self.release()
        self._conn = await self.db.engine.session()
        try:
            await self._conn.execute(self.sql, *self.args)
        except BaseException:
            await self.release()
            raise

    async def lost(self) -> None:
        """Return when the lock is gone (its connection broke); checks now and then."""
        while self._conn is not None:
            await asyncio.sleep(CHECK_SECONDS)
            if self._conn is None:
                return  # let go on purpose
            try:
                await asyncio.wait_for(self._conn.fetchval("SELECT 1"), CHECK_SECONDS * 2)
            except Exception as error:  # the connection, and with it the lock, is gone
                log.warning("lost the connection that held a session lock: %s", error)
                return

    async def keep(self) -> None:
        """Hold the lock for good: taken again whenever its connection breaks (a database
        restart), until cancelled."""
        while True:
            await self.lost()
            try:
                await self.acquire()
            except Exception as error:
                log.warning("could not take a session lock again (%s); trying on", error)
                await asyncio.sleep(CHECK_SECONDS)

    async def release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), 5)


def presence(db: Database, worker_id: str) -> SessionLock:
    return SessionLock(db, "SELECT pg_advisory_lock($1, hashtext($2) & 2147483647)", PRESENCE, worker_id)


def leadership(db: Database, key: int) -> SessionLock:
    """`key`: what is led, as a signed 32-bit number."""
    return SessionLock(db, "SELECT pg_advisory_lock($1, $2)", LEADER, key)
