"""The intake dialogue (bot/domain/intake.py) as a client lives it: one question at a time,
a wrong answer explained and nothing lost, edits from the summary, media replaced only when a
new file arrives, and a draft that survives being stored and loaded after a restart."""

from __future__ import annotations

import copy
import json
from datetime import date

import pytest

from bot.domain.flow import Flow
from bot.domain.intake import (
    CHOOSE_FIELD,
    FIELDS,
    MAX_MEDIA,
    MAX_TEXT,
    SUMMARY,
    Draft,
    add_media,
    answer_text,
    choose_field,
    fields_for,
    finish_media,
    parse_contact,
    revision_of,
)
from bot.domain.request import Contact, Content, MediaRef
from bot.flows.loader import load_flow

TODAY = date(2026, 11, 26)
DEFAULT = load_flow("default")  # lead time 1 day, windows 08-10, 13-16, 18-21, telegram caption 1024
ISMKI = load_flow("ismki")  # lead time 3 days, windows 08-10, 18-22, instagram caption 2200
RSPON = load_flow("rspon")  # no lead time, no windows, no caption limit
FLOWS = {"default": DEFAULT, "ismki": ISMKI, "rspon": RSPON}


def poster(n: int = 1) -> MediaRef:
    return MediaRef(sha256=f"{n:064x}", kind="image", mime="image/jpeg", size=1000 + n,
                    filename=f"poster{n}.jpg", width=1080, height=1350,
                    warnings=[("Resolusi rendah", "Low resolution")] if n == 1 else [])


def video(n: int = 100) -> MediaRef:
    return MediaRef(sha256=f"{n:064x}", kind="video", mime="video/mp4", size=5_000_000, filename="v.mp4")


ANSWERS = {
    "title": "Seminar Kesehatan Reproduksi",
    "organisation": "BEM FK UI",
    "caption": "Hadiri seminar kesehatan reproduksi!",
    "contact": "Sari 0812-3456-789",
    "publish_date": "28-11-2026",
    "slot": "08.00-10.00",
    "notes": "Mohon diunggah pagi",
}
ISMKI_ANSWERS = ANSWERS | {"publish_date": "30 Nov 2026", "slot": "18.00-22.00"}


def ok(draft: Draft, flow: Flow, text: str) -> Draft:
    new, problems = answer_text(draft, flow, text, TODAY)
    assert problems == [], [p.message("en") for p in problems]
    return new


def fill(flow: Flow, until: str = SUMMARY, answers: dict | None = None, media=(1,)) -> Draft:
    """A fresh draft answered question by question until `until` is asked."""
    answers = answers or (ISMKI_ANSWERS if flow is ISMKI else ANSWERS)
    draft = Draft()
    while draft.question != until:
        if draft.question == "media":
            for n in media:
                draft, problems = add_media(draft, poster(n))
                assert problems == []
            draft, problems = finish_media(draft, flow)
            assert problems == []
        else:
            draft = ok(draft, flow, answers[draft.question])
    return draft


# Question order ---------------------------------------------------------------------------


def questions_asked(flow: Flow) -> list[str]:
    asked, draft = [], Draft()
    while draft.question != SUMMARY:
        asked.append(draft.question)
        draft = _one_step(draft, flow)
    return asked


def _one_step(draft: Draft, flow: Flow) -> Draft:
    if draft.question == "media":
        draft, _ = add_media(draft, poster())
        return finish_media(draft, flow)[0]
    answers = ISMKI_ANSWERS if flow is ISMKI else ANSWERS
    return ok(draft, flow, answers[draft.question])


def test_a_new_draft_asks_the_title_first():
    draft = Draft()
    assert (draft.question, draft.data, draft.editing, draft.code) == ("title", {}, False, None)


@pytest.mark.parametrize("name", ["default", "ismki"])
def test_flows_with_windows_ask_every_question_in_order(name):
    expected = ["title", "organisation", "media", "caption", "contact", "publish_date", "slot", "notes"]
    assert list(fields_for(FLOWS[name])) == expected
    assert questions_asked(FLOWS[name]) == expected


def test_a_flow_without_windows_asks_no_slot():
    expected = ["title", "organisation", "media", "caption", "contact", "publish_date", "notes"]
    assert list(fields_for(RSPON)) == expected
    assert questions_asked(RSPON) == expected


