"""Authority over the real bot and the emulated Bot API: button data is a pointer anyone can
forge, so what it opens is decided from the database at the press, and a refused or stale
press gets a clear answer (never "Maaf, terjadi gangguan")."""

from __future__ import annotations

from storage.repositories import Repos
from tests.e2e.bot_world import World, buttons_of, expect, submit, text_of

SECRETS = ("Seminar Nasional Kesehatan", "+6281234567890", "#sehat", "Sari /")
GLITCH = "terjadi gangguan"


async def returned(world: World) -> tuple[str, dict]:
    """A request returned to its requester (Sari): its code and the notice with Revisi."""
    code = await submit(world)
    card = await expect(world["koordinator"], code)
    await world["koordinator"].tap(card, "↩️ Kembalikan untuk revisi")
    await expect(world["koordinator"], "direvisi")
    await world["koordinator"].send("Caption: tambahkan lokasi acara")
    notice = await expect(world["client"], code, "dikembalikan untuk revisi")
    assert buttons_of(notice) == ["✏️ Revisi permohonan"]
    return code, notice


async def draft_of(world: World, user) -> tuple | None:
    async with world.app.db.reading() as tx:
        return await Repos(tx).drafts.get(await world.app.people.person("telegram", user.id))


async def press(world: World, user, data: str) -> list[dict]:
    """`user` presses a button carrying `data` under their last message; what the bot sends."""
    before = len(user.messages)
    message = user.messages[-1]
    query = await world.server.inject_callback(user, message, data)
    await world.server.wait_for(lambda: query in world.server.callback_answers)
    await world.server.wait_for(lambda: len(user.messages) > before)
    return user.messages[before:]


async def test_a_forged_revise_button_shows_nobody_else_the_request(world: World):
    code, _ = await returned(world)
    eko = world.server.user(8001, "Eko", language_code="id")
    await eko.send("/start")
    await expect(eko, "Selamat datang")
    for data in (f"i|revise|{code}", "i|revise|PUB-2026-0002", "i|revise|PUB-2099-0001"):
        [answer] = await press(world, eko, data)
        wanted = data.split("|")[2]
        assert text_of(answer) == (f"Permohonan {wanted} tidak dapat Anda buka: hanya pemohonnya "
                                   "yang dapat merevisinya.")
        assert not answer.get("photo") and buttons_of(answer) == []
    shown = " ".join(text_of(m) for m in eko.messages)
    assert not any(secret in shown for secret in SECRETS), shown
    assert await draft_of(world, eko) is None, "nothing of the request was copied to Eko"
    # a role holder is no requester either: the koordinator who returned it cannot open it
    [answer] = await press(world, world["koordinator"], f"i|revise|{code}")
    assert "hanya pemohonnya" in text_of(answer)
    state = await world.app.requests.get(code)
    assert (state.status, state.version) == ("returned", 1)


async def test_revise_on_a_request_that_is_not_returned_says_where_it_stands(world: World):
    code = await submit(world)
    await expect(world["koordinator"], code)
    [answer] = await press(world, world["client"], f"i|revise|{code}")
    assert text_of(answer) == (
        f"Permohonan {code} tidak sedang dikembalikan untuk revisi (status: diproses, langkah: "
        "Koordinator memeriksa permohonan); tombol Revisi ini sudah tidak berlaku. Lihat /status.")


async def test_a_stale_revise_after_version_2_is_refused_clearly(world: World):
    code, notice = await returned(world)
    client = world["client"]
    await client.tap(notice, "✏️ Revisi permohonan")
    summary = await expect(client, "Ringkasan permohonan", f"revisi {code}")
    await client.tap(summary, "✅ Kirim")
    await expect(client, "Revisi terkirim", "versi 2")
    await client.tap(notice, "✏️ Revisi permohonan")  # the old notice's button, once more
    answer = await expect(client, code, "tidak sedang dikembalikan")
    assert "status: diproses" in text_of(answer)
    assert GLITCH not in " ".join(text_of(m) for m in client.messages)


async def test_revise_twice_keeps_the_changes_made_and_never_drops_another_form(world: World):
    code, notice = await returned(world)
    client = world["client"]
    await client.tap(notice, "✏️ Revisi permohonan")
    summary = await expect(client, "Ringkasan permohonan", f"revisi {code}")
    await client.tap(summary, "✏️ Ubah")
    await client.tap(await expect(client, "Bagian mana"), "Caption")
    await expect(client, "caption")
    await client.send("Ayo hadiri! Lokasi: Aula FK")
    await expect(client, "Ringkasan permohonan", "Aula FK")
    await client.tap(notice, "✏️ Revisi permohonan")  # tapped again: the revision carries on
    await expect(client, "lanjutkan dari pertanyaan ini")
    await expect(client, "Ringkasan permohonan", "Aula FK")

    await client.send("/batal")
    await expect(client, "Pengisian dibatalkan")
    await client.send("/ajukan")
    await expect(client, "1. Apa judul acara")
    await client.send("Lomba Poster Gizi")
    await expect(client, "2. Nama institusi")
    await client.tap(notice, "✏️ Revisi permohonan")  # a new form is in progress: kept
    await expect(client, "Anda sedang mengisi permohonan lain", code)
    await expect(client, "2. Nama institusi")
    await client.send("HIMA Gizi")
    await expect(client, "3. Kirim poster")


