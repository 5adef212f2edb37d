"""The SOP's own evaluation cycle (UB FISIP rows 9-11: Evaluasi, Pengendalian, Peningkatan;
BKK Palembang row 9: monitoring and evaluation reported to the Kepala Balai).

A flow's evaluation rows are its `evaluate` steps of scope `procedure`; each says what it
records (`records`: findings, actions). At the start of each month the role of those rows gets
the past month's report with buttons; what its holders record is an entry in the audit log
with no request (the procedure's own record: act `evaluate` for findings, `action` for an
improvement or control action, `action_done` when its owner finishes it), written with the
action's row in `evaluation_actions` in one transaction. Owners are reminded from the day
before the due date, once a working day, until done; the next month's report lists each
action done or not.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.domain.engine import Event
from bot.domain.flow import Flow, Kind, Step
from bot.domain.worktime import Calendar
from storage.db import Database, Tx
from storage.evaluation_repos import EvaluationRepo
from storage.repositories import Repos

FINDINGS, ACTIONS = "findings", "actions"


class NotEvaluator(Exception):
    """The person does not hold the role the SOP names for this row; `role` names it."""

    def __init__(self, role: str) -> None:
        super().__init__(role)
        self.role = role


class UnknownAction(KeyError):
    pass


@dataclass(frozen=True)
class ActionStatus:
    """An improvement or control action as the next report shows it."""

    id: int
    period: str  # the month evaluated, YYYY-MM
    step_id: str
    number: int  # the SOP row it belongs to
    text: str
    owner_id: int
    owner: str
    due_on: date
    done_on: date | None
    overdue: bool

    @property
    def done(self) -> bool:
        return self.done_on is not None


def evaluation_steps(flow: Flow) -> list[Step]:
    """The flow's evaluation rows, in SOP order."""
    return [s for s in flow.steps if s.kind == Kind.EVALUATE and s.scope == "procedure"]


def evaluator_roles(flow: Flow) -> set[str]:
    return {step.role for step in evaluation_steps(flow)}


def period_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _row_number(flow: Flow, step_id: str) -> int:
    step = flow.step(step_id)
    return step.number or flow.steps.index(step) + 1


