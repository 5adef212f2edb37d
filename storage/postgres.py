"""The PostgreSQL engine, through asyncpg: one writer connection at a time, a few readers.

One process writes as it does on SQLite: a pool of one connection for transactions and single
statements (so a transaction never waits on a row lock another of its own coroutines holds,
and the services' check-then-write steps run one at a time, as on SQLite). Reads take one of a
few read-only connections and see what is committed. Several processes on one database need
claims and locks of their own (the dialect words them); this engine does not pretend to
provide them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager, suppress
from typing import Any

import asyncpg

from storage.dialect import POSTGRES
from storage.errors import ConstraintError, DatabaseError, ReadOnlyError
from storage.targets import redacted

READERS = 4  # read-only connections: enough for the concurrent reads of one process
CONNECT_SECONDS = 10.0
LISTEN_CHECK = 5.0  # seconds between checks that the listening connection still works
LISTEN_RETRY = 1.0  # seconds before listening again after the connection dropped
LISTENER = "humas-bot listen"  # the listening connection's name in pg_stat_activity
log = logging.getLogger(__name__)


class PostgresConnection:
    def __init__(self, conn: asyncpg.Connection, engine: PostgresEngine) -> None:
        self.conn = conn
        self._engine = engine

    async def execute(self, sql: str, params: Sequence[Any]) -> int | None:
        """Run one statement; for an INSERT into a table with an id, the new row's id."""
        text, returning = await self._engine.prepared(self.conn, sql)
        if returning:
            return await self._call(self.conn.fetchval, text, params)
        await self._call(self.conn.execute, text, params)
        return None

    async def fetch(self, sql: str, params: Sequence[Any]) -> list[asyncpg.Record]:
        return await self._call(self.conn.fetch, POSTGRES.query(sql), params)

    async def close(self) -> None:
        """For a connection of its own (`PostgresEngine.connection`); pooled ones go back."""
        await self.conn.close()

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        text, rows = POSTGRES.query(sql), list(rows)
        with _errors():
            try:
                await self.conn.executemany(text, rows)
            except asyncpg.DataError as exc:
                types = await self._mismatched(exc, text)
                fitted = [_as_types(types, row) for row in rows]
                if fitted == [list(row) for row in rows]:
                    raise
                await self.conn.executemany(text, fitted)

    async def _call(self, method, text: str, params: Sequence[Any]) -> Any:
        with _errors():
            try:
                return await method(text, *params)
            except asyncpg.DataError as exc:
                fitted = _as_types(await self._mismatched(exc, text), params)
                if fitted == list(params):
                    raise
                return await method(text, *fitted)

    async def _mismatched(self, exc: asyncpg.DataError, text: str) -> list[str]:
        """The statement's parameter types, when `exc` says a value did not fit one; asyncpg
        refuses before anything is sent, so the transaction goes on."""
        if "invalid input for query argument" not in str(exc):
            raise exc
        statement = await self.conn.prepare(text)
        return [parameter.name for parameter in statement.get_parameters()]


def _as_types(types: list[str], params: Sequence[Any]) -> list[Any]:
    """A value as its column's type, as SQLite's column affinity stores and compares it: a number
    for a TEXT column is its text, the text of a number for an INTEGER one is the number."""
    out = []
    for kind, value in zip(types, params, strict=True):
        if kind in _TEXT and isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        elif kind in _INTEGER and isinstance(value, str) and value.strip().lstrip("+-").isdigit():
            value = int(value)
        elif kind in _REAL and isinstance(value, str):
            with suppress(ValueError):  # text that is no number stays text, and is refused
                value = float(value)
        out.append(value)
    return out


_TEXT = {"text", "varchar", "bpchar", "name"}
_INTEGER = {"int2", "int4", "int8"}
_REAL = {"float4", "float8"}


