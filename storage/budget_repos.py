"""The send schedule of one bot token, shared by every worker on one PostgreSQL.

One row per token (`send_budget`, migration 0013): `next_at` is the moment from which the next
message may go, `paused_until` the end of a pause every chat keeps (a 429 for the whole
token). Taking room is one statement that moves `next_at` on by the messages' share of the
second and says how long to wait for the slot it gave. Times are the database's clock
(`clock_timestamp()`), so workers on several machines need not agree on theirs.

PostgreSQL only (a SQLite file has one process, whose budget lives in memory), on a connection
of its own: a worker's one writing connection is held by whole updates, which a message
waiting for its slot must not queue behind.
"""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

_NOW = "CAST(EXTRACT(EPOCH FROM clock_timestamp()) AS DOUBLE PRECISION)"
_SECONDS = "CAST(? AS DOUBLE PRECISION)"
TAKE = (
    f"INSERT INTO send_budget AS b (token, next_at) VALUES (?, {_NOW} + {_SECONDS})"
    f" ON CONFLICT (token) DO UPDATE SET next_at = GREATEST(b.next_at, b.paused_until, {_NOW}) + {_SECONDS}"
    f" RETURNING next_at - {_SECONDS} - {_NOW} AS wait"
)
PAUSE = (
    f"INSERT INTO send_budget AS b (token, paused_until) VALUES (?, {_NOW} + {_SECONDS})"
    " ON CONFLICT (token) DO UPDATE SET paused_until = GREATEST(b.paused_until, excluded.paused_until)"
)


def token_key(token: str) -> str:
    """The token's name in the table: a digest, never the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()[:24]


class SendSlots:
    def __init__(self, engine: Any, key: str) -> None:
        self.engine = engine  # storage.postgres.PostgresEngine
        self.key = key
        self._conn: Any = None
        self._lock = asyncio.Lock()  # one statement at a time on the connection

    async def take(self, seconds: float) -> float:
        """Room for messages taking `seconds` of the schedule: seconds until their slot begins."""
        return float(await self._run(TAKE, (self.key, seconds, seconds, seconds), fetch=True))

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
            return (await self._conn.fetch(sql, params))[0][0]
        return await self._conn.execute(sql, params)
