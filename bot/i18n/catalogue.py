"""The text catalogue: key -> (Indonesian, English). Grouped by who reads it."""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    # rule violations (bot/domain/rules.py)
    "rule.required": (
        "{field} wajib diisi.",
        "Please fill in: {field}.",
    ),
    "rule.date_past": (
        "Tanggal {given} sudah lewat. Tanggal paling awal yang bisa dipilih: {nearest}.",
        "{given} is in the past. The earliest date allowed is {nearest}.",
    ),
    "rule.lead_time": (
        "Permohonan harus masuk paling lambat {days} hari sebelum tanggal publikasi. "
        "Tanggal paling awal yang bisa dipilih: {nearest}.",
        "Requests must arrive at least {days} days before publication. "
        "The earliest date allowed is {nearest}.",
    ),
    "rule.window": (
        "{given} di luar jam publikasi ({windows} WIB). Waktu terdekat yang diizinkan: {nearest}.",
        "{given} is outside the publication hours ({windows} WIB). "
        "The next allowed time is {nearest}.",
    ),
    "rule.slot": (
        "Pilih salah satu jam publikasi: {windows} WIB.",
        "Choose one of the publication slots: {windows} WIB.",
    ),
    "rule.caption_length": (
        "Caption {length} karakter, melebihi batas {channel} ({limit}). Pendekkan {over} karakter.",
        "The caption is {length} characters, over the {channel} limit ({limit}). "
        "Cut {over} characters.",
    ),
    "rule.channel": (
        "Kanal {given} tidak tersedia. Pilihan: {nearest}.",
        "Channel {given} is not offered. Choose from: {nearest}.",
    ),
    "rule.expect_media": (
        "Kirim poster (foto, atau gambar sebagai file agar kualitasnya utuh) atau video.",
        "Send the poster (a photo, or an image as a file to keep full quality) or a video.",
    ),
    "rule.not_contact": (
        "Tulis nama dan nomor HP atau akun chat, mis. \"Sari 081234567890\" atau "
        "\"Sari @sari\", atau bagikan kontak.",
        "Write a name and a phone number or chat handle, e.g. \"Sari 081234567890\" or "
        "\"Sari @sari\", or share a contact.",
    ),
    "rule.not_date": (
        "\"{given}\" bukan tanggal yang dikenali. Tulis seperti 28-11-2026, 28/11/2026, "
        "28 Nov 2026 atau 28 November 2026, atau pilih tombol.",
        "\"{given}\" is not a date I recognise. Write it like 28-11-2026, 28/11/2026, "
        "28 Nov 2026 or 28 November 2026, or pick a button.",
    ),
    "rule.use_buttons": (
        "Silakan pilih dengan tombol di atas.",
        "Please choose with the buttons above.",
    ),
    "rule.too_long": (
        "{field} terlalu panjang ({length} karakter); paling banyak {nearest}.",
        "{field} is too long ({length} characters); at most {nearest}.",
    ),
    "rule.too_many_media": (
        "Paling banyak {nearest} poster per permohonan.",
        "At most {nearest} posters per request.",
    ),
    # field names
    "field.title": ("Judul acara/program", "Event or programme title"),
    "field.organisation": ("Nama institusi/organisasi", "Institution or organisation"),
    "field.media": ("Poster/video", "Poster or video"),
    "field.caption": ("Caption", "Caption"),
    "field.contact": ("Contact person", "Contact person"),
    "field.publish_date": ("Tanggal publikasi", "Publication date"),
    "field.slot": ("Jam publikasi", "Publication time slot"),
    "field.notes": ("Catatan khusus", "Special notes"),
    "field.channels": ("Kanal publikasi", "Publication channels"),
    # engine refusals (bot/domain/engine.py)
    "refuse.closed": (
        "Permohonan {code} sudah ditutup ({status}); tidak ada tindakan lagi.",
        "Request {code} is closed ({status}); nothing more can be done.",
    ),
    "refuse.not_current": (
        "Langkah ini sudah tidak aktif; permohonan {code} kini di langkah: {step}.",
        "This step is no longer current; request {code} is now at: {step}.",
    ),
    "refuse.stale_version": (
        "Tombol ini untuk versi {given}; permohonan {code} kini versi {version}.",
        "This button is for version {given}; request {code} is now version {version}.",
    ),
    "refuse.no_role": (
        "Anda tidak memegang peran {role} yang bertindak pada langkah ini.",
        "You do not hold the role {role} that acts on this step.",
    ),
    "refuse.not_allowed": (
        "Tindakan '{action}' tidak tersedia pada langkah {step}.",
        "Action '{action}' is not available at step {step}.",
    ),
    "refuse.note_required": (
        "Tuliskan alasan atau catatannya.",
        "Please write the reason or note.",
    ),
    "refuse.not_returned": (
        "Permohonan {code} tidak sedang dikembalikan untuk revisi.",
        "Request {code} is not waiting for a revision.",
    ),
    "refuse.media_required": (
        "Unggah berkas hasil (poster/video) untuk langkah ini.",
        "Upload the resulting file (poster or video) for this step.",
    ),
    "refuse.bad_channels": (
        "Pilih satu kanal atau lebih dari: {choices}.",
        "Choose one or more channels from: {choices}.",
    ),
    "refuse.not_requester": (
        "Hanya pemohon yang dapat melakukan ini.",
        "Only the requester can do this.",
    ),
    # statuses
    "status.active": ("diproses", "in progress"),
    "status.returned": ("dikembalikan untuk revisi", "returned for revision"),
    "status.rejected": ("ditolak", "rejected"),
    "status.done": ("selesai", "done"),
    "status.cancelled": ("dibatalkan", "cancelled"),
}

