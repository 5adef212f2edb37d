"""One platform update's unit of work: everything the update changes commits together.

`async with db.unit():` scopes a unit to the running task (a contextvar, so the services
called inside need no parameter). Its transaction opens lazily at the first write, so work
done before any write (a file download, Pillow) holds no lock. Inside it:

- `db.transaction()` joins the unit's transaction instead of beginning its own. A block that
  opened it rolls it back if it raises; a block inside an already open one gets a SAVEPOINT,
  so a service that raises (a refused action) undoes its own writes and nothing else.
- `db.statement()` runs its one statement in the unit's transaction.
- `db.reading()` reads through the unit's transaction once it is open (it sees the update's
  own writes); before that, from the reading connection as usual, where repositories may
  answer from `known`: what the update's first read brought along (see `People.meet`).

The unit commits when the block ends, or rolls back if it raises. Engine-neutral: it holds
the Database's writer (`Database.writer()`) from its first write to its end, begins with the
dialect's BEGIN, and uses SAVEPOINTs, which SQLite and PostgreSQL both have.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from contextvars import ContextVar, Token
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storage.db import Database, Tx

_current: ContextVar[Unit | None] = ContextVar("humas_unit", default=None)


def joined(db: Database) -> Unit | None:
    """The unit the running task is in, if it is one of `db`'s and still open."""
    unit = _current.get()
    return unit if unit is not None and unit.db is db and unit.active else None


class Unit:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.tx: Tx | None = None  # open from the first write to the end
        self.active = False
        self.committed = False  # something was written and committed
        # rows read ahead for this update (the person's pending input and draft, with who they
        # are: one query instead of three), good until the unit's first write
        self.known: dict = {}
        self._savepoints = 0
        self._token: Token | None = None
        self._writer: AsyncExitStack | None = None

    async def __aenter__(self) -> Unit:
        if _current.get() is not None and _current.get().active:
            raise RuntimeError("units of work do not nest")
        self.active = True
        self._token = _current.set(self)
        return self

    async def __aexit__(self, kind, error, trace) -> None:
        try:
            if self.tx is not None:
                await self._end("ROLLBACK" if kind is not None else "COMMIT")
        finally:
            self.active = False
            _current.reset(self._token)

    @asynccontextmanager
    async def joined(self, savepoint: bool) -> AsyncIterator[Tx]:
        """The unit's transaction for one service block (see the module docstring)."""
        if self.tx is None:
            await self._begin()
            try:
                yield self.tx
            except BaseException:
                await self._end("ROLLBACK")
                raise
            return
        if not savepoint:
            yield self.tx
            return
        tx = self.tx
        self._savepoints += 1
        name = f"unit_{self._savepoints}"
        queued = len(tx.fresh), tx.queued, set(tx.kinds)
        await tx.conn.execute(f"SAVEPOINT {name}", ())
        try:
            yield tx
        except BaseException:
            await tx.conn.execute(f"ROLLBACK TO SAVEPOINT {name}", ())
            await tx.conn.execute(f"RELEASE SAVEPOINT {name}", ())
            del tx.fresh[queued[0]:]  # what it queued is undone too
            tx.queued, tx.kinds = queued[1], queued[2]
            raise
        finally:
            self._savepoints -= 1
        await tx.conn.execute(f"RELEASE SAVEPOINT {name}", ())

    async def _begin(self) -> None:
        """Hold the writer and begin, at the update's first write."""
        writer = AsyncExitStack()
        try:
            tx = await writer.enter_async_context(self.db.writer())
            await tx.conn.execute(self.db.dialect.begin, ())
        except BaseException:
            await writer.aclose()
            raise
        self.tx, self._writer = tx, writer
        self.known = {}  # from now on the unit reads through its own transaction

    async def _end(self, sql: str) -> None:
        """COMMIT or ROLLBACK, then let other writers in. Shielded: a cancel arriving now must
        not leave the connection inside a transaction."""
        tx, writer = self.tx, self._writer
        self.tx = self._writer = None
        try:
            if sql == "COMMIT" and (notice := self.db.notice(tx)):
                await asyncio.shield(tx.conn.execute(notice, ()))
            await asyncio.shield(tx.conn.execute(sql, ()))
        finally:
            await writer.aclose()
        if sql == "COMMIT":
            self.committed = True
            self.db._committed(tx)
