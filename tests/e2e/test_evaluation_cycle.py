"""BKK Kelas I Palembang's monev row (row 9: "melakukan monitoring dan evaluasi kegiatan dan
melaporkan ke Kepala Balai") on Telegram and on LINE, with the clock the test moves: on the
first working day of December the Tim PPID gets November's report with the evaluation's
buttons, records the findings (which reach the Kepala Balai) and an improvement action for the
Pranata Humas, who is told and marks it done; January's report shows it done; the procedure's
record holds each entry by the person who wrote it. UB FISIP's three rows on Telegram are in
test_telegram_evaluation.py."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.services.evaluation import Evaluations
from tests.e2e.line_fixtures import line_server as line_server  # noqa: F401 - the fixture
from tests.e2e.office import office, submit
from tests.e2e.telegram_fixtures import telegram_server as telegram_server  # noqa: F401

BKK = {"client": ("Sari", None), "ppid": ("Rina", "tim_ppid"), "kepala": ("dr. Hadi", "kepala_balai"),
       "pranata": ("Bayu", "pranata_humas")}


@pytest.fixture(params=["telegram", "line"])
def platform(request) -> str:
    return request.param


def wib(day: int, hour: int, minute: int = 0, month: int = 12, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour - 7, minute, tzinfo=UTC)  # WIB is UTC+7


async def test_bkk_monev_reported_evaluated_and_followed_up(telegram_server, line_server, tmp_path,
                                                            clock, platform):
    async with office("bkk-palembang", telegram_server, line_server, tmp_path, clock) as bkk:
        for number, (name, (display, role)) in enumerate(BKK.items(), start=1):
            await bkk.join(name, display, "telegram" if name == "client" else platform, role,
                           telegram_id=1000 + number)
        await submit(bkk["client"])  # November's one request
        ppid, kepala, pranata = bkk["ppid"], bkk["kepala"], bkk["pranata"]

        clock.set(wib(1, 7, 30))  # Tuesday 1 December, as the office opens
        report = await ppid.sees("Evaluasi bulan November 2026", "Permohonan masuk 1")
        assert "BKK" in report or "Palembang" in report
        # no report of October, a month before the office's first request: nothing to evaluate
        assert not await bkk.app.monthly.queued_before("bkk-palembang:2026-10")
        assert "Oktober 2026" not in kepala.transcript()

        await ppid.tap("9. Catat hasil evaluasi")
        await ppid.sees("Tulis hasil evaluasi bulan November 2026")
        await ppid.say("Tulisan tepat waktu; persetujuan Kepala Balai menunggu rapat.")
        await ppid.sees("Hasil evaluasi bulan November 2026 tercatat")
        await kepala.has_seen("Hasil evaluasi bulan November 2026 dari Tim PPID",
                              "persetujuan Kepala Balai menunggu rapat")

        await ppid.tap("9. Tambah tindakan perbaikan")
        await ppid.sees("Tulis tindakan perbaikan untuk bulan November 2026")
        await ppid.say("Siapkan templat berita 5W+1H")
        await ppid.sees("Siapa penanggung jawabnya?")
        await ppid.tap("Bayu")
        await ppid.sees("Batas waktunya?")
        await ppid.tap("7 hari")
        await ppid.sees("Tindakan perbaikan tercatat", "Siapkan templat berita 5W+1H", "Bayu")
        await pranata.sees("Tindakan perbaikan (evaluasi bulan November 2026, langkah 9)",
                           "Siapkan templat berita 5W+1H", "Batas: 8 Desember 2026")

        clock.set(wib(3, 10))
        await pranata.tap("✅ Selesai")
        await pranata.sees("Tindakan perbaikan selesai")

        clock.set(wib(4, 7, 30, month=1, year=2027))  # Monday 4 January: the first working day
        january = await ppid.sees("1 Desember 2026 s.d. 31 Desember 2026")
        assert ("✅ Tindak lanjut evaluasi 2026-11 (langkah 9): Siapkan templat berita 5W+1H; oleh Bayu, "
                "batas 8 Desember 2026: selesai 3 Desember 2026.") in january

        app = bkk.app
        entries = await Evaluations(app.db, app.flow, clock, app.requests.calendar).entries("2026-11")
        assert [(e["act"], e["step_id"], e["by"], e["channel"]) for e in entries] == [
            ("evaluate", "monev", "Rina", platform), ("action", "monev", "Rina", platform),
            ("action_done", "monev", "Bayu", platform),
        ]
