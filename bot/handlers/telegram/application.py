"""Builds the python-telegram-bot Application around the core, and runs it."""

from __future__ import annotations

import asyncio
import contextlib

from telegram import BotCommand, Update
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
from bot.chat.approvals import Approvals
from bot.handlers.telegram.handlers import TelegramHandlers
from bot.handlers.telegram.notify import Notifier
from bot.handlers.telegram.processor import PerUserOrder

COMMANDS = [
    ("start", "Mulai / Start"),
    ("ajukan", "Ajukan permohonan publikasi / Request a publication"),
    ("status", "Permohonan saya / My requests"),
    ("antrian", "Menunggu tindakan saya / Waiting for me"),
    ("batal", "Batalkan pengisian / Cancel the form"),
    ("gabung", "Gabung dengan kode undangan / Join with an invite code"),
    ("peran", "Peran saya / My roles"),
    ("bahasa", "Bahasa / Language"),
]


def build(app: App, rate_limit: bool = True) -> tuple[Application, Notifier]:
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
    notifier = Notifier(app, Approvals(app), application.bot)
    handlers = TelegramHandlers(app, notifier)
    private = filters.ChatType.PRIVATE
    for name, method in (
        ("start", handlers.start), ("ajukan", handlers.submit), ("batal", handlers.cancel),
        ("status", handlers.status), ("antrian", handlers.queue), ("gabung", handlers.join),
        ("peran", handlers.roles), ("bahasa", handlers.language),
    ):
        application.add_handler(CommandHandler(name, method, filters=private))
    application.add_handler(CallbackQueryHandler(handlers.button))
    application.add_handler(MessageHandler(private & filters.CONTACT, handlers.contact))
    media = filters.PHOTO | filters.VIDEO | filters.Document.ALL
    application.add_handler(MessageHandler(private & media, handlers.file))
    application.add_handler(MessageHandler(private & filters.TEXT & ~filters.COMMAND, handlers.text))
    application.add_error_handler(handlers.error)
    return application, notifier


async def serve(app: App, stop: asyncio.Event) -> None:
    """Run until `stop` is set: polling (or a webhook), plus the notice sender."""
    application, notifier = build(app)
    settings = app.settings
    async with application:
        await application.bot.set_my_commands([BotCommand(n, d) for n, d in COMMANDS])
        await application.start()
        if settings.telegram_webhook_url:
            secret = settings.telegram_webhook_secret
            await application.updater.start_webhook(
                listen=settings.telegram_listen, port=settings.telegram_port,
                webhook_url=settings.telegram_webhook_url,
                secret_token=secret.get_secret_value() if secret else None,
                allowed_updates=Update.ALL_TYPES,
            )
        else:
            await application.updater.start_polling(allowed_updates=Update.ALL_TYPES)
        sender = asyncio.create_task(notifier.run())
        try:
            await stop.wait()
        finally:
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender
            await application.updater.stop()
            await application.stop()
