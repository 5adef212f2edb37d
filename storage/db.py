"""The database seam: one API over SQLite (embedded, the default) and PostgreSQL.

`Database.open` takes a file path (SQLite, `storage/sqlite.py`) or a `postgresql://` URL
(asyncpg, `storage/postgres.py`); above the engines everything is the same: migrations,
`transaction()` for several statements that commit together, `statement()` for exactly one,
`reading()` for committed data, `durable()` before anything outside hears of a commit, and
the wake-up of the senders after a commit that queued messages. Repositories write one SQL
for both (storage/dialect.py says how it is translated) and read rows by column name.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

from storage import unit as units
from storage.dialect import QUEUE_CHANNEL, Dialect
from storage.errors import ConstraintError, DatabaseError, ReadOnlyError
from storage.targets import is_postgres_url

__all__ = ["ConstraintError", "Database", "DatabaseError", "ReadOnlyError", "Tx", "migrations",
           "utc_text", "utcnow_text"]

# Held by the transaction that applies a migration, so that two processes starting together
# on one PostgreSQL apply it once (on SQLite the write lock already does).
MIGRATION_LOCK = 0x68756D6173  # "humas"

Row = Any  # sqlite3.Row or asyncpg.Record: both read by column name (and by position)


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


def _refuse_unknown(label: str, done: set[int], shipped: set[int], newest: int) -> None:
    """DatabaseError (one line) if the database records migrations this code does not ship."""
    unknown = sorted(done - shipped)
    if not unknown:
        return
    if unknown[0] > newest:
        raise DatabaseError(f"database {label} is at schema {unknown[-1]}, newer than this humas-bot "
                            f"knows ({newest}); upgrade humas-bot")
    names = ", ".join(f"{number:04d}" for number in unknown)
    raise DatabaseError(f"database {label} records migration {names}, which this humas-bot does not "
                        "ship; run the humas-bot that wrote it (or a newer one)")


class Connection(Protocol):
    """What an engine hands out: one connection, one statement per call."""

    async def execute(self, sql: str, params: tuple) -> int | None: ...
    async def fetch(self, sql: str, params: tuple) -> list[Row]: ...
    async def executemany(self, sql: str, rows: list[tuple]) -> None: ...


class Engine(Protocol):
    dialect: Dialect
    label: str  # the database named for the admin (no password)
    errors: tuple[type[BaseException], ...]  # what a database of something else raises

    async def connect(self) -> None: ...
    async def close(self) -> None: ...
    def writer(self) -> Any: ...  # async context manager: the connection for writing, one user at a time
    def reader(self) -> Any: ...  # async context manager: a connection that sees commits and cannot write
    syncs: bool  # whether commits need sync() to be durable
    def sync(self) -> None: ...  # blocking: make every commit so far durable


def engine_for(target: Path | str) -> Engine:
    """The engine for a SQLite file or a postgresql:// URL; each driver is imported only when used."""
    text = str(target)
    if is_postgres_url(text):
        from storage.postgres import PostgresEngine

        return PostgresEngine(text)
    from storage.sqlite import SqliteEngine

    return SqliteEngine(Path(target))


