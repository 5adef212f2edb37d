"""Monev in chat: /laporan for the head role, refused for others; the monthly report arrives
by itself once, at the start of the next month."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

from bot.domain.engine import Act
from bot.domain.request import Contact, Content, MediaRef
from tests.e2e.bot_world import World, expect, poster_bytes, text_of
from tests.e2e.conftest import *  # noqa: F403  (world, clock, telegram_server)


async def seed_november(world: World) -> str:
    """One request submitted and approved by the coordinator in November."""
    code = await submit_via_services(world)
    await world.app.requests.decide(code, await person(world, 2001), Act.APPROVE)
    return code


async def person(world: World, telegram_id: int) -> int:
    return await world.app.people.person("telegram", telegram_id)


async def submit_via_services(world: World) -> str:
    data = poster_bytes()
    sha = world.app.files.put(data)
    content = Content(
        title="Bakti Sosial", organisation="BEM", caption="Ayo ikut!", publish_date=date(2026, 11, 30),
        slot="08.00-10.00", contact=Contact(name="Sari", phone="0812"),
        media=[MediaRef(sha256=sha, kind="image", mime="image/jpeg", size=len(data))],
    )
    state = await world.app.requests.submit(await person(world, 1001), content, "telegram")
    return state.code


async def test_laporan_for_the_head_role_only(world: World, clock):
    await seed_november(world)
    clock.set(datetime(2026, 12, 1, 1, 0, tzinfo=UTC))  # 08.00 WIB on 1 December
    await world["petugas"].send("/laporan")
    refused = await expect(world["petugas"], "Laporan monev hanya untuk")
    assert "Direktur" in text_of(refused)

    await world["direktur"].send("/laporan")
    chart = await expect(world["direktur"], "Monev Humas: 1 November 2026 s.d. 30 November 2026")
    assert chart.get("photo"), "the report comes as a chart image"
    csv = await world.server.wait_for(
        lambda: next((m for m in world["direktur"].messages if m.get("document")), None))
    assert csv["document"]["file_name"] == "monev-2026-11-01-2026-11-30.csv"
    # 1 December is also when the monthly report goes out by itself: let it land before the
    # test ends, so no send is cut off by the teardown
    await world.server.wait_for(
        lambda: sum(1 for m in world["direktur"].messages if m.get("document")) == 2, timeout=10)


async def test_monthly_report_reaches_the_head_role_once(world: World, clock):
    await seed_november(world)
    clock.set(datetime(2026, 12, 1, 1, 0, tzinfo=UTC))
    chart = await expect(world["direktur"], "Monev Humas", timeout=10)
    assert chart.get("photo")
    await world.server.wait_for(lambda: any(m.get("document") for m in world["direktur"].messages))
    clock.set(datetime(2026, 12, 1, 5, 0, tzinfo=UTC))  # later that day: the loop runs again
    await asyncio.sleep(1.0)  # five turns of the timer loop: a second report would be on its way
    reports = [m for m in world["direktur"].messages if m.get("document")]
    assert len(reports) == 1
