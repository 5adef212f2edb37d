"""Monev (monitoring and evaluation): how the requests submitted in a period fared against the
SOP's time standards (*Mutu Baku*), for the office head's monthly report.

A request belongs to the period of its submission (`requests.submitted_at`), in local dates,
both ends included; everything that happened to it since counts, even after the period.
Times come from `bot.domain.record` (`act_times`: the timed rows of `sop_record`): each act
timed in the flow's working time from the previous act by a person, and on time when done by
the step's deadline; late by the working time past it.

Which actions are timed: the step's own acts (forward, reject, return) by its role. Not
timed: submissions and resubmissions (the bot sees when a version arrives, not how long it
took to make), cancellations, and acts by the system (an escalation neither counts nor
restarts the step's clock).

Percentiles use the nearest-rank method: the P-th percentile of N sorted values is the value
at rank ceil(P * N / 100), counting from 1; the median is the 50th. Always an observed time.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.dates import long_date
from bot.domain.engine import Act
from bot.domain.flow import Flow, Text
from bot.domain.record import ActTime, Judging, act_times
from bot.domain.request import Status
from bot.domain.worktime import Calendar, flow_calendar
from bot.i18n import t
from bot.services.evaluation import ActionStatus, Evaluations
from storage.db import Database
from storage.report_repos import Acted, Reported, ReportRepo

DELIVERY_STATES = ("sent", "failed", "unknown")
GOOD_SHARE, FAIR_SHARE = 0.8, 0.5  # on-time share: green from 80%, amber from 50%, red below
CSV_HEADER = ["no", "step", "role", "count", "median_minutes", "p90_minutes", "standard_minutes",
              "on_time_share", "late", "minutes_over_deadline"]


def nearest_rank(values: Iterable[int], percent: int) -> int | None:
    """The value at rank ceil(percent * N / 100) of the N sorted values (1-based); None if N = 0."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = max(1, -(-percent * len(ordered) // 100))  # integer ceiling: no float surprises
    return ordered[rank - 1]


def short_duration(seconds: int | None, lang: str = "id") -> str:
    """Compact time for charts and chat: "45 mnt", "2 jam", "1 jam 30 mnt", "1 hari 9 jam"."""
    if seconds is None:
        return "-"
    day, hour, minute = ("hari", "jam", "mnt") if lang == "id" else ("d", "h", "min")
    if seconds < 60:
        return f"<1 {minute}"
    days, rest = divmod(round(seconds / 60), 1440)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} {day} {hours} {hour}" if hours else f"{days} {day}"
    if hours:
        return f"{hours} {hour} {minutes} {minute}" if minutes else f"{hours} {hour}"
    return f"{minutes} {minute}"


def share_level(share: float | None) -> str:
    """'good' (>= 80% on time), 'fair' (>= 50%), 'poor', or 'none' without a standard."""
    if share is None:
        return "none"
    return "good" if share >= GOOD_SHARE else "fair" if share >= FAIR_SHARE else "poor"


@dataclass(frozen=True)
class Timing:
    """Actual times of a set of timed actions, against their standards."""

    count: int = 0
    median_seconds: int | None = None
    p90_seconds: int | None = None
    on_time: int = 0  # actions done by their step's deadline
    with_standard: int = 0  # actions whose step has a standard
    late_seconds: int = 0  # working time past the deadlines, all late actions together

    @classmethod
    def of(cls, acts: Sequence[ActTime]) -> Timing:
        """Of timed acts as `act_times` gives them: (step id, working seconds, seconds late)."""
        seconds = [worked for _, worked, _ in acts]
        late = [over for _, _, over in acts if over is not None]  # the judged ones
        return cls(len(acts), nearest_rank(seconds, 50), nearest_rank(seconds, 90),
                   late.count(0), len(late), sum(late))

    @property
    def late(self) -> int:
        return self.with_standard - self.on_time

    @property
    def on_time_share(self) -> float | None:
        return self.on_time / self.with_standard if self.with_standard else None


@dataclass(frozen=True)
class StepStats:
    number: int
    step_id: str
    name: Text
    role: str
    role_name: Text
    standard_seconds: int | None
    timing: Timing


@dataclass(frozen=True)
class RoleStats:
    role: str
    name: Text
    timing: Timing


