import io
import os
import struct
import zlib

import pytest
from PIL import Image

from bot.media import check_poster

ALL = ["instagram", "telegram", "line"]


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def plain(width: int, height: int, fmt: str = "PNG", colour=(40, 90, 160)) -> bytes:
    return encode(Image.new("RGB", (width, height), colour), fmt)


def noise_jpeg(side: int) -> bytes:
    """Random pixels at quality 100: a JPEG that cannot be small."""
    image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    return encode(image, "JPEG", quality=100)


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims a size but carries (almost) no pixels: a decompression-bomb probe."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def codes(issues) -> list[str]:
    return [issue.code for issue in issues]


# --- accepted files -------------------------------------------------------------------------


def test_a_good_instagram_portrait_passes_and_is_published_byte_for_byte():
    data = plain(1080, 1350, "JPEG")
    check = check_poster(data, ALL)
    assert check.ok and check.errors == () and check.warnings == ()
    assert (check.width, check.height, check.format) == (1080, 1350, "JPEG")
    assert check.normalised == data  # nothing to fix, so no second JPEG generation


def test_format_comes_from_the_bytes_not_the_name():
    check = check_poster(plain(1080, 1080, "PNG"), ["telegram"])
    assert check.format == "PNG" and check.normalised_format == "PNG"


def test_webp_becomes_png_for_line_and_jpeg_for_instagram():
    data = plain(1080, 1080, "WEBP")
    assert check_poster(data, ["line"]).normalised_format == "PNG"
    for_instagram = check_poster(data, ["instagram"])
    assert for_instagram.normalised_format == "JPEG"
    assert opened(for_instagram.normalised).format == "JPEG"


# --- Instagram shape ------------------------------------------------------------------------


def test_too_tall_for_instagram_is_refused_with_the_crop_to_make():
    check = check_poster(plain(800, 3000), ["instagram"])
    assert not check.ok
    [error] = check.errors
    assert error.code == "instagram_too_tall" and error.channel == "instagram"
    assert error.message_id == (
        "Poster 800×3000 lebih tinggi dari yang diizinkan Instagram (4:5); "
        "potong menjadi 800×1000, atau 1080×1350."
    )
    assert error.message_en == (
        "Poster 800×3000 is taller than Instagram allows (4:5); "
        "crop it to 800×1000, or 1080×1350."
    )


def test_the_same_tall_poster_is_fine_for_telegram_only():
    assert check_poster(plain(800, 3000), ["telegram"]).ok


def test_too_wide_for_instagram_names_a_1_91_crop():
    [error] = check_poster(plain(3000, 800), ["instagram"]).errors
    assert error.code == "instagram_too_wide"
    assert "1528×800" in error.message_en and "1080×566" in error.message_en
    assert "1,91:1" in error.message_id


@pytest.mark.parametrize("size", [(1080, 1350), (1910, 1000), (1080, 1080)])
def test_instagram_ratio_edges_are_allowed(size):
    assert "instagram_too_tall" not in codes(check_poster(plain(*size), ["instagram"]).errors)
    assert "instagram_too_wide" not in codes(check_poster(plain(*size), ["instagram"]).errors)


def test_narrower_than_320_is_refused_and_under_1080_is_a_warning():
    small = check_poster(plain(300, 375), ["instagram"])
    assert codes(small.errors) == ["instagram_too_small"]
    soft = check_poster(plain(800, 1000), ["instagram"])
    assert soft.ok and codes(soft.warnings) == ["instagram_low_resolution"]
    assert "1080" in soft.warnings[0].message_en


# --- Telegram shape and file sizes ----------------------------------------------------------


def test_telegram_width_plus_height_over_10000_is_refused_with_a_size_that_fits():
    [error] = check_poster(plain(9000, 1200), ["telegram"]).errors
    assert error.code == "telegram_too_large"
    assert "8823×1176" in error.message_en  # scaled to width + height <= 10,000


def test_telegram_sides_over_20_to_1_are_refused():
    [error] = check_poster(plain(4200, 200), ["telegram"]).errors
    assert error.code == "telegram_too_long" and "4000×200" in error.message_en


