"""Several `humas-bot run` workers on one PostgreSQL, the sending side, as real processes
against the Telegram emulator (which logs every send it accepts, with its time).

1. A petugas's push-info to 2,000 subscribers, two workers sending, one killed with SIGKILL in
   the middle: the other finishes. Every subscriber gets the poster exactly once, except the
   deliveries the dead worker had in flight, which are reported unknown and never sent again
   (each of those chats got it once or not at all); none lost; the token's rate holds in every
   1-second window of the emulator's log, both workers together; one report to the petugas.
2. Notices and replies queued (by another process) while the workers are busy with a broadcast
   go out once each, by one of them, and one person's replies arrive in the order they were
   queued.

The token's rate is raised (HUMAS_TELEGRAM_PER_SECOND) so that 2,000 messages take ~25 s; the
budget spaces them the same way at 30 a second.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.app import App
from bot.chat.replies import Reply
from bot.config import Settings
from bot.domain.engine import Act
from bot.domain.request import Contact, Content, MediaRef
from bot.emulator.telegram import TelegramEmulator
from storage.repositories import Repos
from tests.databases import ON_POSTGRES, database_env, database_for
from tests.e2e.bot_world import poster_bytes, text_of
from tests.e2e.telegram_fixtures import telegram_server as telegram_server  # noqa: F401
from tests.e2e.test_push_info import all_day_flow

pytestmark = pytest.mark.skipif(not ON_POSTGRES, reason="several workers share a PostgreSQL database")

SUBSCRIBERS = range(100_001, 102_001)  # 2,000
PETUGAS, CLIENT = 5001, 1001
RATE = 80  # messages a second for the token (Telegram's 30 made faster for the test)
CAPTION = "Ayo donor darah! Aula FK, 1 Desember."
LATENCY = 0.1  # seconds of round trip to the emulator
KILL_AFTER = 700  # subscribers reached when one worker is killed
PATIENCE = 50.0  # seconds for the survivor to finish (the dead worker's lease is 10 s)


class Worker:
    """One `humas-bot run` process on the test's database, with a log of its own."""

    def __init__(self, process: asyncio.subprocess.Process, log: Path) -> None:
        self.process = process
        self.log = log

    @classmethod
    async def start(cls, server: TelegramEmulator, tmp_path: Path, name: str, flows: Path) -> Worker:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HUMAS_")}
        env |= {
            "HUMAS_TELEGRAM_TOKEN": server.token, "HUMAS_TELEGRAM_API_URL": server.base_url,
            "HUMAS_TELEGRAM_FILE_URL": server.base_file_url, "HUMAS_CONFIG": str(tmp_path / "none.toml"),
            "HUMAS_FLOW": "sepanjang", "HUMAS_FLOWS_DIR": str(flows),
            "HUMAS_TELEGRAM_PER_SECOND": str(RATE), **database_env(tmp_path),
        }
        log = tmp_path / f"{name}.log"
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", env=env, cwd=tmp_path,
            stdout=asyncio.subprocess.DEVNULL, stderr=open(log, "ab"),  # noqa: SIM115, ASYNC230
        )
        return cls(process, log)

    async def kill(self) -> None:
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)
        await self.process.wait()

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), 15)
            except TimeoutError:
                await self.kill()


async def office(tmp_path: Path, server: TelegramEmulator) -> tuple[App, Path, dict[str, int]]:
    """The test's own view of the database (what the petugas does goes through its services),
    the role holders, every subscriber a Telegram user who started the bot."""
    flows = all_day_flow(tmp_path / "flows")
    settings = Settings(database=database_for(tmp_path), flow="sepanjang", flows_dir=flows)
    app = await App.open(settings)
    ids = {"client": await app.people.person("telegram", CLIENT, "Sari")}
    holders = (("koordinator", 2001), ("wakil_koordinator", 3001), ("direktur", 4001), ("petugas", PETUGAS))
    for role, tg in holders:
        await app.people.grant(role, "telegram", tg)
        ids[role] = await app.people.person("telegram", tg)
    for tg in (CLIENT, 2001, 3001, 4001, PETUGAS, *SUBSCRIBERS):
        server.user(tg, f"U{tg}").started = True
    return app, flows, ids


