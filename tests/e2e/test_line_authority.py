"""Authority on LINE: postback data is a pointer anyone can forge, as on Telegram."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import aiohttp

from bot.emulator.line import make_user_id
from tests.e2e.line_fixtures import line_server as line_server  # noqa: F401 - the fixture
from tests.e2e.line_fixtures import line_world as line_world  # noqa: F401 - the fixture
from tests.e2e.line_world import (
    LineWorld,
    expect,
    fill_intake,
    labels,
    submit,
    text_of,
)

SECRETS = ("Seminar Nasional Kesehatan", "+6281234567890", "#sehat")


async def test_a_forged_revise_postback_shows_nobody_else_the_request(line_world: LineWorld):
    client = line_world["client"]
    code = await submit(client)
    await line_world["koordinator"].postback(f"a|{code}|1|0|rt")
    await expect(line_world["koordinator"], "direvisi")
    await line_world["koordinator"].say("Caption: tambahkan lokasi acara")
    notice = await expect(client, code, "dikembalikan untuk revisi")
    assert labels(notice) == ["✏️ Revisi permohonan"]

    eko = line_world.server.user(make_user_id("eko"), "Eko")
    await eko.follow()
    await expect(eko, "Selamat datang")
    seen = len(eko.messages)
    await eko.postback(f"i|revise|{code}")
    answer = await expect(eko, code, "tidak dapat Anda buka")
    await line_world.platforms.line.wait_idle()
    assert [m.type for m in eko.messages[seen:]] == ["text"], "no poster, no card"
    shown = " ".join(text_of(m) for m in eko.messages)
    assert not any(secret in shown for secret in SECRETS), text_of(answer)

    await client.tap("✏️ Revisi permohonan")
    await expect(client, "Ringkasan permohonan", f"revisi {code}")
    await client.tap("✅ Kirim")
    await expect(client, "Revisi terkirim", "versi 2")
    await client.postback(f"i|revise|{code}")  # the old notice's button, once more
    answer = await expect(client, code, "tidak sedang dikembalikan")
    assert "status: diproses" in text_of(answer)
    assert not any("terjadi gangguan" in text_of(m) for m in client.messages)


async def test_an_unknown_command_on_line_gets_a_short_help(line_world: LineWorld):
    client = line_world["client"]
    await client.say("ajukan")
    await expect(client, "1. Apa judul acara")
    await client.say("/bantuan")
    helped = await expect(client, "Perintah /bantuan tidak dikenal")
    assert "/ajukan" in text_of(helped)
    await expect(client, "1. Apa judul acara")
    await client.say("Seminar Nasional Kesehatan")
    await expect(client, "2. Nama institusi")


async def fetch(url: str) -> tuple[int, str]:
    """GET an address LINE would fetch (the test server speaks plain http)."""
    async with aiohttp.ClientSession() as session, session.get(url.replace("https://", "http://")) as got:
        await got.read()
        return got.status, got.headers.get("Cache-Control", "")


async def test_poster_addresses_are_signed_private_and_expire(line_world: LineWorld):
    client = line_world["client"]
    await fill_intake(client)
    image = client.messages[-2]
    assert image.type == "image"
    original, preview = image["originalContentUrl"], image["previewImageUrl"]
    address = urlsplit(original)
    sha = address.path.rsplit("/", 1)[1]
    assert re.fullmatch(r"e=\d+&s=[A-Za-z0-9_-]{24}", address.query), address.query
    status, cache = await fetch(original)
    assert status == 200 and cache.startswith("private, max-age=")
    assert (await fetch(preview))[0] == 200

    bare = original.split("?")[0]
    expires, signature = parse_qs(address.query)["e"][0], parse_qs(address.query)["s"][0]
    forged = "A" + signature[1:] if signature[0] != "A" else "B" + signature[1:]
    for refused in (bare, f"{bare}?e={expires}&s={forged}", f"{bare}?e={int(expires) + 3600}&s={signature}",
                    f"{bare}/preview?{address.query}",  # a file's signature is not its preview's
                    original.replace(sha, "0" * 64)):
        assert (await fetch(refused))[0] == 404, refused
    line_world.app.clock.advance(timedelta(days=31))
    assert (await fetch(original))[0] == 404, "expired"
