"""Dates as Indonesians type them (bot/domain/dates.py): the forms the bot promises to read, the
dates that do not exist, text that is no date at all, and the long form shown in summaries."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.dates import long_date, parse_date

NOV_28 = date(2026, 11, 28)


@pytest.mark.parametrize(
    "text",
    [
        "28-11-2026", "28/11/2026", "28.11.2026",
        "28 Nov 2026", "28 nov 2026", "28 NOV 2026", "28 Nov. 2026",
        "28 November 2026", "28 november 2026", "28 NOVEMBER 2026",
        "28 Nop 2026", "28 Nopember 2026",
        "28 November, 2026", "  28   November   2026  ", "2026-11-28",
    ],
)
def test_every_promised_form_of_28_november(text):
    assert parse_date(text) == NOV_28


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1-2-2027", date(2027, 2, 1)),
        ("01/02/2027", date(2027, 2, 1)),
        ("5.6.2027", date(2027, 6, 5)),
        ("12/11/2026", date(2026, 11, 12)),  # day first, as Indonesians write it
    ],
)
def test_numeric_dates_are_day_month_year(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("month", "number"),
    [
        # Indonesian names and abbreviations
        ("Januari", 1), ("Jan", 1), ("Februari", 2), ("Feb", 2), ("Pebruari", 2), ("Peb", 2),
        ("Maret", 3), ("Mar", 3), ("April", 4), ("Apr", 4), ("Mei", 5), ("Juni", 6), ("Jun", 6),
        ("Juli", 7), ("Jul", 7), ("Agustus", 8), ("Agu", 8), ("Agt", 8), ("Agus", 8),
        ("September", 9), ("Sep", 9), ("Sept", 9), ("Oktober", 10), ("Okt", 10),
        ("November", 11), ("Nopember", 11), ("Nov", 11), ("Nop", 11), ("Desember", 12), ("Des", 12),
        # English names and abbreviations
        ("January", 1), ("February", 2), ("March", 3), ("May", 5), ("June", 6), ("July", 7),
        ("August", 8), ("Aug", 8), ("October", 10), ("Oct", 10), ("December", 12), ("Dec", 12),
    ],
)
def test_month_names_in_indonesian_and_english(month, number):
    assert parse_date(f"15 {month} 2027") == date(2027, number, 15)
    assert parse_date(f"15 {month.lower()} 2027") == date(2027, number, 15)
    assert parse_date(f"15 {month.upper()} 2027") == date(2027, number, 15)


@pytest.mark.parametrize(
    "text",
    ["31-02-2026", "29/02/2026", "31.04.2026", "31 Nov 2026", "30 Februari 2026", "0-11-2026",
     "28-13-2026", "28-00-2026", "32 Desember 2026", "2026-02-30", "11/28/2026"],
)
def test_dates_that_do_not_exist_give_none(text):
    assert parse_date(text) is None


def test_29_february_of_a_leap_year_exists():
    assert parse_date("29-02-2028") == date(2028, 2, 29)
    assert parse_date("29 Februari 2028") == date(2028, 2, 29)


@pytest.mark.parametrize(
    "text",
    ["", "   ", "besok", "minggu depan", "tanggal 28", "28 Nov", "November 2026", "28-11",
     "28 Bulan 2026", "28 Novembre 2026", "28-11-26", "28-11-20266", "123-11-2026",
     "28 11 2026", "28-11-2026 jam 9", "28-11-2026x", "hari ini 28-11-2026", "28 Nov 2026 2027",
     "28|11|2026", "2026.11.28"],
)
def test_text_that_is_no_date_gives_none(text):
    assert parse_date(text) is None


@pytest.mark.parametrize(
    ("day", "lang", "expected"),
    [
        (NOV_28, "id", "28 November 2026"),
        (NOV_28, "en", "28 November 2026"),
        (date(2027, 5, 1), "id", "1 Mei 2027"),
        (date(2027, 5, 1), "en", "1 May 2027"),
        (date(2027, 8, 9), "id", "9 Agustus 2027"),
        (date(2027, 8, 9), "en", "9 August 2027"),
        (date(2026, 12, 10), "id", "10 Desember 2026"),
        (date(2026, 12, 10), "en", "10 December 2026"),
        (date(2027, 2, 3), "id", "3 Februari 2027"),
        (date(2027, 10, 20), "en", "20 October 2027"),
    ],
)
def test_long_date_in_indonesian_and_english(day, lang, expected):
    assert long_date(day, lang) == expected


def test_long_date_is_indonesian_unless_english_is_asked():
    assert long_date(date(2027, 3, 7)) == "7 Maret 2027"


@pytest.mark.parametrize("lang", ["id", "en"])
def test_long_date_reads_back_as_the_same_day(lang):
    for month in range(1, 13):
        day = date(2027, month, 5)
        assert parse_date(long_date(day, lang)) == day