TEXTS |= {
    # intake (bot/chat/intake.py)
    "start.greeting": (
        "Selamat datang di layanan publikasi {office}.\n\n"
        "Kami mempublikasikan acara dan program Anda di: {channels}.\n"
        "Ketentuan: {rules}\n\n"
        "/ajukan: ajukan permohonan publikasi\n/status: permohonan Anda\n"
        "/batal: batalkan pengisian\n/bahasa: English",
        "Welcome to the {office} publication service.\n\n"
        "We publish your events and programmes on: {channels}.\n"
        "Rules: {rules}\n\n"
        "/ajukan: request a publication\n/status: your requests\n"
        "/batal: cancel the form\n/bahasa: Bahasa Indonesia",
    ),
    "start.rule_lead": (
        "permohonan paling lambat {days} hari sebelum tanggal publikasi",
        "requests at least {days} days before the publication date",
    ),
    "start.rule_windows": ("jam publikasi {windows} WIB", "publication hours {windows} WIB"),
    "start.rule_no_revision": (
        "konten harus sudah benar; tidak ada revisi atas kesalahan dari pemohon",
        "the content must be correct; no revision for the requester's own errors",
    ),
    "start.rule_none": ("lengkapi semua isian", "fill in every field"),
    "ask.title": ("1. Apa judul acara/program kerja?", "1. What is the event or programme title?"),
    "ask.organisation": (
        "2. Nama institusi/organisasi penyelenggara?",
        "2. Which institution or organisation runs it?",
    ),
    "ask.media": (
        "3. Kirim poster (foto, atau gambar sebagai file agar kualitasnya utuh) atau video.",
        "3. Send the poster (a photo, or an image as a file to keep full quality) or a video.",
    ),
    "ask.caption": (
        "4. Tulis caption lengkap yang akan dipublikasikan.",
        "4. Write the complete caption to publish.",
    ),
    "ask.contact": (
        "5. Contact person: tulis nama dan nomor HP/akun chat, atau bagikan kontak.",
        "5. Contact person: write a name and a phone number or chat handle, or share a contact.",
    ),
    "ask.publish_date": (
        "6. Tanggal publikasi yang diinginkan? (mis. 28-11-2026) Paling awal: {earliest}.",
        "6. Desired publication date? (e.g. 28-11-2026) The earliest: {earliest}.",
    ),
    "ask.slot": ("7. Pilih jam publikasi (WIB):", "7. Choose the publication time (WIB):"),
    "ask.notes": (
        "8. Catatan khusus untuk tim Humas? Tulis, atau tekan Tidak ada.",
        "8. Any special notes for the PR team? Write them, or tap None.",
    ),
    "ask.choose_field": ("Bagian mana yang ingin diubah?", "Which part do you want to change?"),
    "intake.media_received": (
        "{kind} {count} diterima ({size}). Kirim poster lain, atau tekan Lanjut.",
        "{kind} {count} received ({size}). Send another poster, or tap Next.",
    ),
    "intake.video_received": ("Video diterima ({size}).", "Video received ({size})."),
    "intake.poster": ("Poster", "Poster"),
    "intake.warning": ("Catatan: {message}", "Note: {message}"),
    "intake.summary": (
        "Ringkasan permohonan{revision}:\n\n{lines}\n\nPeriksa kembali, lalu Kirim.",
        "Request summary{revision}:\n\n{lines}\n\nCheck it, then Submit.",
    ),
    "intake.summary_revision": (" (revisi {code})", " (revision of {code})"),
    "intake.receipt": (
        "✅ Permohonan diterima.\nKode: {code}\nSubjek: {subject}\n"
        "Berikutnya: {step} ({role}), standar waktu {standard}.\n"
        "Ketik /status untuk memantau.",
        "✅ Request received.\nCode: {code}\nSubject: {subject}\n"
        "Next: {step} ({role}), time standard {standard}.\nType /status to follow it.",
    ),
    "intake.resubmitted": (
        "✅ Revisi terkirim: {code} versi {version}, kembali ke langkah {step}.",
        "✅ Revision sent: {code} version {version}, back at step {step}.",
    ),
    "intake.cancelled": (
        "Pengisian dibatalkan. Ketik /ajukan untuk memulai lagi.",
        "Form cancelled. Type /ajukan to start again.",
    ),
    "intake.nothing": (
        "Tidak ada pengisian yang berjalan. Ketik /ajukan untuk mengajukan publikasi.",
        "No form in progress. Type /ajukan to request a publication.",
    ),
    "intake.continue": (
        "Anda sedang mengisi permohonan; lanjutkan dari pertanyaan ini:",
        "You have a request in progress; carry on from this question:",
    ),
    "intake.fix_first": (
        "Permohonan belum bisa dikirim:\n{problems}",
        "The request cannot be sent yet:\n{problems}",
    ),
    "intake.media_refused": (
        "Berkas ini tidak bisa dipakai: {message}",
        "This file cannot be used: {message}",
    ),
    "intake.unsupported_file": (
        "Berkas {name} ({mime}) bukan gambar atau video. Kirim poster JPEG/PNG/WebP atau video MP4.",
        "The file {name} ({mime}) is not an image or a video. Send a JPEG/PNG/WebP poster or an "
        "MP4 video.",
    ),
    "btn.next": ("Lanjut ➡️", "Next ➡️"),
    "btn.none": ("Tidak ada", "None"),
    "btn.share_contact": ("📱 Bagikan kontak", "📱 Share contact"),
    "btn.send": ("✅ Kirim", "✅ Submit"),
    "btn.edit": ("✏️ Ubah", "✏️ Change"),
    "btn.cancel": ("❌ Batal", "❌ Cancel"),
    "btn.back": ("↩️ Kembali", "↩️ Back"),
    "notes.none": ("Tidak ada", "None"),
}
