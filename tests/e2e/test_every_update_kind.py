"""Every kind of update the platforms define, sent to the real bot while a client fills in a
request: the bot stays up, logs no error, never says "terjadi gangguan", keeps exactly the
client's answers, and writes to no chat that did not ask.

The updates come from the official descriptions (tests/e2e/update_kinds.py): Telegram updates
through the Bot API emulator the bot polls, LINE events as signed webhook POSTs. The client's
own messages are the ones that could be taken for answers, so the client's share of the noise
is the rest (a sticker, a business chat, an edit that changes nothing, a button under a message
that is gone...); strangers, groups and channels get every kind. Each test prints its seed
(HUMAS_KINDS_SEED replays one) and a table of the kinds sent and how each was handled.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import date

import pytest

from bot.emulator.line import LineEmulator, ReplyToken, StoredContent, make_user_id
from bot.emulator.telegram import SimUser, TelegramEmulator
from bot.i18n import TEXTS, t
from tests.e2e import line_world
from tests.e2e.bot_world import poster_bytes, running_bot, settings_for, text_of
from tests.e2e.external_media import external as external  # noqa: F401
from tests.e2e.line_fixtures import line_server as line_server  # noqa: F401
from tests.e2e.line_world import line_settings, running_line_bot
from tests.e2e.update_kinds import (
    Actor,
    LineKinds,
    LinePeople,
    People,
    Sent,
    TelegramKinds,
    interleave,
    seed,
    table,
)

ERROR_TEXT = t("error.internal", "id")[:40]
# PTB warns when the bot reads a field it will change the type of; not this test's business
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
QUIET = 0.6  # seconds without a call to the emulator: the bot has handled what it was given


# --- shared checks -------------------------------------------------------------------------


def assert_no_errors_logged(caplog: pytest.LogCaptureFixture) -> None:
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, "errors logged:\n" + "\n".join(
        f"  {r.name}: {r.getMessage()} {r.exc_text or ''}"[:600] for r in errors[:5])


async def settle(count: Callable[[], int], timeout: float = 15.0) -> None:  # noqa: ASYNC109
    """Until the emulator has had no call for QUIET seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last, since = count(), loop.time()
    while loop.time() < deadline:
        await asyncio.sleep(0.1)
        now = count()
        if now != last:
            last, since = now, loop.time()
        elif loop.time() - since >= QUIET:
            return
    raise AssertionError("the bot never went quiet")


def outcome(sent: Sent, texts: list[str], answered: bool) -> str:
    """How the bot handled one update, from what it sent to the update's own chat."""
    if texts and not sent.asks:
        return "WROTE UNASKED"
    if texts:
        return "replied " + "+".join(sorted({said(text) for text in texts}))
    return "answered" if answered else "ignored"


def said(text: str) -> str:
    """The catalogue key of a message the bot sent: the template it fits that has the most
    fixed text."""
    found = [(len(fixed), key) for key, (pattern, fixed) in TEMPLATES.items() if pattern.match(text)]
    return max(found, default=(0, "?"))[1]


def _template(indonesian: str) -> tuple[re.Pattern, str]:
    parts = re.split(r"\{[a-z_]+\}", indonesian)
    return re.compile(".*?".join(map(re.escape, parts)), re.DOTALL), "".join(parts)


TEMPLATES = {key: _template(id_text) for key, (id_text, _) in TEXTS.items()}


def print_report(capsys: pytest.CaptureFixture, text: str) -> None:
    with capsys.disabled():
        print("\n" + text)


# --- Telegram ------------------------------------------------------------------------------


def telegram_steps(client: SimUser) -> list[tuple[Callable[[], Awaitable], str]]:
    """The client's whole intake: each act and the start of the one message it must bring."""

    def tap(label: str) -> Callable[[], Awaitable]:
        return lambda: client.tap(client.messages[-1], label)

    answers = line_world.ANSWERS
    return [
        (lambda: client.send("/ajukan"), "1. Apa judul acara"),
        (lambda: client.send(answers["title"]), "2. Nama institusi"),
        (lambda: client.send(answers["organisation"]), "3. Kirim poster"),
        (lambda: client.send_photo(poster_bytes()), "Poster 1 diterima"),
        (tap("Lanjut ➡️"), "4. Tulis caption"),
        (lambda: client.send(answers["caption"]), "5. Contact person"),
        (lambda: client.share_contact("+6281234567890", "Sari"), "6. Tanggal publikasi"),
        (lambda: client.send("28-11-2026"), "7. Pilih jam publikasi"),
        (tap("08.00-10.00"), "8. Catatan khusus"),
        (tap("Tidak ada"), "Ringkasan permohonan"),
        (tap("✅ Kirim"), "Permohonan diterima"),
    ]


