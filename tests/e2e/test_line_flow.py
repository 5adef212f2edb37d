"""End to end over HTTP on LINE: the real bot's webhook server and LINE sender (line-bot-sdk's
async client) against the LINE emulator, people in their LINE chats; and LINE beside Telegram
in one process, one person on both."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import aiohttp
import pytest

from bot.emulator.line import make_user_id
from storage.repositories import Repos
from tests.databases import database_env
from tests.e2e import bot_world
from tests.e2e.line_fixtures import line_server as line_server  # noqa: F401 - the fixture
from tests.e2e.line_fixtures import line_world as line_world  # noqa: F401 - the fixture
from tests.e2e.line_world import (
    LineWorld,
    expect,
    fill_intake,
    follow_all,
    free_port,
    labels,
    line_settings,
    running_line_bot,
    submit,
    text_of,
)
from tests.e2e.telegram_fixtures import telegram_server as telegram_server  # noqa: F401

CARD_BUTTONS = ["✅ Setujui", "❌ Tolak", "↩️ Kembalikan untuk revisi"]


async def test_full_request_on_line_with_approvals_on_line(line_world: LineWorld):
    client = line_world["client"]
    summary = await fill_intake(client)
    text = text_of(summary)
    for shown in ("Seminar Nasional Kesehatan", "BEM FK Universitas Jember", "Sari / +6281234567890",
                  "28 November 2026", "08.00-10.00 WIB", "#sehat"):
        assert shown in text
    assert labels(summary) == ["✅ Kirim", "✏️ Ubah", "❌ Batal"]
    image = client.messages[-2]
    assert image.type == "image", "the summary shows the poster, fetched from this server"
    async with aiohttp.ClientSession() as session:
        local = image["originalContentUrl"].replace("https://", "http://")
        async with session.get(local) as got:
            assert (got.status, got.content_type) == (200, "image/jpeg")
        async with session.get(image["previewImageUrl"].replace("https://", "http://")) as got:
            assert got.status == 200 and got.content_type == "image/jpeg"
            assert len(await got.read()) < 1_000_000

    await client.tap("✅ Kirim")
    receipt = await expect(client, "Permohonan diterima")
    assert "Kode: PUB-2026-0001" in text_of(receipt)
    assert "[PUBLIKASI] SEMINAR NASIONAL KESEHATAN_BEM FK UNIVERSITAS JEMBER" in text_of(receipt)

    cards = {name: await expect(line_world[name], "PUB-2026-0001", "Koordinator memeriksa")
             for name in ("koordinator", "koordinator2")}
    for card in cards.values():
        assert card.type == "flex" and card.via == "push"
        assert labels(card) == CARD_BUTTONS
        assert card["contents"]["hero"]["url"].startswith("https://127.0.0.1:")
        assert "Standar waktu: 2 jam" in text_of(card)

    await line_world["koordinator"].tap("✅ Setujui")
    await expect(line_world["koordinator"], "Disetujui")
    # LINE cannot edit the other coordinator's card: a message says who decided
    await expect(line_world["koordinator2"], "PUB-2026-0001", "Disetujui oleh Budi")
    await expect(client, "PUB-2026-0001", "Disetujui", "Berikutnya: Wakil Koordinator")

    for name, step in (("wakil_koordinator", "Wakil Koordinator menyetujui"),
                       ("direktur", "Direktur menyetujui")):
        await expect(line_world[name], "PUB-2026-0001", step)
        await line_world[name].tap("✅ Setujui")
        await expect(client, "PUB-2026-0001", "Disetujui")

    publish = await expect(line_world["petugas"], "PUB-2026-0001", "Petugas mempublikasikan")
    assert labels(publish)[-2:] == ["📢 Sebarkan sekarang", "🕒 Jadwalkan sesuai permintaan"]
    assert (await line_world.app.requests.get("PUB-2026-0001")).step_id == "publikasi"
    assert line_world.server.errors == []


async def test_rejection_reason_typed_on_line_reaches_the_client(line_world: LineWorld):
    code = await submit(line_world["client"])
    koordinator = line_world["koordinator"]
    await expect(koordinator, code)
    await koordinator.tap("❌ Tolak")
    await expect(koordinator, "alasan penolakan")
    await koordinator.say("Poster memuat logo sponsor rokok")
    notice = await expect(line_world["client"], code, "Ditolak")
    assert "Poster memuat logo sponsor rokok" in text_of(notice)
    assert (await line_world.app.requests.get(code)).status == "rejected"


async def test_unsigned_and_wrongly_signed_webhooks_are_refused_and_not_handled(line_world: LineWorld):
    client = line_world["client"]
    before = len(client.messages)
    assert await client.say("ajukan", sign="none") == 400
    assert await client.say("ajukan", sign="wrong") == 400
    assert await client.postback("i|cancel|", sign="wrong") == 400
    person = await _person(line_world, client.id)
    async with line_world.app.db.reading() as tx:
        for event in client.events[-3:]:
            assert await Repos(tx).inbox.status("line", event["webhookEventId"]) is None, "not even stored"
        assert await Repos(tx).drafts.get(person) is None
    # a correctly signed message is answered, and it is the only answer since
    assert await client.say("status") == 200
    await expect(client, "Anda belum punya permohonan")
    assert len(client.messages) == before + 1


async def test_a_redelivered_event_is_handled_once(line_world: LineWorld):
    client = line_world["client"]
    await client.say("ajukan")
    await expect(client, "1. Apa judul acara")
    await client.say("Seminar Nasional Kesehatan")
    await expect(client, "2. Nama institusi")
    title_event = client.last_event
    assert await client.redeliver(title_event) == 200  # LINE did not hear our 200 the first time
    await client.say("BEM FK Universitas Jember")
    await expect(client, "3. Kirim poster")
    person = await _person(line_world, client.id)
    async with line_world.app.db.reading() as tx:
        question, stored = await Repos(tx).drafts.get(person)
    assert question == "media"
    answers = stored["data"]
    assert (answers["title"], answers["organisation"]) == ("Seminar Nasional Kesehatan",
                                                           "BEM FK Universitas Jember")
    asked_twice = [m for m in client.messages if "2. Nama institusi" in text_of(m)]
    assert len(asked_twice) == 1, "the redelivered title was not taken as the organisation"


async def test_the_flex_card_buttons_fit_line_and_forged_taps_change_nothing(line_world: LineWorld):
    code = await submit(line_world["client"])
    card = await expect(line_world["koordinator"], code)
    data = card.actions()[0]["data"]
    outsider = line_world["client"]
    await outsider.postback(data)  # a copy of the real button data, by someone without the role
    await expect(outsider, "tidak memegang peran Koordinator")
    await line_world["koordinator"].postback(f"a|{code}|1|0|zz")
    await expect(line_world["koordinator"], "tidak dikenal")
    state = await line_world.app.requests.get(code)
    assert (state.step_id, state.status) == ("koordinator", "active")


async def test_while_a_newcomers_poster_downloads_everyone_else_is_answered(line_world: LineWorld):
    """The content API is read before the event writes anything (its transaction opens at the
    first write): a newcomer whose first message is a poster, still downloading, holds no lock
    that another newcomer's greeting waits on."""
    server = line_world.server
    held = server.hold_next("/content")
    ayu, dodi = server.user(make_user_id("ayu"), "Ayu"), server.user(make_user_id("dodi"), "Dodi")
    assert await ayu.send_image(bot_world.poster_bytes()) == 200
    await server.wait_for(lambda: server.held, what="the poster's download")
    assert await dodi.say("start") == 200
    await expect(dodi, "Selamat datang")
    assert server.held == 1, "greeted while the poster was still downloading"
    held.set()
    await expect(ayu, "Tidak ada pengisian")


