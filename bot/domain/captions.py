"""Caption limits per channel, measured the way each platform counts.

- Telegram caption 1,024 and LINE text 5,000, both counted in UTF-16 code units (an emoji
  outside the Basic Multilingual Plane counts 2), as their APIs do.
- Instagram 2,200 characters (code points) and at most 5 hashtags.
- X 280 weighted, per twitter-text v3 in simplified form: a URL counts 23; code points in
  U+0000-10FF and some punctuation ranges count 1; everything else (CJK, emoji) counts 2;
  an emoji sequence (ZWJ family, skin tone, flag, keycap) counts 2 as a whole.

Channels without a rule here have no limit. Pure Python: the reviewer sees one issue per
channel and rule, with a message in Indonesian and in English.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

TELEGRAM_CAPTION = 1024
LINE_TEXT = 5000
INSTAGRAM_CAPTION = 2200
INSTAGRAM_HASHTAGS = 5
X_WEIGHTED = 280
X_URL_WEIGHT = 23

CHANNEL_NAMES = {"telegram": "Telegram", "line": "LINE", "instagram": "Instagram", "x": "X"}

# twitter-text v3: code points in these ranges weigh 1, all others 2.
_X_LIGHT_RANGES = ((0x0000, 0x10FF), (0x2000, 0x200D), (0x2010, 0x201F), (0x2032, 0x2037))

# Simplified URL detection: with a scheme, with www., or a bare domain on a common TLD.
_TLDS = r"(?:com|org|net|id|co|io|me|info|biz|edu|gov|ac|sch|or|go|web|my|app|dev|ly|tv)"
_URL = re.compile(
    r"(?<![\w@.-])(?:https?://|www\.)[^\s]+"  # not inside an e-mail address or a word
    rf"|(?<![\w@.-])(?:[a-z0-9-]+\.)+{_TLDS}\b(?:/[^\s]*)?",
    re.IGNORECASE,
)
_URL_TRAILING = ".,;:!?)]}'\""  # punctuation that ends a sentence, not the URL

# A hashtag: '#' not glued to a word, then letters/digits/underscore with at least one letter.
_HASHTAG = re.compile(r"(?<![\w#&])#(?=\w*[^\W\d_])\w+")

_ZWJ = 0x200D
_EMOJI_MODIFIERS = {0xFE0F, 0xFE0E, 0x20E3} | set(range(0x1F3FB, 0x1F400))  # VS, keycap, skin
_TAG_CHARS = range(0xE0020, 0xE0080)  # subdivision flags (England, Scotland...)
_REGIONAL = range(0x1F1E6, 0x1F200)


@dataclass(frozen=True)
class CaptionIssue:
    channel: str
    code: str  # "too_long" or "too_many_hashtags"
    limit: int
    measured: int
    message_id: str  # Indonesian, shown first
    message_en: str

    def message(self, lang: str = "id") -> str:
        return self.message_en if lang == "en" else self.message_id


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def count_hashtags(text: str) -> int:
    return len(_HASHTAG.findall(text))


def _x_weight(code_point: int) -> int:
    return 1 if any(lo <= code_point <= hi for lo, hi in _X_LIGHT_RANGES) else 2


def _is_emoji_start(code_point: int) -> bool:
    # Pictographs live from U+1F000 up; older symbols and dingbats in U+2600-27BF.
    return 0x1F000 <= code_point <= 0x1FAFF or 0x2600 <= code_point <= 0x27BF


def _emoji_end(points: list[int], start: int) -> int:
    """Index just past the emoji sequence that starts at points[start]."""
    if points[start] in _REGIONAL:  # a flag is a pair of regional indicators
        pair = start + 1 < len(points) and points[start + 1] in _REGIONAL
        return start + (2 if pair else 1)
    i = start + 1
    while i < len(points):
        if points[i] in _EMOJI_MODIFIERS or points[i] in _TAG_CHARS:
            i += 1
        elif points[i] == _ZWJ and i + 1 < len(points) and _is_emoji_start(points[i + 1]):
            i += 2
        else:
            break
    return i


def _x_text_weight(text: str) -> int:
    points = [ord(ch) for ch in text]
    total, i = 0, 0
    while i < len(points):
        # U+FE0F after a plain character (1️⃣, ©️) asks for the emoji form: one emoji too.
        followed_by_vs16 = i + 1 < len(points) and points[i + 1] == 0xFE0F
        if _is_emoji_start(points[i]) or followed_by_vs16:
            end = _emoji_end(points, i)
            total, i = total + 2, end
        else:
            total, i = total + _x_weight(points[i]), i + 1
    return total


def x_weighted_length(text: str) -> int:
    """Length as X counts it (simplified twitter-text v3)."""
    text = unicodedata.normalize("NFC", text)
    total, position = 0, 0
    for match in _URL.finditer(text):
        url = match.group().rstrip(_URL_TRAILING)
        total += _x_text_weight(text[position:match.start()]) + X_URL_WEIGHT
        position = match.start() + len(url)
    return total + _x_text_weight(text[position:])


def _number_id(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def _too_long(channel: str, limit: int, measured: int, unit_id: str, unit_en: str) -> CaptionIssue:
    name, over = CHANNEL_NAMES[channel], measured - limit
    return CaptionIssue(
        channel, "too_long", limit, measured,
        f"Keterangan terlalu panjang untuk {name}: {_number_id(measured)} dari "
        f"{_number_id(limit)} {unit_id}; pendekkan {_number_id(over)} {unit_id}.",
        f"The caption is too long for {name}: {measured:,} of {limit:,} {unit_en}; "
        f"cut {over:,} {unit_en}.",
    )


def _too_many_hashtags(measured: int) -> CaptionIssue:
    limit, over = INSTAGRAM_HASHTAGS, measured - INSTAGRAM_HASHTAGS
    return CaptionIssue(
        "instagram", "too_many_hashtags", limit, measured,
        f"Instagram mengizinkan paling banyak {limit} tagar; keterangan ini memuat {measured}. "
        f"Hapus {over} tagar.",
        f"Instagram allows at most {limit} hashtags; this caption has {measured}. "
        f"Remove {over}.",
    )


def _check_channel(text: str, channel: str) -> list[CaptionIssue]:
    issues: list[CaptionIssue] = []
    if channel == "telegram" and (n := utf16_length(text)) > TELEGRAM_CAPTION:
        issues.append(_too_long(channel, TELEGRAM_CAPTION, n, "karakter", "characters"))
    elif channel == "line" and (n := utf16_length(text)) > LINE_TEXT:
        issues.append(_too_long(channel, LINE_TEXT, n, "karakter", "characters"))
    elif channel == "instagram":
        if (n := len(text)) > INSTAGRAM_CAPTION:
            issues.append(_too_long(channel, INSTAGRAM_CAPTION, n, "karakter", "characters"))
        if (tags := count_hashtags(text)) > INSTAGRAM_HASHTAGS:
            issues.append(_too_many_hashtags(tags))
    elif channel == "x" and (n := x_weighted_length(text)) > X_WEIGHTED:
        unit_id, unit_en = "karakter (hitungan X)", "characters (as X counts them)"
        issues.append(_too_long(channel, X_WEIGHTED, n, unit_id, unit_en))
    return issues


def check_caption(text: str, channels: Iterable[str]) -> list[CaptionIssue]:
    """One issue per channel and rule the caption breaks; unknown channels have no limit."""
    issues: list[CaptionIssue] = []
    for channel in dict.fromkeys(c.lower() for c in channels):  # de-duplicated, in order
        issues += _check_channel(text, channel)
    return issues
