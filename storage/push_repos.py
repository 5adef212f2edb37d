"""Repositories for push-info: targets, subscribers, broadcasts."""

from __future__ import annotations

import json
from datetime import datetime

from storage.db import Tx, utc_text, utcnow_text


class Targets:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def add(
        self, platform: str, chat_id: str | int, title: str, kind: str, audiences: list[str]
    ) -> bool:
        """Register (or re-activate and update) a channel or group; True if it is new."""
        existing = await self.tx.scalar(
            "SELECT id FROM targets WHERE platform = ? AND chat_id = ?", (platform, str(chat_id))
        )
        if existing:
            await self.tx.execute(
                "UPDATE targets SET title = ?, kind = ?, audiences = ?, active = 1 WHERE id = ?",
                (title, kind, json.dumps(audiences), existing),
            )
            return False
        await self.tx.execute(
            "INSERT INTO targets (platform, chat_id, title, kind, audiences, added_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (platform, str(chat_id), title, kind, json.dumps(audiences), utcnow_text()),
        )
        return True

    async def remove(self, platform: str, chat_id: str | int) -> bool:
        found = await self.tx.scalar(
            "SELECT id FROM targets WHERE platform = ? AND chat_id = ? AND active = 1",
            (platform, str(chat_id)),
        )
        await self.tx.execute(
            "UPDATE targets SET active = 0 WHERE platform = ? AND chat_id = ?", (platform, str(chat_id))
        )
        return found is not None

    async def listing(self, active_only: bool = True) -> list[dict]:
        sql = "SELECT * FROM targets" + (" WHERE active = 1" if active_only else "") + " ORDER BY id"
        return [_with_audiences(row) for row in await self.tx.all(sql)]


class Subscribers:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def subscribe(self, platform: str, chat_id: str | int, person_id: int | None,
                        audiences: list[str]) -> None:
        await self.tx.execute(
            "DELETE FROM subscribers WHERE platform = ? AND chat_id = ?", (platform, str(chat_id))
        )
        await self.tx.execute(
            "INSERT INTO subscribers (platform, chat_id, person_id, audiences, subscribed_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (platform, str(chat_id), person_id, json.dumps(audiences), utcnow_text()),
        )

    async def unsubscribe(self, platform: str, chat_id: str | int) -> bool:
        active = await self.get(platform, chat_id)
        await self.tx.execute(
            "UPDATE subscribers SET active = 0 WHERE platform = ? AND chat_id = ?", (platform, str(chat_id))
        )
        return bool(active and active["active"])

    async def get(self, platform: str, chat_id: str | int) -> dict | None:
        row = await self.tx.one(
            "SELECT * FROM subscribers WHERE platform = ? AND chat_id = ?", (platform, str(chat_id))
        )
        return _with_audiences(row) if row else None

    async def mark_blocked(self, platform: str, chat_id: str | int, reason: str) -> None:
        """The user blocked the bot or deleted the account: never send to them again."""
        await self.tx.execute(
            "UPDATE subscribers SET active = 0, blocked_reason = ? WHERE platform = ? AND chat_id = ?",
            (reason, platform, str(chat_id)),
        )

    async def reachable(self, platform: str | None = None) -> list[dict]:
        sql = "SELECT * FROM subscribers WHERE active = 1 AND blocked_reason IS NULL"
        params: tuple = ()
        if platform:
            sql += " AND platform = ?"
            params = (platform,)
        # ties broken by the key: an order both databases give (neither keeps insertion order)
        rows = await self.tx.all(sql + " ORDER BY subscribed_at, platform, chat_id", params)
        return [_with_audiences(row) for row in rows]


class Broadcasts:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def create(self, request_id: int, version: int, audiences: list[str], due_at: datetime,
                     created_by: int | None) -> int:
        self.tx.queued = True
        self.tx.kinds.add("broadcast")
        return await self.tx.execute(
            "INSERT INTO broadcasts (request_id, version, audiences, due_at, created_by, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (request_id, version, json.dumps(audiences), utc_text(due_at), created_by, utcnow_text()),
        )

    async def get(self, broadcast_id: int) -> dict | None:
        row = await self.tx.one(
            "SELECT b.*, r.code FROM broadcasts b JOIN requests r ON r.id = b.request_id WHERE b.id = ?",
            (broadcast_id,),
        )
        return _broadcast(row) if row else None

    async def for_request(self, request_id: int) -> list[dict]:
        rows = await self.tx.all(
            "SELECT b.*, r.code FROM broadcasts b JOIN requests r ON r.id = b.request_id"
            " WHERE b.request_id = ? ORDER BY b.id",
            (request_id,),
        )
        return [_broadcast(row) for row in rows]

    async def unfinished(self) -> list[dict]:
        rows = await self.tx.all(
            "SELECT b.*, r.code FROM broadcasts b JOIN requests r ON r.id = b.request_id"
            " WHERE b.finished_at IS NULL ORDER BY b.id"
        )
        return [_broadcast(row) for row in rows]

    async def set_progress(self, broadcast_id: int, progress: dict) -> None:
        await self.tx.execute(
            "UPDATE broadcasts SET progress = ? WHERE id = ?", (json.dumps(progress), broadcast_id)
        )

    async def finish(self, broadcast_id: int) -> None:
        await self.tx.execute(
            "UPDATE broadcasts SET finished_at = ? WHERE id = ?", (utcnow_text(), broadcast_id)
        )

    async def counts(self, request_id: int) -> dict[str, int]:
        """Deliveries of a request's publication by status: pending, sending, sent, failed..."""
        rows = await self.tx.all(
            "SELECT status, COUNT(*) AS n FROM outbox WHERE kind = 'broadcast' AND request_id = ?"
            " GROUP BY status",
            (request_id,),
        )
        return {row["status"]: row["n"] for row in rows}

    async def deliveries(self, request_id: int) -> list[dict]:
        rows = await self.tx.all(
            "SELECT id, recipient, status, result, updated_at FROM outbox"
            " WHERE kind = 'broadcast' AND request_id = ? ORDER BY id",
            (request_id,),
        )
        return [dict(row) | {"result": json.loads(row["result"])} for row in rows]

    async def abandon_in_flight(self, prefix: str = "telegram:") -> int:
        """After a crash: a Telegram delivery that was being sent may or may not have arrived.
        It is reported as unknown, never sent again. Only rows of `prefix`'s platform: LINE's
        in-flight rows carry a retry key and are resent with it (bot/broadcast/line.py)."""
        where = "kind = 'broadcast' AND status = 'sending' AND substr(recipient, 1, ?) = ?"
        count = await self.tx.scalar(f"SELECT COUNT(*) FROM outbox WHERE {where}", (len(prefix), prefix))
        await self.tx.execute(
            f"UPDATE outbox SET status = 'unknown', result = ?, updated_at = ? WHERE {where}",
            (json.dumps({"reason": "interrupted while sending; delivery unknown"}), utcnow_text(),
             len(prefix), prefix),
        )
        return count


def _with_audiences(row) -> dict:
    data = dict(row)
    data["audiences"] = json.loads(data["audiences"])
    return data


def _broadcast(row) -> dict:
    data = _with_audiences(row)
    data["progress"] = json.loads(data["progress"])
    data["due_at"] = datetime.fromisoformat(data["due_at"])
    return data
