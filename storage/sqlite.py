"""The embedded engine: one SQLite file in WAL mode, through two connections.

Writes go through one lock on the writer connection, so a transaction never sees another
coroutine's half-written work on it; SQLite serialises writers anyway. The writer runs its
statements on the event loop's thread (InlineConnection: each is short, and commits do not
wait for the disk). Reads use a second, read-only aiosqlite connection on a thread of its own
and take no lock: in WAL mode they see what is committed and never wait for a writer, and a
long read (a year's report) never stops the loop. Every read is a trip to that thread, which
under load waits for a turn of the event loop: the fewer, the better.
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


class InlineConnection:
    """The writing connection, used on the event loop's own thread. A write statement takes
    tens of microseconds and commits no longer wait for the disk (synchronous = NORMAL), while
    a trip to a connection thread costs more than that in thread switches and turns of the
    event loop, for every statement of every update. Reads go to the reading connection's
    thread: a report may read for seconds, and must not stop the loop. The WAL is
    checkpointed off the loop (`sync`), never by a commit."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    async def execute(self, sql: str, params: Sequence[Any]) -> int | None:
        with _errors():
            return self.conn.execute(sql, params).lastrowid

    async def fetch(self, sql: str, params: Sequence[Any]) -> list[sqlite3.Row]:
        with _errors():
            return self.conn.execute(sql, params).fetchall()

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        with _errors():
            self.conn.executemany(sql, rows)

    async def close(self) -> None:
        self.conn.close()


CHECKPOINT_BYTES = 4 * 1024 * 1024  # a WAL this long is checkpointed by the next sync


class SqliteEngine:
    dialect = SQLITE
    syncs = True  # commits need sync() to survive a power cut (synchronous = NORMAL)
    errors = (sqlite3.Error,)  # what a file that is not a database raises

    def __init__(self, path: Path) -> None:
        self.path = path
        self.label = str(path)
        self._writer: InlineConnection | None = None
        self._reader: SqliteConnection | None = None
        self._checkpointer: sqlite3.Connection | None = None
        self._lock = asyncio.Lock()

    async def connect(self) -> None:
        # NORMAL: a commit writes the WAL without waiting for the disk; what must survive a
        # power cut is made durable by Database.durable() (sync below) before anything outside
        # hears of it, one fsync for every commit made meanwhile (see the README)
        self._writer = self._inline("journal_mode = WAL", "synchronous = NORMAL", "wal_autocheckpoint = 0")
        self._reader = await self._open("query_only = ON")

    def _inline(self, *pragmas: str) -> InlineConnection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise DatabaseError(f"cannot open database {self.path}: {exc}") from exc
        conn.row_factory = sqlite3.Row
        try:
            for setting in (*pragmas, "foreign_keys = ON", "busy_timeout = 5000"):
                conn.execute(f"PRAGMA {setting}").fetchall()
        except sqlite3.Error as exc:
            conn.close()
            raise DatabaseError(f"{self.path} is not a humas-bot database: {exc}") from exc
        return InlineConnection(conn)

    def sync(self) -> None:
        """Make every commit so far durable: fsync the WAL file (blocking; run in a thread).
        In WAL mode the database file itself is written and synced only by checkpoints, which
        run here too, once the WAL has grown: passive, so no writer or reader waits."""
        try:
            fd = os.open(f"{self.path}-wal", os.O_RDONLY)
        except FileNotFoundError:  # nothing written since the last checkpoint emptied it
            return
        try:
            os.fsync(fd)
            if os.fstat(fd).st_size >= CHECKPOINT_BYTES:
                self._checkpoint()
        finally:
            os.close(fd)

    def _checkpoint(self) -> None:
        if self._checkpointer is None:
            self._checkpointer = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._checkpointer.execute("PRAGMA busy_timeout = 5000")
        self._checkpointer.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

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
        if self._writer is not None:
            await self._writer.close()
        if self._reader is not None:
            await self._reader.conn.close()
        if self._checkpointer is not None:
            self._checkpointer.close()
        self._writer = self._reader = self._checkpointer = None

    @asynccontextmanager
    async def writer(self) -> AsyncIterator[InlineConnection]:
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