async def approved(app: App, ids: dict[str, int]) -> str:
    data = poster_bytes()
    poster = MediaRef(sha256=app.files.put(data), kind="image", mime="image/jpeg", size=len(data))
    content = Content(title="Donor Darah", organisation="PMI Kampus", caption=CAPTION, media=[poster],
                      contact=Contact(name="Sari", phone="0812"), slot="08.00-10.00",
                      publish_date=date.today() + timedelta(days=7))
    state = await app.requests.submit(ids["client"], content)
    for role in ("koordinator", "wakil_koordinator", "direktur"):
        await app.requests.decide(state.code, ids[role], Act.APPROVE)
    return state.code


def balasan(server: TelegramEmulator) -> list[str]:
    """The test's replies to the client (who also hears of the request's progress)."""
    return [text_of(m) for m in server.users[CLIENT].messages if text_of(m).startswith("Balasan")]


def busiest(moments: list[float], span: float = 1.0) -> int:
    """The most sends in any window of `span` seconds."""
    moments, most, start = sorted(moments), 0, 0
    for end, moment in enumerate(moments):
        while moments[start] <= moment - span:
            start += 1
        most = max(most, end - start + 1)
    return most


async def in_flight_by_worker(app: App) -> Counter[str]:
    async with app.db.reading() as tx:
        rows = await tx.all("SELECT claimed_by FROM outbox WHERE kind = 'broadcast' AND status = 'sending'")
    return Counter(row["claimed_by"] for row in rows)


async def test_a_worker_killed_mid_broadcast_the_other_finishes_once_each_within_the_rate(
        telegram_server, tmp_path):
    server = telegram_server
    server.latency = LATENCY  # several sends in flight at once, as with the real Telegram
    app, flows, ids = await office(tmp_path, server)
    workers = [await Worker.start(server, tmp_path, name, flows) for name in ("a", "b")]
    try:
        code = await approved(app, ids)
        subscribers = set(SUBSCRIBERS)
        async with app.db.transaction() as tx:
            for chat_id in SUBSCRIBERS:
                await Repos(tx).subscribers.subscribe("telegram", chat_id, None, ["mahasiswa"])
        started = time.monotonic()
        await app.publishing.publish(code, ids["petugas"], ["mahasiswa"])  # wakes the workers (NOTIFY)

        def reached() -> int:
            return sum(1 for a in server.accepted if a.chat_id in subscribers)

        await server.wait_for(lambda: reached() >= KILL_AFTER, timeout=60, what=f"{KILL_AFTER} sends")
        holders = await in_flight_by_worker(app)
        pids = {int(worker_id.split(":")[1]): worker_id for worker_id in holders}
        victim = max(workers, key=lambda w: holders.get(pids.get(w.process.pid, ""), 0))
        await victim.kill()
        killed_at = time.monotonic()
        dead_id = pids.get(victim.process.pid, "")
        frozen = (await in_flight_by_worker(app)).get(dead_id, 0)  # the dead worker's rows in flight

        def report():
            return [m for m in server.users[PETUGAS].messages if f"Laporan penyebaran {code}" in text_of(m)]

        await server.wait_for(report, timeout=PATIENCE, what="the broadcast's report")
        finished = time.monotonic()
    finally:
        for worker in workers:
            await worker.stop()
    async with app.db.reading() as tx:
        request_id = await Repos(tx).requests.id_of(code)
        rows = await Repos(tx).broadcasts.deliveries(request_id)
    await app.close()

    status = {int(row["recipient"].split(":")[1]): row["status"] for row in rows}
    got = Counter(a.chat_id for a in server.accepted if a.chat_id in subscribers)
    twice = [chat for chat, n in got.items() if n > 1]
    unknown = [chat for chat, s in status.items() if s == "unknown"]
    lost = [chat for chat in SUBSCRIBERS if got[chat] == 0 and status.get(chat) != "unknown"]
    window = busiest([a.at for a in server.accepted for _ in range(a.count)])
    print(f"\n2 workers, {len(SUBSCRIBERS)} subscribers at {RATE}/s: killed one after {KILL_AFTER} sends "
          f"with {frozen} deliveries in flight; duplicates {len(twice)}, lost {len(lost)}, unknown "
          f"{len(unknown)} (of which arrived {sum(got[c] for c in unknown)}), statuses "
          f"{dict(Counter(status.values()))}; busiest 1 s window {window} sends (limit {RATE}); "
          f"{finished - started:.1f} s in all, {finished - killed_at:.1f} s from the kill to the report")
    assert len(rows) == len(SUBSCRIBERS)
    assert twice == []
    assert lost == []
    assert len(unknown) == frozen <= 16  # only what the dead worker had in flight (its IN_FLIGHT)
    assert set(status.values()) <= {"sent", "unknown"}
    assert all(got[chat] == 1 for chat, s in status.items() if s == "sent")
    assert window <= RATE
    assert len(report()) == 1, "one report, from one worker"
    assert all(server.users[chat].messages[0].get("caption") == CAPTION for chat in list(got)[:50])


