"""Replies rendered as Telegram messages: photos with captions, inline keyboards, a
contact-request keyboard, ForceReply for a reason. Returns where the buttons landed."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import (
    Bot,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.constants import MessageLimit
from telegram.error import BadRequest

from bot.chat.replies import Reply
from bot.textsplit import split_text, utf16_len
from storage.files import FileStore

CAPTION_LIMIT = MessageLimit.CAPTION_LENGTH
TEXT_LIMIT = MessageLimit.MAX_TEXT_LENGTH


@dataclass(frozen=True)
class Sent:
    chat_id: int
    message_id: int
    has_media: bool

    def as_result(self) -> dict:
        return {
            "platform": "telegram",
            "chat_id": self.chat_id,
            "message_id": self.message_id,
            "has_media": self.has_media,
        }


def markup(reply: Reply):
    contact = [b for row in reply.buttons for b in row if b.kind == "contact"]
    if contact:
        return ReplyKeyboardMarkup(
            [[KeyboardButton(contact[0].label, request_contact=True)]],
            one_time_keyboard=True,
            resize_keyboard=True,
        )
    rows = [
        [InlineKeyboardButton(b.label, callback_data=b.data) for b in row if b.kind == "action"]
        for row in reply.buttons
    ]
    rows = [row for row in rows if row]
    if rows:
        return InlineKeyboardMarkup(rows)
    if reply.expect_reply:
        return ForceReply(selective=True)
    return None


async def send(bot: Bot, files: FileStore, chat_id: int, reply: Reply) -> Sent:
    """Send one Reply; the Sent names the message that carries its buttons."""
    sent = await _send_main(bot, files, chat_id, reply)
    if reply.attachment is not None:
        name, data = reply.attachment
        await bot.send_document(chat_id, data, filename=name)
    return sent


async def _send_main(bot: Bot, files: FileStore, chat_id: int, reply: Reply) -> Sent:
    """The poster with the text as its caption where it fits (and no toggle will make it
    grow); else the poster alone, then the text in as many messages as it needs, split
    between paragraphs, never cut. The buttons go on the last message."""
    keyboard = markup(reply)
    for document in reply.documents:
        await bot.send_document(chat_id, files.get(document.sha256), filename=document.filename or None)
    if reply.media:
        media = reply.media[0]
        fits = utf16_len(reply.text) <= CAPTION_LIMIT and not _toggles(reply)
        caption = reply.text if fits else None
        message = await _send_media(bot, files, chat_id, media, caption, keyboard if fits else None)
        if fits:
            return Sent(chat_id, message.message_id, True)
    parts = split_text(reply.text, TEXT_LIMIT) or ["…"]
    for part in parts[:-1]:
        await bot.send_message(chat_id, part)
    message = await bot.send_message(chat_id, parts[-1], reply_markup=keyboard or _clear_keyboard(reply))
    return Sent(chat_id, message.message_id, False)


def _toggles(reply: Reply) -> bool:
    """Buttons that redraw the card when tapped (channel and audience choices)."""
    return any(b.label.startswith(("☑️", "⬜")) for row in reply.buttons for b in row)


_FILE_IDS: dict[tuple[str, str], str] = {}  # (Bot API address + token, sha256) -> file_id
_FILE_IDS_KEPT = 1024


async def _send_media(bot: Bot, files: FileStore, chat_id: int, media, caption, buttons) -> Message:
    """A poster sent to the summary and to every holder's card goes up once; later sends
    use Telegram's file_id (uploaded again if Telegram no longer knows it)."""
    key = (bot.base_url + bot.token, media.sha256)
    send = bot.send_video if media.kind == "video" else bot.send_photo
    known = _FILE_IDS.get(key)
    try:
        message = await send(chat_id, known or files.get(media.sha256), caption=caption, reply_markup=buttons)
    except BadRequest:
        if known is None:
            raise
        _FILE_IDS.pop(key, None)
        message = await send(chat_id, files.get(media.sha256), caption=caption, reply_markup=buttons)
    sent = message.video if media.kind == "video" else (message.photo[-1] if message.photo else None)
    if sent is not None:
        _remember(key, sent.file_id)
    return message


def remember_photo(bot: Bot, sha256: str, file_id: str) -> None:
    """A photo a person sent (its bytes' SHA-256) is already on Telegram: if it is stored
    unchanged, the summary and the approvers' cards send its file_id instead of uploading
    the bytes again."""
    _remember((bot.base_url + bot.token, sha256), file_id)


def _remember(key: tuple[str, str], file_id: str) -> None:
    if len(_FILE_IDS) >= _FILE_IDS_KEPT:
        _FILE_IDS.clear()
    _FILE_IDS[key] = file_id


def _clear_keyboard(reply: Reply):
    """Remove a contact keyboard once it is no longer asked for."""
    return None if reply.buttons else ReplyKeyboardRemove() if reply.text else None


async def edit(bot: Bot, chat_id: int, message_id: int, has_media: bool, reply: Reply) -> None:
    """Replace a message's text (or caption) and buttons; a vanished message is not an error."""
    keyboard = markup(reply)
    inline = keyboard if isinstance(keyboard, InlineKeyboardMarkup) else None
    # A long card went out as several messages with its buttons on the last one: that one is
    # edited, with the same last part (what a tap changes is the card's end).
    text = (split_text(reply.text, CAPTION_LIMIT if has_media else TEXT_LIMIT) or ["…"])[-1]
    try:
        if has_media:
            await bot.edit_message_caption(chat_id, message_id, caption=text, reply_markup=inline)
        else:
            await bot.edit_message_text(text, chat_id, message_id, reply_markup=inline)
    except BadRequest as exc:
        if "not modified" not in str(exc).lower() and "not found" not in str(exc).lower():
            raise


def is_media(message: Message) -> bool:
    return bool(message.photo or message.video or message.document or message.animation)
