"""Push-info end to end: the real bot over HTTP against the emulator. A request is brought to
the publish step through the chat (the client submits, three approvers tap), then the petugas
chooses audiences and broadcasts to registered channels, groups and subscribers."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.app import App
from bot.broadcast.telegram import IN_FLIGHT
from bot.clock import ManualClock
from bot.config import Settings
from bot.emulator.telegram import RateLimits, SimChat, SimUser, TelegramEmulator
from storage.repositories import Repos
from tests.databases import database_for
from tests.e2e.bot_world import (
    ANSWERS,
    PEOPLE,
    ROLES,
    World,
    buttons_of,
    expect,
    intake_from,
    intake_until,
    settings_for,
    submit,
    text_of,
    world_on,
)
from tests.e2e.test_telegram_restart import kill, start_bot

CAPTION = ANSWERS["caption"]
WIB = ZoneInfo("Asia/Jakarta")
APPROVERS = (("koordinator", "Koordinator memeriksa"), ("wakil_koordinator", "Wakil Koordinator menyetujui"),
             ("direktur", "Direktur menyetujui"))


# Helpers ------------------------------------------------------------------------------------


def current(holder: SimUser | SimChat, message: dict) -> dict:
    """The message as its chat shows it now (after edits)."""
    return next(m for m in holder.messages if m["message_id"] == message["message_id"])


def new_messages(server: TelegramEmulator, chat_id: int, before: Counter) -> list[dict]:
    """The bot messages sent to a chat since `before` (a copy of server.delivered)."""
    count = server.delivered[chat_id] - before[chat_id]
    return server.outputs[chat_id][len(server.outputs[chat_id]) - count:] if count else []


def sends_to(server: TelegramEmulator, chat_id: int) -> int:
    """Every send the bot attempted to a chat, accepted or refused."""
    sending = ("sendMessage", "sendPhoto", "sendVideo", "sendMediaGroup", "copyMessage")
    return sum(1 for call in server.calls if call.method in sending and call.params.get("chat_id") == chat_id)


async def greet(user: SimUser) -> SimUser:
    await user.send("/start")
    await expect(user, "Selamat datang")
    return user


async def add_subscriber(world: World, user_id: int, name: str, *audiences: str) -> SimUser:
    """Someone who follows push-info: /langganan, then a tap per audience."""
    user = await greet(world.server.user(user_id, name, language_code="id"))
    await user.send("/langganan")
    menu = await expect(user, "Pilih audiens")
    assert buttons_of(menu) == ["⬜ mahasiswa", "⬜ dosen", "⬜ tendik", "⬜ umum"]
    for audience in audiences:
        await user.tap(menu, f"⬜ {audience}")
        await world.server.wait_for(lambda a=audience: f"☑️ {a}" in buttons_of(current(user, menu)))
    return user


async def register_channel(world: World, chat_id: int, title: str, *audiences: str) -> SimChat:
    """A channel whose admin posts /daftarkan: the bot, an admin there, sees the channel post and
    answers with a code, which the petugas confirms in their private chat."""
    channel = world.server.channel(chat_id, title)
    channel.add_member(world["petugas"], "creator")
    channel.add_bot(admin=True, by=world["petugas"])
    await world["petugas"].send(" ".join(["/daftarkan", *audiences]), chat=channel)
    claim = await world.server.wait_for(
        lambda: next((m for m in channel.messages if "menunggu konfirmasi" in text_of(m)), None))
    code = text_of(claim).split("/daftarkan ")[1].split()[0]
    await world["petugas"].send(f"/daftarkan {code}")
    await expect(world["petugas"], title, "terdaftar")
    return channel


async def register_group(world: World, chat_id: int, title: str, *audiences: str) -> SimChat:
    """A group where the petugas types /daftarkan; the bot is a plain member (privacy mode)."""
    group = world.server.group(chat_id, title)
    group.add_member(world["petugas"])
    group.add_bot(by=world["petugas"])
    await world["petugas"].send(" ".join(["/daftarkan", *audiences]), chat=group)
    await world.server.wait_for(lambda: any("terdaftar" in text_of(m) for m in group.messages))
    return group


async def approve_to_publish(world: World, code: str) -> dict:
    """The three approvals of the default flow; the petugas's publish card."""
    for name, step in APPROVERS:
        card = await expect(world[name], code, step)
        await world[name].tap(card, "✅ Setujui")
    return await expect(world["petugas"], code, "Petugas mempublikasikan")


