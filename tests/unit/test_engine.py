"""The flow engine's properties on the default flow (bot/flows/default.toml)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.domain.engine import Act, Action, Actor, Refused, allowed_acts, apply, cancel, resubmit, start
from bot.domain.flow import REQUESTER
from bot.domain.request import Contact, Content, MediaRef, RequestState, Status
from bot.flows.loader import load_flow

NOW = datetime(2026, 3, 2, 9, 0)
LATER = NOW + timedelta(hours=1)
CLIENT = Actor(person_id=1, roles=frozenset(), name="Sari")
KOORDINATOR = Actor(person_id=10, roles=frozenset({"koordinator"}), name="Budi")
WAKIL = Actor(person_id=11, roles=frozenset({"wakil_koordinator"}), name="Wati")
DIREKTUR = Actor(person_id=12, roles=frozenset({"direktur"}), name="Dedi")
PETUGAS = Actor(person_id=13, roles=frozenset({"petugas"}), name="Putri")
BY_ROLE = {"koordinator": KOORDINATOR, "wakil_koordinator": WAKIL, "direktur": DIREKTUR, "petugas": PETUGAS}
POSTER = MediaRef(sha256="b" * 64, kind="image", mime="image/png", size=2048, filename="poster.png")
FLOW = load_flow("default")


def content(caption: str = "Seminar nasional") -> Content:
    return Content(
        title="Seminar", organisation="FISIP", media=[POSTER], caption=caption,
        contact=Contact(name="Sari", phone="0812"),
    )


def submitted() -> RequestState:
    return start(FLOW, "PUB-2026-0007", content(), CLIENT, NOW).state


def act(state: RequestState, what: Act | None = None, note: str = "", actor: Actor | None = None):
    step = FLOW.step(state.step_id)
    action = Action(what or allowed_acts(step)[0], step.id, state.version, note=note)
    return apply(FLOW, state, action, actor or BY_ROLE[step.role], LATER)


def test_start_enters_the_first_step_and_prompts_its_role() -> None:
    outcome = start(FLOW, "PUB-2026-0007", content(), CLIENT, NOW)
    state = outcome.state
    assert (state.step_id, state.version, state.status) == ("koordinator", 1, Status.ACTIVE)
    assert state.requester_id == CLIENT.person_id and state.step_started_at == NOW
    [event] = outcome.events
    assert (event.act, event.step_id, event.version, event.actor_id, event.role) == (
        Act.SUBMIT, "koordinator", 1, CLIENT.person_id, REQUESTER)
    [prompt] = outcome.notices
    assert (prompt.kind, prompt.code, prompt.step_id, prompt.role) == (
        "prompt", "PUB-2026-0007", "koordinator", "koordinator")


def test_allowed_acts_of_the_default_steps() -> None:
    assert allowed_acts(FLOW.step("koordinator")) == [Act.APPROVE, Act.REJECT, Act.RETURN]
    assert allowed_acts(FLOW.step("publikasi")) == [Act.PUBLISH]
    assert allowed_acts(FLOW.step("arsip")) == [Act.ARCHIVE]


def test_approvals_walk_to_done() -> None:
    state = submitted()
    seen = []
    while state.status == Status.ACTIVE:
        seen.append(state.step_id)
        state = act(state).state
    assert seen == ["koordinator", "wakil_koordinator", "direktur", "publikasi", "arsip"]
    assert state.status == Status.DONE
    assert not FLOW.auto_archive


def test_approve_moves_on_and_notices_prompt_next_and_tell_requester() -> None:
    outcome = act(submitted(), Act.APPROVE, note="Lengkap")
    assert outcome.state.step_id == "wakil_koordinator"
    assert outcome.state.step_started_at == LATER
    decision, prompt = outcome.notices
    assert (decision.kind, decision.role, decision.act, decision.note, decision.step_id) == (
        "decision", None, Act.APPROVE, "Lengkap", "koordinator")
    assert (prompt.kind, prompt.role, prompt.step_id) == ("prompt", "wakil_koordinator", "wakil_koordinator")


def test_events_carry_actor_role_and_version() -> None:
    outcome = act(submitted(), Act.APPROVE, note="ok")
    [event] = outcome.events
    assert event.act == Act.APPROVE
    assert event.step_id == "koordinator"
    assert event.version == 1
    assert event.actor_id == KOORDINATOR.person_id
    assert event.role == "koordinator"
    assert event.at == LATER
    assert event.note == "ok"


def test_reject_needs_a_reason_then_closes() -> None:
    state = submitted()
    for blank in ("", "   "):
        with pytest.raises(Refused) as refused:
            act(state, Act.REJECT, note=blank)
        assert refused.value.reason == "note_required"
    outcome = act(state, Act.REJECT, note="Bukan kegiatan kampus")
    assert outcome.state.status == Status.REJECTED
    assert [(n.kind, n.role) for n in outcome.notices] == [("decision", None), ("closed", None)]
    assert outcome.notices[0].note == "Bukan kegiatan kampus"
    assert outcome.notices[1].act == "rejected"
    with pytest.raises(Refused) as refused:
        act(outcome.state, Act.APPROVE)
    assert refused.value.reason == "closed"


def test_return_needs_a_note_and_waits_for_the_requester() -> None:
    state = act(submitted()).state  # at wakil_koordinator
    with pytest.raises(Refused) as refused:
        act(state, Act.RETURN)
    assert refused.value.reason == "note_required"
    outcome = act(state, Act.RETURN, note="Lengkapi contact person")
    returned = outcome.state
    assert returned.status == Status.RETURNED
    assert returned.returned_from == "wakil_koordinator"
    [notice] = outcome.notices
    assert (notice.kind, notice.role, notice.note) == ("returned", None, "Lengkapi contact person")
    # nobody can act on it meanwhile
    with pytest.raises(Refused) as refused:
        act(returned, Act.APPROVE)
    assert refused.value.reason == "not_current"


def test_resubmit_gives_version_2_at_the_returning_step() -> None:
    state = act(submitted()).state
    returned = act(state, Act.RETURN, note="Caption terlalu pendek").state
    outcome = resubmit(FLOW, returned, content("Caption baru yang lengkap"), CLIENT, LATER)
    new = outcome.state
    assert (new.version, new.step_id, new.status) == (2, "wakil_koordinator", Status.ACTIVE)
    assert new.content.caption == "Caption baru yang lengkap"
    assert new.returned_from is None
    [event] = outcome.events
    assert (event.act, event.version, event.role, event.actor_id) == (
        Act.SUBMIT, 2, REQUESTER, CLIENT.person_id)
    [prompt] = outcome.notices
    assert (prompt.kind, prompt.role) == ("prompt", "wakil_koordinator")
    # a button of version 1 is stale now
    with pytest.raises(Refused) as refused:
        apply(FLOW, new, Action(Act.APPROVE, "wakil_koordinator", 1), WAKIL, LATER)
    assert refused.value.reason == "stale_version"
    assert act(new).events[0].version == 2


def test_resubmit_only_by_the_requester_and_only_when_returned() -> None:
    state = submitted()
    with pytest.raises(Refused) as refused:
        resubmit(FLOW, state, content(), CLIENT, LATER)
    assert refused.value.reason == "not_returned"
    returned = act(state, Act.RETURN, note="Revisi").state
    with pytest.raises(Refused) as refused:
        resubmit(FLOW, returned, content(), KOORDINATOR, LATER)
    assert refused.value.reason == "not_requester"
    with pytest.raises(Refused) as refused:  # who asks comes first: a stranger learns no status
        resubmit(FLOW, state, content(), KOORDINATOR, LATER)
    assert refused.value.reason == "not_requester"


def test_cancel_by_the_requester_closes() -> None:
    state = submitted()
    with pytest.raises(Refused) as refused:
        cancel(state, KOORDINATOR, LATER)
    assert refused.value.reason == "not_requester"
    outcome = cancel(state, CLIENT, LATER)
    assert outcome.state.status == Status.CANCELLED
    [event] = outcome.events
    assert (event.act, event.role, event.actor_id, event.version) == (Act.CANCEL, REQUESTER, 1, 1)
    with pytest.raises(Refused) as refused:
        cancel(outcome.state, CLIENT, LATER)
    assert refused.value.reason == "closed"
    with pytest.raises(Refused) as refused:
        act(outcome.state, Act.APPROVE)
    assert refused.value.reason == "closed"


def test_refusals_on_role_step_version_and_act() -> None:
    state = submitted()
    with pytest.raises(Refused) as refused:
        act(state, Act.APPROVE, actor=PETUGAS)
    assert refused.value.reason == "no_role"
    assert "Koordinator" in refused.value.message("id")
    assert "Koordinator" in refused.value.message("en")
    with pytest.raises(Refused) as refused:
        apply(FLOW, state, Action(Act.APPROVE, "direktur", 1), DIREKTUR, LATER)
    assert refused.value.reason == "not_current"
    with pytest.raises(Refused) as refused:
        apply(FLOW, state, Action(Act.APPROVE, "koordinator", 2), KOORDINATOR, LATER)
    assert refused.value.reason == "stale_version"
    with pytest.raises(Refused) as refused:
        act(state, Act.PUBLISH)
    assert refused.value.reason == "not_allowed"


def test_refusal_messages_render_in_both_languages() -> None:
    done = submitted()
    while done.status == Status.ACTIVE:
        done = act(done).state
    with pytest.raises(Refused) as refused:
        act(done.model_copy(update={"step_id": "arsip"}), Act.ARCHIVE)
    assert "PUB-2026-0007" in refused.value.message("id") and "selesai" in refused.value.message("id")
    assert "PUB-2026-0007" in refused.value.message("en") and "done" in refused.value.message("en")


def test_publish_and_archive_tell_the_requester_and_close() -> None:
    state = submitted()
    while state.step_id != "arsip":
        state = act(state).state
    outcome = act(state)
    assert outcome.state.status == Status.DONE
    assert [(n.kind, n.role) for n in outcome.notices] == [("decision", None), ("closed", None)]
    assert outcome.notices[-1].act == "done"