class Database:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._on_queued: list[tuple[Callable[[], None], frozenset[str] | None]] = []
        self._on_rows: list[tuple[Callable[[list[dict]], None], frozenset[str]]] = []
        self._commits = 0  # commits made so far...
        self._synced = 0  # ...and how many of them are durable
        self._syncing: asyncio.Future | None = None
        self.origin = secrets.token_hex(6)  # this process's name in its notifications
        self._listening: asyncio.Task | None = None

    @property
    def dialect(self) -> Dialect:
        return self.engine.dialect

    @property
    def label(self) -> str:
        return self.engine.label

    @classmethod
    async def open(cls, target: Path | str) -> Database:
        """A migrated database: `target` is a SQLite file or a postgresql:// URL."""
        db = cls(engine_for(target))
        await db.connect()
        try:
            await db.migrate()
        except BaseException:
            await db.close()  # a refused database leaves no connection behind
            raise
        return db

    async def connect(self) -> None:
        await self.engine.connect()

    async def close(self) -> None:
        if self._listening is not None:
            self._listening.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._listening
            self._listening = None
        await self.engine.close()

    def listen(self) -> None:
        """Across processes (PostgreSQL): a commit by another worker that queued messages wakes
        this process's `watch_queue` listeners too, through LISTEN/NOTIFY on a connection of its
        own (made again if it drops; every listener is woken then, as a notification may have
        been missed). Call once in a running loop; on SQLite (one process) nothing to do."""
        if self.dialect.shared and self._listening is None:
            self._listening = asyncio.ensure_future(
                self.engine.listen(QUEUE_CHANNEL, self._heard, lambda: self._wake(None)))

    def _heard(self, payload: str) -> None:
        origin, _, kinds = payload.partition(" ")
        if origin != self.origin:  # this process's own commits woke its listeners already
            self._wake(None if kinds in ("", "*") else set(kinds.split(",")))

    async def applied_migrations(self) -> set[int]:
        """The migration numbers this database records as applied (none for a new one)."""
        async with self.statement() as tx:
            await tx.execute(self.dialect.migration(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            ))
        async with self.reading() as tx:
            return {row["version"] for row in await tx.all("SELECT version FROM schema_migrations")}

    async def schema_version(self) -> int:
        """The newest migration applied (0: none)."""
        return max(await self.applied_migrations(), default=0)

    async def migrate(self) -> int:
        """Apply every shipped migration this database does not record yet, in number order
        (not only those above its newest: branches land in any order, so a database may have
        got 0010 before 0008 was shipped). Refuse a database that records a migration this
        code does not ship (written by newer code, or another build): its schema is not one
        this code knows. The newest migration number."""
        try:
            done = await self.applied_migrations()
        except self.engine.errors as exc:
            raise DatabaseError(f"{self.label} is not a humas-bot database: {exc}") from exc
        known = migrations()
        newest = known[-1][0] if known else 0
        _refuse_unknown(self.label, done, {number for number, _, _ in known}, newest)
        for number, name, sql in known:
            if number not in done:
                try:
                    await self._apply(number, name, sql)
                except self.engine.errors as exc:
                    first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                    raise DatabaseError(f"{self.label}: migration {name} failed: {first}") from exc
        return newest

    async def _apply(self, number: int, name: str, sql: str) -> None:
        async with self.transaction() as tx:
            lock = self.dialect.xact_lock(MIGRATION_LOCK)
            if lock:
                await tx.execute(lock)
            if await tx.scalar("SELECT 1 FROM schema_migrations WHERE version = ?", (number,)):
                return  # another process applied it while this one waited
            for statement in _statements(sql):
                await tx.execute(self.dialect.migration(statement))
            await tx.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                (number, name, utcnow_text()),
            )

    def watch_queue(self, listener: Callable[[], None], kinds: Iterable[str] | None = None) -> None:
        """Call `listener` after every commit that queued messages (outbox or broadcast
        rows), of `kinds` only if given: it wakes the senders, which otherwise only look now
        and then."""
        entry = (listener, frozenset(kinds) if kinds else None)
        if entry not in self._on_queued:
            self._on_queued.append(entry)

    def watch_rows(self, listener: Callable[[list[dict]], None], kinds: Iterable[str]) -> None:
        """Hand `listener` the outbox rows of `kinds` a commit queued (as `Outbox.due` reads
        them), right after that commit: their sender need not read them back. Those kinds'
        `watch_queue` listeners are then not woken for that commit."""
        self._on_rows.append((listener, frozenset(kinds)))

    def unwatch_rows(self, listener: Callable[[list[dict]], None]) -> None:
        self._on_rows = [(hand, kinds) for hand, kinds in self._on_rows if hand != listener]

    def unit(self) -> units.Unit:
        """`async with db.unit():` one update's unit of work (see storage/unit.py)."""
        return units.Unit(self)

    @asynccontextmanager
    async def writer(self, statements: int | None = None) -> AsyncIterator[Tx]:
        """The writing connection, this block's alone until it ends, with no transaction of its
        own: what `transaction()` and `statement()` are made of, and what a unit of work that
        begins (`dialect.begin`) and ends its transaction itself holds."""
        async with self.engine.writer() as conn:
            yield Tx(conn, statements)

    @asynccontextmanager
    async def transaction(self, durable: bool = True) -> AsyncIterator[Tx]:
        """Commit everything done inside, or nothing if it raises; durable when it returns,
        unless told it need not be (nobody outside learns of it: a mark that a message was
        sent, which a power cut may undo to send that message once more). Inside a unit of
        work, part of the unit's transaction (a savepoint if it is open already)."""
        if unit := units.joined(self):
            async with unit.joined(savepoint=True) as tx:
                yield tx
            return
        async with self.writer() as tx:
            await tx.conn.execute(self.dialect.begin, ())
            try:
                yield tx
            except BaseException:
                await tx.conn.execute("ROLLBACK", ())
                raise
            if notice := self.notice(tx):
                await tx.conn.execute(notice, ())
            await tx.conn.execute("COMMIT", ())
        self._committed(tx)
        if durable:
            await self.durable()  # after the write lock is let go

    @asynccontextmanager
    async def statement(self, durable: bool = True) -> AsyncIterator[Tx]:
        """For exactly one writing statement, which the database makes atomic by itself: one
        trip instead of three (no BEGIN and COMMIT); `durable` as for `transaction`. Inside a
        unit of work, one statement of the unit's transaction."""
        if unit := units.joined(self):
            async with unit.joined(savepoint=False) as tx:
                yield tx
            return
        async with self.writer(statements=1) as tx:
            yield tx
            if notice := self.notice(tx):  # its statement has committed; now the others hear of it
                await tx.conn.execute(notice, ())
        self._committed(tx)
        if durable:
            await self.durable()

    async def durable(self) -> None:
        """Every commit made so far survives a power cut once this returns. SQLite commits
        without waiting for the disk (synchronous = NORMAL), so a transaction holds the write
        lock only for its statements; what the world outside may learn of (Telegram's
        confirmation of an update, a reply, a webhook's 200) waits here first. One fsync, in a
        thread, serves every commit made before it started: concurrent callers share it."""
        if not self.engine.syncs:
            return
        wanted = self._commits
        while self._synced < wanted:
            if self._syncing is None:
                self._syncing = asyncio.ensure_future(self._sync(self._commits))
            await asyncio.shield(self._syncing)

    async def _sync(self, upto: int) -> None:
        try:
            await asyncio.to_thread(self.engine.sync)
            self._synced = max(self._synced, upto)
        finally:
            self._syncing = None

    def _committed(self, tx: Tx) -> None:
        self._commits += 1
        handed: set[str] = set()
        for hand, kinds in self._on_rows:
            rows = [row for row in tx.fresh if row["kind"] in kinds]
            if rows:
                hand(rows)
            handed |= kinds
        if tx.queued:
            self._wake(tx.kinds - handed if tx.kinds else None)

    def _wake(self, queued: set[str] | None) -> None:
        """The listeners of `queued` kinds (every one if None)."""
        for listener, kinds in self._on_queued:
            if kinds is None or queued is None or queued & kinds:
                listener()

    def notice(self, tx: Tx) -> str | None:
        """The statement that tells other processes what `tx` queued, run before it commits;
        None if it queued nothing (or there are no other processes)."""
        return self.dialect.notify(self.origin, tx.kinds) if tx.queued else None

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[Tx]:
        """Committed data, without waiting for writers. Each statement sees the latest
        commit; a block of several may see one land between them. Inside a unit of work
        whose transaction is open, through that transaction (it sees its own writes)."""
        unit = units.joined(self)
        if unit is not None and unit.tx is not None:
            yield unit.tx
            return
        async with self.engine.reader() as conn:
            tx = Tx(conn)
            if unit is not None:
                tx.known = unit.known
            yield tx


