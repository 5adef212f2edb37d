"""Several real `humas-bot run` workers on one PostgreSQL (issue 18): four behind a
round-robin proxy in webhook mode (Telegram and LINE) reach, for every one of many clients
writing at once, what one worker gives one client; in polling mode one worker polls and
another takes over within seconds of its SIGKILL, losing nothing and handling nothing twice.

The state compared per client: every message the person saw, in order (their own code and
title, the koordinator who won and clock times read alike), their request with its versions
and audit trail. Both koordinators press Setujui on each card at the same moment, often on
different workers: one decision each, the other told it was taken. Figures are printed.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.emulator.line import LineEmulator
from bot.emulator.telegram import TelegramEmulator
from storage.db import Database
from tests.databases import ON_POSTGRES, database_for
from tests.e2e import fleet as f
from tests.e2e import line_world
from tests.e2e.bot_world import expect
from tests.e2e.telegram_fixtures import TOKEN, assert_no_violations

pytestmark = pytest.mark.skipif(not ON_POSTGRES, reason="several workers share a PostgreSQL database")

# 200 at once: ~100 s, held by the token's 30 messages a second, which the workers share (about
# 2,850 messages: about 13 to each Telegram client, a card and an edit to each koordinator per request)
CLIENTS = int(os.environ.get("FLEET_CLIENTS", "200"))
LINE_EVERY = 4  # one client in four is on LINE


@dataclass
class Run:
    seen: dict[int, list[str]] = field(default_factory=dict)  # client -> messages, normalised
    codes: dict[int, str] = field(default_factory=dict)
    wall: float = 0.0
    served: list[Counter] = field(default_factory=list)


def on_line(n: int) -> bool:
    return n % LINE_EVERY == 0


async def run_fleet(tmp_path: Path, workers: int, clients: range) -> tuple[Run, dict]:
    telegram = TelegramEmulator(token=TOKEN, push_webhook=True)
    line = LineEmulator()
    await telegram.start()
    await line.start()
    fleet = f.Fleet(tmp_path, telegram, line, count=workers)
    run = Run()
    try:
        await fleet.start()
        koordinators = [telegram.user(uid, name, language_code="id") for uid, name in f.KOORDINATORS.items()]
        for koordinator in koordinators:
            await koordinator.send("/start")
            await expect(koordinator, "Selamat datang", timeout=30)

        async def client(n: int) -> None:
            if on_line(n):
                user = f.line_user(line, n)
                code = run.codes[n] = await f.line_intake(user, n)
                await f.both_approve(telegram, koordinators, code)
                await line_world.expect(user, code, "Disetujui", timeout=f.PATIENCE)
                await asyncio.sleep(0.5)  # anything more (nothing should come)
                run.seen[n] = f.line_seen(user, n)
            else:
                user = telegram.user(10_000 + n, f"Klien {n}", language_code="id")
                code = run.codes[n] = await f.telegram_intake(user, n)
                await f.both_approve(telegram, koordinators, code)
                await expect(user, code, "Disetujui", timeout=f.PATIENCE)
                await asyncio.sleep(0.5)
                run.seen[n] = f.telegram_seen(user, n)

        started = time.monotonic()
        try:
            await asyncio.gather(*(client(n) for n in clients))
        except BaseException:
            print(fleet.logs())
            raise
        run.wall = time.monotonic() - started
        run.served = [proxy.served for proxy in fleet.proxies]
        state = await database_state(tmp_path)
    finally:
        await fleet.stop()
        await telegram.stop()
        await line.stop()
    assert_no_violations(telegram)
    assert line.violations == []
    return run, state


async def database_state(tmp_path: Path) -> dict:
    db = await Database.open(database_for(tmp_path))
    try:
        async with db.reading() as tx:
            requests = await tx.all("SELECT code, status, step_id, version FROM requests ORDER BY code")
            versions = await tx.all("SELECT r.code, COUNT(*) AS n FROM request_versions v JOIN requests r"
                                    " ON r.id = v.request_id GROUP BY r.code")
            audit = await tx.all("SELECT r.code, a.act, a.step_id, a.role FROM audit_log a JOIN requests r"
                                 " ON r.id = a.request_id ORDER BY a.id")
            inbox = await tx.all("SELECT status, COUNT(*) AS n FROM inbox"
                                 " WHERE source IN ('telegram', 'line') GROUP BY status")
    finally:
        await db.close()
    trails: dict[str, list[tuple]] = {}
    for row in audit:
        trails.setdefault(row["code"], []).append((row["act"], row["step_id"], row["role"]))
    return {
        "requests": {r["code"]: (r["status"], r["step_id"], r["version"]) for r in requests},
        "versions": {r["code"]: r["n"] for r in versions},
        "trails": trails,
        "inbox": {r["status"]: r["n"] for r in inbox},
    }


async def test_four_workers_behind_a_proxy_reach_what_one_worker_does(tmp_path):
    one, one_state = await run_fleet(tmp_path / "one", 1, range(2))  # a LINE client and a Telegram one
    many, state = await run_fleet(tmp_path / "many", 4, range(CLIENTS))

    updates = sum(state["inbox"].values())
    print(f"\n4 workers, {CLIENTS} clients ({CLIENTS // LINE_EVERY} on LINE): {updates} updates in"
          f" {many.wall:.1f} s ({updates / many.wall:.0f}/s); by worker: Telegram"
          f" {sorted(many.served[0].values())}, LINE {sorted(many.served[1].values())}")
    differing = [n for n in range(CLIENTS) if many.seen[n] != one.seen[0 if on_line(n) else 1]]
    print(f"clients whose messages differ from one worker's: {len(differing)}")
    assert not differing, (f"client {differing[0]} saw {many.seen[differing[0]]}, one worker gave "
                           f"{one.seen[0 if on_line(differing[0]) else 1]}")
    assert len(set(many.codes.values())) == CLIENTS, "one request per client"
    reference = {one_state["requests"][one.codes[n]] for n in (0, 1)}
    assert set(state["requests"].values()) == reference and len(state["requests"]) == CLIENTS
    assert set(state["versions"].values()) == {1}
    trails = {tuple(trail) for trail in state["trails"].values()}
    assert trails == {tuple(one_state["trails"][one.codes[0]])}, "submitted, then one decision"
    assert len(state["trails"]) == CLIENTS
    assert state["inbox"] == {"handled": updates}, "every update handled once, none failed"
    assert all(len(served) == 4 for served in many.served), "every worker took webhook calls"


TAKEOVER_CLIENTS = 40


def pollers(fleet: f.Fleet) -> list[int]:
    """The workers whose log says they took the poller's lock, in order of their logs."""
    logs = [(fleet.tmp_path / f"worker{i}.log").read_text(errors="replace") for i in range(fleet.count)]
    return [i for i, log in enumerate(logs) if "this worker polls Telegram now" in log]