@dataclass(frozen=True)
class Report:
    office: str
    title: Text
    start: date
    end: date
    received: int
    approved: int  # reached done
    rejected: int
    returned: int  # 'return' events, not requests
    cancelled: int
    still_open: int  # active, or returned and waiting for the requester
    steps: list[StepStats]
    roles: list[RoleStats]
    channels: dict[str, int] = field(default_factory=dict)  # channel -> published requests
    deliveries: dict[str, int] = field(default_factory=dict)  # outbox status -> broadcast rows
    actions: list[ActionStatus] = field(default_factory=list)  # earlier evaluations' actions

    @property
    def on_time(self) -> Timing:
        """All timed actions together (counts only; no overall median)."""
        steps = [s.timing for s in self.steps]
        return Timing(sum(t.count for t in steps), None, None, sum(t.on_time for t in steps),
                      sum(t.with_standard for t in steps), sum(t.late_seconds for t in steps))

    def most_late(self, limit: int = 3) -> list[StepStats]:
        """Steps by late count, most first; a tie goes to the earlier step."""
        late = [s for s in self.steps if s.timing.late > 0]
        return sorted(late, key=lambda s: (-s.timing.late, s.number))[:limit]

    def to_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(CSV_HEADER)
        for s in self.steps:
            t, share = s.timing, s.timing.on_time_share
            writer.writerow([
                s.number, s.name.id, s.role_name.id, t.count, _minutes(t.median_seconds),
                _minutes(t.p90_seconds), _minutes(s.standard_seconds),
                "" if share is None else f"{share:.2f}", t.late, _minutes(t.late_seconds),
            ])
        return out.getvalue()

    def summary_text(self, lang: str = "id") -> str:
        """A few lines for chat or the terminal."""
        w = _WORDS[lang if lang in _WORDS else "id"]
        overall = self.on_time
        share = overall.on_time_share
        lines = [
            w["head"].format(office=self.office, start=long_date(self.start, lang),
                             end=long_date(self.end, lang)),
            w["counts"].format(r=self.received, a=self.approved, j=self.rejected, c=self.cancelled,
                               o=self.still_open, t=self.returned),
            w["on_time"].format(n=overall.on_time, of=overall.with_standard,
                                pct="-" if share is None else f"{share:.0%}"),
        ]
        late = self.most_late()
        if late:
            named = ", ".join(
                f"{s.number}. {_cut(s.name.get(lang), 45)} ({s.timing.late}x, "
                f"{short_duration(s.timing.late_seconds, lang)})" for s in late)
            lines.append(w["late"].format(steps=named))
        if self.channels:
            lines.append(w["channels"].format(list=", ".join(f"{k} {v}" for k, v in self.channels.items())))
        if any(self.deliveries.values()):
            d = self.deliveries
            lines.append(w["deliveries"].format(s=d.get("sent", 0), f=d.get("failed", 0),
                                                u=d.get("unknown", 0)))
        lines += [action_line(a, lang) for a in self.actions]
        return "\n".join(lines)


def action_line(action: ActionStatus, lang: str) -> str:
    """One earlier improvement action in the report: done or not, by whom, by when."""
    mark = "✅" if action.done else "⬜"
    if action.done_on:
        state = t("monev.action_done", lang, on=long_date(action.done_on, lang))
    else:
        state = t("monev.action_late" if action.overdue else "monev.action_open", lang)
    return t("monev.action", lang, mark=mark, number=action.number, text=_cut(action.text, 80),
             owner=action.owner or "-", due=long_date(action.due_on, lang), state=state, period=action.period)


_WORDS = {
    "id": {
        "head": "Monev {office}: {start} s.d. {end}",
        "counts": "Permohonan masuk {r}: disetujui {a}, ditolak {j}, dibatalkan {c}, masih berjalan {o}; "
                  "dikembalikan untuk revisi {t} kali.",
        "on_time": "Tepat waktu: {n} dari {of} tindakan ({pct}).",
        "late": "Paling sering terlambat: {steps}.",
        "channels": "Kanal: {list}.",
        "deliveries": "Penyebaran: {s} terkirim, {f} gagal, {u} tidak diketahui.",
    },
    "en": {
        "head": "Monitoring {office}: {start} to {end}",
        "counts": "Requests received {r}: approved {a}, rejected {j}, cancelled {c}, still open {o}; "
                  "returns for revision: {t}.",
        "on_time": "On time: {n} of {of} actions ({pct}).",
        "late": "Most often late: {steps}.",
        "channels": "Channels: {list}.",
        "deliveries": "Deliveries: {s} sent, {f} failed, {u} unknown.",
    },
}


def _minutes(seconds: int | None) -> str:
    return "" if seconds is None else f"{seconds / 60:.1f}"


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# Gathering: what the database knows about each request of the period.


@dataclass(frozen=True)
class RequestFacts:
    state: Reported  # its status and the channels chosen
    events: list[Acted]  # in order
    deliveries: list[dict]  # push-info deliveries counted: {"platform", "status", "count"} each


