"""Opening untrusted image bytes safely, making them upright RGB, and encoding them again.

Everything Pillow can raise on hostile or broken input ends here as a MediaError with a
message for the client; callers never see a Pillow exception.
"""

from __future__ import annotations

import io
import math
import warnings

from PIL import ExifTags, Image, ImageCms, ImageOps
from PIL.JpegImagePlugin import JpegImageFile

from bot.media.issues import MediaError, MediaIssue, dims, hard
from bot.media.limits import MAX_PIXELS, POSTER_FORMATS

# Pillow's own decompression-bomb guard at our limit (its default is ~179 MP): it warns past
# MAX_PIXELS and refuses past twice that as it opens a file, before any pixel is decoded; the
# warning is no use to us, since open_image refuses anything past MAX_PIXELS itself.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)

JPEG_QUALITY = 90  # for re-encoded posters; a JPEG that was only stamped keeps its own tables
RGB_MODES = frozenset({"RGB", "RGBA", "RGBX", "P"})  # modes whose ICC profile is an RGB one

# What other common files start with, so a refusal can say what the file really is.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "PDF"),
    (b"GIF8", "GIF"),
    (b"BM", "BMP"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"PK\x03\x04", "ZIP/Office"),
    (b"\xd0\xcf\x11\xe0", "Office"),
    (b"\x1a\x45\xdf\xa3", "video"),
)
_HEIF_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1", b"avif")


def sniff_kind(data: bytes) -> str | None:
    """Name what non-poster bytes look like (PDF, HEIC, video...), or None if unknown."""
    if data[4:8] == b"ftyp":
        return "HEIC/AVIF" if data[8:12] in _HEIF_BRANDS else "video"
    if data.lstrip()[:5] in (b"<?xml", b"<svg ") or data.lstrip()[:4] == b"<svg":
        return "SVG"
    return next((kind for magic, kind in _SIGNATURES if data.startswith(magic)), None)


def not_image_issue(data: bytes) -> MediaIssue:
    kind = sniff_kind(data)
    if kind == "video":
        return hard(
            "not_image_video",
            "File ini video, bukan poster; kirim sebagai video.",
            "This file is a video, not a poster; send it as a video.",
        )
    if kind:
        return hard(
            "not_image_format",
            f"File ini {kind}, bukan gambar JPEG, PNG atau WebP; "
            "ekspor poster sebagai JPEG atau PNG lalu kirim lagi.",
            f"This file is a {kind}, not a JPEG, PNG or WebP image; "
            "export the poster as JPEG or PNG and send it again.",
        )
    return hard(
        "not_image",
        "File ini bukan gambar yang bisa dibaca; kirim poster sebagai JPEG atau PNG.",
        "This file is not an image we can read; send the poster as a JPEG or PNG.",
    )


def damaged_issue() -> MediaIssue:
    return hard(
        "image_damaged",
        "Gambar ini rusak atau tidak lengkap (mungkin terpotong saat dikirim); "
        "ekspor ulang lalu kirim lagi.",
        "The image is damaged or incomplete (perhaps cut off while sending); "
        "export it again and resend it.",
    )


def too_many_pixels_issue(size: tuple[int, int] | None) -> MediaIssue:
    limit_mp = MAX_PIXELS // 1_000_000
    if size is None:  # Pillow refused it before telling us its size
        return hard(
            "too_many_pixels",
            f"Gambar ini terlalu besar untuk diproses (lebih dari {limit_mp} megapiksel); "
            "perkecil, misalnya menjadi 4000×5000.",
            f"This image is too large to process (over {limit_mp} megapixels); "
            "scale it down, e.g. to 4000×5000.",
        )
    width, height = size
    scale = math.sqrt(MAX_PIXELS / (width * height))
    fit = dims(math.floor(width * scale), math.floor(height * scale))
    mp = round(width * height / 1_000_000)
    return hard(
        "too_many_pixels",
        f"Poster {dims(width, height)} terlalu besar untuk diproses ({mp} megapiksel; "
        f"batasnya {limit_mp}); perkecil menjadi paling besar {fit}.",
        f"Poster {dims(width, height)} is too large to process ({mp} megapixels; "
        f"the limit is {limit_mp}); scale it down to at most {fit}.",
    )


def open_image(data: bytes) -> Image.Image:
    """Decode a JPEG, PNG or WebP, refusing oversized images before their pixels are read."""
    try:
        image = Image.open(io.BytesIO(data), formats=POSTER_FORMATS)
    except Image.DecompressionBombError:
        raise MediaError(too_many_pixels_issue(None)) from None
    except Exception:  # UnidentifiedImageError, or whatever a plugin raises on garbage
        raise MediaError(not_image_issue(data)) from None
    # Our limit is below Pillow's own bomb threshold, and is checked before decoding.
    if image.width * image.height > MAX_PIXELS:
        raise MediaError(too_many_pixels_issue(image.size))
    try:
        image.load()
    except Exception:  # truncated data, bad chunks, zlib bombs in text chunks...
        raise MediaError(damaged_issue()) from None
    return image