async def test_notices_and_replies_queued_while_workers_are_busy_go_once_in_order(telegram_server, tmp_path):
    server = telegram_server
    app, flows, ids = await office(tmp_path, server)
    workers = [await Worker.start(server, tmp_path, name, flows) for name in ("a", "b")]
    people = list(SUBSCRIBERS)[:40]
    busy = list(SUBSCRIBERS)[1000:1600]
    try:
        code = await approved(app, ids)
        async with app.db.transaction() as tx:
            for chat_id in busy:
                await Repos(tx).subscribers.subscribe("telegram", chat_id, None, ["mahasiswa"])
        await app.publishing.publish(code, ids["petugas"], ["mahasiswa"])
        await server.wait_for(lambda: sum(a.chat_id in busy for a in server.accepted) >= 100, timeout=30,
                              what="the workers busy with a broadcast")
        queued = time.monotonic()
        # a notice for each of 40 people, and ten replies to one person, queued by another process
        for chat_id in people:
            await app.outgoing.send(f"telegram:{chat_id}", [Reply(f"Pemberitahuan untuk {chat_id}")])
        await app.outgoing.send(f"telegram:{CLIENT}", [Reply(f"Balasan {n}") for n in range(10)])

        def everyone() -> bool:
            return (all(server.users[p].messages for p in people)
                    and len(balasan(server)) >= 10)

        await server.wait_for(everyone, timeout=30, what="every notice and reply")
        delivered = time.monotonic() - queued
        broadcasting = sum(a.chat_id in busy for a in server.accepted) < len(busy)
        await asyncio.sleep(1.0)  # a second copy would have come by now
    finally:
        for worker in workers:
            await worker.stop()
    async with app.db.reading() as tx:
        senders = await tx.all("SELECT DISTINCT claimed_by FROM outbox WHERE kind = 'reply'")
    await app.close()
    copies = Counter(text_of(m) for p in people for m in server.users[p].messages)
    replies = balasan(server)
    print(f"\n{len(people)} notices and 10 replies to one person queued during a broadcast, 2 workers: "
          f"copies {dict(Counter(copies.values()))}, all there {delivered:.1f} s after queueing"
          f"{' (the broadcast still running)' if broadcasting else ''}, workers that sent {len(senders)}")
    assert set(copies.values()) == {1} and len(copies) == len(people)
    assert replies == [f"Balasan {n}" for n in range(10)]