async def next_is(client: SimUser, needle: str, batch: list[Sent] = ()) -> dict:
    """The very next bot message to the client, which must be the one the step brings."""
    message = await client.next_message(timeout=10)
    mine = [s.label for s in batch if s.actor.role in ("client", "guest")]
    assert needle in text_of(message), (
        f"expected {needle!r}, the bot sent: {text_of(message)[:200]}; the client's updates before: {mine}")
    return message


def telegram_writes(server: TelegramEmulator) -> list[tuple[str, object]]:
    """(method, chat_id) of every call that writes into a chat, refused ones included."""
    calls = [(c.method, c.params.get("chat_id")) for c in server.calls]
    calls += [(e["method"], e["params"].get("chat_id")) for e in server.errors]
    return [(method, chat) for method, chat in calls if chat is not None]


async def test_every_telegram_update_kind(telegram_server: TelegramEmulator, tmp_path, clock, caplog,
                                          capsys) -> None:
    caplog.set_level(logging.INFO)
    server = telegram_server
    rng = random.Random(seed())
    async with running_bot(settings_for(server, tmp_path), clock) as app:
        client = server.user(1001, "Sari", language_code="id")
        await client.send("/start")
        await next_is(client, "Selamat datang")
        kinds = TelegramKinds(rng, People(client.info()), server.bot_user)
        noise = kinds.generate()
        steps = telegram_steps(client)
        batches = interleave(rng, noise, len(steps))
        answered_by: list[dict] = []
        for (act, needle), batch in zip(steps, batches, strict=True):
            for sent in batch:
                server.inject_update(sent.kind, sent.payload, files=sent.files)
            for message in answered_by[-1:]:  # the last answer "edited": a link preview, no change
                await client.edit(message, link_preview_options={"is_disabled": True})
                actor = Actor("client", client.id, client.info())
                noise.append(Sent("telegram", "edited_message", "unchanged answer", actor, message))
            result = await act()
            await next_is(client, needle, batch)
            if isinstance(result, dict) and result.get("message_id"):
                answered_by.append(result)
        receipt = text_of(client.messages[-1])
        await settle(lambda: len(server.calls) + len(server.errors))

        code = receipt.split("Kode: ")[1].split()[0]
        content = (await app.requests.get(code)).content
        assert (content.title, content.organisation, content.caption) == (
            line_world.ANSWERS["title"], line_world.ANSWERS["organisation"], line_world.ANSWERS["caption"])
        assert (content.contact.name, content.contact.phone) == ("Sari", "+6281234567890")
        assert (content.publish_date, content.slot, content.notes) == (
            date(2026, 11, 28), "08.00-10.00", "Tidak ada")
        assert [m.kind for m in content.media] == ["image"]

    writes = telegram_writes(server)
    said_to = defaultdict(list)
    for call in server.calls + server.errors:
        params = call.params if hasattr(call, "params") else call["params"]
        said_to[params.get("chat_id")].append(str(params.get("text") or params.get("caption") or ""))
    asked = {client.id} | {s.actor.chat_id for s in noise if s.asks}
    for sent in noise:
        texts = [] if sent.actor.role == "client" else said_to[sent.actor.chat_id]
        answered = sent.kind == "callback_query" and sent.payload.get("id") in server.callback_answers
        sent.outcome = outcome(sent, texts, answered)
    print_report(capsys, f"Telegram, seed {seed()}: {len(noise)} updates during the client's intake\n"
                 + table(noise, [*kinds.update_kinds()], "  Telegram update kinds"))
    unasked = [(method, chat) for method, chat in writes if chat not in asked]
    assert not unasked, f"the bot wrote to chats that did not ask: {unasked[:10]}"
    assert not server.errors, f"Telegram refused calls: {server.errors[:5]}"
    inline = [s for s in noise if s.kind == "callback_query" and "inline_message_id" in s.payload]
    assert inline and all(s.payload["id"] in server.callback_answers for s in inline)
    texts = [str(c.params.get("text", "")) + str(c.params.get("caption", "")) for c in server.calls]
    assert not [x for x in texts if ERROR_TEXT in x], "the bot said 'terjadi gangguan'"
    assert_no_errors_logged(caplog)


# --- LINE ----------------------------------------------------------------------------------


