"""Accepting an uploaded file: check what it is (not what it is called), store it by hash,
and stamp the flow's footer on posters. The original is kept beside the stamped copy."""

from __future__ import annotations

import asyncio

from bot.app import App
from bot.domain.request import MediaRef
from bot.i18n import t
from bot.media.footer import Footer, stamp
from bot.media.poster import check_poster
from bot.media.video import check_video, sniff_video

_IMAGE_MIME = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


async def accept_upload(
    app: App, data: bytes, filename: str, mime: str, lang: str
) -> tuple[MediaRef | None, str]:
    """The stored file's reference, or None and what to tell the client. Pillow's work runs
    in a thread so that one large poster does not hold up everyone else's updates."""
    return await asyncio.to_thread(_accept, app, data, filename, lang)


def _accept(app: App, data: bytes, filename: str, lang: str) -> tuple[MediaRef | None, str]:
    channels = app.flow.rules.channels
    if sniff_video(data[:64]) not in (None, "image"):
        return _accept_video(app, data, filename, channels, lang)
    check = check_poster(data, channels)
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


def _accept_video(app: App, data: bytes, filename: str, channels: list[str], lang: str):
    check = check_video(data[:64], len(data), channels, self_hosted_api=app.settings.telegram_self_hosted_api)
    if not check.ok:
        return None, t("intake.media_refused", lang, message=_first(check.errors, lang))
    sha = app.files.put(data)
    ref = MediaRef(
        sha256=sha,
        kind="video",
        mime=f"video/{check.container}",
        size=len(data),
        filename=filename,
        warnings=[(w.message("id"), w.message("en")) for w in check.warnings],
    )
    return ref, ""


def _first(issues, lang: str) -> str:
    return issues[0].message(lang) if issues else ""
