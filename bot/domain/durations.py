"""Time standards (*Mutu Baku*) as written in flow files: "15m", "2h", "1d", "90s"."""

from __future__ import annotations

import re
from datetime import timedelta

_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
_PATTERN = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")


def parse_duration(text: str) -> timedelta:
    """Parse "15m" / "2h" / "1d"; raise ValueError naming the accepted forms."""
    match = _PATTERN.match(text)
    if not match:
        raise ValueError(f"bad time standard {text!r}: use a number and s, m, h or d, e.g. 15m, 2h, 1d")
    amount, unit = match.groups()
    return timedelta(**{_UNITS[unit]: int(amount)})


def format_duration(delta: timedelta | None, lang: str = "id") -> str:
    """Human form: "1 hari", "2 jam", "15 menit" (or English)."""
    if delta is None:
        return "-"
    seconds = int(delta.total_seconds())
    words = {
        "id": [(86400, "hari"), (3600, "jam"), (60, "menit"), (1, "detik")],
        "en": [(86400, "day"), (3600, "hour"), (60, "minute"), (1, "second")],
    }[lang]
    parts = []
    for size, word in words:
        count, seconds = divmod(seconds, size)
        if count:
            plural = "s" if lang == "en" and count > 1 else ""
            parts.append(f"{count} {word}{plural}")
    return " ".join(parts) or ("0 menit" if lang == "id" else "0 minutes")
