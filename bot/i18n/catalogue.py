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
        "\"{given}\" bukan tanggal yang dikenali. Tulis seperti {dash}, {slash}, "
        "{short} atau {long}, atau pilih tombol.",
        "\"{given}\" is not a date I recognise. Write it like {dash}, {slash}, "
        "{short} or {long}, or pick a button.",
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
    "field.text": ("Tulisan", "Written text"),
    "field.documents": ("Dokumen", "Documents"),
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
    # /start for a role holder (bot/chat/welcome.py)
    "start.holder": (
        "Anda memegang peran {roles}. Yang akan sampai kepada Anda di sini, tanpa perlu diminta:\n{items}\n\n{commands}",
        "Your roles: {roles}. What will reach you here, without asking:\n{items}\n\n{commands}",
    ),
    "start.holder_admin": ("Admin", "Admin"),
    "start.holder_card": (
        "• kartu permohonan untuk ditindaklanjuti, dengan tombolnya, di langkah {number} dari {total}: "
        "{step}{timing}",
        "• a request's card to act on, with its buttons, at step {number} of {total}: {step}{timing}",
    ),
    "start.holder_timing": (" (standar waktu {standard})", " (time standard {standard})"),
    "start.holder_reminders": (
        "• pengingat saat {share}% standar waktu berlalu, dan saat batas waktunya",
        "• a reminder when {share}% of the time standard has passed, and at the deadline",
    ),
    "start.holder_escalations": (
        "• eskalasi: permohonan yang melewati batas waktu di langkah {steps} (peran di bawah Anda)",
        "• escalations: requests past their deadline at step {steps} (roles below yours)",
    ),
    "start.holder_monthly": ("• laporan monev setiap awal bulan", "• the monev report at the start of each month"),
    "start.holder_nothing": (
        "• belum ada: peran ini tidak memegang langkah permohonan",
        "• nothing yet: this role holds no step of a request",
    ),
    "start.holder_queue": ("/antrian: permohonan yang menunggu tindakan Anda", "/antrian: the requests waiting for your action"),
    "start.holder_report": ("/laporan: laporan monev bulan lalu", "/laporan: last month's monev report"),
    "start.holder_register": (
        "/daftarkan di grup atau kanal: jadikan tujuan push-info (kanal: lalu /daftarkan KODE di sini)",
        "/daftarkan in a group or channel: make it a push-info target (a channel: then /daftarkan CODE "
        "here)",
    ),
    "start.holder_roles": ("/peran: peran Anda", "/peran: your roles"),
    "ask.title": ("Apa judul acara/program kerja?", "What is the event or programme title?"),
    "ask.organisation": (
        "Nama institusi/organisasi penyelenggara?",
        "Which institution or organisation runs it?",
    ),
    "ask.media": (
        "Kirim poster (foto, atau gambar sebagai file agar kualitasnya utuh) atau video.",
        "Send the poster (a photo, or an image as a file to keep full quality) or a video.",
    ),
    "ask.media_more": (
        "{count} poster sudah diterima. Kirim poster lain, atau tekan Lanjut.",
        "{count} poster(s) received. Send another poster, or tap Next.",
    ),
    "ask.caption": (
        "Tulis caption lengkap yang akan dipublikasikan.",
        "Write the complete caption to publish.",
    ),
    "ask.contact": (
        "Contact person: tulis nama dan nomor HP/akun chat, atau bagikan kontak.",
        "Contact person: write a name and a phone number or chat handle, or share a contact.",
    ),
    "ask.publish_date": (
        "Tanggal publikasi yang diinginkan? (mis. {example}) Paling awal: {earliest}.",
        "Desired publication date? (e.g. {example}) The earliest: {earliest}.",
    ),
    "ask.slot": ("Pilih jam publikasi (WIB):", "Choose the publication time (WIB):"),
    "ask.notes": (
        "Catatan khusus untuk tim Humas? Tulis, atau tekan Tidak ada.",
        "Any special notes for the PR team? Write them, or tap None.",
    ),
    "ask.choose_field": ("Bagian mana yang ingin diubah?", "Which part do you want to change?"),
    "intake.media_received": (
        "{kind} {count} diterima ({size}). Kirim poster lain, atau tekan Lanjut.",
        "{kind} {count} received ({size}). Send another poster, or tap Next.",
    ),
    "intake.video_received": ("Video diterima ({size}).", "Video received ({size})."),
    "intake.caption_part": (
        "Caption bagian {count} diterima ({length} karakter). Telegram memecah teks panjang menjadi "
        "beberapa pesan: kirim lanjutannya bila ada, atau tekan Lanjut bila sudah lengkap.",
        "Caption part {count} received ({length} characters). Telegram splits long texts into several "
        "messages: send the rest if there is more, or tap Next when it is complete.",
    ),
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
    "intake.cancelled_input": (
        "Dibatalkan: isian yang diminta untuk {code}. Belum ada tindakan yang dicatat.",
        "Cancelled: the input asked for {code}. Nothing was recorded.",
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
    # request cards and approvals (bot/chat/cards.py, bot/chat/approvals.py)
    "card.header": (
        "📋 {code} (versi {version})\nLangkah {number} dari {total}: {step}\n"
        "Pelaksana: {role} · Standar waktu: {standard}{deadline}",
        "📋 {code} (version {version})\nStep {number} of {total}: {step}\n"
        "Acts: {role} · Time standard: {standard}{deadline}",
    ),
    # the note written for whoever acts now, first on the card (bot/chat/cards.py)
    "lead.dispose": ("📨 Disposisi dari {role} ({name}), {when} WIB:",
                     "📨 Disposition from {role} ({name}), {when} WIB:"),
    "lead.instruct": ("📨 Instruksi dari {role} ({name}), {when} WIB:",
                      "📨 Instruction from {role} ({name}), {when} WIB:"),
    "lead.reject": ("❌ Dikembalikan (TIDAK) oleh {role} ({name}), {when} WIB. Alasan:",
                    "❌ Sent back (NO) by {role} ({name}), {when} WIB. Reason:"),
    "lead.return": ("↩️ Dikembalikan oleh {role} ({name}), {when} WIB. Yang harus diperbaiki:",
                    "↩️ Returned by {role} ({name}), {when} WIB. What to fix:"),
    "lead.revised": ("✏️ Versi {version} dari pemohon ({name}), {when} WIB. Yang diubah: {changed}.",
                     "✏️ Version {version} from the requester ({name}), {when} WIB. Changed: {changed}."),
    "lead.upload": ("📤 Hasil dari {role} ({name}), {when} WIB: {produced}, versi {version}.",
                    "📤 Result from {role} ({name}), {when} WIB: {produced}, version {version}."),
    "lead.choose_channels": ("☑️ Media dipilih oleh {role} ({name}), {when} WIB: {channels}",
                             "☑️ Media chosen by {role} ({name}), {when} WIB: {channels}"),
    "lead.note": ("✉️ Catatan dari {role} ({name}), {when} WIB:", "✉️ Note from {role} ({name}), {when} WIB:"),
    # the history on every card
    "trail.header": ("🗂 Riwayat (lembar disposisi):", "🗂 History (disposition sheet):"),
    "trail.line": ("{mark} Langkah {number} · {act} · {role} ({name}) · {when}",
                   "{mark} Step {number} · {act} · {role} ({name}) · {when}"),
    "trail.line_unnumbered": ("{mark} {act} · {role} ({name}) · {when}", "{mark} {act} · {role} ({name}) · {when}"),
    "trail.channels": ("Media: {channels}", "Media: {channels}"),
    "trail.version": ("Versi {version}: {changed} diubah", "Version {version}: {changed} changed"),
    "trail.evidence": ("🔗 Bukti publikasi:", "🔗 Publication evidence:"),
    "trail.system": ("Sistem", "System"),
    "act.resubmit": ("Diajukan ulang (versi {version})", "Resubmitted (version {version})"),
    "act.reject_back": ("TIDAK, kembali ke langkah {number}", "NO, back to step {number}"),
    "card.text": ("📝 Tulisan (versi {version}, {length} karakter):",
                  "📝 Written text (version {version}, {length} characters):"),
    "card.documents": ("📎 Dokumen: {names}", "📎 Documents: {names}"),
    "output.image": ("gambar", "image"),
    "output.video": ("video", "video"),
    "output.text": ("tulisan", "text"),
    "output.document": ("dokumen", "document"),
    "card.deadline": (" · Batas: {when} WIB", " · Due: {when} WIB"),
    "card.needs": ("Kelengkapan: {needs}", "Needs: {needs}"),
    "card.subject": ("Subjek: {subject}", "Subject: {subject}"),
    "card.warnings": ("⚠️ Perlu diperhatikan:", "⚠️ Please note:"),
    "card.stamped": (
        "Pratinjau poster dengan footer {office} terlampir.",
        "The poster preview with the {office} footer is attached.",
    ),
    "card.decided": (
        "{mark} {act} oleh {name} ({role}), {when} WIB.",
        "{mark} {act} by {name} ({role}), {when} WIB.",
    ),
    "card.note": ("Catatan: {note}", "Note: {note}"),
    "act.submit": ("Diajukan", "Submitted"),
    "act.confirm": ("Dikonfirmasi", "Confirmed"),
    "act.dispose": ("Didisposisikan", "Disposed"),
    "act.instruct": ("Diinstruksikan", "Instructed"),
    "act.upload": ("Hasil diunggah", "Result uploaded"),
    "act.approve": ("Disetujui", "Approved"),
    "act.reject": ("Ditolak", "Rejected"),
    "act.return": ("Dikembalikan untuk revisi", "Returned for revision"),
    "act.choose_channels": ("Kanal dipilih", "Channels chosen"),
    "act.publish": ("Dipublikasikan", "Published"),
    "act.archive": ("Diarsipkan", "Archived"),
    "act.evaluate": ("Dievaluasi", "Evaluated"),
    "act.cancel": ("Dibatalkan", "Cancelled"),
    "act.escalate": ("Eskalasi keterlambatan", "Lateness escalated"),
    "act.action": ("Tindakan perbaikan ditetapkan", "Improvement action set"),
    "act.action_done": ("Tindakan perbaikan selesai", "Improvement action done"),
    "record.on_time": ("tepat waktu", "on time"),
    "record.late": ("terlambat {by}", "late by {by}"),
    "btn.approve": ("✅ Setujui", "✅ Approve"),
    "btn.reject": ("❌ Tolak", "❌ Reject"),
    "btn.return": ("↩️ Kembalikan untuk revisi", "↩️ Return for revision"),
    "btn.dispose": ("📨 Disposisi", "📨 Dispose"),
    "btn.instruct": ("📨 Instruksikan", "📨 Instruct"),
    "btn.upload": ("📤 Unggah hasil", "📤 Upload the result"),
    "btn.upload_text": ("📝 Kirim tulisan", "📝 Send the text"),
    "btn.confirm": ("✅ Konfirmasi", "✅ Confirm"),
    "btn.choose_channels": ("💾 Simpan pilihan kanal", "💾 Save channel choice"),
    "btn.publish": ("📢 Tandai sudah dipublikasikan", "📢 Mark as published"),
    "btn.archive": ("🗄 Arsipkan", "🗄 Archive"),
    "btn.evaluate": ("📝 Evaluasi", "📝 Evaluate"),
    "btn.revise": ("✏️ Revisi permohonan", "✏️ Revise the request"),
    "ask.reason.reject": (
        "Tulis alasan penolakan {code} (balas pesan ini):",
        "Write the reason for rejecting {code} (reply to this message):",
    ),
    "ask.reason.return": (
        "Tulis apa yang harus direvisi pada {code} (balas pesan ini):",
        "Write what must be revised in {code} (reply to this message):",
    ),
    "ask.note": (
        "Tulis catatan untuk {code} (balas pesan ini; \"-\" bila tanpa catatan):",
        "Write the note for {code} (reply to this message; \"-\" for none):",
    ),
    "ask.note.dispose": (
        "Tulis catatan disposisi untuk {code}: apa yang diminta dari penerima disposisi "
        "(balas pesan ini; \"-\" bila tanpa catatan):",
        "Write the disposition note for {code}: what you ask of whoever receives it "
        "(reply to this message; \"-\" for none):",
    ),
    "ask.note.instruct": (
        "Tulis instruksi untuk {code} (balas pesan ini; \"-\" bila tanpa catatan):",
        "Write the instruction for {code} (reply to this message; \"-\" for none):",
    ),
    "ask.note.evaluate": (
        "Tulis catatan evaluasi untuk {code} (balas pesan ini; \"-\" bila tanpa catatan):",
        "Write the evaluation note for {code} (reply to this message; \"-\" for none):",
    ),
    "ask.output": ("Kirim hasil langkah ini untuk {code}: {wanted}.",
                   "Send this step's result for {code}: {wanted}."),
    "ask.corrected": (
        "Kirim hasil koreksi untuk {code}: {wanted}. Ketik - bila sudah benar tanpa perubahan.",
        "Send the corrected result for {code}: {wanted}. Type - if it is right as it is.",
    ),
    "output.want_media": ("poster (gambar) atau video", "a poster (image) or a video"),
    "output.want_image": ("poster (gambar)", "a poster (image)"),
    "output.want_video": ("video", "a video"),
    "output.want_text": ("tulisan: ketik langsung di sini, atau kirim berkas .txt atau .docx",
                         "the text: type it here, or send a .txt or .docx file"),
    "output.want_document": ("dokumen PDF", "a PDF document"),
    "output.refused_text": ("Langkah ini meminta {wanted}, bukan teks yang diketik.",
                            "This step asks for {wanted}, not typed text."),
    "output.refused_file": ("Berkas {name} tidak sesuai langkah ini. Yang diminta: {wanted}.",
                            "The file {name} does not fit this step. It asks for: {wanted}."),
    "output.empty": ("Tulisannya kosong; ketik atau kirim tulisannya.", "The text is empty; type or send it."),
    "output.too_long": ("Tulisan {length} karakter; paling banyak {limit}.",
                        "The text is {length} characters; at most {limit}."),
    "output.unreadable": (
        "Berkas {name} tidak bisa dibaca. Kirim berkas .docx atau .txt lain, atau ketik tulisannya.",
        "The file {name} cannot be read. Send another .docx or .txt file, or type the text.",
    ),
    "output.part": (
        "Bagian {count} diterima ({length} karakter). Telegram memecah teks panjang menjadi beberapa "
        "pesan: kirim lanjutannya bila ada, atau tekan Simpan bila sudah lengkap.",
        "Part {count} received ({length} characters). Telegram splits long texts into several "
        "messages: send the rest if there is more, or tap Save when it is complete.",
    ),
    "btn.save_text": ("💾 Simpan tulisan", "💾 Save the text"),
    "tap.done": ("Tercatat: {act}", "Recorded: {act}"),
    "tap.unknown": ("Tombol ini tidak dikenali.", "This button is not recognised."),
    "tap.unknown_request": ("Permohonan tidak ditemukan.", "Request not found."),
    "tap.toggled": ("Pilihan kanal: {channels}", "Channels chosen: {channels}"),
    "tap.no_channels": ("Pilih minimal satu kanal.", "Choose at least one channel."),
    "tap.nothing_held": ("Tidak ada tulisan yang menunggu disimpan.", "No text is waiting to be saved."),
    "notice.decision": (
        "{mark} {code}: {act} pada langkah \"{step}\" oleh {role}.{note}",
        "{mark} {code}: {act} at step \"{step}\" by {role}.{note}",
    ),
    "notice.next": ("Berikutnya: {step} ({role}).", "Next: {step} ({role})."),
    "notice.rejected_new": (
        "Permohonan ini ditutup. Bila ingin tetap dipublikasikan, ajukan permohonan baru dengan /ajukan.",
        "This request is closed. To publish anyway, submit a new request with /ajukan.",
    ),
    "notice.returned": (
        "↩️ {code} dikembalikan untuk revisi oleh {role}.\nCatatan: {note}\n"
        "Tekan Revisi, ubah bagian yang diminta, lalu kirim ulang.",
        "↩️ {code} was returned for revision by {role}.\nNote: {note}\n"
        "Tap Revise, change what is asked, then send it again.",
    ),
    "notice.done": (
        "🎉 {code} selesai: {title} telah dipublikasikan dan diarsipkan.",
        "🎉 {code} is done: {title} has been published and archived.",
    ),
    "notice.closed_rejected": ("❌ {code} ditolak dan ditutup.", "❌ {code} was rejected and closed."),
    "status.header": ("Permohonan Anda:", "Your requests:"),
    "status.line": ("• {code} v{version}: {title}: {status}, langkah: {step}",
                    "• {code} v{version}: {title}: {status}, step: {step}"),
    "status.none": ("Anda belum punya permohonan. Ketik /ajukan.", "You have no requests yet. Type /ajukan."),
    "queue.none": ("Tidak ada permohonan yang menunggu tindakan Anda.", "Nothing is waiting for your action."),
    "queue.header": ("{count} permohonan menunggu tindakan Anda:", "{count} requests wait for your action:"),
    "roles.none": (
        "Anda belum memegang peran. Minta kode undangan kepada admin, lalu kirim /gabung KODE.",
        "You hold no role. Ask the admin for an invite code, then send /gabung CODE.",
    ),
    "roles.list": ("Peran Anda: {roles}", "Your roles: {roles}"),
    "roles.joined": ("Selamat, Anda kini memegang peran {role}.", "You now hold the role {role}."),
    "roles.bad_code": (
        "Kode undangan tidak dikenal, sudah dipakai, dicabut, atau kedaluwarsa.",
        "The invite code is unknown, used, revoked or expired.",
    ),
    "roles.usage": ("Kirim /gabung KODE, dengan kode dari admin.", "Send /gabung CODE, with the admin's code."),
    "lang.switched": ("Bahasa: Indonesia.", "Language: English."),
    "error.internal": (
        "Maaf, terjadi gangguan. Isian Anda sebelumnya tetap tersimpan; silakan ulangi pesan "
        "terakhir. / Sorry, something went wrong. Your earlier answers are kept; please send "
        "your last message again.",
        "Sorry, something went wrong. Your earlier answers are kept; please send your last "
        "message again.",
    ),
    # push-info (bot/broadcast, bot/chat/publish.py)
    "refuse.outside_window": (
        "{given} di luar jam publikasi. Waktu terdekat yang diizinkan: {nearest} WIB.",
        "{given} is outside the publication hours. The next allowed time: {nearest} WIB.",
    ),
    "progress.running": (
        "📢 Penyebaran {code}: {done}/{total} terkirim, {failed} gagal. Perkiraan sisa waktu: {eta}.",
        "📢 Broadcasting {code}: {done}/{total} sent, {failed} failed. Time left: about {eta}.",
    ),
    "progress.scheduled": (
        "🕒 {code} dijadwalkan {when} WIB untuk {total} penerima.",
        "🕒 {code} is scheduled for {when} WIB, {total} recipients.",
    ),
    "progress.final": (
        "✅ Laporan penyebaran {code}: {sent}/{total} terkirim, {failed} gagal, {unknown} tidak pasti.",
        "✅ Broadcast report {code}: {sent}/{total} sent, {failed} failed, {unknown} unknown.",
    ),
    "progress.failed_line": ("• {recipient}: {reason}", "• {recipient}: {reason}"),
    "progress.unknown_header": (
        "Tidak pasti terkirim (tidak dikirim ulang, agar tidak ada yang menerima dua kali):",
        "Delivery unknown (not sent again, so that nobody gets it twice):",
    ),
    "progress.twice_header": (
        "Terkirim setelah Telegram sempat tidak menjawab (mungkin diterima dua kali):",
        "Sent after Telegram once gave no answer (may have been received twice):",
    ),
    "progress.failed_header": ("Gagal:", "Failed:"),
    "btn.line_followers": ("LINE: semua pengikut", "LINE: every follower"),
    "btn.publish_now": ("📢 Sebarkan sekarang", "📢 Broadcast now"),
    "btn.publish_schedule": ("🕒 Jadwalkan sesuai permintaan", "🕒 Schedule as requested"),
    "publish.checklist": (
        "Kanal yang diposting manual untuk {code}: tekan satu, lalu kirim tautan postingannya.",
        "Channels to post by hand for {code}: tap one, then send the post's link.",
    ),
    "publish.ask_link": (
        "Kirim tautan postingan {channel} untuk {code} (balas pesan ini):",
        "Send the link of the {channel} post for {code} (reply to this message):",
    ),
    "publish.bad_link": ("Tautan harus diawali http:// atau https://.", "A link starts with http:// or https://."),
    "publish.evidence_saved": ("✅ Bukti {channel} tercatat: {url}", "✅ {channel} evidence recorded: {url}"),
    "publish.started": (
        "📢 {code}: penyebaran ke {recipients} penerima dimulai ({reach}; audiens: {audiences}).",
        "📢 {code}: broadcasting to {recipients} recipients ({reach}; audiences: {audiences}).",
    ),
    "publish.scheduled": (
        "🕒 {code}: dijadwalkan {when} WIB untuk {recipients} penerima ({reach}; audiens: {audiences}).",
        "🕒 {code}: scheduled for {when} WIB, {recipients} recipients ({reach}; audiences: {audiences}).",
    ),
    "publish.all_audiences": ("SEMUA: {audiences}", "ALL: {audiences}"),
    "publish.audiences": ("Audiens: {audiences} → {reach}", "Audiences: {audiences} → {reach}"),
    "publish.none_chosen": ("belum dipilih, jadi semua", "none chosen, so all"),
    "publish.reach_header": ("📢 Jangkauan push-info (sebelum Sebarkan ditekan):",
                             "📢 Push-info reach (before you press Broadcast):"),
    "publish.reach": ("{channels} kanal, {groups} grup, {people} orang",
                      "{channels} channels, {groups} groups, {people} people"),
    "publish.reach_followers": ("+ semua pengikut LINE", "+ every LINE follower"),
    "publish.reach_chosen": ("Dipilih: {audiences} → {reach}.", "Chosen: {audiences} → {reach}."),
    "publish.reach_all": (
        "Belum ada audiens dipilih: Sebarkan mengirim ke SEMUA audiens → {reach}.",
        "No audience chosen: Broadcast sends to ALL audiences → {reach}.",
    ),
    "publish.posts_text": (
        "Teks yang disebarkan: tulisan di atas (bukan caption pemohon).",
        "The post's text: the written text above (not the requester's caption).",
    ),
    "subscribe.menu": (
        "Pilih audiens yang ingin Anda ikuti (tekan untuk memilih/menghapus). Anda akan menerima "
        "publikasi untuk audiens tersebut. /berhenti untuk berhenti.\nPilihan saat ini: {chosen}",
        "Choose the audiences you follow (tap to add or remove). You will receive publications "
        "for them. /berhenti to stop.\nChosen now: {chosen}",
    ),
    "subscribe.stopped": (
        "Anda berhenti berlangganan. /langganan untuk berlangganan lagi.",
        "You are unsubscribed. /langganan to subscribe again.",
    ),
    "subscribe.not_subscribed": ("Anda belum berlangganan.", "You are not subscribed."),
    "targets.registered": (
        "✅ {title} terdaftar sebagai tujuan push-info (audiens: {audiences}).",
        "✅ {title} is registered as a push-info target (audiences: {audiences}).",
    ),
    "targets.not_allowed": (
        "Hanya admin atau petugas yang dapat mendaftarkan grup ini.",
        "Only an admin or the petugas can register this group.",
    ),
    "targets.all_audiences": ("semua", "all"),
    "targets.claimed": (
        "Pendaftaran {title} sebagai tujuan push-info menunggu konfirmasi: admin atau petugas mengirim "
        "/daftarkan {code} kepada bot di chat pribadi, dalam 24 jam.",
        "Registering {title} as a push-info target waits for a confirmation: an admin or the petugas "
        "sends /daftarkan {code} to the bot in a private chat, within 24 hours.",
    ),
    "targets.bad_code": (
        "Kode pendaftaran tidak dikenal, sudah dipakai, atau kedaluwarsa. Kirim lagi /daftarkan di kanalnya.",
        "The registration code is unknown, used or expired. Post /daftarkan in the channel again.",
    ),
    "targets.usage": (
        "Kirim /daftarkan di grup atau kanal yang akan menerima push-info; untuk kanal, kirim lalu "
        "/daftarkan KODE di sini dengan kode yang diberikan di kanal.",
        "Send /daftarkan in the group or channel that is to receive push-info; for a channel, then "
        "send /daftarkan CODE here with the code given in the channel.",
    ),
    # authority: buttons and codes that are not the presser's to use (bot/chat)
    "refuse.not_yours": (
        "Permohonan {code} tidak dapat Anda buka: hanya pemohonnya yang dapat merevisinya.",
        "You cannot open request {code}: only its requester can revise it.",
    ),
    "refuse.not_published": (
        "Permohonan {code} belum dipublikasikan; tautan unggahan manual dicatat sesudahnya.",
        "Request {code} is not published yet; links to posts made by hand come after that.",
    ),
    "refuse.evidence_channel": (
        "Kanal {channel} tidak ada di daftar unggah manual {code}: {choices}.",
        "Channel {channel} is not on the hand-posting list of {code}: {choices}.",
    ),
    "codes.slowed": (
        "Terlalu banyak kode yang salah: kode berikutnya baru diperiksa setelah {when} WIB.",
        "Too many wrong codes: the next one is checked only after {when} WIB.",
    ),
    "codes.wait": (
        "Terlalu banyak kode yang salah. Coba lagi setelah {when} WIB; kode ini belum diperiksa.",
        "Too many wrong codes. Try again after {when} WIB; this code was not checked.",
    ),
    "help.unknown": (
        "Perintah {command} tidak dikenal. Perintah yang ada: /ajukan (ajukan publikasi), /status "
        "(permohonan saya), /batal, /antrian (menunggu tindakan saya), /gabung KODE, /peran, /bahasa, "
        "/langganan, /berhenti, /laporan, /tautkan, /utama, /start.",
        "Unknown command {command}. The commands are: /ajukan (request a publication), /status (my "
        "requests), /batal (cancel), /antrian (waiting for me), /gabung CODE, /peran (my roles), "
        "/bahasa (language), /langganan, /berhenti, /laporan, /tautkan, /utama, /start.",
    ),
    "upload.too_big": (
        "{what} ini {size}, lebih dari {limit} yang diterima bot. Kompres atau perkecil, lalu kirim lagi "
        "(video besar: kirim tautannya, mis. Google Drive, di catatan).",
        "This {what} is {size}, over the {limit} the bot takes. Compress or shrink it and send it again "
        "(a large video: put its link, e.g. Google Drive, in the notes).",
    ),
    "upload.image_too_big": (
        "gambar lebih dari {limit} tidak diproses; perkecil lalu kirim lagi.",
        "an image over {limit} is not processed; shrink it and send it again.",
    ),
    "upload.image": ("Gambar", "image"),
    "upload.video": ("Video", "video"),
    "upload.file": ("Berkas", "file"),
    "revise.not_returned": (
        "Permohonan {code} tidak sedang dikembalikan untuk revisi (status: {status}, langkah: {step}); "
        "tombol Revisi ini sudah tidak berlaku. Lihat /status.",
        "Request {code} is not waiting for a revision (status: {status}, step: {step}); this Revise "
        "button no longer applies. See /status.",
    ),
    "revise.busy": (
        "Anda sedang mengisi permohonan lain. Kirim atau batalkan (/batal) dulu, lalu tekan Revisi "
        "lagi untuk {code}. Pengisian yang berjalan:",
        "You have another request in progress. Send or cancel it (/batal) first, then tap Revise "
        "again for {code}. The form in progress:",
    ),
    "revise.dropped": (
        "Draf revisi {code} dihapus karena tidak bisa dikirim lagi. Lihat /status.",
        "The revision draft of {code} was removed: it can no longer be sent. See /status.",
    ),
    "ask.media_optional": (
        "Kirim poster/video bila ada, atau tekan Lanjut: tim kami yang akan membuatnya.",
        "Send a poster or video if you have one, or tap Next: our team will make it.",
    ),
    "timer.late_note": ("terlambat {minutes} menit", "late by {minutes} minutes"),
    "timer.remind": (
        "⏰ Pengingat: {code} menunggu tindakan Anda; batas waktu {due} WIB.",
        "⏰ Reminder: {code} is waiting for you; due {due} WIB.",
    ),
    "timer.due": (
        "⏰ Batas waktu {code} tiba ({due} WIB). Mohon segera ditindaklanjuti.",
        "⏰ {code} is due now ({due} WIB). Please act on it.",
    ),
    "timer.escalate": (
        "⚠️ Eskalasi: {code} terlambat di langkah \"{step}\" ({role}); batas waktu {due} WIB.",
        "⚠️ Escalation: {code} is late at step \"{step}\" ({role}); it was due {due} WIB.",
    ),
    "refuse.wrong_platform": (
        "Langkah ini dilakukan lewat {platform}. Tautkan akun {platform} Anda dengan /tautkan, lalu "
        "lanjutkan di sana.",
        "This step is done on {platform}. Link your {platform} account with /tautkan, then carry on "
        "there.",
    ),
    "report.not_allowed": (
        "Laporan monev hanya untuk: {roles}.",
        "The monev report is for: {roles}.",
    ),
    "report.bad_month": (
        "Bulan \"{given}\" tidak dikenal. Contoh: /laporan 2026-11, /laporan November 2026, "
        "/laporan bulan ini, /laporan bulan lalu; atau /laporan PUB-2026-0001 untuk rekam jejak SOP "
        "satu permohonan (PDF).",
        "Unknown month \"{given}\". For example: /laporan 2026-11, /laporan November 2026, "
        "/laporan this month, /laporan last month; or /laporan PUB-2026-0001 for one request's SOP "
        "record (PDF).",
    ),
    "report.record_pdf": (
        "📄 Rekam jejak SOP {code}, siap dicetak dan ditandatangani.",
        "📄 The SOP record of {code}, ready to print and sign.",
    ),
    # the evaluation cycle (bot/chat/evaluation.py)
    "eval.invite": (
        "Evaluasi bulan {month}: catat hasil evaluasi dan tindakan perbaikan dengan tombol di bawah.",
        "Evaluation of {month}: record the findings and improvement actions with the buttons below.",
    ),
    "eval.btn.findings": ("{number}. Catat hasil evaluasi", "{number}. Record the findings"),
    "eval.btn.actions": ("{number}. Tambah tindakan ({output})", "{number}. Add an action ({output})"),
    "eval.btn.action": ("{number}. Tambah tindakan perbaikan", "{number}. Add an improvement action"),
    "eval.btn.done": ("✅ Selesai", "✅ Done"),
    "eval.btn.in_days": ("{days} hari", "{days} days"),
    "eval.ask_findings": (
        "Tulis hasil evaluasi bulan {month}: apa yang berjalan baik, apa yang terlambat, dan mengapa.",
        "Write the findings of {month}'s evaluation: what went well, what was late, and why.",
    ),
    "eval.ask_action": (
        "Tulis tindakan perbaikan untuk bulan {month} (apa yang akan dilakukan).",
        "Write the improvement action for {month} (what will be done).",
    ),
    "eval.ask_owner": ("Siapa penanggung jawabnya?", "Who is responsible for it?"),
    "eval.ask_due": (
        "Batas waktunya? Tekan salah satu, atau ketik tanggal, mis. {example}.",
        "Its due date? Tap one, or type a date, e.g. {example}.",
    ),
    "eval.bad_due": (
        "\"{given}\" bukan tanggal yang akan datang.",
        "\"{given}\" is not a date to come.",
    ),
    "eval.nothing_pending": (
        "Tidak ada tindakan perbaikan yang sedang dicatat; mulai dari tombol di bawah laporan.",
        "No improvement action is being recorded; start from the buttons under the report.",
    ),
    "eval.findings_saved": (
        "✅ Hasil evaluasi bulan {month} tercatat.",
        "✅ The findings of {month}'s evaluation are recorded.",
    ),
    "eval.action_saved": (
        "✅ Tindakan perbaikan tercatat: {text}\nPenanggung jawab: {owner}, batas {due}. Ia akan diingatkan.",
        "✅ Improvement action recorded: {text}\nOwner: {owner}, due {due}. They will be reminded.",
    ),
    "eval.findings_notice": (
        "📋 Hasil evaluasi bulan {month} dari {role}:\n{note}",
        "📋 Findings of {month}'s evaluation from {role}:\n{note}",
    ),
    "eval.assigned": (
        "📌 Tindakan perbaikan (evaluasi bulan {month}, langkah {number}) untuk Anda: {text}\n"
        "Batas: {due}. Tekan Selesai bila sudah.",
        "📌 An improvement action for you ({month}'s evaluation, step {number}): {text}\n"
        "Due: {due}. Tap Done when it is.",
    ),
    "eval.reminder": (
        "⏰ Pengingat tindakan perbaikan (evaluasi bulan {month}): {text}\nBatas: {due}.",
        "⏰ Reminder of an improvement action ({month}'s evaluation): {text}\nDue: {due}.",
    ),
    "eval.done": ("✅ Tindakan perbaikan selesai; tercatat di laporan bulan depan.",
                  "✅ Improvement action done; the next report shows it."),
    "eval.already_done": ("Tindakan ini sudah tercatat selesai.", "This action is already recorded as done."),
    "monev.action": (
        "{mark} Tindak lanjut evaluasi {period} (langkah {number}): {text}; oleh {owner}, batas {due}: {state}.",
        "{mark} Action from the {period} evaluation (step {number}): {text}; by {owner}, due {due}: {state}.",
    ),
    "monev.action_done": ("selesai {on}", "done {on}"),
    "monev.action_open": ("belum selesai", "not done yet"),
    "monev.action_late": ("belum selesai, lewat batas", "not done, past due"),
    # linking accounts across platforms, and LINE (bot/chat/linking.py, bot/handlers/line)
    "link.code": (
        "Kode tautan Anda: {code}\nKirim /tautkan {code} dari akun {other} Anda dalam {minutes} menit. "
        "Kode hanya berlaku sekali.",
        "Your link code: {code}\nSend /tautkan {code} from your {other} account within {minutes} minutes. "
        "The code works once.",
    ),
    "link.linked": (
        "✅ Akun tertaut: {platforms}. Pemberitahuan dikirim lewat {preferred}; ubah dengan /utama line "
        "atau /utama telegram.",
        "✅ Accounts linked: {platforms}. Notices go to {preferred}; change it with /utama line or "
        "/utama telegram.",
    ),
    "link.same": ("Akun ini sudah tertaut: {platforms}.", "This account is already linked: {platforms}."),
    "link.bad_code": (
        "Kode tautan tidak dikenal, sudah dipakai, atau kedaluwarsa. Buat kode baru dengan /tautkan.",
        "The link code is unknown, used or expired. Make a new one with /tautkan.",
    ),
    "link.conflict": (
        "Tidak bisa ditautkan: pemilik kode sudah punya akun {platform} lain.",
        "Cannot link: the code's owner already has another {platform} account.",
    ),
    "preferred.set": ("✅ Pemberitahuan kini dikirim lewat {platform}.", "✅ Notices now go to {platform}."),
    "preferred.no_account": (
        "Anda belum punya akun {platform} yang tertaut. Tautkan dulu dengan /tautkan.",
        "You have no linked {platform} account. Link one first with /tautkan.",
    ),
    "preferred.usage": ("Kirim /utama line atau /utama telegram.", "Send /utama line or /utama telegram."),
    "line.followed": (
        "Anda menerima info publikasi untuk: {audiences}. Ubah dengan /langganan, berhenti dengan /berhenti.",
        "You receive publications for: {audiences}. Change with /langganan, stop with /berhenti.",
    ),
    "line.attachment": ("📎 {name}: {url}", "📎 {name}: {url}"),
    "card.continued": ("(lanjutan)", "(continued)"),
    "line.attachment_unavailable": (
        "📎 {name} tidak bisa dikirim lewat LINE; minta lewat Telegram atau kepada admin.",
        "📎 {name} cannot be sent on LINE; get it on Telegram or from the admin.",
    ),
    "intake.edit_corrected": (
        "✏️ Jawaban diperbarui sesuai pesan yang Anda sunting. {field}: {value}",
        "✏️ Answer updated from the message you edited. {field}: {value}",
    ),
    "intake.edit_refused": (
        "Pesan yang Anda sunting tidak dapat dipakai sebagai {field}, jadi jawaban sebelumnya tetap "
        "dipakai:\n{problems}",
        "The message you edited cannot be used as the {field}, so the earlier answer stays:\n{problems}",
    ),
    "intake.edit_media": (
        "Poster tidak diganti lewat suntingan pesan; poster yang sudah diterima tetap dipakai. Untuk "
        "menggantinya, pilih ✏️ Ubah → Poster/video di ringkasan.",
        "A poster is not replaced by editing the message; the one received is kept. To replace it, "
        "choose ✏️ Edit → Poster or video at the summary.",
    ),
    "line.content_gone": (
        "File ini sudah tidak tersedia di LINE (LINE hanya menyimpan kiriman untuk sementara waktu). "
        "Mohon kirim ulang file-nya.",
        "This file is no longer available from LINE (LINE keeps what is sent only for a while). "
        "Please send the file again.",
    ),
    "line.external_refused": (
        "Gambar/video ini dikirim sebagai tautan ke {host}, dan bot tidak dapat mengambilnya: {reason} "
        "Kirim file-nya langsung dari galeri ponsel.",
        "This image or video came as a link to {host}, and the bot could not fetch it: {reason} "
        "Send the file straight from your phone's gallery instead.",
    ),
    "line.external_not_web": (
        "tautannya bukan alamat web (http/https).",
        "the link is not a web address (http/https).",
    ),
    "line.external_private": (
        "alamatnya di jaringan internal, yang tidak dibuka bot.",
        "it points into a private network, which the bot does not open.",
    ),
    "line.external_too_big": (
        "file-nya lebih dari {limit}.",
        "the file is over {limit}.",
    ),
    "line.external_failed": (
        "situsnya tidak menjawab dengan file ({detail}).",
        "the site did not answer with the file ({detail}).",
    ),
    "intake.contact_not_now": (
        "Kontak belum diminta; jawab dulu pertanyaan ini:",
        "No contact is asked for yet; please answer this question first:",
    ),
}
