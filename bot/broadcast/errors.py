"""What a failed Telegram send means for a push-info delivery: gone for good, refused for now,
or lost on the way, and whether Telegram may have delivered it anyway.

Telegram has no idempotency key, so a send is safe to repeat only when it certainly never
reached the Bot API: the connection was refused or could not be made (`never_left`), or a 429
refused it. A read timeout, a dropped connection or a 5xx answer come after the request went
out: Telegram may have delivered the message (a 502 or 504 is its front proxy losing the Bot
API's answer; even a 500 may follow a delivery). Those are "unsure".

What the office prefers decides what happens with an unsure failure. A subscriber who gets a
poster twice is mildly annoyed; one who never gets it is invisible to the office, and a
delivery left "unknown" puts the same choice to the petugas, with less to go on. So an unsure
failure is retried too (a few times, with a growing pause), and a delivery that went through
after one is marked `maybe_twice` and named in the petugas's report. Only a crash leaves a
delivery unknown (bot/broadcast/telegram.py, `recover`): a crash can repeat at the same place
on every restart, a timeout is retried a bounded number of times.
"""

from __future__ import annotations

from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

# Words of a 400 or 403 that mean the chat is gone for this bot: not a recipient any more.
GONE = ("blocked", "deactivated", "kicked", "not a member", "chat not found")
# Exceptions (aiohttp's, httpx's) raised before a request was written: nothing reached Telegram.
NEVER_LEFT = {"ClientConnectorError", "ConnectionTimeoutError", "ConnectError", "ConnectTimeout",
              "PoolTimeout"}


def is_gone(exc: TelegramError) -> bool:
    """Blocked, deactivated, kicked, removed: the chat will refuse every later message too."""
    if isinstance(exc, Forbidden):
        return True
    return isinstance(exc, BadRequest) and any(word in exc.message.lower() for word in GONE)


def is_transient(exc: BaseException) -> bool:
    """A failure that a later try may not meet: a timeout, a lost connection, a 5xx."""
    return isinstance(exc, NetworkError) and not isinstance(exc, BadRequest)


def never_left(exc: BaseException) -> bool:
    """The request certainly did not reach Telegram: repeating it cannot deliver twice."""
    if isinstance(exc, RetryAfter):
        return True
    cause = exc.__cause__
    return cause is not None and any(kind.__name__ in NEVER_LEFT for kind in type(cause).__mro__)


def describe(exc: BaseException) -> str:
    """One line for the report: what Telegram (or the network) said."""
    if isinstance(exc, TelegramError):
        text = exc.message
        if exc.__cause__ is not None and type(exc).__name__ == "TimedOut":
            text = f"{text} ({type(exc.__cause__).__name__})"
        return f"network: {text}" if is_transient(exc) else text
    return f"error: {exc!r}"
