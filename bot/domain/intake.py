"""The intake dialogue, channel-neutral: one question at a time, each answer checked when it
arrives, nothing given earlier lost. The draft is plain data so it can live in the database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date

from bot.domain.dates import date_examples, parse_date
from bot.domain.flow import Flow
from bot.domain.request import Contact, Content, MediaRef
from bot.domain.rules import Violation, check_caption, check_publish_date, check_slot, example_date

FIELDS = ("title", "organisation", "media", "caption", "contact", "publish_date", "slot", "notes")
SUMMARY = "summary"
CHOOSE_FIELD = "choose_field"
MAX_TEXT = 200
MAX_MEDIA = 10

_PHONE = re.compile(r"(\+?\d[\d\s-]{7,}\d)")
# not the middle of an e-mail address; LINE ids may hold "-"; a full stop after it is not part of it
_HANDLE = re.compile(r"(?<![\w.@])(@[A-Za-z0-9_.-]{2,}[A-Za-z0-9_])")


@dataclass(frozen=True)
class Draft:
    question: str = FIELDS[0]  # a field name, SUMMARY or CHOOSE_FIELD
    data: dict = field(default_factory=dict)  # Content fields as JSON
    editing: bool = False  # after this answer, back to the summary
    code: str | None = None  # revising this returned request
    # which message gave which answer, so that editing the message corrects the answer:
    # message key -> {"field": the question it answered, "given": what it said then}
    sources: dict = field(default_factory=dict)

    def content(self) -> Content:
        return Content.model_validate(self.data)

    def to_json(self) -> dict:
        return {"data": self.data, "editing": self.editing, "code": self.code, "sources": self.sources}

    @classmethod
    def from_json(cls, question: str, stored: dict) -> Draft:
        return cls(question, stored.get("data", {}), stored.get("editing", False), stored.get("code"),
                   stored.get("sources", {}))


def fields_for(flow: Flow) -> tuple[str, ...]:
    """The questions this flow asks: no slot question where the flow has no windows."""
    return tuple(f for f in FIELDS if f != "slot" or flow.rules.windows)


def revision_of(content: Content, code: str) -> Draft:
    """A returned request reopened at its summary, every earlier answer kept."""
    return Draft(SUMMARY, content.model_dump(mode="json"), editing=True, code=code)


def advance(draft: Draft, flow: Flow, data: dict) -> Draft:
    """Store an accepted answer and move to the next question (or back to the summary)."""
    if draft.editing:
        return replace(draft, data=data, question=SUMMARY)
    order = fields_for(flow)
    position = order.index(draft.question)
    question = order[position + 1] if position + 1 < len(order) else SUMMARY
    return replace(draft, data=data, question=question)


def answer_text(draft: Draft, flow: Flow, text: str, today: date) -> tuple[Draft, list[Violation]]:
    """A typed answer to the current question; violations leave the draft unchanged."""
    text = text.strip()
    question = draft.question
    if question == "media":
        return draft, [Violation("expect_media", "media")]
    if question == "publish_date":
        return answer_date(draft, flow, text, today)
    if question == "contact":
        contact = parse_contact(text)
        if contact is None:
            return draft, [Violation("not_contact", "contact")]
        return answer_contact(draft, flow, contact)
    if question == "slot":
        return answer_slot(draft, flow, text)
    if question in ("title", "organisation", "caption", "notes"):
        return answer_plain(draft, flow, question, text)
    return draft, [Violation("use_buttons", question)]


def remember(draft: Draft, source: str | None, name: str, given: str) -> Draft:
    """Note that message `source` gave the answer to `name`. A field has one such message
    (the latest answer's); posters each have their own."""
    if source is None:
        return draft
    sources = {k: v for k, v in draft.sources.items() if v["field"] != name or name == "media"}
    if name == "media" and len(draft.data.get("media", [])) <= 1:  # the posters began again
        sources = {k: v for k, v in sources.items() if v["field"] != "media"}
    sources[source] = {"field": name, "given": given}
    return replace(draft, sources=sources)


def source_of(draft: Draft, source: str) -> tuple[str, str] | None:
    """(field, what the message said then) if message `source` gave an answer still in the draft."""
    entry = draft.sources.get(source)
    return (entry["field"], entry["given"]) if entry else None


def correct(draft: Draft, flow: Flow, name: str, text: str, today: date) -> tuple[Draft, list[Violation]]:
    """`text` as the new answer to `name`, checked as it was when first given; the draft stays
    at the question it was at. Violations leave the draft unchanged."""
    new, problems = answer_text(replace(draft, question=name, editing=True), flow, text, today)
    if problems:
        return draft, problems
    return replace(new, question=draft.question, editing=draft.editing), []


def answer_plain(draft: Draft, flow: Flow, name: str, text: str) -> tuple[Draft, list[Violation]]:
    if not text:
        return draft, [Violation("required", name)]
    if name in ("title", "organisation") and len(text) > MAX_TEXT:
        return draft, [Violation("too_long", name, str(MAX_TEXT), {"length": len(text)})]
    if name == "caption" and (problems := check_caption(text, flow.rules)):
        return draft, problems
    return advance(draft, flow, draft.data | {name: text}), []


def answer_date(draft: Draft, flow: Flow, text: str, today: date) -> tuple[Draft, list[Violation]]:
    day = parse_date(text)
    if day is None:
        examples = date_examples(example_date(flow.rules, today))
        return draft, [Violation("not_date", "publish_date", None, {"given": text[:40], **examples})]
    if problems := check_publish_date(day, flow.rules, today):
        return draft, problems
    return advance(draft, flow, draft.data | {"publish_date": day.isoformat()}), []


def answer_slot(draft: Draft, flow: Flow, slot: str) -> tuple[Draft, list[Violation]]:
    slot = slot.replace(":", ".").replace(" ", "")
    if problems := check_slot(slot, flow.rules):
        return draft, problems
    return advance(draft, flow, draft.data | {"slot": slot}), []


def answer_contact(draft: Draft, flow: Flow, contact: Contact) -> tuple[Draft, list[Violation]]:
    return advance(draft, flow, draft.data | {"contact": contact.model_dump()}), []


def add_media(draft: Draft, ref: MediaRef) -> tuple[Draft, list[Violation]]:
    """Posters add up (one or more); a video stands alone. Stays on the media question."""
    media = [MediaRef.model_validate(m) for m in draft.data.get("media", [])]
    replacing = draft.data.get("replace_media", False)  # Ubah: the first new file replaces
    if replacing or ref.kind == "video" or any(m.kind == "video" for m in media):
        media = []  # a video replaces what was sent; posters replace a video
    if len(media) >= MAX_MEDIA:
        return draft, [Violation("too_many_media", "media", str(MAX_MEDIA))]
    media.append(ref)
    data = draft.data | {"media": [m.model_dump(mode="json") for m in media], "replace_media": False}
    return replace(draft, data=data), []


def finish_media(draft: Draft, flow: Flow) -> tuple[Draft, list[Violation]]:
    if draft.question != "media":  # a double-tapped or stale "next": nothing to finish
        return draft, []
    if not draft.data.get("media") and "media" in flow.rules.required:
        return draft, [Violation("expect_media", "media")]
    return advance(draft, flow, draft.data), []  # optional where the office makes the poster


def choose_field(draft: Draft, name: str, flow: Flow) -> Draft:
    """Ubah: ask one field again, then come back to the summary. Nothing is dropped until
    the new answer arrives."""
    if name == SUMMARY:
        return replace(draft, question=SUMMARY)
    if name not in fields_for(flow):
        return replace(draft, question=CHOOSE_FIELD)
    data = draft.data | {"replace_media": True} if name == "media" else draft.data
    return replace(draft, question=name, editing=True, data=data)


def parse_contact(text: str) -> Contact | None:
    """'Sari 0812-3456-789' or 'Sari, @sari': a name and a phone number or chat handle."""
    phone = _PHONE.search(text)
    handle = _HANDLE.search(text)
    if not phone and not handle:
        return None
    name = text
    for found in (phone, handle):
        if found:
            name = name.replace(found.group(1), " ")
    name = re.sub(r"\(\s*\)", " ", name)  # "Sari (0812...)" leaves empty brackets
    name = " ".join(name.replace(",", " ").replace("/", " ").split()).strip(" -:.")
    if not name:
        return None
    return Contact(
        name=name,
        phone=re.sub(r"[\s-]", "", phone.group(1)) if phone else "",
        handle=handle.group(1) if handle else "",
    )
