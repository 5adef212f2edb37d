"""End to end over HTTP: the real bot, the emulated Bot API, several people in their chats."""

from __future__ import annotations

from tests.e2e.bot_world import World, buttons_of, expect, fill_intake, poster_bytes, submit, text_of


async def test_full_request_on_the_default_flow_reaches_the_publish_step(world: World):
    summary = await fill_intake(world)
    text = text_of(summary)
    assert summary.get("photo"), "the summary shows the poster"
    for shown in ("Seminar Nasional Kesehatan", "BEM FK Universitas Jember", "Sari / +6281234567890",
                  "28 November 2026", "08.00-10.00 WIB", "#sehat"):
        assert shown in text
    assert buttons_of(summary) == ["✅ Kirim", "✏️ Ubah", "❌ Batal"]

    await world["client"].tap(summary, "✅ Kirim")
    receipt = await expect(world["client"], "Permohonan diterima")
    assert "Kode: PUB-2026-0001" in text_of(receipt)
    assert "[PUBLIKASI] SEMINAR NASIONAL KESEHATAN_BEM FK UNIVERSITAS JEMBER" in text_of(receipt)

    # both coordinators get the card with the poster and the step's buttons
    cards = {name: await expect(world[name], "PUB-2026-0001", "Koordinator memeriksa")
             for name in ("koordinator", "koordinator2")}
    for card in cards.values():
        assert card.get("photo") and "Standar waktu: 2 jam" in text_of(card)
        assert "Batas: 26-11-2026 11.00 WIB" in text_of(card)
        assert buttons_of(card) == ["✅ Setujui", "❌ Tolak", "↩️ Kembalikan untuk revisi"]

    query = await world["koordinator"].tap(cards["koordinator"], "✅ Setujui")
    await world.server.wait_for(lambda: query in world.server.callback_answers)
    assert "Disetujui" in world.server.callback_answers[query]["text"]
    # the other coordinator's card now says who decided, and has no buttons left
    other = cards["koordinator2"]["message_id"]

    def edited():
        now = next(m for m in world["koordinator2"].messages if m["message_id"] == other)
        return now if "Disetujui oleh Budi" in text_of(now) else None

    edited_card = await world.server.wait_for(edited)
    assert buttons_of(edited_card) == []
    await expect(world["client"], "PUB-2026-0001", "Disetujui", "Berikutnya: Wakil Koordinator")

    for name, step in (("wakil_koordinator", "Wakil Koordinator menyetujui"),
                       ("direktur", "Direktur menyetujui")):
        card = await expect(world[name], "PUB-2026-0001", step)
        await world[name].tap(card, "✅ Setujui")
        await expect(world["client"], "PUB-2026-0001", "Disetujui")

    publish = await expect(world["petugas"], "PUB-2026-0001", "Petugas mempublikasikan")
    assert buttons_of(publish)[-2:] == ["📢 Sebarkan sekarang", "🕒 Jadwalkan sesuai permintaan"]
    assert (await world.app.requests.get("PUB-2026-0001")).step_id == "publikasi"


async def test_the_clients_poster_goes_back_out_without_a_second_upload(world: World):
    """Summary and approvers' cards reuse the photo already on Telegram (its file_id)."""
    summary = await fill_intake(world)
    await world["client"].tap(summary, "✅ Kirim")
    card = await expect(world["koordinator"], "PUB-2026-0001")
    await expect(world["koordinator2"], "PUB-2026-0001")
    sent = [call.params["photo"] for call in world.server.calls if call.method == "sendPhoto"]
    assert len(sent) >= 3, "the summary and both coordinators' cards"
    assert all(isinstance(photo, str) for photo in sent), "no poster bytes were uploaded"
    original = world.server.files[sent[0]].data
    assert original == poster_bytes()
    shown = card["photo"][-1]["file_id"]
    assert world.server.files[shown].data == original


async def test_rejection_reason_reaches_the_client(world: World):
    code = await submit(world)
    card = await expect(world["koordinator"], code)
    await world["koordinator"].tap(card, "❌ Tolak")
    await expect(world["koordinator"], "alasan penolakan")
    await world["koordinator"].send("Poster memuat logo sponsor rokok")
    notice = await expect(world["client"], code, "Ditolak")
    assert "Poster memuat logo sponsor rokok" in text_of(notice)
    assert (await world.app.requests.get(code)).status == "rejected"


async def test_return_for_revision_and_version_2(world: World):
    code = await submit(world)
    card = await expect(world["koordinator"], code)
    await world["koordinator"].tap(card, "↩️ Kembalikan untuk revisi")
    await expect(world["koordinator"], "direvisi")
    await world["koordinator"].send("Caption: tambahkan lokasi acara")
    returned = await expect(world["client"], code, "dikembalikan untuk revisi", "tambahkan lokasi")
    await world["client"].tap(returned, "✏️ Revisi permohonan")
    summary = await expect(world["client"], "Ringkasan permohonan", f"revisi {code}")
    await world["client"].tap(summary, "✏️ Ubah")
    choose = await expect(world["client"], "Bagian mana")
    await world["client"].tap(choose, "Caption")
    await expect(world["client"], "caption")
    await world["client"].send("Ayo hadiri! Lokasi: Aula FK Universitas Jember")
    summary = await expect(world["client"], "Ringkasan permohonan", "Aula FK")
    assert "Seminar Nasional Kesehatan" in text_of(summary), "the other answers are kept"
    await world["client"].tap(summary, "✅ Kirim")
    await expect(world["client"], "Revisi terkirim", "versi 2")
    card = await expect(world["koordinator"], code, "versi 2", "Aula FK")
    assert buttons_of(card)[0] == "✅ Setujui"
    state = await world.app.requests.get(code)
    assert (state.version, state.step_id, state.status) == (2, "koordinator", "active")


async def test_forged_and_unauthorised_taps_change_nothing(world: World):
    code = await submit(world)
    card = await expect(world["koordinator"], code)
    # a tap by someone without the role, on a copy of the real button data
    outsider = world["client"]
    data = card["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    forged_message = await world.server.wait_for(lambda: outsider.messages[-1])
    query = await world.server.inject_callback(outsider, forged_message, data)
    await world.server.wait_for(lambda: query in world.server.callback_answers)
    assert "tidak memegang peran Koordinator" in world.server.callback_answers[query]["text"]
    # forged data: a made-up act, and a made-up request
    for forged in ("a|PUB-2026-0001|1|0|zz", "a|PUB-2099-9999|1|0|ap", "x" * 10):
        query = await world.server.inject_callback(world["koordinator"], card, forged)
        await world.server.wait_for(lambda q=query: q in world.server.callback_answers)
        assert world.server.callback_answers[query]["text"]
    # a second tap after deciding: stale
    await world["koordinator"].tap(card, "✅ Setujui")
    await expect(world["client"], code, "Disetujui")
    query = await world.server.inject_callback(world["koordinator2"], card, data)
    await world.server.wait_for(lambda: query in world.server.callback_answers)
    assert "tidak aktif" in world.server.callback_answers[query]["text"]
    state = await world.app.requests.get(code)
    assert (state.step_id, state.version) == ("wakil_koordinator", 1)
