"""Properties of the flow engine (bot/domain/engine.py), on every shipped flow, for any
sequence of presses by any people: the request's requester, a holder of each role, a
person holding two roles, and an outsider; each press carries the data of the current
card, of a card seen earlier (a stale one: a double tap, a late colleague), or made up.

- one decision per step round: an accepted action always ends the round it was taken in
  (the request leaves the step, or its version or status changes), so a second press of the
  same card, by the same holder or another, is refused until the request comes back;
- only role holders move a request: an action is accepted only from a holder of the
  current step's role (the requester where the step is theirs), a revision or a
  cancellation only from the requester; a closed request accepts nothing;
- versions only grow: by one at a revision or whenever staff hand in an output (an upload,
  a corrected text with an approval), never down; every event carries the version it was
  taken on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from bot.domain.engine import (
    Act,
    Action,
    Actor,
    Outcome,
    Refused,
    allowed_acts,
    apply,
    cancel,
    resubmit,
    start,
)
from bot.domain.flow import REQUESTER, Flow
from bot.domain.request import Contact, Content, MediaRef, RequestState, Status
from bot.flows.loader import available, load_flow

FLOWS = {name: load_flow(name) for name in available()}
START = datetime(2026, 3, 2, 9, 0)
REQUESTER_ID = 1
OUTSIDER_ID = 99
POSTER = MediaRef(sha256="b" * 64, kind="image", mime="image/png", size=2048)
EDITED = MediaRef(sha256="c" * 64, kind="image", mime="image/png", size=4096)
CLIP = MediaRef(sha256="d" * 64, kind="video", mime="video/mp4", size=8192)
PDF = MediaRef(sha256="e" * 64, kind="document", mime="application/pdf", size=1024)


def output(kind: str) -> dict:
    """What an action carries to hand in one output of this kind."""
    return {"image": {"media": (EDITED,)}, "video": {"media": (CLIP,)}, "text": {"text": "Naskah berita"},
            "document": {"documents": (PDF,)}}[kind]


def content(caption: str = "Seminar nasional") -> Content:
    return Content(title="Seminar", organisation="FISIP", media=[POSTER], caption=caption,
                   contact=Contact(name="Sari", phone="0812"))


def people(flow: Flow) -> list[Actor]:
    """The requester, one holder per role, someone holding the first two roles, an outsider."""
    roles = sorted(flow.role_ids)
    holders = [Actor(10 + i, frozenset({role}), role) for i, role in enumerate(roles)]
    both = Actor(50, frozenset(roles[:2]), "two roles")
    return [Actor(REQUESTER_ID, frozenset(), "requester"), *holders, both,
            Actor(OUTSIDER_ID, frozenset(), "outsider")]


@dataclass(frozen=True)
class Press:
    aimed: bool  # by someone who may act, with an act the step offers: the request moves
    who: int  # index into people(flow) (or, aimed, into those who may act), modulo
    verb: str  # "act", "resubmit", "cancel" (aimed at a returned request, "act" revises)
    act: Act
    offered: int  # aimed: which of the step's acts
    card: str  # "current", "seen" (a card from an earlier state), "any" (made-up step)
    pick: int  # which earlier card, or which step
    version_shift: int  # 0 for the card's own version; else forged
    note: str
    channels: int  # a bitmask over the flow's channels
    media: bool


presses = st.builds(
    Press,
    aimed=st.sampled_from([True, True, False]),
    who=st.integers(0, 20),
    verb=st.sampled_from(["act"] * 36 + ["resubmit"] * 3 + ["cancel"]),
    act=st.sampled_from(list(Act)),
    offered=st.sampled_from([0] * 6 + [1, 2]),  # mostly the step's forward act
    card=st.sampled_from(["current"] * 7 + ["seen"] * 3 + ["any"]),
    pick=st.integers(0, 50),
    version_shift=st.sampled_from([0] * 6 + [-1, 1]),
    note=st.sampled_from(["", "", "Perbaiki caption", "  "]),
    channels=st.integers(0, 15),
    media=st.booleans(),
)


def holds(flow: Flow, state: RequestState, actor: Actor) -> bool:
    role = flow.step(state.step_id).role
    return actor.person_id == state.requester_id if role == REQUESTER else role in actor.roles


def round_of(state: RequestState) -> tuple:
    """What a step round is: the step, the version and the status, entered at one moment."""
    return state.step_id, state.version, state.status, state.step_started_at


def verb_of(state: RequestState, press: Press) -> str:
    """Aimed at a request returned for revision: its requester sends the revision."""
    if press.aimed and press.verb == "act" and state.status == Status.RETURNED:
        return "resubmit"
    return press.verb


def actor_for(flow: Flow, state: RequestState, everyone: list[Actor], press: Press) -> Actor:
    """Aimed: someone who may (the requester, for a revision or a cancellation); else anyone."""
    if press.aimed and verb_of(state, press) != "act":
        return everyone[0]
    able = [a for a in everyone if holds(flow, state, a)] if press.aimed else everyone
    return (able or everyone)[press.who % len(able or everyone)]


def action_for(flow: Flow, state: RequestState, seen: list[RequestState], press: Press) -> Action:
    """Aimed: an act the current step offers, with what it needs; else any act. Either way on
    the card the press names: the current one, one seen earlier, or a made-up step."""
    if press.card == "current":
        step_id, version = state.step_id, state.version
    elif press.card == "seen":
        earlier = seen[press.pick % len(seen)]
        step_id, version = earlier.step_id, earlier.version
    else:
        step_id, version = flow.request_steps[press.pick % len(flow.request_steps)].id, state.version
    act, note, given = press.act, press.note, output("image") if press.media else {}
    channels = tuple(c for i, c in enumerate(flow.rules.channels) if press.channels >> i & 1)
    if press.aimed:
        step = flow.step(state.step_id)
        offered = allowed_acts(step)
        act, note = offered[press.offered % len(offered)], press.note or "catatan"
        channels = tuple(flow.rules.channels[: 1 + press.channels % len(flow.rules.channels)])
        given = handed_in(step, act, press.channels, press.media)
    return Action(act, step_id, version + press.version_shift, note=note, channels=channels, **given)


def handed_in(step, act: Act, pick: int, correcting: bool) -> dict:
    """An upload carries one of the outputs its step produces; an approval at a step that
    writes may carry the corrected one; nothing else carries an output."""
    if act == Act.UPLOAD or (act == Act.APPROVE and step.output_kind and correcting):
        return output(step.produces[pick % len(step.produces)])
    return {}


def attempt(flow: Flow, state: RequestState, action: Action, actor: Actor, verb: str,
            now: datetime) -> Outcome | None:
    try:
        if verb == "resubmit":
            return resubmit(flow, state, content("Revisi"), actor, now)
        if verb == "cancel":
            return cancel(state, actor, now)
        return apply(flow, state, action, actor, now)
    except Refused:
        return None


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(sorted(FLOWS)), sequence=st.lists(presses, min_size=5, max_size=80))
def test_any_presses_by_anyone_keep_the_engine_s_promises(name: str, sequence: list[Press]) -> None:
    flow = FLOWS[name]
    everyone = people(flow)
    state = start(flow, "PUB-2026-0001", content(), everyone[0], START).state
    seen = [state]  # every state a card was ever drawn from
    decided_rounds: set[tuple] = set()
    for number, press in enumerate(sequence, start=1):
        now = START + timedelta(minutes=number)  # each press a moment later
        verb = verb_of(state, press)
        actor = actor_for(flow, state, everyone, press)
        action = action_for(flow, state, seen, press)
        before = state
        outcome = attempt(flow, state, action, actor, verb, now)
        if outcome is None:
            continue  # refused: nothing changed (states are immutable, nothing to undo)
        new = outcome.state
        assert not before.status.closed, "a closed request accepted an action"
        if verb == "act":
            assert holds(flow, before, actor), f"{actor.name} moved a request at {before.step_id}"
            assert before.status == Status.ACTIVE
            assert (action.step_id, action.version) == (before.step_id, before.version), "stale data applied"
        else:
            assert actor.person_id == REQUESTER_ID, f"{actor.name} did the requester's {verb}"
        # one decision per step round: the round it was taken in is over
        assert round_of(before) not in decided_rounds, "a second decision in one step round"
        decided_rounds.add(round_of(before))
        assert round_of(new) != round_of(before), "an accepted action left the round open"
        # versions only grow, by one at a time, and each event carries its version
        assert new.version in (before.version, before.version + 1)
        if verb == "resubmit" or (verb == "act" and action.outputs):  # a new content: a new version
            assert new.version == before.version + 1
        for logged in outcome.events:
            assert logged.version in (before.version, new.version)
            assert logged.actor_id in (actor.person_id, None)  # None: the system's own archive
        state = new
        seen.append(state)
    event(f"{name}: ended {state.status}, version {state.version}, {len(decided_rounds)} decisions")


@settings(max_examples=150, deadline=None)
@given(name=st.sampled_from(sorted(FLOWS)), data=st.data())
def test_a_double_tap_and_a_colleague_s_tap_after_a_decision_are_refused(name: str, data) -> None:
    """Walk the flow with the right holder, each step's decision drawn from what it offers;
    after each decision, the same card pressed again by anyone at all is refused."""
    flow = FLOWS[name]
    everyone = people(flow)
    state = start(flow, "PUB-2026-0001", content(), everyone[0], START).state
    for number in range(3 * len(flow.request_steps)):
        if state.status != Status.ACTIVE:
            break
        actor = next(a for a in everyone if holds(flow, state, a))
        step = flow.step(state.step_id)
        act = data.draw(st.sampled_from(allowed_acts(step)))
        given = handed_in(step, act, data.draw(st.integers(0, 3)), data.draw(st.booleans()))
        card = Action(act, state.step_id, state.version, note="ok", channels=tuple(flow.rules.channels[:1]),
                      **given)
        now = START + timedelta(hours=number)
        state = apply(flow, state, card, actor, now).state
        for other in everyone:
            with pytest.raises(Refused):
                apply(flow, state, card, other, now + timedelta(minutes=1))
