"""Telegram updates into the inbox, and out of it into python-telegram-bot's dispatch.

An update is stored as Telegram sent it (its JSON), keyed by its update_id, with the user (or
chat) whose updates must stay in order. Handling rebuilds the `Update` and gives it to the
Application's `process_update`, which runs the handler inside the update's unit of work;
a handler's exception reaches the error handler, which fails the unit (`Handling.failed`).
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application

from bot.chat.replies import Reply, to_payload
from bot.handlers import inbox
from bot.i18n import t
from storage.inbox_repos import InboxRow, Incoming

SOURCE = "telegram"


def incoming(update: dict[str, Any]) -> Incoming:
    return Incoming(SOURCE, str(update["update_id"]), chat_key(update), json.dumps(update), data=update)


def chat_key(update: dict[str, Any]) -> str:
    """Whose update this is: its sender, else its chat (a channel post)."""
    body = _body(update)
    sender = body.get("from") or body.get("user")
    if isinstance(sender, dict) and "id" in sender:
        return str(sender["id"])
    chat = body.get("chat") or (body.get("message") or {}).get("chat") or {}
    return str(chat.get("id", ""))


def _body(update: dict[str, Any]) -> dict[str, Any]:
    """The update's one object (its message, callback query...)."""
    return next((v for k, v in update.items() if k != "update_id" and isinstance(v, dict)), {})


class TelegramSource:
    source = SOURCE

    def __init__(self, application: Application) -> None:
        self.application = application

    async def handle(self, row: InboxRow) -> None:
        update = Update.de_json(row.decoded(), self.application.bot)
        if update.callback_query is not None:
            handling = inbox.current()
            handling.after.append(lambda: answer_query(update.callback_query, handling))
        await self.application.process_update(update)

    def apology(self, row: InboxRow) -> tuple[str, dict] | None:
        """To a person who wrote in a private chat (a group or channel hears nothing)."""
        body = _body(json.loads(row.payload))
        chat = body.get("chat") or (body.get("message") or {}).get("chat") or {}
        if chat.get("type") != "private":
            return None
        reply = to_payload(Reply(t("error.internal", "id")))
        return f"{SOURCE}:{chat['id']}", {"op": "send", "replies": [reply], "lang": "id"}


def popup(text: str | None) -> None:
    """What the tapped button's popup says, shown once the tap's effects are committed."""
    handling = inbox.current()
    if handling is not None:
        handling.notes["popup"] = text


async def answer_query(query, handling: inbox.Handling) -> None:
    """Stop the button's spinner, with the popup if the tap went through. A late or failed
    answer (say a tap redelivered after a restart) changes nothing."""
    text = handling.notes.get("popup") if handling.ok else None
    with contextlib.suppress(TelegramError):
        await query.answer(text[:200] if text else None)
