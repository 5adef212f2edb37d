"""Use cases on publication requests. Each runs in one transaction: the state change, its
audit events and the messages it causes are committed together, or not at all."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.domain import engine
from bot.domain.engine import Act, Action, Actor, Notice, Outcome, Refused
from bot.domain.flow import REQUESTER, Flow
from bot.domain.request import Content, MediaRef, RequestState, Status
from bot.domain.rules import Violation, check_content
from bot.domain.trail import Dossier, Entry, Revision
from bot.domain.worktime import Calendar, add_working_time
from bot.services.people import ADMIN
from storage.db import Database, utc_text
from storage.repositories import Repos


class RuleViolations(Exception):
    """The request breaks the flow's rules; nothing was stored."""

    def __init__(self, violations: list[Violation]) -> None:
        super().__init__("; ".join(v.message("en") for v in violations))
        self.violations = violations


class UnknownRequest(KeyError):
    pass


@dataclass
class RequestServices:
    db: Database
    flow: Flow
    clock: Clock
    zone: ZoneInfo
    calendar: Calendar | None = None

    def today(self):
        return self.clock.now().astimezone(self.zone).date()

    async def submit(self, requester_id: int, content: Content, channel: str = "",
                     draft_of: int | None = None) -> RequestState:
        """Check the rules, give the request its code and put it at its first step; the
        draft of `draft_of` (the intake that made it) goes in the same transaction."""
        violations = check_content(content, self.flow.rules, self.today())
        if violations:
            raise RuleViolations(violations)
        now = self.clock.now()
        async with self.db.transaction() as tx:
            repos = Repos(tx)
            code = await repos.requests.next_code(now.astimezone(self.zone).year)
            for ref in content.media:
                await repos.media.add(ref)
            actor = await self._actor(repos, requester_id)
            outcome = self.timed(engine.start(self.flow, code, content, actor, now))
            request_id = await repos.requests.insert(outcome.state, requester_id)
            await self.record(repos, request_id, outcome, channel)
            if draft_of is not None:
                await repos.drafts.delete(draft_of)
        return outcome.state

    async def act(self, code: str, action: Action, person_id: int, channel: str = "") -> Outcome:
        """Any action at the current step; authority is checked here, from the database. The
        request is locked first: of two actions at once (two approvers, on two workers), the
        second reads what the first did, and the engine refuses it (first decision wins)."""
        async with self.db.transaction() as tx:
            repos = Repos(tx)
            await self._lock(repos, code)
            found = await repos.requests.locate(code)
            if found is None:
                raise UnknownRequest(code)
            request_id, state = found
            self._check_platform(state, channel)
            actor = await self._actor(repos, person_id)
            for ref in action.media:
                await repos.media.add(ref)
            outcome = self.timed(engine.apply(self.flow, state, action, actor, self.clock.now()))
            await repos.requests.save(outcome.state, person_id, request_id)
            await self.record(repos, request_id, outcome, channel)
        return replace(outcome, actor_name=actor.name)

    async def resubmit(self, code: str, content: Content, person_id: int, channel: str = "",
                       draft_of: int | None = None) -> Outcome:
        violations = check_content(content, self.flow.rules, self.today())
        if violations:
            raise RuleViolations(violations)
        async with self.db.transaction() as tx:
            repos = Repos(tx)
            state = await self._get(repos, code, lock=True)
            for ref in content.media:
                await repos.media.add(ref)
            actor = await self._actor(repos, person_id)
            outcome = self.timed(engine.resubmit(self.flow, state, content, actor, self.clock.now()))
            request_id = await repos.requests.save(outcome.state, person_id)
            await self.record(repos, request_id, outcome, channel)
            if draft_of is not None:
                await repos.drafts.delete(draft_of)
        return outcome

    async def cancel(self, code: str, person_id: int, channel: str = "") -> Outcome:
        async with self.db.transaction() as tx:
            repos = Repos(tx)
            state = await self._get(repos, code, lock=True)
            outcome = engine.cancel(state, await self._actor(repos, person_id), self.clock.now())
            request_id = await repos.requests.save(outcome.state, person_id)
            await self.record(repos, request_id, outcome, channel)
        return outcome

    # The SOP's verbs, each one action at the current step.
    async def confirm(self, code: str, person_id: int, channel: str = "") -> Outcome:
        return await self._do(code, Act.CONFIRM, person_id, channel)

    async def dispose(self, code: str, person_id: int, note: str, channel: str = "") -> Outcome:
        return await self._do(code, Act.DISPOSE, person_id, channel, note=note)

    async def decide(
        self, code: str, person_id: int, act: Act, note: str = "", channel: str = ""
    ) -> Outcome:
        """Approve; reject with a reason; return for revision with a note."""
        if act not in (Act.APPROVE, Act.REJECT, Act.RETURN):
            raise ValueError(f"not a decision: {act}")
        return await self._do(code, act, person_id, channel, note=note)

    async def choose_channels(
        self, code: str, person_id: int, channels: list[str], channel: str = ""
    ) -> Outcome:
        return await self._do(code, Act.CHOOSE_CHANNELS, person_id, channel, channels=tuple(channels))

    async def record_publication(
        self, code: str, person_id: int, note: str = "", channel: str = ""
    ) -> Outcome:
        return await self._do(code, Act.PUBLISH, person_id, channel, note=note)

    async def archive(self, code: str, person_id: int, channel: str = "") -> Outcome:
        return await self._do(code, Act.ARCHIVE, person_id, channel)

    async def upload(
        self, code: str, person_id: int, media: list[MediaRef], note: str = "", channel: str = "",
        text: str | None = None,
    ) -> Outcome:
        """What the step produces: a poster or video, or (BKK's writing) a text."""
        return await self._do(code, Act.UPLOAD, person_id, channel, note=note, media=tuple(media), text=text)

    async def _do(self, code: str, act: Act, person_id: int, channel: str, **extra) -> Outcome:
        """An action on the step the request is at now (for callers that name no step)."""
        state = await self.get(code)
        action = Action(act, state.step_id, state.version, **extra)
        return await self.act(code, action, person_id, channel)

    # Reading
    async def get(self, code: str) -> RequestState:
        async with self.db.reading() as tx:
            return await self._get(Repos(tx), code)

    async def dossier(self, code: str) -> Dossier:
        """The request with its history (decisions, versions, outputs) in three queries,
        however long the history: what every card is rendered from."""
        async with self.db.reading() as tx:
            repos = Repos(tx)
            state = await self._get(repos, code)
            revisions = await repos.requests.revisions(code)
            events = await repos.audit.for_request(code)
        return _dossier(state, events, revisions)

    async def dossiers(self, codes: list[str]) -> dict[str, Dossier]:
        """`dossier` of several requests, still in three queries (a queue of cards)."""
        async with self.db.reading() as tx:
            repos = Repos(tx)
            states = await repos.requests.states(codes)
            revisions = await repos.requests.revisions_of(codes)
            events = await repos.audit.for_requests(codes)
        return {code: _dossier(state, events.get(code, []), revisions.get(code, []))
                for code, state in states.items()}

    async def revisable(self, code: str, person_id: int) -> RequestState:
        """The request this person may revise now; Refused if it is not theirs (or there is no
        such request: the two read alike, so button data cannot probe for codes) or it is not
        returned for revision."""
        async with self.db.reading() as tx:
            state = await Repos(tx).requests.get(code)
        if state is None or state.requester_id != person_id:
            raise Refused("not_yours", code=code)
        engine.check_revision(state, Actor(person_id, frozenset()))
        return state

    async def mine(self, person_id: int) -> list[RequestState]:
        async with self.db.reading() as tx:
            return await Repos(tx).requests.listing(requester_id=person_id)

    async def waiting_for(self, person_id: int) -> list[RequestState]:
        """The requests whose current step this person's roles act on."""
        async with self.db.reading() as tx:
            repos = Repos(tx)
            roles = await repos.roles.of(person_id)
            steps = [s.id for s in self.flow.request_steps if s.role in roles]
            waiting = await repos.requests.listing(status=Status.ACTIVE, step_ids=steps)
            own = await repos.requests.listing(requester_id=person_id, status=Status.ACTIVE)
        mine = [r for r in own if self.flow.step(r.step_id).role == REQUESTER]
        return sorted(waiting + [r for r in mine if r not in waiting], key=_urgency)

    def _check_platform(self, state: RequestState, channel: str) -> None:
        """A step that names a platform (ISMKI confirms on LINE) is acted on there only."""
        wanted = self.flow.step(state.step_id).platform
        if wanted and channel and channel != wanted and not state.status.closed:
            raise Refused("wrong_platform", platform=wanted.upper())

    async def _lock(self, repos: Repos, code: str) -> None:
        """Several workers: hold the request's row to the end of this transaction, so that it
        is read after any change another transaction is making to it (SQLite's one writer
        needs no lock)."""
        if self.db.dialect.for_update:
            await repos.requests.lock(code, self.db.dialect.for_update)

    async def _get(self, repos: Repos, code: str, lock: bool = False) -> RequestState:
        """The request as committed; `lock`: held to the end of this transaction first (several
        workers; SQLite's one writer needs no lock), so that it is read after any change
        another transaction is making to it."""
        if lock:
            await self._lock(repos, code)
        state = await repos.requests.get(code)
        if state is None:
            raise UnknownRequest(code)
        return state

    async def _actor(self, repos: Repos, person_id: int) -> Actor:
        name, roles = await repos.roles.actor(person_id)
        return Actor(person_id, frozenset(roles), name)

    async def record(self, repos: Repos, request_id: int, outcome: Outcome, channel: str) -> None:
        """Audit events, outgoing notices and the new step's timers, in the caller's transaction:
        the notices in one statement, the timers in another, in the order they are given."""
        for event in outcome.events:
            await repos.audit.append(request_id, event, channel)
        rows, holders = [], {}
        for notice in outcome.notices:
            payload = _payload(notice)
            if notice.kind == "prompt":  # which visit of the step: edits once decided stay in it
                payload["round"] = utc_text(outcome.state.step_started_at)
            rows += [(request_id, recipient, payload)
                     for recipient in await self._recipients(repos, outcome.state, notice, holders)]
            if notice.kind == "prompt":
                await repos.timers.add_many(request_id, outcome.state,
                                            step_timers(self.flow, outcome.state, self.calendar))
        await repos.outbox.add_many("notice", rows, self.clock.now())

    def timed(self, outcome: Outcome) -> Outcome:
        """The outcome with its current step's deadline set, counted in working time."""
        state = outcome.state
        due = deadline(self.flow, state, self.calendar)
        if due == state.step_due_at:
            return outcome
        return replace(outcome, state=state.model_copy(update={"step_due_at": due}))

    async def _recipients(self, repos: Repos, state: RequestState, notice: Notice,
                          holders: dict[str, list[int]]) -> list[int]:
        if notice.role is None or notice.role == REQUESTER:
            return [state.requester_id]
        if notice.role not in holders:  # read once per role and outcome
            holders[notice.role] = await repos.roles.holders(notice.role)
        return holders[notice.role]


