"""On time means done by the step's deadline in the flow's working time; how late is the working
time past it; an escalation is shown but neither judged nor a new start for the step; the one
above hears only after the flow's grace. Real SQLite, the services, a clock the test moves."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest

from bot.app import App
from bot.domain.engine import Act
from bot.domain.request import Contact, Content, MediaRef
from bot.services.archive import Archive
from bot.services.deadlines import Deadlines
from bot.services.monev import monev

WIB = ZoneInfo("Asia/Jakarta")
NOVEMBER = (date(2026, 11, 1), date(2026, 11, 30))


def wib(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=WIB)


def content(app: App, publish: date = date(2026, 12, 20)) -> Content:
    sha = app.files.put(b"poster")
    return Content(
        title="Donor Darah", organisation="PMI", caption="Ayo donor!", publish_date=publish,
        slot="08.00-10.00", contact=Contact(name="Sari", phone="0812"),
        media=[MediaRef(sha256=sha, kind="image", mime="image/jpeg", size=6)],
    )


def record_rows(page: str) -> list[list[str]]:
    """record.html's rows: No, step, role, name, act, standard, deadline, done, working time,
    verdict, needs, output, note."""
    rows = re.findall(r"<tr>(.*?)</tr>", page, re.S)
    return [[unescape(cell) for cell in re.findall(r"<td>(.*?)</td>", row, re.S)] for row in rows[1:]]


def archive_of(app: App) -> Archive:
    return Archive(app.db, app.flow, app.files, app.settings.zone, app.requests.calendar)


async def escalations(app: App) -> list[str]:
    async with app.db.reading() as tx:
        rows = await tx.all("SELECT recipient, payload FROM outbox WHERE kind = 'notice' ORDER BY id")
    return [row["recipient"] for row in rows if json.loads(row["payload"])["kind"] == "escalation"]


async def staff(app: App, roles: dict[str, int]) -> dict[str, int]:
    ids = {"client": await app.people.person("telegram", 1001, "Sari")}
    for role, telegram_id in roles.items():
        await app.people.grant(role, "telegram", telegram_id)
        ids[role] = await app.people.person("telegram", telegram_id, role.title())
    return ids


@pytest.fixture
async def bkk(settings, clock, tmp_path):
    """BKK Palembang: office hours 07.30-16.00 on weekdays; Friday 27 November a holiday."""
    holidays = tmp_path / "holidays.txt"
    holidays.write_text("2026-11-27 Cuti bersama\n")
    app = await App.open(settings.model_copy(update={"flow": "bkk-palembang", "holidays_file": holidays}),
                         clock=clock)
    yield app
    await app.close()


async def test_on_time_across_a_holiday_a_weekend_and_office_hours(bkk, clock):
    app = bkk
    p = await staff(app, {"tim_ppid": 2001, "pranata_humas": 3001})
    clock.set(wib(26, 15, 50).astimezone(UTC))  # Thursday, 10 minutes before closing
    code = (await app.requests.submit(p["client"], content(app))).code
    state = await app.requests.get(code)
    # 15 minutes of working time: 10 on Thursday; Friday is a holiday, then the weekend
    assert state.step_due_at == wib(30, 7, 35)

    clock.set(wib(30, 7, 34).astimezone(UTC))  # Monday: 3 days and 16 hours by the wall clock
    await app.requests._do(code, Act.INSTRUCT, p["tim_ppid"], "", note="Tulis 5W+1H")
    clock.set(wib(30, 9, 34).astimezone(UTC))  # the writing's 120 minutes, to the minute
    await app.requests.upload(code, p["pranata_humas"], [], text="Berita 5W+1H")  # row 3 writes
    clock.set(wib(30, 10, 40).astimezone(UTC))  # verification's 60 minutes ran out at 10.34
    await app.requests.decide(code, p["tim_ppid"], Act.APPROVE)

    page = await archive_of(app).record_page(code)
    rows = [[r[0], r[4], r[5], r[6], r[7], r[8], r[9]] for r in record_rows(page)]
    assert rows == [
        ["1", "Diajukan", "-", "-", "26-11-2026 15.50", "0 menit", "-"],
        ["2", "Diinstruksikan", "15 menit", "30-11-2026 07.35", "30-11-2026 07.34", "14 menit",
         "tepat waktu"],
        ["3", "Hasil diunggah", "2 jam", "30-11-2026 09.34", "30-11-2026 09.34", "2 jam", "tepat waktu"],
        ["4", "Disetujui", "1 jam", "30-11-2026 10.34", "30-11-2026 10.40", "1 jam 6 menit",
         "terlambat 6 menit"],
    ]
    report = await monev(app.db, app.flow, *NOVEMBER, app.settings.zone, app.requests.calendar)
    judged = {s.step_id: (s.timing.on_time, s.timing.with_standard, s.timing.late_seconds)
              for s in report.steps if s.timing.count}
    assert judged == {"instruksi_penulisan": (1, 1, 0), "penulisan": (1, 1, 0), "verifikasi": (0, 1, 360)}


async def test_a_late_step_escalated_then_acted_on_is_late_by_its_overrun(app, clock):
    p = await staff(app, {"koordinator": 2001, "wakil_koordinator": 3001, "direktur": 4001})
    deadlines = Deadlines(app.db, app.flow, app.clock, calendar=app.requests.calendar)
    clock.set(wib(26, 9).astimezone(UTC))  # the koordinator's standard: 2 hours, due 11.00
    code = (await app.requests.submit(p["client"], content(app))).code
    clock.set(wib(26, 11, 30).astimezone(UTC))
    await deadlines.fire_due()  # reminder, deadline notice, and after the 30-minute grace, escalation
    assert await escalations(app) == [str(p["direktur"])]
    clock.set(wib(26, 12, 6).astimezone(UTC))
    await app.requests.decide(code, p["koordinator"], Act.APPROVE)
    clock.set(wib(26, 12, 36).astimezone(UTC))
    await app.requests.decide(code, p["wakil_koordinator"], Act.APPROVE)

    page = await archive_of(app).record_page(code)
    rows = [[r[2], r[4], r[6], r[7], r[8], r[9], r[12]] for r in record_rows(page)]
    assert rows == [
        ["Pemohon", "Diajukan", "-", "26-11-2026 09.00", "0 menit", "-", ""],
        # the escalation is in the record, not judged, and does not restart the koordinator's clock
        ["Sistem", "Eskalasi keterlambatan", "-", "26-11-2026 11.30", "-", "-", "terlambat 30 menit"],
        ["Koordinator", "Disetujui", "26-11-2026 11.00", "26-11-2026 12.06", "3 jam 6 menit",
         "terlambat 1 jam 6 menit", ""],
        # the next step starts when the koordinator acted, not at the escalation
        ["Wakil Koordinator", "Disetujui", "26-11-2026 14.06", "26-11-2026 12.36", "30 menit",
         "tepat waktu", ""],
    ]
    report = await monev(app.db, app.flow, *NOVEMBER, app.settings.zone, app.requests.calendar)
    koordinator, wakil = report.steps[0].timing, report.steps[1].timing
    assert (koordinator.count, koordinator.on_time, koordinator.median_seconds, koordinator.late_seconds) == (
        1, 0, 3 * 3600 + 6 * 60, 66 * 60)
    assert (wakil.on_time, wakil.with_standard, wakil.median_seconds) == (1, 1, 30 * 60)
    assert (report.on_time.on_time, report.on_time.with_standard) == (1, 2)
    csv_rows = [line.split(",") for line in report.to_csv().splitlines()]
    assert csv_rows[1][-3:] == ["0.00", "1", "66.0"]  # on-time share, late count, minutes over
    assert "Tepat waktu: 1 dari 2 tindakan (50%)." in report.summary_text()


async def test_the_grace_lets_the_holder_act_before_the_one_above_hears(app, clock):
    p = await staff(app, {"koordinator": 2001, "direktur": 4001})
    deadlines = Deadlines(app.db, app.flow, app.clock, calendar=app.requests.calendar)
    clock.set(wib(26, 9).astimezone(UTC))
    code = (await app.requests.submit(p["client"], content(app))).code
    clock.set(wib(26, 11).astimezone(UTC))
    await deadlines.fire_due()  # the koordinator's deadline notice
    clock.set(wib(26, 11, 20).astimezone(UTC))
    await app.requests.decide(code, p["koordinator"], Act.APPROVE)  # late, but inside the grace
    clock.set(wib(26, 11, 45).astimezone(UTC))
    await deadlines.fire_due()
    assert await escalations(app) == [], "the direktur hears nothing: the holder acted"


async def test_the_grace_is_set_per_flow(tmp_path):
    from bot.domain.flow import Flow
    from bot.flows.loader import load_flow

    flow = load_flow("default").model_dump()
    assert Flow.model_validate(flow).escalation_grace == timedelta(minutes=30)  # the default
    flow["escalation_grace"] = "2h"
    assert Flow.model_validate(flow).escalation_grace == timedelta(hours=2)


async def test_unej_top_is_never_escalated_and_the_next_is_escalated_upwards(settings, clock):
    app = await App.open(settings.model_copy(update={"flow": "unej"}), clock=clock)
    try:
        p = await staff(app, {"wakil_rektor_3": 2001, "kepala_bpkh": 3001})
        deadlines = Deadlines(app.db, app.flow, app.clock, calendar=app.requests.calendar)
        clock.set(wib(26, 9).astimezone(UTC))
        code = (await app.requests.submit(p["client"], content(app))).code
        clock.set(wib(28, 9).astimezone(UTC))  # two days late at row 1 (standard: 1 day)
        await deadlines.fire_due()
        assert await escalations(app) == [], "the Wakil Rektor III's lateness goes to no subordinate"
        await app.requests.dispose(code, p["wakil_rektor_3"], "Mohon ditindaklanjuti")
        clock.set(wib(28, 12).astimezone(UTC))  # Kepala BPKH: 2 hours, due 11.00, grace to 11.30
        await deadlines.fire_due()
        assert await escalations(app) == [str(p["wakil_rektor_3"])]
    finally:
        await app.close()


async def test_cli_requests_shows_the_open_step_its_deadline_and_lateness(app, clock, tmp_path):
    from tests.integration.test_cli import humas

    p = await staff(app, {"koordinator": 2001})
    clock.set(datetime(2020, 3, 2, 2, 0, tzinfo=UTC))  # Monday 09.00 WIB, long past: late now
    late = (await app.requests.submit(p["client"], content(app, date(2020, 3, 20)))).code
    clock.set(datetime(2099, 3, 2, 2, 0, tzinfo=UTC))  # due far ahead of the real clock
    waiting = (await app.requests.submit(p["client"], content(app, date(2099, 3, 20)))).code
    clock.set(datetime(2099, 3, 2, 2, 30, tzinfo=UTC))
    done = (await app.requests.submit(p["client"], content(app, date(2099, 3, 20)))).code
    await app.requests.cancel(done, p["client"])

    result = humas(tmp_path, "requests")
    assert result.returncode == 0, result.stderr
    lines = {line.split()[0]: line for line in result.stdout.splitlines() if line.startswith("PUB-")}
    for code in (late, waiting):
        assert "Koordinator memeriksa permohonan" in lines[code] and "| Koordinator |" in lines[code]
    assert "02-03-2020 11.00" in lines[late] and "| yes, " in lines[late]
    assert "02-03-2099 11.00" in lines[waiting] and "| no " in lines[waiting]
    assert "cancelled" in lines[done] and "Koordinator" not in lines[done]
    assert "deadline (WIB)" in result.stdout and "late" in result.stdout


async def test_antrian_lists_the_most_urgent_first(app, clock):
    from bot.chat.approvals import Approvals

    p = await staff(app, {"koordinator": 2001, "wakil_koordinator": 3001})
    boss = p["koordinator"]
    await app.people.grant("direktur", "telegram", 2001)  # the koordinator also acts as direktur
    clock.set(wib(26, 8).astimezone(UTC))
    at_direktur = (await app.requests.submit(p["client"], content(app))).code
    clock.set(wib(26, 8, 30).astimezone(UTC))
    await app.requests.decide(at_direktur, boss, Act.APPROVE)
    clock.set(wib(26, 8, 40).astimezone(UTC))
    await app.requests.decide(at_direktur, p["wakil_koordinator"], Act.APPROVE)  # due 27 Nov 08.40
    clock.set(wib(26, 9).astimezone(UTC))
    first = (await app.requests.submit(p["client"], content(app))).code  # due 11.00
    clock.set(wib(26, 10).astimezone(UTC))
    second = (await app.requests.submit(p["client"], content(app))).code  # due 12.00

    replies = await Approvals(app).queue(boss, "id")
    order = [re.search(r"PUB-\d{4}-\d{4}", reply.text).group(0) for reply in replies[1:]]
    assert order == [first, second, at_direktur]
    assert "Batas: 26-11-2026 11.00 WIB" in replies[1].text
