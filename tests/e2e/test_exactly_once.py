"""Every update is handled once and only once, over HTTP against the emulators: a failing
handler leaves nothing half-done, a redelivery is skipped, Telegram's offset never passes an
update still in hand, and a LINE event stored before a crash is answered after the restart."""

from __future__ import annotations

import asyncio
import copy

from bot.chat.approvals import Approvals
from bot.emulator.line import make_user_id
from bot.handlers.inbox import InboxWorker
from storage.repositories import Repos
from tests.e2e import line_world
from tests.e2e.bot_world import World, expect, running_bot, settings_for, submit, text_of
from tests.e2e.line_fixtures import line_server as line_server  # noqa: F401
from tests.e2e.line_world import line_settings, running_line_bot

SORRY = "Maaf, terjadi gangguan"


async def inbox_rows(app, source: str) -> list[dict]:
    async with app.db.reading() as tx:
        rows = await tx.all("SELECT event_id, status, error FROM inbox WHERE source = ? ORDER BY id",
                            (source,))
    return [dict(row) for row in rows]


async def acts(app, code: str) -> list[str]:
    async with app.db.reading() as tx:
        return [entry.act for entry in await Repos(tx).audit.for_request(code)]


async def test_a_failing_handler_leaves_nothing_half_done_and_is_answered_once(world: World, monkeypatch):
    code = await submit(world)
    budi = world["koordinator"]
    card = await expect(budi, code)

    async def broken(*args, **kwargs):
        raise RuntimeError("a bug, after the decision was written")

    monkeypatch.setattr(Approvals, "_done", broken)
    query = await budi.tap(card, "✅ Setujui")
    await expect(budi, SORRY)
    await world.server.wait_for(lambda: query in world.server.callback_answers)
    assert world.server.callback_answers[query]["text"] is None, "no 'Disetujui' popup"
    state = await world.app.requests.get(code)
    assert (state.step_id, state.status) == ("koordinator", "active")
    assert await acts(world.app, code) == ["submit"], "the decision was rolled back with the rest"
    async with world.app.db.reading() as tx:
        queued = await tx.scalar("SELECT COUNT(*) FROM outbox WHERE kind = 'notice' AND payload LIKE ?",
                                 ('%"step_id": "wakil_koordinator"%',))
    assert queued == 0, "nobody was prompted for the next step"
    failed = [row for row in await inbox_rows(world.app, "telegram") if row["status"] == "failed"]
    assert len(failed) == 1 and "RuntimeError: a bug" in failed[0]["error"]

    monkeypatch.undo()  # the bug is fixed; the button still works, and the failure is not retried
    await budi.tap(card, "✅ Setujui")
    await expect(world["wakil_koordinator"], code, "Wakil Koordinator menyetujui")
    await asyncio.sleep(0.3)
    assert await acts(world.app, code) == ["submit", "approve"]
    assert sum(SORRY in text_of(m) for m in budi.messages) == 1


async def test_updates_sent_again_after_a_restart_are_handled_once(telegram_server, tmp_path, clock):
    server = telegram_server
    sent: list[dict] = []
    push = server._push_update

    def recording(kind, payload):
        push(kind, payload)
        sent.append(copy.deepcopy(server._updates[-1]))

    server._push_update = recording
    sari = server.user(1001, "Sari", language_code="id")
    settings = settings_for(server, tmp_path)
    async with running_bot(settings, clock):
        await sari.send("/ajukan")
        await expect(sari, "1. Apa judul acara")
        await sari.send("Seminar Gizi")
        await expect(sari, "2. Nama institusi")
    # the confirmation never reached Telegram (the bot died just after the commits): both again
    server._updates[:0] = copy.deepcopy(sent)
    async with running_bot(settings, clock) as app:
        await sari.send("BEM FK")
        await expect(sari, "3. Kirim poster")
        await asyncio.sleep(0.3)
        person = await app.people.person("telegram", 1001)
        async with app.db.reading() as tx:
            question, draft = await Repos(tx).drafts.get(person)
    assert question == "media"
    assert (draft["data"]["title"], draft["data"]["organisation"]) == ("Seminar Gizi", "BEM FK")
    asked = [text_of(m) for m in sari.messages]
    assert sum("1. Apa judul acara" in m for m in asked) == 1
    assert sum("2. Nama institusi" in m for m in asked) == 1


async def test_the_offset_never_passes_an_update_still_in_hand(world: World, monkeypatch):
    server = world.server
    gate = asyncio.Event()
    status = Approvals.status

    async def slow(self, person_id: int, lang: str):
        await gate.wait()  # the client's /status takes its time (a big poster, say)
        return await status(self, person_id, lang)

    monkeypatch.setattr(Approvals, "status", slow)
    sari, budi = world["client"], world["koordinator"]
    first_call = len(server.calls)
    await sari.send("/status")
    slow_id = server._updates[-1]["update_id"]
    for _ in range(3):  # others are answered meanwhile
        await budi.send("/peran")
        await expect(budi, "Peran Anda")
    newest = server._updates[-1]["update_id"]
    await asyncio.sleep(0.5)
    polls = [c.params.get("offset", 0) for c in server.calls[first_call:] if c.method == "getUpdates"]
    assert polls and max(polls) <= slow_id, "confirmed past the update in hand"

    released = len(server.calls)
    gate.set()
    await expect(sari, "belum punya permohonan")

    def confirmed():  # promptly, not a long poll later
        later = server.calls[released:]
        return any(c.method == "getUpdates" and c.params.get("offset", 0) > newest for c in later)

    await server.wait_for(confirmed, timeout=1.0, what="a getUpdates confirming all of them")


async def test_a_line_event_stored_just_before_a_crash_is_answered_after_the_restart(
        line_server, tmp_path, clock, monkeypatch):
    settings = line_settings(line_server, tmp_path)
    sari = line_server.user(make_user_id("sari"), "Sari")
    monkeypatch.setattr(InboxWorker, "take", lambda self, rows: None)  # dies right after each 200
    async with running_line_bot(settings, clock, line_server) as (app, _):
        assert await sari.follow() == 200
        assert await sari.say("status") == 200
        assert [row["status"] for row in await inbox_rows(app, "line")] == ["pending", "pending"]
    assert sari.messages == []
    monkeypatch.undo()
    async with running_line_bot(settings, clock, line_server) as (app, platforms):
        await line_world.expect(sari, "Selamat datang")
        await line_world.expect(sari, "belum punya permohonan")
        await platforms.line.wait_idle()
        assert [row["status"] for row in await inbox_rows(app, "line")] == ["handled", "handled"]
        assert await sari.redeliver(sari.events[-1]) == 200  # LINE asks again: skipped
        await asyncio.sleep(0.3)
    assert len(sari.messages) == 3, [line_world.text_of(m)[:40] for m in sari.messages]
