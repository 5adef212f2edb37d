"""A flow's intake rules. Each check returns the violations, each naming its rule and the
nearest acceptable value, so the client is told what to give instead."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from bot.domain.flow import Rules
from bot.domain.request import Content
from bot.i18n import TEXTS, t


@dataclass(frozen=True)
class Violation:
    rule: str  # catalogue key suffix: "lead_time", "window", ...
    field: str  # the content field it concerns
    nearest: str | None = None  # the nearest acceptable value, formatted for people
    params: dict[str, object] = field(default_factory=dict)

    def message(self, lang: str = "id") -> str:
        key = f"field.{self.field}"
        field_name = t(key, lang) if key in TEXTS else self.field
        return t(f"rule.{self.rule}", lang, nearest=self.nearest, field=field_name, **self.params)


def format_date(day: date) -> str:
    return day.strftime("%d-%m-%Y")


def earliest_date(rules: Rules, today: date) -> date:
    return today + timedelta(days=rules.min_lead_days)


def example_date(rules: Rules, today: date) -> date:
    """A date to show as an example: a week after the earliest allowed, so never in the past
    nor inside the lead time."""
    return earliest_date(rules, today) + timedelta(days=7)


def check_publish_date(day: date, rules: Rules, today: date) -> list[Violation]:
    """A date in the past, or inside the lead time, names the earliest date allowed."""
    earliest = earliest_date(rules, today)
    if day >= earliest:
        return []
    params = {"given": format_date(day), "days": rules.min_lead_days}
    rule = "date_past" if day < today else "lead_time"
    return [Violation(rule, "publish_date", format_date(earliest), params)]


def windows_label(rules: Rules) -> str:
    return ", ".join(window.label() for window in rules.windows)


def check_slot(slot: str, rules: Rules) -> list[Violation]:
    labels = [window.label() for window in rules.windows]
    if not labels or slot in labels:
        return []
    return [Violation("slot", "slot", labels[0], {"windows": windows_label(rules)})]


def next_window_start(moment: datetime, rules: Rules) -> datetime:
    """The moment itself if it lies in a window, else the start of the next window."""
    if not rules.windows or any(w.contains(moment.time()) for w in rules.windows):
        return moment
    for days_ahead in range(2):
        day = moment.date() + timedelta(days=days_ahead)
        for window in sorted(rules.windows, key=lambda w: w.start):
            start = datetime.combine(day, window.start, tzinfo=moment.tzinfo)
            if start > moment:
                return start
    raise AssertionError("a window always starts within a day")


def check_publish_time(moment: datetime, rules: Rules) -> list[Violation]:
    """A publication moment outside the windows names the next allowed time."""
    allowed = next_window_start(moment, rules)
    if allowed == moment:
        return []
    params = {"given": f"{moment:%d-%m-%Y %H.%M}", "windows": windows_label(rules)}
    return [Violation("window", "slot", f"{allowed:%d-%m-%Y %H.%M} WIB", params)]


def check_caption(caption: str, rules: Rules, channels: list[str] | None = None) -> list[Violation]:
    """Hard caption limits of the flow, for the channels the request targets (or all)."""
    violations = []
    for channel, limit in rules.caption_limits.items():
        if channels and channel not in channels:
            continue
        if len(caption) > limit:
            params = {"length": len(caption), "channel": channel, "limit": limit}
            params["over"] = len(caption) - limit
            violations.append(Violation("caption_length", "caption", str(limit), params))
    return violations


def check_channels(chosen: list[str], rules: Rules) -> list[Violation]:
    unknown = [c for c in chosen if c not in rules.channels]
    if not unknown:
        return []
    return [Violation("channel", "channels", ", ".join(rules.channels), {"given": unknown[0]})]


def missing_fields(content: Content, rules: Rules) -> list[Violation]:
    return [
        Violation("required", name)
        for name in rules.required
        if not getattr(content, name)
    ]


def check_content(content: Content, rules: Rules, today: date) -> list[Violation]:
    """Every rule at once: what a submission must pass."""
    violations = missing_fields(content, rules)
    if content.publish_date:
        violations += check_publish_date(content.publish_date, rules, today)
    if content.slot:
        violations += check_slot(content.slot, rules)
    violations += check_caption(content.caption, rules, content.channels or None)
    violations += check_channels(content.channels, rules)
    return violations
