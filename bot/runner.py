"""`humas-bot run`: start the platforms that are configured."""

from __future__ import annotations

from bot.cli import fail
from bot.config import Settings

NO_PLATFORM = (
    "no chat platform configured: set HUMAS_TELEGRAM_TOKEN to a bot token "
    "(talk to @BotFather in Telegram, send /newbot, copy the token it gives), "
    "or HUMAS_LINE_CHANNEL_SECRET and HUMAS_LINE_ACCESS_TOKEN (LINE Developers console)"
)


def run(settings: Settings) -> None:
    if settings.telegram_token is None and settings.line_access_token is None:
        fail(NO_PLATFORM)
    fail("the Telegram and LINE adapters are not built yet (issues 3 and 5)")
