"""LINE webhook events in, Replies out: each event finds the person, calls the chat layer
once, and queues what it answers in the outbox. No SOP logic lives here.

An event is handled from the inbox (bot/handlers/inbox.py), inside its unit of work: its
answers are one outbox row written with its effects, sent after the commit with the event's
reply token while that is fresh (REPLY_WITHIN of the event's arrival), by push after. Anything
fetched from LINE (a profile, a poster, a group's name) is fetched before anything is written.

Commands are typed as on Telegram (`/ajukan`), or without the slash when the message is the
command alone (`ajukan`, `batal`) or with the one argument it takes (`gabung KODE`,
`tautkan KODE`, `utama line`), so that an answer like "Status Gizi Balita" stays an answer.
"""

from __future__ import annotations

import asyncio
import json
import logging
import mimetypes
import re
from datetime import date, datetime

from linebot.v3.messaging import AsyncMessagingApi, AsyncMessagingApiBlob
from linebot.v3.messaging.exceptions import ApiException
from linebot.v3.models.events import UnknownEvent
from linebot.v3.webhooks import (
    AudioMessageContent,
    Event,
    FileMessageContent,
    FollowEvent,
    GroupSource,
    ImageMessageContent,
    MessageEvent,
    PostbackEvent,
    RoomSource,
    TextMessageContent,
    UnfollowEvent,
    UserSource,
    VideoMessageContent,
)

from bot.app import App
from bot.chat import callbacks
from bot.chat.approvals import Approvals, TapResult
from bot.chat.audiences import Audiences, decode_subscribe
from bot.chat.help import looks_like_command, unknown_command
from bot.chat.intake import Intake, Who
from bot.chat.linking import Linking
from bot.chat.media import too_big_text
from bot.chat.notify import Notifier
from bot.chat.replies import Reply, to_payload
from bot.chat.reports import Reports, parse_month
from bot.chat.roles import Roles
from bot.chat.welcome import welcome
from bot.domain.rules import format_date
from bot.handlers.line.content import GONE, ContentGone, fetch_content
from bot.handlers.line.external import ExternalRefused, fetch_external
from bot.handlers.line.sender import PLATFORM, LineSender
from bot.i18n import pick_language, t
from bot.media.limits import EXTERNAL_IMAGE_MAX_BYTES, EXTERNAL_VIDEO_MAX_BYTES
from bot.media.upload import TooBig, Upload, cap_for
from bot.services.people import PLATFORMS
from storage.inbox_repos import InboxRow, Incoming

log = logging.getLogger(__name__)
REPLY_WITHIN = 50.0  # seconds: LINE takes a reply token for about a minute after the event
IMAGE_OR_VIDEO = ("image/", "video/")
TRANSCODING_TRIES = 30  # a user's video may still be converting when its event arrives
COMMANDS = ("start", "mulai", "ajukan", "batal", "status", "antrian", "gabung", "peran", "bahasa",
            "langganan", "berhenti", "tautkan", "utama", "laporan", "daftarkan")
CODE = re.compile(r"[A-Za-z0-9]{4,16}")

Answer = list[Reply] | TapResult
Content = tuple[Upload, str]  # a file the user sent, received onto disk, and its content type
Fetched = Content | ExternalRefused | ContentGone | TooBig | None  # None: no file, or none the bot takes


def incoming(event: dict) -> Incoming:
    """A webhook event as the inbox stores it: keyed by its webhookEventId, in order per chat."""
    return Incoming(PLATFORM, str(event["webhookEventId"]), _chat_key(event.get("source") or {}),
                    json.dumps(event, ensure_ascii=False))


def _chat_key(source: dict) -> str:
    return str(source.get("groupId") or source.get("roomId") or source.get("userId") or "")


class LineSource:
    """The inbox worker's way into LineHandlers."""

    source = PLATFORM

    def __init__(self, handlers: LineHandlers) -> None:
        self.handlers = handlers

    async def handle(self, row: InboxRow) -> None:
        await self.handlers.handle(_event(row.payload), _epoch(row.received_at))

    def apology(self, row: InboxRow) -> tuple[str, dict] | None:
        """To the user whose event failed, with its reply token if still fresh (nothing else
        used it: the event's own answers were rolled back)."""
        event = json.loads(row.payload)
        source = event.get("source") or {}
        if source.get("type") != "user" or not source.get("userId"):
            return None
        payload = {"op": "send", "replies": [to_payload(Reply(t("error.internal", "id")))], "lang": "id",
                   **_token(event.get("replyToken"), _epoch(row.received_at))}
        return f"{PLATFORM}:{source['userId']}", payload


