"""Check-then-write spots under concurrency: each conflict runs its two calls at the same
moment through two `App`s, i.e. two connections to one database, as two workers would (on
PostgreSQL two transactions really overlap; SQLite's write lock takes them one after the
other). Several rounds each, so that an unsafe spot would be caught in the act: without the
fixes of issue 18, the decision and the invite below were taken twice on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

import pytest

from bot.app import App, new_worker_id
from bot.domain.engine import Act, Outcome, Refused
from bot.handlers.inbox import InboxWorker
from storage.inbox_repos import Incoming
from storage.repositories import Repos
from storage.sessions import presence
from tests.databases import ON_POSTGRES
from tests.integration.test_services import request_content

ROUNDS = 10


@pytest.fixture
async def other(settings, clock):
    """A second worker on the same database."""
    app = await App.open(settings, clock=clock)
    yield app
    await app.close()


async def at_once(*calls):
    return await asyncio.gather(*calls, return_exceptions=True)


async def count(app: App, sql: str, params: tuple = ()) -> int:
    async with app.db.reading() as tx:
        return await tx.scalar(sql, params)


async def test_two_approvers_at_the_same_moment_one_decision(app, other):
    client = await app.people.person("telegram", 1001, "Sari")
    approvers = []
    for telegram_id in (2001, 2002):
        await app.people.grant("koordinator", "telegram", telegram_id)
        approvers.append(await app.people.person("telegram", telegram_id))
    for _ in range(ROUNDS):
        code = (await app.requests.submit(client, request_content(app))).code
        results = await at_once(app.requests.decide(code, approvers[0], Act.APPROVE),
                                other.requests.decide(code, approvers[1], Act.APPROVE))
        assert sum(isinstance(r, Outcome) for r in results) == 1, results
        assert sum(isinstance(r, Refused) for r in results) == 1, "the other is told it was decided"
        assert await count(app, "SELECT COUNT(*) FROM audit_log a JOIN requests r ON r.id = a.request_id"
                           " WHERE r.code = ? AND a.act = 'approve'", (code,)) == 1


async def test_an_invite_used_by_two_people_at_once_grants_one_role(app, other, clock):
    people = [await app.people.person("telegram", 3000 + n) for n in range(2 * ROUNDS)]
    for n in range(ROUNDS):
        code = await app.people.invite("petugas", clock.now())
        first, second = people[2 * n], people[2 * n + 1]
        results = await at_once(app.people.redeem(code, first, clock.now()),
                                other.people.redeem(code, second, clock.now()))
        assert sorted(r.outcome for r in results) == ["bad_code", "joined"]
    assert await count(app, "SELECT COUNT(*) FROM role_grants WHERE role = 'petugas'") == ROUNDS


async def test_a_link_code_typed_on_two_accounts_at_once_links_one(app, other, clock):
    for n in range(ROUNDS):
        owner = await app.people.person("telegram", 4000 + n)
        code = await app.people.link_code(owner, "line", clock.now())
        results = await at_once(app.people.link(code, "line", f"U{n}a", clock.now()),
                                other.people.link(code, "line", f"U{n}b", clock.now()))
        assert sorted(r.outcome for r in results) == ["bad_code", "linked"]
        async with app.db.reading() as tx:
            assert set(await Repos(tx).people.identities(owner)) == {"telegram", "line"}


async def test_a_role_granted_twice_at_once_is_one_grant(app, other):
    for n in range(ROUNDS):
        await app.people.person("telegram", 5000 + n)
        results = await at_once(app.people.grant("direktur", "telegram", 5000 + n),
                                other.people.grant("direktur", "telegram", 5000 + n))
        assert sorted(results) == [False, True], results
    assert await count(app, "SELECT COUNT(*) FROM role_grants WHERE role = 'direktur'") == ROUNDS


async def test_pending_inputs_set_twice_at_once_leave_one(app, other):
    for n in range(ROUNDS):
        person = await app.people.person("telegram", 6000 + n)
        results = await at_once(app.people.expect_input(person, "reason", {"n": 1}),
                                other.people.expect_input(person, "note", {"n": 2}))
        assert results == [None, None], "neither fails"
        assert await count(app, "SELECT COUNT(*) FROM pending_inputs WHERE person_id = ?", (person,)) == 1


async def test_a_channel_code_confirmed_twice_at_once_registers_it_once(app, other):
    for n in range(ROUNDS):
        await app.people.grant("petugas", "telegram", 7000 + n)
        await app.people.grant("petugas", "telegram", 7100 + n)
        first = await app.people.person("telegram", 7000 + n)
        second = await app.people.person("telegram", 7100 + n)
        code = await app.publishing.claim_target("telegram", -1000 - n, f"Kanal {n}", "channel", [])
        results = await at_once(app.publishing.confirm_target(code, first),
                                other.publishing.confirm_target(code, second))
        assert sorted(status for status, _ in results) == ["bad_code", "registered"]
    assert await count(app, "SELECT COUNT(*) FROM targets") == ROUNDS


class Recorder:
    """A platform whose handling takes a while and notes when each update was in hand."""

    source = "telegram"

    def __init__(self, spans: list) -> None:
        self.spans = spans

    async def handle(self, row) -> None:
        started = time.monotonic()
        await asyncio.sleep(0.02)
        self.spans.append((row.chat_key, row.id, started, time.monotonic()))

    def apology(self, row):
        return None


@pytest.mark.skipif(not ON_POSTGRES, reason="chats are claimed only where several workers share a database")
async def test_one_persons_updates_are_never_in_hand_on_two_workers_at_once(app, other):
    """Two workers receive one chat's updates at the same moment (a webhook call each): the
    chat's claim lets one hold them, in order; so a draft's read-modify-write never races."""
    other.worker_id = new_worker_id()
    spans: list = []
    workers = []
    async with contextlib.AsyncExitStack() as stack:
        for each in (app, other):
            alive = presence(each.db, each.worker_id)
            await alive.acquire()
            stack.push_async_callback(alive.release)
            worker = InboxWorker(each)
            worker.add(Recorder(spans))
            await worker.recover()
            workers.append(worker)
        for n in range(ROUNDS):
            chat = str(8000 + n % 3)
            await at_once(workers[0].receive([Incoming("telegram", f"{n}a", chat, "{}")]),
                          workers[1].receive([Incoming("telegram", f"{n}b", chat, "{}")]))
        deadline = time.monotonic() + 10
        while len(spans) < 2 * ROUNDS and time.monotonic() < deadline:
            for worker in workers:
                await worker.recover()  # what the sweep does every second
            await asyncio.sleep(0.05)
        for worker in workers:
            await worker.stop(1)
    assert sorted(row_id for _, row_id, _, _ in spans) == list(range(1, 2 * ROUNDS + 1)), "each once"
    for chat in {chat for chat, *_ in spans}:
        mine = sorted((started, ended, row_id) for c, row_id, started, ended in spans if c == chat)
        assert [row_id for *_, row_id in mine] == sorted(row_id for *_, row_id in mine), "in order"
        assert all(a[1] <= b[0] for a, b in zip(mine, mine[1:], strict=False)), "never two in hand at once"


async def test_a_notice_queued_twice_at_once_is_one_row(app, other, clock):
    async def queue(each: App, key: str) -> int | None:
        async with each.db.transaction() as tx:
            return await Repos(tx).outbox.add(None, "notice", "1", {"kind": "prompt"}, clock.now(),
                                              dedupe_key=key)

    for n in range(ROUNDS):
        results = await at_once(queue(app, f"pub:{n}"), queue(other, f"pub:{n}"))
        assert sum(isinstance(r, int) for r in results) == 1 and None in results, results
    assert await count(app, "SELECT COUNT(*) FROM outbox WHERE dedupe_key LIKE 'pub:%'") == ROUNDS
