"""Repositories: the only place that knows table and column names.

Each takes the `Tx` it runs in; `Repos(tx)` bundles them for a service.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from bot.domain.engine import Event
from bot.domain.request import Content, MediaRef, RequestState, Status, request_code
from storage.db import Tx, utc_text, utcnow_text
from storage.inbox_repos import Inbox
from storage.push_repos import Broadcasts, Subscribers, Targets
from storage.security_repos import Attempts, Invites, Secrets, TargetClaims, clean_code, new_code
from storage.timer_repos import Timers


class People:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def find(self, platform: str, external_id: str | int) -> int | None:
        return await self.tx.scalar(
            "SELECT person_id FROM identities WHERE platform = ? AND external_id = ?",
            (platform, str(external_id)),
        )

    async def find_person(self, platform: str, external_id: str | int) -> dict | None:
        """The people row behind a platform identity, if known."""
        row = await self.tx.one(
            "SELECT p.* FROM identities i JOIN people p ON p.id = i.person_id"
            " WHERE i.platform = ? AND i.external_id = ?",
            (platform, str(external_id)),
        )
        return dict(row) if row else None

    async def find_ahead(self, platform: str, external_id: str | int) -> dict | None:
        """`find_person`, with the person's pending input and draft read along in the same
        query; inside an update they are kept in `tx.known` for the handler's next reads (each
        would be a trip of its own), until the update's first write."""
        row = await self.tx.one(
            "SELECT p.*, n.kind AS pending_kind, n.data AS pending_data, d.question AS draft_question,"
            " d.data AS draft_data FROM identities i JOIN people p ON p.id = i.person_id"
            " LEFT JOIN pending_inputs n ON n.person_id = p.id LEFT JOIN drafts d ON d.person_id = p.id"
            " WHERE i.platform = ? AND i.external_id = ?",
            (platform, str(external_id)),
        )
        if row is None:
            return None
        person = {key: value for key, value in dict(row).items()
                  if not key.startswith(("pending_", "draft_"))}
        if self.tx.known is not None:
            self.tx.known[("pending", person["id"])] = (
                (row["pending_kind"], json.loads(row["pending_data"])) if row["pending_kind"] else None)
            self.tx.known[("draft", person["id"])] = (
                (row["draft_question"], json.loads(row["draft_data"])) if row["draft_question"] else None)
        return person

    async def meet(
        self, platform: str, external_id: str | int, name: str = "", language: str = "id",
        username: str = "",
    ) -> dict:
        """The people row behind a platform identity, created on first sight; a name the
        platform now gives replaces an empty or older one. One query for someone known:
        it runs for every update."""
        person = await self.find_person(platform, external_id)
        if person is None:
            return await self.get(await self._create(platform, external_id, name, language, username))
        if name and person["name"] != name:
            await self.tx.execute("UPDATE people SET name = ? WHERE id = ?", (name, person["id"]))
            person["name"] = name
        return person

    async def ensure(
        self, platform: str, external_id: str | int, name: str = "", language: str = "id",
        username: str = "",
    ) -> int:
        """The id of the person behind a platform identity (see `meet`)."""
        return (await self.meet(platform, external_id, name, language, username))["id"]

    async def _create(self, platform: str, external_id: str | int, name: str, language: str,
                      username: str) -> int:
        person_id = await self.tx.execute(
            "INSERT INTO people (name, language, preferred_platform, created_at) VALUES (?, ?, ?, ?)",
            (name, language, platform, utcnow_text()),
        )
        await self.tx.execute(
            "INSERT INTO identities (platform, external_id, person_id, username) VALUES (?, ?, ?, ?)",
            (platform, str(external_id), person_id, username),
        )
        return person_id

    async def get(self, person_id: int) -> dict | None:
        row = await self.tx.one("SELECT * FROM people WHERE id = ?", (person_id,))
        return dict(row) if row else None

    async def languages(self, person_ids: list[int]) -> dict[int, str]:
        if not person_ids:
            return {}
        marks = ", ".join("?" * len(person_ids))
        rows = await self.tx.all(f"SELECT id, language FROM people WHERE id IN ({marks})", person_ids)
        return {row["id"]: row["language"] for row in rows}

    async def identities(self, person_id: int) -> dict[str, str]:
        rows = await self.tx.all(
            "SELECT platform, external_id FROM identities WHERE person_id = ?", (person_id,)
        )
        return {row["platform"]: row["external_id"] for row in rows}

    async def set_language(self, person_id: int, language: str) -> None:
        await self.tx.execute("UPDATE people SET language = ? WHERE id = ?", (language, person_id))

    async def set_preferred(self, person_id: int, platform: str) -> None:
        """Where notices go first (ISMKI's LINE-only step aside)."""
        await self.tx.execute("UPDATE people SET preferred_platform = ? WHERE id = ?", (platform, person_id))

    async def new_link_code(self, person_id: int, platform: str, now: datetime, expires_at: datetime) -> str:
        """A one-time code that links another platform's identity to this person."""
        code = new_code()  # 64 bits: the code takes over an identity, as an invite grants a role
        await self.tx.execute(
            "INSERT INTO link_codes (code, person_id, platform, created_at, expires_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (code, person_id, platform, utc_text(now), utc_text(expires_at)),
        )
        return code

    async def use_link_code(self, code: str, used_by: str, now: datetime) -> int | None:
        """The code's person, once and before it expires; None otherwise. One conditional
        statement: of two accounts typing one code at once, one gets it."""
        code = clean_code(code)
        return await self.tx.scalar(
            "UPDATE link_codes SET used_at = ?, used_by = ? WHERE code = ? AND used_at IS NULL"
            " AND expires_at > ? RETURNING person_id",
            (utc_text(now), used_by, code, utc_text(now)),
        )

    async def merge(self, source: int, target: int) -> None:
        """Everything of `source` that acts now becomes `target`'s: identities, requests, roles,
        a draft or pending input (the target's own wins), subscriptions, notices. The audit
        log keeps who acted then; `source` stays as a row it can point at."""
        tx, moved = self.tx, (target, source)
        await tx.execute("UPDATE identities SET person_id = ? WHERE person_id = ?", moved)
        await tx.execute("UPDATE requests SET requester_id = ? WHERE requester_id = ?", moved)
        await tx.execute(
            "INSERT INTO role_grants (person_id, role, granted_at, granted_by)"
            " SELECT ?, role, granted_at, granted_by FROM role_grants WHERE person_id = ?"
            " AND role NOT IN (SELECT role FROM role_grants WHERE person_id = ?)",
            (target, source, target),
        )
        await tx.execute("DELETE FROM role_grants WHERE person_id = ?", (source,))
        for table in ("drafts", "pending_inputs"):
            await tx.execute(
                f"UPDATE {table} SET person_id = ? WHERE person_id = ?"
                f" AND NOT EXISTS (SELECT 1 FROM {table} WHERE person_id = ?)",
                (target, source, target),
            )
            await tx.execute(f"DELETE FROM {table} WHERE person_id = ?", (source,))
        await tx.execute("UPDATE subscribers SET person_id = ? WHERE person_id = ?", moved)
        await tx.execute(
            "UPDATE outbox SET recipient = ? WHERE kind = 'notice' AND recipient = ?",
            (str(target), str(source)),
        )


