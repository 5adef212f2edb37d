"""Posters and videos: intake checks, normalising for publication, and the footer stamp."""

from bot.media.footer import Footer, FooterError, stamp, stamp_file
from bot.media.issues import MediaError, MediaIssue
from bot.media.poster import PosterCheck, check_poster
from bot.media.video import VideoCheck, check_video, check_video_download, sniff_video

__all__ = [
    "Footer",
    "FooterError",
    "MediaError",
    "MediaIssue",
    "PosterCheck",
    "VideoCheck",
    "check_poster",
    "check_video",
    "check_video_download",
    "sniff_video",
    "stamp",
    "stamp_file",
]
