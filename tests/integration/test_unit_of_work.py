"""One update's unit of work on a real SQLite file: services inside it write into one
transaction, which opens at the first write and commits (or rolls back) as a whole."""

from __future__ import annotations

import asyncio
import contextvars

import pytest

from bot.domain.engine import Act, Refused
from storage.inbox_repos import Incoming
from storage.repositories import Repos
from tests.integration.test_storage import poster_content as poster_content  # noqa: F401


async def titles(db) -> list[str]:
    """What another connection sees: committed drafts' questions."""
    async with db.reading() as tx:
        return [row["question"] for row in await tx.all("SELECT question FROM drafts ORDER BY person_id")]


async def person(app, user_id: int) -> int:
    return await app.people.person("telegram", user_id, f"P{user_id}")


async def test_writes_commit_together_and_are_read_back_inside_only(app):
    sari, budi = await person(app, 1), await person(app, 2)
    async with app.db.unit():
        await app.drafts.save(sari, "telegram", "title", {})
        await app.drafts.save(budi, "telegram", "organisation", {})
        async with app.db.reading() as tx:  # inside: the update sees its own writes
            assert await Repos(tx).drafts.get(budi) == ("organisation", {})
        outside = asyncio.create_task(titles(app.db), context=contextvars.Context())
        assert await outside == [], "nothing is visible outside before the commit"
    assert await titles(app.db) == ["title", "organisation"]


async def test_a_unit_that_raises_leaves_nothing(app):
    sari = await person(app, 1)
    with pytest.raises(RuntimeError):
        async with app.db.unit():
            await app.drafts.save(sari, "telegram", "title", {})
            await app.people.set_language(sari, "en")
            raise RuntimeError("a bug in the handler")
    assert await titles(app.db) == []
    async with app.db.reading() as tx:
        assert (await Repos(tx).people.get(sari))["language"] == "id"


async def test_a_refused_service_undoes_only_its_own_writes(app, poster_content):
    """A service that raises inside an update (a refused action, caught and answered) rolls
    back to its savepoint; what the update did before and after it commits."""
    sari = await person(app, 1)
    code = (await app.requests.submit(sari, poster_content, "telegram")).code
    async with app.db.unit():
        await app.drafts.save(sari, "telegram", "title", {})  # opens the unit's transaction
        with pytest.raises(Refused):  # Sari holds no koordinator role
            await app.requests.decide(code, sari, Act.APPROVE)
        await app.people.set_language(sari, "en")
    assert await titles(app.db) == ["title"]
    state = await app.requests.get(code)
    assert state.step_id == "koordinator"
    async with app.db.reading() as tx:
        assert (await Repos(tx).people.get(sari))["language"] == "en"
        acts = [e.act for e in await Repos(tx).audit.for_request(code)]
    assert acts == ["submit"]


async def test_nothing_is_locked_until_the_first_write(app):
    """A download or Pillow work before an update's first write holds up no other writer."""
    sari = await person(app, 1)
    reading = asyncio.Event()
    may_write = asyncio.Event()

    async def update() -> None:
        async with app.db.unit():
            async with app.db.reading() as tx:
                await tx.scalar("SELECT COUNT(*) FROM drafts")
            reading.set()
            await may_write.wait()  # e.g. downloading a poster
            await app.drafts.save(sari, "telegram", "media", {})

    task = asyncio.create_task(update())
    await reading.wait()
    async with asyncio.timeout(2):  # another writer is not kept waiting meanwhile
        await app.people.invite("koordinator", app.clock.now())
    may_write.set()
    await task
    assert await titles(app.db) == ["media"]


async def test_units_do_not_nest_and_stored_updates_are_new_once(app):
    async with app.db.unit():
        with pytest.raises(RuntimeError):
            async with app.db.unit():
                pass
    first = await app.inbox.store([Incoming("telegram", i, "1001", "{}") for i in ("7", "8")])
    again = await app.inbox.store([Incoming("telegram", i, "1001", "{}") for i in ("8", "9")])
    assert [r.event_id for r in first] == ["7", "8"]
    assert [r.event_id for r in again] == ["9"], "a redelivered update is not stored twice"