def test_the_last_answer_leads_to_the_summary():
    draft = fill(DEFAULT, until="notes")
    assert ok(draft, DEFAULT, "Tidak ada").question == SUMMARY


def test_a_complete_intake_holds_every_answer():
    content = fill(DEFAULT).content()
    assert content == Content(
        title="Seminar Kesehatan Reproduksi", organisation="BEM FK UI", media=[poster(1)],
        caption="Hadiri seminar kesehatan reproduksi!", contact=Contact(name="Sari", phone="08123456789"),
        publish_date=date(2026, 11, 28), slot="08.00-10.00", notes="Mohon diunggah pagi",
    )


def test_answers_are_trimmed():
    draft = ok(Draft(), DEFAULT, "   Seminar Nasional  \n")
    assert draft.data["title"] == "Seminar Nasional"
    assert draft.question == "organisation"


@pytest.mark.parametrize(
    "text", ["28-11-2026", "28/11/2026", "28.11.2026", "28 Nov 2026", "28 Nopember 2026"]
)
def test_a_date_in_any_accepted_form_is_stored_as_that_day(text):
    draft = ok(fill(DEFAULT, until="publish_date"), DEFAULT, text)
    assert draft.question == "slot"
    assert draft.content().publish_date == date(2026, 11, 28)


@pytest.mark.parametrize("text", ["08:00-10:00", "08.00 - 10.00", " 18.00-21.00 "])
def test_a_slot_typed_with_colons_or_spaces_is_the_window(text):
    draft = ok(fill(DEFAULT, until="slot"), DEFAULT, text)
    assert draft.question == "notes"
    assert draft.data["slot"] in ("08.00-10.00", "18.00-21.00")


# Boundaries that must be accepted ----------------------------------------------------------


def test_the_earliest_allowed_date_is_accepted():
    assert ok(fill(DEFAULT, until="publish_date"), DEFAULT, "27-11-2026").data["publish_date"] == "2026-11-27"
    assert ok(fill(ISMKI, until="publish_date"), ISMKI, "29-11-2026").data["publish_date"] == "2026-11-29"


def test_a_flow_without_lead_time_accepts_today():
    assert ok(fill(RSPON, until="publish_date"), RSPON, "26-11-2026").question == "notes"


def test_a_caption_exactly_at_the_limit_is_accepted():
    assert ok(fill(DEFAULT, until="caption"), DEFAULT, "x" * 1024).question == "contact"
    assert ok(fill(ISMKI, until="caption"), ISMKI, "x" * 2200).question == "contact"


def test_a_flow_without_caption_limits_takes_a_long_caption():
    assert ok(fill(RSPON, until="caption"), RSPON, "x" * 5000).question == "contact"


def test_a_title_of_exactly_the_maximum_is_accepted():
    assert ok(Draft(), DEFAULT, "T" * MAX_TEXT).question == "organisation"


# Wrong answers ------------------------------------------------------------------------------

