"""Replies rendered as LINE messages.

An intake question is a text with quick-reply buttons (at most 13, labels of at most 20
characters; the full label comes back as the tap's display text). A Reply whose buttons must
outlive the next message (an approval card, a checklist, "revise") is a Flex bubble with one
postback button per action, since quick replies vanish as soon as anything else arrives.
Posters and videos are image and video messages that LINE fetches from this server's public
https address; without one, only the text goes out.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from linebot.v3.messaging import (
    DatetimePickerAction,
    FlexBox,
    FlexBubble,
    FlexButton,
    FlexImage,
    FlexMessage,
    FlexText,
    ImageMessage,
    Message,
    PostbackAction,
    QuickReply,
    QuickReplyItem,
    TextMessage,
    VideoMessage,
)

from bot.app import App
from bot.chat import callbacks, evaluation
from bot.chat.replies import Button, Reply
from bot.domain.request import MediaRef
from bot.i18n import t
from bot.services.media_links import signed_query
from bot.textsplit import split_text, utf16_len
from storage.files import FileStore

log = logging.getLogger(__name__)

QUICK_REPLY_ITEMS = 13
QUICK_LABEL = 20
FLEX_LABEL = 40
DATA_LIMIT = 300  # postback data and display text
TEXT_LIMIT = 5000
ALT_TEXT_LIMIT = 400
CARD_TEXT_LIMIT = 4000  # a bubble holds at most 30 kB of JSON; longer cards send their start before it
MESSAGES_PER_CALL = 5
TOGGLES = ("☑️", "⬜")


@dataclass(frozen=True)
class MediaUrls:
    """Where LINE fetches the files this bot sends: `{public_url}/media/{sha256}?e=..&s=..`,
    signed with `key` (bot/services/media_links.py) to work for `lifetime`. Without a key (a
    unit test) the addresses are unsigned, and the server would refuse them."""

    public_url: str | None
    files: FileStore
    key: bytes = b""
    lifetime: timedelta = timedelta(days=30)
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    @property
    def base(self) -> str | None:
        # LINE takes https addresses only; without one the images are left out
        if self.public_url and self.public_url.startswith("https://"):
            return self.public_url.rstrip("/")
        return None

    def original(self, sha256: str) -> str | None:
        return self._address(sha256, "file") if self.base else None

    def preview(self, sha256: str) -> str | None:
        return self._address(sha256, "preview") if self.base else None

    def _address(self, sha256: str, variant: str) -> str:
        path = f"{self.base}/media/{sha256}" + ("/preview" if variant == "preview" else "")
        if not self.key:
            return path
        return f"{path}?{signed_query(self.key, sha256, variant, self.clock(), self.lifetime)}"


def media_urls(app: App) -> MediaUrls:
    """The addresses LINE fetches this bot's files at, unsigned until a key is set (the
    webhook server and the broadcaster set it: bot/services/media_links.media_key)."""
    settings = app.settings
    return MediaUrls(settings.line_public_url, app.files, lifetime=timedelta(days=settings.line_media_days),
                     clock=app.clock.now)


def messages(reply: Reply, urls: MediaUrls, lang: str = "id") -> list[Message]:
    """One Reply as LINE messages: links to its documents, its media, then its text (and
    buttons), then a link to an attachment (LINE bots cannot send files). A text too long for
    one message or card goes as several, split between paragraphs, never cut."""
    out: list[Message] = [_document(d, urls, lang) for d in reply.documents]
    if durable(reply):
        image = next((m for m in reply.media if m.kind == "image"), None)
        out += [_media(m, urls) for m in reply.media if m is not image]
        before, shown = _card_parts(reply.text, lang)
        out += [TextMessage(text=part) for part in before]
        out.append(_bubble(reply, urls, image, shown))
    else:
        out += [_media(m, urls) for m in reply.media]
        if reply.text.strip() or reply.buttons:
            items = [item for row in reply.buttons for b in row if (item := _quick_item(b))]
            quick = QuickReply(items=items) if items else None
            parts = split_text(reply.text, TEXT_LIMIT) or ["…"]
            out += [TextMessage(text=part) for part in parts[:-1]]
            out.append(TextMessage(text=parts[-1], quick_reply=quick))
    if reply.attachment is not None:
        out.append(_attachment(reply.attachment, urls, lang))
    return [m for m in out if m is not None]


def _card_parts(text: str, lang: str) -> tuple[list[str], str]:
    """(messages before the card, the card's own text). A card too long for one bubble keeps
    its first line (the code and the step), marked as continued, and its last part; the rest
    goes before it."""
    if utf16_len(text) <= CARD_TEXT_LIMIT:
        return [], text
    head, _, body = text.partition("\n")
    continued = f"{head} {t('card.continued', lang)}"
    parts = split_text(body, CARD_TEXT_LIMIT - utf16_len(continued) - 2)
    before = [f"{head}\n{parts[0]}", *parts[1:-1]]
    joined = [p for chunk in before for p in split_text(chunk, TEXT_LIMIT)]
    return joined, f"{continued}\n\n{parts[-1]}"


def durable(reply: Reply) -> bool:
    """Buttons that must stay tappable (step cards, checklists, revise), or too many for
    quick replies."""
    actions = [b for row in reply.buttons for b in row if b.kind != "contact"]
    return len(actions) > QUICK_REPLY_ITEMS or any(_lasting(b.data) for b in actions)


def _lasting(data: str) -> bool:
    intake = callbacks.decode_intake(data)
    return (callbacks.decode(data) is not None or callbacks.decode_evidence(data) is not None
            or (intake is not None and intake[0] == "revise") or evaluation.lasting(data))


def shorten(label: str, limit: int) -> str:
    """At most `limit` characters, cut at a word where one lies in the second half."""
    label = " ".join(label.split())
    if len(label) <= limit:
        return label
    cut = label[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip() + "…"


def _action(button: Button, limit: int):
    if button.kind == "contact":
        return None  # LINE has no contact sharing; the question says to type it
    if not button.data or len(button.data) > DATA_LIMIT:
        log.warning("button %r dropped: its data does not fit LINE's postback", button.label)
        return None
    label = shorten(button.label, limit)
    if button.kind == "date":
        return DatetimePickerAction(label=label, data=button.data, mode="date")
    return PostbackAction(label=label, data=button.data, display_text=button.label[:DATA_LIMIT])


def _quick_item(button: Button) -> QuickReplyItem | None:
    action = _action(button, QUICK_LABEL)
    return QuickReplyItem(action=action) if action is not None else None


def _bubble(reply: Reply, urls: MediaUrls, image: MediaRef | None, text: str) -> FlexMessage:
    rows = []
    first = True
    for row in reply.buttons:
        buttons = []
        for button in row:
            action = _action(button, FLEX_LABEL)
            if action is None:
                continue
            toggle = button.label.startswith(TOGGLES)
            style = "primary" if first and not toggle else "secondary"
            first = first and toggle
            buttons.append(FlexButton(action=action, style=style, height="sm"))
        if buttons:
            rows.append(FlexBox(layout="horizontal", spacing="sm", contents=buttons))
    hero = None
    if image is not None and (url := urls.original(image.sha256)):
        hero = FlexImage(url=url, size="full", aspect_mode="fit", aspect_ratio=_ratio(image))
    paragraphs = [p for p in (text.strip() or "…").split("\n\n") if p.strip()]
    texts = [FlexText(text=p, wrap=True, size="sm", weight="bold" if i == 0 and len(paragraphs) > 1
                      else None) for i, p in enumerate(paragraphs)]
    body = FlexBox(layout="vertical", spacing="md", contents=texts)
    footer = FlexBox(layout="vertical", spacing="sm", contents=rows) if rows else None
    bubble = FlexBubble(size="giga", hero=hero, body=body, footer=footer)
    return FlexMessage(alt_text=_alt(reply.text), contents=bubble)


def _media(ref: MediaRef, urls: MediaUrls) -> Message | None:
    original, preview = urls.original(ref.sha256), urls.preview(ref.sha256)
    if original is None or preview is None:
        return None
    if ref.kind == "video":
        return VideoMessage(original_content_url=original, preview_image_url=preview)
    return ImageMessage(original_content_url=original, preview_image_url=preview)


def _document(ref: MediaRef, urls: MediaUrls, lang: str) -> TextMessage:
    """A stored document (a PDF a step handed in) as a link LINE users can open."""
    name = ref.filename or ref.mime
    url = urls.original(ref.sha256)
    if url is None:
        return TextMessage(text=t("line.attachment_unavailable", lang, name=name))
    return TextMessage(text=t("line.attachment", lang, name=name, url=url))


def _attachment(attachment: tuple[str, bytes], urls: MediaUrls, lang: str) -> TextMessage:
    name, data = attachment
    if urls.base is None:
        return TextMessage(text=t("line.attachment_unavailable", lang, name=name))
    sha = urls.files.put(data)
    return TextMessage(text=t("line.attachment", lang, name=name, url=urls.original(sha)))


def _ratio(ref: MediaRef) -> str:
    """LINE takes width:height with the height at most three times the width."""
    if ref.width <= 0 or ref.height <= 0:
        return "1:1"
    return f"{ref.width}:{min(ref.height, 3 * ref.width)}"


def _alt(text: str) -> str:
    """A notification's preview of a card: its start (the whole card is in the message)."""
    text = " ".join(text.split()) or "…"
    return text if len(text) <= ALT_TEXT_LIMIT else text[: ALT_TEXT_LIMIT - 1] + "…"
