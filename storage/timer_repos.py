"""Timers: reminders, deadlines and escalations as rows with a due time."""

from __future__ import annotations

from datetime import datetime

from bot.domain.request import RequestState
from storage.db import Tx, utc_text, utcnow_text


class Timers:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def add(self, request_id: int, state: RequestState, kind: str, due_at: datetime) -> None:
        """Set once per (request, step start, kind): re-entering a step sets new ones."""
        await self.tx.execute(
            "INSERT INTO timers (request_id, step_id, step_started_at, kind, due_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT DO NOTHING",  # the UNIQUE (request_id, step_id, step_started_at, kind)
            (request_id, state.step_id, utc_text(state.step_started_at), kind, utc_text(due_at)),
        )

    async def add_many(self, request_id: int, state: RequestState,
                       timers: list[tuple[str, datetime]]) -> None:
        """`add` for several (kind, due) of one step's visit, in one statement."""
        if not timers:
            return
        params: list = []
        for kind, due_at in timers:
            params += [request_id, state.step_id, utc_text(state.step_started_at), kind, utc_text(due_at)]
        marks = ", ".join(["(?, ?, ?, ?, ?)"] * len(timers))
        await self.tx.execute(
            f"INSERT INTO timers (request_id, step_id, step_started_at, kind, due_at) VALUES {marks}"
            " ON CONFLICT DO NOTHING",
            params,
        )

    async def due(self, now: datetime, limit: int = 100) -> list[dict]:
        rows = await self.tx.all(
            "SELECT t.*, r.code FROM timers t JOIN requests r ON r.id = t.request_id"
            " WHERE t.fired_at IS NULL AND t.due_at <= ? ORDER BY t.due_at, t.id LIMIT ?",
            (utc_text(now), limit),
        )
        return [dict(row) for row in rows]

    async def next_due(self) -> datetime | None:
        value = await self.tx.scalar("SELECT MIN(due_at) FROM timers WHERE fired_at IS NULL")
        return datetime.fromisoformat(value) if value else None

    async def fire(self, timer_id: int, outcome: str) -> bool:
        """Mark fired; False if it already was (another pass, or another worker, got there
        first). One compare-and-set: on PostgreSQL a second worker's UPDATE waits for the
        first's transaction and then finds `fired_at` set (a read before the write would not)."""
        rows = await self.tx.all(
            "UPDATE timers SET fired_at = ?, outcome = ? WHERE id = ? AND fired_at IS NULL RETURNING id",
            (utcnow_text(), outcome, timer_id),
        )
        return bool(rows)
