"""Time standards on a real database with a clock the test moves: reminders, deadlines and
escalation fire at the right moment, once, also across a restart."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.app import App
from bot.domain.engine import Act
from bot.domain.request import Contact, Content, MediaRef
from bot.domain.worktime import Calendar, add_working_time, read_holidays
from bot.services.deadlines import Deadlines
from storage.repositories import Repos

WIB = ZoneInfo("Asia/Jakarta")


def wib(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=WIB)


def content(app: App) -> Content:
    sha = app.files.put(b"poster")
    return Content(
        title="Donor Darah", organisation="PMI", caption="Ayo donor!", publish_date=date(2026, 12, 10),
        slot="08.00-10.00", contact=Contact(name="Sari", phone="0812"),
        media=[MediaRef(sha256=sha, kind="image", mime="image/jpeg", size=6)],
    )


async def sent_notices(app: App) -> list[tuple[str, str, str]]:
    """(recipient person id, payload kind, act) of every reminder or escalation queued."""
    async with app.db.reading() as tx:
        rows = await tx.all("SELECT recipient, payload FROM outbox WHERE kind = 'notice' ORDER BY id")
    found = []
    for row in rows:
        payload = json.loads(row["payload"])
        if payload["kind"] in ("reminder", "escalation"):
            found.append((row["recipient"], payload["kind"], payload["act"]))
    return found


@pytest.fixture
async def people(app):
    ids = {"client": await app.people.person("telegram", 1001, "Sari")}
    for role, tg in (("koordinator", 2001), ("direktur", 4001), ("wakil_koordinator", 3001)):
        await app.people.grant(role, "telegram", tg)
        ids[role] = await app.people.person("telegram", tg)
    return ids


async def test_reminder_deadline_and_escalation_fire_once_at_their_moments(app, clock, people):
    clock.set(wib(26, 9).astimezone(UTC))  # the koordinator step's standard is 2 hours
    state = await app.requests.submit(people["client"], content(app))
    assert state.step_due_at == wib(26, 11)
    deadlines = Deadlines(app.db, app.flow, app.clock)
    koordinator, direktur = str(people["koordinator"]), str(people["direktur"])

    clock.set(wib(26, 10, 29).astimezone(UTC))
    assert await deadlines.fire_due() == 0  # 75 % of 2 h is 10.30
    clock.set(wib(26, 10, 30).astimezone(UTC))
    assert await deadlines.fire_due() == 1
    assert await sent_notices(app) == [(koordinator, "reminder", "remind")]
    assert await deadlines.fire_due() == 0  # not twice

    clock.set(wib(26, 11, 1).astimezone(UTC))
    assert await deadlines.fire_due() == 1  # the holder's deadline notice; the one above waits
    assert (await sent_notices(app))[1:] == [(koordinator, "reminder", "due")]
    clock.set(wib(26, 11, 29).astimezone(UTC))
    assert await deadlines.fire_due() == 0  # the flow's grace is 30 minutes
    clock.set(wib(26, 11, 30).astimezone(UTC))
    assert await deadlines.fire_due() == 1
    assert (await sent_notices(app))[2:] == [(direktur, "escalation", "escalate")]
    async with app.db.reading() as tx:
        audit = await Repos(tx).audit.for_request(state.code)
    assert audit[-1].act == "escalate" and audit[-1].data == {"to_role": "direktur"}


async def test_timers_survive_a_restart_and_do_not_fire_twice(settings, clock, people, app):
    clock.set(wib(26, 9).astimezone(UTC))
    await app.requests.submit(people["client"], content(app))
    clock.set(wib(26, 10, 45).astimezone(UTC))
    assert await Deadlines(app.db, app.flow, app.clock).fire_due() == 1  # the 75 % reminder
    await app.close()

    reopened = await App.open(settings, clock=clock)
    try:
        deadlines = Deadlines(reopened.db, reopened.flow, reopened.clock)
        assert await deadlines.fire_due() == 0
        clock.set(wib(26, 12).astimezone(UTC))
        assert await deadlines.fire_due() == 2  # deadline and escalation, after the restart
        assert [kind for _, kind, _ in await sent_notices(reopened)] == ["reminder", "reminder", "escalation"]
    finally:
        await reopened.close()


async def test_a_step_that_moved_on_sends_no_reminder(app, clock, people):
    clock.set(wib(26, 9).astimezone(UTC))
    state = await app.requests.submit(people["client"], content(app))
    clock.set(wib(26, 9, 30).astimezone(UTC))
    await app.requests.decide(state.code, people["koordinator"], Act.APPROVE)
    # 11.00: the koordinator's 10.30 reminder is moot; the wakil koordinator's step started
    # at 09.30 with 2 h, so its own reminder (11.00) is due
    clock.set(wib(26, 11, 0).astimezone(UTC))
    deadlines = Deadlines(app.db, app.flow, app.clock)
    assert await deadlines.fire_due() == 1
    wakil = str(people["wakil_koordinator"])
    assert await sent_notices(app) == [(wakil, "reminder", "remind")]


def test_office_hours_and_a_holiday_move_a_deadline(tmp_path):
    holidays = tmp_path / "holidays.txt"
    holidays.write_text("# libur nasional\n2026-11-27 Cuti bersama\n")
    office = Calendar(WIB, (time(7, 30), time(16, 0)), frozenset(range(5)), read_holidays(holidays))
    # Thursday 15.00 + 2 h: 1 h on Thursday, Friday is a holiday, the weekend does not count
    assert add_working_time(wib(26, 15), timedelta(hours=2), office) == wib(30, 8, 30)
    # a request arriving on Saturday evening starts counting on Monday at opening
    assert add_working_time(wib(28, 20), timedelta(minutes=15), office) == wib(30, 7, 45)
    around_the_clock = Calendar(WIB)
    assert add_working_time(wib(26, 23), timedelta(days=1), around_the_clock) == wib(27, 23)


def test_a_malformed_holiday_file_names_the_line(tmp_path):
    holidays = tmp_path / "holidays.txt"
    holidays.write_text("2026-12-25 Natal\n25-12-2026\n")
    with pytest.raises(ValueError, match="holidays.txt:2"):
        read_holidays(holidays)
