"""The fake Telegram Bot API, driven by the real python-telegram-bot over HTTP."""

from __future__ import annotations

import asyncio
import io
from typing import Any

import aiohttp
import pytest
from PIL import Image
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputMediaPhoto, Update
from telegram.error import BadRequest, Forbidden, RetryAfter, TimedOut
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler, filters

from bot.emulator.telegram import RateLimits, TelegramEmulator
from bot.handlers.telegram.transport import AiohttpRequest
from tests.e2e.telegram_fixtures import assert_no_violations, ptb_builder, running
from tests.e2e.telegram_fixtures import telegram_server as telegram_server  # the fixture

Context = ContextTypes.DEFAULT_TYPE


def png(width: int = 1000, height: int = 800) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


async def start(update: Update, context: Context) -> None:
    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton("Setuju", callback_data="ok"),
          InlineKeyboardButton("Tolak", callback_data="no")]]
    )  # fmt: skip
    await update.message.reply_text("Halo <b>Sari</b>!", parse_mode="HTML", reply_markup=keyboard)


async def button(update: Update, context: Context) -> None:
    query = update.callback_query
    await query.answer(f"Dipilih: {query.data}")
    await query.edit_message_text(f"Pilihan: {query.data}")


async def photo(update: Update, context: Context) -> None:
    data = await (await update.message.photo[-1].get_file()).download_as_bytearray()
    await update.message.reply_text(f"Foto diterima: {len(data)} bytes")


async def test_real_ptb_conversation(telegram_server: TelegramEmulator) -> None:
    app = ptb_builder(telegram_server).build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(button))
    app.add_handler(MessageHandler(filters.PHOTO, photo))
    sari = telegram_server.user(1001, "Sari", language_code="id")
    async with running(app):
        await sari.send("/start")
        greeting = await sari.next_message()
        assert greeting["text"] == "Halo Sari!"
        assert greeting["entities"] == [{"type": "bold", "offset": 5, "length": 4}]
        buttons = greeting["reply_markup"]["inline_keyboard"][0]
        assert [b["callback_data"] for b in buttons] == ["ok", "no"]

        query_id = await sari.tap(greeting, "Setuju")
        await telegram_server.wait_for(lambda: greeting["text"] == "Pilihan: ok")
        assert telegram_server.callback_answers[query_id] == {
            "text": "Dipilih: ok", "show_alert": False, "url": None,
        }  # fmt: skip
        assert "reply_markup" not in greeting  # edited without a keyboard: it is gone
        assert sari.messages == [greeting]
        (before,) = telegram_server.edit_history[(sari.id, greeting["message_id"])]
        assert before["text"] == "Halo Sari!"

        picture = png()
        sent = await sari.send_photo(picture, caption="Poster")
        assert sent["photo"][-1]["width"] == 1000
        assert max(s["width"] for s in sent["photo"][:-1]) <= 320
        reply = await sari.next_message()
        assert reply["text"] == f"Foto diterima: {len(picture)} bytes"
    assert telegram_server.errors == []


async def call(server: TelegramEmulator, method: str, **kwargs: Any) -> tuple[int, dict]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{server.base_url}{server.token}/{method}", **kwargs) as response,
    ):
        return response.status, await response.json()


@pytest.mark.parametrize(
    ("method", "params", "kind"),
    [
        ("sendMesage", {"chat_id": 1, "text": "x"}, "unknown_method"),
        ("sendMessage", {"chat_id": 1, "text": "x", "colour": "red"}, "unknown_parameter"),
        ("sendMessage", {"chat_id": 1}, "missing_parameter"),
        ("sendMessage", {"chat_id": 1, "text": "x", "reply_markup": {"inline_keyboard": 3}},
         "wrong_type"),
        ("getUpdates", {"offset": "soon"}, "wrong_type"),
    ],
)  # fmt: skip
async def test_spec_violations_are_400_and_recorded(
    telegram_server: TelegramEmulator, method: str, params: dict, kind: str
) -> None:
    status, body = await call(telegram_server, method, json=params)
    assert status == 400
    assert body["ok"] is False and body["error_code"] == 400
    assert body["description"].startswith("Bad Request: ")
    assert [v["kind"] for v in telegram_server.violations] == [kind]
    with pytest.raises(pytest.fail.Exception, match="spec violations"):
        assert_no_violations(telegram_server)
    telegram_server.violations.clear()  # expected here; the fixture fails on the rest


