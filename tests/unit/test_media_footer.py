import hashlib
import io
from types import SimpleNamespace

import pytest
from PIL import Image, ImageChops

from bot.media import Footer, FooterError, MediaError, check_poster, stamp, stamp_file
from bot.media.footer import BOLD_FONT, REGULAR_FONT

MAROON = (122, 0, 38)  # "#7a0026", the default band colour
ISMKI = Footer(lines=["#ISMKISATU", "@ismki_indonesia | www.ismki.org"], band_colour="#7a0026")


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def near(pixel, colour, tolerance=12) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour, strict=True))


def band_colours(image: Image.Image, top: int) -> list[tuple[int, tuple[int, int, int]]]:
    """(count, colour) for every colour in the band."""
    return image.crop((0, top, image.width, image.height)).getcolors(1 << 24)


def test_the_fonts_and_their_licence_ship_with_the_package():
    fonts = BOLD_FONT.parent
    assert BOLD_FONT.stat().st_size > 100_000 and REGULAR_FONT.stat().st_size > 100_000
    assert "Bitstream Vera" in (fonts / "LICENSE").read_text()


def test_the_band_sits_at_the_bottom_in_proportion_and_leaves_the_rest_alone():
    poster = Image.new("RGB", (1080, 1350), "white")
    stamped = opened(stamp(encode(poster, "PNG"), ISMKI))
    assert (stamped.format, stamped.size) == ("PNG", (1080, 1350))
    top = 1350 - 108  # 10 % of the shorter side
    above = stamped.crop((0, 0, 1080, top))
    assert ImageChops.difference(above, poster.crop((0, 0, 1080, top))).getbbox() is None
    for x in (0, 5, 1075, 1079):  # the band reaches both edges and the last row
        assert stamped.getpixel((x, top)) == MAROON
        assert stamped.getpixel((x, 1349)) == MAROON


def test_the_footer_text_is_drawn_in_white_on_a_dark_band_on_both_lines():
    stamped = opened(stamp(encode(Image.new("RGB", (1080, 1350), "white"), "PNG"), ISMKI))
    top = 1242
    band = stamped.crop((0, top, 1080, 1350))
    text = [(x, y) for y in range(band.height) for x in range(band.width)
            if band.getpixel((x, y))[0] > 200 and band.getpixel((x, y))[1] > 200]
    assert len(text) > 2000  # real glyphs, not a blank band
    rows = {y for _, y in text}
    assert min(rows) < band.height / 2 < max(rows)  # two lines: above and below the middle
    xs = [x for x, _ in text]
    assert abs((min(xs) + max(xs)) / 2 - 540) < 20  # centred


def test_different_lines_draw_different_pixels():
    data = encode(Image.new("RGB", (800, 1000), "white"), "PNG")
    one = opened(stamp(data, ISMKI))
    other = opened(stamp(data, Footer(lines=["#HUMAS", "@humas | humas.example.id"])))
    assert ImageChops.difference(one, other).getbbox() is not None


def test_a_light_band_gets_dark_text():
    yellow = Footer(lines=["#ISMKISATU"], band_colour="#ffd200")
    stamped = opened(stamp(encode(Image.new("RGB", (1000, 1000), "white"), "PNG"), yellow))
    colours = band_colours(stamped, 900)
    assert sum(count for count, colour in colours if sum(colour) < 150) > 500
    assert all(colour != (255, 255, 255) for _, colour in colours)


def test_a_jpeg_stays_a_jpeg_and_away_from_the_band_barely_changes():
    poster = Image.linear_gradient("L").resize((1080, 1350)).convert("RGB")
    data = encode(poster, "JPEG", quality=90)
    stamped = opened(stamp(data, ISMKI))
    assert (stamped.format, stamped.size) == ("JPEG", (1080, 1350))
    assert near(stamped.getpixel((3, 1347)), MAROON, 16)
    top_half = (0, 0, 1080, 600)
    before, after = opened(data).crop(top_half), stamped.crop(top_half)
    assert max(hi for _, hi in ImageChops.difference(before, after).getextrema()) <= 8


