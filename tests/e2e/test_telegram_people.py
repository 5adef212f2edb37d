"""People over the real bot and the emulated Bot API: the language each person reads, joining
a role with an invite code, what waits for a role holder (/antrian), and a client's own
requests (/status)."""

from __future__ import annotations

from tests.e2e.bot_world import (
    QUESTION,
    World,
    buttons_of,
    expect,
    intake_until,
    poster_bytes,
    submit,
    text_of,
)

CARD_BUTTONS = ["✅ Setujui", "❌ Tolak", "↩️ Kembalikan untuk revisi"]


async def test_english_telegram_user_reads_english_throughout(world: World):
    emma = world.server.user(6001, "Emma", language_code="en")
    await emma.send("/start")
    greeting = text_of(await emma.next_message())
    assert greeting.startswith("Welcome to the Humas publication service")
    assert "requests at least 1 days before the publication date" in greeting
    assert "/ajukan: request a publication" in greeting

    await emma.send("/ajukan")
    assert text_of(await emma.next_message()) == "1. What is the event or programme title?"
    await emma.send("Open Campus Day")
    assert text_of(await emma.next_message()) == "2. Which institution or organisation runs it?"
    await emma.send("International Office")
    assert text_of(await emma.next_message()).startswith("3. Send the poster")
    await emma.send("here it comes")  # a refusal in English too
    assert text_of(await emma.next_message()).startswith("Send the poster (a photo")
    assert text_of(await emma.next_message()).startswith("3. Send the poster")
    await emma.send_photo(poster_bytes())
    received = await emma.next_message()
    assert "Poster 1 received (1080×1350)" in text_of(received)
    assert buttons_of(received) == ["Next ➡️"]
    await emma.tap(received, "Next ➡️")
    assert text_of(await emma.next_message()) == "4. Write the complete caption to publish."
    await emma.send("Visit our campus! #opencampus")
    contact = await emma.next_message()
    assert text_of(contact).startswith("5. Contact person: write a name")
    assert emma.keyboard["keyboard"][0][0]["text"] == "📱 Share contact"
    await emma.send("Emma @emma_io")
    asked = await emma.next_message()
    assert text_of(asked).startswith("6. Desired publication date?")
    assert "The earliest: 27-11-2026" in text_of(asked)
    await emma.send("tomorrow")
    assert '"tomorrow" is not a date I recognise' in text_of(await emma.next_message())
    asked = await emma.next_message()
    await emma.send("26-11-2026")
    assert "The earliest date allowed is 27-11-2026" in text_of(await emma.next_message())
    asked = await emma.next_message()
    await emma.tap(asked, "28-11")
    slot = await emma.next_message()
    assert text_of(slot) == "7. Choose the publication time (WIB):"
    await emma.tap(slot, "13.00-16.00")
    notes = await emma.next_message()
    assert text_of(notes).startswith("8. Any special notes")
    await emma.tap(notes, "None")
    summary = await emma.next_message()
    for shown in ("Request summary", "Event or programme title: Open Campus Day",
                  "Contact person: Emma / @emma_io", "Publication date: 28 November 2026",
                  "Publication time slot: 13.00-16.00 WIB", "Special notes: None"):
        assert shown in text_of(summary)
    assert buttons_of(summary) == ["✅ Submit", "✏️ Change", "❌ Cancel"]
    await emma.tap(summary, "✅ Submit")
    receipt = text_of(await emma.next_message())
    assert receipt.startswith("✅ Request received.\nCode: PUB-2026-0001")
    assert "Next: Coordinator reviews the request (Coordinator)" in receipt
    # the coordinators still read Indonesian
    card = await expect(world["koordinator"], "PUB-2026-0001", "Koordinator memeriksa")
    assert buttons_of(card) == CARD_BUTTONS
    await world["koordinator"].tap(card, "✅ Setujui")
    notice = await expect(emma, "PUB-2026-0001")
    assert "Approved" in text_of(notice) and "Next: Deputy coordinator approves" in text_of(notice)


async def test_language_command_switches_to_english_and_back(world: World):
    client = world["client"]
    await client.send("/bahasa")
    assert text_of(await client.next_message()) == "Language: English."
    await client.send("/start")
    assert text_of(await client.next_message()).startswith("Welcome to the Humas publication service")
    await client.send("/ajukan")
    assert text_of(await client.next_message()) == "1. What is the event or programme title?"
    await client.send("Seminar Nasional Kesehatan")
    assert text_of(await client.next_message()).startswith("2. Which institution")

    await client.send("/bahasa")
    assert text_of(await client.next_message()) == "Bahasa: Indonesia."
    await client.send("/ajukan")  # the form in progress carries on, now in Indonesian
    assert "lanjutkan dari pertanyaan ini" in text_of(await client.next_message())
    assert text_of(await client.next_message()).startswith(QUESTION["organisation"])
    await client.send("/start")
    assert text_of(await client.next_message()).startswith("Selamat datang")


