"""The send schedule of one bot token, shared by every worker on one PostgreSQL.

One row per token (`send_budget`, migration 0013): `next_at` is the moment from which the next
message may go, `paused_until` the end of a pause every chat keeps (a 429 for the whole
token). Taking room is one statement that moves `next_at` on by the messages' share of the
second and says how long to wait for the slot it gave; asked with a horizon (bulk messages, so
that replies go first), it does so only if that slot begins within the horizon, and otherwise
takes nothing and says how far ahead the schedule is (migration 0015). Times are the
database's clock (`clock_timestamp()`), so workers on several machines need not agree on theirs.

PostgreSQL only (a SQLite file has one process, whose budget lives in memory), on a connection
of its own: a worker's one writing connection is held by whole updates, which a message
waiting for its slot must not queue behind.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from typing import Any

_NOW = "CAST(EXTRACT(EPOCH FROM clock_timestamp()) AS DOUBLE PRECISION)"
_SECONDS = "CAST(? AS DOUBLE PRECISION)"
_FREE = f"GREATEST(b.next_at, b.paused_until, {_NOW})"  # where the next slot would begin
_FITS = f"{_FREE} <= {_NOW} + {_SECONDS}"  # ...no further ahead than the asker's horizon
# One statement: the slot if the schedule is within the horizon (`slot_at` its start), else
# nothing (`slot_at` NULL; `next_at` unchanged). A first message of the token always takes.
TAKE = (
    f"INSERT INTO send_budget AS b (token, next_at, slot_at) VALUES (?, {_NOW} + {_SECONDS}, {_NOW})"
    f" ON CONFLICT (token) DO UPDATE SET slot_at = CASE WHEN {_FITS} THEN {_FREE} END,"
    f" next_at = CASE WHEN {_FITS} THEN {_FREE} + {_SECONDS} ELSE b.next_at END"
    f" RETURNING slot_at - {_NOW} AS wait, GREATEST(next_at, paused_until) - {_NOW} AS ahead"
)
PAUSE = (
    f"INSERT INTO send_budget AS b (token, paused_until) VALUES (?, {_NOW} + {_SECONDS})"
    " ON CONFLICT (token) DO UPDATE SET paused_until = GREATEST(b.paused_until, excluded.paused_until)"
)
UNBOUNDED = 1e9  # a horizon no schedule reaches: take the next slot, however far ahead


@dataclass(frozen=True)
class Slot:
    """What a take gave: a slot beginning `wait` seconds from now, or none (`wait` None); and
    how far ahead of now the schedule is after it (`ahead`, seconds)."""

    wait: float | None
    ahead: float

    @property
    def taken(self) -> bool:
        return self.wait is not None


def token_key(token: str) -> str:
    """The token's name in the table: a digest, never the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()[:24]


class SendSlots:
    def __init__(self, engine: Any, key: str) -> None:
        self.engine = engine  # storage.postgres.PostgresEngine
        self.key = key
        self._conn: Any = None
        self._lock = asyncio.Lock()  # one statement at a time on the connection

    async def take(self, seconds: float, horizon: float = UNBOUNDED) -> Slot:
        """Room for messages taking `seconds` of the schedule, if it is not ahead of now by more
        than `horizon` seconds (the slot would begin within it)."""
        row = await self._run(TAKE, (self.key, seconds, horizon, horizon, seconds), fetch=True)
        wait = row["wait"]
        return Slot(None if wait is None else float(wait), float(row["ahead"]))

    async def pause(self, seconds: float) -> None:
        """Nothing goes out with this token, from any worker, for `seconds`."""
        await self._run(PAUSE, (self.key, seconds))

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    async def _run(self, sql: str, params: tuple, fetch: bool = False) -> Any:
        async with self._lock:
            try:
                return await self._once(sql, params, fetch)
            except Exception:  # a connection that dropped is made again, once
                await self.close()
                return await self._once(sql, params, fetch)

    async def _once(self, sql: str, params: tuple, fetch: bool) -> Any:
        if self._conn is None:
            self._conn = await self.engine.connection()
        if fetch:
            return (await self._conn.fetch(sql, params))[0]
        return await self._conn.execute(sql, params)