WRONG = [
    # flow, question, answer, rule, what the Indonesian and the English message must say
    ("default", "media", "ini posternya", "expect_media", ["poster", "video"], ["poster", "video"]),
    # the examples are a week after the earliest allowed date (27-11-2026), never in the past
    ("default", "publish_date", "besok", "not_date",
     ["besok", "04-12-2026", "4 Des 2026", "4 Desember 2026"], ["besok", "not a date", "04/12/2026"]),
    ("default", "publish_date", "31-02-2027", "not_date", ["31-02-2027", "04-12-2026"], ["31-02-2027"]),
    ("default", "publish_date", "25-11-2026", "date_past",
     ["25-11-2026", "sudah lewat", "27-11-2026"], ["25-11-2026", "in the past", "27-11-2026"]),
    ("default", "publish_date", "26-11-2026", "lead_time",
     ["1 hari", "27-11-2026"], ["at least 1 day", "27-11-2026"]),
    ("ismki", "publish_date", "28-11-2026", "lead_time", ["3 hari", "29-11-2026"], ["3 days", "29-11-2026"]),
    ("ismki", "publish_date", "1 Januari 2026", "date_past", ["29-11-2026"], ["29-11-2026"]),
    ("rspon", "publish_date", "25 Nov 2026", "date_past", ["26-11-2026"], ["26-11-2026"]),
    ("default", "caption", "x" * 1025, "caption_length",
     ["1025", "1024", "Pendekkan 1 karakter"], ["1025", "1024", "Cut 1 characters"]),
    ("ismki", "caption", "x" * 2300, "caption_length", ["2200", "100"], ["2200", "Cut 100"]),
    ("default", "caption", "", "required", ["Caption wajib diisi"], ["Please fill in: Caption"]),
    ("default", "title", "", "required",
     ["Judul acara/program wajib diisi"], ["Please fill in: Event or programme title"]),
    ("default", "title", "   ", "required", ["Judul acara/program"], ["Event or programme title"]),
    ("default", "title", "T" * (MAX_TEXT + 1), "too_long", ["201", "200"], ["201", "at most 200"]),
    ("default", "organisation", "", "required",
     ["Nama institusi/organisasi"], ["Institution or organisation"]),
    ("default", "organisation", "O" * 250, "too_long", ["250", "200"], ["250", "200"]),
    ("default", "contact", "Sari", "not_contact", ["Sari 081234567890", "@sari"], ["phone number", "@sari"]),
    ("default", "contact", "081234567890", "not_contact", ["nama"], ["name"]),
    ("default", "slot", "10.00-12.00", "slot",
     ["08.00-10.00, 13.00-16.00, 18.00-21.00"], ["Choose one", "08.00-10.00, 13.00-16.00, 18.00-21.00"]),
    ("default", "slot", "pagi", "slot", ["08.00-10.00"], ["08.00-10.00"]),
    ("ismki", "slot", "13.00-16.00", "slot", ["08.00-10.00, 18.00-22.00"], ["08.00-10.00, 18.00-22.00"]),
    ("ismki", "notes", "", "required", ["Catatan khusus wajib diisi"], ["Special notes"]),
]


@pytest.mark.parametrize(("name", "question", "text", "rule", "id_says", "en_says"), WRONG,
                         ids=[f"{w[0]}-{w[1]}-{w[3]}" for w in WRONG])
def test_a_wrong_answer_keeps_the_question_and_says_what_is_accepted(
    name, question, text, rule, id_says, en_says
):
    flow = FLOWS[name]
    draft = fill(flow, until=question)
    before = copy.deepcopy(draft)
    new, problems = answer_text(draft, flow, text, TODAY)
    assert new == before  # same question, same answers
    assert new.question == question
    assert [p.rule for p in problems] == [rule]
    indonesian, english = problems[0].message("id"), problems[0].message("en")
    assert indonesian != english
    for part in id_says:
        assert part in indonesian
    for part in en_says:
        assert part in english


def test_a_date_violation_names_the_earliest_date_as_its_nearest_value():
    _, problems = answer_text(fill(DEFAULT, until="publish_date"), DEFAULT, "20-11-2026", TODAY)
    assert problems[0].nearest == "27-11-2026"
    _, problems = answer_text(fill(ISMKI, until="publish_date"), ISMKI, "27-11-2026", TODAY)
    assert problems[0].nearest == "29-11-2026"


def test_a_wrong_answer_while_editing_stays_in_the_edit():
    draft = choose_field(fill(DEFAULT), "publish_date", DEFAULT)
    new, problems = answer_text(draft, DEFAULT, "kemarin", TODAY)
    assert problems and new == draft
    assert (new.question, new.editing) == ("publish_date", True)


@pytest.mark.parametrize("question", [SUMMARY, CHOOSE_FIELD])
def test_typing_at_the_summary_asks_for_the_buttons(question):
    draft = choose_field(fill(DEFAULT), question, DEFAULT)
    assert draft.question == question
    new, problems = answer_text(draft, DEFAULT, "kirim", TODAY)
    assert new == draft
    assert [p.rule for p in problems] == ["use_buttons"]


@pytest.mark.parametrize("question", [SUMMARY, CHOOSE_FIELD])
def test_the_use_buttons_violation_can_be_told_to_the_client(question):
    _, problems = answer_text(choose_field(fill(DEFAULT), question, DEFAULT), DEFAULT, "kirim", TODAY)
    assert "tombol" in problems[0].message("id") and "buttons" in problems[0].message("en")