def line_steps(client) -> list[tuple[Callable[[], Awaitable], str]]:
    answers = line_world.ANSWERS
    return [
        (lambda: client.say("ajukan"), "1. Apa judul acara"),
        (lambda: client.say(answers["title"]), "2. Nama institusi"),
        (lambda: client.say(answers["organisation"]), "3. Kirim poster"),
        (lambda: client.send_image(poster_bytes()), "Poster 1 diterima"),
        (lambda: client.tap("Lanjut ➡️"), "4. Tulis caption"),
        (lambda: client.say(answers["caption"]), "5. Contact person"),
        (lambda: client.say(answers["contact"]), "6. Tanggal publikasi"),
        (lambda: client.tap("📅", answers["publish_date"]), "7. Pilih jam publikasi"),
        (lambda: client.tap(answers["slot"]), "8. Catatan khusus"),
        (lambda: client.tap("Tidak ada"), "Ringkasan permohonan"),
        (lambda: client.tap("✅ Kirim"), "Permohonan diterima"),
    ]


async def line_next_is(client, needle: str, batch: list[Sent] = ()):
    """The next message with text (the summary's poster comes before it, as an image)."""
    message = await client.next_message(timeout=10)
    while message.type in ("image", "video"):
        message = await client.next_message(timeout=10)
    text = line_world.text_of(message)
    mine = [s.label for s in batch if s.actor.role == "client"]
    assert needle in text, f"expected {needle!r}, the bot sent: {text[:200]}; the client's events: {mine}"
    return message


def prepare_line(server: LineEmulator, sent: Sent) -> None:
    """What LINE itself would hold for the event: the people (strangers are friends of the
    bot), the reply token (bound to the chat it came from), the content of media."""
    if sent.actor.role == "stranger":
        server.user(sent.actor.chat_id, "Tamu")
    token = sent.payload.get("replyToken")
    if token:
        server.reply_tokens[token] = ReplyToken(sent.actor.chat_id, server.clock())
    for message_id, data in sent.files.items():
        kind = sent.payload["message"]["type"]
        server.contents[message_id] = StoredContent(data, "image/jpeg" if kind == "image" else "video/mp4")


def line_recipients(server: LineEmulator) -> list[str]:
    """Every chat the bot put a message into (or tried to: blocked or unknown ones too)."""
    delivered = [user for user, messages in server.inbox.items() for _ in messages]
    return delivered + [entry["to"] for entry in server.undelivered]


async def test_every_line_event_kind(line_server: LineEmulator, external, tmp_path, clock, caplog,
                                     capsys) -> None:
    caplog.set_level(logging.INFO)
    server = line_server
    rng = random.Random(seed())
    settings = line_settings(server, tmp_path).model_copy(update={"line_fetch_private_urls": True})
    async with running_line_bot(settings, clock, server):
        client = server.user(make_user_id("ayu"), "Ayu")
        assert await client.follow() == 200
        await line_next_is(client, "Selamat datang")
        await client.next_message()  # the push-info subscription note
        kinds = LineKinds(rng, LinePeople(client.id), external.urls)
        noise = kinds.generate()
        steps = line_steps(client)
        statuses = []
        for (act, needle), batch in zip(steps, interleave(rng, noise, len(steps)), strict=True):
            for sent in batch:
                prepare_line(server, sent)
                statuses.append(await server.deliver([sent.payload]))
            assert await act() == 200
            await line_next_is(client, needle, batch)
        receipt = line_world.text_of(client.messages[-1])
        await settle(lambda: len(server.calls))
        assert set(statuses) == {200}, f"webhook answers: {sorted(set(statuses))}"
        assert "Permohonan diterima" in receipt

    recipients = line_recipients(server)
    asked = {client.id} | {s.actor.chat_id for s in noise if s.asks}
    for sent in noise:
        got = [] if sent.actor.role == "client" else server.inbox.get(sent.actor.chat_id, [])
        texts = [line_world.text_of(m) for m in got if m.type not in ("image", "video")]
        texts += ["?" for entry in server.undelivered if entry["to"] == sent.actor.chat_id]
        sent.outcome = outcome(sent, texts, False)
    print_report(capsys, f"LINE, seed {seed()}: {len(noise)} events during the client's intake\n"
                 + table(noise, kinds.event_kinds(), "  LINE event types")
                 + "\n" + message_table(noise, kinds.message_kinds()))
    unasked = sorted({chat for chat in recipients if chat not in asked})
    culprits = [s.label + f" ({s.payload['mode']})" for s in noise if s.actor.chat_id in unasked]
    assert not unasked, f"the bot wrote to chats that did not ask: {unasked[:10]}, after {culprits[:10]}"
    texts = [line_world.text_of(m) for messages in server.inbox.values() for m in messages]
    assert not [x for x in texts if ERROR_TEXT in x], "the bot said 'terjadi gangguan'"
    assert_no_errors_logged(caplog)


def message_table(noise: list[Sent], contents: list[str]) -> str:
    messages = [Sent(s.platform, s.content, "", s.actor, s.payload, outcome=s.outcome)
                for s in noise if s.kind == "message"]
    return table(messages, contents, "  LINE message types (message events)")
