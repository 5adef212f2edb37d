"""What the bot says, before any platform renders it: text, buttons, media.

Telegram renders a Reply as a message with an inline keyboard; LINE as a message with
quick replies or a Flex bubble with postback actions. Button data names a target and an
action, never an authority.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Literal

from bot.domain.request import MediaRef


@dataclass(frozen=True)
class Button:
    label: str
    data: str = ""
    kind: Literal["action", "contact", "date"] = "action"


@dataclass(frozen=True)
class Reply:
    text: str
    buttons: list[list[Button]] = field(default_factory=list)
    media: list[MediaRef] = field(default_factory=list)
    expect_reply: bool = False  # the next typed message answers this one
    attachment: tuple[str, bytes] | None = None  # a file to send along (name, bytes), e.g. a CSV
    documents: list[MediaRef] = field(default_factory=list)  # stored documents shown with it (a PDF)


@dataclass(frozen=True)
class Delivery:
    """A Reply for a person other than the one who wrote, e.g. a prompt to the next role."""

    person_id: int
    reply: Reply
    outbox_id: int | None = None


def to_payload(reply: Reply) -> dict:
    """A Reply as JSON-ready data, to wait in the outbox until it is sent."""
    data: dict = {"text": reply.text}
    if reply.buttons:
        data["buttons"] = [[[b.label, b.data, b.kind] for b in row] for row in reply.buttons]
    if reply.media:
        data["media"] = [m.model_dump(mode="json") for m in reply.media]
    if reply.expect_reply:
        data["expect_reply"] = True
    if reply.attachment is not None:
        name, content = reply.attachment
        data["attachment"] = [name, base64.b64encode(content).decode()]
    return data


def from_payload(data: dict) -> Reply:
    attachment = data.get("attachment")
    return Reply(
        text=data["text"],
        buttons=[[Button(*b) for b in row] for row in data.get("buttons", [])],
        media=[MediaRef.model_validate(m) for m in data.get("media", [])],
        expect_reply=data.get("expect_reply", False),
        attachment=(attachment[0], base64.b64decode(attachment[1])) if attachment else None,
    )
