"""The inbox: platform updates stored before they are confirmed, handled once from here."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

from storage.db import Tx, utc_text, utcnow_text

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

    async def handled(self, row_id: int) -> None:
        await self.tx.execute(
            "UPDATE inbox SET status = 'handled', handled_at = ? WHERE id = ?", (utcnow_text(), row_id)
        )

    async def failed(self, row_id: int, error: str) -> None:
        await self.tx.execute(
            "UPDATE inbox SET status = 'failed', error = ?, handled_at = ? WHERE id = ?",
            (error, utcnow_text(), row_id),
        )

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