async def choose_audiences(world: World, card: dict, *audiences: str) -> None:
    for audience in audiences:
        await world["petugas"].tap(card, f"⬜ {audience}")
        await world.server.wait_for(
            lambda a=audience: f"☑️ {a}" in buttons_of(current(world["petugas"], card)))


async def final_report(world: World, code: str, timeout: float = 10.0) -> dict:  # noqa: ASYNC109
    """The broadcast report: the progress message, edited into it (or a new message where
    there was no progress message)."""
    petugas = world["petugas"]

    def report():
        return next((m for m in petugas.messages if f"Laporan penyebaran {code}" in text_of(m)), None)

    return await world.server.wait_for(report, timeout=timeout, what=f"the report of {code}")


async def deliveries(app: App, code: str) -> dict[str, dict]:
    async with app.db.reading() as tx:
        repos = Repos(tx)
        rows = await repos.broadcasts.deliveries(await repos.requests.id_of(code))
    return {row["recipient"]: row for row in rows}


def is_poster_with_caption(message: dict, caption: str = CAPTION) -> bool:
    return bool(message.get("photo")) and message.get("caption") == caption


# 1. A broadcast to channels, a group and subscribers ---------------------------------------


async def test_broadcast_reaches_each_chosen_recipient_once_and_nobody_else(world: World):
    server, petugas = world.server, world["petugas"]
    # audiences chosen below: mahasiswa and dosen
    news = await register_channel(world, -1001001, "Info Mahasiswa", "mahasiswa")
    everything = await register_channel(world, -1001002, "Humas Resmi")  # no audience: all
    staff = await register_channel(world, -1001003, "Info Tendik", "tendik")  # not chosen
    lecturers = await register_group(world, -1002001, "Grup Dosen", "dosen")
    rina = await add_subscriber(world, 6001, "Rina", "mahasiswa")
    dimas = await add_subscriber(world, 6002, "Dimas", "dosen")
    both = await add_subscriber(world, 6003, "Bima", "mahasiswa", "dosen")  # in both: once
    public = await add_subscriber(world, 6004, "Umi", "umum")  # not chosen
    async with world.app.db.reading() as tx:
        targets = {t["chat_id"]: (t["kind"], t["audiences"]) for t in await Repos(tx).targets.listing()}
    assert targets == {"-1001001": ("channel", ["mahasiswa"]), "-1001002": ("channel", []),
                       "-1001003": ("channel", ["tendik"]), "-1002001": ("group", ["dosen"])}

    code = await submit(world)
    card = await approve_to_publish(world, code)
    assert buttons_of(card) == ["⬜ mahasiswa", "⬜ dosen", "⬜ tendik", "⬜ umum",
                                "📢 Sebarkan sekarang", "🕒 Jadwalkan sesuai permintaan"]
    await choose_audiences(world, card, "mahasiswa", "dosen")
    before = Counter(server.delivered)
    last_seen = petugas.messages[-1]["message_id"]
    await petugas.tap(card, "📢 Sebarkan sekarang")
    report = await final_report(world, code)

    chosen = (news, everything, lecturers, rina, dimas, both)
    for recipient in chosen:
        received = new_messages(server, recipient.id, before)
        assert len(received) == 1, (recipient, received)
        assert is_poster_with_caption(received[0]), received[0]
    for outsider in (staff, public):
        assert new_messages(server, outsider.id, before) == []
        assert sends_to(server, outsider.id) == (1 if outsider is staff else 2)  # their own replies
    assert server.errors == []

    # the petugas: the start, the hand-posting checklist, one progress message, the report
    after = [m for m in petugas.messages if m["message_id"] > last_seen]
    texts = [text_of(m) for m in after]
    assert any(f"{code}: penyebaran ke 6 penerima dimulai" in t for t in texts), texts
    progress = [m for m in after if any(f"Penyebaran {code}" in text_of(old)
                                        for old in server.edit_history[(petugas.id, m["message_id"])])]
    assert len(progress) == 1, texts
    final_line = f"✅ Laporan penyebaran {code}: 6/6 terkirim, 0 gagal, 0 tidak pasti."
    assert text_of(progress[0]) == final_line  # edited into the outcome
    assert report == progress[0], "the report appears once: the progress message became it"
    assert [m for m in after if "Laporan penyebaran" in text_of(m)] == [progress[0]]

    # the request moves on to the archive step, and its card reaches the petugas
    assert (await world.app.requests.get(code)).step_id == "arsip"
    await expect(petugas, code, "Petugas mengarsipkan")
    rows = await deliveries(world.app, code)
    assert sorted(rows) == sorted(f"telegram:{r.id}" for r in chosen)
    assert {row["status"] for row in rows.values()} == {"sent"}

    # the channels the bot cannot post to: instagram and website, with a link each
    checklist = next(m for m in after if "Kanal yang diposting manual" in text_of(m))
    assert buttons_of(checklist) == ["⬜ instagram", "⬜ website"]
    await petugas.tap(checklist, "⬜ instagram")
    await expect(petugas, "Kirim tautan postingan instagram", code)
    await petugas.send("instagram.com/p/C0de")
    await expect(petugas, "Tautan harus diawali http://")
    url = "https://www.instagram.com/p/C0deHumas/"
    await petugas.send(url)
    await expect(petugas, "Bukti instagram tercatat", url)
    async with world.app.db.reading() as tx:
        events = await Repos(tx).audit.for_request(code)
    evidence = [e for e in events if e.act == "evidence"]
    assert len(evidence) == 1
    assert evidence[0].data == {"channel": "instagram", "url": url}
    assert (evidence[0].step_id, evidence[0].actor_name, evidence[0].role) == (
        "publikasi", "Putri", "petugas")
    publish = next(e for e in events if e.act == "publish")
    assert publish.data["audiences"] == ["mahasiswa", "dosen"] and publish.data["recipients"] == 6


