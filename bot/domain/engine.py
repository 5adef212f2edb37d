"""The flow engine: (flow, request state, action by an actor) -> new state, events, notices.

Pure: no I/O, no clock of its own. Services persist what it returns in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from bot.domain.flow import REJECT, REQUESTER, Flow, Kind, Step
from bot.domain.request import Content, MediaRef, RequestState, Status
from bot.i18n import t


class Act(StrEnum):
    """What an actor does. Which of these a step offers follows from its kind."""

    SUBMIT = "submit"
    CONFIRM = "confirm"
    DISPOSE = "dispose"
    INSTRUCT = "instruct"
    UPLOAD = "upload"
    APPROVE = "approve"
    REJECT = "reject"
    RETURN = "return"
    CHOOSE_CHANNELS = "choose_channels"
    PUBLISH = "publish"
    ARCHIVE = "archive"
    EVALUATE = "evaluate"
    CANCEL = "cancel"


_FORWARD = {
    Kind.SUBMIT: Act.SUBMIT,
    Kind.CONFIRM: Act.CONFIRM,
    Kind.DISPOSE: Act.DISPOSE,
    Kind.INSTRUCT: Act.INSTRUCT,
    Kind.PRODUCE: Act.UPLOAD,
    Kind.VERIFY: Act.APPROVE,
    Kind.APPROVE: Act.APPROVE,
    Kind.CHOOSE_CHANNELS: Act.CHOOSE_CHANNELS,
    Kind.PUBLISH: Act.PUBLISH,
    Kind.ARCHIVE: Act.ARCHIVE,
    Kind.EVALUATE: Act.EVALUATE,
}
_NEEDS_NOTE = {Act.REJECT, Act.RETURN}


@dataclass(frozen=True)
class Actor:
    person_id: int
    roles: frozenset[str]
    name: str = ""


@dataclass(frozen=True)
class Action:
    act: Act
    step_id: str  # the step the actor saw: a stale button names an old one
    version: int
    note: str = ""
    channels: tuple[str, ...] = ()
    media: tuple[MediaRef, ...] = ()
    text: str | None = None  # a written output (an article, a corrected text)
    documents: tuple[MediaRef, ...] = ()  # a document output kept as it is (PDF)
    data: dict[str, object] = field(default_factory=dict)  # recorded with the event as it is

    @property
    def outputs(self) -> list[str]:
        """The kinds of output this action carries, in the flow's words (image, text...)."""
        kinds = [m.kind for m in self.media]
        kinds += ["text"] if self.text is not None else []
        kinds += ["document"] * len(self.documents)
        return kinds


@dataclass(frozen=True)
class Event:
    """One audit-log line: who, in which role, did what, at which step and version."""

    act: str
    step_id: str
    version: int
    actor_id: int | None
    role: str
    at: datetime
    note: str = ""
    data: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Notice:
    """A message that must go out because of a change; handlers render it per platform."""

    kind: str  # "prompt" (to the step's role), "decision" / "returned" / "closed" (requester)
    code: str
    step_id: str
    role: str | None = None  # the role to prompt; None means the requester
    act: str = ""
    note: str = ""


@dataclass(frozen=True)
class Outcome:
    state: RequestState
    events: list[Event]
    notices: list[Notice]
    # when the step acted on had started: tells its round from earlier visits of the same step
    round_started: datetime | None = None
    actor_name: str = ""  # the name of who acted, as the service read it (for the answer)


