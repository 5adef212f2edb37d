"""ISMKI's intake rules (000_e3d4d8ae51e2a12c.txt, parts A and B) through bot/domain/rules.py."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from bot.domain.flow import Rules
from bot.domain.request import Contact, Content, MediaRef
from bot.domain.rules import (
    check_caption,
    check_channels,
    check_content,
    check_publish_date,
    check_publish_time,
    check_slot,
    missing_fields,
    next_window_start,
    windows_label,
)
from bot.flows.loader import load_flow

TODAY = date(2026, 3, 2)
RULES: Rules = load_flow("ismki").rules
POSTER = MediaRef(sha256="c" * 64, kind="image", mime="image/jpeg", size=10, filename="poster.jpg")


def dmy(day: date) -> str:
    return day.strftime("%d-%m-%Y")


def complete(**changes: object) -> Content:
    base = Content(
        title="Seminar Nasional 'Sexophone'", organisation="Universitas Muhammadiyah Malang",
        media=[POSTER], caption="Seminar nasional kesehatan reproduksi", contact=Contact(name="Fika"),
        publish_date=TODAY + timedelta(days=3), slot="08.00-10.00", notes="Tidak ada",
    )
    return base.model_copy(update=changes)


def test_a_date_in_the_past_names_the_earliest_date() -> None:
    [violation] = check_publish_date(TODAY - timedelta(days=1), RULES, TODAY)
    assert violation.rule == "date_past"
    assert violation.field == "publish_date"
    assert violation.nearest == dmy(TODAY + timedelta(days=3)) == "05-03-2026"


def test_two_days_ahead_is_inside_the_lead_time() -> None:
    [violation] = check_publish_date(TODAY + timedelta(days=2), RULES, TODAY)
    assert violation.rule == "lead_time"
    assert violation.nearest == "05-03-2026"
    assert violation.params["days"] == 3


def test_today_is_inside_the_lead_time_not_past() -> None:
    [violation] = check_publish_date(TODAY, RULES, TODAY)
    assert violation.rule == "lead_time"


def test_exactly_three_days_ahead_is_accepted() -> None:
    assert check_publish_date(TODAY + timedelta(days=3), RULES, TODAY) == []
    assert check_publish_date(TODAY + timedelta(days=30), RULES, TODAY) == []


def test_window_0900_is_accepted() -> None:
    moment = datetime(2026, 3, 5, 9, 0)
    assert check_publish_time(moment, RULES) == []
    assert next_window_start(moment, RULES) == moment


def test_window_1100_moves_to_1800_the_same_day() -> None:
    moment = datetime(2026, 3, 5, 11, 0)
    [violation] = check_publish_time(moment, RULES)
    assert violation.rule == "window"
    assert violation.nearest == "05-03-2026 18.00 WIB"
    assert next_window_start(moment, RULES) == datetime(2026, 3, 5, 18, 0)


def test_window_2300_moves_to_0800_the_next_day() -> None:
    moment = datetime(2026, 3, 5, 23, 0)
    [violation] = check_publish_time(moment, RULES)
    assert violation.nearest == "06-03-2026 08.00 WIB"
    assert next_window_start(moment, RULES) == datetime(2026, 3, 6, 8, 0)


@pytest.mark.parametrize(("hour", "minute"), [(10, 0), (22, 0), (7, 59)])
def test_window_ends_are_exclusive_and_starts_inclusive(hour: int, minute: int) -> None:
    assert check_publish_time(datetime(2026, 3, 5, hour, minute), RULES) != []
    assert check_publish_time(datetime(2026, 3, 5, 8, 0), RULES) == []
    assert check_publish_time(datetime(2026, 3, 5, 18, 0), RULES) == []


def test_slot_labels() -> None:
    assert [w.label() for w in RULES.windows] == ["08.00-10.00", "18.00-22.00"]
    assert windows_label(RULES) == "08.00-10.00, 18.00-22.00"
    assert check_slot("18.00-22.00", RULES) == []
    [violation] = check_slot("13.00-16.00", RULES)
    assert violation.rule == "slot" and violation.nearest == "08.00-10.00"


def test_caption_over_the_instagram_limit() -> None:
    assert RULES.caption_limits == {"instagram": 2200}
    assert check_caption("x" * 2200, RULES) == []
    [violation] = check_caption("x" * 2201, RULES)
    assert violation.rule == "caption_length"
    assert violation.params["channel"] == "instagram"
    assert violation.params["over"] == 1
    assert violation.nearest == "2200"
    # a request not going to Instagram is not held to its limit
    assert check_caption("x" * 2201, RULES, ["website"]) == []


def test_required_fields_missing_are_named() -> None:
    missing = missing_fields(Content(title="Seminar"), RULES)
    assert [v.field for v in missing] == [
        "organisation", "media", "caption", "contact", "publish_date", "notes"]
    assert all(v.rule == "required" for v in missing)
    assert missing_fields(complete(), RULES) == []


def test_channels_are_ismki_media() -> None:
    assert check_channels(["instagram", "line"], RULES) == []
    [violation] = check_channels(["tiktok"], RULES)
    assert violation.rule == "channel" and violation.params["given"] == "tiktok"


def test_check_content_all_at_once() -> None:
    assert check_content(complete(), RULES, TODAY) == []
    bad = complete(notes="", publish_date=TODAY + timedelta(days=1), caption="x" * 2300, slot="12.00-13.00")
    assert [v.rule for v in check_content(bad, RULES, TODAY)] == ["required", "lead_time", "slot",
                                                                  "caption_length"]


def test_subject_line_in_the_ismki_format() -> None:
    content = Content(title="Seminar Nasional 'Sexophone'", organisation="Universitas Muhammadiyah Malang")
    expected = "[PUBLIKASI] SEMINAR NASIONAL 'SEXOPHONE'_UNIVERSITAS MUHAMMADIYAH MALANG"
    assert content.subject_line() == expected


def test_messages_render_in_indonesian_and_english() -> None:
    """Both languages fill in the given value and the nearest acceptable one."""
    [past] = check_publish_date(TODAY - timedelta(days=1), RULES, TODAY)
    assert "sudah lewat" in past.message("id") and "in the past" in past.message("en")
    [lead] = check_publish_date(TODAY + timedelta(days=2), RULES, TODAY)
    assert "paling lambat 3 hari" in lead.message("id") and "at least 3 days" in lead.message("en")
    [window] = check_publish_time(datetime(2026, 3, 5, 11, 0), RULES)
    assert "di luar jam publikasi" in window.message("id") and "outside" in window.message("en")
    [caption] = check_caption("x" * 2201, RULES)
    assert "melebihi batas instagram" in caption.message("id")
    assert "over the instagram limit" in caption.message("en")
    [notes] = missing_fields(complete(notes=""), RULES)
    assert "Catatan khusus" in notes.message("id") and "Special notes" in notes.message("en")
    for violation, nearest in ((past, "05-03-2026"), (lead, "05-03-2026"), (window, "05-03-2026 18.00 WIB"),
                               (caption, "2200")):
        for lang in ("id", "en"):
            text = violation.message(lang)
            assert nearest in text, (violation.rule, lang, text)
            assert "{" not in text, text