async def test_follow_subscribes_and_unfollow_stops_push_info(line_world: LineWorld):
    newcomer = line_world.server.user(make_user_id("nina"), "Nina")
    await newcomer.follow()
    await expect(newcomer, "Anda menerima info publikasi untuk: mahasiswa, dosen, tendik, umum")
    await newcomer.unfollow()
    await line_world.platforms.line.wait_idle()
    async with line_world.app.db.reading() as tx:
        row = await Repos(tx).subscribers.get("line", newcomer.id)
    assert row is not None and not row["active"]


async def _person(world: LineWorld, user_id: str) -> int:
    async with world.app.db.reading() as tx:
        return await Repos(tx).people.find("line", user_id)


# LINE and Telegram in one process -------------------------------------------------------------


async def start_on_telegram(world: bot_world.World, people: dict[str, tuple[int, str]],
                            roles: dict[str, str]) -> None:
    for name, (user_id, first_name) in people.items():
        user = world.server.user(user_id, first_name, language_code="id")
        world.users[name] = user
        if name in roles:
            await world.app.people.grant(roles[name], "telegram", user_id)
        await user.send("/start")
        await bot_world.expect(user, "Selamat datang")


@pytest.fixture
async def both(line_server, telegram_server, tmp_path, clock):
    """The client on LINE; the officials on Telegram, as in the Telegram tests."""
    settings = line_settings(line_server, tmp_path, telegram=telegram_server)
    async with running_line_bot(settings, clock, line_server) as (app, platforms):
        world = LineWorld(line_server, app, platforms)
        await follow_all(world, {"client": "Sari"}, {})
        telegram = bot_world.World(telegram_server, app)
        officials = {k: v for k, v in bot_world.PEOPLE.items() if k != "client"}
        await start_on_telegram(telegram, officials, bot_world.ROLES)
        yield world, telegram


