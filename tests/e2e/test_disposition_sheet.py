"""The card is the disposition sheet: on each of the five SOPs, what one official writes
reaches whoever acts next (a disposition, an instruction, the reason of a NO), on Telegram
and on LINE, end to end through the real bot and the two emulators."""

from __future__ import annotations

import asyncio
from zoneinfo import ZoneInfo

import pytest

from storage.repositories import Repos
from tests.e2e import bot_world
from tests.e2e.line_fixtures import line_server as line_server  # noqa: F401 - the fixture
from tests.e2e.office import Office, before, docx, office, submit
from tests.e2e.telegram_fixtures import telegram_server as telegram_server  # noqa: F401

PLATFORMS = ["telegram", "line"]
WIB = ZoneInfo("Asia/Jakarta")
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


async def staff(place: Office, platform: str, people: dict[str, tuple[str, str | None]]) -> None:
    """Everyone of the office on one platform: name -> (display name, role)."""
    for number, (name, (display, role)) in enumerate(people.items(), start=1):
        await place.join(name, display, platform, role, telegram_id=1000 + number)


@pytest.fixture(params=PLATFORMS)
def platform(request) -> str:
    return request.param


# Universitas Jember: dispositions and instructions down the hierarchy ------------------------

UNEJ = {"client": ("Sari", None), "wr3": ("Prof. Andi", "wakil_rektor_3"),
        "bpkh": ("Bambang", "kepala_bpkh"), "pkih": ("Citra", "koordinator_pkih"),
        "wakil": ("Wati", "wakil_koordinator_humas"), "petugas": ("Putri", "petugas")}


async def test_unej_each_official_reads_the_note_of_the_one_before(
        telegram_server, line_server, tmp_path, clock, platform):
    async with office("unej", telegram_server, line_server, tmp_path, clock) as unej:
        await staff(unej, platform, UNEJ)
        code = await submit(unej["client"])

        await unej["wr3"].sees(code, "Langkah 1 dari 7")
        unej.later()
        await unej["wr3"].tap("📨 Disposisi")
        await unej["wr3"].sees("Tulis catatan disposisi")
        await unej["wr3"].say("Mohon segera ditindaklanjuti, acara mitra strategis")

        card = await unej["bpkh"].sees(code, "Langkah 2 dari 7")
        assert "📨 Disposisi dari Wakil Rektor III (Prof. Andi)" in card
        assert before(card, "Mohon segera ditindaklanjuti, acara mitra strategis", "Subjek:"), card
        unej.later()
        await unej["bpkh"].tap("⬜ instagram")
        await unej["bpkh"].answered("Pilihan kanal: instagram")
        await unej["bpkh"].tap("⬜ website")
        await unej["bpkh"].answered("Pilihan kanal: instagram, website")
        await unej["bpkh"].tap("💾 Simpan pilihan kanal")

        card = await unej["pkih"].sees(code, "Langkah 3 dari 7")
        assert "Media dipilih oleh Kepala BPKH (Bambang)" in card and "instagram, website" in card
        assert "Mohon segera ditindaklanjuti" in card, "the disposition stays on the sheet"
        unej.later()
        await unej["pkih"].tap("📨 Instruksikan")
        await unej["pkih"].sees("Tulis instruksi")
        await unej["pkih"].say("Cek detail narasi dan jadwal")

        card = await unej["wakil"].sees(code, "Langkah 4 dari 7")
        assert before(card, "Instruksi dari Koordinator PKIH (Citra)", "Cek detail narasi dan jadwal")
        assert before(card, "Cek detail narasi dan jadwal", "Subjek:")
        unej.later()
        await unej["wakil"].tap("✅ Setujui")
        await unej["wakil"].sees(code, "Langkah 5 dari 7")
        unej.later()
        await unej["wakil"].tap("📨 Instruksikan")
        await unej["wakil"].sees("Tulis instruksi")
        await unej["wakil"].say("Sebarkan ke mahasiswa dan dosen hari ini")

        card = await unej["petugas"].sees(code, "Langkah 6 dari 7")
        assert before(card, "Instruksi dari Wakil Koordinator Humas (Wati)", "Subjek:")
        assert "Sebarkan ke mahasiswa dan dosen hari ini" in card
        for earlier in ("Didisposisikan · Wakil Rektor III (Prof. Andi)", "Mohon segera ditindaklanjuti",
                        "Kanal dipilih · Kepala BPKH (Bambang)", "Cek detail narasi dan jadwal",
                        "Disetujui · Wakil Koordinator Humas (Wati)"):
            assert earlier in card, earlier
        assert "Belum ada audiens dipilih: Sebarkan mengirim ke SEMUA audiens" in card