# 1b. A caption over Telegram's 1024 characters, with Telegram's limits on -------------------


def all_day_flow(folder: Path) -> Path:
    """The default flow publishing at any hour (bar 23.59), for a test on the real clock: the
    default flow's windows would refuse "Sebarkan sekarang" at night."""
    folder.mkdir()
    text = (Path(__file__).parents[2] / "bot" / "flows" / "default.toml").read_text()
    text = text.replace('name = "default"', 'name = "sepanjang"')
    windows = 'windows = ["08:00-10:00", "00:00-08:00", "10:00-23:59"]'
    text = "\n".join(windows if line.startswith("windows = ") else line for line in text.splitlines())
    (folder / "sepanjang.toml").write_text(text + "\n")
    return folder


def long_caption_flow(folder: Path) -> Path:
    """The default flow for an office whose hard caption limit is Instagram's 2200 (as on the
    ISMKI flow): a 1500-character caption passes the intake, and Telegram gets it as text."""
    folder.mkdir()
    text = (Path(__file__).parents[2] / "bot" / "flows" / "default.toml").read_text()
    text = text.replace('name = "default"', 'name = "panjang"')
    text = text.replace("[rules]\n", "[rules]\ncaption_limits = { instagram = 2200 }\n")
    (folder / "panjang.toml").write_text(text)
    return folder


async def test_with_no_audience_ticked_the_card_says_all_and_everyone_gets_it(world: World):
    """Today's trap: "Sebarkan sekarang" with nothing ticked reached the channel only and
    reported 1/1 while every subscriber was skipped. The card counts before the press."""
    server, petugas = world.server, world["petugas"]
    everything = await register_channel(world, -1001002, "Humas Resmi")  # no audience: all
    rina = await add_subscriber(world, 6001, "Rina", "mahasiswa")
    umi = await add_subscriber(world, 6004, "Umi", "umum")
    code = await submit(world)
    card = await approve_to_publish(world, code)
    assert "• mahasiswa: 1 kanal, 0 grup, 1 orang" in text_of(card)
    assert "• dosen: 1 kanal, 0 grup, 0 orang" in text_of(card)
    assert "Belum ada audiens dipilih: Sebarkan mengirim ke SEMUA audiens → 1 kanal, 0 grup, 2 orang." \
        in text_of(card)

    query = await petugas.tap(card, "⬜ mahasiswa")
    await server.wait_for(lambda: query in server.callback_answers)
    assert server.callback_answers[query]["text"] == "Audiens: mahasiswa → 1 kanal, 0 grup, 1 orang"
    chosen = "Dipilih: mahasiswa → 1 kanal, 0 grup, 1 orang."
    await server.wait_for(lambda: chosen in text_of(current(petugas, card)))
    query = await petugas.tap(current(petugas, card), "☑️ mahasiswa")  # changed her mind: none again
    await server.wait_for(lambda: query in server.callback_answers)
    assert server.callback_answers[query]["text"] == (
        "Audiens: belum dipilih, jadi semua → 1 kanal, 0 grup, 2 orang")

    before = Counter(server.delivered)
    await petugas.tap(current(petugas, card), "📢 Sebarkan sekarang")
    await expect(petugas, f"{code}: penyebaran ke 3 penerima dimulai",
                 "SEMUA: mahasiswa, dosen, tendik, umum")
    report = await final_report(world, code)
    assert f"Laporan penyebaran {code}: 3/3 terkirim" in text_of(report)
    for recipient in (everything, rina, umi):
        assert len(new_messages(server, recipient.id, before)) == 1, recipient


