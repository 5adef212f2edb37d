"""Role holders acting on requests, for every platform: button taps, the reason or note a
tap asks for, uploads, channel choices; and the notices the outbox carries to people.

A tap names a request, version, step and act; whether the presser may act is decided by
the service, from the database, at the moment of the press.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from bot.app import App
from bot.chat import callbacks, cards, outputs
from bot.chat.callbacks import StepButton
from bot.chat.replies import Button, Reply
from bot.chat.reports import Reports
from bot.domain import engine
from bot.domain.engine import Act, Action, Outcome, Refused
from bot.domain.flow import REQUESTER, Kind
from bot.domain.request import RequestState
from bot.domain.trail import Dossier
from bot.i18n import LANGUAGES, t
from bot.media.upload import Upload
from bot.services.publishing import Reach, external_channels
from bot.services.requests import UnknownRequest
from storage.repositories import Repos

NEEDS_TEXT = {Act.REJECT, Act.RETURN, Act.DISPOSE, Act.INSTRUCT, Act.EVALUATE}


@dataclass(frozen=True)
class Decided:
    """A step was acted on: the other holders' prompts for it get this line instead."""

    code: str
    step_id: str
    version: int
    decider_id: int
    lines: dict[str, str]  # language -> the line saying who decided what
    round: datetime | None = None  # when the step decided on had started: this visit of it


@dataclass
class TapResult:
    popup: str = ""
    replies: list[Reply] = field(default_factory=list)
    edit: Reply | None = None  # the tapped message, replaced
    decided: Decided | None = None


def _toggled(arg: str, audiences: list[str], line_followers: bool) -> str | None:
    """The audience a publish-card toggle names: `aN` the flow's Nth, `f` LINE's followers."""
    if arg == "f" and line_followers:
        return cards.LINE_FOLLOWERS
    if arg.startswith("a") and arg[1:].isdigit() and int(arg[1:]) < len(audiences):
        return audiences[int(arg[1:])]
    return None


