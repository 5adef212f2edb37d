"""Monev on a real database: November 2026 seeded through the default flow with a clock moved by
known amounts, and the report's figures checked against numbers worked out by hand below.

Default flow standards: koordinator 2 h, wakil_koordinator 2 h, direktur 1 d, publikasi 2 h,
arsip 1 h, counted on working days (Monday to Friday, all day). Minutes each action took (from
the previous action by a person), in working time:

    R1  2 Nov 09.00  K 30, W 60, D 600, publish 90, archive 30          -> done
    R2  5 Nov 09.00  K 150, W 90, D 1500, publish 100, archive 45       -> done
    R3 10 Nov 09.00  K 60, W returns 200, (revision 300: not timed),
                     W 100, D 2000, publish 60, archive 50              -> done
    R4 12 Nov 09.00  K rejects 240                                      -> rejected
    R5  1 Nov 00.30  K 130 on a Sunday: 0 working minutes, due Monday   -> open (at W)
    R6 20 Nov 09.00  cancelled after 10 (not timed)                     -> cancelled
    outside: 31 Oct 23.30 WIB (K 500) and 1 Dec 00.10 WIB (K 5)

Sorted times and nearest-rank ranks (median: ceil(N/2), p90: ceil(0.9 N)):
    K [0, 30, 60, 150, 240]    median #3 = 60,  p90 #5 = 240, on time 3/5, over 30 + 120
    W [60, 90, 100, 200]       median #2 = 90,  p90 #4 = 200, on time 3/4, over 80
    D [600, 1500, 2000]        median #2 = 1500, p90 #3 = 2000, on time 1/3, over 60 + 560
    P [60, 90, 100]            median 90, p90 100, on time 3/3
    A [30, 45, 50]             median 45, p90 50, on time 3/3
    petugas (P + A) [30, 45, 50, 60, 90, 100]  median #3 = 50, p90 #6 = 100, on time 6/6
Late: K 2, D 2, W 1 -> most late K, D (a tie: the earlier step first), W. Overall on time 13 of
18 (72%).
"""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from bot.cli import report_period
from bot.domain.engine import Act
from bot.domain.request import Contact, Content, MediaRef
from bot.reports.chart import LEVEL, WIDTH, render_chart
from bot.services.monev import monev, nearest_rank
from storage.repositories import Repos
from tests.databases import database_env, untouched

WIB = ZoneInfo("Asia/Jakarta")
NOVEMBER = (date(2026, 11, 1), date(2026, 11, 30))


@pytest.fixture
async def people(app):
    ids = {"client": await app.people.person("telegram", 1001, "Sari")}
    staff = (("koordinator", 2001), ("wakil_koordinator", 3001), ("direktur", 4001), ("petugas", 5001))
    for role, tg in staff:
        await app.people.grant(role, "telegram", tg)
        ids[role] = await app.people.person("telegram", tg)
    return ids


class Seeder:
    """Drives requests through the default flow, moving the clock before each action."""

    def __init__(self, app, clock, people) -> None:
        self.app, self.clock, self.p = app, clock, people

    def content(self, day: date) -> Content:
        sha = self.app.files.put(b"poster")
        return Content(
            title="Donor Darah", organisation="PMI Kampus", caption="Ayo donor!",
            media=[MediaRef(sha256=sha, kind="image", mime="image/jpeg", size=6)],
            contact=Contact(name="Sari", phone="0812"), publish_date=day + timedelta(days=10),
            slot="08.00-10.00",
        )

    async def submit(self, local: datetime) -> str:
        self.clock.set(local.astimezone(UTC))
        return (await self.app.requests.submit(self.p["client"], self.content(local.date()))).code

    async def after(self, minutes: int, action):
        self.clock.advance(timedelta(minutes=minutes))
        return await action()

    def decide(self, code: str, role: str, act: Act = Act.APPROVE, note: str = ""):
        return lambda: self.app.requests.decide(code, self.p[role], act, note)

    async def approvals(self, code: str, k: int, w: int, d: int) -> None:
        await self.after(k, self.decide(code, "koordinator"))
        await self.after(w, self.decide(code, "wakil_koordinator"))
        await self.after(d, self.decide(code, "direktur"))

    async def broadcast(self, code: str, minutes: int, statuses: list[str]) -> None:
        async def schedule():  # at the requested slot: the petugas acts now, whatever the hour
            at = self.app.publishing.schedule_time(await self.app.requests.get(code))
            return await self.app.publishing.publish(code, self.p["petugas"], ["mahasiswa"], at=at)

        await self.after(minutes, schedule)
        async with self.app.db.transaction() as tx:
            repos = Repos(tx)
            rows = await repos.outbox.for_request(await repos.requests.id_of(code), "broadcast")
            assert len(rows) == len(statuses)
            for row, status in zip(rows, statuses, strict=True):
                await repos.outbox.mark(row["id"], status)

    async def evidence(self, code: str, channel: str) -> None:
        await self.app.publishing.record_evidence(code, self.p["petugas"], channel, f"https://{channel}/p/1")

    async def archive(self, code: str, minutes: int) -> None:
        await self.after(minutes, lambda: self.app.requests.archive(code, self.p["petugas"]))


