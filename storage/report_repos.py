"""What the monev report reads: the requests of one flow submitted in a period, their audit
events and their deliveries (counted), each set-based (four queries in all, whatever the number
of requests), on the indexes of migrations 0006 and 0012."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from bot.domain.request import Status
from storage.db import Tx, utc_text
from storage.repositories import AuditEntry

_PERIOD = "r.flow = ? AND r.submitted_at >= ? AND r.submitted_at < ?"


@dataclass(frozen=True)
class Reported:
    """What the report needs of a request."""

    status: Status
    channels: list[str]  # the channels its client chose


class ReportRepo:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    @staticmethod
    def _params(flow: str, low: datetime, high: datetime) -> tuple[str, str, str]:
        return flow, utc_text(low), utc_text(high)

    async def requests(self, flow: str, low: datetime, high: datetime) -> dict[int, Reported]:
        """Request id -> what the report needs of it (its status, the channels chosen), for
        requests submitted in [low, high)."""
        rows = await self.tx.all(
            "SELECT r.id, r.status, v.content FROM requests r JOIN request_versions v"
            f" ON v.request_id = r.id AND v.version = r.version WHERE {_PERIOD} ORDER BY r.id",
            self._params(flow, low, high),
        )
        return {row["id"]: Reported(Status(row["status"]), json.loads(row["content"]).get("channels") or [])
                for row in rows}

    async def events(self, flow: str, low: datetime, high: datetime) -> dict[int, list[AuditEntry]]:
        """Request id -> its audit events in order, for the same requests."""
        rows = await self.tx.all(
            "SELECT a.request_id, a.act, a.step_id, a.version, a.actor_id, a.role, a.channel, a.note, a.data,"
            f" a.at FROM requests r JOIN audit_log a ON a.request_id = r.id WHERE {_PERIOD}"
            " ORDER BY a.request_id, a.id",
            self._params(flow, low, high),
        )
        names = await self._names({row["actor_id"] for row in rows if row["actor_id"] is not None})
        events: dict[int, list[AuditEntry]] = defaultdict(list)
        for row in rows:
            actor, data = row["actor_id"], row["data"]
            events[row["request_id"]].append(AuditEntry(
                row["act"], row["step_id"], row["version"], actor, names.get(actor, ""), row["role"],
                row["channel"], row["note"], json.loads(data) if data != "{}" else {},
                datetime.fromisoformat(row["at"])))
        return events

    async def _names(self, actors: set[int]) -> dict[int, str]:
        """The actors' names, read once each (a handful of people act on thousands of requests)."""
        ordered, names = sorted(actors), {}
        for start in range(0, len(ordered), 500):
            chunk = ordered[start:start + 500]
            found = await self.tx.all(
                f"SELECT id, name FROM people WHERE id IN ({', '.join('?' * len(chunk))})", chunk)
            names |= {row["id"]: row["name"] for row in found}
        return names

    async def deliveries(self, flow: str, low: datetime, high: datetime) -> dict[int, list[dict]]:
        """Request id -> its push-info deliveries counted by platform and status, {"platform",
        "status", "count"} each: outbox rows of kind 'broadcast' counted by the database, and
        the counts of deliveries retention folded (migration 0012); no row is read one by one."""
        params = self._params(flow, low, high)
        rows = await self.tx.all(
            "SELECT o.request_id, CASE WHEN o.recipient LIKE 'line:%' THEN 'line' ELSE 'telegram' END"
            " AS platform, o.status, COUNT(*) AS n FROM requests r JOIN outbox o ON o.request_id = r.id"
            f" AND o.kind = 'broadcast' WHERE {_PERIOD} GROUP BY o.request_id, platform, o.status",
            params,
        )
        found: dict[int, list[dict]] = defaultdict(list)
        for row in rows:
            found[row["request_id"]].append({"platform": row["platform"], "status": row["status"],
                                             "count": row["n"]})
        folded = await self.tx.all(
            "SELECT d.request_id, d.counts FROM requests r JOIN broadcast_deliveries d ON d.request_id = r.id"
            f" WHERE {_PERIOD} ORDER BY d.request_id, d.broadcast_id",
            params,
        )
        for row in folded:
            for platform, statuses in json.loads(row["counts"]).items():
                found[row["request_id"]] += [{"platform": platform, "status": status, "count": n}
                                             for status, n in statuses.items()]
        return found
