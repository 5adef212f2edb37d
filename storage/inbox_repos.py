"""The inbox: platform updates stored before they are confirmed, handled once from here."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

from storage.db import Tx, utc_text, utcnow_text
from storage.dialect import Dialect

COLUMNS = "id, source, event_id, chat_key, payload, received_at, restarts"


@dataclass(frozen=True)
class InboxRow:
    id: int
    source: str
    event_id: str
    chat_key: str  # one chat's rows are handled in order
    payload: str  # the update as the platform sent it (JSON text)
    received_at: str
    restarts: int = 0
    # the payload as the receiver had it decoded, for a row just stored (not read back)
    data: dict | None = field(default=None, compare=False, repr=False)

    def decoded(self) -> dict:
        """The payload as a dict: the receiver's own, or decoded from the stored text."""
        return self.data if self.data is not None else json.loads(self.payload)

    @property
    def key(self) -> str:
        return f"{self.source}:{self.chat_key}"


@dataclass(frozen=True)
class Incoming:
    """An update as a receiver hands it over, before it has a row."""

    source: str
    event_id: str
    chat_key: str
    payload: str
    data: dict | None = field(default=None, compare=False, repr=False)  # `payload`, decoded


def _row(row) -> InboxRow:
    return InboxRow(row["id"], row["source"], row["event_id"], row["chat_key"], row["payload"],
                    row["received_at"], row["restarts"])


class Inbox:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def store(self, items: list[Incoming]) -> list[InboxRow]:
        """Insert a batch in one statement; the rows that are new, in order (an update seen
        before, say redelivered, is skipped by the unique key)."""
        if not items:
            return []
        received = utc_text(datetime.now(UTC))
        params: list = []
        for item in items:
            params += [item.source, item.event_id, item.chat_key, item.payload, received]
        marks = ", ".join(["(?, ?, ?, ?, ?)"] * len(items))
        rows = await self.tx.all(
            f"INSERT INTO inbox (source, event_id, chat_key, payload, received_at) VALUES {marks}"
            " ON CONFLICT (source, event_id) DO NOTHING RETURNING id, source, event_id",
            params,
        )
        by_id = {(item.source, item.event_id): item for item in items}
        new = []
        for row in sorted(rows, key=lambda r: r["id"]):
            item = by_id[(row["source"], row["event_id"])]
            new.append(InboxRow(row["id"], item.source, item.event_id, item.chat_key, item.payload, received,
                                data=item.data))
        return new

    async def pending(self) -> list[InboxRow]:
        rows = await self.tx.all(f"SELECT {COLUMNS} FROM inbox WHERE status = 'pending' ORDER BY id")
        return [_row(row) for row in rows]

    async def count_restart(self, sources: list[str]) -> None:
        """A start of the bot that handles `sources` found rows pending (a crash, or a stop,
        came first): count one more start for each chat's oldest, the only one of the chat's
        that can have been in hand then (a chat's updates are handled one after another)."""
        marks = ", ".join("?" * len(sources)) or "NULL"
        await self.tx.execute(
            "UPDATE inbox SET restarts = restarts + 1 WHERE id IN (SELECT MIN(id) FROM inbox"
            f" WHERE status = 'pending' AND source IN ({marks}) GROUP BY source, chat_key)",
            sources,
        )

    async def handled(self, row_id: int) -> bool:
        """Mark it handled; False if it was not pending any more (another worker's commit came
        first: this one must roll back, so that nothing is applied twice)."""
        marked = await self.tx.all(
            "UPDATE inbox SET status = 'handled', handled_at = ? WHERE id = ? AND status = 'pending'"
            " RETURNING id", (utcnow_text(), row_id),
        )
        return bool(marked)

    async def failed(self, row_id: int, error: str) -> bool:
        marked = await self.tx.all(
            "UPDATE inbox SET status = 'failed', error = ?, handled_at = ? WHERE id = ?"
            " AND status = 'pending' RETURNING id",
            (error, utcnow_text(), row_id),
        )
        return bool(marked)

    async def oldest_telegram_pending(self) -> int | None:
        """The oldest Telegram update stored and not yet done, whoever stored it."""
        return await self.tx.scalar(
            "SELECT MIN(CAST(event_id AS BIGINT)) FROM inbox WHERE status = 'pending' AND source = 'telegram'"
        )

    async def newest_telegram(self) -> int | None:
        return await self.tx.scalar(
            "SELECT MAX(CAST(event_id AS BIGINT)) FROM inbox WHERE source = 'telegram'")

    async def status(self, source: str, event_id: str) -> str | None:
        return await self.tx.scalar(
            "SELECT status FROM inbox WHERE source = ? AND event_id = ?", (source, event_id)
        )

    async def first_time(self, source: str, event_id: str) -> bool:
        """Record something done once (a month's report queued); False if it was before."""
        inserted = await self.tx.all(
            "INSERT INTO inbox (source, event_id, status, received_at, handled_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (source, event_id) DO NOTHING RETURNING 1",
            (source, event_id, "handled", utcnow_text(), utcnow_text()),
        )
        return bool(inserted)


