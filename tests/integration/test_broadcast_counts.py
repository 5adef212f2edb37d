"""A broadcast's deliveries counted on its own row (migration 0011): kept by every move of a
delivery, checked against the outbox, and counted once for broadcasts made before."""

from __future__ import annotations

from datetime import date

from bot.domain.engine import Act
from bot.domain.request import Contact, Content, MediaRef
from storage.db import _statements, migrations
from storage.repositories import Repos


async def published(app, subscribers: int) -> tuple[int, int, list[int]]:
    """(broadcast id, request id, delivery row ids) of a request published to `subscribers`."""
    ids = {}
    holders = (("koordinator", 2001), ("wakil_koordinator", 3001), ("direktur", 4001), ("petugas", 5001))
    for role, tg in holders:
        await app.people.grant(role, "telegram", tg)
        ids[role] = await app.people.person("telegram", tg)
    async with app.db.transaction() as tx:
        for chat_id in range(6001, 6001 + subscribers):
            await Repos(tx).subscribers.subscribe("telegram", chat_id, None, ["mahasiswa"])
    client = await app.people.person("telegram", 1001, "Sari")
    poster = MediaRef(sha256=app.files.put(b"\x89PNG poster"), kind="image", mime="image/png", size=12)
    content = Content(title="Donor Darah", organisation="PMI", caption="Ayo donor darah!", media=[poster],
                      contact=Contact(name="Sari", phone="0812"), publish_date=date(2026, 12, 1),
                      slot="08.00-10.00")
    state = await app.requests.submit(client, content)
    for role in ("koordinator", "wakil_koordinator", "direktur"):
        await app.requests.decide(state.code, ids[role], Act.APPROVE)
    done = await app.publishing.publish(state.code, ids["petugas"], ["mahasiswa"])
    async with app.db.reading() as tx:
        request_id = await Repos(tx).requests.id_of(state.code)
        rows = await Repos(tx).outbox.for_request(request_id, "broadcast")
    return done.broadcast_id, request_id, [row["id"] for row in rows]


async def tally(app, broadcast_id: int) -> dict[str, int]:
    async with app.db.reading() as tx:
        return await Repos(tx).broadcasts.tally(broadcast_id)


async def test_every_move_of_a_delivery_moves_the_counts(app):
    broadcast_id, request_id, rows = await published(app, 4)
    assert await tally(app, broadcast_id) == {"pending": 4}
    async with app.db.statement() as tx:  # claimed: still unfinished, one statement
        claimed = await Repos(tx).broadcasts.move(broadcast_id, rows[:3], "sending", {}, only_if="pending")
    assert claimed == rows[:3]
    assert await tally(app, broadcast_id) == {"pending": 4}
    async with app.db.transaction() as tx:
        broadcasts = Repos(tx).broadcasts
        await broadcasts.move(broadcast_id, rows[:1], "sent", {"message_ids": [1]}, only_if="sending")
        await broadcasts.move(broadcast_id, rows[1:2], "failed", {"reason": "x"}, only_if="sending")
        await broadcasts.move(broadcast_id, rows[2:3], "pending", {"tries": 1}, only_if="sending")
        assert await broadcasts.move(broadcast_id, rows[:1], "sent", {}, only_if="sending") == []  # not twice
        assert await broadcasts.abandon_in_flight() == 0
    assert await tally(app, broadcast_id) == {"pending": 2, "sent": 1, "failed": 1}
    async with app.db.transaction() as tx:
        await Repos(tx).broadcasts.move(broadcast_id, rows[3:], "sending", {}, only_if="pending")
        assert await Repos(tx).broadcasts.abandon_in_flight() == 1  # a crash caught it in flight
    assert await tally(app, broadcast_id) == {"pending": 1, "sent": 1, "failed": 1, "unknown": 1}
    assert await app.publishing.progress(await code_of(app, request_id)) == {
        "pending": 1, "sent": 1, "failed": 1, "unknown": 1}


async def test_a_recount_mends_counters_that_drifted(app):
    broadcast_id, _, rows = await published(app, 3)
    async with app.db.transaction() as tx:
        await tx.execute("UPDATE broadcasts SET n_pending = 0, n_sent = 7 WHERE id = ?", (broadcast_id,))
        assert await Repos(tx).broadcasts.recount(broadcast_id) == {"pending": 3}
    assert await tally(app, broadcast_id) == {"pending": 3}


async def test_the_migration_counts_the_broadcasts_made_before_it(app):
    broadcast_id, _, rows = await published(app, 5)
    async with app.db.transaction() as tx:
        await tx.execute("UPDATE outbox SET status = 'sent' WHERE id IN (?, ?)", rows[:2])
        await tx.execute("UPDATE outbox SET status = 'failed' WHERE id = ?", rows[2:3])
        await tx.execute("UPDATE outbox SET status = 'sending' WHERE id = ?", rows[3:4])
        await tx.execute("UPDATE broadcasts SET n_pending = 0, n_sent = 0, n_failed = 0, n_unknown = 0")
    (sql,) = [sql for number, _, sql in migrations() if number == 11]
    backfill = _statements(sql)[-1]
    assert backfill.startswith("UPDATE broadcasts SET")
    async with app.db.transaction() as tx:
        await tx.execute(backfill)
    assert await tally(app, broadcast_id) == {"pending": 2, "sent": 2, "failed": 1}


async def code_of(app, request_id: int) -> str:
    async with app.db.reading() as tx:
        return await tx.scalar("SELECT code FROM requests WHERE id = ?", (request_id,))