async def test_invite_code_grants_the_role_once(world: World):
    code = await world.app.people.invite("petugas", world.app.clock.now())
    nina = world.server.user(7001, "Nina", language_code="id")
    await nina.send("/start")
    await expect(nina, "Selamat datang")
    await nina.send("/peran")
    assert "Anda belum memegang peran" in text_of(await nina.next_message())

    await nina.send(f"/gabung {code}")
    assert text_of(await nina.next_message()) == "Selamat, Anda kini memegang peran Petugas."
    await nina.send("/peran")
    assert text_of(await nina.next_message()) == "Peran Anda: Petugas [petugas]"

    client = world["client"]  # the same code a second time, by someone else
    await client.send(f"/gabung {code}")
    assert text_of(await client.next_message()) == (
        "Kode undangan tidak dikenal, sudah dipakai, dicabut, atau kedaluwarsa.")
    await client.send("/peran")
    assert "Anda belum memegang peran" in text_of(await client.next_message())
    await nina.send(f"/gabung {code}")  # and by the one who used it
    assert "tidak dikenal, sudah dipakai" in text_of(await nina.next_message())

    await client.send("/gabung ZZZZ9999")
    assert "tidak dikenal, sudah dipakai" in text_of(await client.next_message())
    await client.send("/gabung")
    assert "/gabung KODE" in text_of(await client.next_message())
    assert await world.app.people.roles_of(await world.app.people.person("telegram", 1001)) == set()


async def test_queue_shows_the_cards_waiting_for_a_role_holder(world: World):
    koordinator, client = world["koordinator"], world["client"]
    for person in (koordinator, client, world["direktur"]):
        await person.send("/antrian")
        assert text_of(await person.next_message()) == "Tidak ada permohonan yang menunggu tindakan Anda."

    code = await submit(world)
    await expect(koordinator, code)  # the prompt the notifier sent
    await koordinator.send("/antrian")
    assert text_of(await koordinator.next_message()) == "1 permohonan menunggu tindakan Anda:"
    card = await koordinator.next_message()
    assert card.get("photo"), "the card shows the poster"
    assert f"📋 {code} (versi 1)" in text_of(card) and "Koordinator memeriksa permohonan" in text_of(card)
    assert "Seminar Nasional Kesehatan" in text_of(card)
    assert buttons_of(card) == CARD_BUTTONS

    await client.send("/antrian")  # the client's request waits for the coordinator, not for them
    assert "Tidak ada permohonan" in text_of(await client.next_message())

    query = await koordinator.tap(card, "✅ Setujui")  # the queue's card works like the prompt
    await world.server.wait_for(lambda: query in world.server.callback_answers)
    assert "Disetujui" in world.server.callback_answers[query]["text"]
    await expect(client, code, "Disetujui", "Berikutnya: Wakil Koordinator")
    await koordinator.send("/antrian")
    assert "Tidak ada permohonan" in text_of(await koordinator.next_message())
    await expect(world["wakil_koordinator"], code)
    await world["wakil_koordinator"].send("/antrian")
    assert text_of(await world["wakil_koordinator"].next_message()).startswith("1 permohonan")
    card = await world["wakil_koordinator"].next_message()
    assert "Wakil Koordinator menyetujui" in text_of(card) and buttons_of(card) == CARD_BUTTONS


async def test_a_decided_queue_card_says_so_and_loses_its_buttons(world: World):
    koordinator = world["koordinator"]
    code = await submit(world)
    await expect(koordinator, code)
    await koordinator.send("/antrian")
    await expect(koordinator, "1 permohonan menunggu")
    card = await koordinator.next_message()
    await koordinator.tap(card, "✅ Setujui")
    await expect(world["client"], code, "Disetujui")

    def decided():
        now = next(m for m in koordinator.messages if m["message_id"] == card["message_id"])
        return now if "Disetujui oleh Budi" in text_of(now) else None

    try:
        tapped = await world.server.wait_for(decided, timeout=2)
    except TimeoutError:
        tapped = next(m for m in koordinator.messages if m["message_id"] == card["message_id"])
    assert "Disetujui oleh Budi" in text_of(tapped)
    assert buttons_of(tapped) == []


async def test_status_lists_the_clients_own_requests_with_state_and_step(world: World):
    client, koordinator = world["client"], world["koordinator"]
    await client.send("/status")
    assert text_of(await client.next_message()) == "Anda belum punya permohonan. Ketik /ajukan."

    first = await submit(world)
    await client.send("/status")
    assert text_of(await client.next_message()) == (
        "Permohonan Anda:\n"
        f"• {first} v1: Seminar Nasional Kesehatan: diproses, langkah: Koordinator memeriksa permohonan"
    )

    card = await expect(koordinator, first)
    await koordinator.tap(card, "✅ Setujui")
    await expect(client, first, "Disetujui")
    second = await submit(world)
    card = await expect(koordinator, second)
    await koordinator.tap(card, "❌ Tolak")
    await expect(koordinator, "alasan penolakan")
    await koordinator.send("Tanggal bentrok dengan acara rektorat")
    await expect(client, second, "Ditolak")
    await expect(client, second, "ditolak dan ditutup")  # both notices in before /status

    await client.send("/status")
    lines = text_of(await client.next_message()).splitlines()
    assert lines == [
        "Permohonan Anda:",
        f"• {second} v1: Seminar Nasional Kesehatan: ditolak, langkah: Koordinator memeriksa permohonan",
        f"• {first} v1: Seminar Nasional Kesehatan: diproses, langkah: Wakil Koordinator menyetujui",
    ]
    await koordinator.send("/status")  # a reviewer's /status is their own requests, not others'
    await expect(koordinator, "Anda belum punya permohonan")


