"""UB FISIP's evaluation cycle (rows 9-11) through Telegram, with the clock the test moves: on
the first working day of December the Koordinator Kehumasan gets November's report with the
evaluation buttons, records the findings and two actions with owners and due dates; the owner
is told and marks one done; the other owner is reminded; January's report shows each action
done or not; the procedure's record holds every entry by the people the SOP names."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.domain.engine import Act
from bot.domain.request import Contact, Content
from bot.services.evaluation import Evaluations
from tests.e2e.bot_world import World, buttons_of, expect, running_bot, settings_for, text_of
from tests.e2e.conftest import *  # noqa: F403  (clock, telegram_server)

PEOPLE = {"client": (1001, "Sari"), "koordinator": (2001, "Kusuma"), "staf": (3001, "Bayu")}
ROLES = {"koordinator": "koordinator_kehumasan", "staf": "staf_kehumasan"}


async def ub_world(server, tmp_path, clock):
    """The bot on the ub-fisip flow, its people having said /start (an async context)."""
    class _World:
        async def __aenter__(self) -> World:
            self._bot = running_bot(settings_for(server, tmp_path, "ub-fisip"), clock)
            app = await self._bot.__aenter__()
            users = {}
            for name, (user_id, first_name) in PEOPLE.items():
                users[name] = server.user(user_id, first_name, language_code="id")
                if name in ROLES:
                    await app.people.grant(ROLES[name], "telegram", user_id)
                await users[name].send("/start")
                await expect(users[name], "Selamat datang")
            return World(server, app, users)

        async def __aexit__(self, *exc) -> None:
            await self._bot.__aexit__(*exc)

    return _World()


async def november_request(world: World) -> str:
    app = world.app
    client = await app.people.person("telegram", 1001)
    staf = await app.people.person("telegram", 3001)
    content = Content(title="Dies Natalis FISIP", organisation="BEM FISIP", caption="Ayo hadir!",
                      contact=Contact(name="Sari", phone="0812"), publish_date=date(2026, 12, 10))
    code = (await app.requests.submit(client, content, "telegram")).code
    await app.requests._do(code, Act.INSTRUCT, staf, "telegram", note="Konsep: poster dan reels")
    return code


def local(day: int, hour: int, minute: int = 0, month: int = 12, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour - 7, minute, tzinfo=UTC)  # WIB is UTC+7


async def test_a_month_evaluated_and_its_actions_shown_in_the_next_report(telegram_server, tmp_path, clock):
    async with await ub_world(telegram_server, tmp_path, clock) as world:
        await november_request(world)
        koordinator, staf = world["koordinator"], world["staf"]

        clock.set(local(1, 7, 0))  # Tuesday 1 December, before the office opens at 07.30
        await staf.send("/peran")  # a turn of the loop; the report is not due yet
        await expect(staf, "Peran")
        clock.set(local(1, 7, 30))
        report = await expect(koordinator, "Monev Humas PSIK FISIP", "Evaluasi bulan November 2026",
                              timeout=10)
        assert report.get("photo") and "Permohonan masuk 1" in text_of(report)
        assert buttons_of(report) == [
            "9. Catat hasil evaluasi",
            "10. Tambah tindakan (Pengendalian)",
            "11. Tambah tindakan (Peningkatan)",
        ]

        await koordinator.tap(report, "9. Catat hasil evaluasi")
        await expect(koordinator, "Tulis hasil evaluasi bulan November 2026")
        await koordinator.send("Konsep tepat waktu; produksi sering menunggu desain.")
        await expect(koordinator, "Hasil evaluasi bulan November 2026 tercatat")

        await add_action(koordinator, report, 1, "Buat template desain poster", "Bayu", "7 hari")
        assigned = await expect(staf, "Tindakan perbaikan (evaluasi bulan November 2026, langkah 10)",
                                "Buat template desain poster", "Batas: 8 Desember 2026")
        await add_action(koordinator, report, 2, "Perbarui SOP: batas waktu desain", "Kusuma", "14 hari")

        clock.set(local(3, 10))
        await staf.tap(assigned, "✅ Selesai")
        await expect(staf, "Tindakan perbaikan selesai")

        clock.set(local(14, 8))  # the day before the second action is due: its owner is reminded
        await expect(koordinator, "Pengingat tindakan perbaikan", "Perbarui SOP", timeout=10)

        clock.set(local(1, 7, 30, month=1, year=2027))  # Friday 1 January: December's report
        january = await expect(koordinator, "Universitas Brawijaya: 1 Desember 2026 s.d. 31 Desember 2026",
                               timeout=10)
        text = text_of(january)
        assert ("✅ Tindak lanjut evaluasi 2026-11 (langkah 10): Buat template desain poster; oleh Bayu, "
                "batas 8 Desember 2026: selesai 3 Desember 2026.") in text
        assert ("⬜ Tindak lanjut evaluasi 2026-11 (langkah 11): Perbarui SOP: batas waktu desain; "
                "oleh Kusuma, batas 15 Desember 2026: belum selesai, lewat batas.") in text

        entries = await Evaluations(world.app.db, world.app.flow, clock, world.app.requests.calendar).entries(
            "2026-11")
        assert [(e["act"], e["step_id"], e["by"]) for e in entries] == [
            ("evaluate", "evaluasi", "Kusuma"), ("action", "pengendalian", "Kusuma"),
            ("action", "peningkatan", "Kusuma"), ("action_done", "pengendalian", "Bayu"),
        ]


async def add_action(koordinator, report, index: int, text: str, owner: str, due: str) -> None:
    await koordinator.tap(report, buttons_of(report)[index])
    await expect(koordinator, "Tulis tindakan perbaikan untuk bulan November 2026")
    await koordinator.send(text)
    owners = await expect(koordinator, "Siapa penanggung jawabnya?")
    await koordinator.tap(owners, owner)
    dates = await expect(koordinator, "Batas waktunya?")
    await koordinator.tap(dates, due)
    await expect(koordinator, "Tindakan perbaikan tercatat", text)