def _dossier(state: RequestState, events: list, revisions: list[dict]) -> Dossier:
    return Dossier(
        state,
        tuple(Entry(e.act, e.step_id, e.version, e.role, e.actor_name, e.at, e.note, e.data) for e in events),
        tuple(Revision(r["version"], r["content"], r["by"], r["at"]) for r in revisions),
    )


def _urgency(state: RequestState) -> tuple:
    """The most urgent first: the earliest deadline (the latest already passed), then steps
    with no standard, oldest first."""
    due = state.step_due_at
    return (due is None, due or state.step_started_at, state.step_started_at, state.code)


def _payload(notice: Notice) -> dict:
    return {
        "kind": notice.kind, "code": notice.code, "step_id": notice.step_id, "role": notice.role,
        "act": str(notice.act), "note": notice.note,
    }


def deadline(flow: Flow, state: RequestState, calendar: Calendar | None = None) -> datetime | None:
    """When the current step's time standard runs out, in the flow's working time."""
    standard = flow.step(state.step_id).standard
    if standard is None or state.status != Status.ACTIVE:
        return None
    if calendar is None:
        return state.step_started_at + standard
    return add_working_time(state.step_started_at, standard, calendar)


def step_timers(flow: Flow, state: RequestState, calendar: Calendar | None) -> list[tuple[str, datetime]]:
    """A reminder at the flow's share of the standard, one at the deadline, then, after the
    flow's grace, escalation to whoever is above (none at the top of the hierarchy)."""
    step = flow.step(state.step_id)
    if step.standard is None or state.status != Status.ACTIVE:
        return []
    due = deadline(flow, state, calendar)
    timers = [("remind", _later(state.step_started_at, step.standard * flow.reminder_share, calendar)),
              ("due", due)]
    if flow.escalation_role(step, ADMIN) is not None:
        timers.append(("escalate", _later(due, flow.escalation_grace, calendar)))
    return timers


def _later(start: datetime, amount: timedelta, calendar: Calendar | None) -> datetime:
    return add_working_time(start, amount, calendar) if calendar else start + amount