class PostgresEngine:
    dialect = POSTGRES
    errors = (asyncpg.PostgresError,)  # what a database of something else raises

    def __init__(self, url: str) -> None:
        self.url = url
        self.label = redacted(url)
        self._writers: asyncpg.Pool | None = None
        self._readers: asyncpg.Pool | None = None
        self._sql: dict[str, tuple[str, bool]] = {}  # statement -> (for asyncpg, returns an id)
        self._identity: dict[str, str | None] = {}  # table -> its identity column

    async def connect(self) -> None:
        try:
            self._writers = await self._pool(1, {})
            self._readers = await self._pool(READERS, {"default_transaction_read_only": "on"})
        except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError, ValueError) as exc:
            await self.close()
            raise DatabaseError(f"cannot open database {self.label}: {_one_line(exc)}") from exc

    async def _pool(self, size: int, settings: dict[str, str]) -> asyncpg.Pool:
        return await asyncpg.create_pool(
            self.url, min_size=1, max_size=size, timeout=CONNECT_SECONDS,
            server_settings=settings or None, reset=_keep_session,
        )

    async def close(self) -> None:
        for pool in (self._writers, self._readers):
            if pool is not None:
                await pool.close()
        self._writers = self._readers = None

    async def listen(self, channel: str, heard: Callable[[str], None], lost: Callable[[], None]) -> None:
        """LISTEN on `channel` on a connection of its own, calling `heard(payload)` for each
        notification, until cancelled. A dropped connection is made again; `lost()` is called
        each time listening (re)starts, as a notification may have been missed meanwhile."""
        while True:
            try:
                conn = await asyncpg.connect(self.url, timeout=CONNECT_SECONDS,
                                             server_settings={"application_name": LISTENER})
            except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("listening for other workers' messages: %s", _one_line(exc))
                await asyncio.sleep(LISTEN_RETRY)
                continue
            try:
                await _listen_on(conn, channel, heard, lost)
            except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("listening connection lost: %s", _one_line(exc))
            finally:
                conn.terminate()
            await asyncio.sleep(LISTEN_RETRY)

    async def connection(self) -> PostgresConnection:
        """A connection of its own, outside the pools, for who must not wait behind the writer
        (the shared send budget); the caller closes it."""
        return PostgresConnection(await asyncpg.connect(self.url, timeout=CONNECT_SECONDS), self)

    @asynccontextmanager
    async def writer(self) -> AsyncIterator[PostgresConnection]:
        if self._writers is None:
            raise DatabaseError("database is not open")
        async with self._writers.acquire() as conn:
            yield PostgresConnection(conn, self)

    syncs = False  # commits are durable when they return (synchronous_commit): sync() has nothing to do

    def sync(self) -> None:
        pass

    async def session(self) -> asyncpg.Connection:
        """A connection of its own, outside the pools, for session locks (storage/sessions.py):
        they last as long as it does, and go when the process dies."""
        try:
            return await asyncpg.connect(self.url, timeout=CONNECT_SECONDS)
        except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            raise DatabaseError(f"cannot open database {self.label}: {_one_line(exc)}") from exc

    @asynccontextmanager
    async def reader(self) -> AsyncIterator[PostgresConnection]:
        if self._readers is None:
            raise DatabaseError("database is not open")
        async with self._readers.acquire() as conn:
            yield PostgresConnection(conn, self)

    async def prepared(self, conn: asyncpg.Connection, sql: str) -> tuple[str, bool]:
        """The statement for asyncpg, and whether it returns a new row's id (`RETURNING` added
        to an INSERT into a table with an identity column, as SQLite's last row id)."""
        known = self._sql.get(sql)
        if known is None:
            text, returning = POSTGRES.query(sql), False
            table = POSTGRES.returning_target(sql)
            if table is not None:
                column = await self._identity_column(conn, table)
                if column is not None:
                    text, returning = f"{text} RETURNING {column}", True
            known = self._sql[sql] = (text, returning)
        return known

    async def _identity_column(self, conn: asyncpg.Connection, table: str) -> str | None:
        if table not in self._identity:
            self._identity[table] = await conn.fetchval(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema()"
                " AND table_name = $1 AND is_identity = 'YES'",
                table,
            )
        return self._identity[table]


async def _listen_on(conn: asyncpg.Connection, channel: str, heard: Callable[[str], None],
                     lost: Callable[[], None]) -> None:
    """Listen until the connection fails: a dead socket shows only when used, so it is asked
    something every LISTEN_CHECK seconds."""
    dropped = asyncio.Event()
    conn.add_termination_listener(lambda _conn: dropped.set())
    await conn.add_listener(channel, lambda _conn, _pid, _channel, payload: heard(payload))
    lost()
    while not dropped.is_set():
        with suppress(TimeoutError):
            async with asyncio.timeout(LISTEN_CHECK):
                await dropped.wait()
        if not dropped.is_set():
            await conn.fetchval("SELECT 1", timeout=LISTEN_CHECK)


async def _keep_session(conn: asyncpg.Connection) -> None:
    """A connection goes back to its pool as it is: this code changes no session setting, so
    the default reset (RESET ALL, UNLISTEN, unlock...) would be one more round trip per use.
    An open transaction is still rolled back by the pool itself."""


@contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except asyncpg.IntegrityConstraintViolationError as exc:
        raise ConstraintError(str(exc)) from exc
    except asyncpg.ReadOnlySQLTransactionError as exc:
        raise ReadOnlyError(str(exc)) from exc


def _one_line(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0]
