"""Carries outbox notices to Telegram: prompts to role holders, decisions to requesters.

A notice row is marked sent with the message it became, so that when one holder decides,
the others' prompts can be edited to say who did. A crash between sending and marking
sends that one notice again on restart: a repeated notice is better than a lost prompt.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from telegram import Bot
from telegram.error import Forbidden, RetryAfter, TelegramError

from bot.app import App
from bot.chat.approvals import Approvals, Decided
from bot.chat.replies import Reply
from bot.handlers.telegram import render
from storage.repositories import Repos

log = logging.getLogger(__name__)
IDLE_SECONDS = 1.0


class Notifier:
    def __init__(self, app: App, approvals: Approvals, bot: Bot) -> None:
        self.app = app
        self.approvals = approvals
        self.bot = bot
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        while True:
            try:
                await self.drain()
            except Exception:  # keep the loop alive; the row stays pending and is retried
                log.exception("notice delivery failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), IDLE_SECONDS)
            self._wake.clear()

    async def drain(self) -> int:
        """Send every due notice; the number handled."""
        async with self.app.db.reading() as tx:
            rows = await Repos(tx).outbox.due(self.app.clock.now(), ("notice",), limit=100)
        for row in rows:
            await self._deliver(row)
        return len(rows)

    async def _deliver(self, row: dict) -> None:
        async with self.app.db.reading() as tx:
            repos = Repos(tx)
            person = await repos.people.get(int(row["recipient"]))
            chat_id = (await repos.people.identities(person["id"])).get("telegram") if person else None
        if chat_id is None:
            await self._mark(row["id"], "skipped", {"reason": "no telegram identity"})
            return
        reply = await self.approvals.notice(row, person["language"])
        if reply is None:
            await self._mark(row["id"], "skipped", {"reason": "request moved on"})
            return
        try:
            sent = await render.send(self.bot, self.app.files, int(chat_id), reply)
        except RetryAfter as exc:
            await asyncio.sleep(_seconds(exc.retry_after))
            return  # still pending: the next pass sends it
        except Forbidden as exc:
            await self._mark(row["id"], "failed", {"reason": exc.message})
            return
        except TelegramError as exc:
            await self._mark(row["id"], "failed", {"reason": exc.message})
            return
        await self._mark(row["id"], "sent", sent.as_result())

    async def mark_decided(self, decided: Decided) -> None:
        """Every holder's prompt for that step now says who decided, without buttons."""
        for row in await self.approvals.prompt_messages(decided.code, decided.step_id):
            result = row["result"]
            async with self.app.db.reading() as tx:
                person = await Repos(tx).people.get(int(row["recipient"]))
            lang = person["language"] if person else "id"
            step = self.app.flow.step(decided.step_id).name.get(lang)
            text = f"📋 {decided.code}: {step}\n{decided.lines[lang]}"
            try:
                await render.edit(
                    self.bot, result["chat_id"], result["message_id"], result["has_media"], Reply(text)
                )
            except TelegramError:
                log.warning("could not edit prompt %s in chat %s", result["message_id"], result["chat_id"])

    async def _mark(self, row_id: int, status: str, result: dict) -> None:
        async with self.app.db.transaction() as tx:
            await Repos(tx).outbox.mark(row_id, status, result)


def _seconds(value) -> float:
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)
