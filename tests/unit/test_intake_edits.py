"""Editing a message that answered an intake question corrects that answer (bot/domain/intake.py):
the draft remembers which message gave which answer, a correction is checked as the first
answer was, and it changes that one field, nowhere else and no question further."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

from bot.domain.intake import (
    SUMMARY,
    Draft,
    add_media,
    answer_text,
    choose_field,
    correct,
    finish_media,
    remember,
    source_of,
)
from bot.domain.request import Contact, MediaRef
from bot.flows.loader import load_flow

TODAY = date(2026, 11, 26)
FLOW = load_flow("default")  # one day's lead time, windows 08-10, 13-16, 18-21
ANSWERS = {"title": "Seminar Kesehatan", "organisation": "BEM FK", "caption": "Hadiri!",
           "contact": "Sari 0812-3456-789", "publish_date": "28-11-2026", "slot": "08.00-10.00",
           "notes": "Pagi saja"}


def poster(n: int) -> MediaRef:
    return MediaRef(sha256=f"{n:064x}", kind="image", mime="image/jpeg", size=1000, width=1080, height=1350)


def answered(until: str = SUMMARY) -> Draft:
    """Each typed answer from its own message, telegram:1, telegram:2, ...; the poster from
    telegram:50 (file P1)."""
    draft, number = Draft(), 0
    while draft.question != until:
        if draft.question == "media":
            draft, _ = add_media(draft, poster(1))
            draft = remember(draft, "telegram:50", "media", "P1")
            draft, _ = finish_media(draft, FLOW)
            continue
        number += 1
        text = ANSWERS[draft.question]
        new, problems = answer_text(draft, FLOW, text, TODAY)
        assert problems == []
        draft = remember(new, f"telegram:{number}", draft.question, text)
    return draft


def test_each_answer_knows_the_message_it_came_from():
    draft = answered()
    assert source_of(draft, "telegram:1") == ("title", "Seminar Kesehatan")
    assert source_of(draft, "telegram:4") == ("contact", "Sari 0812-3456-789")
    assert source_of(draft, "telegram:50") == ("media", "P1")
    assert source_of(draft, "telegram:99") is None


def test_a_field_answered_again_forgets_the_older_message():
    draft = choose_field(answered(), "title", FLOW)
    new, _ = answer_text(draft, FLOW, "Seminar Gizi", TODAY)
    new = remember(new, "telegram:20", "title", "Seminar Gizi")
    assert source_of(new, "telegram:1") is None
    assert source_of(new, "telegram:20") == ("title", "Seminar Gizi")


def test_a_correction_changes_that_field_only_and_stays_at_the_question():
    draft = answered(until="slot")
    new, problems = correct(draft, FLOW, "title", "Seminar Gizi Balita", TODAY)
    assert problems == []
    assert new.question == "slot" and not new.editing
    assert new.data == draft.data | {"title": "Seminar Gizi Balita"}


def test_a_correction_at_the_summary_stays_at_the_summary():
    draft = answered()
    new, _ = correct(draft, FLOW, "contact", "Budi @budi_humas", TODAY)
    assert new.question == SUMMARY
    assert new.content().contact == Contact(name="Budi", handle="@budi_humas")


def test_a_correction_during_an_edit_from_the_summary_keeps_that_edit():
    draft = choose_field(answered(), "caption", FLOW)
    new, _ = correct(draft, FLOW, "organisation", "BEM FKM", TODAY)
    assert (new.question, new.editing, new.content().organisation) == ("caption", True, "BEM FKM")


def test_a_correction_is_checked_as_the_first_answer_was():
    draft = answered(until="notes")
    for name, text in (("publish_date", "26-11-2026"), ("publish_date", "kapan-kapan"),
                       ("title", "x" * 201), ("contact", "Sari saja"), ("slot", "23.00-24.00")):
        new, problems = correct(draft, FLOW, name, text, TODAY)
        assert problems and new == draft, (name, text)


def test_the_sources_survive_a_restart():
    draft = answered(until="caption")
    loaded = Draft.from_json(draft.question, json.loads(json.dumps(draft.to_json())))
    assert loaded == draft and source_of(loaded, "telegram:2") == ("organisation", "BEM FK")


def test_a_draft_stored_before_sources_existed_loads_without_them():
    stored = {"data": {"title": "Seminar"}, "editing": False, "code": None}
    assert Draft.from_json("organisation", stored).sources == {}


def test_posters_each_have_their_message_until_the_posters_begin_again():
    draft = replace(Draft(), question="media")
    for n in (1, 2):
        draft, _ = add_media(draft, poster(n))
        draft = remember(draft, f"telegram:{n}", "media", f"P{n}")
    assert source_of(draft, "telegram:1") and source_of(draft, "telegram:2")
    draft = choose_field(draft, "media", FLOW)
    draft, _ = add_media(draft, poster(3))
    draft = remember(draft, "telegram:3", "media", "P3")
    assert source_of(draft, "telegram:1") is None and source_of(draft, "telegram:3")