class Roles:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def grant(self, person_id: int, role: str, granted_by: str = "") -> bool:
        """False when the person already held the role (granted twice at once: one grant)."""
        granted = await self.tx.all(
            "INSERT INTO role_grants (person_id, role, granted_at, granted_by) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (person_id, role) DO NOTHING RETURNING 1",
            (person_id, role, utcnow_text(), granted_by),
        )
        return bool(granted)

    async def revoke(self, person_id: int, role: str) -> bool:
        held = role in await self.of(person_id)
        await self.tx.execute(
            "DELETE FROM role_grants WHERE person_id = ? AND role = ?", (person_id, role)
        )
        return held

    async def of(self, person_id: int) -> set[str]:
        rows = await self.tx.all("SELECT role FROM role_grants WHERE person_id = ?", (person_id,))
        return {row["role"] for row in rows}

    async def actor(self, person_id: int) -> tuple[str, set[str]]:
        """(name, roles) of a person in one query: who acts, as a press needs it."""
        rows = await self.tx.all(
            "SELECT p.name, g.role FROM people p LEFT JOIN role_grants g ON g.person_id = p.id"
            " WHERE p.id = ?", (person_id,))
        return (rows[0]["name"] if rows else ""), {row["role"] for row in rows if row["role"]}

    async def holders(self, role: str) -> list[int]:
        rows = await self.tx.all(
            "SELECT person_id FROM role_grants WHERE role = ? ORDER BY person_id", (role,)
        )
        return [row["person_id"] for row in rows]

    async def listing(self) -> list[dict]:
        rows = await self.tx.all(
            "SELECT g.role, g.person_id, p.name, i.platform, i.external_id, g.granted_at"
            " FROM role_grants g JOIN people p ON p.id = g.person_id"
            " LEFT JOIN identities i ON i.person_id = g.person_id"
            " ORDER BY g.role, g.person_id, i.platform"
        )
        return [dict(row) for row in rows]