class Tx:
    """A connection inside a transaction, a single statement or a reading, with small query
    helpers; each is one trip to the database (execute and fetch together). Rows are read by
    column name."""

    def __init__(self, conn: Connection, statements: int | None = None) -> None:
        self.conn = conn
        self.queued = False  # set by the repositories that queue messages
        self.kinds: set[str] = set()  # of what (outbox kinds); none named: of any
        self.known: dict | None = None  # read ahead in this update, before its first write
        self.fresh: list[dict] = []  # outbox rows queued in this transaction (Database.watch_rows)
        self._left = statements  # None: as many as the transaction needs

    def _count(self) -> None:
        if self._left is not None:
            if self._left == 0:
                raise RuntimeError("Database.statement() is for one statement; use transaction()")
            self._left -= 1

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> int | None:
        """Run one statement; for an INSERT into a table with an INTEGER PRIMARY KEY, the
        new row's id."""
        self._count()
        return await self.conn.execute(sql, tuple(params))

    async def executemany(self, sql: str, rows: Iterable[Iterable[Any]]) -> None:
        """One statement for each of `rows`, as one trip where the engine allows."""
        self._count()
        await self.conn.executemany(sql, [tuple(row) for row in rows])

    async def one(self, sql: str, params: Iterable[Any] = ()) -> Row | None:
        rows = await self.all(sql, params)
        return rows[0] if rows else None

    async def all(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        self._count()
        return await self.conn.fetch(sql, tuple(params))

    async def scalar(self, sql: str, params: Iterable[Any] = ()) -> Any:
        row = await self.one(sql, params)
        return row[0] if row else None


def _statements(sql: str) -> list[str]:
    """Split a migration file on semicolons, after dropping `--` comments (which may hold
    semicolons of their own); migrations hold no semicolons in strings."""
    code = "\n".join(line.split("--", 1)[0] for line in sql.splitlines())
    return [part.strip() for part in code.split(";") if part.strip()]