def plain_jpeg_size(data: bytes) -> tuple[int, int] | None:
    """The size of a plain RGB JPEG that needs no turning and no converting, so that it is
    published as it came; None for any other image. It is decoded whole (every byte read, so a
    cut-off or damaged file fails as a full decode would), but at an eighth of its size: the
    full-size pixels are never needed. None on any error too: the full check then says what
    is wrong."""
    try:
        image = Image.open(io.BytesIO(data), formats=("JPEG",))
        if image.format != "JPEG" or image.mode != "RGB" or image.width * image.height > MAX_PIXELS:
            return None
        if image.getexif().get(ExifTags.Base.Orientation) in range(2, 9):
            return None
        size = image.size
        image.draft("RGB", (max(1, size[0] // 8), max(1, size[1] // 8)))
        image.load()
    except Exception:  # anything Pillow raises: the full path decides
        return None
    return size


def _upright(image: Image.Image) -> bool:
    """Apply the EXIF orientation in place; True if the pixels turned."""
    try:
        if image.getexif().get(ExifTags.Base.Orientation) not in range(2, 9):
            return False
        ImageOps.exif_transpose(image, in_place=True)
    except Exception:  # unreadable EXIF: show the pixels as stored rather than refuse
        return False
    return True


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in image.info


def _flatten(image: Image.Image) -> tuple[Image.Image, bool]:
    """Put a transparent image on white; True if any pixel was actually see-through."""
    rgba = image.convert("RGBA")
    alpha = rgba.getchannel("A")
    if alpha.getextrema()[0] == 255:
        return rgba.convert("RGB"), False
    flat = Image.new("RGB", rgba.size, "white")
    flat.paste(rgba, mask=alpha)
    return flat, True


def _cmyk_to_rgb(image: Image.Image) -> Image.Image:
    """Use the file's own print profile when it has one; plain conversion otherwise."""
    profile = image.info.get("icc_profile")
    if profile:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
            srgb = ImageCms.createProfile("sRGB")
            converted = ImageCms.profileToProfile(image, source, srgb, outputMode="RGB")
            if converted is not None:
                return converted
        except Exception:  # a broken or non-CMYK profile: fall back below
            pass
    return image.convert("RGB")


def upright_rgb(image: Image.Image) -> tuple[Image.Image, set[str]]:
    """The image turned upright and in RGB, plus notes: rotated, cmyk, transparent, animated.

    Returns the same object when nothing had to change, so a plain RGB JPEG keeps its
    quantisation tables and can be saved again without a second generation of loss.
    """
    notes: set[str] = set()
    # MPO (a JPEG with extra preview frames, from cameras) is not an animation.
    if image.format != "MPO" and getattr(image, "is_animated", False):
        notes.add("animated")
    if _upright(image):
        notes.add("rotated")
    if image.mode == "CMYK":
        notes.add("cmyk")
        return _cmyk_to_rgb(image), notes
    if _has_alpha(image):
        image, see_through = _flatten(image)
        notes.update({"transparent", "converted"} if see_through else {"converted"})
        return image, notes
    if image.mode.startswith("I"):  # 16-bit grey PNG: a plain convert would clip it to white
        image = image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    if image.mode != "RGB":
        notes.add("converted")
        image = image.convert("RGB")
    return image, notes


def rgb_profile(image: Image.Image) -> bytes | None:
    """The ICC profile worth carrying over, read before conversion: only an RGB one,
    since a CMYK or grey profile on RGB pixels would shift every colour."""
    return image.info.get("icc_profile") if image.mode in RGB_MODES else None


def source_format(image: Image.Image) -> str:
    return "JPEG" if image.format == "MPO" else str(image.format)


def encode(image: Image.Image, fmt: str, icc_profile: bytes | None = None) -> bytes:
    """JPEG or PNG bytes. EXIF is dropped on purpose: no stale orientation, no GPS location."""
    buffer = io.BytesIO()
    if fmt == "JPEG":
        # "keep" reuses the source's tables, so re-saving a JPEG adds no visible loss.
        quality = "keep" if isinstance(image, JpegImageFile) else JPEG_QUALITY
        image.save(buffer, "JPEG", quality=quality, icc_profile=icc_profile)
    else:
        image.save(buffer, "PNG", icc_profile=icc_profile)
    return buffer.getvalue()
