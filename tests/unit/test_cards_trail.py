"""The card as the disposition sheet, rendered from a request's history (no database: the
dossier is built by hand as the request service would read it)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.chat.cards import step_card
from bot.domain.request import Contact, Content, MediaRef, RequestState, Status
from bot.domain.trail import Dossier, Entry, Revision, changed_fields
from bot.flows.loader import load_flow
from bot.services.publishing import Reach

ZONE = ZoneInfo("Asia/Jakarta")
T0 = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)  # 09.00 WIB
POSTER = MediaRef(sha256="a" * 64, kind="image", mime="image/jpeg", size=1, width=1080, height=1080)
CONTENT = Content(title="Seminar", organisation="BEM", caption="Ayo hadir", media=[POSTER],
                  contact=Contact(name="Sari", phone="0812"))


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def dossier(flow: str, step: str, entries: list[Entry], version: int = 1, content: Content = CONTENT,
            revisions: list[Revision] | None = None, status: Status = Status.ACTIVE) -> Dossier:
    state = RequestState(code="PUB-2026-0001", flow=flow, requester_id=1, version=version, status=status,
                         step_id=step, step_started_at=entries[-1].at, content=content)
    return Dossier(state, tuple(entries), tuple(revisions or [Revision(1, content, "Sari", T0)]))


def test_the_disposition_is_at_the_top_of_the_next_card_and_the_history_below():
    flow = load_flow("unej")
    entries = [Entry("submit", "disposisi", 1, "requester", "Sari", at(0)),
               Entry("dispose", "disposisi", 1, "wakil_rektor_3", "Prof. Andi", at(30),
                     "Segera, mitra strategis")]
    text = step_card(flow, dossier("unej", "pemilihan_media", entries), "id", ZONE).text
    lines = text.split("\n")
    assert lines[1].startswith("Langkah 2 dari 7: Kepala BPKH")
    assert lines[5] == "📨 Disposisi dari Wakil Rektor III (Prof. Andi), 26-11-2026 09.30 WIB:"
    assert lines[6] == "Segera, mitra strategis"
    assert text.index("Segera, mitra strategis") < text.index("Subjek:") < text.index("Riwayat")
    assert "📝 Diajukan · Pemohon (Sari) · 26-11-2026 09.00" in text
    assert "📨 Langkah 1 · Didisposisikan · Wakil Rektor III (Prof. Andi) · 26-11-2026 09.30\n" \
           "   Catatan: Segera, mitra strategis" in text
    english = step_card(flow, dossier("unej", "pemilihan_media", entries), "en", ZONE).text
    assert "📨 Disposition from Vice Rector III (Prof. Andi)" in english


def test_after_a_no_the_reason_comes_first_and_the_row_it_sent_back_to():
    flow = load_flow("rspon")
    entries = [Entry("submit", "pengajuan", 1, "requester", "Unit", at(0)),
               Entry("instruct", "penyerahan_direksi", 2, "koordinator_substansi", "Kurnia", at(10), "Mohon"),
               Entry("reject", "persetujuan_direksi", 2, "direksi", "dr. Dewi", at(20), "Logo di kiri atas")]
    text = step_card(flow, dossier("rspon", "penyuntingan", entries, version=2), "id", ZONE).text
    assert text.split("\n\n")[1] == (
        "❌ Dikembalikan (TIDAK) oleh Direksi RSPON (dr. Dewi), 26-11-2026 09.20 WIB. Alasan:\n"
        "Logo di kiri atas")
    assert "❌ Langkah 7 · TIDAK, kembali ke langkah 4 · Direksi RSPON (dr. Dewi)" in text


def test_an_approval_without_a_note_puts_nothing_on_top():
    flow = load_flow("default")
    entries = [Entry("submit", "koordinator", 1, "requester", "Sari", at(0)),
               Entry("approve", "koordinator", 1, "koordinator", "Budi", at(5))]
    parts = step_card(flow, dossier("default", "wakil_koordinator", entries), "id", ZONE).text.split("\n\n")
    assert parts[1].startswith("Subjek:")


def test_a_version_says_what_changed_and_the_written_text_is_shown_whole():
    flow = load_flow("bkk-palembang")
    article = "Palembang (26/11) - " + "isi berita " * 500
    v2 = CONTENT.model_copy(update={"text": article})
    entries = [Entry("submit", "penyampaian_data", 1, "requester", "Subbag", at(0)),
               Entry("instruct", "instruksi_penulisan", 1, "tim_ppid", "Pandu", at(5), "Tulis 5W+1H"),
               Entry("upload", "penulisan", 2, "pranata_humas", "Rina", at(60), "", {"produced": ["text"]})]
    revisions = [Revision(1, CONTENT, "Sari", T0), Revision(2, v2, "Rina", at(60))]
    card = step_card(flow, dossier("bkk-palembang", "verifikasi", entries, 2, v2, revisions), "id", ZONE)
    assert "📤 Hasil dari JFT/JFU Pranata Humas (Rina), 26-11-2026 10.00 WIB: tulisan, versi 2." in card.text
    assert f"📝 Tulisan (versi 2, {len(article)} karakter):\n{article.strip()}" in card.text
    assert "   Versi 2: Tulisan diubah" in card.text
    # BKK posts the article: its length is what is checked against Instagram's limit
    assert "Keterangan terlalu panjang untuk Instagram" in card.text
    assert [b.label for row in card.buttons for b in row] == ["✅ Setujui", "❌ Tolak"]


def test_the_publish_card_shows_what_each_choice_reaches_and_that_none_means_all():
    flow = load_flow("default")
    entries = [Entry("approve", "direktur", 1, "direktur", "Dedi", at(0))]
    reach = {"mahasiswa": Reach(1, 0, 12), "dosen": Reach(0, 1, 3), "tendik": Reach(), "umum": Reach(),
             "chosen": Reach(2, 1, 15)}
    text = step_card(flow, dossier("default", "publikasi", entries), "id", ZONE, reach=reach).text
    assert "• mahasiswa: 1 kanal, 0 grup, 12 orang" in text
    assert "Belum ada audiens dipilih: Sebarkan mengirim ke SEMUA audiens → 2 kanal, 1 grup, 15 orang." \
        in text
    chosen = step_card(flow, dossier("default", "publikasi", entries), "id", ZONE, selected=["dosen"],
                       reach=reach | {"chosen": Reach(0, 1, 3)}).text
    assert "Dipilih: dosen → 0 kanal, 1 grup, 3 orang." in chosen


def test_changed_fields_compare_files_by_their_hash():
    other = POSTER.model_copy(update={"sha256": "b" * 64})
    assert changed_fields(CONTENT, CONTENT.model_copy(update={"media": [other], "caption": "baru"})) == [
        "media", "caption"]
    assert changed_fields(CONTENT, CONTENT) == []