def test_answers_never_change_an_earlier_draft():
    draft = fill(DEFAULT, until="caption")
    snapshot = copy.deepcopy(draft.data)
    ok(draft, DEFAULT, "Caption baru")
    add_media(draft, poster(5))
    choose_field(draft, "media", DEFAULT)
    assert draft.data == snapshot


# Editing from the summary ----------------------------------------------------------------------

EDITS = {
    "title": ("Webinar Gizi", "Webinar Gizi"),
    "organisation": ("HIMA Gizi", "HIMA Gizi"),
    "caption": ("Caption yang diperbaiki", "Caption yang diperbaiki"),
    "contact": ("Budi Santoso +62 812 3456 7890",
                {"name": "Budi Santoso", "phone": "+6281234567890", "handle": ""}),
    "publish_date": ("1 Desember 2026", "2026-12-01"),
    "slot": ("13:00-16:00", "13.00-16.00"),
    "notes": ("Tidak ada", "Tidak ada"),
}


@pytest.mark.parametrize("name", list(EDITS))
def test_editing_a_field_returns_to_the_summary_and_keeps_the_rest(name):
    summary = fill(DEFAULT)
    asked = choose_field(summary, name, DEFAULT)
    assert (asked.question, asked.editing) == (name, True)
    assert asked.data == summary.data  # nothing dropped before the new answer
    typed, stored = EDITS[name]
    done = ok(asked, DEFAULT, typed)
    assert done.question == SUMMARY
    assert done.data == summary.data | {name: stored}


def test_two_edits_in_a_row_keep_both():
    draft = ok(choose_field(fill(DEFAULT), "title", DEFAULT), DEFAULT, "Judul Baru")
    draft = ok(choose_field(draft, "notes", DEFAULT), DEFAULT, "Catatan baru")
    content = draft.content()
    assert (content.title, content.notes, content.caption) == (
        "Judul Baru", "Catatan baru", "Hadiri seminar kesehatan reproduksi!")
    assert draft.question == SUMMARY


def test_choosing_the_summary_goes_back_without_changes():
    summary = fill(DEFAULT)
    back = choose_field(choose_field(summary, CHOOSE_FIELD, DEFAULT), SUMMARY, DEFAULT)
    assert back.question == SUMMARY
    assert back.data == summary.data


@pytest.mark.parametrize("name", ["slot", "channels", "nonsense", "", CHOOSE_FIELD])
def test_choosing_a_field_the_flow_does_not_ask_shows_the_field_list(name):
    summary = fill(RSPON)
    chosen = choose_field(summary, name, RSPON)
    assert chosen.question == CHOOSE_FIELD
    assert chosen.data == summary.data


# Media ------------------------------------------------------------------------------------------


def at_media(flow: Flow = DEFAULT) -> Draft:
    return fill(flow, until="media")


def media_of(draft: Draft) -> list[str]:
    return [m.sha256 for m in draft.content().media]


def test_posters_add_up_and_stay_on_the_media_question():
    draft = at_media()
    for n in (1, 2, 3):
        draft, problems = add_media(draft, poster(n))
        assert problems == [] and draft.question == "media"
    assert media_of(draft) == [poster(1).sha256, poster(2).sha256, poster(3).sha256]


def test_next_moves_on_only_with_media():
    draft = at_media()
    same, problems = finish_media(draft, DEFAULT)
    assert same == draft and [p.rule for p in problems] == ["expect_media"]
    draft, _ = add_media(draft, poster())
    moved, problems = finish_media(draft, DEFAULT)
    assert problems == [] and moved.question == "caption"
    assert moved.data["title"] == ANSWERS["title"]


def test_a_video_replaces_the_posters():
    draft = at_media()
    for n in (1, 2):
        draft, _ = add_media(draft, poster(n))
    draft, problems = add_media(draft, video())
    assert problems == []
    assert [m.kind for m in draft.content().media] == ["video"]


def test_a_poster_replaces_a_video_and_a_video_replaces_a_video():
    draft, _ = add_media(at_media(), video(100))
    draft, _ = add_media(draft, video(101))
    assert media_of(draft) == [video(101).sha256]
    draft, _ = add_media(draft, poster(1))
    assert media_of(draft) == [poster(1).sha256]