def _event(payload: str) -> Event:
    data = json.loads(payload)
    try:
        return Event.from_dict(data)
    except ValueError:  # a kind this SDK does not know: nothing to answer
        return UnknownEvent.new_from_json_dict(data)


def _epoch(stored: str) -> float:
    return datetime.fromisoformat(stored).timestamp()


def _token(reply_token: str | None, received_at: float) -> dict:
    """The reply token and until when it may be used (epoch seconds), for the outbox row."""
    return {"reply_token": reply_token, "token_until": received_at + REPLY_WITHIN} if reply_token else {}


def parse_command(text: str) -> tuple[str, list[str]] | None:
    """(command, arguments) for a typed command, else None."""
    words = text.split()
    if not words:
        return None
    slash = words[0].startswith("/")
    name, args = words[0].lstrip("/").lower(), words[1:]
    if name not in COMMANDS:
        return None
    if slash or not args:
        return name, args
    if len(args) == 1 and name in ("gabung", "tautkan", "daftarkan") and CODE.fullmatch(args[0]):
        return name, args
    if len(args) == 1 and name == "utama" and args[0].lower() in PLATFORMS:
        return name, args
    if name == "laporan" and parse_month(" ".join(args), date.today()) is not None:
        return name, args  # "laporan bulan ini", "laporan 2026-11"
    return None