async def link(telegram_user, line_user) -> None:
    """/tautkan on Telegram, the code typed on LINE."""
    await telegram_user.send("/tautkan")
    given = await bot_world.expect(telegram_user, "Kode tautan Anda")
    code = bot_world.text_of(given).split("Kode tautan Anda: ")[1].split()[0]
    await line_user.say(f"tautkan {code}")
    await expect(line_user, "Akun tertaut: Telegram, LINE")


async def test_submitted_on_line_approved_on_telegram_a_linked_person_gets_prompts_on_line(both):
    line, telegram = both
    # Budi, coordinator on Telegram, links his LINE account and wants notices there
    budi = line.server.user(make_user_id("budi-line"), "Budi L")
    await budi.follow()
    await expect(budi, "Selamat datang")
    await link(telegram["koordinator"], budi)
    await budi.say("/utama line")
    await expect(budi, "Pemberitahuan kini dikirim lewat LINE")
    await budi.say("peran")
    await expect(budi, "Koordinator [koordinator]")

    request = await submit(line["client"])
    prompt = await expect(budi, request, "Koordinator memeriksa")
    assert prompt.type == "flex" and labels(prompt) == CARD_BUTTONS
    card = await bot_world.expect(telegram["koordinator2"], request, "Koordinator memeriksa")
    assert not any(request in bot_world.text_of(m) for m in telegram["koordinator"].messages)

    await telegram["koordinator2"].tap(card, "✅ Setujui")
    await expect(budi, request, "Disetujui oleh Bayu")  # his LINE card cannot be edited
    await expect(line["client"], request, "Disetujui", "Berikutnya: Wakil Koordinator")
    for name, step in (("wakil_koordinator", "Wakil Koordinator menyetujui"),
                       ("direktur", "Direktur menyetujui")):
        card = await bot_world.expect(telegram[name], request, step)
        await telegram[name].tap(card, "✅ Setujui")
        await expect(line["client"], request, "Disetujui")
    await bot_world.expect(telegram["petugas"], request, "Petugas mempublikasikan")
    assert (await line.app.requests.get(request)).step_id == "publikasi"


async def test_a_link_code_works_once(both):
    line, telegram = both
    await telegram["direktur"].send("/tautkan")
    given = await bot_world.expect(telegram["direktur"], "Kode tautan Anda")
    code = bot_world.text_of(given).split("Kode tautan Anda: ")[1].split()[0]
    await line["client"].say(f"/tautkan {code.lower()}")
    await expect(line["client"], "Akun tertaut")
    stranger = line.server.user(make_user_id("stranger"), "Stranger")
    await stranger.follow()
    await stranger.say(f"/tautkan {code}")
    await expect(stranger, "tidak dikenal, sudah dipakai, atau kedaluwarsa")
    await stranger.say("/utama telegram")
    await expect(stranger, "belum punya akun Telegram")


# ISMKI: the client confirms in a private LINE chat ------------------------------------------

ISMKI_ANSWERS = {"publish_date": "2026-11-30", "slot": "18.00-22.00"}  # 3 days' lead, a window


@pytest.fixture
async def ismki(line_server, tmp_path, clock):
    settings = line_settings(line_server, tmp_path, flow="ismki")
    async with running_line_bot(settings, clock, line_server) as (app, platforms):
        world = LineWorld(line_server, app, platforms)
        await follow_all(world, {"client": "Sari", "ict": "Ilham"}, {"ict": "ict"})
        yield world


async def test_ismki_client_confirms_on_line_and_the_request_reaches_quality_control(ismki: LineWorld):
    client = ismki["client"]
    code = await submit(client, ISMKI_ANSWERS)
    confirm = await expect(client, code, "Langkah 2 dari 4: Klien mengkonfirmasi pengiriman melalui private")
    assert confirm.type == "flex" and labels(confirm) == ["✅ Konfirmasi"]
    assert not any(code in text_of(m) for m in ismki["ict"].messages), "ICT waits for the confirmation"

    await client.tap("✅ Konfirmasi")
    await expect(client, "Dikonfirmasi")
    card = await expect(ismki["ict"], code, "quality control")
    assert labels(card) == ["✅ Setujui", "❌ Tolak"]  # ISMKI takes no revisions
    state = await ismki.app.requests.get(code)
    assert (state.step_id, state.status) == ("quality_control", "active")
    async with ismki.app.db.reading() as tx:
        entries = await Repos(tx).audit.for_request(code)
    assert [(e.act, e.channel) for e in entries if e.act == "confirm"] == [("confirm", "line")]