async def test_long_caption_goes_as_poster_then_text_once_within_telegram_limits(
    telegram_server, tmp_path, clock
):
    settings = settings_for(telegram_server, tmp_path).model_copy(
        update={"flow": "panjang", "flows_dir": long_caption_flow(tmp_path / "flows")})
    async with world_on(telegram_server, settings, clock) as world:
        channel = await register_channel(world, -1001001, "Info Mahasiswa", "mahasiswa")
        followers = [await add_subscriber(world, 6001 + i, f"Mhs{i}", "mahasiswa") for i in range(5)]
        caption = ("Seminar Nasional Kesehatan: jadwal, pembicara dan pendaftaran. " * 24).strip()
        assert 1024 < len(caption) <= 2200
        asked = await intake_until(world, "title")
        summary = await intake_from(world, "title", asked, {"caption": caption})
        await world["client"].tap(summary, "✅ Kirim")
        code = text_of(await expect(world["client"], "Permohonan diterima")).split("Kode: ")[1].split()[0]
        card = await approve_to_publish(world, code)
        await choose_audiences(world, card, "mahasiswa")

        telegram_server.limits = RateLimits(per_second=30, group_per_minute=20, private_per_second=1)
        # and a 429 for one follower's text, after their poster went out: waited out on the spot
        telegram_server.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1,
                                  chat_id=followers[0].id)
        before = Counter(telegram_server.delivered)
        await world["petugas"].tap(card, "📢 Sebarkan sekarang")
        report = await final_report(world, code, timeout=20)
        assert "6/6 terkirim, 0 gagal, 0 tidak pasti" in text_of(report)
        assert any(e["error_code"] == 429 and e["params"]["chat_id"] == str(followers[0].id)
                   for e in telegram_server.errors)
        for recipient in (channel, *followers):
            received = new_messages(telegram_server, recipient.id, before)
            assert [bool(m.get("photo")) for m in received] == [True, False], (recipient, received)
            assert "caption" not in received[0]
            assert received[1]["text"] == caption


# 2. "Jadwalkan": the broadcast waits for the requested slot --------------------------------


async def test_scheduled_broadcast_goes_out_in_the_requested_window(world: World, clock: ManualClock):
    server, petugas = world.server, world["petugas"]
    rina = await add_subscriber(world, 6001, "Rina", "mahasiswa")
    code = await submit(world)  # 28-11-2026, 08.00-10.00; the clock says 26-11-2026 09.00 WIB
    card = await approve_to_publish(world, code)
    await choose_audiences(world, card, "mahasiswa")
    before = Counter(server.delivered)
    await petugas.tap(card, "🕒 Jadwalkan sesuai permintaan")
    await expect(petugas, code, "dijadwalkan 28-11-2026 08.00 WIB untuk 1 penerima")
    assert (await world.app.requests.get(code)).step_id == "arsip"

    # the sender polls at least once a second: give it two passes before and in the window's eve
    for moment in (None, datetime(2026, 11, 28, 7, 59, tzinfo=WIB)):
        if moment:
            clock.set(moment.astimezone(UTC))
        await asyncio.sleep(2.2)
        assert new_messages(server, rina.id, before) == []
        assert {row["status"] for row in (await deliveries(world.app, code)).values()} == {"pending"}

    clock.set(datetime(2026, 11, 28, 8, 0, tzinfo=WIB).astimezone(UTC))
    await server.wait_for(lambda: new_messages(server, rina.id, before), timeout=5, what="the scheduled post")
    report = await final_report(world, code)
    assert "1/1 terkirim" in text_of(report)
    received = new_messages(server, rina.id, before)
    assert len(received) == 1 and is_poster_with_caption(received[0])


