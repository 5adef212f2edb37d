"""Working time: a flow counts its time standards in office hours on working days, or
around the clock; public holidays never count."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ALL_DAYS = frozenset(range(7))


@dataclass(frozen=True)
class Calendar:
    zone: ZoneInfo
    hours: tuple[time, time] | None = None  # None: around the clock
    days: frozenset[int] = ALL_DAYS  # Monday = 0
    holidays: frozenset[date] = field(default_factory=frozenset)

    def works_on(self, day: date) -> bool:
        return day.weekday() in self.days and day not in self.holidays

    def opening(self, day: date) -> datetime:
        start = self.hours[0] if self.hours else time(0)
        return datetime.combine(day, start, tzinfo=self.zone)

    def closing(self, day: date) -> datetime:
        if self.hours is None:
            return datetime.combine(day + timedelta(days=1), time(0), tzinfo=self.zone)
        return datetime.combine(day, self.hours[1], tzinfo=self.zone)


def add_working_time(start: datetime, amount: timedelta, calendar: Calendar) -> datetime:
    """The moment `amount` of working time after `start` (both aware datetimes)."""
    if calendar.hours is None and calendar.days == ALL_DAYS and not calendar.holidays:
        return start + amount
    moment = start.astimezone(calendar.zone)
    remaining = amount
    for _ in range(3660):  # ten years of days: a calendar with no working day ends here
        day = moment.date()
        if not calendar.works_on(day) or moment >= calendar.closing(day):
            moment = calendar.opening(day + timedelta(days=1))
            continue
        moment = max(moment, calendar.opening(day))
        available = calendar.closing(day) - moment
        if remaining <= available:
            return moment + remaining
        remaining -= available
        moment = calendar.opening(day + timedelta(days=1))
    raise ValueError("the calendar has no working days")


def working_between(start: datetime, end: datetime, calendar: Calendar) -> timedelta:
    """Working time from `start` to `end` (zero if `end` is not after `start`): how long a step
    took, or how late it was, counted as its standard is."""
    if end <= start:
        return timedelta(0)
    if calendar.hours is None and calendar.days == ALL_DAYS and not calendar.holidays:
        return end - start
    moment, end = start.astimezone(calendar.zone), end.astimezone(calendar.zone)
    total = timedelta(0)
    while moment < end:
        day = moment.date()
        if calendar.works_on(day):
            opened = max(moment, calendar.opening(day))
            closed = min(end, calendar.closing(day))
            total += max(closed - opened, timedelta(0))
        moment = calendar.opening(day + timedelta(days=1))
    return total


def parse_hours(text: str | None) -> tuple[time, time] | None:
    if not text:
        return None
    start, end = (time.fromisoformat(part.strip().replace(".", ":")) for part in text.split("-"))
    return start, end


def read_holidays(path: Path | None) -> frozenset[date]:
    """One date per line (YYYY-MM-DD), anything after it is the holiday's name; # comments."""
    if path is None or not path.exists():
        return frozenset()
    days = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        try:
            days.add(date.fromisoformat(text.split()[0]))
        except ValueError as exc:
            raise ValueError(f"{path}:{number}: not a date (use YYYY-MM-DD): {text!r}") from exc
    return frozenset(days)


def flow_calendar(working_hours: str | None, working_days: list[int], zone: ZoneInfo,
                  holidays: frozenset[date] = frozenset()) -> Calendar:
    """The calendar a flow counts its standards in (`Flow.working_hours`, `working_days`)."""
    return Calendar(zone, parse_hours(working_hours), frozenset(working_days), holidays)