async def test_every_encoding_and_any_case_is_accepted(telegram_server: TelegramEmulator) -> None:
    telegram_server.user(7, "Budi").started = True
    assert (await call(telegram_server, "getme"))[0] == 200
    form = {"chat_id": "7", "text": "hi", "reply_markup": '{"inline_keyboard": []}'}
    assert (await call(telegram_server, "sendMessage", data=form))[0] == 200
    assert (await call(telegram_server, "sendMessage", json={"chat_id": 7, "text": "yo"}))[0] == 200
    status, body = await call(telegram_server, "sendMessage", params={"chat_id": 7, "text": "q"})
    assert status == 200 and body["result"]["text"] == "q"
    assert telegram_server.delivered[7] == 3


async def test_telegram_errors_are_recorded_but_are_not_violations(
    telegram_server: TelegramEmulator,
) -> None:
    sari = telegram_server.user(1001, "Sari")
    await sari.send("hi")
    long_data = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="d" * 65)]])
    async with Bot(telegram_server.token, base_url=telegram_server.base_url) as bot:
        with pytest.raises(BadRequest, match="(?i)message is too long"):
            await bot.send_message(sari.id, "a" * 4097)
        with pytest.raises(BadRequest, match="(?i)BUTTON_DATA_INVALID"):
            await bot.send_message(sari.id, "a", reply_markup=long_data)
        with pytest.raises(BadRequest, match="(?i)caption is too long"):
            await bot.send_photo(sari.id, png(10, 10), caption="c" * 1025)
        with pytest.raises(BadRequest, match="(?i)can't parse entities"):
            await bot.send_message(sari.id, "a<br>b", parse_mode="HTML")
        with pytest.raises(BadRequest, match="(?i)Chat not found"):
            await bot.send_message(424242, "a")
        telegram_server.block(sari.id)
        with pytest.raises(Forbidden, match="(?i)bot was blocked by the user"):
            await bot.send_message(sari.id, "a")
        telegram_server.deactivate(sari.id)
        with pytest.raises(Forbidden, match="(?i)user is deactivated"):
            await bot.send_chat_action(sari.id, "typing")
        stranger = telegram_server.user(1002, "Tono")
        with pytest.raises(Forbidden, match="(?i)can't initiate conversation"):
            await bot.send_message(stranger.id, "a")
    assert len(telegram_server.errors) == 8
    assert telegram_server.violations == []
    assert sari.messages == []


async def test_a_bot_hanging_up_mid_upload_is_not_an_emulator_crash(
    telegram_server: TelegramEmulator,
) -> None:
    """A stopping bot may drop a sendPhoto halfway through its body: nothing sent, nothing to
    fail the test with (it used to be recorded as an emulator crash)."""
    sari = telegram_server.user(1001, "Sari")
    url = aiohttp.client.URL(telegram_server.base_url)
    reader, writer = await asyncio.open_connection(url.host, url.port)
    writer.write(f"POST {url.path}{telegram_server.token}/sendPhoto HTTP/1.1\r\nHost: {url.host}\r\n"
                 "Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 100000\r\n\r\n"
                 f"--b\r\nContent-Disposition: form-data; name=\"chat_id\"\r\n\r\n{sari.id}\r\n".encode())
    await writer.drain()
    writer.close()
    await writer.wait_closed()
    await asyncio.sleep(0.2)
    assert telegram_server.violations == [] and telegram_server.errors == []
    assert sari.messages == []


async def test_flood_control_answers_429_with_retry_after(
    telegram_server: TelegramEmulator,
) -> None:
    now = [1000.0]
    telegram_server.clock = lambda: now[0]
    telegram_server.limits = RateLimits()
    sari = telegram_server.user(1001, "Sari")
    await sari.send("/start")
    group = telegram_server.group(-100123, "Grup Humas")
    group.add_bot()
    async with Bot(telegram_server.token, base_url=telegram_server.base_url) as bot:
        await bot.send_message(sari.id, "satu")
        with pytest.raises(RetryAfter):
            await bot.send_message(sari.id, "dua")
        assert telegram_server.errors[-1]["description"] == "Too Many Requests: retry after 1"
        now[0] += 1.0
        await bot.send_message(sari.id, "dua")

        for minute_second in range(20):
            now[0] += 1.0
            await bot.send_message(group.id, f"pesan {minute_second}")
        with pytest.raises(RetryAfter):
            await bot.send_message(group.id, "kebanyakan")
        assert telegram_server.errors[-1]["description"] == "Too Many Requests: retry after 41"
    message = {"chat_id": group.id, "text": "x"}
    status, body = await call(telegram_server, "sendMessage", json=message)
    assert status == 429
    retry_after = body["parameters"]["retry_after"]
    assert body["description"] == f"Too Many Requests: retry after {retry_after}"
    assert telegram_server.delivered == {sari.id: 2, group.id: 20}