class Requests:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def next_code(self, year: int) -> str:
        number = await self.tx.scalar(
            "INSERT INTO code_counters (year, last_number) VALUES (?, 1) ON CONFLICT (year)"
            " DO UPDATE SET last_number = code_counters.last_number + 1 RETURNING last_number",
            (year,),
        )
        return request_code(year, number)

    async def id_of(self, code: str) -> int | None:
        return await self.tx.scalar("SELECT id FROM requests WHERE code = ?", (code,))

    async def insert(self, state: RequestState, created_by: int | None) -> int:
        now = utcnow_text()
        request_id = await self.tx.execute(
            "INSERT INTO requests (code, flow, requester_id, version, status, step_id,"
            " step_started_at, step_due_at, returned_from, audiences, created_at, updated_at,"
            " submitted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (state.code, state.flow, state.requester_id, state.version, state.status,
             state.step_id, utc_text(state.step_started_at), _iso(state.step_due_at),
             state.returned_from, json.dumps(state.audiences), now, now,
             utc_text(state.step_started_at)),
        )
        await self._add_version(request_id, state, created_by)
        return request_id

    async def lock(self, code: str, for_update: str) -> None:
        """Hold the request's row to the end of the transaction (`for_update`: the dialect's)."""
        await self.tx.all(f"SELECT id FROM requests WHERE code = ?{for_update}", (code,))

    async def save(self, state: RequestState, changed_by: int | None, request_id: int | None = None) -> int:
        """Write the new state (of the request `request_id`, if the caller has it from
        `locate`); a new version number also keeps its content: two statements."""
        request_id = request_id or await self.id_of(state.code)
        if request_id is None:
            raise KeyError(state.code)
        await self.tx.execute(
            "UPDATE requests SET version = ?, status = ?, step_id = ?, step_started_at = ?,"
            " step_due_at = ?, returned_from = ?, audiences = ?, updated_at = ? WHERE id = ?",
            (state.version, state.status, state.step_id, utc_text(state.step_started_at),
             _iso(state.step_due_at), state.returned_from, json.dumps(state.audiences), utcnow_text(),
             request_id),
        )
        # a new version keeps who made it and when; the current one only takes the new content
        await self.tx.execute(
            "INSERT INTO request_versions (request_id, version, content, created_by, created_at)"
            " VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (request_id, version) DO UPDATE SET content = excluded.content",
            (request_id, state.version, state.content.model_dump_json(), changed_by, utcnow_text()),
        )
        return request_id

    async def _add_version(self, request_id: int, state: RequestState, by: int | None) -> None:
        await self.tx.execute(
            "INSERT INTO request_versions (request_id, version, content, created_by, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (request_id, state.version, state.content.model_dump_json(), by, utcnow_text()),
        )

    async def get(self, code: str) -> RequestState | None:
        found = await self.locate(code)
        return found[1] if found else None

    async def locate(self, code: str) -> tuple[int, RequestState] | None:
        """(the request's id, its state): one query."""
        row = await self.tx.one(
            "SELECT r.*, v.content FROM requests r JOIN request_versions v"
            " ON v.request_id = r.id AND v.version = r.version WHERE r.code = ?",
            (code,),
        )
        return (row["id"], _state(row)) if row else None

    async def versions(self, code: str) -> list[tuple[int, Content]]:
        rows = await self.tx.all(
            "SELECT v.version, v.content FROM request_versions v JOIN requests r"
            " ON r.id = v.request_id WHERE r.code = ? ORDER BY v.version",
            (code,),
        )
        return [(row["version"], Content.model_validate_json(row["content"])) for row in rows]

    async def revisions(self, code: str) -> list[dict]:
        """Every version with who made it and when (the name as the person is called now)."""
        return (await self.revisions_of([code])).get(code, [])

    async def revisions_of(self, codes: list[str]) -> dict[str, list[dict]]:
        """`revisions` of several requests in one query: code -> its versions in order."""
        rows = await self.tx.all(
            "SELECT r.code, v.version, v.content, v.created_at, p.name FROM request_versions v"
            " JOIN requests r ON r.id = v.request_id LEFT JOIN people p ON p.id = v.created_by"
            f" WHERE r.code IN ({', '.join('?' * len(codes)) or 'NULL'}) ORDER BY r.code, v.version",
            codes,
        )
        found: dict[str, list[dict]] = {}
        for row in rows:
            found.setdefault(row["code"], []).append(
                {"version": row["version"], "content": Content.model_validate_json(row["content"]),
                 "by": row["name"] or "", "at": datetime.fromisoformat(row["created_at"])})
        return found

    async def states(self, codes: list[str]) -> dict[str, RequestState]:
        """Several requests by code, in one query."""
        rows = await self.tx.all(
            "SELECT r.*, v.content FROM requests r JOIN request_versions v"
            " ON v.request_id = r.id AND v.version = r.version"
            f" WHERE r.code IN ({', '.join('?' * len(codes)) or 'NULL'})",
            codes,
        )
        return {row["code"]: _state(row) for row in rows}

    async def listing(
        self, requester_id: int | None = None, status: str | None = None,
        step_ids: list[str] | None = None, limit: int = 100,
    ) -> list[RequestState]:
        clauses, params = [], []
        if requester_id is not None:
            clauses.append("r.requester_id = ?")
            params.append(requester_id)
        if status is not None:
            clauses.append("r.status = ?")
            params.append(status)
        if step_ids is not None:
            clauses.append(f"r.step_id IN ({', '.join('?' * len(step_ids)) or 'NULL'})")
            params.extend(step_ids)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = await self.tx.all(
            "SELECT r.*, v.content FROM requests r JOIN request_versions v"
            f" ON v.request_id = r.id AND v.version = r.version {where}"
            " ORDER BY r.id DESC LIMIT ?",
            (*params, limit),
        )
        return [_state(row) for row in rows]