@dataclass(frozen=True)
class Holder:
    worker: str
    until: str
    alive: bool


class InboxClaims:
    """Which worker handles a chat's updates now (PostgreSQL, several workers: migration 0014)."""

    def __init__(self, tx: Tx, dialect: Dialect) -> None:
        self.tx = tx
        self.dialect = dialect

    async def holder(self, source: str, chat_key: str) -> Holder | None:
        """The chat's claim, locked to the end of the transaction (none: nobody holds it)."""
        dialect = self.dialect
        row = await self.tx.one(
            f"SELECT claimed_by, claimed_until, {dialect.alive('claimed_by')} AS alive FROM inbox_claims"
            f" WHERE source = ? AND chat_key = ?{dialect.for_update}",
            (source, chat_key),
        )
        return Holder(row["claimed_by"], row["claimed_until"], bool(row["alive"])) if row else None

    async def add(self, source: str, chat_key: str, worker: str, until: str) -> bool:
        """Claim a chat nobody holds; False if another worker's claim came first."""
        added = await self.tx.all(
            "INSERT INTO inbox_claims (source, chat_key, claimed_by, claimed_until) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (source, chat_key) DO NOTHING RETURNING 1",
            (source, chat_key, worker, until),
        )
        return bool(added)

    async def take(self, source: str, chat_key: str, worker: str, until: str) -> None:
        await self.tx.execute(
            "UPDATE inbox_claims SET claimed_by = ?, claimed_until = ? WHERE source = ? AND chat_key = ?",
            (worker, until, source, chat_key),
        )

    async def count_restart(self, source: str, chat_key: str) -> int:
        """The chat's oldest pending update was in hand when its worker died: how many times now."""
        counted = await self.tx.scalar(
            "UPDATE inbox SET restarts = restarts + 1 WHERE id = (SELECT MIN(id) FROM inbox"
            " WHERE status = 'pending' AND source = ? AND chat_key = ?) RETURNING restarts",
            (source, chat_key),
        )
        return counted or 0

    async def release(self, source: str, chat_key: str, worker: str) -> bool:
        """Let the chat go if none of its updates is pending; False if some are (or the claim
        is not this worker's any more)."""
        gone = await self.tx.all(
            "DELETE FROM inbox_claims WHERE source = ? AND chat_key = ? AND claimed_by = ?"
            " AND NOT EXISTS (SELECT 1 FROM inbox WHERE source = ? AND chat_key = ? AND status = 'pending')"
            " RETURNING 1",
            (source, chat_key, worker, source, chat_key),
        )
        return bool(gone)

    async def pending_held(self, source: str, chat_key: str, worker: str) -> list[InboxRow]:
        """The chat's pending updates, oldest first, if this worker holds the chat."""
        rows = await self.tx.all(
            f"SELECT {_prefixed('i')} FROM inbox i JOIN inbox_claims c ON c.source = i.source"
            " AND c.chat_key = i.chat_key AND c.claimed_by = ? WHERE i.status = 'pending'"
            " AND i.source = ? AND i.chat_key = ? ORDER BY i.id",
            (worker, source, chat_key),
        )
        return [_row(row) for row in rows]

    async def renew(self, worker: str, until: str) -> None:
        await self.tx.execute("UPDATE inbox_claims SET claimed_until = ? WHERE claimed_by = ?",
                              (until, worker))

    async def expire(self, worker: str) -> None:
        """Every claim of this worker runs out now (it stops): others take its chats at once,
        and count a start for what it had in hand, as a restart does on SQLite."""
        await self.tx.execute("UPDATE inbox_claims SET claimed_until = '' WHERE claimed_by = ?", (worker,))

    async def adrift(self, sources: list[str], worker: str, now: str) -> list[InboxRow]:
        """Pending updates of chats nobody handles: no claim, a claim run out, or one whose
        worker is dead (or this worker's own)."""
        marks = ", ".join("?" * len(sources)) or "NULL"
        rows = await self.tx.all(
            f"SELECT {_prefixed('i')} FROM inbox i LEFT JOIN inbox_claims c ON c.source = i.source"
            f" AND c.chat_key = i.chat_key WHERE i.status = 'pending' AND i.source IN ({marks})"
            " AND (c.claimed_by IS NULL OR c.claimed_by = ? OR c.claimed_until < ?"
            f" OR NOT {self.dialect.alive('c.claimed_by')}) ORDER BY i.id",
            (*sources, worker, now),
        )
        return [_row(row) for row in rows]


def _prefixed(alias: str) -> str:
    return ", ".join(f"{alias}.{column.strip()}" for column in COLUMNS.split(","))
