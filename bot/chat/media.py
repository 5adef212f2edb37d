"""Accepting an uploaded file: check what it is (not what it is called), store it by hash,
and stamp the flow's footer on posters. The original is kept beside the stamped copy.

The file arrives on disk (bot/media/upload.py), received under a hard cap. A video is never
read into memory: it is told apart by its first bytes and moved into the store. A poster is
read and decoded by Pillow, under the small decoding semaphore of bot/media/gate.py."""

from __future__ import annotations

import asyncio

from bot.app import App
from bot.domain.request import MediaRef
from bot.i18n import t
from bot.media import limits as L
from bot.media.footer import Footer, stamp
from bot.media.gate import decode
from bot.media.issues import mb_en, mb_id
from bot.media.poster import check_poster
from bot.media.upload import TooBig, Upload, of_bytes
from bot.media.video import check_video, sniff_video

_IMAGE_MIME = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


async def accept_upload(
    app: App, upload: Upload | bytes, filename: str, mime: str, lang: str
) -> tuple[MediaRef | None, str]:
    """The stored file's reference, or None and what to tell the client. The received file
    is gone afterwards either way: adopted by the store, or removed."""
    if isinstance(upload, bytes):  # bytes already in memory: a test, the sandbox
        upload = await asyncio.to_thread(of_bytes, upload, app.files.incoming())
    try:
        if sniff_video(upload.head) not in (None, "image"):
            return await asyncio.to_thread(_accept_video, app, upload, filename, lang)
        if upload.size > L.POSTER_MAX_BYTES:  # never read a file this big to decode it
            limit = mb_en(L.POSTER_MAX_BYTES) if lang == "en" else mb_id(L.POSTER_MAX_BYTES)
            return None, t("intake.media_refused", lang, message=t("upload.image_too_big", lang, limit=limit))
        return await decode(_accept_image, app, upload, filename, lang)
    finally:
        upload.discard()


def _accept_image(app: App, upload: Upload, filename: str, lang: str) -> tuple[MediaRef | None, str]:
    check = check_poster(upload.read(), app.flow.rules.channels)
    if not check.ok or check.normalised is None:
        return None, t("intake.media_refused", lang, message=_first(check.errors, lang))
    sha = app.files.put(check.normalised)
    ref = MediaRef(
        sha256=sha,
        kind="image",
        mime=_IMAGE_MIME.get(check.normalised_format or "", "image/jpeg"),
        size=len(check.normalised),
        filename=filename,
        width=check.width,
        height=check.height,
        warnings=[(w.message("id"), w.message("en")) for w in check.warnings],
    )
    if app.flow.rules.footer is not None:
        stamped = stamp(check.normalised, Footer.from_config(app.flow.rules.footer))
        ref = ref.model_copy(update={"stamped_sha256": app.files.put(stamped)})
    return ref, ""


def _accept_video(app: App, upload: Upload, filename: str, lang: str) -> tuple[MediaRef | None, str]:
    check = check_video(upload.head, upload.size, app.flow.rules.channels,
                        self_hosted_api=app.settings.telegram_self_hosted_api)
    if not check.ok:
        return None, t("intake.media_refused", lang, message=_first(check.errors, lang))
    sha = app.files.adopt(upload.path, upload.sha256)
    ref = MediaRef(
        sha256=sha,
        kind="video",
        mime=f"video/{check.container}",
        size=upload.size,
        filename=filename,
        warnings=[(w.message("id"), w.message("en")) for w in check.warnings],
    )
    return ref, ""


def too_big_text(too_big: TooBig, kind: str, lang: str) -> str:
    """A file refused for its size, before or while it was downloaded."""
    def mb(size: int) -> str:
        return mb_en(size) if lang == "en" else mb_id(size)

    size = mb(too_big.size) if too_big.size else "?"
    what = t({"video": "upload.video", "image": "upload.image"}.get(kind, "upload.file"), lang)
    return t("intake.media_refused", lang, message=t("upload.too_big", lang, what=what, size=size,
                                                      limit=mb(too_big.cap)))


def _first(issues, lang: str) -> str:
    return issues[0].message(lang) if issues else ""