def _iso(moment: datetime | None) -> str | None:
    return utc_text(moment) if moment else None


def request_state(row) -> RequestState:
    """A requests row joined with its current version's `content`."""
    return _state(row)


def _state(row) -> RequestState:
    return RequestState(
        code=row["code"], flow=row["flow"], requester_id=row["requester_id"],
        version=row["version"], status=Status(row["status"]), step_id=row["step_id"],
        step_started_at=datetime.fromisoformat(row["step_started_at"]),
        step_due_at=datetime.fromisoformat(row["step_due_at"]) if row["step_due_at"] else None,
        content=Content.model_validate_json(row["content"]),
        returned_from=row["returned_from"], audiences=json.loads(row["audiences"]),
    )


class Media:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def add(self, ref: MediaRef) -> None:
        await self.tx.execute(
            "INSERT INTO media (sha256, kind, mime, size, filename, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (sha256) DO NOTHING",
            (ref.sha256, ref.kind, ref.mime, ref.size, ref.filename, utcnow_text()),
        )


@dataclass(frozen=True)
class AuditEntry:
    act: str
    step_id: str
    version: int | None
    actor_id: int | None
    actor_name: str
    role: str
    channel: str
    note: str
    data: dict
    at: datetime


class Audit:
    """Append-only: there is deliberately no update or delete here."""

    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def append(self, request_id: int | None, event: Event, channel: str = "") -> None:
        await self.tx.execute(
            "INSERT INTO audit_log (request_id, act, step_id, version, actor_id, role, channel,"
            " note, data, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (request_id, str(event.act), event.step_id, event.version, event.actor_id, event.role,
             channel, event.note, json.dumps(event.data), utc_text(event.at)),
        )

    async def for_request(self, code: str) -> list[AuditEntry]:
        return (await self.for_requests([code])).get(code, [])

    async def for_requests(self, codes: list[str]) -> dict[str, list[AuditEntry]]:
        """The audit log of several requests in one query: code -> its entries in order."""
        rows = await self.tx.all(
            "SELECT a.*, r.code, p.name AS actor_name FROM audit_log a JOIN requests r ON r.id = a.request_id"
            " LEFT JOIN people p ON p.id = a.actor_id"
            f" WHERE r.code IN ({', '.join('?' * len(codes)) or 'NULL'}) ORDER BY a.id",
            codes,
        )
        found: dict[str, list[AuditEntry]] = {}
        for row in rows:
            found.setdefault(row["code"], []).append(audit_entry(row))
        return found


