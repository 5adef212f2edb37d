"""An office's procedure as data: roles, ordered steps, branches and rules.

A flow is read from a TOML file in `bot/flows/`; this module only defines its shape and the
checks that make a malformed file fail at load, naming the step and the problem.
"""

from __future__ import annotations

from datetime import time, timedelta
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from bot.domain.durations import parse_duration

REQUESTER = "requester"  # pseudo-role: whoever submitted the request
REJECT = "reject"  # branch target: the request ends rejected
NOBODY = "none"  # escalate_to: the top of the hierarchy; no one above hears of lateness
OutputKind = Literal["image", "video", "text", "document"]
MEDIA_OUTPUTS: tuple[OutputKind, ...] = ("image", "video")  # what a produce step makes by default


class Kind(StrEnum):
    """What the actor of a step does; decides which actions the step offers."""

    SUBMIT = "submit"
    CONFIRM = "confirm"
    DISPOSE = "dispose"
    INSTRUCT = "instruct"
    PRODUCE = "produce"
    VERIFY = "verify"
    APPROVE = "approve"
    CHOOSE_CHANNELS = "choose_channels"
    PUBLISH = "publish"
    ARCHIVE = "archive"
    EVALUATE = "evaluate"


class Text(BaseModel):
    """A user-facing text, Indonesian first, English second."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    en: str

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.id


class Role(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    name: Text
    reports_to: str | None = None  # the role directly above it: where its lateness escalates


class Step(BaseModel):
    """One row of the SOP table."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    number: int | None = None  # the row number in the SOP document
    name: Text
    role: str
    kind: Kind
    standard: timedelta | None = None  # Mutu Baku; None where the SOP gives no time
    needs: str = ""  # Kelengkapan
    output: str = ""
    on_no: str | None = None  # approve/verify: where TIDAK leads (a step id or "reject")
    on_return: str | None = None  # where "return for revision" leads (a step or "requester")
    resume_at: str | None = None  # where a resubmitted version re-enters (default: this step)
    scope: Literal["request", "procedure"] = "request"  # procedure rows are not per request
    platform: Literal["telegram", "line"] | None = None  # where the step must happen (ISMKI: LINE)
    escalate_to: str | None = None  # who hears when it is late: a role, or "none" (default: above)
    records: list[Literal["findings", "actions"]] = Field(  # evaluate rows: what the cycle records
        default_factory=lambda: ["findings", "actions"])
    # What the step hands on (BKK row 3: a written article): produce steps default to a poster
    # or video; on a verify or approve step, the corrected output the decider may send along.
    output_kind: tuple[OutputKind, ...] = ()
    post_text: Literal["caption", "text"] = "caption"  # publish: the client's caption, or the written text

    @field_validator("standard", mode="before")
    @classmethod
    def _parse_standard(cls, value: object) -> object:
        return parse_duration(value) if isinstance(value, str) else value

    @field_validator("output_kind", mode="before")
    @classmethod
    def _one_or_more(cls, value: object) -> object:
        return (value,) if isinstance(value, str) else value

    @property
    def produces(self) -> tuple[OutputKind, ...]:
        """The outputs an upload at this step may carry; none where it produces nothing."""
        if self.output_kind:
            return self.output_kind
        return MEDIA_OUTPUTS if self.kind == Kind.PRODUCE else ()


class Window(BaseModel):
    """A publication window in local time, e.g. 08:00-10:00."""

    model_config = ConfigDict(frozen=True)
    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> Window:
        try:
            start, end = (time.fromisoformat(part.strip().replace(".", ":")) for part in text.split("-"))
        except ValueError as exc:
            raise ValueError(f"bad window {text!r}: use HH:MM-HH:MM, e.g. 08:00-10:00") from exc
        if end <= start:
            raise ValueError(f"bad window {text!r}: the end must be after the start")
        return cls(start=start, end=end)

    def label(self) -> str:
        return f"{self.start:%H.%M}-{self.end:%H.%M}"

    def contains(self, moment: time) -> bool:
        return self.start <= moment < self.end


