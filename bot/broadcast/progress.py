"""The petugas's one progress message for a broadcast, edited as it goes, then the report."""

from __future__ import annotations

import asyncio
import logging
import time

from telegram import Bot
from telegram.error import RetryAfter, TelegramError

from bot.app import App
from bot.broadcast.limits import Budget, is_group
from bot.broadcast.ratelimit import seconds
from bot.domain.durations import format_duration
from bot.i18n import t
from bot.services.publishing import eta
from bot.textsplit import split_text
from storage.push_repos import tallied
from storage.repositories import Repos

log = logging.getLogger(__name__)
EDIT_EVERY = 5.0  # seconds between edits: edits take room in the budget too
SHOWN_FAILURES = 20
REPORT_RETRIES = 3  # 429s waited out for the final report
TEXT_LIMIT = 4096


class ProgressReporter:
    def __init__(self, app: App, bot: Bot, budget: Budget) -> None:
        self.app = app
        self.bot = bot
        self.budget = budget  # the token's: progress messages count against its limits too
        self._last_edit: dict[int, float] = {}
        self._started: dict[int, tuple[float, int]] = {}
        self._shown: dict[int, str] = {}  # broadcast id -> the progress text shown now
        self._busy: dict[int, asyncio.Lock] = {}  # one update of a broadcast's message at a time

    async def update(self, broadcast_id: int, force: bool = False) -> None:
        """Edit the progress message, at most every EDIT_EVERY seconds (the check comes
        before any query). The counts are the broadcast's counters: one row read, however
        large the outbox. One update of a broadcast at a time: the report (`force`) waits for
        a progress message on its way, and then becomes it."""
        now = time.monotonic()
        if not force and now - self._last_edit.get(broadcast_id, 0.0) < EDIT_EVERY:
            return
        self._last_edit[broadcast_id] = now
        busy = self._busy.setdefault(broadcast_id, asyncio.Lock())
        if busy.locked() and not force:
            return  # being shown now; the next update shows the newer counts
        async with busy:
            if not await self.app.lease.broadcast(broadcast_id):
                return  # another worker shows this one's progress (and sends its report)
            async with self.app.db.reading() as tx:
                broadcast = await Repos(tx).broadcasts.get(broadcast_id)
            if broadcast is None or broadcast["finished_at"]:
                self._busy.pop(broadcast_id, None)
                return
            counts = tallied(broadcast)
            if not counts.get("pending"):
                await self._final(broadcast)
                return
            chat, lang = await self._petugas(broadcast)
            await self._show(broadcast, chat, self._running_text(broadcast, counts, now, lang))

    async def finish_done(self) -> None:
        """Broadcasts whose last rows went out (or were marked unknown) get their report."""
        async with self.app.db.reading() as tx:
            unfinished = await Repos(tx).broadcasts.unfinished()
        shared = self.app.lease.shared
        for broadcast in unfinished:
            if shared and tallied(broadcast).get("pending"):
                continue  # another worker is sending it: its progress goes at its pace, not every pass
            if broadcast["due_at"] <= self.app.clock.now():
                await self.update(broadcast["id"], force=True)

    def _running_text(self, broadcast: dict, counts: dict[str, int], now: float, lang: str) -> str:
        total = sum(counts.values())
        done = counts.get("sent", 0)
        started_at, done_before = self._started.setdefault(broadcast["id"], (now, done))
        rate = (done - done_before) / max(now - started_at, 0.001)
        left = eta(total - done - counts.get("failed", 0), rate) if rate else None
        return t("progress.running", lang, code=broadcast["code"], done=done, total=total,
                 failed=counts.get("failed", 0), eta=format_duration(left, lang) if left else "-")

    async def _final(self, broadcast: dict) -> None:
        """The progress message becomes the report, with who failed (a report too long for
        one message goes on in new ones; without a progress message it is sent new). The
        broadcast counts as finished once the report was tried (a crash in between repeats
        the report on restart: better twice than lost). The counters are checked against the
        outbox once, here: the report never rests on a count that drifted."""
        async with self.app.db.transaction() as tx:
            counts = await Repos(tx).broadcasts.recount(broadcast["id"])
        if counts.get("pending") or counts.get("sending"):
            log.warning("broadcast %s: counters were off; recounted %s", broadcast["id"], counts)
            return
        async with self.app.db.reading() as tx:
            deliveries = await Repos(tx).broadcasts.deliveries(broadcast["request_id"])
        chat, lang = await self._petugas(broadcast)
        lines = [t("progress.final", lang, code=broadcast["code"], sent=counts.get("sent", 0),
                   total=sum(counts.values()), failed=counts.get("failed", 0),
                   unknown=counts.get("unknown", 0))]
        twice = [d for d in deliveries if d["status"] == "sent" and d["result"].get("maybe_twice")]
        sections = (("failed", "progress.failed_header", "reason"),
                    ("unknown", "progress.unknown_header", "reason"),
                    ("twice", "progress.twice_header", "last"))
        for status, header, key in sections:
            rows = twice if status == "twice" else [d for d in deliveries if d["status"] == status]
            if rows:
                lines.append(t(header, lang))
                lines += [t("progress.failed_line", lang, recipient=d["recipient"],
                            reason=d["result"].get(key, "-")) for d in rows[:SHOWN_FAILURES]]
                if len(rows) > SHOWN_FAILURES:
                    lines.append(f"… +{len(rows) - SHOWN_FAILURES}")
        # the progress message becomes the report: it appears once, not as a copy below it
        parts = split_text("\n".join(lines), TEXT_LIMIT)
        if broadcast["progress"].get("message_id") and chat is not None:
            shown = await self._show(broadcast, chat, parts[0])
            parts = parts[1:] if shown else parts
        for part in parts if chat is not None else []:
            await self._report(chat, part)
        async with self.app.db.transaction() as tx:
            await Repos(tx).broadcasts.finish(broadcast["id"])
        self._shown.pop(broadcast["id"], None)

    async def _report(self, chat: str, text: str) -> None:
        for attempt in range(REPORT_RETRIES + 1):
            taken = await self._paced(chat)
            try:
                await self.bot.send_message(chat, text)
                await self.budget.answered(chat, is_group(chat), taken)
                return
            except RetryAfter as exc:
                await self.budget.refused(chat, is_group(chat), seconds(exc.retry_after), taken)
                if attempt == REPORT_RETRIES:
                    return
            except TelegramError:
                return  # the petugas blocked the bot, say; the report is in the database

    async def _show(self, broadcast: dict, chat: str | None, text: str) -> bool:
        """Send the progress message once, then edit it; its id is kept across restarts.
        Whether the message now shows `text`."""
        if chat is None:
            return False
        progress = broadcast["progress"]
        if self._shown.get(broadcast["id"]) == text:
            return True  # Telegram refuses an edit that changes nothing
        taken = await self._paced(chat)
        try:
            if progress.get("message_id"):
                await self.bot.edit_message_text(text, chat, progress["message_id"])
            else:
                message = await self.bot.send_message(chat, text)
                async with self.app.db.transaction() as tx:
                    await Repos(tx).broadcasts.set_progress(
                        broadcast["id"], {"chat_id": chat, "message_id": message.message_id})
                broadcast["progress"] = {"chat_id": chat, "message_id": message.message_id}
            await self.budget.answered(chat, is_group(chat), taken)
            self._shown[broadcast["id"]] = text
            return True
        except RetryAfter as exc:  # the next edit tries again
            await self.budget.refused(chat, is_group(chat), seconds(exc.retry_after), taken)
            return False
        except TelegramError:
            return False  # progress is a courtesy; the report is in the database either way

    async def _paced(self, chat: str) -> float:
        """Wait for room and take it: the petugas's messages count against the same limits as
        the broadcast's, one a second into their chat like any bulk sending (they are not
        replies to something the petugas just did)."""
        return await self.budget.take(chat, is_group(chat))

    async def _petugas(self, broadcast: dict) -> tuple[str | None, str]:
        """The Telegram chat and the language of the petugas who started the broadcast."""
        if not broadcast["created_by"]:
            return None, "id"
        async with self.app.db.reading() as tx:
            repos = Repos(tx)
            identities = await repos.people.identities(broadcast["created_by"])
            person = await repos.people.get(broadcast["created_by"])
        return identities.get("telegram"), person["language"] if person else "id"
