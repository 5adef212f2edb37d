"""Video intake: what container the bytes are and whether their size fits each platform.

No decoding library: the container is read from its first bytes (an MP4/MOV 'ftyp' box, an
EBML header for WebM/Matroska) and the rest is size. Two moments matter:

- check_video_download(size, source): before fetching; Telegram tells the size in the update,
  and a cloud Bot API bot cannot download more than 20 MB at all.
- check_video(head, size, channels): once stored; can each target channel take it?
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.media import limits as L
from bot.media.issues import MediaIssue, hard, mb_en, mb_id, soft

HEAD_BYTES = 64  # enough of the file for sniff_video
_QUICKTIME_ATOMS = (b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot")  # old MOV, no ftyp
_HEIF_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1", b"avif", b"avis")


@dataclass(frozen=True)
class VideoCheck:
    container: str | None  # "mp4", "mov", "webm", "mkv"; None if not a video
    size: int
    errors: tuple[MediaIssue, ...]  # hard: the file is refused
    warnings: tuple[MediaIssue, ...] = ()  # soft: the reviewer sees them

    @property
    def ok(self) -> bool:
        return not self.errors


def sniff_video(head: bytes) -> str | None:
    """'mp4', 'mov', 'webm' or 'mkv' from the first bytes; 'image' for HEIC/JPEG/PNG; or None."""
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _HEIF_BRANDS:
            return "image"
        return "mov" if brand == b"qt  " else "mp4"
    if head[4:8] in _QUICKTIME_ATOMS:
        return "mov"
    if head.startswith(b"\x1a\x45\xdf\xa3"):  # EBML; the doctype follows within a few bytes
        return "webm" if b"webm" in head[:HEAD_BYTES] else "mkv"
    if head.startswith((b"\xff\xd8\xff", b"\x89PNG")) or head[8:12] == b"WEBP":
        return "image"
    return None


_DOWNLOAD_WORDS = {  # what was sent, and what to do instead: (Indonesian, English)
    "video": (("Video", "Kompres videonya, atau kirim tautan (mis. Google Drive)."),
              ("The video", "Compress the video, or send a link (e.g. Google Drive) instead.")),
    "image": (("Gambar", "Kirim gambar yang lebih kecil (mis. simpan ulang sebagai JPEG)."),
              ("The image", "Send a smaller image (e.g. saved again as a JPEG).")),
    "file": (("Berkas", "Kirim berkas yang lebih kecil, atau ketik isinya."),
             ("The file", "Send a smaller file, or type its content.")),
}


def check_video_download(size: int, source: str, *, self_hosted_api: bool = False,
                         kind: str = "video") -> list[MediaIssue]:
    """Can the bot fetch a file of this size from where the client sent it? `kind` (video,
    image or file) names what was sent, so that a too-big poster is not called a video."""
    if source.lower() != "telegram":
        return []  # LINE hands the bot the content whatever its size
    cap = L.TELEGRAM_LOCAL_FILE_BYTES if self_hosted_api else L.TELEGRAM_CLOUD_DOWNLOAD_BYTES
    if size <= cap:
        return []
    (what_id, advice_id), (what_en, advice_en) = _DOWNLOAD_WORDS.get(kind, _DOWNLOAD_WORDS["file"])
    return [hard(
        "telegram_download_too_large",
        f"{what_id} {mb_id(size)} terlalu besar untuk diterima bot lewat Telegram (paling besar "
        f"{mb_id(cap)}). {advice_id}",
        f"{what_en} is {mb_en(size)}; a bot can receive at most {mb_en(cap)} from Telegram. {advice_en}",
        "telegram",
    )]


def check_video(head: bytes, size: int, channels: Iterable[str], *,
                self_hosted_api: bool = False) -> VideoCheck:
    """head: the file's first bytes (the whole file is fine too); size: its length in bytes."""
    container = sniff_video(head)
    if size <= 0 or container in (None, "image"):
        return VideoCheck(None, size, (_not_video(container),))
    targets = {channel.lower() for channel in channels}
    issues: list[MediaIssue] = []
    if "telegram" in targets:
        issues += _telegram_upload(container, size, self_hosted_api)
    if "line" in targets:
        issues += _line_video(container, size)
    errors = tuple(i for i in issues if i.hard)
    return VideoCheck(container, size, errors, tuple(i for i in issues if not i.hard))


def _not_video(container: str | None) -> MediaIssue:
    if container == "image":
        return hard(
            "not_video_image",
            "File ini gambar, bukan video; kirim sebagai poster.",
            "This file is an image, not a video; send it as a poster.",
        )
    return hard(
        "not_video",
        "File ini bukan video MP4, MOV atau WebM; ekspor sebagai MP4 (H.264) lalu kirim lagi.",
        "This file is not an MP4, MOV or WebM video; export it as MP4 (H.264) and send it again.",
    )


def _telegram_upload(container: str, size: int, self_hosted_api: bool) -> list[MediaIssue]:
    issues: list[MediaIssue] = []
    if container != "mp4":  # sendVideo plays MPEG-4 only; anything else arrives as a file
        issues.append(soft(
            "telegram_not_mp4",
            f"Video {container.upper()} akan tampil di Telegram sebagai file, bukan diputar "
            "langsung; ekspor sebagai MP4 bila ingin diputar langsung.",
            f"A {container.upper()} video shows in Telegram as a file to download, not a "
            "playable video; export it as MP4 to have it play in the chat.",
            "telegram",
        ))
    cap = L.TELEGRAM_LOCAL_FILE_BYTES if self_hosted_api else L.TELEGRAM_CLOUD_UPLOAD_BYTES
    if size <= cap:
        return issues
    return [*issues, hard(
        "telegram_upload_too_large",
        f"Video {mb_id(size)} melebihi batas unggah bot Telegram ({mb_id(cap)}); "
        f"kompres videonya di bawah {mb_id(cap)}.",
        f"The video is {mb_en(size)}, over the Telegram bot upload limit of {mb_en(cap)}; "
        f"compress it below {mb_en(cap)}.",
        "telegram",
    )]


def _line_video(container: str, size: int) -> list[MediaIssue]:
    issues: list[MediaIssue] = []
    if container != "mp4":
        issues.append(hard(
            "line_not_mp4",
            f"LINE hanya memutar video MP4, sedangkan file ini {container.upper()}; "
            "ekspor ulang sebagai MP4 (H.264).",
            f"LINE only plays MP4 videos and this file is {container.upper()}; "
            "export it again as MP4 (H.264).",
            "line",
        ))
    if size > L.LINE_VIDEO_MAX_BYTES:
        cap = L.LINE_VIDEO_MAX_BYTES
        issues.append(hard(
            "line_video_too_large",
            f"Video {mb_id(size)} melebihi batas LINE ({mb_id(cap)}); "
            f"kompres videonya di bawah {mb_id(cap)}.",
            f"The video is {mb_en(size)}, over LINE's limit of {mb_en(cap)}; "
            f"compress it below {mb_en(cap)}.",
            "line",
        ))
    return issues