def test_stamp_file_keeps_the_original_unchanged(tmp_path):
    original = tmp_path / "poster.jpg"
    original.write_bytes(encode(Image.new("RGB", (1080, 1350), (30, 140, 60)), "JPEG"))
    digest = hashlib.sha256(original.read_bytes()).hexdigest()
    stamped_path = stamp_file(original, tmp_path / "poster.stamped.jpg", ISMKI)
    assert hashlib.sha256(original.read_bytes()).hexdigest() == digest
    assert near(opened(stamped_path.read_bytes()).getpixel((2, 1348)), MAROON, 16)
    assert near(opened(original.read_bytes()).getpixel((2, 1348)), (30, 140, 60), 16)
    assert not list(tmp_path.glob("*.part"))
    with pytest.raises(ValueError, match="must not overwrite"):
        stamp_file(original, original, ISMKI)


def test_a_logo_is_drawn_at_the_left_of_the_band(tmp_path):
    logo = Image.new("RGBA", (200, 200), (0, 0, 0, 0))
    logo.paste((0, 200, 0, 255), (40, 40, 160, 160))  # a green square with clear margins
    logo_path = tmp_path / "logo.png"
    logo.save(logo_path)
    footer = Footer(lines=["#ISMKISATU"], band_colour="#7a0026", logo=logo_path)
    stamped = opened(stamp(encode(Image.new("RGB", (1000, 1000), "white"), "PNG"), footer))
    band_top = 900
    green = [(x, y) for y in range(band_top, 1000) for x in range(1000)
             if stamped.getpixel((x, y)) == (0, 200, 0)]
    assert green and max(x for x, _ in green) < 150  # at the left end, inside the band
    assert stamped.getpixel((2, band_top + 2)) == MAROON  # the logo's clear margin shows band


def test_a_rotated_photo_is_stamped_along_its_upright_bottom():
    stored = Image.new("RGB", (1350, 1080), "white")
    exif = Image.Exif()
    exif[0x0112] = 6
    stamped = opened(stamp(encode(stored, "JPEG", exif=exif.tobytes()), ISMKI))
    assert stamped.size == (1080, 1350)
    assert near(stamped.getpixel((2, 1347)), MAROON, 16)
    assert near(stamped.getpixel((1077, 5)), (255, 255, 255), 16)


def test_the_stamped_preview_passes_the_same_checks_as_the_original():
    data = encode(Image.new("RGB", (1080, 1350), "white"), "JPEG")
    stamped = stamp(check_poster(data, ["instagram"]).normalised, ISMKI)
    assert check_poster(stamped, ["instagram", "telegram", "line"]).ok


def test_a_tiny_image_still_gets_a_band():
    stamped = opened(stamp(encode(Image.new("RGB", (60, 40), "white"), "PNG"), ISMKI))
    assert stamped.size == (60, 40) and stamped.getpixel((0, 39)) == MAROON
    assert stamped.getpixel((0, 0)) == (255, 255, 255)


def test_stamping_something_that_is_not_an_image_raises_a_clear_error():
    with pytest.raises(MediaError) as caught:
        stamp(b"%PDF-1.4 not a poster", ISMKI)
    assert caught.value.issue.code == "not_image_format"


@pytest.mark.parametrize(
    "arguments",
    [{"lines": []}, {"lines": ["  "]}, {"lines": ["x"], "band_colour": "not-a-colour"},
     {"lines": ["x"], "band_ratio": 0.5}],
)
def test_an_unusable_footer_declaration_is_rejected(arguments):
    with pytest.raises(FooterError):
        Footer(**arguments)


def test_a_missing_logo_names_the_file(tmp_path):
    footer = Footer(lines=["#ISMKISATU"], logo=tmp_path / "missing.png")
    with pytest.raises(FooterError, match="missing.png"):
        stamp(encode(Image.new("RGB", (500, 500)), "PNG"), footer)


def test_footer_from_a_flow_declaration():
    declared = SimpleNamespace(lines=["#ISMKISATU", "www.ismki.org"], band_colour="#002b5c",
                               logo=None)
    assert Footer.from_config(declared) == Footer(
        lines=["#ISMKISATU", "www.ismki.org"], band_colour="#002b5c"
    )
    from_dict = Footer.from_config({"lines": ["#ISMKISATU"]})
    assert from_dict.band_colour == "#7a0026" and from_dict.lines == ("#ISMKISATU",)
