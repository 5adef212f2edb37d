"""The text catalogue: key -> (Indonesian, English). Grouped by who reads it."""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    # rule violations (bot/domain/rules.py)
    "rule.required": (
        "{field} wajib diisi.",
        "{field} is required.",
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