class Footer(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    lines: list[str]
    band_colour: str = "#7a0026"
    logo: str | None = None


class Rules(BaseModel):
    """What a request must satisfy before it enters the flow."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    min_lead_days: int = 0
    windows: list[Window] = Field(default_factory=list)
    required: list[str] = Field(
        default_factory=lambda: ["title", "organisation", "media", "caption", "contact"]
    )
    caption_limits: dict[str, int] = Field(default_factory=lambda: {"telegram": 1024})
    allow_revision: bool = True  # ISMKI: no revision for the client's own errors
    channels: list[str] = Field(default_factory=lambda: ["telegram"])  # the office's media
    audiences: list[str] = Field(default_factory=lambda: ["mahasiswa", "dosen", "tendik", "umum"])
    footer: Footer | None = None

    @field_validator("windows", mode="before")
    @classmethod
    def _parse_windows(cls, value: object) -> object:
        if isinstance(value, list):
            return [Window.parse(v) if isinstance(v, str) else v for v in value]
        return value


class Flow(BaseModel):
    """A whole procedure: the SOP of one office."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    title: Text
    office: str
    source: str = ""  # the SOP document it follows
    sop_number: str = ""  # the SOP's own number, printed on the record (e.g. "OT.02.02/1/229/2022")
    roles: list[Role]
    steps: list[Step]
    rules: Rules = Field(default_factory=Rules)
    working_hours: str | None = None  # "08:00-16:00" counts standards in office hours
    working_days: list[int] = Field(default_factory=lambda: [0, 1, 2, 3, 4])  # Mon=0
    supervisor: str | None = None  # role that late requests escalate to
    report_to: str | None = None  # role that receives the monthly monev report
    auto_archive: bool = False  # archive by itself after publication
    reminder_share: float = Field(0.75, gt=0, lt=1)  # remind holders at this share of a standard
    # after the holder's deadline notice, how long (working time) before the one above hears
    escalation_grace: timedelta = timedelta(minutes=30)
    # the request steps and steps by id, worked out once (a report looks them up per event)
    _request_steps: list[Step] = PrivateAttr(default_factory=list)
    _by_id: dict[str, Step] = PrivateAttr(default_factory=dict)

    @field_validator("escalation_grace", mode="before")
    @classmethod
    def _parse_grace(cls, value: object) -> object:
        if value in ("0", 0):
            return timedelta(0)
        return parse_duration(value) if isinstance(value, str) else value

    @field_validator("working_hours")
    @classmethod
    def _check_hours(cls, value: str | None) -> str | None:
        if value is not None:
            Window.parse(value)
        return value

    @model_validator(mode="after")
    def _check_references(self) -> Flow:
        role_ids = {role.id for role in self.roles} | {REQUESTER}
        step_ids = [step.id for step in self.steps]
        duplicates = [sid for i, sid in enumerate(step_ids) if sid in step_ids[:i]]
        if duplicates:
            raise ValueError(f"step {duplicates[0]!r}: duplicate step id")
        if not self.request_steps:
            raise ValueError("a flow needs at least one step with scope 'request'")
        for step in self.steps:
            _check_step(step, role_ids, set(step_ids))
        if not self.rules.allow_revision:
            returning = [s.id for s in self.steps if s.on_return == REQUESTER]
            if returning:
                raise ValueError(f"step {returning[0]!r}: returns to the requester, "
                                 "but this flow's rules forbid revisions (allow_revision = false)")
        for role in (self.supervisor, self.report_to):
            if role and role not in role_ids:
                raise ValueError(f"unknown role {role!r}")
        _check_hierarchy(self.roles)
        for step in self.steps:
            if step.escalate_to not in (None, NOBODY, *self.role_ids):
                raise ValueError(f"step {step.id!r}: escalate_to names unknown role {step.escalate_to!r}")
        return self

    def escalation_role(self, step: Step, fallback: str) -> str | None:
        """Who hears that `step` is late: the step's own `escalate_to`, else the role its role
        reports to, else the flow's supervisor, else `fallback` (the admin); None when that is
        the step's own role (the top of the hierarchy) or the flow says "none"."""
        if step.escalate_to is not None:
            return None if step.escalate_to == NOBODY else step.escalate_to
        above = next((role.reports_to for role in self.roles if role.id == step.role), None)
        target = above or self.supervisor or fallback
        return None if target == step.role else target

    def above(self, role_id: str) -> list[str]:
        """The roles above `role_id`, nearest first, by `reports_to`."""
        chain, by_id = [], {role.id: role for role in self.roles}
        current = by_id.get(role_id)
        while current is not None and current.reports_to:
            chain.append(current.reports_to)
            current = by_id.get(current.reports_to)
        return chain

    def model_post_init(self, context: object) -> None:
        self._request_steps = [step for step in self.steps if step.scope == "request"]
        self._by_id = {step.id: step for step in self.steps}

    @property
    def request_steps(self) -> list[Step]:
        return list(self._request_steps)

    @property
    def role_ids(self) -> set[str]:
        return {role.id for role in self.roles}

    def step(self, step_id: str) -> Step:
        return self._by_id[step_id]

    def next_step(self, step_id: str) -> Step | None:
        steps = self.request_steps
        index = [s.id for s in steps].index(step_id)
        return steps[index + 1] if index + 1 < len(steps) else None

    def first_step(self) -> Step:
        return self.request_steps[0]

    def row(self, step_id: str) -> tuple[int, int]:
        """(number, total) as people read them: the SOP's own row numbers where the flow
        gives them ("Langkah 2 dari 11" in UB, whose rows 1 and 9-11 are not per request),
        else the position among the request's steps."""
        numbered = [s.number for s in self.steps if s.number is not None]
        step = self.step(step_id)
        if step.number is not None and numbered:
            return step.number, max(numbered)
        steps = self.request_steps
        index = next((i for i, s in enumerate(steps) if s.id == step_id), 0)
        return index + 1, len(steps)

    def role_name(self, role_id: str, lang: str = "id") -> str:
        for role in self.roles:
            if role.id == role_id:
                return role.name.get(lang)
        return "Pemohon" if lang == "id" else "Requester"


def _check_hierarchy(roles: list[Role]) -> None:
    """`reports_to` names a known role, and following it never comes back."""
    by_id = {role.id: role for role in roles}
    for role in roles:
        seen, current = {role.id}, role
        while current.reports_to:
            if current.reports_to not in by_id:
                raise ValueError(f"role {current.id!r}: reports_to names unknown role {current.reports_to!r}")
            if current.reports_to in seen:
                raise ValueError(f"role {role.id!r}: reports_to goes round in a circle")
            seen.add(current.reports_to)
            current = by_id[current.reports_to]


def _check_step(step: Step, role_ids: set[str], step_ids: set[str]) -> None:
    where = f"step {step.id!r}"
    if step.role not in role_ids:
        raise ValueError(f"{where}: unknown role {step.role!r} (roles: {sorted(role_ids)})")
    for field, value, extra in (
        ("on_no", step.on_no, {REJECT}),
        ("on_return", step.on_return, {REQUESTER}),
        ("resume_at", step.resume_at, set()),
    ):
        if value is not None and value not in step_ids | extra:
            raise ValueError(f"{where}: {field} points to unknown step {value!r}")
    if step.on_no and step.kind not in (Kind.APPROVE, Kind.VERIFY):
        raise ValueError(f"{where}: on_no only fits an approve or verify step, not {step.kind}")
    if step.output_kind and step.kind not in (Kind.PRODUCE, Kind.VERIFY, Kind.APPROVE):
        raise ValueError(f"{where}: output_kind only fits a produce, verify or approve step, not {step.kind}")
    if step.post_text != "caption" and step.kind != Kind.PUBLISH:
        raise ValueError(f"{where}: post_text only fits a publish step, not {step.kind}")