# RSPON: the Direksi's NO goes back to editing with its reason; history stays true -----------

RSPON = {"client": ("Unit Rehab", None), "ipkp": ("Ika", "ipkp"), "sub": ("Sutrisno", "subkoordinator_humas"),
         "humas": ("Tia", "tim_humas"), "koor": ("Kurnia", "koordinator_substansi"),
         "direksi": ("dr. Dewi", "direksi")}


async def upload_poster(person, code: str, side: int) -> None:
    """A square poster: sides differ so that each upload is a new file."""
    await person.tap("📤 Unggah hasil")
    await person.sees("Kirim hasil langkah ini", code)
    await person.send_photo(bot_world.poster_bytes(side, side))


async def test_rspon_the_direksi_reason_reaches_the_editors_first(
        telegram_server, line_server, tmp_path, clock, platform):
    async with office("rspon", telegram_server, line_server, tmp_path, clock) as rspon:
        await staff(rspon, platform, RSPON)
        code = await submit(rspon["client"])
        await rspon["ipkp"].sees(code, "Langkah 2 dari 8")
        await upload_poster(rspon["ipkp"], code, 1080)

        card = await rspon["sub"].sees(code, "Langkah 3 dari 8")
        assert "Hasil dari Instalasi Promosi Kesehatan dan Pemasaran (IPKP) (Ika)" in card
        rspon.later()
        await rspon["sub"].tap("📨 Disposisi")
        await rspon["sub"].sees("Tulis catatan disposisi")
        await rspon["sub"].say("Rapikan tipografi dan tambahkan jadwal layanan")

        card = await rspon["humas"].sees(code, "Langkah 4 dari 8")
        assert before(card, "Disposisi dari Sub Koordinator", "Subjek:")
        assert before(card, "Rapikan tipografi dan tambahkan jadwal layanan", "Subjek:")
        rspon.later()
        await notices_recorded(rspon, code)
        await upload_poster(rspon["humas"], code, 1200)
        await rspon["humas"].sees("Hasil diunggah oleh Tia")

        card = await rspon["sub"].sees(code, "Langkah 5 dari 8")
        assert "Versi 3: Poster/video diubah" in card
        await rspon["sub"].tap("✅ Setujui")
        await rspon["koor"].sees(code, "Langkah 6 dari 8")
        await rspon["koor"].tap("📨 Instruksikan")
        await rspon["koor"].sees("Tulis instruksi")
        await rspon["koor"].say("Mohon persetujuan unggah")

        card = await rspon["direksi"].sees(code, "Langkah 7 dari 8")
        assert before(card, "Instruksi dari Koordinator Kelompok Substansi", "Mohon persetujuan unggah")
        rspon.later(20)
        await rspon["direksi"].tap("❌ Tolak")
        await rspon["direksi"].sees("alasan penolakan")
        await rspon["direksi"].say("Logo Kemenkes harus di kiri atas")

        card = await rspon["humas"].sees(code, "Langkah 4 dari 8", "Logo Kemenkes")
        assert card.index("Dikembalikan (TIDAK) oleh Direksi RSPON (dr. Dewi)") < card.index("Subjek:")
        assert before(card, "Logo Kemenkes harus di kiri atas", "Subjek:")
        assert "TIDAK, kembali ke langkah 4" in card

        # round 2 of row 4: Tia uploads again; her round-1 card keeps saying round 1
        rspon.later(20)
        second_round = rspon.app.clock.now().astimezone(WIB).strftime("%d-%m-%Y %H.%M")
        await notices_recorded(rspon, code)  # the card is in the chat; its row may not say so yet
        await upload_poster(rspon["humas"], code, 1100)
        await rspon["sub"].sees(code, "Langkah 5 dari 8", "Versi 4")
        if platform == "telegram":
            await assert_rounds_kept(rspon, code)
        else:  # LINE cannot edit: who decided comes as a message, for this round's card only
            await rspon["humas"].has_seen(f"📋 {code}", "Hasil diunggah oleh Tia", second_round)
            await rspon.platforms.line.wait_idle()  # the upload's handling, edits included, is over
            decided = [t for t in rspon["humas"].transcript().split("\n") if t.startswith(f"📋 {code}: ")]
            assert len(decided) == 2, "one per round: round 2's upload said nothing to round 1's card"


