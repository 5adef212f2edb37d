"""Builds the python-telegram-bot Application around the core, and runs it."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

from telegram import Bot, BotCommand, Update
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.app import App
from bot.broadcast.telegram import TelegramBroadcaster
from bot.chat.approvals import Approvals
from bot.chat.notify import Notifier
from bot.chat.reports import Reports
from bot.handlers.telegram.handlers import TelegramHandlers
from bot.handlers.telegram.processor import PerUserOrder
from bot.handlers.telegram.sender import TelegramSender
from bot.services.deadlines import Deadlines

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
]


@dataclass
class Running:
    application: Application
    notifier: Notifier
    broadcaster: TelegramBroadcaster

    def wake(self) -> None:
        self.notifier.wake()
        self.broadcaster.wake()


def build(app: App, rate_limit: bool = True) -> Running:
    settings = app.settings
    builder = (
        ApplicationBuilder()
        .token(settings.telegram_token.get_secret_value())
        .base_url(settings.telegram_api_url)
        .base_file_url(settings.telegram_file_url)
        .concurrent_updates(PerUserOrder())
    )
    if settings.telegram_self_hosted_api:
        builder = builder.local_mode(True)
    if rate_limit:
        builder = builder.rate_limiter(AIORateLimiter(max_retries=3))
    application = builder.build()
    notifier = Notifier(app, Approvals(app), {"telegram": TelegramSender(application.bot, app.files)})
    # push-info paces itself, so its bot has no rate limiter of its own in the way
    broadcast_bot = Bot(
        settings.telegram_token.get_secret_value(),
        base_url=settings.telegram_api_url,
        base_file_url=settings.telegram_file_url,
        local_mode=settings.telegram_self_hosted_api,
    )
    running = Running(application, notifier, TelegramBroadcaster(app, broadcast_bot))
    handlers = TelegramHandlers(app, notifier, running.wake)
    private = filters.ChatType.PRIVATE
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
    ):
        application.add_handler(CommandHandler(name, method, filters=private))
    application.add_handler(CommandHandler("daftarkan", handlers.register, filters=filters.ChatType.GROUPS))
    channel_register = filters.UpdateType.CHANNEL_POST & filters.Regex(r"^/daftarkan(@\w+)?(\s|$)")
    application.add_handler(MessageHandler(channel_register, handlers.register))
    application.add_handler(CallbackQueryHandler(handlers.button))
    application.add_handler(MessageHandler(private & filters.CONTACT, handlers.contact))
    media = filters.PHOTO | filters.VIDEO | filters.Document.ALL
    application.add_handler(MessageHandler(private & media, handlers.file))
    application.add_handler(MessageHandler(private & filters.TEXT & ~filters.COMMAND, handlers.text))
    application.add_error_handler(handlers.error)
    return running


async def serve(app: App, stop: asyncio.Event) -> None:
    """Run until `stop` is set: polling (or a webhook), the senders and the deadline timers."""
    running = build(app)
    application, settings = running.application, app.settings
    async with application, running.broadcaster.bot:
        await application.bot.set_my_commands([BotCommand(n, d) for n, d in COMMANDS])
        await application.start()
        if settings.telegram_webhook_url:
            secret = settings.telegram_webhook_secret
            await application.updater.start_webhook(
                listen=settings.telegram_listen,
                port=settings.telegram_port,
                webhook_url=settings.telegram_webhook_url,
                secret_token=secret.get_secret_value() if secret else None,
                allowed_updates=Update.ALL_TYPES,
            )
        else:
            await application.updater.start_polling(allowed_updates=Update.ALL_TYPES)
        deadlines = Deadlines(app.db, app.flow, app.clock, on_fired=running.wake,
                              monthly=Reports(app).queue_monthly, poll=settings.timer_poll_seconds)
        senders = [
            asyncio.create_task(running.notifier.run()),
            asyncio.create_task(running.broadcaster.run()),
            asyncio.create_task(deadlines.run()),
        ]
        try:
            await stop.wait()
        finally:
            for sender in senders:
                sender.cancel()
            for sender in senders:
                with contextlib.suppress(asyncio.CancelledError):
                    await sender
            await application.updater.stop()
            await application.stop()
