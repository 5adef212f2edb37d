"""Repositories for what keeps people out of where they do not belong: invite codes, failed
code guesses, channel registrations waiting for a role holder, and the server's own secrets."""

from __future__ import annotations

import json
import secrets
from datetime import datetime

from storage.db import Tx, utc_text

CODE_BYTES = 8  # 64 bits: not guessable, even before failed tries are slowed down


def new_code(nbytes: int = CODE_BYTES) -> str:
    return secrets.token_hex(nbytes).upper()


def clean_code(code: str) -> str:
    """As typed: any case, with spaces or dashes people put in to read it."""
    return "".join(code.split()).replace("-", "").upper()


class Invites:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def create(self, role: str, now: datetime, expires_at: datetime) -> str:
        code = new_code()
        await self.tx.execute(
            "INSERT INTO invites (code, role, created_at, expires_at) VALUES (?, ?, ?, ?)",
            (code, role, utc_text(now), utc_text(expires_at)),
        )
        return code

    async def redeem(self, code: str, person_id: int, now: datetime) -> str | None:
        """The role the code grants, once, before it expires, unless revoked; else None. One
        conditional statement: of two people using one code at once, one gets it."""
        code = clean_code(code)
        row = await self.tx.one(
            "UPDATE invites SET redeemed_by = ?, redeemed_at = ? WHERE code = ? AND redeemed_by IS NULL"
            " AND revoked_at IS NULL AND expires_at > ? RETURNING role",
            (person_id, utc_text(now), code, utc_text(now)),
        )
        return row["role"] if row else None

    async def revoke(self, code: str, now: datetime) -> bool:
        """An open code stops working; False if there is none such (unknown, used, revoked)."""
        code = clean_code(code)
        found = await self.tx.scalar(
            "SELECT 1 FROM invites WHERE code = ? AND redeemed_by IS NULL AND revoked_at IS NULL"
            " AND expires_at > ?",
            (code, utc_text(now)),
        )
        if found:
            await self.tx.execute("UPDATE invites SET revoked_at = ? WHERE code = ?", (utc_text(now), code))
        return bool(found)

    async def listing(self, limit: int = 200) -> list[dict]:
        rows = await self.tx.all(
            "SELECT i.*, p.name AS redeemed_name FROM invites i LEFT JOIN people p ON p.id = i.redeemed_by"
            " ORDER BY i.created_at DESC, i.code LIMIT ?",
            (limit,),
        )
        return [dict(row) for row in rows]


class Attempts:
    """Wrong codes a person typed, and until when they must wait before the next try."""

    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def get(self, person_id: int) -> tuple[int, datetime | None]:
        row = await self.tx.one(
            "SELECT failures, blocked_until FROM code_attempts WHERE person_id = ?", (person_id,)
        )
        if row is None:
            return 0, None
        until = row["blocked_until"]
        return row["failures"], datetime.fromisoformat(until) if until else None

    async def failed(self, person_id: int, failures: int, blocked_until: datetime | None,
                     now: datetime) -> None:
        await self.tx.execute(
            "INSERT INTO code_attempts (person_id, failures, blocked_until, updated_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (person_id) DO UPDATE SET failures = excluded.failures,"
            " blocked_until = excluded.blocked_until, updated_at = excluded.updated_at",
            (person_id, failures, utc_text(blocked_until) if blocked_until else None, utc_text(now)),
        )

    async def reset(self, person_id: int) -> None:
        await self.tx.execute("DELETE FROM code_attempts WHERE person_id = ?", (person_id,))


class TargetClaims:
    """`/daftarkan` in a channel, waiting for a role holder's confirmation in private."""

    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def add(self, platform: str, chat_id: str | int, title: str, kind: str, audiences: list[str],
                  now: datetime, expires_at: datetime) -> str:
        code = new_code(4)  # shown in the channel; it only points at the claim
        await self.tx.execute(
            "INSERT INTO target_claims (code, platform, chat_id, title, kind, audiences, created_at,"
            " expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (code, platform, str(chat_id), title, kind, json.dumps(audiences), utc_text(now),
             utc_text(expires_at)),
        )
        return code

    async def take(self, code: str, person_id: int, now: datetime) -> dict | None:
        """The open claim with this code, now confirmed by `person_id`; None if there is none
        (or another confirmation came first: one conditional statement)."""
        code = clean_code(code)
        row = await self.tx.one(
            "UPDATE target_claims SET confirmed_by = ?, confirmed_at = ? WHERE code = ?"
            " AND confirmed_at IS NULL AND expires_at > ? RETURNING *",
            (person_id, utc_text(now), code, utc_text(now)),
        )
        if row is None:
            return None
        claim = dict(row)
        claim["audiences"] = json.loads(claim["audiences"])
        return claim


class Secrets:
    """Keys the server makes for itself, once, and keeps (so they survive a restart and are
    the same for every worker on the database)."""

    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def get_or_create(self, name: str, now: datetime, nbytes: int = 32) -> str:
        await self.tx.execute(
            "INSERT INTO server_secrets (name, value, created_at) VALUES (?, ?, ?)"
            " ON CONFLICT (name) DO NOTHING",
            (name, secrets.token_hex(nbytes), utc_text(now)),
        )
        return await self.tx.scalar("SELECT value FROM server_secrets WHERE name = ?", (name,))
