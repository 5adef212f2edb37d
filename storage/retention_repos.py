"""What retention reads and deletes (bot/services/retention.py), a batch at a time, each batch
found through an index: rows that only served delivery, once older than their period.

- notices and replies sent (or skipped, or failed for good) before the cutoff, by the outbox's
  (status, due_at) index; a notice of a request still open stays (a decision edits the other
  holders' prompts: their sent rows name the messages);
- updates handled (or failed) before the cutoff: the inbox is walked by id, oldest first, and
  the walk stops at the first update younger than the cutoff (ids follow arrival);
- timers fired before the cutoff, by the timers' (fired_at, due_at) index;
- link codes used or expired before the cutoff (a handful of rows);
- a finished broadcast's deliveries, folded into one `broadcast_deliveries` row
  (migration 0012): the archive and the report read them from there.
"""

from __future__ import annotations

import base64
import json
import zlib
from collections import defaultdict
from datetime import datetime

from storage.db import Tx, utc_text, utcnow_text

DELIVERED = ("sent", "skipped", "failed")  # a notice's or reply's end: nothing more to do with it
FINAL = ("sent", "failed", "unknown")  # a push-info delivery's end
OPEN = ("active", "returned")  # requests whose prompts may still be edited


class RetentionRepo:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    # notices and replies ------------------------------------------------------------------

    async def delivered_messages(self, before: datetime, limit: int) -> list[int]:
        """Ids of notices and replies done with before `before`, oldest first."""
        found: list[int] = []
        for status in DELIVERED:
            rows = await self.tx.all(
                "SELECT o.id FROM outbox o WHERE o.status = ? AND o.due_at < ?"
                " AND o.kind IN ('notice', 'reply') AND NOT EXISTS (SELECT 1 FROM requests r"
                " WHERE r.id = o.request_id AND r.status IN (?, ?)) ORDER BY o.due_at LIMIT ?",
                (status, utc_text(before), *OPEN, limit - len(found)),
            )
            found += [row["id"] for row in rows]
            if len(found) >= limit:
                break
        return found

    async def delete_outbox(self, ids: list[int]) -> None:
        await self._delete("outbox", ids)

    # the inbox ----------------------------------------------------------------------------

    async def handled_updates(self, after: int, before: datetime, limit: int) -> tuple[list[int], int | None]:
        """(ids of platform updates handled or failed before `before`, among the `limit` rows
        after id `after`; where the next batch starts, None once the rows reach the cutoff)."""
        rows = await self.tx.all(
            "SELECT id, source, status, received_at FROM inbox WHERE id > ? ORDER BY id LIMIT ?",
            (after, limit),
        )
        cutoff, ids = utc_text(before), []
        for row in rows:
            if row["received_at"] >= cutoff:
                return ids, None
            if row["status"] != "pending" and row["source"] in ("telegram", "line"):
                ids.append(row["id"])  # 'monev' rows remember a month reported: they stay
        return ids, (rows[-1]["id"] if len(rows) == limit else None)

    async def delete_inbox(self, ids: list[int]) -> None:
        await self._delete("inbox", ids)

    # timers and codes ---------------------------------------------------------------------

    async def fired_timers(self, before: datetime, limit: int) -> list[int]:
        rows = await self.tx.all(
            "SELECT id FROM timers WHERE fired_at < ? ORDER BY fired_at LIMIT ?", (utc_text(before), limit)
        )
        return [row["id"] for row in rows]

    async def delete_timers(self, ids: list[int]) -> None:
        await self._delete("timers", ids)

    async def old_link_codes(self, before: datetime) -> int:
        """Delete link codes expired before `before` (a used one expired too: a code lives 15
        minutes); how many."""
        rows = await self.tx.all("DELETE FROM link_codes WHERE expires_at < ? RETURNING code",
                                 (utc_text(before),))
        return len(rows)

    # push-info deliveries -----------------------------------------------------------------

    async def finished_broadcasts(self, before: datetime, limit: int) -> list[int]:
        """Broadcasts finished before `before` whose deliveries are still outbox rows: found
        from the deliveries themselves (folded ones are gone), by the (status, due_at) index."""
        candidates: set[int] = set()
        for status in FINAL:
            rows = await self.tx.all(
                "SELECT payload FROM outbox WHERE status = ? AND due_at < ? AND kind = 'broadcast'"
                " ORDER BY due_at LIMIT ?", (status, utc_text(before), limit))
            candidates.update(json.loads(row["payload"])["broadcast_id"] for row in rows)
        if not candidates:
            return []
        marks = ", ".join("?" * len(candidates))
        rows = await self.tx.all(
            f"SELECT id FROM broadcasts WHERE id IN ({marks}) AND finished_at < ? ORDER BY id LIMIT ?",
            (*sorted(candidates), utc_text(before), limit))
        return [row["id"] for row in rows]

    async def fold(self, broadcast_id: int) -> int:
        """The broadcast's deliveries into one row, their outbox rows deleted; how many. A
        broadcast with a delivery still pending or in flight is left alone."""
        row = await self.tx.one("SELECT request_id, finished_at FROM broadcasts WHERE id = ?",
                                (broadcast_id,))
        if row is None or row["finished_at"] is None:
            return 0
        rows = [r for r in await self.tx.all(
            "SELECT id, recipient, status, result, updated_at, payload FROM outbox"
            " WHERE request_id = ? AND kind = 'broadcast' ORDER BY id", (row["request_id"],))
            if json.loads(r["payload"]).get("broadcast_id") == broadcast_id]
        if not rows or any(r["status"] not in FINAL for r in rows):
            return 0
        counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for r in rows:
            counts[r["recipient"].split(":", 1)[0]][r["status"]] += 1
        folded = [[r["recipient"], r["status"], json.loads(r["result"]), r["updated_at"]] for r in rows]
        existing = await self.tx.one(
            "SELECT counts, deliveries FROM broadcast_deliveries WHERE broadcast_id = ?", (broadcast_id,))
        if existing is not None:  # folded before, and rows came after (never, but lose nothing)
            folded = unpack(existing["deliveries"]) + folded
            for platform, statuses in json.loads(existing["counts"]).items():
                for status, n in statuses.items():
                    counts[platform][status] += n
        await self.tx.execute(
            "INSERT INTO broadcast_deliveries (broadcast_id, request_id, counts, deliveries, folded_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (broadcast_id) DO UPDATE SET counts = excluded.counts,"
            " deliveries = excluded.deliveries, folded_at = excluded.folded_at",
            (broadcast_id, row["request_id"], json.dumps(counts), pack(folded), utcnow_text()),
        )
        await self._delete("outbox", [r["id"] for r in rows])
        return len(rows)

    async def due(self, delivered: datetime, updates: datetime) -> dict[str, int]:
        """How many rows a pass would prune (or fold) now: cutoffs `delivered` and `updates`."""
        cutoff = utc_text(delivered)
        messages = 0
        for status in DELIVERED:
            messages += await self.tx.scalar(
                "SELECT COUNT(*) FROM outbox o WHERE o.status = ? AND o.due_at < ?"
                " AND o.kind IN ('notice', 'reply') AND NOT EXISTS (SELECT 1 FROM requests r"
                " WHERE r.id = o.request_id AND r.status IN (?, ?))", (status, cutoff, *OPEN))
        folded = 0
        for status in FINAL:
            folded += await self.tx.scalar(
                "SELECT COUNT(*) FROM outbox WHERE status = ? AND due_at < ? AND kind = 'broadcast'",
                (status, cutoff))
        return {
            "messages": messages,
            "updates": await self.tx.scalar(
                "SELECT COUNT(*) FROM inbox WHERE status <> 'pending' AND source IN ('telegram', 'line')"
                " AND received_at < ?", (utc_text(updates),)),
            "timers": await self.tx.scalar("SELECT COUNT(*) FROM timers WHERE fired_at < ?", (cutoff,)),
            "link codes": await self.tx.scalar("SELECT COUNT(*) FROM link_codes WHERE expires_at < ?",
                                               (cutoff,)),
            "deliveries folded": folded,
        }

    async def _delete(self, table: str, ids: list[int]) -> None:
        if ids:
            await self.tx.execute(f"DELETE FROM {table} WHERE id IN ({', '.join('?' * len(ids))})", ids)


def pack(deliveries: list) -> str:
    return base64.b64encode(zlib.compress(json.dumps(deliveries, separators=(",", ":")).encode(), 9)).decode()


def unpack(text: str) -> list:
    return json.loads(zlib.decompress(base64.b64decode(text))) if text else []


async def deliveries_of(tx: Tx, request_id: int) -> list[dict]:
    """Every push-info delivery of a request, whether still outbox rows or folded by retention:
    recipient, status, result and when (`updated_at`), in the order they were queued."""
    rows = await tx.all(
        "SELECT recipient, status, result, updated_at FROM outbox WHERE request_id = ? AND kind = 'broadcast'"
        " ORDER BY id", (request_id,))
    folded = await tx.all(
        "SELECT deliveries FROM broadcast_deliveries WHERE request_id = ? ORDER BY broadcast_id",
        (request_id,))
    found = [{"recipient": d[0], "status": d[1], "result": d[2], "updated_at": d[3]}
             for row in folded for d in unpack(row["deliveries"])]
    return found + [dict(row) | {"result": json.loads(row["result"])} for row in rows]
