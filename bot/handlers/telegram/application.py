"""Builds the python-telegram-bot Application around the core, and runs it.

PTB's Application dispatches each update to its handler (`process_update`), its Bot sends,
over humas-bot's aiohttp transport. Receiving is humas-bot's own, so that nothing is
confirmed to Telegram before it is stored: the poller (bot/handlers/telegram/polling.py) or
the webhook (bot/handlers/telegram/webhook.py) put updates into the inbox, and the inbox
worker (bot/handlers/inbox.py) hands each to `process_update` inside its unit of work."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from telegram import Bot, BotCommand, Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BusinessConnectionHandler,
    BusinessMessagesDeletedHandler,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.app import App
from bot.broadcast.ratelimit import BudgetRateLimiter
from bot.broadcast.shared import budget_for
from bot.broadcast.telegram import TelegramBroadcaster
from bot.chat.approvals import Approvals
from bot.chat.notify import KINDS as NOTIFIED
from bot.chat.notify import Notifier
from bot.config import Settings
from bot.handlers.inbox import InboxWorker
from bot.handlers.telegram.handlers import TelegramHandlers
from bot.handlers.telegram.polling import Poller
from bot.handlers.telegram.sender import TelegramSender
from bot.handlers.telegram.transport import AiohttpRequest
from bot.handlers.telegram.updates import TelegramSource
from bot.handlers.telegram.webhook import WebhookReceiver, shared_webhook_secret

COMMANDS = [
    ("start", "Mulai / Start"),
    ("ajukan", "Ajukan permohonan publikasi / Request a publication"),
    ("status", "Permohonan saya / My requests"),
    ("antrian", "Menunggu tindakan saya / Waiting for me"),
    ("batal", "Batalkan pengisian / Cancel the form"),
    ("gabung", "Gabung dengan kode undangan / Join with an invite code"),
    ("peran", "Peran saya / My roles"),
    ("bahasa", "Bahasa / Language"),
    ("langganan", "Langganan info / Subscribe"),
    ("laporan", "Laporan monev / Monitoring report"),
    ("berhenti", "Berhenti langganan / Unsubscribe"),
    ("tautkan", "Tautkan akun LINE / Link your LINE account"),
    ("utama", "Platform pemberitahuan / Where notices go"),
]


@dataclass
class Running:
    application: Application
    notifier: Notifier
    broadcaster: TelegramBroadcaster
    poller: Poller | None = None
    webhook: WebhookReceiver | None = None
    _tasks: list[asyncio.Task] = field(default_factory=list)

    def wake(self) -> None:
        self.notifier.wake()
        self.broadcaster.wake()

    @property
    def source(self) -> TelegramSource:
        return TelegramSource(self.application)

    async def receive(self, settings: Settings, worker: InboxWorker) -> None:
        """Start taking updates into the inbox: a webhook if one is configured, else polling."""
        bot = self.application.bot
        if settings.telegram_webhook_url:
            # a random one if none is configured (several workers: one, kept in the database)
            secret = await shared_webhook_secret(settings, worker.app.db, worker.app.clock.now())
            self.webhook = WebhookReceiver(worker, settings.telegram_webhook_url, secret)
            await self.webhook.start(settings.telegram_listen, settings.telegram_port)
            await bot.set_webhook(settings.telegram_webhook_url, secret_token=secret,
                                  allowed_updates=Update.ALL_TYPES)
            return
        await bot.delete_webhook()  # getUpdates is refused while a webhook is set
        self.poller = Poller(bot, worker)
        # several workers: one polls, the others wait to take over (Poller.lead)
        polling = self.poller.lead() if worker.claims is not None else self.poller.run()
        self._tasks.append(asyncio.create_task(polling, name="telegram polling"))

    async def stop_receiving(self) -> None:
        if self.webhook is not None:
            await self.webhook.stop()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()

    async def confirm(self) -> None:
        """Once the updates in hand are done: tell Telegram, so that it does not send them again."""
        if self.poller is not None:
            await self.poller.confirm()


def build(app: App, rate_limit: bool = True, notifier: Notifier | None = None,
          on_change: Callable[[], None] | None = None) -> Running:
    """The Application with its handlers. `notifier`: the process's shared one (it gets the
    Telegram sender); `on_change`: what wakes the senders when a transaction queues messages
    (default: this platform's notifier and broadcaster)."""
    settings = app.settings
    builder = (
        ApplicationBuilder()
        .token(settings.telegram_token.get_secret_value())
        .base_url(settings.telegram_api_url)
        .base_file_url(settings.telegram_file_url)
        .request(AiohttpRequest())
        .get_updates_request(AiohttpRequest(connection_pool_size=1))
    )
    if settings.telegram_self_hosted_api:
        builder = builder.local_mode(True)
    # the token's one budget: replies, notices and push-info all count against it (with several
    # workers on PostgreSQL, every worker's: bot/broadcast/shared.py)
    budget = budget_for(app.db, settings.telegram_token.get_secret_value(), settings.telegram_limits)
    if rate_limit:
        # Replies and notices take their room from the budget before push-info's waiting sends
        builder = builder.rate_limiter(BudgetRateLimiter(budget, max_retries=3))
    application = builder.build()
    notifier = notifier or Notifier(app, Approvals(app), {})
    notifier.senders["telegram"] = TelegramSender(application.bot, app.files)
    # push-info takes its room from the budget itself, message by message: no rate limiter here
    broadcast_bot = Bot(
        settings.telegram_token.get_secret_value(),
        base_url=settings.telegram_api_url,
        base_file_url=settings.telegram_file_url,
        local_mode=settings.telegram_self_hosted_api,
        request=AiohttpRequest(),
    )
    running = Running(application, notifier, TelegramBroadcaster(app, broadcast_bot, budget))
    handlers = TelegramHandlers(app, notifier)
    if on_change is not None:
        app.db.watch_queue(on_change)
    else:  # each sender woken by what it sends only: every update queues a reply
        app.db.watch_queue(notifier.wake, kinds=NOTIFIED)
        app.db.watch_queue(running.broadcaster.wake, kinds=("broadcast",))
    # New messages only: an edit is never a new answer or command (Telegram sends one even when
    # just a link preview loads), and a Business chat's or a guest chat's message is not one
    # written to this bot, although it can name the same private chat.
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    for name, method in (
        ("start", handlers.start),
        ("ajukan", handlers.submit),
        ("batal", handlers.cancel),
        ("status", handlers.status),
        ("antrian", handlers.queue),
        ("gabung", handlers.join),
        ("peran", handlers.roles),
        ("bahasa", handlers.language),
        ("langganan", handlers.subscribe),
        ("berhenti", handlers.unsubscribe),
        ("laporan", handlers.report),
        ("tautkan", handlers.link),
        ("utama", handlers.prefer),
        ("daftarkan", handlers.register),  # KODE: confirms a channel's /daftarkan
    ):
        application.add_handler(CommandHandler(name, method, filters=private))
    groups = filters.ChatType.GROUPS & filters.UpdateType.MESSAGE
    application.add_handler(CommandHandler("daftarkan", handlers.register, filters=groups))
    channel_register = filters.UpdateType.CHANNEL_POST & filters.Regex(r"^/daftarkan(@\w+)?(\s|$)")
    application.add_handler(MessageHandler(channel_register, handlers.register))
    application.add_handler(CallbackQueryHandler(handlers.button))
    application.add_handler(MessageHandler(private & filters.CONTACT, handlers.contact))
    media = filters.PHOTO | filters.VIDEO | filters.Document.ALL
    application.add_handler(MessageHandler(private & media, handlers.file))
    application.add_handler(MessageHandler(private & filters.TEXT & ~filters.COMMAND, handlers.text))
    edits = filters.ChatType.PRIVATE & filters.UpdateType.EDITED_MESSAGE
    application.add_handler(MessageHandler(edits, handlers.edited))
    # Telegram Business: deliberately not handled (see TelegramHandlers.ignore)
    application.add_handler(MessageHandler(filters.UpdateType.BUSINESS_MESSAGES, handlers.ignore))
    application.add_handler(BusinessConnectionHandler(handlers.ignore))
    application.add_handler(BusinessMessagesDeletedHandler(handlers.ignore))
    # after every command handler: a /command none of them took gets a short help
    application.add_handler(MessageHandler(private & filters.COMMAND, handlers.unknown))
    application.add_error_handler(handlers.error)
    return running


@asynccontextmanager
async def started(running: Running, settings: Settings) -> AsyncIterator[Running]:
    """The Application ready to handle updates for the length of the block; receiving is
    started and stopped by the runner (`Running.receive`), around the inbox worker."""
    application = running.application
    async with application, running.broadcaster.bot:
        await application.bot.set_my_commands([BotCommand(n, d) for n, d in COMMANDS])
        await application.start()
        try:
            yield running
        finally:
            await application.stop()
            close = getattr(running.broadcaster.budget, "close", None)  # a shared budget's connection
            if close is not None:
                await close()

