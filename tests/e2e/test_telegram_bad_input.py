"""Bad answers during the intake, over the real bot and the emulated Bot API: each is refused
with a message saying what is accepted, the question comes again, and nothing given before
is lost (the intake is finished afterwards and the summary shows every earlier answer).

The test clock stands at 26-11-2026 09.00 WIB; the default flow wants one day's lead time,
so the earliest publication date is 27-11-2026.
"""

from __future__ import annotations

import random

import pytest

from bot.emulator.telegram import SimUser
from tests.e2e.bot_world import (
    QUESTION,
    SUMMARY,
    SUMMARY_SHOWS,
    World,
    buttons_of,
    expect,
    fill_intake,
    intake_from,
    intake_until,
    poster_bytes,
    text_of,
)

NOT_AN_IMAGE = random.Random(20261126).randbytes(40_000)
CAPTION_1030 = ("Ayo hadiri Seminar Nasional Kesehatan di Aula FK! " * 21)[:1029] + "!"
CAPTION_1024 = CAPTION_1030[:1023] + "!"  # what the client sends after cutting six characters


def typed(text: str):
    async def act(client: SimUser) -> None:
        await client.send(text)

    return act


def document(data: bytes, file_name: str, mime_type: str):
    async def act(client: SimUser) -> None:
        await client.send_document(data, file_name, mime_type)

    return act


async def refused_and_asked_again(client: SimUser, question: str, timeout: float = 5.0) -> tuple[dict, dict]:  # noqa: ASYNC109
    """The two messages that answer a bad input: the refusal, then the same question again."""
    refusal = await client.next_message(timeout=timeout)
    assert QUESTION[question] not in text_of(refusal), "the refusal comes first, on its own"
    again = await client.next_message(timeout=timeout)
    assert QUESTION[question] in text_of(again), f"asked {question} again, not: {text_of(again)[:80]}"
    return refusal, again


def assert_summary_keeps_everything(summary: dict, *also: str, without: tuple[str, ...] = ()) -> None:
    text = text_of(summary)
    for shown in (*(s for s in SUMMARY_SHOWS if s not in without), *also):
        assert shown in text, f"{shown!r} lost from the summary:\n{text}"
    assert buttons_of(summary) == ["✅ Kirim", "✏️ Ubah", "❌ Batal"]


BAD_ANSWERS = [
    pytest.param(
        "media", typed("posternya sudah saya kirim lewat email"),
        ("Kirim poster", "foto", "gambar sebagai file", "video"),
        id="text-for-the-poster",
    ),
    pytest.param(
        "media", document(b"%PDF-1.7\n" + bytes(4000), "poster.pdf", "application/pdf"),
        ("poster.pdf", "bukan gambar atau video", "JPEG/PNG/WebP", "MP4"),
        id="pdf-for-the-poster",
    ),
    pytest.param(
        "media", document(NOT_AN_IMAGE, "poster.jpg", "image/jpeg"),
        ("tidak bisa dipakai", "bukan gambar", "JPEG atau PNG"),
        id="poster-jpg-that-is-not-an-image",
    ),
    pytest.param(
        "publish_date", typed("20-11-2026"),
        ("20-11-2026 sudah lewat", "paling awal", "27-11-2026"),
        id="date-in-the-past",
    ),
    pytest.param(
        "publish_date", typed("26-11-2026"),
        ("paling lambat 1 hari sebelum", "paling awal", "27-11-2026"),
        id="date-inside-the-lead-time",
    ),
    pytest.param(
        "publish_date", typed("besok"),
        # examples a week after the earliest date allowed: never in the past
        ('"besok" bukan tanggal', "04-12-2026", "4 Desember 2026"),
        id="date-not-understood",
    ),
    pytest.param(
        "caption", typed(CAPTION_1030),
        ("1030 karakter", "batas telegram (1024)", "Pendekkan 6 karakter"),
        id="caption-over-the-telegram-limit",
    ),
    pytest.param(
        "contact", typed("Sari saja"),
        ("nama dan nomor HP atau akun chat", "Sari 081234567890", "bagikan kontak"),
        id="contact-without-phone-or-handle",
    ),
]


@pytest.mark.parametrize(("question", "bad", "says"), BAD_ANSWERS)
async def test_bad_answer_is_refused_asked_again_and_nothing_is_lost(world: World, question, bad, says):
    client = world["client"]
    await intake_until(world, question)
    await bad(client)
    refusal, again = await refused_and_asked_again(client, question, timeout=3.0)
    for needle in says:
        assert needle in text_of(refusal), f"{needle!r} not in the refusal: {text_of(refusal)}"
    summary = await intake_from(world, question, again)
    assert_summary_keeps_everything(summary)


async def test_date_refusals_offer_buttons_from_the_earliest_allowed_day(world: World):
    client = world["client"]
    await intake_until(world, "publish_date")
    for bad in ("25-11-2026", "26-11-2026", "31-02-2027", "besok"):
        await client.send(bad)
        _, again = await refused_and_asked_again(client, "publish_date")
        assert "Paling awal: 27-11-2026" in text_of(again)
        assert buttons_of(again) == ["27-11", "28-11", "29-11", "30-11", "01-12", "02-12"]
    await client.tap(again, "29-11")
    slot = await expect(client, QUESTION["slot"])
    summary = await intake_from(world, "slot", slot)
    assert_summary_keeps_everything(summary, "29 November 2026", without=("28 November 2026",))


