"""`humas-bot run`: start the platforms that are configured, until Ctrl-C or SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import signal

from bot.app import App
from bot.cli import fail
from bot.config import Settings

NO_PLATFORM = (
    "no chat platform configured: set HUMAS_TELEGRAM_TOKEN to a bot token "
    "(talk to @BotFather in Telegram, send /newbot, copy the token it gives), "
    "or HUMAS_LINE_CHANNEL_SECRET and HUMAS_LINE_ACCESS_TOKEN (LINE Developers console)"
)


def run(settings: Settings) -> None:
    if settings.telegram_token is None:
        fail(NO_PLATFORM)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    asyncio.run(_main(settings))


async def _main(settings: Settings) -> None:
    from bot.handlers.telegram.application import serve

    app = await App.open(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        logging.info("humas-bot: flow %s, database %s", app.flow.name, settings.database)
        await serve(app, stop)
    finally:
        await app.close()
