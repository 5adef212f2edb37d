"""The embedded engine: one SQLite file in WAL mode, through two aiosqlite connections.

Writes go through one lock on the writer connection, so a transaction never sees another
coroutine's half-written work on it; SQLite serialises writers anyway. Reads use a second,
read-only connection and take no lock: in WAL mode they see what is committed and never
wait for a writer. Every statement is a trip to the connection's thread, which under load
waits for a turn of the event loop; the fewer trips made while holding the lock, the less
everyone else waits.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from storage.dialect import SQLITE
from storage.errors import ConstraintError, DatabaseError, ReadOnlyError


class SqliteConnection:
    """One aiosqlite connection; each call is one trip to its thread (execute and fetch together)."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def execute(self, sql: str, params: Sequence[Any]) -> int | None:
        """Run one statement; the last inserted row id."""
        with _errors():
            row = await self.conn.execute_insert(sql, params)
        return row[0] if row else None

    async def fetch(self, sql: str, params: Sequence[Any]) -> list[sqlite3.Row]:
        with _errors():
            return list(await self.conn.execute_fetchall(sql, params))

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        with _errors():
            await self.conn.executemany(sql, rows)


class SqliteEngine:
    dialect = SQLITE
    syncs = True  # commits need sync() to survive a power cut (synchronous = NORMAL)
    errors = (sqlite3.Error,)  # what a file that is not a database raises

    def __init__(self, path: Path) -> None:
        self.path = path
        self.label = str(path)
        self._writer: SqliteConnection | None = None
        self._reader: SqliteConnection | None = None
        self._lock = asyncio.Lock()

    async def connect(self) -> None:
        # NORMAL: a commit writes the WAL without waiting for the disk; what must survive a
        # power cut is made durable by Database.durable() (sync below) before anything outside
        # hears of it, one fsync for every commit made meanwhile (see the README)
        self._writer = await self._open("journal_mode = WAL", "synchronous = NORMAL")
        self._reader = await self._open("query_only = ON")

    def sync(self) -> None:
        """Make every commit so far durable: fsync the WAL file (blocking; run in a thread).
        In WAL mode the database file itself is written and synced only by checkpoints."""
        try:
            fd = os.open(f"{self.path}-wal", os.O_RDONLY)
        except FileNotFoundError:  # nothing written since the last checkpoint emptied it
            return
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    async def _open(self, *pragmas: str) -> SqliteConnection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = await aiosqlite.connect(self.path, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise DatabaseError(f"cannot open database {self.path}: {exc}") from exc
        conn.row_factory = aiosqlite.Row
        try:
            for setting in (*pragmas, "foreign_keys = ON", "busy_timeout = 5000"):
                await conn.execute_fetchall(f"PRAGMA {setting}")
        except sqlite3.Error as exc:
            await conn.close()
            raise DatabaseError(f"{self.path} is not a humas-bot database: {exc}") from exc
        return SqliteConnection(conn)

    async def close(self) -> None:
        for conn in (self._writer, self._reader):
            if conn is not None:
                await conn.conn.close()
        self._writer = self._reader = None

    @asynccontextmanager
    async def writer(self) -> AsyncIterator[SqliteConnection]:
        async with self._lock:
            if self._writer is None:
                raise DatabaseError("database is not open")
            yield self._writer

    @asynccontextmanager
    async def reader(self) -> AsyncIterator[SqliteConnection]:
        if self._reader is None:
            raise DatabaseError("database is not open")
        yield self._reader


@contextmanager
def _errors() -> Iterator[None]:
    """sqlite3's constraint and read-only errors as storage's own, the rest as they are."""
    try:
        yield
    except sqlite3.IntegrityError as exc:
        raise ConstraintError(str(exc)) from exc
    except sqlite3.OperationalError as exc:
        if "readonly" in str(exc):
            raise ReadOnlyError(str(exc)) from exc
        raise
