"""Replies as LINE messages: quick replies within LINE's limits, Flex cards for step buttons,
media from the public address (or none without one); and commands typed with or without the
slash."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.chat import callbacks
from bot.chat.callbacks import StepButton
from bot.chat.replies import Button, Reply
from bot.domain.engine import Act
from bot.domain.request import MediaRef
from bot.handlers.line.handlers import parse_command
from bot.handlers.line.render import MediaUrls, messages, shorten
from storage.files import FileStore

POSTER = MediaRef(sha256="a" * 64, kind="image", mime="image/jpeg", size=10, width=1080, height=1350)


def urls(public: str | None = "https://humas.example.ac.id/") -> MediaUrls:
    return MediaUrls(public, FileStore(Path("/nonexistent")))


def dicts(reply: Reply, public: str | None = "https://humas.example.ac.id/") -> list[dict]:
    return [m.to_dict() for m in messages(reply, urls(public))]


def test_intake_buttons_are_quick_replies_with_short_labels_and_the_full_text_shown():
    long = "Kembalikan untuk revisi sebelum dikirim"
    reply = Reply("6. Tanggal publikasi?", [[Button("28-11", callbacks.intake("date", "28-11-2026"))],
                                          [Button(long, callbacks.intake("edit", "title"))],
                                          [Button("📅", callbacks.intake("date", ""), kind="date")],
                                          [Button("📱 Bagikan kontak", kind="contact")]])
    (text,) = dicts(reply)
    items = [item["action"] for item in text["quickReply"]["items"]]
    assert [a["type"] for a in items] == ["postback", "postback", "datetimepicker"]
    assert items[0] == {"type": "postback", "label": "28-11", "data": "i|date|28-11-2026",
                        "displayText": "28-11"}
    assert len(items[1]["label"]) <= 20 and items[1]["label"].endswith("…")
    assert items[1]["displayText"] == long
    assert items[2]["mode"] == "date" and items[2]["data"] == "i|date|"


def test_more_than_13_buttons_become_a_flex_card():
    rows = [[Button(f"Pilihan {i}", callbacks.intake("edit", str(i)))] for i in range(14)]
    reply = Reply("Bagian mana?", rows)
    (flex,) = dicts(reply)
    assert flex["type"] == "flex"
    assert len([b for row in flex["contents"]["footer"]["contents"] for b in row["contents"]]) == 14


def test_a_step_card_is_a_flex_bubble_with_its_poster_and_one_button_per_action():
    data = [callbacks.encode(StepButton("PUB-2026-0001", 1, 0, act)) for act in (Act.APPROVE, Act.REJECT)]
    reply = Reply("📋 PUB-2026-0001\n" + "x" * 3000,
                  [[Button("✅ Setujui", data[0])], [Button("❌ Tolak", data[1])]], media=[POSTER])
    (flex,) = dicts(reply)
    bubble = flex["contents"]
    assert bubble["hero"]["url"] == f"https://humas.example.ac.id/media/{'a' * 64}"
    assert bubble["hero"]["aspectRatio"] == "1080:1350"
    assert len(flex["altText"]) <= 400
    assert bubble["body"]["contents"][0]["text"] == reply.text, "the whole card, not cut"
    buttons = [b for row in bubble["footer"]["contents"] for b in row["contents"]]
    assert [(b["action"]["label"], b["action"]["data"], b["style"]) for b in buttons] == [
        ("✅ Setujui", data[0], "primary"), ("❌ Tolak", data[1], "secondary")]


def test_a_card_too_long_for_one_bubble_sends_its_start_first_and_loses_no_word():
    data = callbacks.encode(StepButton("PUB-2026-0001", 1, 0, Act.APPROVE))
    paragraphs = [f"Paragraf {i}: " + " ".join(f"kata{i}-{j}" for j in range(60)) for i in range(30)]
    header = "📋 PUB-2026-0001 (versi 1)"
    reply = Reply("\n\n".join([header, *paragraphs]), [[Button("✅ Setujui", data)]], media=[POSTER])
    sent = dicts(reply)
    assert [m["type"] for m in sent[:-1]] == ["text"] * (len(sent) - 1) and sent[-1]["type"] == "flex"
    assert all(len(m["text"]) <= 5000 for m in sent[:-1])
    bubble_texts = [c["text"] for c in sent[-1]["contents"]["body"]["contents"]]
    assert bubble_texts[0] == f"{header} (lanjutan)", "the card keeps its code above the buttons"
    everything = "\n".join([m["text"] for m in sent[:-1]] + bubble_texts[1:])
    for paragraph in paragraphs:
        assert paragraph in everything, "split between paragraphs, never inside one"
    assert len(json.dumps(sent[-1])) < 30_000


def test_media_needs_an_https_public_address():
    reply = Reply("Ringkasan", [[Button("✅ Kirim", callbacks.intake("send"))]], media=[POSTER])
    image, text = dicts(reply)
    assert image == {"type": "image", "originalContentUrl": f"https://humas.example.ac.id/media/{'a' * 64}",
                     "previewImageUrl": f"https://humas.example.ac.id/media/{'a' * 64}/preview"}
    assert text["quickReply"]["items"][0]["action"]["label"] == "✅ Kirim"
    for public in (None, "http://humas.example.ac.id"):
        assert [m["type"] for m in dicts(reply, public)] == ["text"]


def test_a_video_is_a_video_message_with_a_preview():
    video = MediaRef(sha256="b" * 64, kind="video", mime="video/mp4", size=10)
    first = dicts(Reply("Video", media=[video]))[0]
    assert first["type"] == "video" and first["previewImageUrl"].endswith("/preview")


@pytest.mark.parametrize(("label", "limit", "short"), [
    ("Tidak ada", 20, "Tidak ada"),
    ("↩️ Kembalikan untuk revisi", 20, "↩️ Kembalikan…"),
    ("Superkalifragilistikexpialidocious", 20, "Superkalifragilisti…"),
])
def test_shorten(label, limit, short):
    assert shorten(label, limit) == short and len(short) <= limit


@pytest.mark.parametrize(("text", "command"), [
    ("/ajukan", ("ajukan", [])),
    ("ajukan", ("ajukan", [])),
    ("Batal", ("batal", [])),
    ("gabung AB12CD34", ("gabung", ["AB12CD34"])),
    ("/gabung AB12CD34", ("gabung", ["AB12CD34"])),
    ("tautkan", ("tautkan", [])),
    ("tautkan 1F2E3D4C", ("tautkan", ["1F2E3D4C"])),
    ("utama line", ("utama", ["line"])),
    ("/utama", ("utama", [])),
    ("Status Gizi Balita", None),  # an answer that starts like a command stays an answer
    ("bahasa Indonesia yang baik", None),
    ("utama sekali", None),
    ("laporan bulan ini", ("laporan", ["bulan", "ini"])),
    ("laporan 2026-11", ("laporan", ["2026-11"])),
    ("/laporan PUB-2026-0001", ("laporan", ["PUB-2026-0001"])),
    ("Laporan Keuangan Tahunan", None),
    ("Seminar", None),
    ("", None),
])
def test_commands_with_or_without_the_slash(text, command):
    assert parse_command(text) == command