def test_at_most_ten_posters():
    draft = at_media()
    for n in range(1, MAX_MEDIA + 1):
        draft, problems = add_media(draft, poster(n))
        assert problems == []
    assert len(draft.content().media) == MAX_MEDIA == 10
    refused, problems = add_media(draft, poster(11))
    assert refused == draft
    assert [p.rule for p in problems] == ["too_many_media"]
    assert "10" in problems[0].message("id") and "At most 10 posters" in problems[0].message("en")


def test_choosing_to_change_the_media_keeps_them_until_a_new_file_arrives():
    summary = fill(DEFAULT, media=(1, 2))
    old = [poster(1).sha256, poster(2).sha256]
    asked = choose_field(summary, "media", DEFAULT)
    assert asked.question == "media" and media_of(asked) == old
    # going back without sending anything keeps the old media
    back = choose_field(asked, SUMMARY, DEFAULT)
    assert back.question == SUMMARY and media_of(back) == old
    # pressing next without a new file keeps them too
    kept, problems = finish_media(asked, DEFAULT)
    assert problems == [] and kept.question == SUMMARY and media_of(kept) == old


def test_the_first_new_file_replaces_the_old_media_and_later_ones_add_up():
    summary = fill(DEFAULT, media=(1, 2))
    draft = choose_field(summary, "media", DEFAULT)
    draft, _ = add_media(draft, poster(7))
    assert media_of(draft) == [poster(7).sha256]
    draft, _ = add_media(draft, poster(8))
    assert media_of(draft) == [poster(7).sha256, poster(8).sha256]
    draft, _ = finish_media(draft, DEFAULT)
    assert draft.question == SUMMARY
    assert {k: v for k, v in draft.content().model_dump().items() if k != "media"} == {
        k: v for k, v in summary.content().model_dump().items() if k != "media"}


def test_changing_ten_posters_for_new_ones_is_not_refused():
    draft = choose_field(fill(DEFAULT, media=range(1, 11)), "media", DEFAULT)
    draft, problems = add_media(draft, poster(20))
    assert problems == [] and media_of(draft) == [poster(20).sha256]


def test_a_new_intake_after_a_media_change_does_not_replace_again():
    draft = choose_field(fill(DEFAULT, media=(1,)), "media", DEFAULT)
    draft, _ = add_media(draft, poster(2))
    draft, _ = finish_media(draft, DEFAULT)
    draft = ok(choose_field(draft, "caption", DEFAULT), DEFAULT, "Caption lain")
    assert media_of(draft) == [poster(2).sha256]


@pytest.mark.parametrize("question", ["caption", "contact", "notes"])
def test_a_repeated_next_on_a_later_question_skips_nothing(question):
    """A double tap on "Lanjut", or an old "Lanjut" button pressed later, must not skip the
    question being asked."""
    draft = fill(DEFAULT, until=question)
    new, _ = finish_media(draft, DEFAULT)
    assert new.question == question
    assert new.data == draft.data


def test_a_stale_next_at_the_summary_changes_nothing():
    summary = fill(DEFAULT)
    new, _ = finish_media(summary, DEFAULT)
    assert new == summary


# Stored and loaded ---------------------------------------------------------------------------------


def restart(draft: Draft) -> Draft:
    """As the database keeps it: the question in a column, the rest as JSON text."""
    question, stored = draft.question, json.dumps(draft.to_json())
    return Draft.from_json(question, json.loads(stored))


@pytest.mark.parametrize("until", ["title", "media", "caption", "contact", "slot", SUMMARY])
def test_a_draft_survives_a_restart(until):
    draft = fill(DEFAULT, until=until, media=(1, 2))
    loaded = restart(draft)
    assert loaded == draft
    assert (loaded.question, loaded.data, loaded.editing, loaded.code) == (
        draft.question, draft.data, draft.editing, draft.code)


def test_an_edit_in_progress_survives_a_restart_and_still_returns_to_the_summary():
    draft = restart(choose_field(fill(DEFAULT), "caption", DEFAULT))
    assert (draft.question, draft.editing) == ("caption", True)
    assert ok(draft, DEFAULT, "Caption baru").question == SUMMARY