class Approvals:
    def __init__(self, app: App) -> None:
        self.app = app
        self.flow = app.flow

    async def on_tap(self, person_id: int, lang: str, data: str, channel: str) -> TapResult:
        if data.startswith("v|"):  # the evaluation cycle's buttons (bot/chat/evaluation.py)
            from bot.chat.evaluation import EvaluationChat

            pending = await self._pending(person_id)
            return await EvaluationChat(self.app).on_tap(person_id, lang, data, pending, channel)
        button = callbacks.decode(data)
        if button is None or not 0 <= button.step_index < len(self.flow.request_steps):
            return TapResult(t("tap.unknown", lang))
        action = Action(button.act, self.flow.request_steps[button.step_index].id, button.version)
        try:
            state = await self._may(button.code, action, person_id)
        except UnknownRequest:
            return TapResult(t("tap.unknown_request", lang))
        except Refused as refused:
            return TapResult(refused.message(lang))
        step = self.flow.request_steps[button.step_index]
        if button.act in NEEDS_TEXT:
            return await self._ask_text(person_id, lang, button)
        if button.act in (Act.UPLOAD, Act.APPROVE) and button.arg == "save":
            return await self._save_part(person_id, lang, button, channel)
        if button.act == Act.UPLOAD or (button.act == Act.APPROVE and step.output_kind):
            await self._pend(person_id, "upload", button)
            key = "ask.output" if button.act == Act.UPLOAD else "ask.corrected"
            text = t(key, lang, code=button.code, wanted=outputs.wanted(step, lang))
            return TapResult(replies=[Reply(text, expect_reply=True)])
        if button.act == Act.PUBLISH:
            return await self._publish(person_id, lang, button, state, channel)
        if button.act == Act.CHOOSE_CHANNELS and button.arg != "save":
            return await self._toggle(person_id, lang, button, state)
        if button.act == Act.CHOOSE_CHANNELS:
            chosen = await self._chosen(person_id, button.code, state.content.channels)
            if not chosen:
                return TapResult(t("tap.no_channels", lang))
            action = Action(button.act, action.step_id, action.version, channels=tuple(chosen))
        return await self._act(person_id, lang, button.code, action, channel)

    async def on_text(self, person_id: int, lang: str, text: str, channel: str) -> TapResult | None:
        """The reason, note or link a tap asked for; None when nothing is pending."""
        pending = await self._pending(person_id)
        if pending is not None and pending[0].startswith("eval_"):
            from bot.chat.evaluation import EvaluationChat

            return await EvaluationChat(self.app).on_text(person_id, lang, pending, text, channel)
        if pending is not None and pending[0] == "evidence":
            return await self._evidence_link(person_id, lang, pending[1], text.strip(), channel)
        if pending is not None and pending[0] == "upload":
            return await self._typed_output(person_id, lang, pending[1], text, channel)
        if pending is None or pending[0] != "note":
            return None
        data = pending[1]
        note = "" if text.strip() == "-" and data["act"] not in ("reject", "return") else text.strip()
        action = Action(Act(data["act"]), data["step_id"], data["version"], note=note)
        return await self._act(person_id, lang, data["code"], action, channel)

    async def on_file(
        self, person_id: int, lang: str, upload: Upload, filename: str, mime: str, channel: str
    ) -> TapResult | None:
        pending = await self._pending(person_id)
        if pending is None or pending[0] != "upload":
            return None
        info = pending[1]
        step = self.flow.step(info["step_id"])
        output, refusal = await outputs.from_file(self.app, step, upload, filename, mime, lang)
        if output is None:
            return TapResult(replies=[Reply(refusal)])
        return await self._act(person_id, lang, info["code"], _with(info, output), channel)

    async def has_pending(self, person_id: int) -> bool:
        return await self._pending(person_id) is not None

    async def wants_document(self, person_id: int) -> bool:
        """Whether this person's next file may be a document (.txt, .docx, .pdf): an upload
        they were asked for at a step that writes a text or keeps documents."""
        pending = await self._pending(person_id)
        if pending is None or pending[0] != "upload":
            return False
        try:
            return outputs.accepts_files(self.flow.step(pending[1]["step_id"]))
        except KeyError:
            return False

    async def on_evidence_tap(self, person_id: int, lang: str, data: str) -> TapResult:
        """A channel on the hand-posting checklist: ask for the post's link."""
        decoded = callbacks.decode_evidence(data)
        if decoded is None:
            return TapResult(t("tap.unknown", lang))
        code, channel_name = decoded
        try:
            await self.app.publishing.check_evidence(code, person_id, channel_name)
        except Refused as refused:
            return TapResult(refused.message(lang))
        except UnknownRequest:
            return TapResult(t("tap.unknown_request", lang))
        await self.app.people.expect_input(person_id, "evidence", {"code": code, "channel": channel_name})
        text = t("publish.ask_link", lang, channel=channel_name, code=code)
        return TapResult(replies=[Reply(text, expect_reply=True)])

    @property
    def _line_followers(self) -> bool:
        """LINE's broadcast to every follower is offered where LINE runs."""
        return self.app.settings.line_access_token is not None

    async def card(
        self, request: str | Dossier, lang: str, selected: list[str] | None = None, with_buttons: bool = True,
        reach: dict[str, Reach] | None = None,
    ) -> Reply:
        """The card of a request (its code, or its dossier already read) at its current step."""
        dossier = request if isinstance(request, Dossier) else await self.app.requests.dossier(request)
        if reach is None and self.flow.step(dossier.state.step_id).kind == Kind.PUBLISH:
            reach = await self._reach(selected or [])
        return cards.step_card(self.flow, dossier, lang, self.app.settings.zone, selected, with_buttons,
                               self._line_followers, reach)

    async def _reach(self, selected: list[str]) -> dict[str, Reach]:
        """Each audience's reach, and the press's: the audiences ticked, or all if none is."""
        chosen = [a for a in selected if a != cards.LINE_FOLLOWERS]
        choices = {a: [a] for a in self.flow.rules.audiences} | {"chosen": chosen}
        followers = {"chosen"} if cards.LINE_FOLLOWERS in selected else set()
        return await self.app.publishing.reach(choices, followers)

    # Reading ------------------------------------------------------------------------------

    async def queue(self, person_id: int, lang: str) -> list[Reply]:
        """The requests waiting for this person, each as its card: their dossiers read
        together, what a publish card reaches worked out once."""
        waiting = await self.app.requests.waiting_for(person_id)
        if not waiting:
            return [Reply(t("queue.none", lang))]
        header = Reply(t("queue.header", lang, count=len(waiting)))
        dossiers = await self.app.requests.dossiers([state.code for state in waiting])
        publish = {code for code, dossier in dossiers.items()
                   if self.flow.step(dossier.state.step_id).kind == Kind.PUBLISH}
        reach = await self._reach([]) if publish else None
        cards = [await self.card(dossiers[state.code], lang, reach=reach if state.code in publish else None)
                 for state in waiting if state.code in dossiers]
        return [header, *cards]

    async def status(self, person_id: int, lang: str) -> Reply:
        mine = await self.app.requests.mine(person_id)
        if not mine:
            return Reply(t("status.none", lang))
        lines = [t("status.header", lang)]
        for state in mine:
            step = self.flow.step(state.step_id)
            lines.append(
                t(
                    "status.line",
                    lang,
                    code=state.code,
                    version=state.version,
                    title=state.content.title,
                    status=t(f"status.{state.status}", lang),
                    step=step.name.get(lang),
                )
            )
        return Reply("\n".join(lines))

    async def notice(self, row: dict, lang: str) -> Reply | None:
        """The message an outbox notice row becomes; None if it no longer applies."""
        payload = row["payload"]
        if payload["kind"] == "report":  # rendered when queued; older rows are rendered now
            stored = Reports(self.app).stored(payload, lang)
            if stored is not None:
                return stored
            start, end = date.fromisoformat(payload["start"]), date.fromisoformat(payload["end"])
            return await Reports(self.app).render(start, end, lang)
        if payload["kind"] in ("evaluation", "action_assigned", "action_reminder"):
            from bot.chat.evaluation import EvaluationChat

            return await EvaluationChat(self.app).notice(payload, lang)
        dossier = await self.app.requests.dossier(payload["code"])
        state = dossier.state
        if payload["kind"] in ("prompt", "reminder", "escalation"):
            if state.step_id != payload["step_id"] or state.status != "active":
                return None  # the request moved on before this went out
            card = await self.card(dossier, lang, with_buttons=payload["kind"] != "escalation")
            if payload["kind"] == "prompt":
                return card
            return cards.with_banner(card, cards.timer_banner(self.flow, state, payload, lang,
                                                              self.app.settings.zone))
        return cards.notice_reply(self.flow, state, payload, lang)

    async def prompt_messages(self, code: str, step_id: str, round: datetime | None = None) -> list[dict]:
        """Delivered prompts for one visit (`round`) of a step, each with its recipient's
        `language`: the messages to edit once someone decides. Prompts of earlier visits keep
        saying who acted in theirs."""
        async with self.app.db.reading() as tx:
            rows = await Repos(tx).outbox.sent_prompts(code, step_id)
        return [row for row in rows
                if row["payload"]["kind"] == "prompt" and _same_round(row["payload"].get("round"), round)]

    # Acting -------------------------------------------------------------------------------

    async def _may(self, code: str, action: Action, person_id: int) -> RequestState:
        """The request, or Refused now, before asking for a reason the presser could not use.
        Whether the presser acts at the step the data names is checked first: data anyone can
        forge must not tell them whether a code exists or where its request stands."""
        step = self.flow.step(action.step_id)
        async with self.app.db.reading() as tx:
            repos = Repos(tx)
            state = await repos.requests.get(code)
            roles = frozenset(await repos.roles.of(person_id))
        mine = state is not None and state.requester_id == person_id
        if not (mine if step.role == REQUESTER else step.role in roles):
            raise Refused("no_role", role=self.flow.role_name(step.role))
        if state is None:
            raise UnknownRequest(code)
        engine.check(self.flow, state, action, engine.Actor(person_id, roles))
        return state

    async def _act(self, person_id: int, lang: str, code: str, action: Action, channel: str) -> TapResult:
        try:
            outcome = await self.app.requests.act(code, action, person_id, channel)
        except Refused as refused:
            await self._clear(person_id)
            return TapResult(refused.message(lang), replies=[Reply(refused.message(lang))])
        except UnknownRequest:
            return TapResult(t("tap.unknown_request", lang))
        await self._clear(person_id)
        return await self._done(person_id, lang, outcome, action)

    async def _done(self, person_id: int, lang: str, outcome: Outcome, action: Action) -> TapResult:
        event = outcome.events[0]
        name = outcome.actor_name
        if not name:  # an outcome not from RequestServices.act (publishing)
            async with self.app.db.reading() as tx:
                person = await Repos(tx).people.get(person_id)
            name = person["name"] if person else ""
        lines = {
            language: cards.decided_line(
                self.flow,
                action.act,
                event.role,
                name,
                event.at,
                self.app.settings.zone,
                language,
                event.note,
            )
            for language in LANGUAGES
        }
        decided = Decided(outcome.state.code, action.step_id, action.version, person_id, lines,
                          outcome.round_started)
        popup = t("tap.done", lang, act=t(f"act.{action.act.value}", lang))
        return TapResult(
            popup,
            replies=[Reply(lines[lang])] if action.act in NEEDS_TEXT | {Act.UPLOAD} else [],
            decided=decided,
        )

    async def _publish(self, person_id: int, lang: str, button: StepButton, state, channel: str) -> TapResult:
        """Audience toggles, then "now" or "as requested"; the broadcast is queued at once."""
        audiences = self.flow.rules.audiences
        chosen = await self._chosen_audiences(person_id, button.code)
        name = _toggled(button.arg, audiences, self._line_followers)
        if name is not None:
            chosen = [a for a in chosen if a != name] if name in chosen else [*chosen, name]
            await self.app.people.expect_input(person_id, "audiences",
                                               {"code": button.code, "chosen": chosen})
            reach = await self._reach(chosen)
            edit = await self.card(button.code, lang, selected=chosen, reach=reach)
            names = [t("btn.line_followers", lang) if a == cards.LINE_FOLLOWERS else a for a in chosen]
            shown = ", ".join(names) or t("publish.none_chosen", lang)
            # the popup (LINE's message) says what the press would reach now
            press = cards.reach_text(reach["chosen"], lang)
            popup = t("publish.audiences", lang, audiences=shown, reach=press)
            return TapResult(popup, edit=edit)
        if button.arg not in ("now", "sched"):
            return TapResult(t("tap.unknown", lang))
        at = self.app.publishing.schedule_time(state) if button.arg == "sched" else None
        try:
            published = await self.app.publishing.publish(
                button.code, person_id, [a for a in chosen if a != cards.LINE_FOLLOWERS], at, channel,
                line_followers=cards.LINE_FOLLOWERS in chosen,
            )
        except Refused as refused:
            return TapResult(refused.message(lang), replies=[Reply(refused.message(lang))])
        await self._clear(person_id)
        result = await self._done(
            person_id, lang, published.outcome, Action(Act.PUBLISH, state.step_id, state.version)
        )
        when = cards.local(published.due_at, self.app.settings.zone)
        key = "publish.scheduled" if at else "publish.started"
        audiences = ", ".join(published.audiences or [])
        if not [a for a in chosen if a != cards.LINE_FOLLOWERS]:
            audiences = t("publish.all_audiences", lang, audiences=audiences)
        result.replies.append(
            Reply(t(key, lang, code=button.code, when=when, recipients=published.recipients,
                    reach=cards.reach_text(published.reach, lang), audiences=audiences))
        )
        external = external_channels(self.flow, state)
        if external:
            result.replies.append(cards.evidence_buttons(button.code, external, set(), lang))
        return result

    async def _chosen_audiences(self, person_id: int, code: str) -> list[str]:
        pending = await self._pending(person_id)
        if pending and pending[0] == "audiences" and pending[1]["code"] == code:
            return list(pending[1]["chosen"])
        return []

    async def _evidence_link(
        self, person_id: int, lang: str, data: dict, url: str, channel: str
    ) -> TapResult:
        if not url.startswith(("http://", "https://")):
            return TapResult(replies=[Reply(t("publish.bad_link", lang), expect_reply=True)])
        try:
            await self.app.publishing.record_evidence(data["code"], person_id, data["channel"], url, channel)
        except (Refused, UnknownRequest) as error:
            await self._clear(person_id)
            message = error.message(lang) if isinstance(error, Refused) else t("tap.unknown_request", lang)
            return TapResult(replies=[Reply(message)])
        await self._clear(person_id)
        saved = Reply(t("publish.evidence_saved", lang, channel=data["channel"], url=url))
        return TapResult(replies=[saved, await self._checklist(data["code"], lang)])

    async def _checklist(self, code: str, lang: str) -> Reply:
        """The hand-posting checklist again, with the channels that have a link ticked."""
        state = await self.app.requests.get(code)
        async with self.app.db.reading() as tx:
            events = await Repos(tx).audit.for_request(code)
        done = {e.data.get("channel") for e in events if e.act == "evidence"}
        return cards.evidence_buttons(code, external_channels(self.flow, state), done, lang)

    async def _ask_text(self, person_id: int, lang: str, button: StepButton) -> TapResult:
        await self._pend(person_id, "note", button)
        key = "ask.note"
        if button.act in (Act.REJECT, Act.RETURN):
            key = f"ask.reason.{button.act.value}"
        elif button.act in (Act.DISPOSE, Act.INSTRUCT, Act.EVALUATE):
            key = f"ask.note.{button.act.value}"
        text = t(key, lang, code=button.code)
        return TapResult(replies=[Reply(text, expect_reply=True)])

    async def _typed_output(
        self, person_id: int, lang: str, data: dict, text: str, channel: str
    ) -> TapResult:
        """Typed text answering an upload: the step's written output, held while Telegram may
        still be sending the rest of a long paste; "-" approves without a correction."""
        step = self.flow.step(data["step_id"])
        held = data.get("part", "")
        if data["act"] == Act.APPROVE.value and text.strip() == "-" and not held:
            action = Action(Act.APPROVE, data["step_id"], data["version"])
            return await self._act(person_id, lang, data["code"], action, channel)
        if "text" in step.produces and outputs.may_be_part(text, channel):
            return await self._hold(person_id, lang, data, outputs.join_parts(held, text) if held else text)
        output, refusal = outputs.from_text(step, outputs.join_parts(held, text) if held else text, lang)
        if output is None:
            return TapResult(replies=[Reply(refusal, expect_reply=True)])
        return await self._act(person_id, lang, data["code"], _with(data, output), channel)

    async def _hold(self, person_id: int, lang: str, data: dict, held: str) -> TapResult:
        count = data.get("parts", 0) + 1
        await self.app.people.expect_input(person_id, "upload", data | {"part": held, "parts": count})
        index = [s.id for s in self.flow.request_steps].index(data["step_id"])
        save = StepButton(data["code"], data["version"], index, Act(data["act"]), "save")
        text = t("output.part", lang, count=count, length=len(held))
        return TapResult(replies=[Reply(text, [[Button(t("btn.save_text", lang), callbacks.encode(save))]])])

    async def _save_part(self, person_id: int, lang: str, button: StepButton, channel: str) -> TapResult:
        """Simpan: the text held so far is the whole of it."""
        pending = await self._pending(person_id)
        if pending is None or pending[0] != "upload" or not pending[1].get("part") \
                or pending[1]["code"] != button.code:
            return TapResult(t("tap.nothing_held", lang))
        data = pending[1]
        output, refusal = outputs.from_text(self.flow.step(data["step_id"]), data["part"], lang)
        if output is None:
            return TapResult(refusal, replies=[Reply(refusal)])
        return await self._act(person_id, lang, data["code"], _with(data, output), channel)

    async def _toggle(self, person_id: int, lang: str, button: StepButton, state) -> TapResult:
        channels = self.flow.rules.channels
        if not button.arg.isdigit() or int(button.arg) >= len(channels):
            return TapResult(t("tap.unknown", lang))
        chosen = await self._chosen(person_id, button.code, state.content.channels)
        channel_name = channels[int(button.arg)]
        chosen = (
            [c for c in chosen if c != channel_name] if channel_name in chosen else [*chosen, channel_name]
        )
        await self.app.people.expect_input(person_id, "channels", {"code": button.code, "chosen": chosen})
        edit = await self.card(button.code, lang, selected=chosen)
        return TapResult(t("tap.toggled", lang, channels=", ".join(chosen) or "-"), edit=edit)

    async def _chosen(self, person_id: int, code: str, default: list[str]) -> list[str]:
        pending = await self._pending(person_id)
        if pending and pending[0] == "channels" and pending[1]["code"] == code:
            return list(pending[1]["chosen"])
        return list(default)

    async def _pend(self, person_id: int, kind: str, button: StepButton) -> None:
        data = {
            "code": button.code,
            "version": button.version,
            "act": button.act.value,
            "step_id": self.flow.request_steps[button.step_index].id,
        }
        await self.app.people.expect_input(person_id, kind, data)

    async def _pending(self, person_id: int) -> tuple[str, dict] | None:
        async with self.app.db.reading() as tx:
            return await Repos(tx).pending.get(person_id)

    async def _clear(self, person_id: int) -> None:
        await self.app.people.clear_input(person_id)


def _with(data: dict, output: outputs.Output) -> Action:
    """The pending upload (or approval) as an action carrying what was handed in."""
    return Action(Act(data["act"]), data["step_id"], data["version"], media=output.media, text=output.text,
                  documents=output.documents)


def _same_round(recorded: str | None, round: datetime | None) -> bool:
    """A prompt belongs to the visit that started at `round`; prompts written before rounds
    were recorded, or a decision that names none, match as before."""
    if recorded is None or round is None:
        return True
    return datetime.fromisoformat(recorded) == round