def audit_entry(row) -> AuditEntry:
    """An audit_log row (with the actor's name as `actor_name`) as an AuditEntry."""
    return AuditEntry(
        row["act"], row["step_id"], row["version"], row["actor_id"], row["actor_name"] or "",
        row["role"], row["channel"], row["note"], json.loads(row["data"]),
        datetime.fromisoformat(row["at"]),
    )


class Outbox:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def add(
        self, request_id: int | None, kind: str, recipient: str | int, payload: dict,
        due_at: datetime, dedupe_key: str | None = None,
    ) -> int | None:
        """Queue one message; a repeated dedupe key is ignored (never sent twice), also when
        two transactions queue it at once (the second waits for the first, then skips it)."""
        now = utcnow_text()
        added = await self.tx.all(
            "INSERT INTO outbox (request_id, kind, recipient, payload, dedupe_key, due_at,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
            (request_id, kind, str(recipient), json.dumps(payload), dedupe_key,
             utc_text(due_at), now, now),
        )
        if not added:
            return None
        row_id = added[0]["id"]
        self.tx.queued = True
        self.tx.kinds.add(kind)
        self.tx.fresh.append(_queued(row_id, request_id, kind, str(recipient), payload, dedupe_key,
                                     utc_text(due_at), now))
        return row_id

    async def add_many(self, kind: str, rows: list[tuple[int | None, str | int, dict]],
                       due_at: datetime) -> None:
        """Queue several messages of one kind, (request id, recipient, payload) each, in one
        statement; they go out in this order."""
        if not rows:
            return
        now, due = utcnow_text(), utc_text(due_at)
        params: list = []
        for request_id, recipient, payload in rows:
            params += [request_id, kind, str(recipient), json.dumps(payload), due, now, now]
        marks = ", ".join(["(?, ?, ?, ?, ?, ?, ?)"] * len(rows))
        self.tx.queued = True
        self.tx.kinds.add(kind)
        ids = await self.tx.all(
            "INSERT INTO outbox (request_id, kind, recipient, payload, due_at, created_at, updated_at)"
            f" VALUES {marks} RETURNING id",
            params,
        )
        # ids are given in the order of the rows (RETURNING's own order is not promised)
        for row_id, (request_id, recipient, payload) in zip(sorted(r["id"] for r in ids), rows, strict=True):
            self.tx.fresh.append(_queued(row_id, request_id, kind, str(recipient), payload, None, due, now))

    async def due(self, now: datetime, kinds: tuple[str, ...], limit: int = 100,
                  prefix: str | None = None, besides: set[int] | frozenset[int] = frozenset()) -> list[dict]:
        """Pending rows due by `now`; `prefix` keeps one platform's ("line:"). `besides`: ids
        the caller has in hand already, left out before their JSON is read (the limit counts
        them: pass a limit that leaves room for them)."""
        marks = ", ".join("?" * len(kinds))
        mine = " AND substr(recipient, 1, ?) = ?" if prefix else ""
        rows = await self.tx.all(
            f"SELECT * FROM outbox WHERE status = 'pending' AND kind IN ({marks}) AND due_at <= ?{mine}"
            " ORDER BY due_at, id LIMIT ?",
            (*kinds, utc_text(now), *((len(prefix), prefix) if prefix else ()), limit),
        )
        return [_outbox_row(row) for row in rows if row["id"] not in besides]

    async def in_flight(self, kind: str, prefix: str) -> list[dict]:
        """Rows left in 'sending' (by a crash, or a call that got no answer), of one platform."""
        rows = await self.tx.all(
            "SELECT * FROM outbox WHERE status = 'sending' AND kind = ? AND substr(recipient, 1, ?) = ?"
            " ORDER BY id",
            (kind, len(prefix), prefix),
        )
        return [_outbox_row(row) for row in rows]

    async def mark_many(self, row_ids: list[int], status: str, result: dict | None = None,
                        only_if: str | None = None) -> list[int]:
        """One status and result for several rows (a batch); with `only_if`, only rows still
        in that status change. The ids that changed."""
        if not row_ids:
            return []
        marks = ", ".join("?" * len(row_ids))
        if only_if:
            found = await self.tx.all(
                f"SELECT id FROM outbox WHERE id IN ({marks}) AND status = ? ORDER BY id", (*row_ids, only_if)
            )
            row_ids = [row["id"] for row in found]
            marks = ", ".join("?" * len(row_ids))
            if not row_ids:
                return []
        await self.tx.execute(
            f"UPDATE outbox SET status = ?, result = ?, attempts = attempts + 1, updated_at = ?"
            f" WHERE id IN ({marks})",
            (status, json.dumps(result or {}), utcnow_text(), *row_ids),
        )
        return row_ids

    async def mark(self, row_id: int, status: str, result: dict | None = None) -> None:
        await self.tx.execute(
            "UPDATE outbox SET status = ?, result = ?, attempts = attempts + 1, updated_at = ?"
            " WHERE id = ?",
            (status, json.dumps(result or {}), utcnow_text(), row_id),
        )

    async def sent_prompts(self, code: str, step_id: str) -> list[dict]:
        """The request's delivered prompts for a step, each with its recipient's language
        (`language`), in one query: the messages to edit once someone decides."""
        rows = await self.tx.all(
            "SELECT o.*, p.language FROM requests r JOIN outbox o ON o.request_id = r.id"
            " AND o.kind = 'notice' LEFT JOIN people p ON p.id = CAST(o.recipient AS INTEGER)"
            " WHERE r.code = ? AND o.status = 'sent' ORDER BY o.id",
            (code,),
        )
        found = [_outbox_row(row) for row in rows]
        return [row for row in found
                if row["payload"].get("kind") == "prompt" and row["payload"].get("step_id") == step_id]

    async def for_request(self, request_id: int, kind: str | None = None) -> list[dict]:
        sql = "SELECT * FROM outbox WHERE request_id = ?"
        params: list = [request_id]
        if kind:
            sql += " AND kind = ?"
            params.append(kind)
        return [_outbox_row(row) for row in await self.tx.all(sql + " ORDER BY id", params)]


