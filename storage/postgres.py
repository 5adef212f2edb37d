"""The PostgreSQL engine, through asyncpg: one writer connection at a time, a few readers.

One process writes as it does on SQLite: a pool of one connection for transactions and single
statements (so a transaction never waits on a row lock another of its own coroutines holds,
and the services' check-then-write steps run one at a time, as on SQLite). Reads take one of a
few read-only connections and see what is committed. Several processes on one database need
claims and locks of their own (the dialect words them); this engine does not pretend to
provide them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import asyncpg

from storage.dialect import POSTGRES
from storage.errors import ConstraintError, DatabaseError, ReadOnlyError
from storage.targets import redacted

READERS = 4  # read-only connections: enough for the concurrent reads of one process
CONNECT_SECONDS = 10.0


class PostgresConnection:
    def __init__(self, conn: asyncpg.Connection, engine: PostgresEngine) -> None:
        self.conn = conn
        self._engine = engine

    async def execute(self, sql: str, params: Sequence[Any]) -> int | None:
        """Run one statement; for an INSERT into a table with an id, the new row's id."""
        text, returning = await self._engine.prepared(self.conn, sql)
        with _errors():
            if returning:
                return await self.conn.fetchval(text, *params)
            await self.conn.execute(text, *params)
        return None

    async def fetch(self, sql: str, params: Sequence[Any]) -> list[asyncpg.Record]:
        with _errors():
            return await self.conn.fetch(POSTGRES.query(sql), *params)

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        with _errors():
            await self.conn.executemany(POSTGRES.query(sql), rows)


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

    @asynccontextmanager
    async def writer(self) -> AsyncIterator[PostgresConnection]:
        if self._writers is None:
            raise DatabaseError("database is not open")
        async with self._writers.acquire() as conn:
            yield PostgresConnection(conn, self)

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
