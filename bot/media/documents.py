"""Documents a step may hand in: plain text (.txt) and Word (.docx) become the step's written
text; a PDF is kept as it is. Told apart by their bytes, not their names.

Word's text is read with the standard library (a .docx is a zip of XML): paragraphs become
lines, tabs and line breaks are kept, everything else (styles, images) is left out.
"""

from __future__ import annotations

import io
import zipfile
from typing import Literal
from xml.etree import ElementTree

DocumentKind = Literal["pdf", "docx", "txt"]
MAX_XML = 20 * 1024 * 1024  # a document.xml larger than this is not an article (or a zip bomb)
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


class UnreadableDocument(ValueError):
    """The bytes claim to be a document but cannot be read as one."""


def sniff_document(data: bytes, filename: str = "") -> DocumentKind | None:
    """pdf, docx or txt by content; None for anything else (images and videos included)."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        return "docx" if _is_docx(data) else None
    if filename.lower().endswith((".txt", ".text", ".md")) or not filename:
        return "txt" if plain_text(data) is not None else None
    return None


def _is_docx(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "word/document.xml" in archive.namelist()
    except zipfile.BadZipFile:
        return False


def plain_text(data: bytes) -> str | None:
    """UTF-8 text (with or without a byte-order mark; UTF-16 with one); None for binary data."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return _clean(data.decode("utf-16"))
        except UnicodeDecodeError:
            return None
    if b"\x00" in data[:4096]:
        return None
    try:
        return _clean(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        return None


def docx_text(data: bytes) -> str:
    """The text of a Word document, one line per paragraph (tables' cells included)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            info = archive.getinfo("word/document.xml")
            if info.file_size > MAX_XML:
                raise UnreadableDocument("document.xml too large")
            root = ElementTree.fromstring(archive.read(info))
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError) as exc:
        raise UnreadableDocument(str(exc)) from exc
    lines = [_paragraph(p) for p in root.iter(f"{_W}p")]
    return _clean("\n".join(lines))


def _paragraph(paragraph: ElementTree.Element) -> str:
    parts = []
    for element in paragraph.iter():
        if element.tag == f"{_W}t" and element.text:
            parts.append(element.text)
        elif element.tag == f"{_W}tab":
            parts.append("\t")
        elif element.tag in (f"{_W}br", f"{_W}cr"):
            parts.append("\n")
    return "".join(parts)


def _clean(text: str) -> str:
    """Line ends as \\n, no trailing spaces, at most one blank line in a row."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()
