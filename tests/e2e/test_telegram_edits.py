"""A client edits a message they sent during the intake, over the real bot and the emulated Bot
API: an edited answer corrects that answer (checked as the first one was) and the bot says so;
an edit is never taken as the answer to the question being asked; an edit that changes
nothing, or of a message that answered nothing, gets no reply at all."""

from __future__ import annotations

import asyncio

from bot.emulator.telegram import SimUser
from tests.e2e.bot_world import QUESTION, SUMMARY, World, expect, intake_from, poster_bytes, text_of

TITLE, ORGANISATION = "Seminar Nasional Kesehatan", "BEM FK Universitas Jember"
CORRECTED = "✏️ Jawaban diperbarui"


async def nothing_more(client: SimUser, seconds: float = 0.6) -> None:
    """The bot sends this client nothing (within a while)."""
    before = len(client.messages)
    await asyncio.sleep(seconds)
    assert len(client.messages) == before, f"unexpected: {text_of(client.messages[-1])[:200]}"


async def until_media(world: World) -> tuple[dict, dict, dict, dict]:
    """/ajukan, title, organisation: (the /ajukan message, the title's, the organisation's,
    the question asking for the poster)."""
    client = world["client"]
    command = await client.send("/ajukan")
    await expect(client, QUESTION["title"])
    title = await client.send(TITLE)
    await expect(client, QUESTION["organisation"])
    organisation = await client.send(ORGANISATION)
    asked = await expect(client, QUESTION["media"])
    return command, title, organisation, asked


async def test_editing_an_earlier_answer_corrects_it_and_the_intake_goes_on(world: World) -> None:
    client = world["client"]
    _, title, _, _ = await until_media(world)
    await client.edit(title, "Seminar Nasional Gizi")
    note = await client.next_message()
    assert CORRECTED in text_of(note) and "Seminar Nasional Gizi" in text_of(note)
    asked = await client.next_message()
    assert QUESTION["media"] in text_of(asked), "the question it was at, asked again"
    summary = await intake_from(world, "media", asked)
    assert "Judul acara/program: Seminar Nasional Gizi" in text_of(summary)
    assert f"Judul acara/program: {TITLE}" not in text_of(summary)
    assert ORGANISATION in text_of(summary)


async def test_an_edit_is_never_the_answer_to_the_current_question(world: World) -> None:
    """The issue's case: the title's message edited (a link preview appearing) while the
    organisation is asked must not become the organisation."""
    client = world["client"]
    await client.send("/ajukan")
    await expect(client, QUESTION["title"])
    title = await client.send("Seminar Nasional https://fk.unej.ac.id")
    await expect(client, QUESTION["organisation"])
    await client.edit(title, link_preview_options={"url": "https://fk.unej.ac.id"})
    await nothing_more(client)
    await client.send(ORGANISATION)
    asked = await expect(client, QUESTION["media"])
    summary = await intake_from(world, "media", asked)
    assert "Judul acara/program: Seminar Nasional https://fk.unej.ac.id" in text_of(summary)
    assert f"Nama institusi/organisasi: {ORGANISATION}" in text_of(summary)


async def test_a_correction_that_breaks_a_rule_is_refused_and_the_answer_kept(world: World) -> None:
    client = world["client"]
    _, _, organisation, _ = await until_media(world)
    await client.edit(organisation, "x" * 201)
    refusal = await client.next_message()
    assert "tidak dapat dipakai" in text_of(refusal) and "200" in text_of(refusal)
    assert QUESTION["media"] in text_of(await client.next_message())
    summary = await intake_from(world, "media", client.messages[-1])
    assert ORGANISATION in text_of(summary)


async def test_edits_of_messages_that_answered_nothing_get_no_reply(world: World) -> None:
    client = world["client"]
    command, title, _, _ = await until_media(world)
    await client.edit(command, "/ajukan lagi")  # a command is no answer
    await client.edit(title, TITLE)  # the same text: nothing changed
    refused = await client.send("bukan poster")  # refused, so it answered nothing
    await expect(client, QUESTION["media"])
    await client.edit(refused, "masih bukan poster")
    await nothing_more(client)


async def test_a_correction_at_the_summary_shows_the_summary_again(world: World) -> None:
    client = world["client"]
    _, title, _, asked = await until_media(world)
    await intake_from(world, "media", asked)
    await client.edit(title, "Webinar Kesehatan Mental")
    assert CORRECTED in text_of(await client.next_message())
    summary = await client.next_message()
    assert SUMMARY in text_of(summary) and "Webinar Kesehatan Mental" in text_of(summary)
    await client.tap(summary, "✅ Kirim")
    receipt = await expect(client, "Permohonan diterima")
    code = text_of(receipt).split("Kode: ")[1].split()[0]
    await client.edit(title, "Judul sesudah dikirim")  # the request has left the draft
    await nothing_more(client)
    assert (await world.app.requests.get(code)).content.title == "Webinar Kesehatan Mental"


async def test_a_poster_replaced_by_an_edit_is_explained_and_the_received_one_kept(world: World) -> None:
    client = world["client"]
    await until_media(world)
    photo = await client.send_photo(poster_bytes())
    received = await expect(client, "Poster 1 diterima")
    await client.edit(photo, caption="poster kami")  # the same photo with a caption: nothing
    await nothing_more(client)
    other = world.server._store_file(poster_bytes(1080, 1080), "photo", mime_type="image/jpeg")
    await client.edit(photo, photo=other.photo_sizes)
    assert "Poster tidak diganti" in text_of(await client.next_message())
    await client.next_message()  # the poster question again, with Lanjut
    await client.tap(received, "Lanjut ➡️")
    summary = await intake_from(world, "caption", await expect(client, QUESTION["caption"]))
    assert "gambar 1080×1350" in text_of(summary)