async def notices_recorded(place: Office, code: str) -> None:
    """Every notice of the request marked sent: a prompt is edited once decided only when its
    row says where it went (a holder who acts within milliseconds of the card is not this test)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while True:
        async with place.app.db.reading() as tx:
            rows = await Repos(tx).outbox.for_request(await Repos(tx).requests.id_of(code), "notice")
        if all(row["status"] != "pending" for row in rows):
            return
        assert loop.time() < deadline, "notices still pending"
        await asyncio.sleep(0.05)  # polling the database: nothing to wait on instead


async def assert_rounds_kept(rspon: Office, code: str) -> None:
    """Tia's two prompts for row 4 (the card's last message, with its buttons), each edited
    once, when she acted in its own round: round 2 did not overwrite round 1's."""
    tia = rspon["humas"].user
    edits = rspon.telegram.edit_history

    def prompts() -> list[dict]:
        return [m for m in tia.messages if any("Langkah 4 dari 8" in bot_world.text_of(old)
                                                for old in edits.get((tia.id, m["message_id"]), []))]

    # the edits go in the prompts' order: an edit of round 1 by round 2 would come first
    await rspon.telegram.wait_for(lambda: len(prompts()) == 2, what="both rounds' prompts edited")
    assert all(len(edits[(tia.id, m["message_id"])]) == 1 for m in prompts()), "each edited once"
    first, second = (bot_world.text_of(m) for m in prompts())
    assert "Hasil diunggah oleh Tia" in first and "Hasil diunggah oleh Tia" in second
    assert first != second, "each says the time of its own round"


# UB FISIP: the coordinator's NO on the design, numbered as the SOP's rows ---------------------

UB = {"client": ("Himpunan", None), "staf": ("Lala", "staf_kehumasan"),
      "koor": ("Dr. Kurnia", "koordinator_kehumasan")}


async def test_ub_the_coordinators_reason_reaches_the_staff(
        telegram_server, line_server, tmp_path, clock, platform):
    async with office("ub-fisip", telegram_server, line_server, tmp_path, clock) as ub:
        await staff(ub, platform, UB)
        code = await submit(ub["client"])
        await ub["staf"].sees(code, "Langkah 2 dari 11")
        await ub["staf"].tap("📨 Instruksikan")
        await ub["staf"].sees("Tulis instruksi")
        await ub["staf"].say("Konsep: carousel 5 slide, warna FISIP")
        card = await ub["staf"].sees(code, "Langkah 3 dari 11")
        assert "Konsep: carousel 5 slide, warna FISIP" in card
        await ub["staf"].tap("📨 Instruksikan")
        await ub["staf"].sees("Tulis instruksi")
        await ub["staf"].say("-")
        await ub["staf"].sees(code, "Langkah 4 dari 11")
        await upload_poster(ub["staf"], code, 1080)

        card = await ub["koor"].sees(code, "Langkah 5 dari 11")
        assert "Konsep: carousel 5 slide, warna FISIP" in card, "the concept reaches the coordinator"
        ub.later()
        await ub["koor"].tap("❌ Tolak")
        await ub["koor"].sees("alasan penolakan")
        await ub["koor"].say("Warna belum sesuai pedoman identitas FISIP")

        card = await ub["staf"].sees(code, "Langkah 4 dari 11", "Warna belum sesuai")
        assert before(card, "Dikembalikan (TIDAK) oleh Koordinator Kehumasan (Dr. Kurnia)", "Subjek:")
        assert before(card, "Warna belum sesuai pedoman identitas FISIP", "Subjek:")


