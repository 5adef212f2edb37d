"""What a step hands in, for every platform: a poster or video, a written text (typed, or a
.txt or .docx file), a document kept as it is (PDF). The flow's step says which it takes
(`output_kind`); what does not fit is refused saying what would."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from bot.app import App
from bot.chat.media import accept_upload
from bot.domain.flow import Step
from bot.domain.request import MediaRef
from bot.i18n import t
from bot.media.documents import UnreadableDocument, docx_text, plain_text, sniff_document
from bot.media.upload import Upload, of_bytes
from bot.media.video import sniff_video
from bot.textsplit import utf16_len

# Telegram cuts a pasted text longer than 4096 units into several messages: a message this
# long may be the first of them, so it is held until the rest comes or the sender says done.
SPLIT_AT = 4096
PART_HINT = SPLIT_AT - 512
MAX_TEXT = 50_000


@dataclass(frozen=True)
class Output:
    media: tuple[MediaRef, ...] = ()
    text: str | None = None
    documents: tuple[MediaRef, ...] = field(default_factory=tuple)


def may_be_part(text: str, platform: str) -> bool:
    """A typed text Telegram may have split from a longer paste."""
    return platform == "telegram" and utf16_len(text) >= PART_HINT


def join_parts(first: str, second: str) -> str:
    """Two parts of one pasted text. Telegram drops the space or line break it cut at; a
    part ending a sentence most likely ended a line."""
    first, second = first.rstrip(), second.lstrip()
    return f"{first}\n{second}" if first.endswith((".", "!", "?", ":", ")")) else f"{first} {second}"


def wanted(step: Step, lang: str) -> str:
    """What the step takes, in words: "poster (gambar) atau video; tulisan: ketik ..."."""
    kinds = step.produces
    media = [k for k in kinds if k in ("image", "video")]
    parts = []
    if media:
        parts.append(t("output.want_media" if len(media) == 2 else f"output.want_{media[0]}", lang))
    if "text" in kinds:
        parts.append(t("output.want_text", lang))
    if "document" in kinds:
        parts.append(t("output.want_document", lang))
    return "; ".join(parts)


def accepts_files(step: Step) -> bool:
    """Whether a document (.txt, .docx, .pdf) may answer this step's upload."""
    return bool({"text", "document"} & set(step.produces))


def from_text(step: Step, text: str, lang: str) -> tuple[Output | None, str]:
    """A typed text as the step's written output; or what to say instead."""
    if "text" not in step.produces:
        return None, t("output.refused_text", lang, wanted=wanted(step, lang))
    text = text.strip()
    if not text:
        return None, t("output.empty", lang)
    if len(text) > MAX_TEXT:
        return None, t("output.too_long", lang, length=len(text), limit=MAX_TEXT)
    return Output(text=text), ""


async def from_file(
    app: App, step: Step, upload: Upload | bytes, filename: str, mime: str, lang: str
) -> tuple[Output | None, str]:
    """A file as the step's output: a poster or video where the step makes one, the text of
    a .txt or .docx where it writes one, a PDF where it keeps documents. The file arrives on
    disk (received under its cap); only a document is read whole here, a poster or video is
    handed on as it is."""
    if isinstance(upload, bytes):  # bytes already in memory: a test
        upload = await asyncio.to_thread(of_bytes, upload, app.files.incoming())
    data = b"" if sniff_video(upload.head) is not None else await asyncio.to_thread(upload.read)
    document = sniff_document(data, filename) if data else None
    if document is None:
        if not {"image", "video"} & set(step.produces):
            return None, t("output.refused_file", lang, name=filename or "-", wanted=wanted(step, lang))
        ref, refusal = await accept_upload(app, upload, filename, mime, lang)
        if ref is None:
            return None, refusal
        if ref.kind not in step.produces:
            return None, t("output.refused_file", lang, name=filename or "-", wanted=wanted(step, lang))
        return Output(media=(ref,)), ""
    if document == "pdf" or "text" not in step.produces:
        if "document" not in step.produces:
            return None, t("output.refused_file", lang, name=filename or "-", wanted=wanted(step, lang))
        return Output(documents=(await _keep(app, upload, filename, document),)), ""
    try:
        text = docx_text(data) if document == "docx" else plain_text(data) or ""
    except UnreadableDocument:
        return None, t("output.unreadable", lang, name=filename or "-")
    return from_text(step, text, lang)


async def _keep(app: App, upload: Upload, filename: str, document: str) -> MediaRef:
    sha = await asyncio.to_thread(app.files.adopt, upload.path, upload.sha256)  # moved, not copied
    mime = {"pdf": "application/pdf", "txt": "text/plain",
            "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}[document]
    return MediaRef(sha256=sha, kind="document", mime=mime, size=upload.size, filename=filename)