async def test_the_poller_killed_another_worker_polls_within_seconds_nothing_lost_or_twice(tmp_path):
    telegram = TelegramEmulator(token=TOKEN)
    await telegram.start()
    fleet = f.Fleet(tmp_path, telegram, None, count=3, webhook=False)
    codes: dict[int, str] = {}
    seen: dict[int, list[str]] = {}
    try:
        await fleet.start()
        await asyncio.sleep(1.0)  # every worker up: one polls, the others wait on its lock
        [poller] = pollers(fleet)
        users = [telegram.user(20_000 + n, f"Klien {n}", language_code="id") for n in range(TAKEOVER_CLIENTS)]

        async def client(n: int) -> None:
            codes[n] = await f.telegram_intake(users[n], n)
            seen[n] = f.telegram_seen(users[n], n)

        started = time.monotonic()
        walks = asyncio.gather(*(client(n) for n in range(TAKEOVER_CLIENTS)))
        await telegram.wait_for(lambda: sum(len(u.messages) for u in users) > 4 * TAKEOVER_CLIENTS,
                                timeout=60, what="the clients half-way")
        killed = time.monotonic()
        await fleet.kill(poller)
        await asyncio.sleep(0.05)  # a poll the dead worker had on its way is counted by now
        polls = telegram._poller
        await telegram.wait_for(lambda: telegram._poller > polls, timeout=30, what="another poller")
        takeover = time.monotonic() - killed
        try:
            await walks
        except BaseException:
            print(fleet.logs())
            raise
        wall = time.monotonic() - started
        state = await database_state(tmp_path)
        after = pollers(fleet)
    finally:
        await fleet.stop()
        await telegram.stop()
    assert_no_violations(telegram)
    repeated = {n: [m for m, k in Counter(messages).items() if k > 1] for n, messages in seen.items()}
    repeated = {n: r for n, r in repeated.items() if r}
    print(f"\npoller killed with {sum(state['inbox'].values())} updates stored: another polled after"
          f" {takeover:.2f} s; clients done {len(codes)}/{TAKEOVER_CLIENTS};"
          f" requests {len(state['requests'])} (clients' walks {wall:.1f} s);"
          f" messages a client saw twice (sent again after the kill): {sum(map(len, repeated.values()))}")
    assert takeover < 10, "another worker polls within seconds"
    assert len(after) == 2 and poller in after, "the others waited; one took over"
    assert len(codes) == TAKEOVER_CLIENTS and len(set(codes.values())) == TAKEOVER_CLIENTS, "nothing lost"
    assert len(state["requests"]) == TAKEOVER_CLIENTS, "one request each: no Kirim handled twice"
    assert set(state["versions"].values()) == {1}
    assert set(state["inbox"]) == {"handled"}, "every update handled, none failed"
    assert all(len(trail) == 1 for trail in state["trails"].values()), "one submission each"