@dataclass
class Evaluations:
    db: Database
    flow: Flow
    clock: Clock
    calendar: Calendar

    def step(self, step_id: str, records: str) -> Step:
        """The evaluation row `step_id` if it records `records`; KeyError otherwise."""
        step = next((s for s in evaluation_steps(self.flow) if s.id == step_id), None)
        if step is None or records not in step.records:
            raise KeyError(step_id)
        return step

    async def record_findings(self, person_id: int, period: str, step_id: str, text: str,
                              channel: str = "") -> None:
        """The evaluation's findings for a month, by a holder of the row's role; the head role
        hears of them where it is another role (BKK: "melaporkan ke Kepala Balai")."""
        step = self.step(step_id, FINDINGS)
        now = self.clock.now()
        async with self.db.transaction() as tx:
            repos = Repos(tx)
            await self._check_role(repos, person_id, step)
            event = Event("evaluate", step.id, None, person_id, step.role, now, text, {"period": period})
            await repos.audit.append(None, event, channel)
            head = self.flow.report_to
            if head and head != step.role:
                payload = {"kind": "evaluation", "period": period, "step_id": step.id, "by": person_id,
                           "note": text, "code": "", "role": head, "act": "evaluate"}
                for holder in await repos.roles.holders(head):
                    await repos.outbox.add(None, "notice", holder, payload, now)

    async def add_action(self, person_id: int, period: str, step_id: str, text: str, owner_id: int,
                         due_on: date, channel: str = "") -> int:
        """An improvement or control action with its owner and due date; the owner is told."""
        step = self.step(step_id, ACTIONS)
        now = self.clock.now()
        async with self.db.transaction() as tx:
            repos = Repos(tx)
            await self._check_role(repos, person_id, step)
            action_id = await EvaluationRepo(tx).add_action(self.flow.name, period, step.id, text, owner_id,
                                                            due_on, person_id, now)
            data = {"period": period, "action_id": action_id, "owner_id": owner_id,
                    "due_on": due_on.isoformat()}
            event = Event("action", step.id, None, person_id, step.role, now, text, data)
            await repos.audit.append(None, event, channel)
            await self._tell_owner(repos, action_id, owner_id, "action_assigned", now)
        return action_id

    async def complete(self, person_id: int, action_id: int, note: str = "", channel: str = "") -> bool:
        """The owner (or a holder of the row's role) marks an action done; False if it was."""
        now = self.clock.now()
        async with self.db.transaction() as tx:
            repos, actions = Repos(tx), EvaluationRepo(tx)
            row = await actions.action(self.flow.name, action_id)
            if row is None:
                raise UnknownAction(action_id)
            step = self.flow.step(row["step_id"])
            if row["owner_id"] != person_id:
                await self._check_role(repos, person_id, step)
            if row["done_at"] is not None:
                return False
            await actions.mark_done(action_id, person_id, note, now)
            data = {"period": row["period"], "action_id": action_id}
            event = Event("action_done", step.id, None, person_id, step.role, now, note, data)
            await repos.audit.append(None, event, channel)
        return True

    async def remind(self, today: date) -> int:
        """Remind the owners of open actions due tomorrow or earlier, once a working day."""
        if not self.calendar.works_on(today):
            return 0
        now = self.clock.now()
        async with self.db.reading() as tx:
            due = await EvaluationRepo(tx).due_for_reminder(self.flow.name, today + timedelta(days=1), today)
        if not due:
            return 0
        async with self.db.transaction() as tx:
            repos, actions = Repos(tx), EvaluationRepo(tx)
            for row in due:
                if await actions.mark_reminded(row["id"], today):
                    await self._tell_owner(repos, row["id"], row["owner_id"], "action_reminder", now)
        return len(due)

    async def action(self, action_id: int) -> ActionStatus | None:
        async with self.db.reading() as tx:
            row = await EvaluationRepo(tx).action(self.flow.name, action_id)
        return _status(self.flow, row, self.calendar.zone, date.max) if row else None

    async def entries(self, period: str) -> list[dict]:
        """The procedure's record for one month's evaluation: findings, actions, completions."""
        async with self.db.reading() as tx:
            rows = await EvaluationRepo(tx).procedure_entries()
        found = []
        for row in rows:
            data = json.loads(row["data"])
            if data.get("period") == period:
                found.append({"act": row["act"], "step_id": row["step_id"], "note": row["note"], "data": data,
                              "at": datetime.fromisoformat(row["at"]), "by": row["name"] or "-",
                              "channel": row["channel"]})
        return found

    @staticmethod
    async def actions_for_report(tx: Tx, flow: Flow, start: date, end: date, low: datetime,
                                 zone: ZoneInfo) -> list[ActionStatus]:
        """Actions from evaluations of months before `start` that were open when the period
        began (`low`): each done since, or still open (overdue if due by `end`). One query."""
        rows = await EvaluationRepo(tx).open_at(flow.name, period_of(start), low)
        return [_status(flow, row, zone, end) for row in rows]

    async def people(self) -> list[tuple[int, str]]:
        """Everyone who holds a role of the flow: who may own an action; (id, name)."""
        async with self.db.reading() as tx:
            rows = await Repos(tx).roles.listing()
        found: dict[int, str] = {}
        for row in rows:
            if row["role"] in self.flow.role_ids:
                found.setdefault(row["person_id"], row["name"] or str(row["person_id"]))
        return sorted(found.items(), key=lambda item: item[1].lower())

    async def may_evaluate(self, person_id: int, step_id: str) -> bool:
        async with self.db.reading() as tx:
            return self.flow.step(step_id).role in await Repos(tx).roles.of(person_id)

    # What the person's next message answers, while the chat asks for text, owner, due date
    async def pend(self, person_id: int, kind: str, data: dict) -> None:
        async with self.db.transaction() as tx:
            await Repos(tx).pending.set(person_id, kind, data)

    async def clear(self, person_id: int) -> None:
        async with self.db.transaction() as tx:
            await Repos(tx).pending.clear(person_id)

    async def _check_role(self, repos: Repos, person_id: int, step: Step) -> None:
        if step.role not in await repos.roles.of(person_id):
            raise NotEvaluator(step.role)

    async def _tell_owner(self, repos: Repos, action_id: int, owner_id: int, kind: str,
                          now: datetime) -> None:
        payload = {"kind": kind, "action_id": action_id, "code": "", "step_id": "", "role": "", "act": "",
                   "note": ""}
        await repos.outbox.add(None, "notice", owner_id, payload, now)


def _status(flow: Flow, row, zone: ZoneInfo, until: date) -> ActionStatus:
    due = date.fromisoformat(row["due_on"])
    done = datetime.fromisoformat(row["done_at"]).astimezone(zone).date() if row["done_at"] else None
    number = _row_number(flow, row["step_id"])
    return ActionStatus(row["id"], row["period"], row["step_id"], number, row["text"], row["owner_id"],
                        row["owner_name"] or "-", due, done, done is None and due <= until)