async def seed(app, clock, people) -> None:
    s = Seeder(app, clock, people)
    async with app.db.transaction() as tx:
        for chat in ("@humas_kampus", "-100123"):
            await Repos(tx).targets.add("telegram", chat, chat, "channel", [])

    r1 = await s.submit(datetime(2026, 11, 2, 9, 0, tzinfo=WIB))
    await s.approvals(r1, 30, 60, 600)
    await s.broadcast(r1, 90, ["sent", "failed"])
    await s.archive(r1, 30)

    async with app.db.transaction() as tx:
        await Repos(tx).subscribers.subscribe("telegram", "777", None, ["mahasiswa"])
    r2 = await s.submit(datetime(2026, 11, 5, 9, 0, tzinfo=WIB))
    await s.approvals(r2, 150, 90, 1500)
    await s.broadcast(r2, 100, ["sent", "sent", "unknown"])
    await s.evidence(r2, "instagram")
    await s.archive(r2, 45)

    r3 = await s.submit(datetime(2026, 11, 10, 9, 0, tzinfo=WIB))
    await s.after(60, s.decide(r3, "koordinator"))
    await s.after(200, s.decide(r3, "wakil_koordinator", Act.RETURN, "Perbaiki caption"))
    await s.after(300, lambda: app.requests.resubmit(r3, s.content(date(2026, 11, 10)), people["client"]))
    await s.after(100, s.decide(r3, "wakil_koordinator"))
    await s.after(2000, s.decide(r3, "direktur"))
    await s.after(60, lambda: app.requests.record_publication(r3, people["petugas"], note="manual"))
    await s.evidence(r3, "instagram")
    await s.evidence(r3, "website")
    await s.archive(r3, 50)

    r4 = await s.submit(datetime(2026, 11, 12, 9, 0, tzinfo=WIB))
    await s.after(240, s.decide(r4, "koordinator", Act.REJECT, "Bukan kegiatan kampus"))

    r5 = await s.submit(datetime(2026, 11, 1, 0, 30, tzinfo=WIB))
    await s.after(130, s.decide(r5, "koordinator"))

    r6 = await s.submit(datetime(2026, 11, 20, 9, 0, tzinfo=WIB))
    await s.after(10, lambda: app.requests.cancel(r6, people["client"]))

    for moment, minutes in ((datetime(2026, 10, 31, 23, 30, tzinfo=WIB), 500),
                            (datetime(2026, 12, 1, 0, 10, tzinfo=WIB), 5)):
        outside = await s.submit(moment)
        await s.after(minutes, s.decide(outside, "koordinator"))


@pytest.fixture
async def report(app, clock, people):
    await seed(app, clock, people)
    return await monev(app.db, app.flow, *NOVEMBER, app.settings.zone)


def test_nearest_rank_by_hand():
    assert nearest_rank([], 50) is None
    assert [nearest_rank([5, 1, 3, 2, 4], p) for p in (1, 20, 21, 50, 90, 100)] == [1, 1, 2, 3, 5, 5]
    assert nearest_rank(range(1, 21), 90) == 18  # 0.9 * 20 = 18 exactly: no float rounding up


