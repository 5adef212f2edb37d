"""A sample poster, drawn with Pillow when a person sends it: something to send without a file,
showing the event they are asking about (the title and organisation typed in the form)."""

from __future__ import annotations

import functools
import io

from PIL import Image, ImageDraw, ImageFont

from bot.media.footer import BOLD_FONT, REGULAR_FONT

WIDTH, HEIGHT = 1080, 1350  # Instagram's 4:5 portrait


@functools.lru_cache(maxsize=16)  # the same form's poster, sent again, is not drawn again
def sample_poster(title: str, organiser: str, when: str = "", place: str = "") -> bytes:
    """A 1080x1350 JPEG: a coloured ground, the event's title, organiser, and date and place if
    given."""
    image = Image.new("RGB", (WIDTH, HEIGHT))
    draw = ImageDraw.Draw(image)
    top, bottom = (18, 86, 160), (10, 40, 90)
    for y in range(HEIGHT):  # a vertical gradient
        share = y / HEIGHT
        draw.line([(0, y), (WIDTH, y)], fill=tuple(int(a + (b - a) * share) for a, b in zip(top, bottom,
                                                                                        strict=True)))
    for x in range(-HEIGHT, WIDTH, 90):  # diagonal stripes in the upper band
        draw.line([(x, 0), (x + 420, 420)], fill=(40, 120, 200), width=18)
    draw.rectangle([0, 420, WIDTH, 432], fill=(245, 190, 40))
    bold = ImageFont.truetype(str(BOLD_FONT), 92)
    regular = ImageFont.truetype(str(REGULAR_FONT), 46)
    small = ImageFont.truetype(str(REGULAR_FONT), 38)
    y = 500
    for line in _wrap(title.upper(), bold, WIDTH - 160, draw)[:5]:  # a long title stops above the rest
        draw.text((80, y), line, font=bold, fill=(255, 255, 255))
        y += 110
    y += 40
    for text, font, colour in ((organiser, regular, (245, 190, 40)), (when, regular, (255, 255, 255)),
                               (place, small, (210, 225, 245))):
        for line in _wrap(text, font, WIDTH - 160, draw)[:2]:
            draw.text((80, y), line, font=font, fill=colour)
            y += 60
        y += 20 if text else 0
    draw.rounded_rectangle([80, HEIGHT - 200, 560, HEIGHT - 110], radius=45, fill=(245, 190, 40))
    draw.text((120, HEIGHT - 180), "GRATIS · TERBUKA", font=small, fill=(10, 40, 90))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88)
    return out.getvalue()


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int, draw: ImageDraw.ImageDraw) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and draw.textlength(f"{lines[-1]} {word}", font=font) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines
