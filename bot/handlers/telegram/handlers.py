"""Telegram updates in, Replies out: each handler finds the person, calls the chat layer
once, and queues what it answers in the outbox. No SOP logic lives here.

Each runs inside its update's unit of work (bot/handlers/inbox.py): the answers are written
in the transaction that records the update's effects, and sent once it commits; a tapped
button's popup is shown then too. Nothing here waits on the network after the first write:
a file is downloaded before anything is written."""

from __future__ import annotations

import logging

from telegram import Message, Update
from telegram.ext import ContextTypes

from bot.app import App
from bot.chat import callbacks
from bot.chat.approvals import Approvals, TapResult
from bot.chat.audiences import Audiences, decode_subscribe
from bot.chat.help import unknown_command
from bot.chat.intake import Intake, Who
from bot.chat.linking import Linking
from bot.chat.media import too_big_text
from bot.chat.notify import Notifier
from bot.chat.replies import Reply
from bot.chat.reports import Reports
from bot.chat.roles import Roles
from bot.chat.welcome import welcome
from bot.domain.request import Contact
from bot.handlers import inbox
from bot.handlers.telegram import download, render
from bot.handlers.telegram.updates import popup
from bot.i18n import pick_language, t
from bot.media.upload import TooBig, Upload, cap_for

log = logging.getLogger(__name__)
PLATFORM = "telegram"
IMAGE_OR_VIDEO = ("image/", "video/")


