"""The SOP record of one request: each act at each step, with the step's deadline, when it was
done and how late, all in the flow's working time.

Which events start a step and which are judged:
- every act by a person (the requester's submissions included) ends the step it was taken at
  and starts the next one, so the next act is timed from it;
- a step's own acts (forward, NO, return) by its role are judged against the step's deadline:
  on time when done by the deadline; late by the working time past it;
- system events (an escalation, an automatic archive) are shown but never judged, and never
  start a step: the holder's clock keeps running through an escalation;
- submissions and cancellations are the requester's: shown, not judged.

The deadline is the one the request carried when the act was taken (the engine writes it into
the event as `step_due_at`); older events without it get it recomputed from the calendar.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, TypeVar

from bot.domain.engine import Act, allowed_acts
from bot.domain.flow import Flow, Step
from bot.domain.worktime import Calendar, add_working_time, working_between

SYSTEM = "system"


class Acted(Protocol):
    """What the timing of an act needs of its audit-log line (storage.report_repos.Acted)."""

    @property
    def act(self) -> str: ...
    @property
    def step_id(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def data(self) -> dict: ...
    @property
    def at(self) -> datetime: ...


class Logged(Acted, Protocol):
    """What the record needs of an audit-log line (storage.repositories.AuditEntry)."""

    @property
    def actor_name(self) -> str: ...
    @property
    def note(self) -> str: ...


E = TypeVar("E", bound=Acted)
# A timed act: step id, working seconds taken, seconds past the deadline (None: not judged).
ActTime = tuple[str, int, int | None]


@dataclass(frozen=True)
class StepRecord:
    """One row of the request's actual path through the SOP."""

    number: int  # the SOP row number
    step_id: str
    name: str
    role: str  # who acted, as the SOP names the role ("Sistem" for the bot itself)
    actor: str
    act: str
    started: datetime | None  # when the step started; None for system events
    finished: datetime  # when the act was done
    standard_seconds: int | None
    due: datetime | None  # the step's deadline in working time; None if not judged
    worked_seconds: int | None  # working time from the step's start to the act
    late_seconds: int | None  # working time past the deadline (0: on time); None if not judged
    note: str
    timed: bool  # a step's own act by its role (counted in monev), judged if it has a deadline
    system: bool = False

    @property
    def seconds(self) -> int:
        return self.worked_seconds or 0

    @property
    def on_time(self) -> bool | None:
        return None if self.late_seconds is None else self.late_seconds == 0


def step_numbers(flow: Flow) -> dict[str, int]:
    """Step id -> its SOP row number (or its place among the request steps)."""
    return {step.id: step.number or i for i, step in enumerate(flow.request_steps, start=1)}


@dataclass(frozen=True)
class Judging:
    """What the record looks up for each event, worked out once per flow (a year's report
    makes the records of tens of thousands of requests)."""

    numbers: dict[str, int]  # step id -> SOP row number, request steps only
    steps: dict[str, Step]
    acts: dict[str, frozenset[str]]  # step id -> its own acts (judged against its deadline)
    roles: dict[str, str]  # role id -> its name

    @classmethod
    def of(cls, flow: Flow) -> Judging:
        steps = {step.id: step for step in flow.request_steps}
        roles = {role.id: flow.role_name(role.id) for role in flow.roles}
        return cls(step_numbers(flow), steps, {sid: frozenset(allowed_acts(s)) for sid, s in steps.items()},
                   roles)

    def role(self, flow: Flow, role_id: str) -> str:
        return self.roles[role_id] if role_id in self.roles else flow.role_name(role_id)


def sop_record(flow: Flow, calendar: Calendar, events: Sequence[Logged],
               judging: Judging | None = None) -> list[StepRecord]:
    """Every act on the request, in order, timed and judged as the module says."""
    judging = judging or Judging.of(flow)
    records: list[StepRecord] = []
    for event, step, started, timed in _walk(events, judging):
        number = judging.numbers[step.id]
        if started is None:
            records.append(_system(number, step, event))
        else:
            role = judging.role(flow, event.role)
            standard, due, worked, late = _times(step, event, started, calendar, timed)
            records.append(StepRecord(number, step.id, step.name.id, role, event.actor_name or "-",
                                      event.act, started, event.at, standard, due, worked, late, event.note,
                                      timed=timed))
    return records


def act_times(calendar: Calendar, events: Sequence[Acted], judging: Judging) -> list[ActTime]:
    """The timed acts of sop_record alone, as (step id, working seconds, seconds late or None
    if not judged): what monev counts, the same figures, without a StepRecord for each (a
    year's report times tens of thousands of acts)."""
    found = []
    for event, step, started, timed in _walk(events, judging):
        if timed:
            _, _, worked, late = _times(step, event, started, calendar, True)
            found.append((step.id, worked, late))
    return found


def _walk(events: Sequence[E], judging: Judging) -> Iterator[tuple[E, Step, datetime | None, bool]]:
    """Each event the record shows, with its step, when that step started (None for a system
    event: it neither is timed nor starts the step) and whether it is timed."""
    numbers = judging.numbers
    started = events[0].at if events else None
    for event in events:
        if event.act == "evidence" or event.step_id not in numbers:
            continue
        step = judging.steps[event.step_id]
        if event.role == SYSTEM:
            yield event, step, None, False
            continue
        yield event, step, started or event.at, event.act != Act.SUBMIT and event.act in judging.acts[step.id]
        started = event.at


def _system(number: int, step: Step, event: Logged) -> StepRecord:
    return StepRecord(number, step.id, step.name.id, "Sistem", "-", event.act, None, event.at, None, None,
                      None, None, event.note, timed=False, system=True)


def _times(step: Step, event: Acted, started: datetime, calendar: Calendar,
           timed: bool) -> tuple[int | None, datetime | None, int, int | None]:
    """(standard, deadline, working seconds taken, seconds late) of an act by a person; the
    standard, deadline and lateness None when the act is not judged."""
    standard = int(step.standard.total_seconds()) if step.standard and timed else None
    due = _due(step, event, started, calendar) if standard is not None else None
    worked = int(working_between(started, event.at, calendar).total_seconds())
    late = int(working_between(due, event.at, calendar).total_seconds()) if due is not None else None
    return standard, due, worked, late


def _due(step: Step, event: Acted, started: datetime, calendar: Calendar) -> datetime:
    given = event.data.get("step_due_at") if isinstance(event.data, dict) else None
    if isinstance(given, str) and given:
        return datetime.fromisoformat(given)
    return add_working_time(started, step.standard or timedelta(0), calendar)