class Refused(Exception):
    """The action is not allowed; `reason` is a catalogue key, `params` fill it."""

    def __init__(self, reason: str, **params: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.params = params

    def message(self, lang: str = "id") -> str:
        return t(f"refuse.{self.reason}", lang, **self.params)


def allowed_acts(step: Step) -> list[Act]:
    """The buttons a step shows: its forward act, then NO and return where the SOP has them."""
    acts = [_FORWARD[step.kind]]
    if step.kind == Kind.APPROVE or step.on_no:
        acts.append(Act.REJECT)
    if step.on_return:
        acts.append(Act.RETURN)
    return acts


def start(flow: Flow, code: str, content: Content, requester: Actor, now: datetime) -> Outcome:
    """A submitted request enters its flow; a first step of kind submit is done by submitting."""
    first = flow.first_step()
    state = RequestState(
        code=code, flow=flow.name, requester_id=requester.person_id, step_id=first.id,
        step_started_at=now, content=content,
    )
    submitted = Event(Act.SUBMIT, first.id, 1, requester.person_id, REQUESTER, now)
    if first.kind == Kind.SUBMIT:
        return _advance(flow, state, first, submitted, now)
    return Outcome(state, [submitted], [_prompt(state, first)])


def apply(flow: Flow, state: RequestState, action: Action, actor: Actor, now: datetime) -> Outcome:
    """Apply one action at the current step, or raise Refused with the reason."""
    step = check(flow, state, action, actor)
    _check_given(step, action)
    started = state.step_started_at
    if action.act == Act.CHOOSE_CHANNELS:
        state = _with_channels(flow, state, action.channels)
    if action.outputs:
        state = _with_output(state, action)
    data = {"channels": list(action.channels)} if action.channels else {}
    if state.step_due_at is not None:  # the deadline this act is judged by, as it stood
        data["step_due_at"] = state.step_due_at.isoformat()
    data |= {"produced": action.outputs} if action.outputs else {}
    data |= action.data
    event = Event(action.act, step.id, state.version, actor.person_id, step.role, now, action.note, data)
    if action.act == Act.REJECT:
        outcome = _reject(flow, state, step, event, now)
    elif action.act == Act.RETURN:
        outcome = _return(flow, state, step, event, now)
    else:
        outcome = _advance(flow, state, step, event, now)
    return replace(outcome, round_started=started)


def resubmit(flow: Flow, state: RequestState, content: Content, actor: Actor, now: datetime) -> Outcome:
    """The requester's revised version re-enters the flow where the returning step says."""
    check_revision(state, actor)
    returned_from = flow.step(state.returned_from or state.step_id)
    target = flow.step(returned_from.resume_at or returned_from.id)
    new = state.model_copy(update={
        "version": state.version + 1, "status": Status.ACTIVE, "step_id": target.id,
        "step_started_at": now, "content": content, "returned_from": None,
    })
    event = Event(Act.SUBMIT, target.id, new.version, actor.person_id, REQUESTER, now)
    return Outcome(new, [event], [_prompt(new, target)])


def check_revision(state: RequestState, actor: Actor) -> None:
    """Only the requester revises, and only a request that is returned to them. Who asks is
    checked first, so that nobody else learns where someone's request stands."""
    if actor.person_id != state.requester_id:
        raise Refused("not_requester")
    if state.status != Status.RETURNED:
        raise Refused("not_returned", code=state.code)


def cancel(state: RequestState, actor: Actor, now: datetime) -> Outcome:
    if state.status.closed:
        raise Refused("closed", code=state.code, status=t(f"status.{state.status}"))
    if actor.person_id != state.requester_id:
        raise Refused("not_requester")
    new = state.model_copy(update={"status": Status.CANCELLED})
    event = Event(Act.CANCEL, state.step_id, state.version, actor.person_id, REQUESTER, now)
    return Outcome(new, [event], [])


def check(flow: Flow, state: RequestState, action: Action, actor: Actor) -> Step:
    """The current step if the actor may take this act on it now; Refused otherwise."""
    if state.status.closed:
        raise Refused("closed", code=state.code, status=t(f"status.{state.status}"))
    step = flow.step(state.step_id)
    if action.step_id != state.step_id or state.status != Status.ACTIVE:
        raise Refused("not_current", code=state.code, step=step.name.id)
    if action.version != state.version:
        raise Refused("stale_version", code=state.code, given=action.version, version=state.version)
    holds = actor.person_id == state.requester_id if step.role == REQUESTER else step.role in actor.roles
    if not holds:
        raise Refused("no_role", role=flow.role_name(step.role))
    if action.act not in allowed_acts(step):
        raise Refused("not_allowed", action=action.act.value, step=step.name.id)
    return step


def _check_given(step: Step, action: Action) -> None:
    """What the act itself must carry: a reason; an output of a kind the step produces
    (an upload must carry one; an approval may carry the corrected output)."""
    if action.act in _NEEDS_NOTE and not action.note.strip():
        raise Refused("note_required")
    if action.act == Act.UPLOAD and not action.outputs:
        raise Refused("media_required")
    if not action.outputs:
        return
    may_carry = action.act == Act.UPLOAD or (action.act == Act.APPROVE and step.output_kind)
    if not may_carry or any(kind not in step.produces for kind in action.outputs):
        raise Refused("output_kind", given=", ".join(action.outputs),
                      wanted=", ".join(step.produces) or "-")


def _advance(flow: Flow, state: RequestState, step: Step, event: Event, now: datetime) -> Outcome:
    nxt = flow.next_step(step.id)
    notice = Notice("decision", state.code, step.id, None, event.act, event.note)
    if nxt is None:
        return _close(flow, state, Status.DONE, [event], [notice], now)
    moved = state.model_copy(update={"step_id": nxt.id, "step_started_at": now})
    return Outcome(moved, [event], [notice, _prompt(moved, nxt)])


def _reject(flow: Flow, state: RequestState, step: Step, event: Event, now: datetime) -> Outcome:
    target = step.on_no or REJECT
    notice = Notice("decision", state.code, step.id, None, Act.REJECT, event.note)
    if target == REJECT:
        return _close(flow, state, Status.REJECTED, [event], [notice], now)
    back = flow.step(target)
    moved = state.model_copy(update={"step_id": back.id, "step_started_at": now})
    return Outcome(moved, [event], [notice, _prompt(moved, back)])


def _return(flow: Flow, state: RequestState, step: Step, event: Event, now: datetime) -> Outcome:
    notice = Notice("returned", state.code, step.id, None, Act.RETURN, event.note)
    if step.on_return == REQUESTER:
        moved = state.model_copy(update={"status": Status.RETURNED, "returned_from": step.id})
        return Outcome(moved, [event], [notice])
    back = flow.step(step.on_return or step.id)
    moved = state.model_copy(update={"step_id": back.id, "step_started_at": now})
    return Outcome(moved, [event], [notice, _prompt(moved, back)])


def _close(
    flow: Flow, state: RequestState, status: Status, events: list[Event], notices: list[Notice],
    now: datetime,
) -> Outcome:
    closed = state.model_copy(update={"status": status})
    if status == Status.DONE and flow.auto_archive:
        events = [*events, Event(Act.ARCHIVE, state.step_id, state.version, None, "system", now)]
    notices = [*notices, Notice("closed", state.code, state.step_id, None, status.value)]
    return Outcome(closed, events, notices)


def _prompt(state: RequestState, step: Step) -> Notice:
    return Notice("prompt", state.code, step.id, step.role)


def _with_channels(flow: Flow, state: RequestState, channels: tuple[str, ...]) -> RequestState:
    if not channels or any(c not in flow.rules.channels for c in channels):
        raise Refused("bad_channels", choices=", ".join(flow.rules.channels))
    content = state.content.model_copy(update={"channels": list(channels)})
    return state.model_copy(update={"content": content})


def _with_output(state: RequestState, action: Action) -> RequestState:
    """What staff produce (a poster, an edited video, an article, its corrected text) is a
    new version of the request's content; what it does not replace is kept."""
    update: dict[str, object] = {}
    if action.media:
        update["media"] = list(action.media)
    if action.text is not None:
        update["text"] = action.text
    if action.documents:
        update["documents"] = list(action.documents)
    content = state.content.model_copy(update=update)
    return state.model_copy(update={"content": content, "version": state.version + 1})