async def test_files_media_groups_copies_and_chat_info(telegram_server: TelegramEmulator) -> None:
    sari = telegram_server.user(1001, "Sari", username="sari_humas")
    channel = telegram_server.channel(-100777, "Kanal Humas", username="kanalhumas")
    channel.add_bot(admin=True)
    doc = await sari.send_document(b"%PDF-1.4 surat", "surat.pdf", "application/pdf")
    async with Bot(telegram_server.token, base_url=telegram_server.base_url,
                   base_file_url=telegram_server.base_file_url) as bot:  # fmt: skip
        file = await bot.get_file(doc["document"]["file_id"])
        assert bytes(await file.download_as_bytearray()) == b"%PDF-1.4 surat"

        album = await bot.send_media_group(
            "@kanalhumas", [InputMediaPhoto(png(), caption="satu"), InputMediaPhoto(png(50, 50))]
        )
        assert len({m.media_group_id for m in album}) == 1
        assert [m["caption"] for m in channel.messages if "caption" in m] == ["satu"]
        reused = await bot.send_photo(channel.id, album[0].photo[-1].file_id)
        assert reused.photo[-1].file_id == album[0].photo[-1].file_id

        copy = await bot.copy_message(sari.id, channel.id, reused.message_id, caption="salin")
        forward = await bot.forward_message(sari.id, channel.id, album[0].message_id)
        assert [m["message_id"] for m in sari.messages] == [copy.message_id, forward.message_id]
        assert sari.messages[0]["caption"] == "salin"
        assert forward.forward_origin.chat.id == channel.id
        await bot.pin_chat_message(channel.id, reused.message_id)

        chat = await bot.get_chat("@kanalhumas")
        assert chat.pinned_message.message_id == reused.message_id
        me = await bot.get_chat_member(channel.id, bot.id)
        assert me.status == "administrator" and me.can_post_messages
        admins = await bot.get_chat_administrators(channel.id)
        assert [a.user.id for a in admins] == [bot.id]
        assert (await bot.get_chat_member(sari.id, sari.id)).status == "member"

        await bot.set_my_commands([("start", "Mulai"), ("ajukan", "Ajukan publikasi")])
        assert [c.command for c in await bot.get_my_commands()] == ["start", "ajukan"]
        await bot.delete_my_commands()
        assert await bot.get_my_commands() == ()
        assert await bot.delete_message(sari.id, copy.message_id)
        assert [m["message_id"] for m in sari.messages] == [forward.message_id]


async def test_long_poll_offset_allowed_updates_and_conflict(
    telegram_server: TelegramEmulator,
) -> None:
    sari = telegram_server.user(1001, "Sari")
    group = telegram_server.group(-100123, "Grup Humas")
    group.add_bot(admin=True, by=sari)  # a my_chat_member update
    await sari.send("halo")
    status, body = await call(telegram_server, "getUpdates", json={"timeout": 0})
    assert [next(k for k in u if k != "update_id") for u in body["result"]] == [
        "my_chat_member", "message",
    ]  # fmt: skip
    last = body["result"][-1]["update_id"]

    waiting = asyncio.create_task(
        call(telegram_server, "getUpdates", json={"offset": last + 1, "timeout": 5})
    )
    await asyncio.sleep(0.1)
    await sari.send("lagi")
    status, body = await waiting
    assert [u["message"]["text"] for u in body["result"]] == ["lagi"]

    await sari.send("disaring")
    params = {"offset": body["result"][-1]["update_id"] + 1, "timeout": 0,
              "allowed_updates": ["callback_query"]}  # fmt: skip
    assert (await call(telegram_server, "getUpdates", json=params))[1]["result"] == []

    first = asyncio.create_task(call(telegram_server, "getUpdates", json={"timeout": 5}))
    await asyncio.sleep(0.1)
    second = asyncio.create_task(call(telegram_server, "getUpdates", json={"timeout": 0}))
    assert (await first)[0] == 409
    assert (await second)[0] == 200


async def test_group_privacy_and_output_listeners(telegram_server: TelegramEmulator) -> None:
    events: list[tuple[str, int]] = []

    async def listen(event: str, message: dict) -> None:
        events.append((event, message["message_id"]))

    telegram_server.on_output.append(listen)
    sari = telegram_server.user(1001, "Sari")
    group = telegram_server.group(-100123, "Grup Humas")
    group.add_bot()
    await sari.send("obrolan biasa", chat=group)  # privacy mode: the bot does not see it
    await sari.send("/laporan", chat=group)
    _, body = await call(telegram_server, "getUpdates", json={"timeout": 0})
    texts = [u["message"]["text"] for u in body["result"] if "message" in u]
    assert texts == ["/laporan"]
    async with Bot(telegram_server.token, base_url=telegram_server.base_url) as bot:
        sent = await bot.send_message(group.id, "Laporan", reply_to_message_id=2)
        await bot.edit_message_text("Laporan final", group.id, sent.message_id)
        with pytest.raises(BadRequest, match="(?i)not modified"):
            await bot.edit_message_text("Laporan final", group.id, sent.message_id)
    assert sent.reply_to_message.text == "/laporan"
    assert events == [("incoming", 1), ("incoming", 2), ("new", 3), ("edit", 3)]
    assert group.messages[0]["text"] == "Laporan final"


