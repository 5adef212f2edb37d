"""The publication request: what a client asks to publish, and where it stands in its flow."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class MediaRef(BaseModel):
    """A stored file, named by the SHA-256 of its bytes."""

    model_config = ConfigDict(frozen=True)
    sha256: str
    kind: Literal["image", "video", "document"]  # a document (PDF) is kept as it is
    mime: str
    size: int
    filename: str = ""
    stamped_sha256: str | None = None  # the footer-stamped copy, where the flow stamps
    width: int = 0
    height: int = 0
    warnings: list[tuple[str, str]] = []  # soft check results for the reviewer: (id, en)

    @property
    def publish_sha256(self) -> str:
        """The file that goes out: the stamped copy where there is one."""
        return self.stamped_sha256 or self.sha256


class Contact(BaseModel):
    model_config = ConfigDict(frozen=True)
    name: str
    phone: str = ""
    handle: str = ""  # a chat handle such as @sari or a LINE id

    def label(self) -> str:
        return " / ".join(part for part in (self.name, self.phone, self.handle) if part)


class Content(BaseModel):
    """Everything the client gives; one immutable copy per version."""

    model_config = ConfigDict(frozen=True)
    title: str = ""
    organisation: str = ""
    media: list[MediaRef] = Field(default_factory=list)
    caption: str = ""
    contact: Contact | None = None
    publish_date: date | None = None
    slot: str = ""  # a publication window label, e.g. "08.00-10.00"
    notes: str = ""
    channels: list[str] = Field(default_factory=list)
    text: str = ""  # a written output of a step (BKK's 5W+1H article), where the flow asks for one
    documents: list[MediaRef] = Field(default_factory=list)  # documents a step produced (PDF)

    def subject_line(self) -> str:
        """ISMKI's subject format: [PUBLIKASI] TITLE_ORGANISATION, in capitals."""
        return f"[PUBLIKASI] {self.title.strip()}_{self.organisation.strip()}".upper()


class Status(StrEnum):
    ACTIVE = "active"  # waiting for the current step's role
    RETURNED = "returned"  # waiting for the requester to revise and resubmit
    REJECTED = "rejected"
    DONE = "done"
    CANCELLED = "cancelled"

    @property
    def closed(self) -> bool:
        return self in (Status.REJECTED, Status.DONE, Status.CANCELLED)


class RequestState(BaseModel):
    """Where one request is: the input and output of the flow engine."""

    model_config = ConfigDict(frozen=True)
    code: str
    flow: str
    requester_id: int
    version: int = 1
    status: Status = Status.ACTIVE
    step_id: str
    step_started_at: datetime
    step_due_at: datetime | None = None  # the time standard's deadline, in working time
    content: Content
    returned_from: str | None = None  # the step that returned it for revision
    audiences: list[str] = Field(default_factory=list)


def request_code(year: int, number: int) -> str:
    """`PUB-2026-0001`: the year of submission and a per-year sequence number."""
    return f"PUB-{year}-{number:04d}"