async def test_status_of_a_returned_request_says_it_waits_for_the_client(world: World):
    client, koordinator = world["client"], world["koordinator"]
    code = await submit(world)
    card = await expect(koordinator, code)
    await koordinator.tap(card, "↩️ Kembalikan untuk revisi")
    await expect(koordinator, "direvisi")
    await koordinator.send("Caption: tambahkan lokasi")
    await expect(client, code, "dikembalikan untuk revisi")
    await client.send("/status")
    assert f"• {code} v1: Seminar Nasional Kesehatan: dikembalikan untuk revisi" in text_of(
        await client.next_message()
    )


async def test_cancel_command_drops_a_reason_the_reviewer_was_asked_for(world: World):
    """A coordinator who tapped Tolak by mistake sends /batal; what they type next must not
    become a rejection reason."""
    koordinator = world["koordinator"]
    code = await submit(world)
    card = await expect(koordinator, code)
    await koordinator.tap(card, "❌ Tolak")
    await expect(koordinator, "alasan penolakan")
    await koordinator.send("/batal")
    assert text_of(await koordinator.next_message()) == (
        f"Dibatalkan: isian yang diminta untuk {code}. Belum ada tindakan yang dicatat."
    )
    await koordinator.send("maaf salah pencet")
    assert "Tidak ada pengisian yang berjalan" in text_of(await koordinator.next_message())
    state = await world.app.requests.get(code)
    assert (state.status, state.step_id) == ("active", "koordinator")
    query = await koordinator.tap(card, "✅ Setujui")
    await world.server.wait_for(lambda: query in world.server.callback_answers)
    await expect(world["client"], code, "Disetujui")


async def test_queue_command_mid_intake_leaves_the_form_where_it_was(world: World):
    """/antrian while filling the form: the next answer still goes to the form."""
    client = world["client"]
    await intake_until(world, "organisation")
    await client.send("/antrian")
    assert "Tidak ada permohonan" in text_of(await client.next_message())
    await client.send("BEM FK Universitas Jember")
    assert text_of(await client.next_message()).startswith(QUESTION["media"])


async def test_start_tells_a_role_holder_the_roles_and_what_reaches_them(world: World):
    """Beyond the client's greeting: the roles held, the cards that will come at each of their
    steps, reminders, escalations and the monthly report where the flow names their role."""
    budi, dedi, putri, client = world["koordinator"], world["direktur"], world["petugas"], world["client"]
    notes = {}
    for name, holder in (("koordinator", budi), ("direktur", dedi), ("petugas", putri)):
        await holder.send("/start")
        await expect(holder, "Selamat datang di layanan publikasi Humas")  # the greeting comes first
        notes[name] = text_of(await holder.next_message())
    assert notes["koordinator"].startswith("Anda memegang peran Koordinator. Yang akan sampai kepada Anda")
    assert ("kartu permohonan untuk ditindaklanjuti, dengan tombolnya, di langkah 1 dari 5: "
            "Koordinator memeriksa permohonan (standar waktu 2 jam)") in notes["koordinator"]
    assert "pengingat saat 75% standar waktu berlalu" in notes["koordinator"]
    assert "/antrian: permohonan yang menunggu tindakan Anda" in notes["koordinator"]
    for absent in ("/laporan", "/daftarkan", "langkah 2 dari 5"):
        assert absent not in notes["koordinator"]
    # lateness goes to the role above: the wakil koordinator's (step 2) to the koordinator
    assert "melewati batas waktu di langkah 2 (peran di bawah Anda)" in notes["koordinator"]
    assert "langkah 3 dari 5: Direktur menyetujui publikasi (standar waktu 1 hari)" in notes["direktur"]
    assert "melewati batas waktu di langkah 1 (peran di bawah Anda)" in notes["direktur"]
    assert "laporan monev setiap awal bulan" in notes["direktur"] and "/laporan" in notes["direktur"]
    assert "langkah 4 dari 5: Petugas mempublikasikan" in notes["petugas"]
    assert "langkah 5 dari 5" in notes["petugas"]
    assert "/daftarkan di grup atau kanal" in notes["petugas"]

    await client.send("/start")  # a client holds no role: the greeting alone
    await expect(client, "Selamat datang")
    await client.send("/status")
    assert text_of(await client.next_message()).startswith("Anda belum punya permohonan")