async def test_caption_cut_to_exactly_the_limit_is_accepted_and_sent(world: World):
    client = world["client"]
    await intake_until(world, "caption")
    await client.send(CAPTION_1030)
    refusal, again = await refused_and_asked_again(client, "caption")
    assert "Pendekkan 6 karakter" in text_of(refusal)
    assert len(CAPTION_1024) == 1024
    summary = await intake_from(world, "caption", again, {"caption": CAPTION_1024})
    # the summary no longer fits a photo caption: the poster goes first, the text with its buttons
    assert_summary_keeps_everything(summary, CAPTION_1024, without=("#sehat",))
    await client.tap(summary, "✅ Kirim")
    receipt = await expect(client, "Permohonan diterima")
    code = text_of(receipt).split("Kode: ")[1].split()[0]
    card = await expect(world["koordinator"], code, CAPTION_1024)
    assert buttons_of(card) == ["✅ Setujui", "❌ Tolak", "↩️ Kembalikan untuk revisi"]


async def test_text_after_a_poster_asks_for_more_or_next_and_keeps_the_poster(world: World):
    """A client who sent a poster and then types instead of tapping Lanjut is not told to send
    the poster again as if it were lost: the question says it was received and offers Lanjut."""
    client = world["client"]
    await intake_until(world, "media")
    await client.send_photo(poster_bytes())
    await expect(client, "Poster 1 diterima")
    await client.send("sudah")
    _, again = await refused_and_asked_again(client, "media")
    assert "1 poster sudah diterima" in text_of(again)
    assert buttons_of(again) == ["Lanjut ➡️"]
    await client.tap(again, "Lanjut ➡️")
    caption = await expect(client, QUESTION["caption"])
    summary = await intake_from(world, "caption", caption)
    assert_summary_keeps_everything(summary)
    assert "Poster/video: gambar 1080×1350\n" in text_of(summary), "one poster, not two"


async def test_cancel_mid_intake_then_submit_starts_fresh(world: World):
    client = world["client"]
    await intake_until(world, "caption")  # title, organisation and poster given
    await client.send("/batal")
    assert "Pengisian dibatalkan" in text_of(await client.next_message())
    await client.send("BEM FK Universitas Jember")
    assert "Tidak ada pengisian yang berjalan" in text_of(await client.next_message())
    await client.send("/ajukan")
    first = await client.next_message()
    assert QUESTION["title"] in text_of(first)
    assert "sedang mengisi" not in text_of(first)
    summary = await intake_from(world, "title", first, {"title": "Lomba Poster Gizi"})
    assert "Judul acara/program: Lomba Poster Gizi\n" in text_of(summary)


async def test_submit_command_mid_intake_carries_on_at_the_same_question(world: World):
    client = world["client"]
    await intake_until(world, "publish_date")
    await client.send("/ajukan")
    carry_on = await client.next_message()
    assert "sedang mengisi permohonan" in text_of(carry_on)
    assert "lanjutkan dari pertanyaan ini" in text_of(carry_on)
    again = await client.next_message()
    assert QUESTION["publish_date"] in text_of(again)
    assert buttons_of(again)[:3] == ["27-11", "28-11", "29-11"]
    summary = await intake_from(world, "publish_date", again)
    assert_summary_keeps_everything(summary)


async def test_submit_command_after_a_poster_offers_next(world: World):
    client = world["client"]
    await intake_until(world, "media")
    await client.send_photo(poster_bytes())
    await expect(client, "Poster 1 diterima")
    await client.send("/ajukan")
    assert "lanjutkan dari pertanyaan ini" in text_of(await client.next_message())
    again = await client.next_message()
    assert QUESTION["media"] in text_of(again) and "1 poster sudah diterima" in text_of(again)
    await client.tap(again, "Lanjut ➡️")
    caption = await expect(client, QUESTION["caption"])
    assert_summary_keeps_everything(await intake_from(world, "caption", caption))


async def test_change_the_date_from_the_summary_keeps_every_other_answer(world: World):
    client = world["client"]
    summary = await fill_intake(world)
    await client.tap(summary, "✏️ Ubah")
    choose = await expect(client, "Bagian mana")
    assert "Tanggal publikasi" in buttons_of(choose)
    await client.tap(choose, "Tanggal publikasi")
    asked = await expect(client, QUESTION["publish_date"])
    await client.send("25-11-2026")  # a bad date while changing: refused, nothing else touched
    _, asked = await refused_and_asked_again(client, "publish_date")
    await client.tap(asked, "30-11")
    summary = await expect(client, SUMMARY)
    assert summary.get("photo"), "the summary still shows the poster"
    assert_summary_keeps_everything(summary, "30 November 2026", without=("28 November 2026",))
    await client.tap(summary, "✅ Kirim")
    receipt = await expect(client, "Permohonan diterima")
    code = text_of(receipt).split("Kode: ")[1].split()[0]
    card = await expect(world["koordinator"], code)
    assert "30 November 2026" in text_of(card) and "Seminar Nasional Kesehatan" in text_of(card)
