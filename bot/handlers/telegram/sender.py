"""Telegram as the Notifier's Sender: notices and replies into chats, and edits of earlier
messages (a tapped card, the other holders' prompts)."""

from __future__ import annotations

from telegram import Bot
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bot.chat.notify import DeliveryFailed, RetryLater
from bot.chat.replies import Reply
from bot.handlers.telegram import render
from storage.files import FileStore


class TelegramSender:
    platform = "telegram"

    def __init__(self, bot: Bot, files: FileStore) -> None:
        self.bot = bot
        self.files = files

    async def send(self, external_id: str, reply: Reply, seed: str | None = None) -> dict:
        """Telegram has no idempotency key: a send repeated after a crash arrives twice."""
        try:
            sent = await render.send(self.bot, self.files, int(external_id), reply)
        except RetryAfter as exc:
            raise RetryLater(_seconds(exc.retry_after)) from exc
        except (Forbidden, BadRequest) as exc:
            raise DeliveryFailed(exc.message) from exc
        return sent.as_result()

    async def answer(self, chat: str, replies: list[Reply], row: dict) -> None:
        for reply in replies:
            await self.send(chat, reply)

    async def edit(self, result: dict, reply: Reply) -> None:
        try:
            await render.edit(self.bot, result["chat_id"], result["message_id"], result["has_media"], reply)
        except RetryAfter as exc:
            raise RetryLater(_seconds(exc.retry_after)) from exc
        except TelegramError as exc:
            raise DeliveryFailed(exc.message) from exc


def _seconds(value) -> float:
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)
