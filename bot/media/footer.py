"""The corporate-identity footer: a band across the bottom of a poster with the office's lines.

The band is drawn over the bottom of the image rather than added below it, so the stamped
poster keeps the size and aspect ratio that passed the channel checks. The original bytes
are never touched; stamp() returns a new file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageColor, ImageDraw, ImageFont, ImageOps

from bot.media.image_io import encode, open_image, rgb_profile, source_format, upright_rgb

FONTS = Path(__file__).parent / "fonts"
BOLD_FONT = FONTS / "DejaVuSans-Bold.ttf"
REGULAR_FONT = FONTS / "DejaVuSans.ttf"
MIN_BAND_PX = 24  # below this no text is legible
MAX_BAND_SHARE = 0.25  # the band never hides more than a quarter of the poster
MIN_FONT_PX = 6
BLACK, WHITE = (0, 0, 0), (255, 255, 255)


class FooterError(ValueError):
    """A footer declaration that cannot be drawn (bad colour, unreadable logo...)."""


@dataclass(frozen=True)
class Footer:
    """What a flow declares, e.g. ISMKI: lines ["#ISMKISATU", "@ismki_indonesia | www.ismki.org"]."""

    lines: Sequence[str]  # first line bold, the rest regular
    band_colour: str = "#7a0026"  # any colour Pillow understands: "#rrggbb", "navy"...
    logo: str | os.PathLike[str] | None = None  # image drawn at the band's left end
    band_ratio: float = 0.10  # band height as a share of the poster's shorter side

    def __post_init__(self) -> None:
        lines = tuple(line.strip() for line in self.lines if line.strip())
        if not lines:
            raise FooterError("a footer needs at least one line of text")
        object.__setattr__(self, "lines", lines)
        if not 0 < self.band_ratio <= MAX_BAND_SHARE:
            raise FooterError(f"band_ratio must be in (0, {MAX_BAND_SHARE}]")
        try:
            ImageColor.getrgb(self.band_colour)
        except ValueError:
            raise FooterError(f"unknown band colour {self.band_colour!r}") from None

    @classmethod
    def from_config(cls, config: object) -> Footer:
        """Build from a flow's footer declaration: a mapping or an object with the fields."""
        names = ("lines", "band_colour", "logo")
        if isinstance(config, Mapping):
            fields = {name: config.get(name) for name in names}
        else:
            fields = {name: getattr(config, name, None) for name in names}
        return cls(
            lines=list(fields.get("lines") or []),
            band_colour=fields.get("band_colour") or cls.band_colour,
            logo=fields.get("logo"),
        )


def stamp(data: bytes, footer: Footer) -> bytes:
    """The poster with the footer drawn on it: JPEG stays JPEG, anything else becomes PNG.

    Raises MediaError (with a message for the client) if the bytes are not a usable image.
    """
    image = open_image(data)
    fmt = "JPEG" if source_format(image) == "JPEG" else "PNG"
    icc = rgb_profile(image)
    image, _ = upright_rgb(image)
    draw_footer(image, footer)
    return encode(image, fmt, icc)


def stamp_file(source: str | os.PathLike[str], target: str | os.PathLike[str],
               footer: Footer) -> Path:
    """Write a stamped copy next to the original, which is kept as it was."""
    source, target = Path(source), Path(target)
    if source.resolve() == target.resolve():
        raise ValueError("the stamped copy must not overwrite the original")
    stamped = stamp(source.read_bytes(), footer)
    partial = target.with_name(target.name + ".part")
    partial.write_bytes(stamped)
    partial.replace(target)  # readers never see a half-written file
    return target


def band_height(width: int, height: int, ratio: float) -> int:
    wanted = max(MIN_BAND_PX, round(min(width, height) * ratio))
    return max(1, min(wanted, int(height * MAX_BAND_SHARE)))


def text_colour(band: tuple[int, int, int]) -> tuple[int, int, int]:
    """Black or white, whichever contrasts more with the band (WCAG relative luminance)."""

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in band)
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    # Contrast with white is 1.05 / (L + 0.05), with black (L + 0.05) / 0.05; they meet here.
    return BLACK if luminance > 0.179 else WHITE


def draw_footer(image: Image.Image, footer: Footer) -> int:
    """Draw the band in place on an RGB image; returns the band's top row."""
    band = band_height(image.width, image.height, footer.band_ratio)
    top = image.height - band
    colour = ImageColor.getrgb(footer.band_colour)[:3]
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, top, image.width - 1, image.height - 1), fill=colour)
    pad = max(2, band // 8)
    left = pad + _paste_logo(image, footer.logo, top, band, pad)
    box = (left, top + pad, image.width - pad, image.height - pad)
    _draw_lines(draw, footer.lines, box, text_colour(colour))
    return top


def _paste_logo(image: Image.Image, logo: str | os.PathLike[str] | None, top: int,
                band: int, pad: int) -> int:
    """Paste the logo at the band's left, as tall as the band allows; returns its width."""
    if not logo:
        return 0
    side = band - 2 * pad
    if side < 4:
        return 0
    try:
        with Image.open(logo) as source:
            mark = ImageOps.contain(source.convert("RGBA"), (side * 4, side))
    except Exception as exc:  # the logo is configuration: say which file is wrong
        raise FooterError(f"footer logo {logo} cannot be read: {exc}") from exc
    image.paste(mark, (pad, top + (band - mark.height) // 2), mark)
    return mark.width + pad


@lru_cache(maxsize=64)
def _font(bold: bool, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(BOLD_FONT if bold else REGULAR_FONT), size)


def _widest(lines: Sequence[str], size: int) -> float:
    return max(_font(i == 0, size).getlength(line) for i, line in enumerate(lines))


def _font_size(lines: Sequence[str], width: int, slot: float) -> int:
    """The largest size whose lines fit their slot's height and the box's width."""
    size = max(MIN_FONT_PX, int(slot / 1.25))  # DejaVu's line height is about 1.16 em
    widest = _widest(lines, size)
    if widest > width:
        size = max(MIN_FONT_PX, int(size * width / widest))
    while size > MIN_FONT_PX and _widest(lines, size) > width:
        size -= 1
    return size


def _draw_lines(draw: ImageDraw.ImageDraw, lines: Sequence[str],
                box: tuple[int, int, int, int], fill: tuple[int, int, int]) -> None:
    left, top, right, bottom = box
    slot = (bottom - top) / len(lines)
    size = _font_size(lines, right - left, slot)
    centre_x = (left + right) / 2
    for i, line in enumerate(lines):
        centre_y = top + slot * (i + 0.5)
        draw.text((centre_x, centre_y), line, font=_font(i == 0, size), fill=fill, anchor="mm")
