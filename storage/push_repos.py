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


# A delivery's outcomes, each counted on its broadcast's row (migration 0011); "pending"
# counts the deliveries not finished (status pending or sending).
COUNTED = ("pending", "sent", "failed", "unknown")


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

    async def queued(self, broadcast_id: int, count: int) -> None:
        """`count` deliveries were queued (pending) for the broadcast, in this transaction."""
        await self.tx.execute("UPDATE broadcasts SET n_pending = n_pending + ? WHERE id = ?",
                              (count, broadcast_id))

    async def tally(self, broadcast_id: int) -> dict[str, int]:
        """The broadcast's deliveries by outcome, as its counters keep them ("pending": not
        finished; outcomes with none left out): one row read, however large the outbox."""
        row = await self.tx.one(
            "SELECT n_pending, n_sent, n_failed, n_unknown FROM broadcasts WHERE id = ?", (broadcast_id,)
        )
        return tallied(dict(row)) if row else {}

    async def move(self, broadcast_id: int, row_ids: list[int], status: str, result: dict,
                   only_if: str, owner: str | None = None) -> list[int]:
        """Deliveries of one broadcast from status `only_if` to `status` with `result`, and the
        broadcast's counters with them; rows no longer in `only_if` (or, with `owner`, no longer
        claimed by that worker) are left alone. The ids that moved. Two statements inside a
        transaction, except between pending and sending (both unfinished): one statement, which
        `Database.statement()` can run alone."""
        if not row_ids:
            return []
        marks = ", ".join("?" * len(row_ids))
        mine = " AND claimed_by = ?" if owner else ""
        moved = await self.tx.all(
            f"UPDATE outbox SET status = ?, result = ?, attempts = attempts + 1, updated_at = ?"
            f" WHERE id IN ({marks}) AND status = ?{mine} RETURNING id",
            (status, json.dumps(result), utcnow_text(), *row_ids, only_if, *((owner,) if owner else ())),
        )
        await self._count(broadcast_id, only_if, status, len(moved))
        return sorted(row["id"] for row in moved)

    async def settle(self, broadcast_id: int, results: dict[int, dict], status: str,
                     only_if: str) -> list[int]:
        """Several deliveries of one broadcast from `only_if` to `status`, each with its own
        result (row id -> result), the counters moved once for all. Inside a transaction.
        The ids that moved."""
        moved = []
        for row_id, result in results.items():
            moved += await self.tx.all(
                "UPDATE outbox SET status = ?, result = ?, attempts = attempts + 1, updated_at = ?"
                " WHERE id = ? AND status = ? RETURNING id",
                (status, json.dumps(result), utcnow_text(), row_id, only_if),
            )
        await self._count(broadcast_id, only_if, status, len(moved))
        return sorted(row["id"] for row in moved)

    async def _count(self, broadcast_id: int, was: str, now: str, count: int) -> None:
        was, now = _outcome(was), _outcome(now)
        if was == now or not count:
            return
        if was not in COUNTED or now not in COUNTED:
            raise ValueError(f"a delivery cannot go from {was!r} to {now!r}")
        await self.tx.execute(
            f"UPDATE broadcasts SET n_{was} = n_{was} - ?, n_{now} = n_{now} + ? WHERE id = ?",
            (count, count, broadcast_id),
        )

    async def recount(self, broadcast_id: int) -> dict[str, int]:
        """Set the counters from the outbox (a full count of the request's deliveries, for
        when they might be off); the counts."""
        broadcast = await self.tx.one("SELECT request_id FROM broadcasts WHERE id = ?", (broadcast_id,))
        if broadcast is None:
            return {}
        counts = await self.counts(broadcast["request_id"])
        outcomes = dict.fromkeys(COUNTED, 0)
        for status, number in counts.items():
            outcomes[_outcome(status)] += number
        await self.tx.execute(
            "UPDATE broadcasts SET n_pending = ?, n_sent = ?, n_failed = ?, n_unknown = ? WHERE id = ?",
            (*outcomes.values(), broadcast_id),
        )
        return counts

    async def counts(self, request_id: int) -> dict[str, int]:
        """Deliveries of a request's publication by status: pending, sending, sent, failed...
        counted in the outbox (see `tally` for the broadcast's counters)."""
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

    async def abandon_in_flight(self, prefix: str = "telegram:", expired: str | None = None) -> int:
        """After a crash: a Telegram delivery that was being sent may or may not have arrived.
        It is reported as unknown, never sent again. Only rows of `prefix`'s platform: LINE's
        in-flight rows carry a retry key and are resent with it (bot/broadcast/line.py). With
        `expired` (several workers), only rows whose claim ended before then: a dead worker's,
        never those a live worker is sending."""
        dead = " AND (claimed_by IS NULL OR claimed_until < ?)" if expired else ""
        rows = await self.tx.all(
            "SELECT id, payload, result FROM outbox WHERE status = 'sending' AND kind = 'broadcast'"
            f" AND substr(recipient, 1, ?) = ?{dead} ORDER BY id",
            (len(prefix), prefix, *((expired,) if expired else ())),
        )
        results: dict[int, dict[int, dict]] = {}
        for row in rows:
            kept = {k: v for k, v in json.loads(row["result"]).items() if k in ("tries", "unsure", "last")}
            broadcast_id = json.loads(row["payload"])["broadcast_id"]
            results.setdefault(broadcast_id, {})[row["id"]] = kept | {"reason": STOPPED}
        moved = 0
        for broadcast_id, each in results.items():
            moved += len(await self.settle(broadcast_id, each, "unknown", only_if="sending"))
        return moved


STOPPED = "interrupted while sending; delivery unknown"  # a crash or a kill caught it in flight


def _outcome(status: str) -> str:
    return "pending" if status == "sending" else status


def tallied(counters: dict) -> dict[str, int]:
    """{outcome: count} from a broadcasts row's n_* counters, outcomes with none left out."""
    return {status: counters[f"n_{status}"] for status in COUNTED if counters.get(f"n_{status}")}


def _with_audiences(row) -> dict:
    data = dict(row)
    data["audiences"] = json.loads(data["audiences"])
    return data


def _broadcast(row) -> dict:
    data = _with_audiences(row)
    data["progress"] = json.loads(data["progress"])
    data["due_at"] = datetime.fromisoformat(data["due_at"])
    return data
