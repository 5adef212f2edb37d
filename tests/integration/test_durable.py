"""Commits on SQLite do not wait for the disk inside the write lock; Database.durable() makes
them durable, one fsync for every commit made before it, shared by everyone waiting. And a
commit hands the notices and replies it queued to whoever watches for them."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from storage.repositories import Repos
from tests.databases import ON_POSTGRES, SQLITE_ONLY


@pytest.fixture
def syncs(app):
    """The fsyncs the database does (the real ones still happen)."""
    done = []
    real = app.db.engine.sync

    def counted() -> None:
        done.append(1)
        real()

    app.db.engine.sync = counted
    return done


@pytest.mark.skipif(ON_POSTGRES, reason=SQLITE_ONLY)
async def test_commits_wait_for_the_disk_only_when_asked_and_share_one_fsync(app, syncs):
    async with app.db.writer() as tx:
        assert (await tx.conn.fetch("PRAGMA synchronous", ()))[0][0] == 1  # NORMAL
    await app.people.set_language(await app.people.person("telegram", 1, "Sari"), "en")
    assert len(syncs) >= 1, "a statement outside an update returns durable"
    before = len(syncs)
    await app.db.durable()
    assert len(syncs) == before, "nothing new: no fsync"

    async def update(n: int) -> None:  # an update's unit commits without waiting...
        async with app.db.unit(), app.db.statement() as tx:
            await tx.execute("INSERT INTO people (name, created_at) VALUES (?, 'now')", (f"P{n}",))

    await asyncio.gather(*(update(n) for n in range(20)))
    assert len(syncs) == before
    await asyncio.gather(*(app.db.durable() for _ in range(20)))  # ...and 20 waiters share one
    assert len(syncs) == before + 1


async def test_a_commit_hands_its_new_replies_over_and_a_rolled_back_savepoint_takes_its_back(app):
    handed: list[list[dict]] = []
    app.db.watch_rows(handed.append, ("notice", "reply"))
    woken = []
    app.db.watch_queue(lambda: woken.append(True), kinds=("notice", "reply"))
    now = datetime.now(UTC)
    async with app.db.unit():
        async with app.db.transaction() as tx:
            await Repos(tx).outbox.add_many("reply", [(None, "telegram:1", {"op": "send", "n": 1}),
                                                      (None, "telegram:1", {"op": "send", "n": 2})], now)
        with pytest.raises(RuntimeError):
            async with app.db.transaction() as tx:  # a refused action: undone, and its rows too
                await Repos(tx).outbox.add(None, "notice", "5", {"kind": "x"}, now)
                raise RuntimeError("refused")
    assert [[(row["recipient"], row["payload"]["n"]) for row in rows] for rows in handed] == \
        [[("telegram:1", 1), ("telegram:1", 2)]]
    async with app.db.reading() as tx:
        due = await Repos(tx).outbox.due(now, ("notice", "reply"))
    assert [row["id"] for row in due] == [row["id"] for row in handed[0]]
    assert [{k: row[k] for k in ("kind", "payload", "status", "due_at")} for row in due] == \
        [{k: row[k] for k in ("kind", "payload", "status", "due_at")} for row in handed[0]]
    assert woken == [], "handed over: the notifier need not look"