def _queued(row_id: int, request_id: int | None, kind: str, recipient: str, payload: dict,
            dedupe_key: str | None, due_at: str, now: str) -> dict:
    """A row just queued, as `_outbox_row` reads it back."""
    return {"id": row_id, "request_id": request_id, "kind": kind, "recipient": recipient,
            "payload": dict(payload), "dedupe_key": dedupe_key, "status": "pending", "attempts": 0,
            "due_at": due_at, "result": {}, "created_at": now, "updated_at": now}


def _outbox_row(row) -> dict:
    data = dict(row)
    data["payload"] = json.loads(data["payload"])
    data["result"] = json.loads(data["result"])
    return data


class Drafts:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def save(self, person_id: int, platform: str, question: str, data: dict) -> None:
        await self.tx.execute(
            "INSERT INTO drafts (person_id, platform, question, data, updated_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (person_id) DO UPDATE SET platform = excluded.platform,"
            " question = excluded.question, data = excluded.data, updated_at = excluded.updated_at",
            (person_id, platform, question, json.dumps(data), utcnow_text()),
        )

    async def get(self, person_id: int) -> tuple[str, dict] | None:
        if self.tx.known and ("draft", person_id) in self.tx.known:
            return self.tx.known[("draft", person_id)]
        row = await self.tx.one("SELECT question, data FROM drafts WHERE person_id = ?", (person_id,))
        return (row["question"], json.loads(row["data"])) if row else None

    async def delete(self, person_id: int) -> None:
        await self.tx.execute("DELETE FROM drafts WHERE person_id = ?", (person_id,))