# 4. Blocked and deleted accounts ------------------------------------------------------------


async def test_blocked_and_deactivated_subscribers_fail_once_then_are_skipped(world: World):
    server, petugas = world.server, world["petugas"]
    rina = await add_subscriber(world, 6001, "Rina", "mahasiswa")
    blocker = await add_subscriber(world, 6002, "Bayu", "mahasiswa")
    gone = await add_subscriber(world, 6003, "Gita", "mahasiswa")
    server.block(blocker.id)
    server.deactivate(gone.id)

    code = await submit(world)
    card = await approve_to_publish(world, code)
    await choose_audiences(world, card, "mahasiswa")
    await petugas.tap(card, "📢 Sebarkan sekarang")
    report = text_of(await final_report(world, code))
    assert f"Laporan penyebaran {code}: 1/3 terkirim, 2 gagal, 0 tidak pasti." in report
    assert "Gagal:" in report
    assert "• telegram:6002: Forbidden: bot was blocked by the user" in report
    assert "• telegram:6003: Forbidden: user is deactivated" in report
    rows = await deliveries(world.app, code)
    assert rows["telegram:6001"]["status"] == "sent"
    for chat in ("6002", "6003"):
        assert rows[f"telegram:{chat}"]["status"] == "failed"
        assert rows[f"telegram:{chat}"]["result"]["gone"] is True
    async with world.app.db.reading() as tx:
        subscribers = Repos(tx).subscribers
        blocked = {chat: (await subscribers.get("telegram", chat))["blocked_reason"] for chat in (6002, 6003)}
        assert blocked == {6002: "Forbidden: bot was blocked by the user",
                           6003: "Forbidden: user is deactivated"}
        assert [s["chat_id"] for s in await subscribers.reachable()] == ["6001"]

    tried = {chat: sends_to(server, chat) for chat in (blocker.id, gone.id)}
    second = await submit(world)
    card = await approve_to_publish(world, second)
    await choose_audiences(world, card, "mahasiswa")
    before = Counter(server.delivered)
    await petugas.tap(card, "📢 Sebarkan sekarang")
    await expect(petugas, f"{second}: penyebaran ke 1 penerima dimulai")
    assert f"{second}: 1/1 terkirim, 0 gagal" in text_of(await final_report(world, second))
    assert {chat: sends_to(server, chat) for chat in (blocker.id, gone.id)} == tried  # not tried again
    assert list(await deliveries(world.app, second)) == ["telegram:6001"]
    assert len(new_messages(server, rina.id, before)) == 1


# 5. Flood control ---------------------------------------------------------------------------


async def test_429_is_waited_out_and_everyone_gets_the_post_once(world: World):
    server, petugas = world.server, world["petugas"]
    followers = [await add_subscriber(world, 6001 + i, f"Mhs{i}", "mahasiswa") for i in range(4)]
    code = await submit(world)
    card = await approve_to_publish(world, code)
    await choose_audiences(world, card, "mahasiswa")
    # the second recipient's poster is refused twice, as Telegram does when flooded
    server.fail_next("sendPhoto", 429, "Too Many Requests: retry after 1", times=2,
                     chat_id=followers[1].id, retry_after=1)
    before = Counter(server.delivered)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await petugas.tap(card, "📢 Sebarkan sekarang")
    report = await final_report(world, code, timeout=15)
    assert "4/4 terkirim, 0 gagal, 0 tidak pasti" in text_of(report)
    assert loop.time() - started >= 2.0  # two pauses of a second each were kept
    refused = [e for e in server.errors if e["error_code"] == 429]
    assert len(refused) == 2 and {e["params"]["chat_id"] for e in refused} == {str(followers[1].id)}
    for follower in followers:
        received = new_messages(server, follower.id, before)
        assert len(received) == 1 and is_poster_with_caption(received[0]), (follower, received)
    assert sends_to(server, followers[1].id) == 2 + 3  # /start, /langganan replies; 2 refused + 1


# 3. kill -9 in the middle of a broadcast: nobody gets it twice ------------------------------

SUBSCRIBERS = range(7001, 7061)