async def test_counts(report):
    counts = (report.received, report.approved, report.rejected, report.returned, report.cancelled,
              report.still_open)
    assert counts == (6, 3, 1, 1, 1, 1)


async def test_step_times_against_their_standards(report):
    got = [(s.step_id, s.timing.count, s.timing.median_seconds // 60, s.timing.p90_seconds // 60,
            s.timing.on_time, s.timing.with_standard, s.standard_seconds // 60) for s in report.steps]
    assert got == [
        ("koordinator", 5, 60, 240, 3, 5, 120),
        ("wakil_koordinator", 4, 90, 200, 3, 4, 120),
        ("direktur", 3, 1500, 2000, 1, 3, 1440),
        ("publikasi", 3, 90, 100, 3, 3, 120),
        ("arsip", 3, 45, 50, 3, 3, 60),
    ]
    shares = [round(s.timing.on_time_share, 4) for s in report.steps]
    assert shares == [0.6, 0.75, 0.3333, 1.0, 1.0]
    assert [s.timing.late_seconds // 60 for s in report.steps] == [150, 80, 620, 0, 0]
    assert [s.step_id for s in report.most_late()] == ["koordinator", "direktur", "wakil_koordinator"]
    assert (report.on_time.on_time, report.on_time.with_standard) == (13, 18)


async def test_role_times(report):
    got = {r.role: (r.timing.count, r.timing.median_seconds // 60, r.timing.p90_seconds // 60,
                    r.timing.on_time) for r in report.roles}
    assert got == {"koordinator": (5, 60, 240, 3), "wakil_koordinator": (4, 90, 200, 3),
                   "direktur": (3, 1500, 2000, 1), "petugas": (6, 50, 100, 6)}


async def test_channels_and_deliveries(report):
    assert report.channels == {"instagram": 2, "telegram": 2, "website": 1}
    assert report.deliveries == {"sent": 3, "failed": 1, "unknown": 1}


async def test_csv_has_the_header_and_one_row_per_step(report):
    assert report.to_csv().splitlines() == [
        "no,step,role,count,median_minutes,p90_minutes,standard_minutes,on_time_share,late,"
        "minutes_over_deadline",
        "1,Koordinator memeriksa permohonan,Koordinator,5,60.0,240.0,120.0,0.60,2,150.0",
        "2,Wakil Koordinator menyetujui,Wakil Koordinator,4,90.0,200.0,120.0,0.75,1,80.0",
        "3,Direktur menyetujui publikasi,Direktur,3,1500.0,2000.0,1440.0,0.33,2,620.0",
        "4,Petugas mempublikasikan (push-info),Petugas,3,90.0,100.0,120.0,1.00,0,0.0",
        "5,Petugas mengarsipkan,Petugas,3,45.0,50.0,60.0,1.00,0,0.0",
    ]


async def test_summary_text(report):
    text = report.summary_text("id")
    assert text.splitlines()[:3] == [
        "Monev Humas: 1 November 2026 s.d. 30 November 2026",
        "Permohonan masuk 6: disetujui 3, ditolak 1, dibatalkan 1, masih berjalan 1; "
        "dikembalikan untuk revisi 1 kali.",
        "Tepat waktu: 13 dari 18 tindakan (72%).",
    ]
    assert ("Paling sering terlambat: 1. Koordinator memeriksa permohonan (2x, 2 jam 30 mnt), "
            "3. Direktur menyetujui publikasi (2x, 10 jam 20 mnt)") in text
    assert "Penyebaran: 3 terkirim, 1 gagal, 1 tidak diketahui." in text
    assert "On time: 13 of 18 actions (72%)." in report.summary_text("en")


async def test_chart_is_a_png_with_the_level_colours(report):
    image = Image.open(io.BytesIO(render_chart(report)))
    assert image.format == "PNG" and image.size == (WIDTH, 1008)
    colours = {colour for _, colour in image.convert("RGB").getcolors(maxcolors=1 << 20)}
    assert len(colours) > 50
    # D under 50% on time (red), K 60% and W 75% (amber), publikasi and arsip 100% (green)
    hex_colours = {"#{:02x}{:02x}{:02x}".format(*c) for c in colours}
    assert {LEVEL["good"], LEVEL["fair"], LEVEL["poor"]} <= hex_colours


async def choose(app, code: str, channels: list[str]) -> None:
    """The client's choice of channels in the request's content, as the intake keeps it."""
    async with app.db.transaction() as tx:
        repos = Repos(tx)
        request_id = await repos.requests.id_of(code)
        row = await tx.one("SELECT content FROM request_versions WHERE request_id = ?", (request_id,))
        content = Content.model_validate_json(row["content"]).model_copy(update={"channels": channels})
        await tx.execute("UPDATE request_versions SET content = ? WHERE request_id = ?",
                         (content.model_dump_json(), request_id))


async def test_channels_count_the_clients_choice_and_line_deliveries_of_published_requests_only(
        app, clock, people):
    """A published request counts once for each channel its client chose, each platform the
    bot's push-info reached (LINE as well as Telegram) and each channel of its evidence; a request
    that was not published counts for none of them, whatever its client chose."""
    s = Seeder(app, clock, people)
    async with app.db.transaction() as tx:
        await Repos(tx).subscribers.subscribe("line", "U" + "a" * 32, None, ["mahasiswa"])
    chosen = ["instagram", "website"]
    published = await s.submit(datetime(2026, 11, 2, 9, 0, tzinfo=WIB))
    await choose(app, published, chosen)
    await s.approvals(published, 30, 30, 30)
    await s.broadcast(published, 30, ["sent"])
    await s.evidence(published, "website")
    await s.archive(published, 30)
    unpublished = await s.submit(datetime(2026, 11, 3, 9, 0, tzinfo=WIB))
    await choose(app, unpublished, ["youtube"])
    await s.after(30, s.decide(unpublished, "koordinator", Act.REJECT, "Bukan kegiatan kampus"))

    report = await monev(app.db, app.flow, *NOVEMBER, app.settings.zone)
    assert report.channels == {"instagram": 1, "line": 1, "website": 1}
    assert report.deliveries == {"sent": 1, "failed": 0, "unknown": 0}
    assert "Kanal: instagram 1, line 1, website 1." in report.summary_text("id")


async def test_an_empty_period_still_reports_and_draws(app):
    empty = await monev(app.db, app.flow, date(2025, 1, 1), date(2025, 1, 31), app.settings.zone)
    assert (empty.received, [s.timing.count for s in empty.steps]) == (0, [0, 0, 0, 0, 0])
    assert Image.open(io.BytesIO(render_chart(empty))).size[0] == WIDTH


def test_report_period_defaults_to_the_last_full_month():
    assert report_period(None, None, date(2026, 1, 15)) == (date(2025, 12, 1), date(2025, 12, 31))
    assert report_period("2026-11-03", None, date(2026, 11, 20)) == (date(2026, 11, 3), date(2026, 11, 20))
    assert report_period(None, "15-11-2026", date(2026, 12, 2)) == (date(2026, 11, 1), date(2026, 11, 15))


def humas(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUMAS_")}
    env |= {"HUMAS_CONFIG": str(tmp_path / "none.toml"), **database_env(tmp_path)}
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=60)


async def test_cli_report_writes_the_chart_and_the_csv(report, tmp_path):
    out = tmp_path / "laporan"
    result = await asyncio.to_thread(humas, tmp_path, "report", "--from", "2026-11-01", "--to", "30-11-2026",
                                     "--out", str(out))
    assert result.returncode == 0, result.stderr
    png, csv = out / "monev-2026-11-01-2026-11-30.png", out / "monev-2026-11-01-2026-11-30.csv"
    assert csv.read_bytes() == report.to_csv().encode("utf-8")
    assert Image.open(png).size == (WIDTH, 1008)
    assert "Permohonan masuk 6" in result.stdout and str(png) in result.stdout and str(csv) in result.stdout


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--from", "2026-13-01", "--to", "2026-11-30"], "--from '2026-13-01'"),
        (["--from", "kemarin"], "--from 'kemarin'"),
        (["--from", "30-11-2026", "--to", "2026-11-01"], "after --to"),
    ],
)
def test_cli_report_bad_dates_give_one_line_and_exit_2(tmp_path, args, says):
    result = humas(tmp_path, "report", *args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0], result.stderr
    assert untouched(tmp_path)  # refused before touching the database