def test_files_over_10_mb_are_refused_for_each_channel_that_cannot_take_them():
    data = noise_jpeg(2400)
    assert len(data) > 10 * 1024 * 1024
    check = check_poster(data, ALL + ["website"])
    assert codes(check.errors) == ["file_too_large"] * 3
    assert {error.channel for error in check.errors} == {"instagram", "telegram", "line"}
    assert "10.0 MB" in check.errors[1].message_en and "10,0 MB" in check.errors[1].message_id


def test_instagram_alone_stops_at_8_mb():
    data = noise_jpeg(2200)
    assert 8 * 1024 * 1024 < len(data) <= 10 * 1024 * 1024
    check = check_poster(data, ALL)
    assert [(e.code, e.channel) for e in check.errors] == [("file_too_large", "instagram")]


# --- refused inputs -------------------------------------------------------------------------


def test_a_pdf_named_jpg_is_refused_for_what_it_is(tmp_path):
    path = tmp_path / "poster.jpg"
    path.write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n")
    check = check_poster(path.read_bytes(), ALL)
    assert not check.ok and check.normalised is None
    [error] = check.errors
    assert error.code == "not_image_format" and error.hard
    assert "PDF" in error.message_en and "export the poster as JPEG or PNG" in error.message_en
    assert "PDF" in error.message_id


def test_text_named_jpg_is_not_an_image(tmp_path):
    path = tmp_path / "poster.jpg"
    path.write_text("just some words, not a picture")
    [error] = check_poster(path.read_bytes(), ALL).errors
    assert error.code == "not_image"
    assert error.message_en == (
        "This file is not an image we can read; send the poster as a JPEG or PNG."
    )


def test_a_gif_is_refused_with_advice_to_export():
    [error] = check_poster(plain(100, 100, "GIF"), ALL).errors
    assert error.code == "not_image_format" and "GIF" in error.message_en