async def test_send_on_a_revision_that_can_no_longer_go_in_is_a_clear_message(world: World):
    code, notice = await returned(world)
    client = world["client"]
    await client.tap(notice, "✏️ Revisi permohonan")
    summary = await expect(client, "Ringkasan permohonan", f"revisi {code}")
    person = await world.app.people.person("telegram", client.id)
    await world.app.requests.cancel(code, person)  # meanwhile, the request was withdrawn
    await client.tap(summary, "✅ Kirim")
    answer = await expect(client, code, "tidak sedang dikembalikan")
    assert "status: dibatalkan" in text_of(answer)
    await expect(client, f"Draf revisi {code} dihapus")
    assert GLITCH not in " ".join(text_of(m) for m in client.messages)
    await client.send("/ajukan")  # the dead draft is gone: a new form starts
    await expect(client, "1. Apa judul acara")
    state = await world.app.requests.get(code)
    assert (state.status, state.version) == ("cancelled", 1)


async def test_a_forged_approval_tap_tells_an_outsider_nothing_of_the_request(world: World):
    code = await submit(world)
    card = await expect(world["koordinator"], code)
    await world["koordinator"].tap(card, "✅ Setujui")
    await expect(world["client"], code, "Disetujui")
    eko = world.server.user(8001, "Eko", language_code="id")
    await eko.send("/start")
    await expect(eko, "Selamat datang")
    answers = []
    # the request that moved on, one that never existed, and a later step's button
    for data in (f"a|{code}|1|0|ap", "a|PUB-2099-0001|1|0|ap", f"a|{code}|1|1|ap"):
        query = await world.server.inject_callback(eko, eko.messages[-1], data)
        await world.server.wait_for(lambda q=query: q in world.server.callback_answers)
        answers.append(world.server.callback_answers[query]["text"])
    assert answers[0] == answers[1] == ("Anda tidak memegang peran Koordinator yang bertindak pada "
                                        "langkah ini.")
    assert answers[2] == "Anda tidak memegang peran Wakil Koordinator yang bertindak pada langkah ini."
    state = await world.app.requests.get(code)
    assert (state.step_id, state.version) == ("wakil_koordinator", 1)


async def test_a_press_under_a_message_in_a_group_answers_nothing_there(world: World):
    code, _ = await returned(world)
    client = world["client"]
    group = world.server.group(-1003001, "Grup BEM")
    group.add_member(client)
    group.add_bot(by=client)
    said = await client.send("halo semua", chat=group)
    for data in (f"i|revise|{code}", "s|0", "i|send|"):
        query = await world.server.inject_callback(client, said, data)
        await world.server.wait_for(lambda q=query: q in world.server.callback_answers)
        assert world.server.callback_answers[query]["text"] == "Tombol ini tidak dikenali."
    assert group.messages == [], "nothing of Sari's request was posted in the group"
    async with world.app.db.reading() as tx:
        assert await Repos(tx).subscribers.get("telegram", group.id) is None
    assert await draft_of(world, client) is None


async def targets(world: World) -> dict[str, list[str]]:
    async with world.app.db.reading() as tx:
        return {t["chat_id"]: t["audiences"] for t in await Repos(tx).targets.listing()}


async def test_a_channel_is_registered_only_when_a_role_holder_confirms_in_private(world: World):
    eko = world.server.user(8001, "Eko", language_code="id")
    await eko.send("/start")
    await expect(eko, "Selamat datang")
    channel = world.server.channel(-1004001, "Info Palsu")  # Eko's own channel
    channel.add_member(eko, "creator")
    channel.add_bot(admin=True, by=eko)
    await eko.send("/daftarkan mahasiswa", chat=channel)
    claim = await world.server.wait_for(lambda: channel.messages[-1] if channel.messages else None)
    assert "menunggu konfirmasi" in text_of(claim) and "Info Palsu" in text_of(claim)
    code = text_of(claim).split("/daftarkan ")[1].split()[0]
    assert await targets(world) == {}, "a channel post alone registers nothing"

    await eko.send(f"/daftarkan {code}")  # the channel's owner, who holds no role
    await expect(eko, "Hanya admin atau petugas")
    petugas = world["petugas"]
    await petugas.send("/daftarkan 00000000")
    await expect(petugas, "Kode pendaftaran tidak dikenal")
    await petugas.send("/daftarkan")
    await expect(petugas, "/daftarkan KODE")
    assert await targets(world) == {}

    await petugas.send(f"/daftarkan {code.lower()}")
    await expect(petugas, "Info Palsu terdaftar", "audiens: mahasiswa")
    assert await targets(world) == {"-1004001": ["mahasiswa"]}
    await petugas.send(f"/daftarkan {code}")  # once only
    await expect(petugas, "Kode pendaftaran tidak dikenal")


async def test_an_unknown_command_gets_a_short_help_and_the_form_carries_on(world: World):
    client = world["client"]
    await client.send("/help")
    helped = await expect(client, "Perintah /help tidak dikenal")
    assert "/ajukan" in text_of(helped) and "/status" in text_of(helped)
    await client.send("/ajukan")
    await expect(client, "1. Apa judul acara")
    await client.send("Seminar Nasional Kesehatan")
    await expect(client, "2. Nama institusi")
    await client.send("/ajukann")  # a typo of a command is no answer
    await expect(client, "Perintah /ajukann tidak dikenal")
    await expect(client, "2. Nama institusi")
    await client.send("BEM FK")
    await expect(client, "3. Kirim poster")
    stored = await draft_of(world, client)
    assert (stored[1]["data"]["title"], stored[1]["data"]["organisation"]) == (
        "Seminar Nasional Kesehatan", "BEM FK")
