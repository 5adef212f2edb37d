"""The monthly report on the first working day, `/laporan` with a month or a request's code,
the SOP record as a PDF (its text read back with pypdf), and the report's queries on indexes."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader

from bot.app import App
from bot.chat.reports import Reports, parse_month
from bot.domain.engine import Act
from bot.domain.request import Contact, Content, MediaRef
from bot.services.archive import Archive
from storage.report_repos import ReportRepo
from tests.databases import full_scans
from tests.integration.test_cli import humas

TODAY = date(2026, 12, 9)


@pytest.mark.parametrize(("text", "month"), [
    ("", (2026, 11)), ("bulan lalu", (2026, 11)), ("last month", (2026, 11)),
    ("bulan ini", (2026, 12)), ("This month", (2026, 12)), ("2026-11", (2026, 11)), ("11-2026", (2026, 11)),
    ("2/2027", (2027, 2)), ("November 2026", (2026, 11)), ("nop 2026", (2026, 11)), ("Feb 2028", (2028, 2)),
])
def test_laporan_takes_a_month(text, month):
    start, end = parse_month(text, TODAY)
    assert (start.year, start.month, start.day) == (*month, 1)
    assert (end.year, end.month) == month and (end + timedelta(days=1)).day == 1  # the month's last day


@pytest.mark.parametrize("text", ["2026-13", "kemarin", "32-2026", "Novembre 2026", "2026"])
def test_a_month_that_is_not_one_is_refused(text):
    assert parse_month(text, TODAY) is None


def bkk_content(app: App) -> Content:
    sha = app.files.put(b"foto")
    return Content(title="Vaksinasi Jemaah Haji", organisation="Seksi Upaya Kesehatan", caption="5W+1H",
                   contact=Contact(name="Rina", phone="0711"), publish_date=date(2026, 12, 20),
                   media=[MediaRef(sha256=sha, kind="image", mime="image/jpeg", size=4)])


@pytest.fixture
async def bkk(settings, clock):
    app = await App.open(settings.model_copy(update={"flow": "bkk-palembang"}), clock=clock)
    yield app
    await app.close()


def wib(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour - 7, minute, tzinfo=UTC)


async def report_rows(app: App) -> list[dict]:
    async with app.db.reading() as tx:
        rows = await tx.all("SELECT recipient, payload FROM outbox WHERE kind = 'notice' ORDER BY id")
    return [{"to": row["recipient"], **json.loads(row["payload"])} for row in rows
            if json.loads(row["payload"])["kind"] == "report"]


async def test_the_monthly_report_comes_on_the_first_working_day_once(bkk, clock):
    app = bkk
    kepala = await app.people.person("telegram", 4001, "Kepala")
    ppid = await app.people.person("telegram", 2001, "Dewi")
    await app.people.grant("kepala_balai", "telegram", 4001)
    await app.people.grant("tim_ppid", "telegram", 2001)
    clock.set(wib(2026, 10, 20, 9))
    client = await app.people.person("telegram", 1001, "Rina")
    await app.requests.submit(client, bkk_content(app))
    reports = Reports(app)

    clock.set(wib(2026, 11, 1, 9))  # Sunday 1 November: not a working day
    assert await reports.monthly(clock.now()) == 0
    clock.set(wib(2026, 11, 2, 7, 29))  # Monday, before the office opens at 07.30
    assert await reports.monthly(clock.now()) == 0
    clock.set(wib(2026, 11, 2, 7, 30))
    assert await reports.monthly(clock.now()) == 2
    clock.set(wib(2026, 11, 2, 13))
    assert await reports.monthly(clock.now()) == 0  # once a month

    rows = await report_rows(app)
    assert {(int(r["to"]), r["evaluate"]) for r in rows} == {(kepala, False), (ppid, True)}
    row = rows[0]
    assert (row["start"], row["end"]) == ("2026-10-01", "2026-10-31")
    # rendered when queued: the notifier only reads the chart and the CSV back
    assert app.files.get(row["charts"]["id"])[:8] == b"\x89PNG\r\n\x1a\n"
    assert app.files.get(row["csv"]).startswith(b"no,step,role")
    reply = reports.stored(row | {"evaluate": True}, "id")
    assert reply.text.startswith("Monev BKK Kelas I Palembang: 1 Oktober 2026 s.d. 31 Oktober 2026")
    assert [b.label for r in reply.buttons for b in r] == [
        "9. Catat hasil evaluasi", "9. Tambah tindakan perbaikan"]


async def test_laporan_for_a_month_and_for_a_request_as_pdf(bkk, clock):
    app = bkk
    await app.people.grant("kepala_balai", "telegram", 4001)
    kepala = await app.people.person("telegram", 4001, "Kepala")
    ppid = await app.people.person("telegram", 2001, "Dewi Lestari")
    await app.people.grant("tim_ppid", "telegram", 2001)
    client = await app.people.person("telegram", 1001, "Rina")
    clock.set(wib(2026, 11, 26, 9))
    code = (await app.requests.submit(client, bkk_content(app))).code
    clock.set(wib(2026, 11, 26, 9, 20))  # instruction: 15 minutes, 5 late
    await app.requests._do(code, Act.INSTRUCT, ppid, "", note="Tulis berita; sertakan kutipan Kepala")

    reports = Reports(app)
    month = await reports.laporan(kepala, "id", "2026-11")
    assert month.text.startswith("Monev BKK Kelas I Palembang: 1 November 2026 s.d. 30 November 2026")
    assert "Tepat waktu: 0 dari 1 tindakan (0%)." in month.text
    assert month.attachment[0] == "monev-2026-11-01-2026-11-30.csv"
    this = await reports.laporan(kepala, "id", "bulan ini")
    assert "1 November 2026 s.d. 30 November 2026" in this.text
    bad = await reports.laporan(kepala, "id", "bulan depan")
    assert "tidak dikenal" in bad.text and "/laporan 2026-11" in bad.text
    refused = await reports.laporan(client, "id", "")
    assert refused.text == "Laporan monev hanya untuk: Admin, Kepala Balai, Tim PPID."

    record = await reports.laporan(kepala, "id", code.lower())
    name, pdf = record.attachment
    assert name == f"rekam-jejak-{code}.pdf" and pdf.startswith(b"%PDF")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    for shown in ("BKK Kelas I Palembang", "SOP OT.02.02/1/229/2022", "Pengelolaan Publikasi Media Sosial",
                  code, "[PUBLIKASI] VAKSINASI JEMAAH HAJI_SEKSI UPAYA KESEHATAN", "Dewi Lestari",
                  "Diinstruksikan", "15 menit", "26-11-2026 09.15", "26-11-2026 09.20", "terlambat 5 menit",
                  "Tulis berita; sertakan kutipan Kepala", "Paraf", "Mengetahui", "Kepala Balai"):
        assert shown in " ".join(text.split()), shown


async def test_archive_record_pdf_from_the_command_line(bkk, clock, tmp_path):
    app = bkk
    client = await app.people.person("telegram", 1001, "Rina")
    code = (await app.requests.submit(client, bkk_content(app))).code
    await app.close()
    result = humas(tmp_path, "--flow", "bkk-palembang", "archive", "record", code, "--pdf",
                   "--out", str(tmp_path / "cetak"))
    assert result.returncode == 0, result.stderr
    path = Path(result.stdout.strip())
    assert path == tmp_path / "cetak" / f"{code}.pdf"
    reader = PdfReader(path)
    assert reader.pages[0].mediabox.width == pytest.approx(841.89, abs=1)  # A4 landscape, in points
    assert "Rekam jejak pelaksanaan SOP" in reader.pages[0].extract_text()


async def test_the_reports_queries_use_indexes(app):
    """The plans of the report's three queries read no whole table of requests, audit_log or
    outbox, on either database."""
    repo = ReportRepo(None)
    captured: list[tuple[str, tuple]] = []

    class Capture:
        async def all(self, sql, params):
            captured.append((sql, params))
            return []

    repo.tx = Capture()
    low, high = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)
    for load in (repo.requests, repo.events, repo.deliveries):
        await load("default", low, high)
    async with app.db.transaction() as tx:
        for sql, params in captured:
            assert await full_scans(tx, sql, params) == [], sql


async def test_an_archive_export_holds_the_pdf(app, clock, tmp_path):
    client = await app.people.person("telegram", 1001, "Sari")
    sha = app.files.put(b"poster")
    content = Content(title="Donor", organisation="PMI", caption="Ayo", contact=Contact(name="Sari"),
                      publish_date=date(2026, 12, 20), slot="08.00-10.00",
                      media=[MediaRef(sha256=sha, kind="image", mime="image/jpeg", size=6)])
    code = (await app.requests.submit(client, content)).code
    path = await Archive(app.db, app.flow, app.files, app.settings.zone).export(code, tmp_path)
    pdf = zipfile.ZipFile(path).read("record.pdf")
    assert code in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
