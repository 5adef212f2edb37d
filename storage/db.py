"""One small wrapper around two aiosqlite connections: pragmas, migrations, transactions.

Writes go through one lock on the writer connection, so a transaction never sees another
coroutine's half-written work on it; SQLite serialises writers anyway. Reads use a second,
read-only connection and take no lock: in WAL mode they see what is committed and never
wait for a writer. Every statement is a trip to the connection's thread, which under load
waits for a turn of the event loop; the fewer trips made while holding the lock, the less
everyone else waits.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite


class DatabaseError(RuntimeError):
    """A database that cannot be used; the message is one line for the admin."""


def utcnow_text() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def utc_text(moment: datetime) -> str:
    """Every stored time is UTC text, so text order is time order."""
    return moment.astimezone(UTC).isoformat()


def migrations() -> list[tuple[int, str, str]]:
    """(number, name, sql) of every shipped migration, in order."""
    folder = resources.files("storage") / "migrations"
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            number = int(entry.name.split("_", 1)[0])
            found.append((number, entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


class Database:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()
        self._on_queued: list[Callable[[], None]] = []

    @classmethod
    async def open(cls, path: Path | str) -> Database:
        db = cls(Path(path))
        await db.connect()
        try:
            await db.migrate()
        except BaseException:
            await db.close()  # a refused database leaves no connection thread behind
            raise
        return db

    async def connect(self) -> None:
        self._conn = await self._open("journal_mode = WAL")
        self._reader = await self._open("query_only = ON")

    async def _open(self, pragma: str) -> aiosqlite.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = await aiosqlite.connect(self.path, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise DatabaseError(f"cannot open database {self.path}: {exc}") from exc
        conn.row_factory = aiosqlite.Row
        for setting in (pragma, "foreign_keys = ON", "busy_timeout = 5000"):
            await conn.execute_fetchall(f"PRAGMA {setting}")
        return conn

    async def close(self) -> None:
        for conn in (self._conn, self._reader):
            if conn is not None:
                await conn.close()
        self._conn = self._reader = None

    @property
    def conn(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise DatabaseError("database is not open")
        return self._conn

    async def schema_version(self) -> int:
        await self.conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        async with self.conn.execute("SELECT MAX(version) FROM schema_migrations") as cur:
            row = await cur.fetchone()
        return row[0] or 0

    async def migrate(self) -> int:
        """Apply pending migrations; refuse a database written by newer code."""
        try:
            current = await self.schema_version()
        except sqlite3.Error as exc:
            raise DatabaseError(f"{self.path} is not a humas-bot database: {exc}") from exc
        known = migrations()
        newest = known[-1][0] if known else 0
        if current > newest:
            raise DatabaseError(
                f"database {self.path} is at schema {current}, newer than this humas-bot "
                f"knows ({newest}); upgrade humas-bot"
            )
        for number, name, sql in known:
            if number > current:
                async with self.transaction() as tx:
                    for statement in _statements(sql):
                        await tx.execute(statement)
                    await tx.execute(
                        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                        (number, name, utcnow_text()),
                    )
        return newest

    def watch_queue(self, listener: Callable[[], None]) -> None:
        """Call `listener` after every commit that queued messages (outbox or broadcast
        rows): it wakes the senders, which otherwise only look now and then."""
        if listener not in self._on_queued:
            self._on_queued.append(listener)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        """Commit everything done inside, or nothing if it raises."""
        async with self._lock:
            tx = Tx(self.conn)
            await tx.execute("BEGIN IMMEDIATE")
            try:
                yield tx
            except BaseException:
                await tx.execute("ROLLBACK")
                raise
            await tx.execute("COMMIT")
        self._committed(tx)

    @asynccontextmanager
    async def statement(self) -> AsyncIterator[Tx]:
        """For exactly one writing statement, which SQLite makes atomic by itself: one trip
        under the lock instead of three (no BEGIN and COMMIT)."""
        async with self._lock:
            tx = Tx(self.conn, statements=1)
            yield tx
        self._committed(tx)

    def _committed(self, tx: Tx) -> None:
        if tx.queued:
            for listener in self._on_queued:
                listener()

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[Tx]:
        """Committed data, without waiting for writers. Each statement sees the latest
        commit; a block of several may see one land between them."""
        if self._reader is None:
            raise DatabaseError("database is not open")
        yield Tx(self._reader)


class Tx:
    """A connection inside a transaction, a single statement or a reading, with small query
    helpers; each is one trip to aiosqlite's thread (execute and fetch together)."""

    def __init__(self, conn: aiosqlite.Connection, statements: int | None = None) -> None:
        self.conn = conn
        self.queued = False  # set by the repositories that queue messages
        self._left = statements  # None: as many as the transaction needs

    def _count(self) -> None:
        if self._left is not None:
            if self._left == 0:
                raise RuntimeError("Database.statement() is for one statement; use transaction()")
            self._left -= 1

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> int | None:
        """Run one statement; the id of an inserted row where there is one."""
        self._count()
        row = await self.conn.execute_insert(sql, tuple(params))
        return row[0] if row else None

    async def one(self, sql: str, params: Iterable[Any] = ()) -> aiosqlite.Row | None:
        rows = await self.all(sql, params)
        return rows[0] if rows else None

    async def all(self, sql: str, params: Iterable[Any] = ()) -> list[aiosqlite.Row]:
        self._count()
        return list(await self.conn.execute_fetchall(sql, tuple(params)))

    async def scalar(self, sql: str, params: Iterable[Any] = ()) -> Any:
        row = await self.one(sql, params)
        return row[0] if row else None


def _statements(sql: str) -> list[str]:
    """Split a migration file on semicolons, after dropping `--` comments (which may hold
    semicolons of their own); migrations hold no semicolons in strings."""
    code = "\n".join(line.split("--", 1)[0] for line in sql.splitlines())
    return [part.strip() for part in code.split(";") if part.strip()]