async def test_injected_failures(telegram_server: TelegramEmulator) -> None:
    sari = telegram_server.user(1001, "Sari")
    await sari.send("/start")
    telegram_server.fail_next("sendmessage", 400, "Bad Request: chat not found", chat_id=sari.id)
    async with Bot(telegram_server.token, base_url=telegram_server.base_url) as bot:
        with pytest.raises(BadRequest):
            await bot.send_message(sari.id, "a")
        await bot.send_message(sari.id, "b")
    assert [m["text"] for m in sari.messages] == ["b"]


async def test_a_hang_leaves_the_call_unanswered_before_or_after_it_took_effect(
    telegram_server: TelegramEmulator,
) -> None:
    sari = telegram_server.user(1001, "Sari")
    await sari.send("/start")
    telegram_server.hang_next("sendMessage", chat_id=sari.id)  # lost on the way in
    telegram_server.hang_next("sendMessage", chat_id=sari.id, deliver=True)  # answer lost
    request = AiohttpRequest(read_timeout=0.3)
    async with Bot(telegram_server.token, base_url=telegram_server.base_url, request=request) as bot:
        with pytest.raises(TimedOut):
            await bot.send_message(sari.id, "hilang")
        with pytest.raises(TimedOut):
            await bot.send_message(sari.id, "sampai, tanpa jawaban")
        await bot.send_message(sari.id, "biasa")
    assert [m["text"] for m in sari.messages] == ["sampai, tanpa jawaban", "biasa"]
    assert [a.chat_id for a in telegram_server.accepted] == [sari.id, sari.id]


async def test_latency_delays_every_answer_and_sends_are_logged_with_their_time(
    telegram_server: TelegramEmulator,
) -> None:
    sari = telegram_server.user(1001, "Sari")
    await sari.send("/start")
    telegram_server.latency = 0.2
    async with Bot(telegram_server.token, base_url=telegram_server.base_url) as bot:
        loop = asyncio.get_running_loop()
        started = loop.time()
        await asyncio.gather(*(bot.send_message(sari.id, f"pesan {i}") for i in range(5)))
        took = loop.time() - started
    assert 0.2 <= took < 1.0  # five calls side by side: one round trip, not five
    logged = telegram_server.accepted
    assert [(a.chat_id, a.count, a.method) for a in logged] == [(sari.id, 1, "sendMessage")] * 5
    assert all(a.at >= b.at for b, a in zip(logged, logged[1:], strict=False))


async def test_user_media_and_contacts_parse_as_ptb_updates(
    telegram_server: TelegramEmulator,
) -> None:
    sari = telegram_server.user(1001, "Sari", language_code="id")
    await sari.send_video(b"\x00\x00\x00\x18ftypmp42", caption="Video kegiatan", duration=12)
    await sari.send_document(b"PK\x03\x04", "rundown.docx", "application/octet-stream")
    await sari.share_contact("+628123456789")
    await sari.send("/ajukan poster")
    _, body = await call(telegram_server, "getUpdates", json={"timeout": 0})
    async with Bot(telegram_server.token, base_url=telegram_server.base_url) as bot:
        updates = [Update.de_json(u, bot) for u in body["result"]]
        video, document, contact, command = (u.message for u in updates)
        assert body["result"][0]["message"]["video"]["duration"] == 12
        assert video.caption == "Video kegiatan"
        assert document.document.file_name == "rundown.docx"
        assert contact.contact.user_id == sari.id
        assert command.from_user.language_code == "id"
        assert command.entities[0].type == "bot_command" and command.entities[0].length == 7
        sent = await bot.send_document(sari.id, b"%PDF", filename="balasan.pdf", caption="Ini")
        again = await bot.send_video(sari.id, video.video.file_id)
    assert sent.document.file_name == "balasan.pdf"
    assert again.video.file_id == video.video.file_id
    assert [m["message_id"] for m in sari.messages] == [sent.message_id, again.message_id]


async def test_specs_dir_can_be_overridden(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    source = TelegramEmulator().spec
    (tmp_path / "telegram-bot-api.json").write_text(
        '{"version": "test", "methods": {"getMe": {"fields": [], "returns": ["User"]}},'
        ' "types": {}}'
    )
    monkeypatch.setenv("HUMAS_SPECS_DIR", str(tmp_path))
    assert TelegramEmulator().spec.version == "test"
    assert len(source.methods) > 100
