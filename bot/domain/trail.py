"""A request with its history: what the paper disposition sheet (lembar disposisi) would show
whoever acts next. Every decision with its note, every version and what changed in it, the
outputs steps produced. Built by the request service from the audit log and the versions;
cards render from it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain.request import Content, RequestState

# Acts that are not a step's decision: a link to a post made by hand, a late step's escalation.
NOT_DECISIONS = frozenset({"evidence", "escalate", "remind"})
# Content fields a version may change, in the order a card names them.
FIELDS = ("title", "organisation", "media", "caption", "contact", "publish_date", "slot", "notes",
          "channels", "text", "documents")


@dataclass(frozen=True)
class Entry:
    """One line of the audit log, with the actor's name as it is now."""

    act: str
    step_id: str
    version: int | None
    role: str  # a role id, "requester" or "system"
    name: str
    at: datetime
    note: str = ""
    data: dict | None = None

    @property
    def is_decision(self) -> bool:
        return self.act not in NOT_DECISIONS


@dataclass(frozen=True)
class Revision:
    """One stored version of the content: who made it, when."""

    version: int
    content: Content
    by: str
    at: datetime


@dataclass(frozen=True)
class Dossier:
    state: RequestState
    entries: tuple[Entry, ...] = ()
    revisions: tuple[Revision, ...] = ()

    @property
    def decisions(self) -> list[Entry]:
        return [e for e in self.entries if e.is_decision]

    @property
    def evidence(self) -> list[Entry]:
        return [e for e in self.entries if e.act == "evidence"]

    def addressed(self) -> Entry | None:
        """The decision that brought the request to the step it is at: the note written for
        whoever acts now (a disposition, an instruction, the reason of a NO)."""
        decisions = self.decisions
        if not decisions or self.state.status.closed:
            return None
        last = decisions[-1]
        return last if last.at >= self.state.step_started_at else None

    def changed(self, version: int) -> list[str]:
        """The fields `version` changed from the version before it; [] for the first."""
        by_number = {r.version: r.content for r in self.revisions}
        if version not in by_number or version - 1 not in by_number:
            return []
        return changed_fields(by_number[version - 1], by_number[version])

    def revision(self, version: int) -> Revision | None:
        return next((r for r in self.revisions if r.version == version), None)


def changed_fields(old: Content, new: Content) -> list[str]:
    """Which of the content's fields differ; media and documents compared by their files."""
    def value(content: Content, name: str) -> object:
        if name in ("media", "documents"):
            return [m.sha256 for m in getattr(content, name)]
        return getattr(content, name)

    return [name for name in FIELDS if value(old, name) != value(new, name)]
