"""Poster intake: is it a usable image, and does it fit the channels the request targets?

check_poster never raises on bad input; it returns a PosterCheck whose errors refuse the file
and whose warnings go to the reviewer, each in plain words saying what to do.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass

from PIL import Image

from bot.media import limits as L
from bot.media.image_io import (
    damaged_issue,
    encode,
    open_image,
    plain_jpeg_size,
    rgb_profile,
    source_format,
    upright_rgb,
)
from bot.media.issues import MediaError, MediaIssue, dims, hard, mb_en, mb_id, soft

log = logging.getLogger(__name__)
CHANNEL_NAMES = {"instagram": "Instagram", "telegram": "Telegram", "line": "LINE"}


@dataclass(frozen=True)
class PosterCheck:
    errors: tuple[MediaIssue, ...]  # hard: the file is refused
    warnings: tuple[MediaIssue, ...]  # soft: the reviewer sees them
    width: int = 0  # upright size, as people will see it
    height: int = 0
    format: str | None = None  # what the bytes are ("JPEG", "PNG", "WEBP"), not the file name
    normalised: bytes | None = None  # upright RGB JPEG or PNG to publish; None if unreadable
    normalised_format: str | None = None

    @property
    def ok(self) -> bool:
        return not self.errors


def check_poster(data: bytes, channels: Iterable[str]) -> PosterCheck:
    targets = {channel.lower() for channel in channels}
    plain = plain_jpeg_size(data)
    if plain is not None:  # published as it came: checked without its full-size pixels
        return _checked("JPEG", *plain, data, set(), targets)
    try:
        image = open_image(data)
    except MediaError as exc:
        return PosterCheck(errors=(exc.issue,), warnings=())
    fmt = source_format(image)
    out_fmt = output_format(fmt, targets)
    try:
        image, notes, normalised = _normalise(image, data, out_fmt)
    except Exception:  # decoded yet unconvertible: refuse it rather than crash the bot
        log.exception("poster decoded but could not be normalised")
        return PosterCheck(errors=(damaged_issue(),), warnings=(), format=fmt)
    return _checked(fmt, image.width, image.height, normalised, notes, targets, out_fmt)


def _checked(fmt: str, width: int, height: int, normalised: bytes, notes: set[str], targets: set[str],
             out_fmt: str = "JPEG") -> PosterCheck:
    issues = [
        *shape_issues(width, height, targets),
        *size_issues(len(normalised), targets),
        *note_issues(notes),
    ]
    return PosterCheck(
        errors=tuple(i for i in issues if i.hard),
        warnings=tuple(i for i in issues if not i.hard),
        width=width,
        height=height,
        format=fmt,
        normalised=normalised,
        normalised_format=out_fmt,
    )


def _normalise(image: Image.Image, data: bytes, out_fmt: str
               ) -> tuple[Image.Image, set[str], bytes]:
    """Upright RGB in the publishing format; the original bytes when nothing had to change."""
    icc = rgb_profile(image)
    source = source_format(image)
    image, notes = upright_rgb(image)
    if not notes and out_fmt == source:
        return image, notes, data
    return image, notes, encode(image, out_fmt, icc)


def output_format(source: str, targets: set[str]) -> str:
    """JPEG stays JPEG; Instagram takes only JPEG; otherwise PNG keeps graphics lossless
    (and replaces WebP, which LINE does not take)."""
    return "JPEG" if source == "JPEG" or "instagram" in targets else "PNG"


def shape_issues(width: int, height: int, targets: set[str]) -> list[MediaIssue]:
    issues: list[MediaIssue] = []
    if "instagram" in targets:
        issues += instagram_shape(width, height)
    if "telegram" in targets:
        issues += telegram_shape(width, height)
    return issues


def _or_standard(crop: tuple[int, int], standard: tuple[int, int]) -> tuple[str, str]:
    """'800×1000, atau 1080×1350' / '800×1000, or 1080×1350' (once if they are the same)."""
    if crop == standard:
        return dims(*crop), dims(*crop)
    return f"{dims(*crop)}, atau {dims(*standard)}", f"{dims(*crop)}, or {dims(*standard)}"


def instagram_shape(width: int, height: int) -> list[MediaIssue]:
    size = dims(width, height)
    min_w, min_h = L.INSTAGRAM_MIN_RATIO
    max_w, max_h = L.INSTAGRAM_MAX_RATIO
    issues: list[MediaIssue] = []
    if width * min_h < height * min_w:  # taller than 4:5; integers avoid float edges
        crop_id, crop_en = _or_standard((width, width * min_h // min_w), L.INSTAGRAM_PORTRAIT)
        issues.append(hard(
            "instagram_too_tall",
            f"Poster {size} lebih tinggi dari yang diizinkan Instagram (4:5); "
            f"potong menjadi {crop_id}.",
            f"Poster {size} is taller than Instagram allows (4:5); crop it to {crop_en}.",
            "instagram",
        ))
    elif width * max_h > height * max_w:  # wider than 1.91:1
        crop = (height * max_w // max_h, height)
        crop_id, crop_en = _or_standard(crop, L.INSTAGRAM_LANDSCAPE)
        issues.append(hard(
            "instagram_too_wide",
            f"Poster {size} lebih lebar dari yang diizinkan Instagram (1,91:1); "
            f"potong menjadi {crop_id}.",
            f"Poster {size} is wider than Instagram allows (1.91:1); crop it to {crop_en}.",
            "instagram",
        ))
    return issues + instagram_width(width, height)


def instagram_width(width: int, height: int) -> list[MediaIssue]:
    size = dims(width, height)
    if width < L.INSTAGRAM_MIN_WIDTH:
        return [hard(
            "instagram_too_small",
            f"Poster {size} terlalu kecil untuk Instagram (lebar minimal 320 px); "
            "kirim file aslinya, sebaiknya selebar 1080 px.",
            f"Poster {size} is too small for Instagram (at least 320 px wide); "
            "send the original file, ideally 1080 px wide.",
            "instagram",
        )]
    if width < L.INSTAGRAM_GOOD_WIDTH:
        return [soft(
            "instagram_low_resolution",
            f"Poster {size} akan tampak buram di Instagram; sebaiknya selebar 1080 px.",
            f"Poster {size} will look blurry on Instagram; 1080 px wide is better.",
            "instagram",
        )]
    return []


def telegram_shape(width: int, height: int) -> list[MediaIssue]:
    size = dims(width, height)
    long, short = max(width, height), min(width, height)
    if long > L.TELEGRAM_PHOTO_MAX_RATIO * short:
        crop = (width, short * 20) if height > width else (short * 20, height)
        return [hard(
            "telegram_too_long",
            f"Poster {size} terlalu panjang untuk foto Telegram (sisi panjang paling banyak "
            f"20 kali sisi pendek); potong menjadi {dims(*crop)}.",
            f"Poster {size} is too long for a Telegram photo (the long side may be at most "
            f"20 times the short side); crop it to {dims(*crop)}.",
            "telegram",
        )]
    if width + height > L.TELEGRAM_PHOTO_MAX_SIDES:
        scale = L.TELEGRAM_PHOTO_MAX_SIDES / (width + height)
        fit = dims(math.floor(width * scale), math.floor(height * scale))
        return [hard(
            "telegram_too_large",
            f"Poster {size} terlalu besar untuk foto Telegram (lebar + tinggi paling banyak "
            f"10.000 px); perkecil menjadi {fit}.",
            f"Poster {size} is too large for a Telegram photo (width + height at most "
            f"10,000 px); scale it down to {fit}.",
            "telegram",
        )]
    return []


def size_issues(size: int, targets: set[str]) -> list[MediaIssue]:
    """Measured on the file that will be published, which may be a converted copy."""
    caps = {
        "instagram": L.INSTAGRAM_MAX_BYTES,
        "telegram": L.TELEGRAM_PHOTO_MAX_BYTES,
        "line": L.LINE_IMAGE_MAX_BYTES,
    }
    return [
        hard(
            "file_too_large",
            f"Poster {mb_id(size)} melebihi batas {CHANNEL_NAMES[channel]} ({mb_id(cap)}); "
            "simpan ulang sebagai JPEG dengan kualitas lebih rendah atau ukuran lebih kecil.",
            f"The poster is {mb_en(size)}, over {CHANNEL_NAMES[channel]}'s limit of "
            f"{mb_en(cap)}; save it again as a JPEG at lower quality or a smaller size.",
            channel,
        )
        for channel, cap in caps.items()
        if channel in targets and size > cap
    ]


NOTE_ISSUES = {
    "cmyk": (
        "poster_was_cmyk",
        "Poster memakai warna cetak (CMYK) dan sudah diubah ke RGB untuk layar; "
        "periksa warnanya di pratinjau.",
        "The poster used print colours (CMYK) and was converted to RGB for screens; "
        "check its colours in the preview.",
    ),
    "transparent": (
        "poster_was_transparent",
        "Latar transparan poster diganti putih; periksa tampilannya di pratinjau.",
        "The poster's transparent background was filled with white; "
        "check how it looks in the preview.",
    ),
    "animated": (
        "poster_is_animated",
        "Poster ini animasi; hanya bingkai pertama yang dipublikasikan. "
        "Kirim sebagai video bila animasinya penting.",
        "This poster is animated; only its first frame will be published. "
        "Send it as a video if the animation matters.",
    ),
}


def note_issues(notes: set[str]) -> list[MediaIssue]:
    """Conversions the reviewer should look at; turning upright needs no comment."""
    return [soft(*NOTE_ISSUES[note]) for note in sorted(notes) if note in NOTE_ISSUES]