def test_a_media_change_in_progress_survives_a_restart():
    draft = restart(choose_field(fill(DEFAULT, media=(1, 2)), "media", DEFAULT))
    assert media_of(draft) == [poster(1).sha256, poster(2).sha256]
    draft, _ = add_media(draft, poster(3))
    assert media_of(draft) == [poster(3).sha256]


def test_a_revision_survives_a_restart_with_its_code():
    draft = restart(revision_of(fill(DEFAULT).content(), "PUB-2026-0042"))
    assert (draft.question, draft.editing, draft.code) == (SUMMARY, True, "PUB-2026-0042")
    assert draft.content() == fill(DEFAULT).content()


def test_media_warnings_survive_a_restart():
    draft = restart(fill(DEFAULT, until="caption", media=(1,)))
    assert draft.content().media[0].warnings == [("Resolusi rendah", "Low resolution")]


def test_continuing_after_a_restart_is_the_same_as_without_one():
    draft = fill(DEFAULT, until="contact")
    assert ok(restart(draft), DEFAULT, ANSWERS["contact"]) == ok(draft, DEFAULT, ANSWERS["contact"])


def test_an_empty_stored_draft_loads_as_a_fresh_one():
    assert Draft.from_json("title", {}) == Draft()


# Revisions and content ------------------------------------------------------------------------------


def test_a_revision_opens_at_the_summary_with_the_content():
    content = fill(ISMKI).content()
    draft = revision_of(content, "PUB-2026-0007")
    assert (draft.question, draft.editing, draft.code) == (SUMMARY, True, "PUB-2026-0007")
    assert draft.content() == content


def test_editing_a_revision_keeps_its_code_and_other_answers():
    content = fill(DEFAULT).content()
    draft = ok(choose_field(revision_of(content, "PUB-2026-0007"), "title", DEFAULT), DEFAULT, "Judul Revisi")
    assert (draft.question, draft.code) == (SUMMARY, "PUB-2026-0007")
    assert draft.content() == content.model_copy(update={"title": "Judul Revisi"})


def test_content_has_the_subject_line():
    content = fill(DEFAULT).content()
    assert content.subject_line() == "[PUBLIKASI] SEMINAR KESEHATAN REPRODUKSI_BEM FK UI"


def test_a_partial_draft_still_makes_content():
    content = fill(DEFAULT, until="caption").content()
    assert (content.title, content.caption, content.contact, content.publish_date) == (
        ANSWERS["title"], "", None, None)
    assert content.subject_line() == "[PUBLIKASI] SEMINAR KESEHATAN REPRODUKSI_BEM FK UI"


# Contacts -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Sari 0812-3456-789", Contact(name="Sari", phone="08123456789")),
        ("Sari, @sari", Contact(name="Sari", handle="@sari")),
        ("Budi Santoso +62 812 3456 7890", Contact(name="Budi Santoso", phone="+6281234567890")),
        ("0812 3456 7890 Sari", Contact(name="Sari", phone="081234567890")),
        ("Sari / 081234567890 / @sari_ui", Contact(name="Sari", phone="081234567890", handle="@sari_ui")),
        ("Sari - 081234567890", Contact(name="Sari", phone="081234567890")),
        ("Sari (0812-3456-789)", Contact(name="Sari", phone="08123456789")),
        ("Sari, @sari.", Contact(name="Sari", handle="@sari")),
        ("Sari @sari-ui", Contact(name="Sari", handle="@sari-ui")),  # LINE ids may hold hyphens
    ],
)
def test_a_contact_is_a_name_with_a_phone_or_handle(text, expected):
    assert parse_contact(text) == expected


@pytest.mark.parametrize(
    "text",
    ["081234567890", "+62 812 3456 7890", "@sari", "Sari", "Budi Santoso", "", "   ", "Sari 12345",
     "0812-3456-789 @sari", "Sari sari@ui.ac.id"],
)
def test_a_bare_number_name_or_email_is_no_contact(text):
    assert parse_contact(text) is None


def test_a_refused_contact_keeps_the_question():
    draft = fill(DEFAULT, until="contact")
    new, problems = answer_text(draft, DEFAULT, "Sari", TODAY)
    assert new == draft and [p.rule for p in problems] == ["not_contact"]


def test_fields_cover_every_question():
    assert set(fields_for(DEFAULT)) == set(FIELDS)
