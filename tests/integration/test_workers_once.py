"""Several workers on one PostgreSQL (issue 18), each an App with its own connections, as two
`humas-bot run` processes have: a timer fires once, the monthly report is queued once, a row
claimed by a live worker is never taken (nor declared unknown) by another, a dead worker's are.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.app import App
from bot.chat.reports import Reports
from bot.services.deadlines import Deadlines
from storage.db import utc_text
from storage.lease_repos import Leases
from storage.postgres import LISTEN_RETRY, LISTENER
from storage.repositories import Repos
from tests.databases import ON_POSTGRES
from tests.integration.test_broadcast_counts import published
from tests.integration.test_deadlines import content, sent_notices, wib
from tests.integration.test_report_month import bkk_content, report_rows
from tests.integration.test_report_month import wib as wib_year

pytestmark = pytest.mark.skipif(not ON_POSTGRES, reason="several workers share a PostgreSQL database")


@pytest.fixture
async def other(settings, clock):
    """A second worker on the same database."""
    app = await App.open(settings, clock=clock)
    yield app
    await app.close()


async def test_a_timer_fires_once_when_two_workers_fire_it_together(app, other, clock):
    for role, tg in (("koordinator", 2001), ("direktur", 4001)):
        await app.people.grant(role, "telegram", tg)
    client = await app.people.person("telegram", 1001, "Sari")
    clock.set(wib(26, 9).astimezone(UTC))
    await app.requests.submit(client, content(app))
    clock.set(wib(26, 10, 30).astimezone(UTC))  # the reminder at 75 % of the step's 2 hours
    async with app.db.reading() as tx:
        (timer,) = await Repos(tx).timers.due(clock.now())

    # worker A fires it and has not committed yet; worker B's fire waits for A, then finds it fired
    async with app.db.transaction() as tx:
        assert await Repos(tx).timers.fire(timer["id"], "sent")
        second = asyncio.create_task(_fire(other, timer["id"]))
        await asyncio.sleep(0.3)
        assert not second.done(), "B must wait for A's transaction, not read around it"
    assert await second is False

    # the whole loop, three passes on each worker at once, for the deadline that follows
    clock.set(wib(26, 11, 1).astimezone(UTC))
    loops = [Deadlines(worker.db, worker.flow, worker.clock) for worker in (app, other)]
    fired = await asyncio.gather(*(loop.fire_due() for loop in loops * 3))
    assert sum(fired) == 1
    assert [act for _, _, act in await sent_notices(app)] == ["due"]  # the reminder was marked only


async def _fire(worker: App, timer_id: int) -> bool:
    async with worker.db.transaction() as tx:
        return await Repos(tx).timers.fire(timer_id, "sent")


async def test_the_monthly_report_is_queued_once_by_two_workers(settings, clock):
    bkk = settings.model_copy(update={"flow": "bkk-palembang"})
    workers = [await App.open(bkk, clock=clock) for _ in range(2)]
    try:
        app = workers[0]
        await app.people.grant("kepala_balai", "telegram", 4001)
        await app.people.grant("tim_ppid", "telegram", 2001)
        clock.set(wib_year(2026, 10, 20, 9))
        await app.requests.submit(await app.people.person("telegram", 1001, "Rina"), bkk_content(app))
        clock.set(wib_year(2026, 11, 2, 7, 30))  # the first working day, as the office opens
        queued = await asyncio.gather(*(Reports(worker).monthly(clock.now()) for worker in workers * 2))
        assert sorted(queued) == [0, 0, 0, 2]
        assert len(await report_rows(app)) == 2  # the head and the evaluator, once each
    finally:
        for worker in workers:
            await worker.close()


async def test_claimed_rows_are_a_live_workers_own_and_a_dead_ones_are_taken_over(app, other):
    broadcast_id, _, rows = await published(app, 10)
    now = datetime.now(UTC)
    due = utc_text(now + timedelta(days=1))  # the app's clock is the test's; every row is due

    async def claim(worker: App, limit: int, until: datetime) -> list[int]:
        async with worker.db.statement() as tx:
            taken = await Leases(tx, worker.db.dialect).deliveries(
                worker.worker_id, utc_text(until), utc_text(datetime.now(UTC)), due, "telegram:", limit)
        return [row["id"] for row in taken]

    a, b = await asyncio.gather(claim(app, 6, now + timedelta(seconds=10)),
                                claim(other, 6, now + timedelta(seconds=10)))
    assert sorted(a + b) == rows and not set(a) & set(b)  # together all ten, none twice
    assert await claim(other, 10, now + timedelta(seconds=10)) == b  # A's stay A's

    # A moves two of its rows to "sending"; B's look for dead workers' rows in flight finds none
    async with app.db.transaction() as tx:
        moved = await Repos(tx).broadcasts.move(broadcast_id, a[:2], "sending", {}, only_if="pending",
                                                owner=app.worker_id)
        assert moved == sorted(a[:2])
        assert await Repos(tx).broadcasts.move(broadcast_id, b[:1], "sending", {}, only_if="pending",
                                               owner=app.worker_id) == []  # not A's to send
    async with other.db.transaction() as tx:
        assert await Repos(tx).broadcasts.abandon_in_flight(expired=utc_text(datetime.now(UTC))) == 0

    # A dies: once its claims have ended, B takes its pending rows and reports its two in flight
    later = datetime.now(UTC) + timedelta(seconds=11)
    async with other.db.transaction() as tx:
        assert await Repos(tx).broadcasts.abandon_in_flight(expired=utc_text(later)) == 2
    async with other.db.statement() as tx:
        taken = await Leases(tx, other.db.dialect).deliveries(
            other.worker_id, utc_text(later + timedelta(seconds=10)), utc_text(later), due, "telegram:", 10)
    assert sorted(row["id"] for row in taken) == sorted(a[2:] + b)
    async with app.db.reading() as tx:
        assert await Repos(tx).broadcasts.tally(broadcast_id) == {"pending": 8, "unknown": 2}


async def test_renewing_claims_never_waits_for_the_workers_own_update_holding_some_of_them(app):
    """The renewal runs on its own connection while the worker's updates lock rows it holds; had
    it waited for them, the two could lock the same rows in opposite orders (a deadlock that
    PostgreSQL breaks by failing one of them)."""
    _, _, rows = await published(app, 6)
    now = datetime.now(UTC)
    async with app.db.statement() as tx:
        await Leases(tx, app.db.dialect).deliveries(
            app.worker_id, utc_text(now + timedelta(seconds=10)), utc_text(now),
            utc_text(now + timedelta(days=1)), "telegram:", 6)
    held, renewal = asyncio.Event(), asyncio.Event()

    async def an_update_holding_two_rows() -> None:
        async with app.db.transaction() as tx:
            await tx.execute("UPDATE outbox SET updated_at = updated_at WHERE id IN (?, ?)", tuple(rows[:2]))
            held.set()
            await renewal.wait()

    update = asyncio.create_task(an_update_holding_two_rows())
    await held.wait()
    try:
        await asyncio.wait_for(app.lease.renew(), 5.0)
    finally:
        renewal.set()
        await update
    async with app.db.reading() as tx:
        until = {row["id"]: row["claimed_until"] for row in await tx.all(
            "SELECT id, claimed_until FROM outbox WHERE claimed_by = ?", (app.worker_id,))}
    renewed = [row for row in rows if until[row] > utc_text(now + timedelta(seconds=10))]
    assert renewed == rows[2:], "the rows nobody else held were renewed at once"
    await app.lease.renew()  # the next renewal has the two the update held
    async with app.db.reading() as tx:
        assert await tx.scalar("SELECT COUNT(*) FROM outbox WHERE claimed_by = ? AND claimed_until > ?",
                               (app.worker_id, utc_text(now + timedelta(seconds=10)))) == 6


async def test_a_commit_in_one_worker_wakes_the_others_senders_even_after_its_connection_dropped(app, other):
    woken = asyncio.Event()
    other.db.watch_queue(woken.set, kinds=("notice",))
    other.db.listen()

    async def queue_and_wait() -> None:
        woken.clear()
        async with app.db.transaction() as tx:
            await Repos(tx).outbox.add(None, "notice", 1, {"kind": "test"}, datetime.now(UTC))
        async with asyncio.timeout(5):
            await woken.wait()

    await asyncio.sleep(0.5)  # listening
    await queue_and_wait()
    async with app.db.statement() as tx:  # the listening connection is cut, as a network fault would
        cut = await tx.all("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = ?"
                           " AND datname = current_database()", (LISTENER,))
    assert len(cut) == 1
    await asyncio.sleep(LISTEN_RETRY + 1.0)  # made again
    await queue_and_wait()