async def monev(db: Database, flow: Flow, start: date, end: date, zone: ZoneInfo,
                calendar: Calendar | None = None) -> Report:
    """The report for requests of this flow submitted from `start` to `end` (local dates),
    timed in the flow's working time (`calendar`; without it, the flow's hours and days)."""
    if end < start:
        raise ValueError(f"the period ends ({end}) before it starts ({start})")
    low, high = period_bounds(start, end, zone)
    async with db.reading() as tx:
        facts = await load_facts(ReportRepo(tx), flow.name, low, high)
        actions = await Evaluations.actions_for_report(tx, flow, start, end, low, zone)
    calendar = calendar or flow_calendar(flow.working_hours, flow.working_days, zone)
    return build_report(flow, start, end, facts, calendar, actions)


def period_bounds(start: date, end: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """[first moment, moment after the last) of the local dates, as aware datetimes."""
    return datetime.combine(start, time(), zone), datetime.combine(end + timedelta(days=1), time(), zone)


async def load_facts(repo: ReportRepo, flow: str, low: datetime, high: datetime) -> Iterator[RequestFacts]:
    """The period's requests with their events and deliveries, read in four set-based queries
    and made one request at a time as the report takes them (a year's events are never all
    Python objects at once; a request without events still counts)."""
    states = await repo.requests(flow, low, high)
    events = await repo.events(flow, low, high)
    deliveries = await repo.deliveries(flow, low, high)
    return _facts(states, events, deliveries)


def _facts(states: dict[int, Reported], events: Iterator[tuple[int, list[Acted]]],
           deliveries: dict[int, list[dict]]) -> Iterator[RequestFacts]:
    unseen = dict(states)
    for rid, mine in events:
        state = unseen.pop(rid, None)
        if state is not None:  # None: no version row to read it from, so not a request reported
            yield RequestFacts(state, mine, deliveries.get(rid, []))
    for rid, state in unseen.items():
        yield RequestFacts(state, [], deliveries.get(rid, []))


# Computing: pure functions of the flow and the facts.


def build_report(flow: Flow, start: date, end: date, facts: Iterable[RequestFacts],
                 calendar: Calendar, actions: Sequence[ActionStatus] = ()) -> Report:
    """The report of these requests; `facts` is gone through once, one request at a time."""
    judging = Judging.of(flow)
    timed: dict[str, list[ActTime]] = {step_id: [] for step_id in judging.steps}  # by step
    status: Counter[Status] = Counter()
    channels: Counter[str] = Counter()
    deliveries: Counter[str] = Counter()
    returned = 0
    for f in facts:
        status[f.state.status] += 1
        returned += sum(1 for e in f.events if e.act == Act.RETURN)
        for act in act_times(calendar, f.events, judging):
            timed[act[0]].append(act)
        channels.update(_channels(f))
        for d in f.deliveries:
            deliveries[d["status"]] += d["count"]
    return Report(
        office=flow.office, title=flow.title, start=start, end=end, received=status.total(),
        approved=status[Status.DONE], rejected=status[Status.REJECTED], returned=returned,
        cancelled=status[Status.CANCELLED], still_open=status[Status.ACTIVE] + status[Status.RETURNED],
        steps=_step_stats(flow, timed), roles=_role_stats(flow, timed),
        channels=dict(sorted(channels.items(), key=lambda item: (-item[1], item[0]))),
        deliveries={state: deliveries.pop(state, 0) for state in DELIVERY_STATES} | dict(deliveries),
        actions=list(actions),
    )


def _text(flow: Flow, role: str) -> Text:
    return Text(id=flow.role_name(role, "id"), en=flow.role_name(role, "en"))


def _step_stats(flow: Flow, timed: dict[str, list[ActTime]]) -> list[StepStats]:
    stats = []
    for i, step in enumerate(flow.request_steps, start=1):
        standard = int(step.standard.total_seconds()) if step.standard else None
        stats.append(StepStats(step.number or i, step.id, step.name, step.role, _text(flow, step.role),
                               standard, Timing.of(timed[step.id])))
    return stats


def _role_stats(flow: Flow, timed: dict[str, list[ActTime]]) -> list[RoleStats]:
    roles = list(dict.fromkeys(step.role for step in flow.request_steps))  # in SOP order
    return [
        RoleStats(role, _text(flow, role), Timing.of([act for step in flow.request_steps if step.role == role
                                                      for act in timed[step.id]]))
        for role in roles
    ]


def _channels(f: RequestFacts) -> set[str]:
    """The channels a published request went out on (none if it was not published): chosen
    channels, publish and evidence data, and the platforms the bot's own deliveries went to."""
    if not any(e.act == Act.PUBLISH for e in f.events):
        return set()
    named = set(f.state.channels)
    for e in f.events:
        if e.act in (Act.PUBLISH, "evidence"):
            named.update(e.data.get("channels", []))
            named.update([e.data["channel"]] if e.data.get("channel") else [])
    named.update(d["platform"] for d in f.deliveries if d["count"])
    return named