class LineHandlers:
    def __init__(self, app: App, notifier: Notifier, sender: LineSender, blob: AsyncMessagingApiBlob) -> None:
        self.app = app
        self.notifier = notifier
        self.sender = sender
        self.api: AsyncMessagingApi = sender.api
        self.blob = blob
        self.intake = Intake(app)
        self.approvals = Approvals(app)
        self.audiences = Audiences(app)
        self.linking = Linking(app)

    # One event ------------------------------------------------------------------------------

    async def handle(self, event: Event, received_at: float) -> None:
        """Answer one event; `received_at`: when it was stored (epoch seconds), which says
        whether its reply token may still be used. Event types the bot has nothing to do with
        (unsend, beacon, membership, module, delivery...) are left alone, and so is every
        event in standby mode, when another channel (a module) has the chat: the bot must not
        answer then."""
        source = getattr(event, "source", None)
        if not isinstance(event, HANDLED) or _mode(event) == "standby":
            return
        if isinstance(source, GroupSource | RoomSource):
            await self.in_group(event, source, received_at)
            return
        if not isinstance(source, UserSource) or not source.user_id:
            return
        if isinstance(event, UnfollowEvent):
            await self.audiences.unfollow(PLATFORM, source.user_id)
            return
        content = await self.content_of(event, source.user_id)  # fetched before anything is written
        try:
            who = await self.who(source.user_id)
            answer = await self.dispatch(who, source.user_id, event, content)
            tap = answer if isinstance(answer, TapResult) else None
            replies = tap_replies(tap) if tap else answer
            await self.send(source.user_id, event, received_at, who.lang, replies)
            if tap is not None and tap.decided is not None:
                await self.notifier.queue_decided(tap.decided)
        finally:
            if isinstance(content, tuple):
                content[0].discard()  # stored by now, or not wanted

    async def who(self, user_id: str) -> Who:
        """The person behind the event, created on first sight (with their LINE profile's name
        and language)."""
        person = await self.app.people.known(PLATFORM, user_id)
        # a role granted from the command line made the person nameless: LINE knows the name
        name, language = ("", None) if person and person["name"] else await self._profile(user_id)
        person = await self.app.people.meet(PLATFORM, user_id, name, pick_language(language))
        return Who(person["id"], person["language"], PLATFORM)

    async def dispatch(self, who: Who, user_id: str, event: Event,
                       content: Fetched = None) -> Answer:
        if isinstance(event, FollowEvent):
            audiences = await self.audiences.follow(PLATFORM, user_id, who.person_id)
            followed = t("line.followed", who.lang, audiences=", ".join(audiences) or "-")
            return [*await welcome(self.app, who.person_id, who.lang), Reply(followed)]
        if isinstance(event, PostbackEvent):
            return await self.postback(who, user_id, event.postback.data, event.postback.params or {})
        if not isinstance(event, MessageEvent):
            return []
        message = event.message
        if isinstance(message, TextMessageContent):
            return await self.text(who, user_id, message.text or "")
        if isinstance(message, ImageMessageContent | VideoMessageContent | FileMessageContent
                      | AudioMessageContent):
            return await self.file(who, message, content)
        return []  # stickers, locations: nothing to answer

    async def send(self, to: str, event: Event, received_at: float, lang: str,
                   replies: list[Reply]) -> None:
        """Queue the answers as one outbox row: sent after the commit, with the event's reply
        token while it is fresh."""
        token = _token(getattr(event, "reply_token", None), received_at)
        await self.app.outgoing.send(f"{PLATFORM}:{to}", replies, together=True, lang=lang, **token)

    # Text -----------------------------------------------------------------------------------

    async def text(self, who: Who, user_id: str, text: str) -> Answer:
        command = parse_command(text)
        if command is not None:
            return await self.command(who, user_id, *command)
        if looks_like_command(text):  # /something unknown: a short help, not an answer
            return await unknown_command(self.intake, who, text)
        result = await self.approvals.on_text(who.person_id, who.lang, text, PLATFORM)
        if result is not None:
            return result
        return await self.intake.on_text(who, text)

    async def command(self, who: Who, user_id: str, name: str, args: list[str]) -> Answer:
        lang = who.lang
        if name in ("start", "mulai"):
            return await welcome(self.app, who.person_id, lang)
        if name == "ajukan":
            return await self.intake.begin(who)
        if name == "batal":
            return await self.intake.cancel(who)
        if name == "status":
            return [await self.approvals.status(who.person_id, lang)]
        if name == "antrian":
            return await self.approvals.queue(who.person_id, lang)
        if name == "gabung":
            return [await self.join(who, args)]
        if name == "peran":
            return [await self.roles(who)]
        if name == "bahasa":
            new = "en" if lang == "id" else "id"
            await self.app.people.set_language(who.person_id, new)
            return [Reply(t("lang.switched", new))]
        if name == "langganan":
            return [await self.audiences.menu(PLATFORM, user_id, lang)]
        if name == "berhenti":
            return [await self.audiences.stop(PLATFORM, user_id, lang)]
        if name == "tautkan":
            return [await self.linking.command(who, user_id, args)]
        if name == "utama":
            return [await self.linking.prefer(who, args)]
        if name == "daftarkan":  # KODE: confirms a Telegram channel's /daftarkan
            return [await self.audiences.confirm_target(who.person_id, args, lang)]
        return [await Reports(self.app).laporan(who.person_id, lang, " ".join(args))]  # laporan

    async def join(self, who: Who, args: list[str]) -> Reply:
        return await Roles(self.app).join(who, args)

    async def roles(self, who: Who) -> Reply:
        return await Roles(self.app).held(who)

    # Buttons --------------------------------------------------------------------------------

    async def postback(self, who: Who, user_id: str, data: str, params: dict[str, str]) -> Answer:
        if (index := decode_subscribe(data)) is not None:
            return [await self.audiences.toggle(PLATFORM, user_id, who.person_id, index, who.lang)]
        if callbacks.decode_evidence(data) is not None:
            return await self.approvals.on_evidence_tap(who.person_id, who.lang, data)
        if (intake_button := callbacks.decode_intake(data)) is not None:
            action, value = intake_button
            if action == "revise":
                return await self.intake.revise(who, value)
            if action == "date" and params.get("date"):  # the datetime picker's answer
                value = _picked_date(params["date"]) or value
            return await self.intake.on_button(who, action, value)
        return await self.approvals.on_tap(who.person_id, who.lang, data, PLATFORM)

    # Files ----------------------------------------------------------------------------------

    async def file(self, who: Who, message, content: Fetched) -> Answer:
        """A photo, a video, or a file, fetched from LINE's content API (`content_of`)."""
        filename = getattr(message, "file_name", None) or _default_name(message)
        guessed = mimetypes.guess_type(filename)[0] or ""
        if content is None:
            return [Reply(t("intake.unsupported_file", who.lang, name=filename, mime=guessed or "?"))]
        if isinstance(content, ExternalRefused | ContentGone):
            return [Reply(content.message(who.lang)), *await self.intake.current(who)]
        if isinstance(content, TooBig):
            kind = _kind(message, guessed)
            return [Reply(too_big_text(content, kind, who.lang)), *await self.intake.current(who)]
        upload, mime = content
        mime = mime if mime.startswith(IMAGE_OR_VIDEO) else guessed or mime
        result = await self.approvals.on_file(who.person_id, who.lang, upload, filename, mime, PLATFORM)
        if result is not None:
            return result
        return await self.intake.on_file(who, upload, filename, mime)

    async def content_of(self, event: Event, user_id: str) -> Fetched:
        """The file a message event carries, on disk, if it is one the bot takes (an image or
        video, or a document a step waits for); for one that cannot be fetched (a link that
        fails, a file over its cap), why."""
        message = getattr(event, "message", None)
        if not isinstance(event, MessageEvent) or not isinstance(
            message, ImageMessageContent | VideoMessageContent | FileMessageContent
        ):
            return None
        filename = getattr(message, "file_name", None) or _default_name(message)
        guessed = mimetypes.guess_type(filename)[0] or ""
        if isinstance(message, FileMessageContent) and not guessed.startswith(IMAGE_OR_VIDEO):
            known = await self.app.people.known(PLATFORM, user_id)
            if not (known and await self.approvals.wants_document(known["id"])):
                return None
        try:
            return await self.content(message, cap_for(_kind(message, guessed), PLATFORM))
        except (ExternalRefused, ContentGone, TooBig) as refused:
            return refused

    async def content(self, message, cap: int) -> Content:
        """The file a user sent, on disk (at most `cap` bytes: TooBig), and its content type.
        A video is fetched once LINE has finished converting it; media sent as a link, from
        the link (or ExternalRefused)."""
        folder = self.app.files.incoming()
        provider = getattr(message, "content_provider", None)
        if provider is not None and provider.type == "external":
            video = isinstance(message, VideoMessageContent)
            cap = EXTERNAL_VIDEO_MAX_BYTES if video else EXTERNAL_IMAGE_MAX_BYTES
            return await fetch_external(provider.original_content_url or "", cap, folder,
                                        allow_private=self.app.settings.line_fetch_private_urls)
        if (getattr(message, "file_size", None) or 0) > cap:  # a file message says its size
            raise TooBig(cap, message.file_size)
        if isinstance(message, VideoMessageContent):
            await self._transcoded(message.id)
        settings = self.app.settings
        return await fetch_content(settings.line_data_url, settings.line_access_token.get_secret_value(),
                                   message.id, cap, folder)

    async def _transcoded(self, message_id: str) -> None:
        """Wait (a little) until LINE has finished converting a video."""
        for _ in range(TRANSCODING_TRIES):
            try:
                status = await self.blob.get_message_content_transcoding_by_message_id(message_id)
            except ApiException as exc:
                if exc.status in GONE:
                    raise ContentGone(f"LINE transcoding: HTTP {exc.status} for {message_id}") from exc
                raise
            if status.status != "processing":
                return
            await asyncio.sleep(1.0)

    # Groups ---------------------------------------------------------------------------------

    async def in_group(self, event: Event, source: GroupSource | RoomSource, received_at: float) -> None:
        """In a group or room the bot answers one command only: /daftarkan [audiences], which
        registers the chat as a push-info target (by an admin or the petugas)."""
        message = getattr(event, "message", None)
        if not isinstance(event, MessageEvent) or not isinstance(message, TextMessageContent):
            return
        words = (message.text or "").split()
        if not words or words[0].lower() != "/daftarkan" or not source.user_id:
            return
        chat_id = source.group_id if isinstance(source, GroupSource) else source.room_id
        title = chat_id
        if isinstance(source, GroupSource):
            try:
                title = (await self.api.get_group_summary(chat_id)).group_name
            except ApiException:
                log.warning("no summary for LINE group %s", chat_id)
        who = await self.who(source.user_id)
        reply = await self.audiences.register_target(PLATFORM, chat_id, title, "group", words[1:],
                                                     who.person_id, who.lang)
        await self.send(chat_id, event, received_at, who.lang, [reply])

    # Helpers --------------------------------------------------------------------------------

    async def _profile(self, user_id: str) -> tuple[str, str | None]:
        """(display name, language) from LINE; empty when LINE will not say."""
        try:
            profile = await self.api.get_profile(user_id)
        except ApiException as exc:
            log.info("no LINE profile for %s: %s", user_id, exc.status)
            return "", None
        return profile.display_name or "", profile.language


