"""Claims on outbox rows, for several workers on one PostgreSQL (issue 18).

A claim names its worker (`claimed_by`) and lasts until `claimed_until` (ISO UTC text, so text
order is time order); the worker renews it while it works. A row whose claim has passed is
free: its worker is taken for dead. Each claim is one statement (the dialect adds PostgreSQL's
`FOR UPDATE SKIP LOCKED`, so two workers claiming at once skip each other's rows instead of
waiting on them), and includes the rows the worker holds already (their claim is renewed), so
that a row it let go of without finishing is taken up again.

A person's notices and replies are claimed by chat, not by row (`notices`): a chat with a row in
another live worker's hands is left to that worker, so one person's messages still go out in
order. That check reads other rows, which SKIP LOCKED cannot guard: the claim runs under a
transaction-scoped advisory lock, one claimer at a time (a claim is one short statement a pass).
"""

from __future__ import annotations

import json

from storage.db import Tx
from storage.dialect import Dialect

NOTICE_LOCK = 0x68756D6173 + 13  # held while a worker claims notices and replies
OPEN = "status IN ('pending', 'sending')"


class Leases:
    def __init__(self, tx: Tx, dialect: Dialect) -> None:
        self.tx = tx
        self.dialect = dialect

    async def deliveries(self, worker: str, until: str, now: str, due: str, prefix: str, limit: int,
                         status: str = "pending") -> list[dict]:
        """Claim due broadcast rows of one platform (`prefix`, e.g. "telegram:"), oldest first,
        that nobody alive holds, with those `worker` holds already: the rows now in its hands.
        `now` (the wall clock) says which claims have ended, `due` (the app's clock) which rows are due.
        `status` "sending": LINE's rows in flight, which a dead worker's successor resumes."""
        skip = self.dialect.skip_locked
        rows = await self.tx.all(
            "UPDATE outbox SET claimed_by = ?, claimed_until = ? WHERE id IN ("
            " SELECT id FROM outbox WHERE status = ? AND kind = 'broadcast' AND due_at <= ?"
            " AND substr(recipient, 1, ?) = ? AND (claimed_by IS NULL OR claimed_until < ? OR claimed_by = ?)"
            f" ORDER BY due_at, id LIMIT ?{skip}) RETURNING *",
            (worker, until, status, due, len(prefix), prefix, now, worker, limit),
        )
        return _in_order(rows)

    async def notices(self, worker: str, until: str, now: str, due: str, kinds: tuple[str, ...],
                      limit: int) -> list[dict]:
        """Claim due rows of `kinds` (notices, replies) whose chat has no row in another live
        worker's hands; `worker`'s own among them. Inside a transaction: the lock is held to
        its end, so two claimers never both see a chat as free."""
        lock = self.dialect.xact_lock(NOTICE_LOCK)
        if lock:
            await self.tx.execute(lock)
        marks = ", ".join("?" * len(kinds))
        rows = await self.tx.all(
            "UPDATE outbox SET claimed_by = ?, claimed_until = ? WHERE id IN ("
            f" SELECT o.id FROM outbox o WHERE o.status = 'pending' AND o.kind IN ({marks}) AND o.due_at <= ?"
            " AND NOT EXISTS (SELECT 1 FROM outbox h WHERE h.recipient = o.recipient"
            f" AND h.{OPEN} AND h.claimed_by <> ? AND h.claimed_until >= ?)"
            " ORDER BY o.due_at, o.id LIMIT ?) RETURNING *",
            (worker, until, *kinds, due, worker, now, limit),
        )
        return _in_order(rows)

    async def broadcast(self, worker: str, until: str, now: str, broadcast_id: int) -> bool:
        """Claim a broadcast's progress message and report, unless another live worker has;
        whether `worker` holds it now."""
        rows = await self.tx.all(
            "UPDATE broadcasts SET claimed_by = ?, claimed_until = ? WHERE id = ? AND finished_at IS NULL"
            " AND (claimed_by IS NULL OR claimed_until < ? OR claimed_by = ?) RETURNING id",
            (worker, until, broadcast_id, now, worker),
        )
        return bool(rows)

    async def renew(self, worker: str, until: str) -> int:
        """Every unfinished row (and broadcast) `worker` holds is its own until `until`; how many
        rows. Two statements, each atomic by itself (a broadcast's claim is renewed apart from
        its rows'). A row the worker's own update has locked right now is skipped, not waited
        for: that transaction may be locking the same rows in another order (a deadlock, which
        PostgreSQL breaks by failing the renewal), and the next renewal, seconds later and well
        inside the lease, renews it."""
        skip = self.dialect.skip_locked
        rows = await self.tx.all(
            "UPDATE outbox SET claimed_until = ? WHERE id IN ("
            f" SELECT id FROM outbox WHERE claimed_by = ? AND {OPEN}{skip}) RETURNING id",
            (until, worker),
        )
        await self.tx.execute(
            "UPDATE broadcasts SET claimed_until = ? WHERE id IN ("
            f" SELECT id FROM broadcasts WHERE claimed_by = ? AND finished_at IS NULL{skip})",
            (until, worker),
        )
        return len(rows)

    async def release(self, worker: str) -> None:
        """A worker stopping lets go of the pending rows it held: others take them at once.
        Rows in "sending" stay claimed: whether they went out is what their claim's end decides."""
        await self.tx.execute(
            "UPDATE outbox SET claimed_by = NULL, claimed_until = NULL WHERE claimed_by = ?"
            " AND status = 'pending'",
            (worker,),
        )


def _in_order(rows) -> list[dict]:
    """RETURNING gives no order: the rows as they are sent, oldest first."""
    out = []
    for row in sorted(rows, key=lambda row: (row["due_at"], row["id"])):
        data = dict(row)
        data["payload"] = json.loads(data["payload"])
        data["result"] = json.loads(data["result"])
        out.append(data)
    return out

