"""Push-info happens only inside the flow's publication windows, now or scheduled."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.app import App
from bot.chat import callbacks
from bot.chat.approvals import Approvals
from bot.chat.callbacks import StepButton
from bot.domain.engine import Act, Refused
from bot.domain.request import Contact, Content, MediaRef
from storage.repositories import Repos

WIB = ZoneInfo("Asia/Jakarta")


@pytest.fixture
async def at_publish_step(app):
    return await bring_to_publish(app)


async def bring_to_publish(app: App) -> tuple[str, int]:
    """A request approved by the whole default chain; its code and the petugas's id."""
    client = await app.people.person("telegram", 1001, "Sari")
    people = {}
    roles = (("koordinator", 2001), ("wakil_koordinator", 3001), ("direktur", 4001), ("petugas", 5001))
    for role, tg in roles:
        await app.people.grant(role, "telegram", tg)
        people[role] = await app.people.person("telegram", tg)
    sha = app.files.put(b"poster")
    content = Content(
        title="Donor Darah", organisation="PMI", caption="Ayo donor!", publish_date=date(2026, 11, 28),
        slot="13.00-16.00", contact=Contact(name="Sari", phone="0812"),
        media=[MediaRef(sha256=sha, kind="image", mime="image/jpeg", size=6)],
    )
    state = await app.requests.submit(client, content)
    for role in ("koordinator", "wakil_koordinator", "direktur"):
        await app.requests.decide(state.code, people[role], Act.APPROVE)
    return state.code, people["petugas"]


async def test_broadcast_now_outside_the_windows_names_the_next_allowed_time(app, clock, at_publish_step):
    code, petugas = at_publish_step
    clock.set(datetime(2026, 11, 26, 11, 0, tzinfo=WIB).astimezone(UTC))  # between 10.00 and 13.00
    with pytest.raises(Refused) as refused:
        await app.publishing.publish(code, petugas, ["mahasiswa"])
    assert refused.value.reason == "outside_window"
    assert "26-11-2026 13.00" in refused.value.message("id")
    assert (await app.requests.get(code)).step_id == "publikasi", "nothing was recorded"


async def test_schedule_uses_the_requested_slot_and_the_step_moves_on(app, clock, at_publish_step):
    code, petugas = at_publish_step
    state = await app.requests.get(code)
    when = app.publishing.schedule_time(state)
    assert when == datetime(2026, 11, 28, 13, 0, tzinfo=WIB)
    published = await app.publishing.publish(code, petugas, ["mahasiswa"], at=when)
    assert published.due_at == when
    assert (await app.requests.get(code)).step_id == "arsip"


async def test_the_petugas_can_choose_lines_broadcast_to_every_follower(settings, clock, tmp_path):
    app = await App.open(settings.model_copy(update={"line_access_token": "token"}), clock=clock)
    try:
        code, petugas = await bring_to_publish(app)
        state = await app.requests.get(code)
        index = app.flow.request_steps.index(app.flow.step(state.step_id))
        approvals = Approvals(app)

        def tap(arg: str) -> str:
            return callbacks.encode(StepButton(code, state.version, index, Act.PUBLISH, arg))

        card = await approvals.card(state.code, "id")
        assert "⬜ LINE: semua pengikut" in [b.label for row in card.buttons for b in row]
        toggled = await approvals.on_tap(petugas, "id", tap("f"), "telegram")
        assert "☑️ LINE: semua pengikut" in [b.label for row in toggled.edit.buttons for b in row]
        await approvals.on_tap(petugas, "id", tap("now"), "telegram")
        async with app.db.reading() as tx:
            rows = await Repos(tx).outbox.for_request(await Repos(tx).requests.id_of(code), "broadcast")
        assert [row["recipient"] for row in rows] == ["line:*"]
    finally:
        await app.close()