HANDLED = (FollowEvent, UnfollowEvent, PostbackEvent, MessageEvent)


def _mode(event: Event) -> str:
    mode = getattr(event, "mode", None)
    return str(getattr(mode, "value", mode) or "active")


def tap_replies(result: TapResult) -> list[Reply]:
    """A tap's answer as messages: LINE has no popups and cannot edit the tapped card, so the
    popup comes as a message (unless a reply says the same), and a re-drawn card only when
    there is no popup to say what changed (the card's buttons still work)."""
    replies = list(result.replies)
    first = []
    if result.popup and all(reply.text != result.popup for reply in replies):
        first.append(Reply(result.popup))
    if result.edit is not None and not result.popup:
        first.append(result.edit)
    return first + replies


def _picked_date(value: str) -> str | None:
    try:
        return format_date(date.fromisoformat(value))
    except ValueError:
        return None


def _kind(message, guessed: str) -> str:
    """What the file is taken as, for its download cap: a video, an image, or a document."""
    if isinstance(message, VideoMessageContent) or guessed.startswith("video/"):
        return "video"
    if isinstance(message, FileMessageContent) and not guessed.startswith(IMAGE_OR_VIDEO):
        return "file"
    return "image"


def _default_name(message) -> str:
    if isinstance(message, VideoMessageContent):
        return "line-video.mp4"
    return "line-image.jpg"