# BKK Palembang: a written article, two NOs with reasons, the assignment, the website ---------

BKK = {"client": ("Subbag Umum", None), "ppid": ("Pandu", "tim_ppid"), "pranata": ("Rina", "pranata_humas"),
       "kepala": ("dr. Hadi", "kepala_balai")}
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
ARTICLE = ("Palembang (26/11) - BKK Kelas I Palembang menggelar vaksinasi bagi calon jemaah umrah.",
           "Kegiatan berlangsung di kantor BKK, diikuti 120 peserta.")


async def test_bkk_the_article_the_reasons_and_the_assignment_reach_the_next_official(
        telegram_server, line_server, tmp_path, clock, platform):
    async with office("bkk-palembang", telegram_server, line_server, tmp_path, clock) as bkk:
        await staff(bkk, platform, BKK)
        code = await submit(bkk["client"])
        await bkk["ppid"].sees(code, "Langkah 2 dari 9")
        await bkk["ppid"].tap("📨 Instruksikan")
        await bkk["ppid"].sees("Tulis instruksi")
        await bkk["ppid"].say("Tulis berita 5W+1H, kirim sebelum pukul 14.00")

        card = await bkk["pranata"].sees(code, "Langkah 3 dari 9")
        assert before(card, "Instruksi dari Tim PPID (Pandu)", "Tulis berita 5W+1H, kirim sebelum")
        await bkk["pranata"].tap("📝 Kirim tulisan")
        await bkk["pranata"].sees("Kirim hasil langkah ini", ".docx")
        await bkk["pranata"].send_file(docx(*ARTICLE), "berita-vaksinasi.docx", DOCX)

        card = await bkk["ppid"].sees(code, "Langkah 4 dari 9")
        assert "📝 Tulisan (versi 2" in card and ARTICLE[0] in card and ARTICLE[1] in card
        bkk.later()
        await bkk["ppid"].tap("❌ Tolak")
        await bkk["ppid"].sees("alasan penolakan")
        await bkk["ppid"].say("Lengkapi unsur why: alasan vaksinasi")

        card = await bkk["pranata"].sees(code, "Langkah 3 dari 9", "unsur why")
        assert before(card, "Dikembalikan (TIDAK) oleh Tim PPID (Pandu)", "Subjek:")
        bkk.later()
        await bkk["pranata"].tap("📝 Kirim tulisan")
        await bkk["pranata"].sees("Kirim hasil langkah ini")
        revised = f"{ARTICLE[0]} Vaksinasi meningitis wajib bagi jemaah. {ARTICLE[1]}"
        await bkk["pranata"].say(revised)

        await bkk["ppid"].sees(code, "Langkah 4 dari 9", "Vaksinasi meningitis wajib")
        await bkk["ppid"].tap("✅ Setujui")
        await bkk["ppid"].sees("Kirim hasil koreksi", "Ketik -")
        final = revised.replace("Kegiatan berlangsung", "Kegiatan vaksinasi berlangsung")
        await bkk["ppid"].say(final)

        card = await bkk["kepala"].sees(code, "Langkah 5 dari 9")
        assert "Kegiatan vaksinasi berlangsung" in card and "Tulisan diubah" in card
        bkk.later()
        await bkk["kepala"].tap("❌ Tolak")
        await bkk["kepala"].sees("alasan penolakan")
        await bkk["kepala"].say("Judul kurang tegas")

        card = await bkk["ppid"].sees(code, "Langkah 4 dari 9", "Judul kurang tegas")
        assert before(card, "Dikembalikan (TIDAK) oleh Kepala Balai (dr. Hadi)", "Subjek:")
        await bkk["ppid"].tap("✅ Setujui")
        await bkk["ppid"].sees("Kirim hasil koreksi", "dokumen PDF")
        await bkk["ppid"].send_file(PDF, "berita-final.pdf", "application/pdf")  # kept as it is
        card = await bkk["kepala"].sees(code, "Langkah 5 dari 9", "Dokumen: berita-final.pdf")
        assert "Kegiatan vaksinasi berlangsung" in card, "the text stays beside the document"
        await bkk["kepala"].has_seen(platform_document(platform, "berita-final.pdf"))
        if platform == "telegram":
            # the month's report (a CSV) may come too: BKK's evaluation is monthly
            sent = [m["document"] for m in bkk["kepala"].user.messages if "document" in m
                    and not m["document"]["file_name"].startswith("monev-")]
            assert [d["file_name"] for d in sent] == ["berita-final.pdf"]
            assert bkk.telegram.files[sent[0]["file_id"]].data == PDF
        await bkk["kepala"].tap("✅ Setujui")
        await bkk["kepala"].sees(code, "Langkah 6 dari 9")
        await bkk["kepala"].tap("📨 Instruksikan")
        await bkk["kepala"].sees("Tulis instruksi")
        await bkk["kepala"].say("Unggah hari ini, website dan Instagram")

        card = await bkk["ppid"].sees(code, "Langkah 7 dari 9")
        assert before(card, "Instruksi dari Kepala Balai (dr. Hadi)", "Unggah hari ini, website")
        assert "Teks yang disebarkan: tulisan di atas" in card
        reach = "0 kanal, 0 grup, 4 orang" if platform == "line" else "0 kanal, 0 grup, 0 orang"
        for audience in ("masyarakat", "pegawai", "mitra"):  # LINE's followers take every audience
            assert f"• {audience}: {reach}" in card
        await bkk["ppid"].tap("📢 Sebarkan sekarang")
        await bkk["ppid"].sees("SEMUA: masyarakat, pegawai, mitra")
        await bkk["ppid"].sees("Kanal yang diposting manual", code)
        await bkk["ppid"].tap("⬜ website")
        await bkk["ppid"].sees("Kirim tautan postingan website")
        request = await bkk.app.requests.get(code)
        assert request.content.text == final, "the corrected article travels with the request"