@pytest.fixture
async def ismki_both(line_server, telegram_server, tmp_path, clock):
    """ISMKI with the client and ICT on Telegram; the client also has LINE."""
    settings = line_settings(line_server, tmp_path, flow="ismki", telegram=telegram_server)
    async with running_line_bot(settings, clock, line_server) as (app, platforms):
        world = LineWorld(line_server, app, platforms)
        await follow_all(world, {"client": "Sari"}, {})
        telegram = bot_world.World(telegram_server, app)
        await start_on_telegram(telegram, {"client": (1001, "Sari"), "ict": (2001, "Ilham")}, {"ict": "ict"})
        yield world, telegram


async def test_ismki_confirmation_goes_to_line_though_the_client_prefers_telegram(ismki_both):
    line, telegram = ismki_both
    sari_line = line["client"]
    await link(telegram["client"], sari_line)  # the code is made on Telegram: notices stay there
    summary = await bot_world.fill_intake(telegram, "30-11-2026")
    await telegram["client"].tap(summary, "✅ Kirim")
    receipt = await bot_world.expect(telegram["client"], "Permohonan diterima")
    code = bot_world.text_of(receipt).split("Kode: ")[1].split()[0]
    # the other notices: Telegram (the notice may come before the receipt, which answers the tap)
    def submitted() -> bool:
        return any(code in bot_world.text_of(m) and "Diajukan" in bot_world.text_of(m)
                   for m in telegram["client"].messages)

    await telegram.server.wait_for(submitted)

    confirm = await expect(sari_line, code, "Langkah 2 dari 4")
    assert confirm.type == "flex" and labels(confirm) == ["✅ Konfirmasi"]
    assert not any("Langkah 2 dari 4" in bot_world.text_of(m) for m in telegram["client"].messages)
    await sari_line.tap("✅ Konfirmasi")
    card = await bot_world.expect(telegram["ict"], code, "quality control")
    assert bot_world.buttons_of(card) == ["✅ Setujui", "❌ Tolak"]
    assert (await line.app.requests.get(code)).step_id == "quality_control"


# `humas-bot run` with LINE alone -----------------------------------------------------------


async def test_humas_bot_run_with_line_credentials_only(line_server, tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUMAS_")}
    env |= {
        "HUMAS_LINE_CHANNEL_SECRET": line_server.channel_secret,
        "HUMAS_LINE_ACCESS_TOKEN": line_server.access_token,
        "HUMAS_LINE_API_URL": line_server.base_url, "HUMAS_LINE_DATA_URL": line_server.data_url,
        "HUMAS_LINE_PORT": str(port), "HUMAS_CONFIG": str(tmp_path / "none.toml"),
        **database_env(tmp_path),
    }
    log = open(tmp_path / "bot.log", "ab")  # noqa: SIM115, ASYNC230 - the child writes it
    bot = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "run", env=env, cwd=tmp_path,
                                               stdout=asyncio.subprocess.DEVNULL, stderr=log)
    try:
        line_server.webhook_url = f"http://127.0.0.1:{port}/line/webhook"
        sari = line_server.user(make_user_id("sari"), "Sari")
        await until_listening(sari, bot)
        await expect(sari, "Selamat datang", timeout=10)
        assert await sari.say("ajukan") == 200
        await expect(sari, "1. Apa judul acara")
    finally:
        bot.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(bot.wait(), 30)
        log.close()
    assert code == 0, (tmp_path / "bot.log").read_text()


async def until_listening(user, bot, timeout: float = 20.0) -> None:  # noqa: ASYNC109
    """Follow once the bot's webhook takes connections (it starts with imports and migrations)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        try:
            assert await user.follow() == 200
            return
        except aiohttp.ClientConnectionError:
            if bot.returncode is not None or loop.time() > deadline:
                raise
            await asyncio.sleep(0.1)  # polling for the port to open; nothing to wait on instead


async def test_a_role_holder_on_line_hears_the_roles_on_follow_and_start(line_world: LineWorld):
    budi, client = line_world["koordinator"], line_world["client"]
    followed = [text_of(m) for m in budi.messages]  # what following the account answered (read)
    assert any(text.startswith("Anda memegang peran Koordinator.") for text in followed), followed
    assert not any("memegang peran" in text_of(m) for m in client.messages)
    await budi.say("start")
    await expect(budi, "Selamat datang")
    note = text_of(await budi.next_message())
    assert "di langkah 1 dari 5: Koordinator memeriksa permohonan (standar waktu 2 jam)" in note
    assert "/antrian: permohonan yang menunggu tindakan Anda" in note