class Pending:
    """What a person's next message answers; one at a time."""

    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def set(self, person_id: int, kind: str, data: dict) -> None:
        """The one input expected now (a later one replaces it, even when both come at once)."""
        await self.tx.execute(
            "INSERT INTO pending_inputs (person_id, kind, data, created_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (person_id) DO UPDATE SET kind = excluded.kind, data = excluded.data,"
            " created_at = excluded.created_at",
            (person_id, kind, json.dumps(data), utcnow_text()),
        )

    async def get(self, person_id: int) -> tuple[str, dict] | None:
        if self.tx.known and ("pending", person_id) in self.tx.known:
            return self.tx.known[("pending", person_id)]
        row = await self.tx.one("SELECT kind, data FROM pending_inputs WHERE person_id = ?", (person_id,))
        return (row["kind"], json.loads(row["data"])) if row else None

    async def clear(self, person_id: int) -> None:
        await self.tx.execute("DELETE FROM pending_inputs WHERE person_id = ?", (person_id,))


class Repos:
    """Every repository on one transaction: what a service works with."""

    def __init__(self, tx: Tx) -> None:
        self.tx = tx
        self.people = People(tx)
        self.roles = Roles(tx)
        self.invites = Invites(tx)
        self.attempts = Attempts(tx)
        self.claims = TargetClaims(tx)
        self.secrets = Secrets(tx)
        self.requests = Requests(tx)
        self.media = Media(tx)
        self.audit = Audit(tx)
        self.outbox = Outbox(tx)
        self.drafts = Drafts(tx)
        self.inbox = Inbox(tx)
        self.seen = self.inbox  # what seen_events was: Inbox.first_time
        self.pending = Pending(tx)
        self.targets = Targets(tx)
        self.subscribers = Subscribers(tx)
        self.broadcasts = Broadcasts(tx)
        self.timers = Timers(tx)
