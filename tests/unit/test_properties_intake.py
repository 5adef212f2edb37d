"""Properties of the intake dialogue (bot/domain/intake.py), on every shipped flow, for any
sequence of what a client can do: type any text (valid answers, junk, format strings,
control characters, emoji, kilobytes of it), tap the form's buttons with any data, send a
poster or a video, edit a message sent earlier. After every input:

- nothing crashed, and the draft is at a question the flow asks (or the summary, or the
  choice of a field to change);
- no earlier answer is lost: every field but the one this input answers keeps its value,
  and a refused answer leaves the draft exactly as it was;
- what is kept is a valid request content, and survives being stored and loaded;
- every refusal can be said, in Indonesian and English.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from bot.domain.flow import Flow
from bot.domain.intake import (
    CHOOSE_FIELD,
    FIELDS,
    SUMMARY,
    Draft,
    add_media,
    answer_text,
    choose_field,
    correct,
    fields_for,
    finish_media,
    remember,
    source_of,
)
from bot.domain.request import MediaRef
from bot.flows.loader import available, load_flow

FLOWS = {name: load_flow(name) for name in available()}
TODAY = date(2026, 11, 26)
VALID = {  # an answer each flow takes (dates past every flow's lead time, in its windows)
    "title": ["Seminar Kesehatan Reproduksi", "Lomba Poster Gizi"],
    "organisation": ["BEM FK UI", "HIMA Gizi"],
    "caption": ["Hadiri seminar kesehatan reproduksi! #sehat", "Ayo ikut lomba poster"],
    "contact": ["Sari 0812-3456-789", "Budi @budi_h", "Dewi, +62 811 2233 4455"],
    "publish_date": ["3 Desember 2026", "04-12-2026", "2026-12-07"],
    "slot": ["08.00-10.00", "18.00-22.00", "08:00-10:00", "13.00-16.00"],
    "notes": ["Mohon diunggah pagi", "Tidak ada"],
}
NASTY = ["", " ", "\n\t", "{}", "{title}", "{0}", "%s %d", "\x00\x07", "‮evil", "🎉" * 300,
         "a" * 5000, "31-02-2026", "28/11/2026 08.00", "@", "+62", "0812", "-", "/batal",
         "<b>x</b>", "NULL", "'; DROP TABLE drafts;--", "ة" * 50, "28 Februari 2026"]
texts = st.one_of(st.text(max_size=300), st.sampled_from(NASTY), st.text(min_size=1000, max_size=3000))


def poster(n: int) -> MediaRef:
    return MediaRef(sha256=f"{n:064x}", kind="image", mime="image/jpeg", size=1000 + n, width=1080,
                    height=1350)


def video(n: int) -> MediaRef:
    return MediaRef(sha256=f"{n:064x}", kind="video", mime="video/mp4", size=5_000_000)


@dataclass(frozen=True)
class Input:
    kind: str  # "text", "valid", "edit_button", "next", "file", "edit_message"
    text: str = ""
    name: str = ""  # a field for a button or an edit; may be junk
    n: int = 0  # which file, which earlier message


valid = st.builds(Input, kind=st.just("valid"), n=st.integers(0, 9))
inputs = st.one_of(
    valid, valid, valid, valid, valid, valid, valid, valid,  # most inputs answer: forms fill up
    st.builds(Input, kind=st.just("text"), text=texts),
    st.builds(Input, kind=st.just("edit_button"),
              name=st.sampled_from([*FIELDS, SUMMARY, CHOOSE_FIELD, "", "x", "a|b|c", "media"])),
    st.builds(Input, kind=st.just("next")),
    st.builds(Input, kind=st.just("file"), n=st.integers(1, 30)),
    st.builds(Input, kind=st.just("edit_message"), text=st.one_of(texts, st.sampled_from(
        [v for values in VALID.values() for v in values])), n=st.integers(0, 20)),
)


def step(flow: Flow, draft: Draft, given: Input, number: int) -> tuple[Draft, list, str | None]:
    """One input as the chat layer hands it to the dialogue: (draft, refusals, the field it
    answers, which alone may change)."""
    question = draft.question
    if given.kind == "valid" and question == "media":  # a poster, then Lanjut
        new, problems = add_media(draft, poster(given.n + 1))
        return (finish_media(new, flow)[0] if not problems else new), problems, "media"
    if given.kind in ("text", "valid"):
        if question in (SUMMARY, CHOOSE_FIELD, "media"):
            text = given.text if given.kind == "text" else "Seminar"
            if question == "media":  # a text where a file is asked: refused, the draft kept
                new, problems = answer_text(draft, flow, text, TODAY)
                return new, problems, None
            return draft, [], None  # "use the buttons": nothing changes
        text = given.text if given.kind == "text" else VALID[question][given.n % len(VALID[question])]
        new, problems = answer_text(draft, flow, text, TODAY)
        return remember(new, f"m{number}", question, text) if not problems else new, problems, question
    if given.kind == "edit_button":
        return choose_field(draft, given.name, flow), [], None
    if given.kind == "next":
        new, problems = finish_media(draft, flow)
        return new, problems, None
    if given.kind == "file":
        if question != "media":
            return draft, [], None  # the chat layer refuses a file out of turn
        ref = video(given.n) if given.n % 7 == 0 else poster(given.n)
        new, problems = add_media(draft, ref)
        return new, problems, "media"
    found = source_of(draft, f"m{given.n}")  # an edit of an earlier message
    if found is None or found[0] == "media":
        return draft, [], None
    new, problems = correct(draft, flow, found[0], given.text, TODAY)
    return new, problems, found[0]


def answers_of(draft: Draft) -> dict:
    return {k: v for k, v in draft.data.items() if k != "replace_media"}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(sorted(FLOWS)), sequence=st.lists(inputs, min_size=10, max_size=80))
def test_no_input_crashes_the_dialogue_or_loses_an_earlier_answer(name: str, sequence: list[Input]) -> None:
    flow = FLOWS[name]
    asked = set(fields_for(flow)) | {SUMMARY, CHOOSE_FIELD}
    draft = Draft()
    for number, one in enumerate(sequence):
        old = draft
        draft, problems, target = step(flow, draft, one, number)
        for problem in problems:
            assert problem.message("id") and problem.message("en")
        if problems:
            assert answers_of(draft) == answers_of(old), "a refused answer changed the draft"
        for key, value in answers_of(old).items():
            if key != target:
                assert answers_of(draft).get(key) == value, f"{key} was lost by {one}"
        assert draft.question in asked, draft.question
        draft.content()  # what is kept is a valid request content
        stored = json.loads(json.dumps(draft.to_json()))
        assert Draft.from_json(draft.question, stored) == draft, "the stored draft reads back the same"
    event(f"{name}: {len(answers_of(draft))} answers, at {draft.question}")


@settings(max_examples=300, deadline=None)
@given(name=st.sampled_from(sorted(FLOWS)), question=st.sampled_from(FIELDS), text=texts)
def test_any_text_at_any_question_is_an_answer_or_a_refusal_that_keeps_the_form(
    name: str, question: str, text: str
) -> None:
    """A form filled up to any question, then any text at all."""
    flow = FLOWS[name]
    if question not in fields_for(flow):
        return
    draft = filled_until(flow, question)
    new, problems = answer_text(draft, flow, text, TODAY)
    if problems:
        assert new == draft
        assert all(p.message("id") and p.message("en") for p in problems)
    else:
        assert {k: v for k, v in answers_of(new).items() if k != question} == answers_of(draft)
        new.content()


def filled_until(flow: Flow, question: str) -> Draft:
    draft = Draft()
    while draft.question != question:
        if draft.question == "media":
            draft, _ = add_media(draft, poster(1))
            draft, _ = finish_media(draft, flow)
        else:
            draft, problems = answer_text(draft, flow, VALID[draft.question][0], TODAY)
            assert not problems, [p.message("en") for p in problems]
    return draft
