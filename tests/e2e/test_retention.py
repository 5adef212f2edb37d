"""Retention on a request walked through the real bot: what only served delivery goes after its
period, and the archive, the SOP record and the report say what they said before."""

from __future__ import annotations

import asyncio
import io
import json
import zipfile
from datetime import UTC, datetime, timedelta

from pypdf import PdfReader

from bot.services.archive import Archive
from bot.services.monev import monev
from bot.services.retention import Retention
from tests.e2e.bot_world import World, expect, submit
from tests.e2e.test_push_info import add_subscriber, approve_to_publish, final_report


async def published_and_archived(world: World) -> str:
    """A request from the intake to the archive, published to two subscribers."""
    await add_subscriber(world, 6001, "Rina", "mahasiswa")
    await add_subscriber(world, 6002, "Dimas", "mahasiswa")
    code = await submit(world)
    card = await approve_to_publish(world, code)
    await world["petugas"].tap(card, "⬜ mahasiswa")
    await world["petugas"].tap(card, "📢 Sebarkan sekarang")
    await final_report(world, code)
    archive = await expect(world["petugas"], code, "Petugas mengarsipkan", timeout=15)
    await world["petugas"].tap(archive, "🗄 Arsipkan")
    await expect(world["client"], code, "telah dipublikasikan dan diarsipkan")
    return code


async def timers_closed(world: World) -> None:
    """The deadline loop closes the timers of steps that moved on, at their time (as moot)."""
    world.app.clock.advance(timedelta(days=3))
    for _ in range(100):
        async with world.app.db.reading() as tx:
            if not await tx.scalar("SELECT COUNT(*) FROM timers WHERE fired_at IS NULL"):
                return
        await asyncio.sleep(0.05)
    raise AssertionError("the deadline loop left timers unfired")


async def counts(world: World) -> dict[str, int]:
    async with world.app.db.reading() as tx:
        return {
            "notices and replies": await tx.scalar(
                "SELECT COUNT(*) FROM outbox WHERE kind IN ('notice', 'reply')"),
            "deliveries": await tx.scalar("SELECT COUNT(*) FROM outbox WHERE kind = 'broadcast'"),
            "updates": await tx.scalar("SELECT COUNT(*) FROM inbox WHERE source = 'telegram'"),
            "timers": await tx.scalar("SELECT COUNT(*) FROM timers"),
            "folded": await tx.scalar("SELECT COUNT(*) FROM broadcast_deliveries"),
        }


async def exported(world: World, code: str, tmp_path) -> tuple[dict, str, str]:
    """(the manifest, record.html, the PDF record's text) of the request's archive."""
    app = world.app
    archive = Archive(app.db, app.flow, app.files, app.settings.zone, app.requests.calendar)
    path = await archive.export(code, tmp_path / f"{len(list(tmp_path.iterdir()))}.zip")
    with zipfile.ZipFile(path) as zipped:
        manifest = json.loads(zipped.read("manifest.json"))
        page = zipped.read("record.html").decode()
    pdf = await archive.record_pdf(code)
    return manifest, page, PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


async def test_old_delivery_rows_go_and_the_archive_keeps_everything(world: World, tmp_path):
    code = await published_and_archived(world)
    await timers_closed(world)
    before = await counts(world)
    assert all(before[key] for key in ("notices and replies", "deliveries", "updates", "timers"))
    manifest, page, record = await exported(world, code, tmp_path)
    month = datetime(2026, 11, 1).date(), datetime(2026, 11, 30).date()
    report = await monev(world.app.db, world.app.flow, *month, world.app.settings.zone)
    retention = Retention.of(world.app)
    now = datetime.now(UTC)  # the rows are stamped with the machine's time

    # within both periods: nothing goes
    assert set((await retention.prune(now + timedelta(days=6))).values()) == {0}
    assert await counts(world) == before

    # past the week of the inbox, not the month of the rest: the handled updates go
    pruned = await retention.prune(now + timedelta(days=8))
    assert pruned["updates"] == before["updates"] and pruned["messages"] == 0
    assert await counts(world) == before | {"updates": 0}

    # past the month: notices, replies and timers go, the deliveries are folded
    pruned = await retention.prune(now + timedelta(days=31))
    assert pruned["messages"] == before["notices and replies"]
    assert pruned["timers"] == before["timers"] and pruned["deliveries folded"] == before["deliveries"]
    assert await counts(world) == {"notices and replies": 0, "deliveries": 0, "updates": 0, "timers": 0,
                                   "folded": 1}

    after = await exported(world, code, tmp_path)
    assert after == (manifest, page, record)
    assert [d["recipient"] for d in manifest["deliveries"]] == ["telegram:6001", "telegram:6002"]
    assert {d["status"] for d in manifest["deliveries"]} == {"sent"}
    assert "Penyebaran: 2 dari 2 penerima terkirim." in page
    assert code in record
    assert await monev(world.app.db, world.app.flow, *month, world.app.settings.zone) == report
    assert report.deliveries["sent"] == 2 and report.channels["telegram"] == 1


async def both_marked_sent(world: World) -> None:
    for _ in range(100):
        async with world.app.db.reading() as tx:
            if await tx.scalar("SELECT COUNT(*) FROM outbox WHERE kind = 'notice' AND status = 'sent'") >= 2:
                return
        await asyncio.sleep(0.05)


async def test_an_open_requests_prompts_stay_so_a_decision_still_edits_them(world: World):
    code = await submit(world)
    card = await expect(world["koordinator2"], code)
    await both_marked_sent(world)  # a card shows in the chat a moment before its row says sent
    await Retention.of(world.app).prune(datetime.now(UTC) + timedelta(days=40))
    async with world.app.db.reading() as tx:
        prompts = await tx.scalar("SELECT COUNT(*) FROM outbox WHERE kind = 'notice' AND status = 'sent'")
    assert prompts == 2  # the two koordinators' cards
    mine = next(m for m in world["koordinator"].messages if code in (m.get("caption") or m.get("text") or ""))
    await world["koordinator"].tap(mine, "✅ Setujui")

    def edited():
        now = next(m for m in world["koordinator2"].messages if m["message_id"] == card["message_id"])
        return now if "Disetujui oleh Budi" in (now.get("caption") or now.get("text") or "") else None

    await world.server.wait_for(edited)
