"""The evaluation cycle's rows (bot/services/evaluation.py): improvement and control actions
(`evaluation_actions`, migration 0006) and the procedure's own audit entries (no request)."""

from __future__ import annotations

from datetime import date, datetime

from storage.db import Tx, utc_text

_ACTIONS = ("SELECT a.*, p.name AS owner_name FROM evaluation_actions a"
            " LEFT JOIN people p ON p.id = a.owner_id")


class EvaluationRepo:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def add_action(self, flow: str, period: str, step_id: str, text: str, owner_id: int,
                         due_on: date, created_by: int, now: datetime) -> int:
        return await self.tx.execute(
            "INSERT INTO evaluation_actions (flow, period, step_id, text, owner_id, due_on, created_by,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (flow, period, step_id, text, owner_id, due_on.isoformat(), created_by, utc_text(now)),
        )

    async def action(self, flow: str, action_id: int):
        """The action with its owner's name (`owner_name`), or None."""
        return await self.tx.one(f"{_ACTIONS} WHERE a.id = ? AND a.flow = ?", (action_id, flow))

    async def mark_done(self, action_id: int, person_id: int, note: str, now: datetime) -> None:
        await self.tx.execute(
            "UPDATE evaluation_actions SET done_at = ?, done_by = ?, done_note = ? WHERE id = ?",
            (utc_text(now), person_id, note, action_id))

    async def due_for_reminder(self, flow: str, horizon: date, today: date) -> list:
        """Open actions due by `horizon` whose owner was not reminded `today`: (id, owner_id)."""
        return await self.tx.all(
            "SELECT id, owner_id FROM evaluation_actions WHERE flow = ? AND done_at IS NULL"
            " AND due_on <= ? AND (reminded_on IS NULL OR reminded_on < ?) ORDER BY id",
            (flow, horizon.isoformat(), today.isoformat()),
        )

    async def mark_reminded(self, action_id: int, today: date) -> bool:
        """True if this call marked it (still open, not reminded today by another)."""
        changed = await self.tx.all(
            "UPDATE evaluation_actions SET reminded_on = ? WHERE id = ? AND done_at IS NULL"
            " AND (reminded_on IS NULL OR reminded_on < ?) RETURNING id",
            (today.isoformat(), action_id, today.isoformat()))
        return bool(changed)

    async def open_at(self, flow: str, before_period: str, low: datetime) -> list:
        """Actions of evaluations before `before_period` still open at `low` (done since, or not)."""
        return await self.tx.all(
            f"{_ACTIONS} WHERE a.flow = ? AND a.period < ? AND (a.done_at IS NULL OR a.done_at >= ?)"
            " ORDER BY a.id", (flow, before_period, utc_text(low)))

    async def procedure_entries(self) -> list:
        """The procedure's evaluation entries (findings, actions, completions), oldest first,
        with the actor's name."""
        return await self.tx.all(
            "SELECT a.act, a.step_id, a.note, a.data, a.at, a.channel, p.name FROM audit_log a"
            " LEFT JOIN people p ON p.id = a.actor_id"
            " WHERE a.request_id IS NULL AND a.act IN ('evaluate', 'action', 'action_done')"
            " ORDER BY a.id",
        )