async def prepare_database(database: str) -> None:
    """Roles for the people of the default flow, and 60 subscribers of 'mahasiswa' (as if each
    had used /langganan in an earlier session)."""
    app = await App.open(Settings(database=database, flow="default"))
    try:
        for name, role in ROLES.items():
            await app.people.grant(role, "telegram", PEOPLE[name][0])
        async with app.db.transaction() as tx:
            for chat_id in SUBSCRIBERS:
                await Repos(tx).subscribers.subscribe("telegram", chat_id, None, ["mahasiswa"])
    finally:
        await app.close()


async def test_kill_9_mid_broadcast_sends_nobody_a_second_copy(telegram_server, tmp_path, monkeypatch):
    server = telegram_server
    monkeypatch.setenv("HUMAS_CONFIG", str(tmp_path / "none.toml"))
    await prepare_database(database_for(tmp_path))
    for chat_id in SUBSCRIBERS:
        server.user(chat_id, f"Mhs{chat_id}", language_code="id").started = True  # they wrote
        # to the bot when they subscribed, so Telegram lets it write to them
    users = {name: server.user(uid, first, language_code="id") for name, (uid, first) in PEOPLE.items()}
    world = World(server, None, users)  # type: ignore[arg-type]  # the bot is another process
    flow = {"flow": "sepanjang", "flows_dir": str(all_day_flow(tmp_path / "flows"))}

    bot = await start_bot(server, tmp_path, **flow)
    try:
        await users["client"].send("/start")
        await expect(users["client"], "Selamat datang", timeout=20)  # the first start imports
        for name in ROLES:
            await greet(users[name])
        day = datetime.now(WIB).date() + timedelta(days=5)
        asked = await intake_until(world, "title")
        summary = await intake_from(world, "title", asked, {"publish_date": day.strftime("%d-%m-%Y")})
        await users["client"].tap(summary, "✅ Kirim")
        receipt = await expect(users["client"], "Permohonan diterima")
        code = text_of(receipt).split("Kode: ")[1].split()[0]
        card = await approve_to_publish(world, code)
        await choose_audiences(world, card, "mahasiswa")
        server.limits = RateLimits(per_second=30, group_per_minute=20, private_per_second=1)
        await users["petugas"].tap(card, "📢 Sebarkan sekarang")
        await expect(users["petugas"], f"{code}: penyebaran ke 60 penerima dimulai")
        # 60 posters at 30 a second: kill the bot once a handful went out
        await server.wait_for(lambda: sum(server.delivered[c] for c in SUBSCRIBERS) >= 10, timeout=15,
                              what="the first deliveries")
    finally:
        await kill(bot)
    at_kill = sum(server.delivered[c] for c in SUBSCRIBERS)
    assert at_kill < len(SUBSCRIBERS), "the broadcast ended before the kill: nothing was tested"

    bot = await start_bot(server, tmp_path, **flow)
    try:
        report = await final_report(world, code, timeout=30)
    finally:
        await kill(bot)
    app = await App.open(Settings(database=database_for(tmp_path), flow="default"))
    try:
        rows = await deliveries(app, code)
    finally:
        await app.close()
    assert len(rows) == len(SUBSCRIBERS)
    twice = [c for c in SUBSCRIBERS if server.delivered[c] > 1]
    assert twice == []
    missing = [c for c in SUBSCRIBERS if server.delivered[c] == 0]
    unknown = [r for r in rows.values() if r["status"] == "unknown"]
    assert len(unknown) <= IN_FLIGHT  # at most the rows in flight: several sends are out at once
    assert {r["recipient"] for r in unknown} >= {f"telegram:{c}" for c in missing}
    for chat_id in SUBSCRIBERS:
        status = rows[f"telegram:{chat_id}"]["status"]
        assert status == "unknown" or (status == "sent" and server.delivered[chat_id] == 1), chat_id
    sent = len(SUBSCRIBERS) - len(unknown)
    outcome = f"Laporan penyebaran {code}: {sent}/60 terkirim, 0 gagal, {len(unknown)} tidak pasti."
    assert outcome in text_of(report)
    for row in unknown:
        assert f"• {row['recipient']}: interrupted while sending; delivery unknown" in text_of(report)
    for chat_id in SUBSCRIBERS:
        if server.delivered[chat_id]:
            assert is_poster_with_caption(server.outputs[chat_id][0])

