"""What the bot says, before any platform renders it: text, buttons, media.

Telegram renders a Reply as a message with an inline keyboard; LINE as a message with
quick replies or a Flex bubble with postback actions. Button data names a target and an
action, never an authority.
"""

from __future__ import annotations

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