def platform_document(platform: str, name: str) -> str:
    """How a document shows in the chat: on LINE a link to it (bots cannot send files there);
    on Telegram the file itself, whose message has no text (so nothing to look for)."""
    return f"📎 {name}: https://" if platform == "line" else ""


# ISMKI: the client confirms on LINE; ICT's NO reaches the client with its reason ------------


async def test_ismki_the_reason_of_the_quality_control_no_reaches_the_client(
        telegram_server, line_server, tmp_path, clock, platform):
    async with office("ismki", telegram_server, line_server, tmp_path, clock) as ismki:
        client = await ismki.join("client", "Sari", "line")  # A.1: confirmation by private LINE chat
        await ismki.join("ict", "Ilham", platform, "ict", telegram_id=2001)
        code = await submit(client)
        await client.has_seen(code, "Langkah 2 dari 4")  # the card may come before the receipt
        ismki.later()
        await client.tap("✅ Konfirmasi")

        card = await ismki["ict"].sees(code, "Langkah 3 dari 4")
        assert "Dikonfirmasi · Pemohon (Sari)" in card, "the confirmation is on the sheet"
        ismki.later()
        await ismki["ict"].tap("❌ Tolak")
        await ismki["ict"].sees("alasan penolakan")
        await ismki["ict"].say("Poster tanpa logo ISMKI dan caption tidak lengkap")

        notice = await client.sees(code, "Ditolak")
        assert "Poster tanpa logo ISMKI dan caption tidak lengkap" in notice
        assert "ajukan permohonan baru" in notice