class TelegramHandlers:
    def __init__(self, app: App, notifier: Notifier) -> None:
        self.app = app
        self.intake = Intake(app)
        self.approvals = Approvals(app)
        self.audiences = Audiences(app)
        self.linking = Linking(app)
        self.notifier = notifier

    async def who(self, update: Update) -> Who | None:
        """The person behind the update, created on first sight (None: no user, a channel post).
        Known and unchanged, as for nearly every update, it is one read and no write."""
        user = update.effective_user
        if user is None:
            return None
        person = await self.app.people.meet(
            PLATFORM, user.id, user.full_name, pick_language(user.language_code), user.username or ""
        )
        return Who(person["id"], person["language"], PLATFORM)

    async def reply(self, update: Update, context: ContextTypes.DEFAULT_TYPE, replies: list[Reply]) -> None:
        """Queue the answers to this chat; they go out once the update's transaction commits."""
        chat = update.effective_chat
        if chat is None:  # nowhere to answer (a button under an inline-mode message)
            return
        await self.app.outgoing.send(_chat(chat.id), replies)

    async def ignore(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Updates the bot deliberately leaves alone: Telegram Business chats (a customer
        writing to a business is not writing to this bot, and may never have started it)."""
        log.debug("update %s ignored: %s", update.update_id, _kind(update))

    # Commands -----------------------------------------------------------------------------

    async def start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if who := await self.who(update):
            await self.reply(update, context, await welcome(self.app, who.person_id, who.lang))

    async def submit(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if who := await self.who(update):
            await self.reply(update, context, await self.intake.begin(who))

    async def cancel(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if who := await self.who(update):
            await self.reply(update, context, await self.intake.cancel(who))

    async def status(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if who := await self.who(update):
            await self.reply(update, context, [await self.approvals.status(who.person_id, who.lang)])

    async def queue(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if who := await self.who(update):
            await self.reply(update, context, await self.approvals.queue(who.person_id, who.lang))

    async def join(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if not (who := await self.who(update)):
            return
        await self.reply(update, context, [await Roles(self.app).join(who, list(context.args or []))])

    async def roles(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if who := await self.who(update):
            await self.reply(update, context, [await Roles(self.app).held(who)])

    async def language(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if not (who := await self.who(update)):
            return
        new = "en" if who.lang == "id" else "id"
        await self.app.people.set_language(who.person_id, new)
        await self.reply(update, context, [Reply(t("lang.switched", new))])

    async def report(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if who := await self.who(update):
            asked = " ".join(context.args or [])  # a month, or a request's code for its SOP record
            reply = await Reports(self.app).laporan(who.person_id, who.lang, asked)
            await self.reply(update, context, [reply])

    async def link(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/tautkan: a code for the other platform; /tautkan KODE: link this account."""
        if who := await self.who(update):
            reply = await self.linking.command(who, update.effective_user.id, list(context.args or []))
            await self.reply(update, context, [reply])

    async def prefer(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/utama [line|telegram]: where notices go first."""
        if who := await self.who(update):
            await self.reply(update, context, [await self.linking.prefer(who, list(context.args or []))])

    async def subscribe(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if who := await self.who(update):
            menu = await self.audiences.menu(PLATFORM, update.effective_chat.id, who.lang)
            await self.reply(update, context, [menu])

    async def unsubscribe(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if who := await self.who(update):
            await self.reply(
                update, context, [await self.audiences.stop(PLATFORM, update.effective_chat.id, who.lang)]
            )

    async def register(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/daftarkan [audiences] in a group (by an admin or petugas) or a channel post (then
        confirmed by one with /daftarkan KODE in their private chat)."""
        chat = update.effective_chat
        words = (update.effective_message.text or "").split()[1:]
        if chat.type == "private":
            if who := await self.who(update):
                await self.reply(update, context, [await self.audiences.confirm_target(who.person_id, words,
                                                                                      who.lang)])
            return
        person_id, lang = None, "id"
        if update.effective_user is not None:
            who = await self.who(update)
            if who is None:
                return
            person_id, lang = who.person_id, who.lang
        kind = "channel" if chat.type == "channel" else "group"
        reply = await self.audiences.register_target(
            PLATFORM, chat.id, chat.title or str(chat.id), kind, words, person_id, lang
        )
        await self.reply(update, context, [reply])

    async def unknown(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A /command that none of the above took: a short help, not silence."""
        if who := await self.who(update):
            text = update.effective_message.text or ""
            await self.reply(update, context, await unknown_command(self.intake, who, text))

    # Messages -----------------------------------------------------------------------------

    async def text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if not (who := await self.who(update)):
            return
        message = update.effective_message
        text = message.text or ""
        result = await self.approvals.on_text(who.person_id, who.lang, text, PLATFORM)
        if result is not None:
            await self.after_tap(update, context, result, who.lang)
            return
        await self.reply(update, context, await self.intake.on_text(who, text, _source(message)))

    async def edited(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A message edited in the private chat: never a new answer. If it gave an intake
        answer, the intake corrects that answer; any other edit changes nothing."""
        message = update.edited_message
        if not (message.text or message.photo or message.video or message.document):
            return
        if not (who := await self.who(update)):
            return
        if message.text is not None:
            replies = await self.intake.on_edit(who, _source(message), text=message.text)
        else:
            item, _, _ = _attachment(message)
            replies = await self.intake.on_edit(who, _source(message), file_id=item.file_unique_id)
        await self.reply(update, context, replies)

    async def contact(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if not (who := await self.who(update)):
            return
        shared = update.effective_message.contact
        name = " ".join(part for part in (shared.first_name, shared.last_name) if part)
        contact = Contact(name=name, phone=shared.phone_number)
        await self.reply(update, context, await self.intake.on_contact(who, contact))

    async def file(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A photo, an image or video sent as a file, or a video. Checked and downloaded before
        anything is written (the person's first message may be a poster)."""
        user = update.effective_user
        if user is None:
            return
        known = await self.app.people.known(PLATFORM, user.id)
        message = update.effective_message
        item, filename, mime = _attachment(message)
        media = mime.startswith(IMAGE_OR_VIDEO) or bool(message.photo)
        if not media and not (known and await self.approvals.wants_document(known["id"])):
            who = await self.who(update)
            text = t("intake.unsupported_file", who.lang, name=filename or "-", mime=mime or "?")
            await self.reply(update, context, [Reply(text), *await self.intake.current(who)])
            return
        kind = "image" if message.photo or mime.startswith("image/") else "video" if media else "file"
        cap = cap_for(kind, PLATFORM, self.app.settings.telegram_self_hosted_api)
        try:  # the network first: the update's transaction opens at its first write
            upload = await download.fetch(context.bot, item, cap, self.app.files.incoming())
        except TooBig as too_big:
            who = await self.who(update)
            refusal = Reply(too_big_text(too_big, kind, who.lang))
            await self.reply(update, context, [refusal, *await self.intake.current(who)])
            return
        try:
            await self._hand_in(update, context, upload)
        finally:
            upload.discard()  # stored by now, or not wanted

    async def _hand_in(self, update: Update, context: ContextTypes.DEFAULT_TYPE, upload: Upload) -> None:
        """A received file to the step that asked for it, else to the form in progress."""
        message = update.effective_message
        item, filename, mime = _attachment(message)
        if message.photo:
            render.remember_photo(context.bot, upload.sha256, item.file_id)
        who = await self.who(update)
        result = await self.approvals.on_file(who.person_id, who.lang, upload, filename, mime, PLATFORM)
        if result is not None:
            await self.after_tap(update, context, result, who.lang)
            return
        source, file_id = _source(message), item.file_unique_id  # for a later edit of the message
        replies = await self.intake.on_file(who, upload, filename, mime, source, file_id)
        await self.reply(update, context, replies)

    # Buttons ------------------------------------------------------------------------------

    async def button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query.message is None:  # under a message sent in inline mode: none of the bot's own
            return  # (the spinner is stopped after the commit: bot/handlers/telegram/updates.py)
        if not _in_private_chat(query):  # the bot's buttons are all in private chats; a press
            popup(t("tap.unknown", "id"))  # in a group would answer there
            return
        who = await self.who(update)
        if who is None:
            return
        data = query.data or ""
        if (index := decode_subscribe(data)) is not None:
            menu = await self.audiences.toggle(
                PLATFORM, query.message.chat.id, who.person_id, index, who.lang
            )
            if (card := _card(query)) is None:  # too old to edit: the menu comes again
                await self.reply(update, context, [menu])
                return
            await self.app.outgoing.edit([(_chat(query.message.chat.id), card, menu)])
            return
        if data.startswith("e|"):
            result = await self.approvals.on_evidence_tap(who.person_id, who.lang, data)
            await self.after_tap(update, context, result, who.lang)
            return
        if (intake_button := callbacks.decode_intake(data)) is not None:
            action, value = intake_button
            if action == "revise":
                replies = await self.intake.revise(who, value)
            else:
                replies = await self.intake.on_button(who, action, value)
            await self.reply(update, context, replies)
            return
        result = await self.approvals.on_tap(who.person_id, who.lang, data, PLATFORM)
        await self.after_tap(update, context, result, who.lang)

    async def after_tap(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, result: TapResult, lang: str = "id"
    ) -> None:
        """What a tap (or the reason or file it asked for) did: the popup, shown after the
        commit; then, queued in this update's transaction, the tapped card re-drawn, the
        answers, and every holder's prompt (and the tapped card) saying who decided."""
        query = update.callback_query
        card = _card(query) if query is not None else None
        if query is not None:
            popup(result.popup)
            if result.edit is not None and card is not None:
                await self.app.outgoing.edit([(_chat(card["chat_id"]), card, result.edit)])
        await self.reply(update, context, result.replies)
        if result.decided is not None:
            tapped = (_chat(card["chat_id"]), card) if card is not None else None
            await self.notifier.queue_decided(result.decided, tapped, lang)

    async def error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A handler failed: the update's unit of work is rolled back and the person is told
        (bot/handlers/inbox.py) that their input is not taken and to send it again."""
        handling = inbox.current()
        if handling is not None and context.error is not None:
            handling.failed = context.error
        else:
            log.error("update failed outside the inbox", exc_info=context.error)


def _chat(chat_id: int | str) -> str:
    return f"{PLATFORM}:{chat_id}"


def _card(query) -> dict | None:
    """The message a button was on, as an edit names it; None if it can no longer be edited."""
    message = _tapped(query)
    if message is None:
        return None
    return {"platform": PLATFORM, "chat_id": message.chat_id, "message_id": message.message_id,
            "has_media": render.is_media(message)}


def _source(message: Message) -> str:
    """The key an intake answer remembers its message by (message ids are per chat, and a
    person's intake happens in their one private chat with the bot)."""
    return f"{PLATFORM}:{message.message_id}"


def _tapped(query) -> Message | None:
    """The message whose button was pressed, if the bot can still see it (an inaccessible
    one, date 0, is too old or deleted: it can be neither read nor edited)."""
    return query.message if isinstance(query.message, Message) else None


def _kind(update: Update) -> str:
    return next((name for name in Update.ALL_TYPES if getattr(update, name, None) is not None), "?")


def _in_private_chat(query) -> bool:
    """Whether the pressed message is in a private chat with the bot (Telegram lets a person
    press only under messages of their own chats). Callback data can name anything, and
    answers go to the chat the message is in: a forged press under a message in a group
    must not post someone's draft or request there."""
    message = query.message
    return message is not None and message.chat.type == "private"


def _attachment(message):
    if message.photo:
        return message.photo[-1], "photo.jpg", "image/jpeg"
    if message.video:
        return message.video, message.video.file_name or "video.mp4", message.video.mime_type or "video/mp4"
    document = message.document
    return document, document.file_name or "", document.mime_type or ""
