"""Long texts split between paragraphs and never cut; documents read by their bytes."""

from __future__ import annotations

import io
import zipfile

from bot.chat.outputs import join_parts, may_be_part
from bot.media.documents import docx_text, plain_text, sniff_document
from bot.textsplit import split_text, utf16_len
from tests.e2e.office import docx


def test_a_long_text_splits_at_paragraphs_and_keeps_every_word():
    paragraphs = [f"Paragraf {i}. " + ("kalimat panjang " * 40).strip() for i in range(20)]
    text = "\n\n".join(paragraphs)
    parts = split_text(text, 4096)
    assert len(parts) > 1 and all(utf16_len(p) <= 4096 for p in parts)
    assert "\n\n".join(parts) == text.strip(), "cut only where a paragraph ends"


def test_without_paragraphs_it_cuts_at_a_line_or_a_word_and_never_mid_word():
    words = " ".join(f"kata{i}" for i in range(2000))
    parts = split_text(words, 1024)
    assert all(utf16_len(p) <= 1024 for p in parts)
    assert " ".join(parts) == words


def test_a_paragraph_break_too_early_in_the_part_is_not_used():
    text = "Judul\n\n" + "x " * 3000
    first = split_text(text, 4096)[0]
    assert len(first) > 3000, "a part is not wasted on a tiny first paragraph"


def test_a_long_telegram_message_may_be_the_first_part_of_a_paste():
    assert may_be_part("a" * 4091, "telegram")
    assert not may_be_part("a" * 908, "telegram")
    assert not may_be_part("a" * 4091, "line"), "LINE does not split what is pasted"
    assert join_parts("Kalimat selesai.", "Kalimat kedua") == "Kalimat selesai.\nKalimat kedua"
    assert join_parts("kata yang ter", "potong") == "kata yang ter potong"


def test_documents_are_told_apart_by_their_bytes():
    assert sniff_document(b"%PDF-1.7\n...", "laporan.docx") == "pdf"
    assert sniff_document(docx("Halo"), "berita") == "docx"
    assert sniff_document(b"Berita hari ini", "berita.txt") == "txt"
    assert sniff_document(b"\xff\xd8\xff\xe0 jpeg", "poster.txt") is None
    other_zip = io.BytesIO()
    with zipfile.ZipFile(other_zip, "w") as archive:
        archive.writestr("a.txt", "x")
    assert sniff_document(other_zip.getvalue(), "arsip.docx") is None


def test_a_word_document_gives_its_paragraphs_as_lines():
    text = docx_text(docx("Palembang (26/11) - Vaksinasi jemaah umrah.", "", "Diikuti 120 peserta."))
    assert text == "Palembang (26/11) - Vaksinasi jemaah umrah.\n\nDiikuti 120 peserta."


def test_plain_text_in_utf8_or_utf16_and_binary_refused():
    assert plain_text("Berita\r\nbaris dua  \n".encode("utf-8-sig")) == "Berita\nbaris dua"
    assert plain_text("Berita".encode("utf-16")) == "Berita"
    assert plain_text(b"\x00\x01\x02binary") is None
