"""Long texts as several messages, never cut short: parts of at most a platform's limit,
split where a reader would pause (a paragraph, else a line, else a word).

Limits are counted in UTF-16 code units, as Telegram and LINE count them: an emoji outside
the Basic Multilingual Plane is two.
"""

from __future__ import annotations


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int) -> list[str]:
    """Parts of at most `limit` UTF-16 units, joined back they hold every word of `text`.
    A part ends at a blank line where one lies in its last three quarters, else at a line
    break or a space in its second half, else at the limit."""
    parts: list[str] = []
    rest = text.strip()
    while rest:
        if utf16_len(rest) <= limit:
            parts.append(rest)
            break
        end = _fit(rest, limit)
        end = _pause(rest, end)
        parts.append(rest[:end].rstrip())
        rest = rest[end:].lstrip()
    return [p for p in parts if p]


def _pause(text: str, end: int) -> int:
    """Where to cut within text[:end]: just after the last good pause."""
    paragraph = text.rfind("\n\n", 0, end)
    if paragraph > end // 4:
        return paragraph + 2
    cut = max(text.rfind("\n", 0, end), text.rfind(" ", 0, end))
    return cut + 1 if cut > end // 2 else end


def _fit(text: str, limit: int) -> int:
    """The longest prefix (in characters) within `limit` UTF-16 units."""
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return index
    return len(text)
