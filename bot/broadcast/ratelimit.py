"""python-telegram-bot's rate limiter on the token's budget (bot/broadcast/limits.py), for the
bot that answers updates and sends notices: its messages count against the same 30 a second
and 20 a minute per group as push-info's, and go first when both wait.

It replaces PTB's AIORateLimiter, which keeps limits of its own (push-info could not see them)
and pauses every request on any 429. Here a 429 is told to the budget, which pauses the chat,
or every chat when the 429 must be the overall limit's, and the request is tried again (up to
`max_retries` times, then the RetryAfter is raised to the caller, as PTB's does).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.broadcast.limits import QUEUED_AT, Budget, is_group

# Methods that put a message in a chat (or change one): Telegram counts them against its limits.
COUNTED = ("send", "copyMessage", "forwardMessage", "edit")


class BudgetRateLimiter(BaseRateLimiter[int]):
    def __init__(self, budget: Budget, max_retries: int = 3) -> None:
        self.budget = budget
        self.max_retries = max_retries

    async def initialize(self) -> None:
        """Nothing to set up: the budget lives as long as the process."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        chat = data.get("chat_id")
        if chat is None or not endpoint.startswith(COUNTED):
            return await callback(*args, **kwargs)  # getUpdates, answerCallbackQuery, getFile...
        chat, group = str(chat), is_group(chat)
        count = len(data.get("media") or ()) or 1 if endpoint == "sendMediaGroup" else 1
        retries = self.max_retries if rate_limit_args is None else rate_limit_args
        queued = QUEUED_AT.get()  # set by the Notifier: when the outbox row became due
        for attempt in range(retries + 1):
            taken = await self.budget.take(chat, group, count, urgent=True, queued=queued)
            try:
                result = await callback(*args, **kwargs)
            except RetryAfter as exc:
                await self.budget.refused(chat, group, seconds(exc.retry_after), taken, count)
                if attempt == retries:
                    raise
            except BaseException:
                await self.budget.answered(chat, group, taken, count)
                raise
            else:
                await self.budget.answered(chat, group, taken, count)
                return result
        raise AssertionError("unreachable")


def seconds(value: Any) -> float:
    """RetryAfter.retry_after: an int, or a timedelta (PTB_TIMEDELTA)."""
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)
