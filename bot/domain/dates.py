"""Dates as Indonesians type them: 28-11-2026, 28/11/2026, 28 Nov 2026, 28 November 2026."""

from __future__ import annotations

import re
from datetime import date

MONTHS = {
    "jan": 1, "januari": 1, "january": 1,
    "feb": 2, "februari": 2, "february": 2, "peb": 2, "pebruari": 2,
    "mar": 3, "maret": 3, "march": 3,
    "apr": 4, "april": 4,
    "mei": 5, "may": 5,
    "jun": 6, "juni": 6, "june": 6,
    "jul": 7, "juli": 7, "july": 7,
    "agu": 8, "agt": 8, "agus": 8, "agustus": 8, "aug": 8, "august": 8,
    "sep": 9, "sept": 9, "september": 9,
    "okt": 10, "oktober": 10, "oct": 10, "october": 10,
    "nov": 11, "nop": 11, "november": 11, "nopember": 11,
    "des": 12, "desember": 12, "dec": 12, "december": 12,
}
MONTH_NAMES = ["", "Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
               "September", "Oktober", "November", "Desember"]

_NUMERIC = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_WORDS = re.compile(r"^(\d{1,2})\s+([a-z]+)\.?\s+(\d{4})$")


def parse_date(text: str) -> date | None:
    """The date meant, or None when the text is not a date in a known form."""
    cleaned = " ".join(text.strip().lower().replace(",", " ").split())
    try:
        if match := _NUMERIC.match(cleaned):
            day, month, year = (int(part) for part in match.groups())
            return date(year, month, day)
        if match := _ISO.match(cleaned):
            year, month, day = (int(part) for part in match.groups())
            return date(year, month, day)
        if (match := _WORDS.match(cleaned)) and match.group(2) in MONTHS:
            return date(int(match.group(3)), MONTHS[match.group(2)], int(match.group(1)))
    except ValueError:  # 31-02-2026 and the like
        return None
    return None


def long_date(day: date, lang: str = "id") -> str:
    """'28 November 2026' in Indonesian, '28 November 2026' style in English."""
    if lang == "en":
        return day.strftime("%d %B %Y").lstrip("0")
    return f"{day.day} {MONTH_NAMES[day.month]} {day.year}"


def date_examples(day: date) -> dict[str, str]:
    """`day` written in each form parse_date reads, for a message that shows how to write one."""
    return {"dash": day.strftime("%d-%m-%Y"), "slash": day.strftime("%d/%m/%Y"),
            "short": f"{day.day} {MONTH_NAMES[day.month][:3]} {day.year}", "long": long_date(day)}
