"""What the media checks report: one small object per problem, in both languages."""

from __future__ import annotations

from dataclasses import dataclass

from bot.media.limits import MB


@dataclass(frozen=True)
class MediaIssue:
    """A problem with a file. Hard ones refuse it; soft ones are warnings for the reviewer."""

    code: str  # stable id for code and tests, e.g. "instagram_too_tall"
    message_id: str  # Indonesian, shown first
    message_en: str
    hard: bool
    channel: str | None = None  # the channel whose rule it is, if any

    def message(self, lang: str = "id") -> str:
        return self.message_en if lang == "en" else self.message_id


class MediaError(ValueError):
    """Raised where a caller needs an image and the bytes cannot be one; carries the issue."""

    def __init__(self, issue: MediaIssue) -> None:
        super().__init__(issue.message_en)
        self.issue = issue


def hard(code: str, message_id: str, message_en: str, channel: str | None = None) -> MediaIssue:
    return MediaIssue(code, message_id, message_en, True, channel)


def soft(code: str, message_id: str, message_en: str, channel: str | None = None) -> MediaIssue:
    return MediaIssue(code, message_id, message_en, False, channel)


def mb_en(size: int) -> str:
    return f"{size / MB:,.1f} MB"


def mb_id(size: int) -> str:
    # Indonesian swaps the separators: 1.234,5 MB.
    return mb_en(size).translate(str.maketrans(",.", ".,"))


def dims(width: int, height: int) -> str:
    return f"{width}×{height}"
