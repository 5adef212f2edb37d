"""`humas-bot run`: start the platforms that are configured, until Ctrl-C or SIGTERM.

Telegram and LINE run in one process around one core: one inbox worker that handles every
platform's updates (each stored before it is confirmed), one Notifier with a sender per
platform (a person's notices go where they prefer, or where a step must happen), one
deadline loop, each platform's push-info broadcaster, and retention (old delivery rows pruned).
On PostgreSQL several such processes (workers) may share one database: what each sends is
claimed (bot/lease.py).

Stopping: the receivers first (nothing new comes in), then the updates in hand get up to
STOP_SECONDS to finish (the rest roll back and are handled after the next start), then the
loops; last, Telegram hears which updates are done.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from bot.app import App
from bot.chat.approvals import Approvals
from bot.chat.notify import Notifier
from bot.chat.reports import Reports
from bot.config import Settings
from bot.handlers.inbox import InboxWorker
from bot.services.deadlines import Deadlines
from bot.services.retention import Retention
from bot.usage import fail
from storage.sessions import presence

NO_PLATFORM = (
    "no chat platform configured: set HUMAS_TELEGRAM_TOKEN to a bot token "
    "(talk to @BotFather in Telegram, send /newbot, copy the token it gives), "
    "or HUMAS_LINE_CHANNEL_SECRET and HUMAS_LINE_ACCESS_TOKEN (LINE Developers console)"
)
STOP_SECONDS = 2.0
log = logging.getLogger(__name__)


def run(settings: Settings) -> None:
    secret, token = settings.line_channel_secret, settings.line_access_token
    if settings.telegram_token is None and (secret is None) != (token is None):
        missing = "HUMAS_LINE_ACCESS_TOKEN" if token is None else "HUMAS_LINE_CHANNEL_SECRET"
        fail(f"LINE needs both the channel secret and the access token: set {missing} too")
    if settings.telegram_token is None and secret is None:
        fail(NO_PLATFORM)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    asyncio.run(_main(settings))


async def _main(settings: Settings) -> None:
    app = await App.open(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        logging.info("humas-bot: flow %s, database %s", app.flow.name, settings.database_label)
        await serve(app, stop)
    finally:
        await app.close()


@dataclass
class Platforms:
    """What runs: each platform's adapter, the shared Notifier and the broadcasters."""

    app: App
    notifier: Notifier
    inbox: InboxWorker
    telegram: Any = None  # bot.handlers.telegram.application.Running
    line: Any = None  # bot.handlers.line.webhook.LineServer
    broadcasters: list[Any] = field(default_factory=list)

    def wake(self) -> None:
        """Something was queued: let the senders look."""
        self.notifier.wake()
        for broadcaster in self.broadcasters:
            broadcaster.wake()


async def serve(app: App, stop: asyncio.Event, *, telegram: bool = True, line: bool = True) -> None:
    """Run the configured platforms (of those allowed here) until `stop` is set."""
    async with started(app, telegram=telegram, line=line):
        await stop.wait()


@asynccontextmanager
async def started(app: App, *, telegram: bool = True, line: bool = True) -> AsyncIterator[Platforms]:
    """The platforms that are configured (and allowed here) receiving, with the Notifier,
    the broadcasters and the deadline timers running, for the length of the block."""
    settings = app.settings
    platforms = Platforms(app, Notifier(app, Approvals(app), {}), InboxWorker(app))
    async with AsyncExitStack() as stack:
        if app.db.dialect.shared:  # several workers may share it: say this one lives
            alive = presence(app.db, app.worker_id)
            await alive.acquire()
            stack.push_async_callback(alive.release)
            kept = asyncio.create_task(alive.keep(), name="presence")
            stack.callback(kept.cancel)  # before the release above
        if telegram and settings.telegram_token is not None:
            from bot.handlers.telegram.application import build
            from bot.handlers.telegram.application import started as telegram_started

            running = build(app, notifier=platforms.notifier)
            platforms.telegram = running
            platforms.broadcasters.append(running.broadcaster)
            platforms.inbox.add(running.source)
            await stack.enter_async_context(telegram_started(running, settings))
        if line and settings.line_channel_secret is not None and settings.line_access_token is not None:
            from bot.broadcast.line import LineBroadcaster
            from bot.handlers.line.webhook import LineServer

            server = LineServer(app, platforms.notifier, platforms.inbox)
            platforms.line = server
            stack.push_async_callback(server.close)
            await server.sign_media()  # before the notifier can send a poster's address
            broadcaster = LineBroadcaster(app, server.api, on_progress=_progress(platforms))
            platforms.broadcasters.append(broadcaster)
            app.db.watch_queue(broadcaster.wake, kinds=("broadcast",))
        if platforms.telegram is None and platforms.line is None:
            raise RuntimeError(NO_PLATFORM)
        deadlines = Deadlines(app.db, app.flow, app.clock,
                              monthly=Reports(app).monthly, poll=settings.timer_poll_seconds,
                              calendar=app.requests.calendar)
        app.db.listen()  # several workers: another's commits wake this one's senders too
        loops = [platforms.inbox, platforms.notifier, *platforms.broadcasters, deadlines, Retention.of(app),
                 app.lease]
        tasks = [asyncio.create_task(loop.run(), name=type(loop).__name__) for loop in loops]
        try:
            if platforms.telegram is not None:
                await platforms.telegram.receive(settings, platforms.inbox)
            if platforms.line is not None:
                await platforms.line.start()
            yield platforms
        finally:
            await _stop(platforms, tasks)


async def _stop(platforms: Platforms, tasks: list[asyncio.Task]) -> None:
    if platforms.line is not None:
        await platforms.line.stop_receiving()
    if platforms.telegram is not None:
        await platforms.telegram.stop_receiving()
    await platforms.inbox.stop(STOP_SECONDS)
    await _cancel(tasks)
    if platforms.telegram is not None:
        await platforms.telegram.confirm()


def _progress(platforms: Platforms):
    """LINE broadcast progress goes to the petugas through the Telegram broadcaster's report."""

    def told(_broadcast_id: int) -> None:
        if platforms.telegram is not None:
            platforms.telegram.broadcaster.wake()

    return told


async def _cancel(tasks: list[asyncio.Task]) -> None:
    """Stop the background loops; cancel again any that missed a cancel (see
    tests/integration/test_loop_stop.py), rather than hang the shutdown."""
    pending = {task for task in tasks if not task.done()}
    while pending:
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=STOP_SECONDS)
        if pending:
            log.warning("loops still running after a cancel: %s", [t.get_name() for t in pending])
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            task.result()
