"""A LINE client sends the poster as a link (an image message whose contentProvider is
"external", as a LIFF app or another service sends it): the bot fetches it from the link,
not from LINE's content API (which has nothing for it), under the size caps, and refuses
clearly, keeping every answer, when the link cannot be used."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

import pytest

from bot.emulator.line import LineEmulator, LineUser, make_user_id
from bot.handlers.line.external import ExternalRefused, fetch_external
from bot.i18n import t
from bot.media.limits import EXTERNAL_IMAGE_MAX_BYTES
from tests.e2e.bot_world import poster_bytes
from tests.e2e.external_media import ExternalMedia
from tests.e2e.external_media import external as external  # noqa: F401
from tests.e2e.line_fixtures import line_server as line_server  # noqa: F401
from tests.e2e.line_world import ANSWERS, expect, labels, line_settings, running_line_bot, text_of

ASKED = "3. Kirim poster"


@asynccontextmanager
async def at_poster_question(server: LineEmulator, tmp_path, clock, caplog,
                             private: bool) -> AsyncIterator[LineUser]:
    """Ayu at the poster question, the bot allowed to fetch from 127.0.0.1 if `private`.
    Afterwards: no error logged, no 'terjadi gangguan'."""
    caplog.set_level(logging.INFO)
    settings = line_settings(server, tmp_path).model_copy(update={"line_fetch_private_urls": private})
    async with running_line_bot(settings, clock, server):
        ayu = server.user(make_user_id("ayu"), "Ayu")
        await ayu.follow()
        await ayu.say("ajukan")
        await expect(ayu, "1. Apa judul acara")
        await ayu.say(ANSWERS["title"])
        await expect(ayu, "2. Nama institusi")
        await ayu.say(ANSWERS["organisation"])
        await expect(ayu, ASKED)
        yield ayu
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    said = [text_of(m) for m in server.inbox[ayu.id]]
    assert not [s for s in said if t("error.internal", "id")[:30] in s]


@pytest.fixture
async def client(line_server: LineEmulator, tmp_path, clock, caplog):
    async with at_poster_question(line_server, tmp_path, clock, caplog, private=True) as ayu:
        yield ayu


@pytest.fixture
async def public_client(line_server: LineEmulator, tmp_path, clock, caplog):
    """As an office runs it: links into private networks are not opened."""
    async with at_poster_question(line_server, tmp_path, clock, caplog, private=False) as ayu:
        yield ayu


async def refused(ayu, *needles: str) -> str:
    """The refusal (naming the link's host and the reason), then the poster question again."""
    refusal = text_of(await ayu.next_message())
    for needle in ("tautan ke", "Kirim file-nya langsung dari galeri", *needles):
        assert needle in refusal, refusal
    assert ASKED in text_of(await ayu.next_message()), "asked again"
    return refusal


@pytest.mark.parametrize("name", ["poster", "moved"])
async def test_a_poster_sent_as_a_link_is_fetched_from_it(client, external: ExternalMedia, name: str):
    assert await client.send_link(external.urls[name]) == 200
    received = await expect(client, "Poster 1 diterima")
    assert labels(received) == ["Lanjut ➡️"]
    assert "/poster.jpg" in external.requests
    await client.tap("Lanjut ➡️")
    await expect(client, "4. Tulis caption")


async def test_a_link_that_is_not_a_web_address_is_refused(client, external: ExternalMedia):
    await client.send_link(external.urls["not-web"])
    await refused(client, "bukan alamat web (http/https)")
    assert external.requests == []


async def test_a_missing_file_is_refused(client, external: ExternalMedia):
    await client.send_link(external.urls["missing"])
    await refused(client, "HTTP 404")


async def test_a_page_that_is_no_image_is_refused_as_any_such_file_is(client, external: ExternalMedia):
    await client.send_link(external.urls["page"])
    assert "tidak bisa dipakai" in text_of(await client.next_message())
    assert ASKED in text_of(await client.next_message())


async def test_a_file_that_says_it_is_too_big_is_refused_before_it_is_read(client, external: ExternalMedia):
    await client.send_link(external.urls["declared-big"])
    await refused(client, "lebih dari 20,0 MB")


async def test_a_file_that_never_ends_is_cut_at_the_cap(client, external: ExternalMedia):
    await client.send_link(f"{external.base}/endless.jpg")
    await refused(client, "lebih dari 20,0 MB")
    assert external.streamed < EXTERNAL_IMAGE_MAX_BYTES + 8 * 1024 * 1024, "the bot hung up at the cap"


async def test_the_poster_can_still_be_sent_after_a_refused_link(client, external: ExternalMedia):
    await client.send_link(external.urls["missing"])
    await refused(client, "HTTP 404")
    await client.send_link(external.urls["poster"])
    await expect(client, "Poster 1 diterima")
    await client.tap("Lanjut ➡️")
    for question, answer in (("5. Contact person", ANSWERS["caption"]), ("6. Tanggal", ANSWERS["contact"])):
        await client.say(answer)
        await expect(client, question)


async def test_a_link_into_a_private_network_is_not_opened(public_client, external: ExternalMedia):
    await public_client.send_link(external.urls["poster"])
    await refused(public_client, "jaringan internal")
    assert external.requests == [], "the bot never connected"


async def test_a_name_that_answers_differently_at_connect_time_reaches_no_private_address(
        external: ExternalMedia, tmp_path, monkeypatch):
    """DNS rebinding: the name is public when checked, then points into the office's network
    when the connection is made. DNS is outside this machine, so its answers are played here."""
    loop = asyncio.get_running_loop()
    real = loop.getaddrinfo
    asked: list[str] = []

    async def rebinding(host, port, *args, **kwargs):
        if host != "poster.example":
            return await real(host, port, *args, **kwargs)
        asked.append(host)
        address = "93.184.216.34" if len(asked) == 1 else "127.0.0.1"  # public first, then local
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(loop, "getaddrinfo", rebinding)
    port = urlsplit(external.urls["poster"]).port
    with pytest.raises(ExternalRefused) as refused_link:
        await fetch_external(f"http://poster.example:{port}/poster.jpg", 10_000_000, tmp_path)
    assert refused_link.value.key == "line.external_failed"
    assert len(asked) == 2, "checked, then resolved again to connect"
    assert external.requests == [], "the bot never connected"


@pytest.mark.parametrize("kind", ["image", "video"])
async def test_a_poster_line_no_longer_holds_is_asked_for_again(client, line_server: LineEmulator, kind: str):
    """LINE keeps what users send for a while only: a message handled after its content expired
    (or redelivered late) finds the content API answering 404. The person is told and asked
    again; their answers are kept, and nothing is logged as an error."""
    data = b"\x00" * 64
    content = line_server.store_content(data, "image/jpeg" if kind == "image" else "video/mp4", kind)
    if kind == "video":
        content["duration"] = 5000
    del line_server.contents[content["id"]]  # expired before the bot fetched it
    assert await line_server.deliver([line_server.message_event(client, content)]) == 200
    gone = text_of(await client.next_message())
    assert "sudah tidak tersedia di LINE" in gone and "kirim ulang" in gone
    assert ASKED in text_of(await client.next_message()), "asked again"
    await client.send_image(poster_bytes())
    await expect(client, "Poster 1 diterima")
