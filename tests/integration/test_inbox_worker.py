"""The inbox worker on a real SQLite file, with a stand-in platform: each chat's updates in
order, and an update that was in hand at every one of the last starts (a crash each time)
given up with one apology instead of crashing the bot for ever."""

from __future__ import annotations

import asyncio

from bot.app import new_worker_id
from bot.handlers.inbox import InboxWorker
from bot.services.inbox import MAX_RESTARTS
from storage.inbox_repos import Incoming
from tests.databases import ON_POSTGRES


class Platform:
    source = "telegram"

    def __init__(self, hang_on: str | None = None) -> None:
        self.handled: list[str] = []
        self.hang_on = hang_on

    async def handle(self, row) -> None:
        if row.event_id == self.hang_on:
            await asyncio.Event().wait()  # the bot dies while handling it
        self.handled.append(row.event_id)

    def apology(self, row) -> tuple[str, dict]:
        return f"telegram:{row.chat_key}", {"op": "send", "replies": [{"text": "maaf"}], "lang": "id"}


async def statuses(app) -> dict[str, str]:
    async with app.db.reading() as tx:
        return {r["event_id"]: r["status"] for r in await tx.all("SELECT event_id, status FROM inbox")}


async def apologies(app) -> int:
    async with app.db.reading() as tx:
        return await tx.scalar("SELECT COUNT(*) FROM outbox WHERE kind = 'reply'")


async def test_one_chats_updates_in_order_and_each_once(app):
    platform = Platform()
    worker = InboxWorker(app)
    worker.add(platform)
    await worker.recover()
    await worker.receive([Incoming("telegram", str(i), str(1000 + i % 2), "{}") for i in range(1, 9)])
    await worker.receive([Incoming("telegram", "3", "1001", "{}")])  # sent again
    await asyncio.wait_for(worker.wait_idle(), 2)
    mine = [e for e in platform.handled if int(e) % 2]
    assert mine == ["1", "3", "5", "7"]
    assert sorted(platform.handled, key=int) == [str(i) for i in range(1, 9)]
    assert set((await statuses(app)).values()) == {"handled"}


async def test_an_update_in_hand_at_every_start_is_given_up_with_one_apology(app):
    await app.inbox.store([Incoming("telegram", "5", "1001", "{}"), Incoming("telegram", "6", "1001", "{}")])
    # SQLite counts every start that finds it pending (the first too); several workers on
    # PostgreSQL count each time a worker takes the chat from one that died holding it
    crashes = MAX_RESTARTS if ON_POSTGRES else MAX_RESTARTS - 1
    for _ in range(crashes):  # each start takes it again, and dies on it
        app.worker_id = new_worker_id()  # each start is a new process
        worker = InboxWorker(app)
        worker.add(Platform(hang_on="5"))
        await worker.recover()
        await asyncio.sleep(0.05)
        await worker.stop(0)
        assert await statuses(app) == {"5": "pending", "6": "pending"}
    platform = Platform(hang_on="5")
    app.worker_id = new_worker_id()
    worker = InboxWorker(app)
    worker.add(platform)
    await worker.recover()
    await asyncio.wait_for(worker.wait_idle(), 2)
    assert await statuses(app) == {"5": "failed", "6": "handled"}
    assert platform.handled == ["6"], "the next update of that chat is handled"
    assert await apologies(app) == 1


async def test_an_update_that_hangs_is_failed_and_its_chat_goes_on(app):
    platform = Platform(hang_on="5")
    worker = InboxWorker(app, handle_seconds=0.2)
    worker.add(platform)
    await worker.recover()
    await worker.receive([Incoming("telegram", "5", "1001", "{}"), Incoming("telegram", "6", "1001", "{}")])
    await asyncio.wait_for(worker.wait_idle(), 2)
    assert await statuses(app) == {"5": "failed", "6": "handled"}
    assert platform.handled == ["6"]
    assert await apologies(app) == 1
