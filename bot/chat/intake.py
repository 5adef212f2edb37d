"""The intake conversation, for every platform: it keeps the draft in the database, checks
each answer as it arrives, and answers with Replies that a platform adapter renders."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from bot.app import App
from bot.chat import callbacks
from bot.chat.media import accept_upload
from bot.chat.outputs import join_parts, may_be_part
from bot.chat.replies import Button, Reply
from bot.domain import intake
from bot.domain.dates import long_date
from bot.domain.durations import format_duration
from bot.domain.engine import Refused
from bot.domain.intake import CHOOSE_FIELD, SUMMARY, Draft
from bot.domain.request import Contact, Content
from bot.domain.rules import Violation, earliest_date, example_date, format_date, windows_label
from bot.i18n import t
from bot.media.upload import Upload
from bot.services.requests import RuleViolations, UnknownRequest
from storage.repositories import Repos

DATE_BUTTONS = 6
PART, PARTS = "caption_part", "caption_parts"  # a long caption held while Telegram sends the rest
ASKED_INPUTS = ("note", "upload", "evidence")  # pending kinds the next message answers


@dataclass(frozen=True)
class Who:
    """The person writing, and how to talk to them."""

    person_id: int
    lang: str
    platform: str


class Intake:
    def __init__(self, app: App) -> None:
        self.app = app
        self.flow = app.flow

    # Entry points -------------------------------------------------------------------------

    def greeting(self, lang: str) -> Reply:
        rules = self.flow.rules
        parts = []
        if rules.min_lead_days:
            parts.append(t("start.rule_lead", lang, days=rules.min_lead_days))
        if rules.windows:
            parts.append(t("start.rule_windows", lang, windows=windows_label(rules)))
        if not rules.allow_revision:
            parts.append(t("start.rule_no_revision", lang))
        text = t(
            "start.greeting",
            lang,
            office=self.flow.office,
            channels=", ".join(rules.channels),
            rules="; ".join(parts) or t("start.rule_none", lang),
        )
        return Reply(text)

    async def begin(self, who: Who) -> list[Reply]:
        """/ajukan: a new draft, or the one in progress where it stopped."""
        draft = await self._load(who.person_id)
        if draft is not None:
            return [Reply(t("intake.continue", who.lang)), *self.ask(draft, who.lang)]
        draft = Draft()
        await self._save(who, draft)
        return self.ask(draft, who.lang)

    async def revise(self, who: Who, code: str) -> list[Reply]:
        """Reopen a returned request as a draft at its summary. The code comes from button
        data, which anyone can forge: only the requester of a request that is returned now
        gets its content. A form already in progress is never overwritten."""
        try:
            state = await self.app.requests.revisable(code, who.person_id)
        except Refused as refused:
            return [Reply(await self._refusal(refused, code, who.lang))]
        draft = await self._load(who.person_id)
        if draft is not None and draft.code == code:  # tapped again: carry on where it stopped
            return [Reply(t("intake.continue", who.lang)), *self.ask(draft, who.lang)]
        if draft is not None:
            return [Reply(t("revise.busy", who.lang, code=code)), *self.ask(draft, who.lang)]
        draft = intake.revision_of(state.content, code)
        await self._save(who, draft)
        return self.ask(draft, who.lang)

    async def _refusal(self, refused: Refused, code: str, lang: str) -> str:
        """What a refused revision says; for the requester's own request that is no longer
        returned, where it stands now."""
        if refused.reason != "not_returned":
            return refused.message(lang)
        state = await self.app.requests.get(code)
        return t("revise.not_returned", lang, code=code, status=t(f"status.{state.status}", lang),
                 step=self.flow.step(state.step_id).name.get(lang))

    async def cancel(self, who: Who, asked_inputs: bool = True) -> list[Reply]:
        """/batal: the form in progress, and a reason, file or link a tapped button asked for
        (else the next thing typed would still become, say, a rejection reason). The summary's
        Batal button cancels the form only."""
        draft, asked = await self.app.drafts.cancel(who.person_id, ASKED_INPUTS if asked_inputs else ())
        replies = []
        if asked:
            replies.append(Reply(t("intake.cancelled_input", who.lang, code=asked[1].get("code", ""))))
        if draft:
            replies.append(Reply(t("intake.cancelled", who.lang)))
        return replies or [Reply(t("intake.nothing", who.lang))]

    async def has_draft(self, person_id: int) -> bool:
        return await self._load(person_id) is not None

    # Answers ------------------------------------------------------------------------------

    async def on_text(self, who: Who, text: str, source: str | None = None) -> list[Reply]:
        """A typed answer; `source` names the message (platform:id) if it can be edited later."""
        draft = await self._load(who.person_id)
        if draft is None:
            return [Reply(t("intake.nothing", who.lang))]
        if draft.question in (SUMMARY, CHOOSE_FIELD):
            return [Reply(t("rule.use_buttons", who.lang)), *self.ask(draft, who.lang)]
        if draft.question == "caption":
            held = draft.data.get(PART, "")
            if may_be_part(text, who.platform):  # Telegram may be sending the rest of it
                count = draft.data.get(PARTS, 0) + 1
                data = draft.data | {PART: join_parts(held, text) if held else text, PARTS: count}
                new = replace(draft, data=data)
                await self._save(who, new)
                return [self._part_received(new, who.lang)]
            if held:
                return await self._answer_held(who, draft, join_parts(held, text))
        new, problems = intake.answer_text(draft, self.flow, text, self._today())
        new = intake.remember(new, source, draft.question, text)
        return await self._after(who, draft, new, problems)

    async def on_edit(self, who: Who, source: str, text: str | None = None,
                      file_id: str | None = None) -> list[Reply]:
        """A message edited after it was sent: if it gave an answer still in the draft and now
        says something else, that answer is corrected (checked as when first given) and the
        bot says so. Any other edit (of a message that answered nothing, or that changes
        nothing the answer came from, such as a link preview) gets no reply."""
        draft = await self._load(who.person_id)
        found = intake.source_of(draft, source) if draft is not None else None
        if draft is None or found is None:
            return []
        name, given = found
        now = file_id if name == "media" else text
        if now is None or now.strip() == given.strip():
            return []
        label = t(f"field.{name}", who.lang)
        if name == "media":  # a replaced photo: the new one is not downloaded here
            return [Reply(t("intake.edit_media", who.lang)), *self.ask(draft, who.lang)]
        new, problems = intake.correct(draft, self.flow, name, now, self._today())
        if problems:
            refusal = "\n".join(v.message(who.lang) for v in problems)
            return [Reply(t("intake.edit_refused", who.lang, field=label, problems=refusal)),
                    *self.ask(draft, who.lang)]
        new = intake.remember(new, source, name, now)
        await self._save(who, new)
        return [Reply(t("intake.edit_corrected", who.lang, field=label, value=now.strip())),
                *self.ask(new, who.lang)]
    async def _answer_held(self, who: Who, draft: Draft, text: str) -> list[Reply]:
        """The parts of a caption joined, as one answer; the held part is gone either way. It
        came from several messages, so an edit of one of them corrects nothing."""
        draft = replace(draft, data={k: v for k, v in draft.data.items() if k not in (PART, PARTS)})
        new, problems = intake.answer_text(draft, self.flow, text, self._today())
        if problems:
            await self._save(who, draft)
        return await self._after(who, draft, new, problems)

    def _part_received(self, draft: Draft, lang: str) -> Reply:
        text = t("intake.caption_part", lang, count=draft.data.get(PARTS, 1), length=len(draft.data[PART]))
        return Reply(text, [[Button(t("btn.next", lang), callbacks.intake("part"))]])

    async def current(self, who: Who) -> list[Reply]:
        """The question the draft is at, asked again (after an answer that was not one)."""
        draft = await self._load(who.person_id)
        return self.ask(draft, who.lang) if draft is not None else []

    async def on_contact(self, who: Who, contact: Contact) -> list[Reply]:
        draft = await self._load(who.person_id)
        if draft is None:
            return [Reply(t("intake.nothing", who.lang))]
        if draft.question != "contact":  # a shared contact is not, say, the event's title
            return [Reply(t("intake.contact_not_now", who.lang)), *self.ask(draft, who.lang)]
        new, problems = intake.answer_contact(draft, self.flow, contact)
        return await self._after(who, draft, new, problems)

    async def on_file(self, who: Who, upload: Upload, filename: str, mime: str,
                      source: str | None = None, file_id: str = "") -> list[Reply]:
        """A photo, an image sent as a file, or a video: checked, stored, added to the draft.
        `source` names the message and `file_id` the file in it, for a later edit."""
        draft = await self._load(who.person_id)
        if draft is None:
            return [Reply(t("intake.nothing", who.lang))]
        if draft.question != "media":
            return [
                Reply(
                    t("rule.use_buttons", who.lang)
                    if draft.question in (SUMMARY, CHOOSE_FIELD)
                    else Violation("required", draft.question).message(who.lang)
                ),
                *self.ask(draft, who.lang),
            ]
        ref, refusal = await accept_upload(self.app, upload, filename, mime, who.lang)
        if ref is None:
            return [Reply(refusal), *self.ask(draft, who.lang)]
        new, problems = intake.add_media(draft, ref)
        if problems:
            return await self._after(who, draft, draft, problems)
        new = intake.remember(new, source, "media", file_id)
        if ref.kind == "video":
            new, _ = intake.finish_media(new, self.flow)
            await self._save(who, new)
            size = f"{ref.size / 1_000_000:.1f} MB"
            return [Reply(t("intake.video_received", who.lang, size=size)), *self.ask(new, who.lang)]
        await self._save(who, new)
        return [self._media_received(new, ref, who.lang)]

    async def on_button(self, who: Who, action: str, value: str) -> list[Reply]:
        draft = await self._load(who.person_id)
        if draft is None:
            return [Reply(t("intake.nothing", who.lang))]
        if action == "next":
            new, problems = intake.finish_media(draft, self.flow)
            return await self._after(who, draft, new, problems)
        if action == "part":  # Lanjut after a long caption: what came is the whole of it
            if draft.question != "caption" or not draft.data.get(PART):
                return self.ask(draft, who.lang)
            return await self._answer_held(who, draft, draft.data[PART])
        if action in ("date", "slot", "notes"):
            if draft.question != {"date": "publish_date"}.get(action, action):
                return self.ask(draft, who.lang)
            text = t("notes.none", who.lang) if action == "notes" else value
            return await self.on_text(who, text)
        if action == "send":
            return await self._submit(who, draft)
        if action == "edit":
            new = intake.choose_field(draft, value, self.flow)
            await self._save(who, new)
            return self.ask(new, who.lang)
        if action == "cancel":
            return await self.cancel(who, asked_inputs=False)
        return self.ask(draft, who.lang)

    # Questions ----------------------------------------------------------------------------

    def ask(self, draft: Draft, lang: str) -> list[Reply]:
        question = draft.question
        if question == SUMMARY:
            return [self.summary(draft, lang)]
        if question == CHOOSE_FIELD:
            buttons = [
                [Button(t(f"field.{name}", lang), callbacks.intake("edit", name))]
                for name in intake.fields_for(self.flow)
            ]
            back = [Button(t("btn.back", lang), callbacks.intake("edit", SUMMARY))]
            return [Reply(t("ask.choose_field", lang), [*buttons, back])]
        fields = intake.fields_for(self.flow)

        def asked(key: str, **params: object) -> str:
            """Questions are numbered as this flow asks them (no gap where it asks no slot)."""
            return f"{fields.index(question) + 1}. {t(key, lang, **params)}"

        if question == "publish_date":
            earliest = earliest_date(self.flow.rules, self._today())
            example = format_date(example_date(self.flow.rules, self._today()))
            return [
                Reply(
                    asked("ask.publish_date", earliest=format_date(earliest), example=example),
                    self._date_buttons(earliest, lang),
                )
            ]
        if question == "slot":
            slots = [Button(w.label(), callbacks.intake("slot", w.label())) for w in self.flow.rules.windows]
            return [Reply(asked("ask.slot"), [slots])]
        if question == "contact":
            return [Reply(asked("ask.contact"), [[Button(t("btn.share_contact", lang), kind="contact")]])]
        if question == "notes":
            return [Reply(asked("ask.notes"), [[Button(t("btn.none", lang), callbacks.intake("notes"))]])]
        posters = len(draft.data.get("media", []))
        if question == "media" and posters and not draft.data.get("replace_media"):
            # asked again after a poster came: say so, and offer Lanjut, or it reads as lost
            text = f"{asked('ask.media')}\n{t('ask.media_more', lang, count=posters)}"
            return [Reply(text, [[Button(t("btn.next", lang), callbacks.intake("next"))]])]
        if question == "media" and "media" not in self.flow.rules.required:
            skip = [[Button(t("btn.next", lang), callbacks.intake("next"))]]
            return [Reply(asked("ask.media_optional"), skip)]
        if question == "caption" and draft.data.get("caption_part"):
            return [self._part_received(draft, lang)]
        return [Reply(asked(f"ask.{question}"))]

    def summary(self, draft: Draft, lang: str) -> Reply:
        content = draft.content()
        revision = t("intake.summary_revision", lang, code=draft.code) if draft.code else ""
        text = t("intake.summary", lang, revision=revision, lines=describe(content, lang))
        buttons = [
            [
                Button(t("btn.send", lang), callbacks.intake("send")),
                Button(t("btn.edit", lang), callbacks.intake("edit", CHOOSE_FIELD)),
                Button(t("btn.cancel", lang), callbacks.intake("cancel")),
            ]
        ]
        return Reply(text, buttons, media=content.media[:1])

    def _date_buttons(self, earliest: date, lang: str) -> list[list[Button]]:
        days = [earliest + timedelta(days=i) for i in range(DATE_BUTTONS)]
        buttons = [Button(f"{d:%d-%m}", callbacks.intake("date", format_date(d))) for d in days]
        picker = [Button("📅", callbacks.intake("date", ""), kind="date")]
        return [buttons[:3], buttons[3:], picker]

    def _media_received(self, draft: Draft, ref, lang: str) -> Reply:
        count = len(draft.data.get("media", []))
        size = f"{ref.width}×{ref.height}"
        lines = [t("intake.media_received", lang, kind=t("intake.poster", lang), count=count, size=size)]
        lines += [t("intake.warning", lang, message=w[1] if lang == "en" else w[0]) for w in ref.warnings]
        return Reply("\n".join(lines), [[Button(t("btn.next", lang), callbacks.intake("next"))]])

    # Submission ---------------------------------------------------------------------------

    async def _submit(self, who: Who, draft: Draft) -> list[Reply]:
        content = draft.content()
        try:
            # the draft goes in the transaction that creates the request (or its new version):
            # a second Kirim, after a crash or not, finds no draft to send again
            if draft.code:
                outcome = await self.app.requests.resubmit(draft.code, content, who.person_id, who.platform,
                                                           draft_of=who.person_id)
                state = outcome.state
            else:
                state = await self.app.requests.submit(who.person_id, content, who.platform,
                                                       draft_of=who.person_id)
        except RuleViolations as error:
            return await self._fix_first(who, draft, error.violations)
        except (Refused, UnknownRequest) as error:  # a revision of a request no longer returned
            return await self._stale_revision(who, draft, error)
        step = self.flow.step(state.step_id)
        if draft.code:
            return [
                Reply(
                    t(
                        "intake.resubmitted",
                        who.lang,
                        code=state.code,
                        version=state.version,
                        step=step.name.get(who.lang),
                    )
                )
            ]
        return [
            Reply(
                t(
                    "intake.receipt",
                    who.lang,
                    code=state.code,
                    subject=content.subject_line(),
                    step=step.name.get(who.lang),
                    role=self.flow.role_name(step.role, who.lang),
                    standard=format_duration(step.standard, who.lang),
                )
            )
        ]

    async def _stale_revision(self, who: Who, draft: Draft, error: Exception) -> list[Reply]:
        """Kirim on a revision that can no longer go in (sent already, cancelled, not the
        sender's): say why, and drop the draft, which could never be sent."""
        refused = error if isinstance(error, Refused) else Refused("not_yours", code=draft.code)
        await self.app.drafts.drop(who.person_id)
        reason = await self._refusal(refused, draft.code or "", who.lang)
        return [Reply(reason), Reply(t("revise.dropped", who.lang, code=draft.code))]

    async def _fix_first(self, who: Who, draft: Draft, violations: list[Violation]) -> list[Reply]:
        """A rule broken at submission (say the date came too close): ask that field again."""
        problems = "\n".join(f"• {v.message(who.lang)}" for v in violations)
        fields = intake.fields_for(self.flow)
        target = next((v.field for v in violations if v.field in fields), CHOOSE_FIELD)
        new = intake.choose_field(draft, target, self.flow)
        await self._save(who, new)
        return [Reply(t("intake.fix_first", who.lang, problems=problems)), *self.ask(new, who.lang)]

    # Storage ------------------------------------------------------------------------------

    async def _after(self, who: Who, old: Draft, new: Draft, problems: list[Violation]) -> list[Reply]:
        if problems:
            messages = "\n".join(v.message(who.lang) for v in problems)
            return [Reply(messages), *self.ask(old, who.lang)]
        await self._save(who, new)
        return self.ask(new, who.lang)

    async def _load(self, person_id: int) -> Draft | None:
        async with self.app.db.reading() as tx:
            stored = await Repos(tx).drafts.get(person_id)
        return Draft.from_json(*stored) if stored else None

    async def _save(self, who: Who, draft: Draft) -> None:
        await self.app.drafts.save(who.person_id, who.platform, draft.question, draft.to_json())

    def _today(self) -> date:
        return self.app.clock.now().astimezone(self.app.settings.zone).date()


def describe(content: Content, lang: str) -> str:
    """The request's fields, one per line, as the client and the reviewers read them."""
    kinds = [t(f"output.{m.kind}", lang) for m in content.media]
    media = ", ".join(f"{kind} {m.width}×{m.height}" if m.width else kind
                      for kind, m in zip(kinds, content.media, strict=True))
    rows = [
        ("title", content.title),
        ("organisation", content.organisation),
        ("media", media),
        ("caption", content.caption),
        ("contact", content.contact.label() if content.contact else ""),
        ("publish_date", long_date(content.publish_date, lang) if content.publish_date else ""),
        ("slot", f"{content.slot} WIB" if content.slot else ""),
        ("notes", content.notes),
    ]
    return "\n".join(f"{t(f'field.{name}', lang)}: {value or '-'}" for name, value in rows)