async def test_a_webhook_worker_killed_its_chats_go_on_at_another(tmp_path):
    """kill -9 one of two webhook workers while clients write: the proxy sends the rest to the
    other, which takes the dead worker's chats (its presence lock is gone) and handles what it
    had stored and not finished; nothing lost, nothing twice."""
    telegram = TelegramEmulator(token=TOKEN, push_webhook=True)
    await telegram.start()
    fleet = f.Fleet(tmp_path, telegram, None, count=2)
    codes: dict[int, str] = {}
    try:
        await fleet.start()
        users = [telegram.user(40_000 + n, f"Klien {n}", language_code="id") for n in range(TAKEOVER_CLIENTS)]

        async def client(n: int) -> None:
            codes[n] = await f.telegram_intake(users[n], n)

        walks = asyncio.gather(*(client(n) for n in range(TAKEOVER_CLIENTS)))
        await telegram.wait_for(lambda: sum(len(u.messages) for u in users) > 4 * TAKEOVER_CLIENTS,
                                timeout=60, what="the clients half-way")
        await fleet.kill(0)
        try:
            await walks
        except BaseException:
            print(fleet.logs())
            raise
        state = await database_state(tmp_path)
        failed_over = fleet.proxies[0].failed
    finally:
        await fleet.stop()
        await telegram.stop()
    assert_no_violations(telegram)
    print(f"\nwebhook worker killed: clients done {len(codes)}/{TAKEOVER_CLIENTS}, requests"
          f" {len(state['requests'])}, calls the proxy moved to the other worker {sum(failed_over.values())}")
    assert len(codes) == TAKEOVER_CLIENTS and len(state["requests"]) == TAKEOVER_CLIENTS
    assert set(state["versions"].values()) == {1}
    assert set(state["inbox"]) == {"handled"}, "every update handled, none failed"
    assert all(len(trail) == 1 for trail in state["trails"].values()), "one submission each"