def test_a_truncated_jpeg_is_reported_as_damaged():
    data = encode(Image.effect_noise((600, 600), 60).convert("RGB"), "JPEG")
    [error] = check_poster(data[: len(data) // 2], ALL).errors
    assert error.code == "image_damaged" and "resend" in error.message_en


def test_a_64_megapixel_image_is_refused_before_it_is_decoded():
    bomb = encode(Image.new("1", (8000, 8000)), "PNG")  # a few KB on disk, 64 MP inside
    assert len(bomb) < 100_000
    [error] = check_poster(bomb, ALL).errors
    assert error.code == "too_many_pixels"
    assert "8000×8000" in error.message_en and "64 megapixels" in error.message_en
    assert "7071×7071" in error.message_en  # the largest size that fits in 50 MP


def test_a_400_megapixel_header_hits_pillows_own_bomb_guard_and_is_refused_clearly():
    [error] = check_poster(png_header_only(20_000, 20_000), ALL).errors
    assert error.code == "too_many_pixels" and "megapixels" in error.message_en


def test_broken_input_never_raises():
    samples = [plain(300, 300, fmt) for fmt in ("JPEG", "PNG", "WEBP")]
    for sample in samples:
        for cut in (0, 1, 8, 20, 50, len(sample) // 3, len(sample) - 2):
            check = check_poster(sample[:cut], ALL)
            assert not check.ok and check.errors[0].hard
    garbage = bytes(range(256)) * 4
    assert not check_poster(garbage, ALL).ok


# --- normalised for publication -------------------------------------------------------------


def test_exif_rotated_photo_comes_out_upright_without_the_orientation_tag():
    stored = Image.new("RGB", (200, 100), (0, 0, 255))
    stored.paste((255, 0, 0), (0, 0, 100, 100))  # left half red as stored
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display": the stored left becomes the top
    check = check_poster(encode(stored, "JPEG", exif=exif.tobytes(), quality=95), ["telegram"])
    assert check.ok and (check.width, check.height) == (100, 200)
    upright = opened(check.normalised)
    assert upright.size == (100, 200)
    top, bottom = upright.getpixel((50, 50)), upright.getpixel((50, 150))
    assert top[0] > 200 and top[2] < 60  # red on top
    assert bottom[2] > 200 and bottom[0] < 60  # blue below
    assert upright.getexif().get(0x0112) in (None, 1)


def test_cmyk_jpeg_becomes_rgb_and_the_reviewer_is_told():
    cmyk = Image.new("CMYK", (400, 500), (0, 255, 255, 0))  # print red
    check = check_poster(encode(cmyk, "JPEG", quality=95), ["telegram"])
    assert check.ok and codes(check.warnings) == ["poster_was_cmyk"]
    rgb = opened(check.normalised)
    assert rgb.mode == "RGB"
    red, green, blue = rgb.getpixel((200, 250))
    assert red > 200 and green < 60 and blue < 60


def test_cmyk_and_rotated_together_come_out_upright_and_rgb():
    cmyk = Image.new("CMYK", (300, 150), (0, 0, 0, 0))
    exif = Image.Exif()
    exif[0x0112] = 8  # rotate 90° counter-clockwise to display
    check = check_poster(encode(cmyk, "JPEG", exif=exif.tobytes()), ["line"])
    image = opened(check.normalised)
    assert (image.mode, image.size) == ("RGB", (150, 300))


def test_transparent_png_is_placed_on_white_and_flagged():
    image = Image.new("RGBA", (400, 400), (0, 0, 0, 0))
    image.paste((200, 0, 0, 255), (100, 100, 300, 300))
    check = check_poster(encode(image, "PNG"), ["line"])
    assert check.ok and codes(check.warnings) == ["poster_was_transparent"]
    flat = opened(check.normalised)
    assert flat.mode == "RGB"
    assert flat.getpixel((5, 5)) == (255, 255, 255)  # not black, as Telegram would show it
    assert flat.getpixel((200, 200)) == (200, 0, 0)


def test_an_rgba_png_with_no_see_through_pixel_is_converted_without_a_warning():
    check = check_poster(encode(Image.new("RGBA", (400, 400), (9, 9, 9, 255)), "PNG"), ["line"])
    assert check.ok and check.warnings == ()
    assert opened(check.normalised).mode == "RGB"


def test_animated_webp_warns_that_only_the_first_frame_is_published():
    frames = [Image.new("RGB", (400, 400), colour) for colour in ("red", "blue")]
    data = encode(frames[0], "WEBP", save_all=True, append_images=frames[1:], duration=200)
    check = check_poster(data, ["line"])
    assert check.ok and codes(check.warnings) == ["poster_is_animated"]
    red, green, blue = opened(check.normalised).getpixel((10, 10))  # lossy WebP: near red
    assert red > 240 and green < 15 and blue < 15


def test_a_16_bit_grey_png_keeps_its_tones_instead_of_turning_white():
    grey16 = Image.new("I;16", (400, 400), 30000)  # 30000 / 65535 ≈ 46 % grey
    check = check_poster(encode(grey16, "PNG"), ["line"])
    assert check.ok
    assert opened(check.normalised).getpixel((10, 10)) == (117, 117, 117)


def test_an_rgb_colour_profile_survives_normalising_and_a_cmyk_one_does_not():
    from PIL import ImageCms

    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    exif = Image.Exif()
    exif[0x0112] = 3  # upside down: forces a re-encode
    rotated = encode(Image.new("RGB", (400, 500)), "JPEG", exif=exif.tobytes(), icc_profile=srgb)
    assert opened(check_poster(rotated, ["line"]).normalised).info.get("icc_profile") == srgb
    cmyk = encode(Image.new("CMYK", (400, 500)), "JPEG", icc_profile=srgb)
    assert "icc_profile" not in opened(check_poster(cmyk, ["line"]).normalised).info


def test_a_plain_jpeg_is_checked_as_a_full_decode_checks_it_and_published_as_it_came(monkeypatch):
    """A plain RGB JPEG is proved whole without its full-size pixels (decoded at an eighth):
    the same size, warnings and bytes as the full decode gives; cut off, it is refused."""
    from bot.media import poster

    data = noise_jpeg(1080)
    assert poster.plain_jpeg_size(data) == (1080, 1080)
    quick = check_poster(data, ALL)
    monkeypatch.setattr(poster, "plain_jpeg_size", lambda data: None)  # the full decode
    assert check_poster(data, ALL) == quick and quick.normalised == data
    monkeypatch.undo()
    cut = check_poster(data[: len(data) * 2 // 3], ALL)
    assert [e.code for e in cut.errors] == ["image_damaged"]
