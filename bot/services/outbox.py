"""Answers to people, through the outbox: written in the transaction of the update that
causes them (a receipt, a decision's confirmation, the edit of a tapped card and of the
other holders' prompts), sent after it commits.

A row of kind 'reply' names its chat (`telegram:<chat id>`, `line:<user or group id>`) and
carries platform-neutral Replies (`bot.chat.replies.to_payload`):

- `{"op": "send", "replies": [...]}`: new messages, in order. LINE's rows add the event's
  reply token and until when (epoch seconds) it may be used.
- `{"op": "edit", "target": {...}, "replies": [one]}`: replace a message the bot sent; the
  target is what the send recorded (Telegram: chat, message id, whether it has media).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.chat.replies import Reply, to_payload
from bot.clock import Clock
from storage.db import Database
from storage.repositories import Repos

REPLY = "reply"


@dataclass
class Outgoing:
    db: Database
    clock: Clock

    async def send(self, recipient: str, replies: list[Reply], *, together: bool = False,
                   lang: str = "id", **extra) -> None:
        """Queue answers to one chat. `together`: one row for all of them (LINE answers an
        event in one call, with its reply token); else one row each, so a crash while sending
        repeats at most the one message in flight."""
        if not replies:
            return
        payloads = [to_payload(reply) for reply in replies]
        groups = [payloads] if together else [[p] for p in payloads]
        rows = [(None, recipient, {"op": "send", "replies": group, "lang": lang, **extra})
                for group in groups]
        async with self.db.statement() as tx:
            await Repos(tx).outbox.add_many(REPLY, rows, self.clock.now())

    async def edit(self, edits: list[tuple[str, dict, Reply]], request_id: int | None = None) -> None:
        """Queue edits of messages sent earlier: (recipient, target, new content) each."""
        rows = [(request_id, recipient, {"op": "edit", "target": target, "replies": [to_payload(reply)]})
                for recipient, target, reply in edits]
        if rows:
            async with self.db.statement() as tx:
                await Repos(tx).outbox.add_many(REPLY, rows, self.clock.now())

    async def mark(self, row_id: int, status: str, result: dict) -> None:
        """A notice or reply went out (with what it became), failed, or was skipped. Not
        waited on to be durable: a power cut that undoes it sends the message once more, as a
        crash before it would (and the next durable commit takes it along)."""
        async with self.db.statement(durable=False) as tx:
            await Repos(tx).outbox.mark(row_id, status, result)

    async def sent(self, row_ids: list[int]) -> None:
        """Several replies went out: one statement (not waited on to be durable, as `mark`)."""
        async with self.db.statement(durable=False) as tx:
            await Repos(tx).outbox.mark_many(row_ids, "sent")
