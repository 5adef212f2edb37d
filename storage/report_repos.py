"""What the monev report reads: the requests of one flow submitted in a period, their audit
events and their deliveries (counted), each set-based (four queries in all, whatever the number
of requests), on the indexes of migrations 0006, 0012 and 0016."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from bot.domain.request import Status
from storage.db import Tx, utc_text

_PERIOD = "r.flow = ? AND r.submitted_at >= ? AND r.submitted_at < ?"


@dataclass(frozen=True)
class Reported:
    """What the report needs of a request."""

    status: Status
    channels: list[str]  # the channels its client chose


class Acted(NamedTuple):
    """An audit event as the report reads it (bot.domain.record.Acted): a year's report reads
    tens of thousands, so a tuple, not a dataclass with the actor and note nobody reads here."""

    act: str
    step_id: str
    role: str
    data: dict
    at: datetime


# What the engine writes for most acts (Audit.append: json.dumps of {"step_due_at": ...}); read
# without the JSON parser, which costs more than the rest of an event (see event_data).
_DUE_ONLY = '{"step_due_at": "'


def event_data(text: str) -> dict:
    """An audit event's data: json.loads(text), with the two commonest shapes read directly."""
    if text == "{}":
        return {}
    if text.startswith(_DUE_ONLY) and text.endswith('"}'):
        due = text[len(_DUE_ONLY):-2]
        if '"' not in due and "\\" not in due:  # one plain string: the whole object is that key
            return {"step_due_at": due}
    return json.loads(text)


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
            f" ON v.request_id = r.id AND v.version = r.version WHERE {_PERIOD}"
            " ORDER BY r.submitted_at, r.id",  # as the index finds them, so SQLite sorts nothing
            self._params(flow, low, high),
        )
        return {row["id"]: Reported(Status(row["status"]), json.loads(row["content"]).get("channels") or [])
                for row in rows}

    async def events(self, flow: str, low: datetime, high: datetime) -> Iterator[tuple[int, list[Acted]]]:
        """(request id, its audit events in order) for the same requests, one request at a time:
        only what the report times and counts (no actor, note or version, and so no names to look
        up), each request's events made into Python objects when the report comes to it, so a
        year's are never all alive at once."""
        rows = await self.tx.all(
            "SELECT a.request_id, a.act, a.step_id, a.role, a.data, a.at FROM requests r"
            f" JOIN audit_log a ON a.request_id = r.id WHERE {_PERIOD}"
            # each request's events together and in order; in the order of the index that finds
            # the requests (submitted_at, then id), so SQLite sorts nothing
            " ORDER BY r.submitted_at, r.id, a.id",
            self._params(flow, low, high),
        )
        return _by_request(rows)

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


def _by_request(rows: list) -> Iterator[tuple[int, list[Acted]]]:
    """Rows ordered by request (each request's together) as (request id, its events)."""
    current, events = None, []
    for row in rows:
        if row["request_id"] != current:
            if events:
                yield current, events
            current, events = row["request_id"], []
        data, at = event_data(row["data"]), datetime.fromisoformat(row["at"])
        events.append(Acted(row["act"], row["step_id"], row["role"], data, at))
    if events:
        yield current, events
