"""A fake Telegram Bot API server for end-to-end tests and the sandbox.

The real python-telegram-bot Application talks to it over HTTP::

    server = TelegramEmulator(token="123:ABC")
    await server.start()
    app = (ApplicationBuilder().token(server.token).base_url(server.base_url)
           .base_file_url(server.base_file_url).build())
    sari = server.user(1001, "Sari", language_code="id")
    await sari.send("/start")
    reply = await sari.next_message()

Every call is checked against the official spec (see ``telegram_spec``); calls that break it
land in ``server.violations``, real Telegram errors the bot must cope with in ``server.errors``.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import hashlib
import io
import itertools
import logging
import math
import time
from collections import Counter, defaultdict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web
from PIL import Image

from bot.emulator.telegram_spec import (
    ApiError,
    BotApiSpec,
    Upload,
    bad_request,
    parse_entities,
    utf16_len,
)
from bot.emulator.telegram_webhook import WebhookPusher

log = logging.getLogger(__name__)

OutputCallback = Callable[[str, dict[str, Any]], Awaitable[None]]
Message = dict[str, Any]

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
MAX_DOWNLOAD = 20 * 1024 * 1024  # getFile refuses bigger files
ADMIN = ("creator", "administrator")
# What getUpdates delivers when allowed_updates was never set (or set to []).
DEFAULT_UPDATES = {"chat_member", "message_reaction", "message_reaction_count"}
CHAT_ACTIONS = {
    "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
    "upload_document", "choose_sticker", "find_location", "record_video_note",
    "upload_video_note",
}
# Keys of a message that are about where/when it was sent rather than what it shows.
ENVELOPE = {
    "message_id", "date", "chat", "from", "sender_chat", "reply_to_message", "edit_date",
    "forward_origin", "reply_markup", "media_group_id",
}
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)


@dataclass
class RateLimits:
    """Telegram's documented broadcast limits; ``server.limits = RateLimits()`` enables them."""

    per_second: int = 30  # all chats together
    group_per_minute: int = 20  # per group or channel
    private_per_second: int = 1  # per private chat
    group_window: float = 60.0  # seconds of a group's "minute" (tests shorten it)


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    data: bytes
    file_path: str
    kind: str  # photo, video or document
    mime_type: str | None = None
    file_name: str | None = None
    width: int = 0
    height: int = 0
    photo_sizes: list[dict[str, Any]] | None = None  # shared by all sizes of one photo


@dataclass
class _Failure:
    method: str
    error: ApiError | None  # None: no answer at all (a hang, see hang_next)
    times: int
    chat_id: int | None
    deliver: bool = False  # a hang after the call took effect (its answer is what is lost)


@dataclass(frozen=True)
class Accepted:
    """A send that passed flood control: when (the emulator's clock, as flood control read it),
    to which chat, how many messages (an album counts each)."""

    at: float
    chat_id: int
    count: int
    method: str


@dataclass
class _Call:
    method: str
    params: dict[str, Any]
    attachments: dict[str, Upload] = field(default_factory=dict)
    client_gone: Callable[[], bool] = lambda: False


class SimUser:
    """A person using the bot from their own Telegram client."""

    def __init__(self, server: TelegramEmulator, user_id: int, first_name: str, **extra: Any):
        self.server = server
        self.id = user_id
        self.first_name = first_name
        self.extra = {k: v for k, v in extra.items() if v is not None}
        self.started = False  # Telegram lets a bot write only to users who wrote first
        self._seen = 0  # message_id of the last bot message next_message() returned

    def info(self) -> dict[str, Any]:
        """The User object."""
        return {"id": self.id, "is_bot": False, "first_name": self.first_name, **self.extra}

    def chat_info(self) -> dict[str, Any]:
        """The private Chat object (no language_code there)."""
        names = {k: v for k, v in self.extra.items() if k in ("last_name", "username")}
        return {"id": self.id, "type": "private", "first_name": self.first_name, **names}

    @property
    def messages(self) -> list[Message]:
        """Bot messages in this user's private chat as shown now: edits applied, deletes gone."""
        return list(self.server.outputs.get(self.id, []))

    @property
    def keyboard(self) -> dict[str, Any] | None:
        """The reply keyboard the bot last set in this user's private chat."""
        return self.server.reply_keyboards.get(self.id)

    async def send(self, text: str, *, chat: SimChat | None = None) -> Message:
        entities = []
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            entities.append({"type": "bot_command", "offset": 0, "length": utf16_len(command)})
        content: dict[str, Any] = {"text": text}
        if entities:
            content["entities"] = entities
        return await self.server._user_message(self, chat, content)

    async def send_photo(
        self, data: bytes, caption: str | None = None, *, chat: SimChat | None = None
    ) -> Message:
        stored = self.server._store_file(data, "photo", mime_type="image/jpeg")
        return await self.server._user_message(
            self, chat, {"photo": stored.photo_sizes, **_caption(caption)}
        )

    async def send_document(
        self,
        data: bytes,
        file_name: str = "document.pdf",
        mime_type: str = "application/pdf",
        caption: str | None = None,
        *,
        chat: SimChat | None = None,
    ) -> Message:
        stored = self.server._store_file(data, "document", file_name=file_name, mime_type=mime_type)
        content = {"document": self.server._media_object(stored), **_caption(caption)}
        return await self.server._user_message(self, chat, content)

    async def send_video(
        self,
        data: bytes,
        caption: str | None = None,
        *,
        file_name: str = "video.mp4",
        mime_type: str = "video/mp4",
        duration: int = 5,
        width: int = 1280,
        height: int = 720,
        chat: SimChat | None = None,
    ) -> Message:
        stored = self.server._store_file(data, "video", file_name=file_name, mime_type=mime_type)
        stored.width, stored.height = width, height
        video = {**self.server._media_object(stored), "duration": duration}
        return await self.server._user_message(self, chat, {"video": video, **_caption(caption)})

    async def share_contact(self, phone: str, first_name: str | None = None) -> Message:
        contact = {
            "phone_number": phone,
            "first_name": first_name or self.first_name,
            "user_id": self.id,
        }
        return await self.server._user_message(self, None, {"contact": contact})

    async def edit(self, message: Message | int, text: str | None = None, **changes: Any) -> Message:
        """Edit a message this user sent: new ``text`` (or caption, for a media message) and
        any other ``changes`` (say ``link_preview_options``); the bot gets ``edited_message``.
        With neither, the edit changes nothing the bot reads, as a link preview loading does."""
        return await self.server._user_edit(self, message, text, changes)

    async def tap(self, message: Message | int, button_text: str) -> str:
        """Press an inline button of a bot message; returns the callback query id."""
        return await self.server._tap(self, message, button_text)

    async def next_message(self, timeout: float = 5.0) -> Message:  # noqa: ASYNC109
        """The next bot message in this private chat that this method has not returned yet."""

        def unseen() -> Message | None:
            return next((m for m in self.messages if m["message_id"] > self._seen), None)

        message = await self.server.wait_for(unseen, timeout=timeout, what=f"a message to {self}")
        self._seen = message["message_id"]
        return message

    def __repr__(self) -> str:
        return f"<SimUser {self.id} {self.first_name}>"


class SimChat:
    """A group, supergroup or channel. Members map user id to status (the bot included)."""

    def __init__(self, server: TelegramEmulator, chat_id: int, title: str, kind: str, **extra):
        self.server = server
        self.id = chat_id
        self.title = title
        self.type = kind
        self.extra = {k: v for k, v in extra.items() if v is not None}
        self.members: dict[int, str] = {}

    def info(self) -> dict[str, Any]:
        return {"id": self.id, "type": self.type, "title": self.title, **self.extra}

    @property
    def messages(self) -> list[Message]:
        return list(self.server.outputs.get(self.id, []))

    def add_member(self, user: SimUser, status: str = "member") -> None:
        self.members[user.id] = status

    def add_bot(self, *, admin: bool = False, by: SimUser | None = None) -> None:
        """Add the bot (as administrator if ``admin``); the bot gets a my_chat_member update."""
        self.set_bot_status("administrator" if admin else "member", by=by)

    def set_bot_status(self, status: str, *, by: SimUser | None = None) -> None:
        old = self.members.get(self.server.bot_id, "left")
        self.members[self.server.bot_id] = status
        self.server._member_update(self.info(), old, status, by.info() if by else None)


class TelegramEmulator:
    """The fake Bot API: an aiohttp app plus the state of users, chats, messages and files."""

    def __init__(
        self,
        token: str = "123:ABC",
        *,
        username: str = "humas_test_bot",
        first_name: str = "Humas Bot",
        specs_dir: Path | None = None,
        limits: RateLimits | None = None,
        privacy_mode: bool = True,
        latency: float = 0.0,
        push_webhook: bool = False,
    ) -> None:
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_user = {"id": self.bot_id, "is_bot": True, "first_name": first_name,
                         "username": username}
        self.spec = BotApiSpec.load(specs_dir)
        self.limits = limits  # None: no flood control
        self.privacy_mode = privacy_mode  # non-admin bots see only commands in groups
        self.clock: Callable[[], float] = time.monotonic  # tests may move it
        # seconds of network round trip: half before a call is handled, half before its answer
        self.latency = latency
        # POST updates to the webhook the bot sets, as Telegram does (bot/emulator/telegram_webhook.py)
        self.pusher = WebhookPusher(self) if push_webhook else None

        self.violations: list[dict[str, Any]] = []  # calls that break the spec: test bugs
        self.errors: list[dict[str, Any]] = []  # real Telegram errors the bot had to handle
        self.accepted: list[Accepted] = []  # every send flood control let through, in order
        self.sends_in_flight = 0  # send* calls being handled now (latency included)
        self.sends_in_flight_peak = 0  # the most at once: how many a sender keeps out together
        self.calls: list[_Call] = []  # every call that passed the spec check
        self.users: dict[int, SimUser] = {}
        self.chats: dict[int, SimChat] = {}
        self.outputs: dict[int, list[Message]] = defaultdict(list)  # visible bot messages
        self.edit_history: dict[tuple[int, int], list[Message]] = defaultdict(list)
        self.deleted: list[Message] = []
        self.delivered: Counter[int] = Counter()  # accepted sends per chat
        self.callback_answers: dict[str, dict[str, Any]] = {}
        self.chat_actions: list[tuple[int, str]] = []
        self.reply_keyboards: dict[int, dict[str, Any]] = {}
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.webhook: dict[str, Any] = {"url": ""}
        self.files: dict[str, StoredFile] = {}
        self.pinned: dict[int, int] = {}  # chat id -> pinned message id
        self.blocked: set[int] = set()
        self.deactivated: set[int] = set()
        self.on_output: list[OutputCallback] = []

        self._messages: dict[int, dict[int, Message]] = defaultdict(dict)  # every message
        self._next_message_id: Counter[int] = Counter()
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._ids = itertools.count(1)
        self._allowed_updates: list[str] = []
        self._open_queries: dict[str, dict[str, Any]] = {}
        self._failures: list[_Failure] = []
        self._downloads_held: asyncio.Event | None = None  # set: held file downloads go on
        self.downloads_waiting = 0  # file downloads held right now
        self._sent_at: dict[tuple[str, int], deque[float]] = defaultdict(deque)
        self._changed = asyncio.Event()
        self._poller = 0  # the newest getUpdates call; an older one gets 409 Conflict
        self._closing = False
        self._runner: web.AppRunner | None = None
        self.base_url = self.base_file_url = ""

        self.app = web.Application(client_max_size=60 * 1024 * 1024)
        self.app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        self.app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        self._handlers: dict[str, Callable[[_Call], Awaitable[Any]]] = {
            name: getattr(self, f"_api_{name}")
            for name in self.spec.methods
            if hasattr(self, f"_api_{name}")
        }

    # --- lifecycle -------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen (on loopback only) and return ``base_url``."""
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("the emulator listens on loopback only")
        self._runner = web.AppRunner(self.app, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://{host}:{port}/bot"
        self.base_file_url = f"http://{host}:{port}/file/bot"
        if self.pusher is not None:
            self.pusher.start()
        return self.base_url

    async def stop(self) -> None:
        self._closing = True
        self._notify()  # long polls return now instead of at their timeout
        if self.pusher is not None:
            await self.pusher.stop()
        if self._runner:
            await self._runner.cleanup()
            self._runner = None

    # --- test-side setup -------------------------------------------------------------------

    def user(self, user_id: int, first_name: str, *, language_code: str | None = None,
             username: str | None = None, last_name: str | None = None) -> SimUser:
        """The simulated user with this id (created on first use)."""
        if user_id not in self.users:
            self.users[user_id] = SimUser(self, user_id, first_name, last_name=last_name,
                                          username=username, language_code=language_code)
        return self.users[user_id]

    def group(self, chat_id: int, title: str, *, username: str | None = None) -> SimChat:
        """A group; ids starting -100 are supergroups, as on Telegram."""
        kind = "supergroup" if str(chat_id).startswith("-100") else "group"
        return self._chat(chat_id, title, kind, username)

    def channel(self, chat_id: int, title: str, *, username: str | None = None) -> SimChat:
        return self._chat(chat_id, title, "channel", username)

    def _chat(self, chat_id: int, title: str, kind: str, username: str | None) -> SimChat:
        if chat_id >= 0:
            raise ValueError("group and channel ids are negative")
        if chat_id not in self.chats:
            self.chats[chat_id] = SimChat(self, chat_id, title, kind, username=username)
        return self.chats[chat_id]

    def block(self, user_id: int) -> None:
        """The user blocks the bot: sends get 403, the bot gets a my_chat_member update."""
        self.blocked.add(user_id)
        if user_id in self.users:
            self._member_update(self.users[user_id].chat_info(), "member", "kicked",
                                self.users[user_id].info())

    def unblock(self, user_id: int) -> None:
        self.blocked.discard(user_id)

    def deactivate(self, user_id: int) -> None:
        """The user deleted their account."""
        self.deactivated.add(user_id)

    def fail_next(self, method: str, code: int, description: str, *, times: int = 1,
                  chat_id: int | None = None, retry_after: int | None = None) -> None:
        """Answer the next ``times`` calls of ``method`` (to ``chat_id``, if given) with an
        error, e.g. ``fail_next("sendMessage", 502, "Bad Gateway")``."""
        error = ApiError(code, description, retry_after=retry_after)
        self._failures.append(_Failure(self.spec.canonical(method), error, times, chat_id))

    def hold_downloads(self) -> asyncio.Event:
        """Hold every file download (GET /file/bot<token>/<path>) until the event returned is
        set: a slow download, to see what the bot does meanwhile."""
        self._downloads_held = asyncio.Event()
        return self._downloads_held

    def hang_next(self, method: str, *, times: int = 1, chat_id: int | None = None,
                  deliver: bool = False) -> None:
        """Leave the next ``times`` calls of ``method`` (to ``chat_id``, if given) unanswered
        until the bot's read timeout: with ``deliver``, after the message was delivered (the
        answer is lost on the way back), else before anything happened (the request is lost
        on the way in)."""
        self._failures.append(_Failure(self.spec.canonical(method), None, times, chat_id, deliver))

    async def wait_for(
        self,
        predicate: Callable[[], Any],
        timeout: float = 5.0,  # noqa: ASYNC109 - a timeout argument reads best in tests
        what: str = "condition",
    ) -> Any:
        """Wait until ``predicate()`` is truthy and return its value."""
        deadline = asyncio.get_running_loop().time() + timeout
        while not (value := predicate()):
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise TimeoutError(f"no {what} within {timeout}s; errors: {self.errors[-3:]}")
            await self._wait_change(min(remaining, 0.1))
        return value

    # --- HTTP ------------------------------------------------------------------------------

    async def _handle_api(self, request: web.Request) -> web.Response:
        sending = request.match_info["method"].lower().startswith("send")
        if sending:
            self.sends_in_flight += 1
            self.sends_in_flight_peak = max(self.sends_in_flight_peak, self.sends_in_flight)
        try:
            return await self._answer(request)
        finally:
            if sending:
                self.sends_in_flight -= 1

    async def _answer(self, request: web.Request) -> web.Response:
        name = request.match_info["method"]
        raw: dict[str, Any] = {}
        try:
            if request.match_info["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            raw, uploads = await _read_params(request)
            await self._travel()
            result = await self._dispatch(name, raw, uploads, request)
            await self._travel()
        except _Hang as hang:
            await self._hang(hang.call)
            return web.Response(status=504)  # nobody is listening any more
        except ApiError as error:
            self._record(name, raw, error)
            await self._travel()
            return web.json_response(error.payload(), status=error.code)
        except ConnectionResetError:  # the bot hung up mid-request (say, stopping): no one to answer
            log.info("%s: the client hung up before its request arrived", name)
            return web.Response(status=499)
        except Exception as crash:  # an emulator bug: fail the test loudly, not the bot
            log.exception("emulator crashed on %s", name)
            error = ApiError(500, f"Internal Server Error: emulator crashed: {crash!r}",
                             violation="emulator_crash")
            self._record(name, raw, error)
            return web.json_response(error.payload(), status=error.code)
        return web.json_response({"ok": True, "result": result})

    async def _dispatch(
        self, name: str, raw: dict[str, Any], uploads: dict[str, Upload], request: web.Request
    ) -> Any:
        method = self.spec.canonical(name)
        fields = self.spec.fields(method)
        params = self.spec.decode(method, raw)
        params.update({k: v for k, v in uploads.items() if k in fields})
        call = _Call(method, params, {k: v for k, v in uploads.items() if k not in fields},
                     lambda: request.transport is None or request.transport.is_closing())
        self.spec.check_call(method, params)
        self.calls.append(call)
        handler = self._handlers.get(method)
        if handler is None:
            raise ApiError(501, f"Not Implemented: the emulator has no {method}",
                           violation="unimplemented")
        hang_after = self._injected_failure(call)
        result = await handler(call)
        if hang_after:
            raise _Hang(call)
        # Self-check: an answer PTB cannot parse would be an emulator bug, not a bot bug.
        problem = self.spec.result_problem(method, result)
        if problem:
            raise ApiError(500, f"emulator returned a bad {method} result: {problem}",
                           violation="emulator_result")
        return result

    async def _travel(self) -> None:
        """Half the configured round trip: the request's way in, or the answer's way out."""
        if self.latency > 0:
            await asyncio.sleep(self.latency / 2)

    async def _hang(self, call: _Call) -> None:
        """Answer nothing until the bot gives up on the call (its read timeout) or the
        emulator stops."""
        while not call.client_gone() and not self._closing:
            await self._wait_change(0.05)

    def _record(self, method: str, params: dict[str, Any], error: ApiError) -> None:
        entry = {"method": method, "params": params, "error_code": error.code,
                 "description": error.description, "at": self.clock()}
        if error.violation:
            self.violations.append({**entry, "kind": error.violation})
            log.warning("Bot API spec violation: %s %s", method, error.description)
        else:
            self.errors.append(entry)

    async def _handle_file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            raise web.HTTPUnauthorized()
        path = request.match_info["path"]
        stored = next((f for f in self.files.values() if f.file_path == path), None)
        if stored is None:
            raise web.HTTPNotFound()
        if self._downloads_held is not None and not self._downloads_held.is_set():
            self.downloads_waiting += 1
            self._notify()
            try:
                await self._downloads_held.wait()
            finally:
                self.downloads_waiting -= 1
        content_type = stored.mime_type or "application/octet-stream"
        return web.Response(body=stored.data, content_type=content_type)

    def _injected_failure(self, call: _Call) -> bool:
        """Raise the failure a test set up for this call, if any; True if the call is to be
        handled and then left unanswered (hang_next with deliver)."""
        for failure in self._failures:
            chat = call.params.get("chat_id")
            if failure.method == call.method and failure.chat_id in (None, chat):
                failure.times -= 1
                if failure.times <= 0:
                    self._failures.remove(failure)
                if failure.error is not None:
                    raise failure.error
                if failure.deliver:
                    return True
                raise _Hang(call)
        return False

    # --- state helpers ---------------------------------------------------------------------

    def _notify(self) -> None:
        """Wake everything waiting for a change (long polls, wait_for)."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def _wait_change(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), seconds)

    async def _emit(self, event: str, message: Message) -> None:
        """Tell the on_output listeners: new, edit, delete (bot messages) or incoming (user)."""
        self._notify()
        for callback in self.on_output:
            try:
                await callback(event, message)
            except Exception:  # a broken viewer must not break the bot's call
                log.exception("on_output callback failed")

    def _push_update(self, kind: str, payload: dict[str, Any]) -> None:
        self._updates.append({"update_id": next(self._update_ids), kind: payload})
        self._notify()

    def _member_update(self, chat: dict[str, Any], old: str, new: str,
                       by: dict[str, Any] | None) -> None:
        by = by or {"id": 777000, "is_bot": False, "first_name": "Telegram"}
        self._push_update("my_chat_member", {
            "chat": chat, "from": by, "date": int(time.time()),
            "old_chat_member": self._member(self.bot_user, old, chat["type"]),
            "new_chat_member": self._member(self.bot_user, new, chat["type"]),
        })

    def _member(self, user: dict[str, Any], status: str, chat_type: str) -> dict[str, Any]:
        """A ChatMember object; an administrator gets every right the spec requires."""
        member: dict[str, Any] = {"status": status, "user": user}
        if status == "creator":
            member["is_anonymous"] = False
        elif status == "kicked":
            member["until_date"] = 0
        elif status == "administrator":
            for spec_field in self.spec.types["ChatMemberAdministrator"]["fields"]:
                if spec_field["required"] and spec_field["types"] == ["Boolean"]:
                    member[spec_field["name"]] = True
            member.update(can_be_edited=False, is_anonymous=False)
            if chat_type == "channel":
                member.update(can_post_messages=True, can_edit_messages=True)
        return member

    def _chat_info(self, chat_id: int) -> dict[str, Any]:
        if chat_id in self.chats:
            return self.chats[chat_id].info()
        return self.users[chat_id].chat_info()

    def _resolve_chat(self, ref: Any) -> int:
        """A chat id from an id or @username; 400 chat not found otherwise."""
        if isinstance(ref, str) and ref.startswith("@"):
            for chat in [*self.chats.values(), *self.users.values()]:
                if chat.extra.get("username", "").lower() == ref[1:].lower():
                    return chat.id
        elif isinstance(ref, int) and (ref in self.chats or ref in self.users):
            return ref
        raise bad_request("chat not found")

    def _writable_chat(self, ref: Any) -> int:
        """The chat id, if the bot may post there now; the errors Telegram gives otherwise."""
        chat_id = self._resolve_chat(ref)
        if chat_id in self.users:
            if chat_id in self.deactivated:
                raise ApiError(403, "Forbidden: user is deactivated")
            if chat_id in self.blocked:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            if not self.users[chat_id].started:
                raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
            return chat_id
        chat = self.chats[chat_id]
        status = chat.members.get(self.bot_id, "left")
        if status == "kicked":
            raise ApiError(403, f"Forbidden: bot was kicked from the {chat.type} chat")
        if status == "left":
            raise ApiError(403, f"Forbidden: bot is not a member of the {chat.type} chat")
        if chat.type == "channel" and status not in ADMIN:
            raise bad_request("need administrator rights in the channel chat")
        return chat_id

    def _check_rate(self, chat_id: int, method: str, count: int = 1) -> None:
        """Flood control: a sliding window per scope, 429 with retry_after when full. Every
        send let through is recorded in ``accepted`` (limits or not)."""
        now = self.clock()
        if self.limits is None:
            self.accepted.append(Accepted(now, chat_id, count, method))
            return
        private = chat_id in self.users
        windows = [
            (("all", 0), 1.0, self.limits.per_second),
            (("chat", chat_id), 1.0 if private else self.limits.group_window,
             self.limits.private_per_second if private else self.limits.group_per_minute),
        ]
        for key, span, cap in windows:
            sent = self._sent_at[key]
            while sent and sent[0] <= now - span:
                sent.popleft()
            if sent and len(sent) + count > cap:  # an empty window admits even an album
                wait = max(1, math.ceil((sent[0] + span - now) if sent else span))
                raise ApiError(429, f"Too Many Requests: retry after {wait}", retry_after=wait)
        for key, _, _ in windows:
            self._sent_at[key].extend([now] * count)
        self.accepted.append(Accepted(now, chat_id, count, method))

    def _new_message(self, chat_id: int, sender: dict[str, Any] | None,
                     content: dict[str, Any]) -> Message:
        self._next_message_id[chat_id] += 1
        chat = self._chat_info(chat_id)
        message: Message = {"message_id": self._next_message_id[chat_id],
                            "date": int(time.time()), "chat": chat}
        if chat["type"] == "channel":
            message["sender_chat"] = chat
        else:
            message["from"] = sender
        message.update(content)
        self._messages[chat_id][message["message_id"]] = message
        return message

    def _find_message(self, chat_ref: Any, message_id: Any, missing: str) -> Message:
        chat_id = self._resolve_chat(chat_ref)
        message = self._messages[chat_id].get(message_id)
        if message is None:
            raise bad_request(missing)
        return message

    def _own_message(self, params: dict[str, Any]) -> Message:
        """The bot message an edit method targets."""
        if "inline_message_id" in params:
            raise ApiError(501, "Not Implemented: inline messages", violation="unimplemented")
        if "chat_id" not in params or "message_id" not in params:
            raise bad_request("message identifier is not specified")
        message = self._find_message(params["chat_id"], params["message_id"],
                                     "message to edit not found")
        if message not in self.outputs[message["chat"]["id"]]:
            raise bad_request("message can't be edited")
        return message

    # --- files -----------------------------------------------------------------------------

    def _store_file(self, data: bytes, kind: str, *, file_name: str | None = None,
                    mime_type: str | None = None, sized: bool = True) -> StoredFile:
        number = next(self._ids)
        suffix = {"photo": ".jpg", "video": ".mp4"}.get(kind, Path(file_name or "").suffix)
        stored = StoredFile(
            file_id=f"{kind[:3].upper()}{number:05d}{hashlib.sha1(data).hexdigest()[:12]}",
            file_unique_id=hashlib.sha1(data).hexdigest()[:16],
            data=data, file_path=f"{kind}s/file_{number}{suffix}", kind=kind,
            mime_type=mime_type, file_name=file_name,
        )
        self.files[stored.file_id] = stored
        if kind == "photo" and sized:
            self._add_photo_sizes(stored)
        return stored

    def _add_photo_sizes(self, original: StoredFile) -> None:
        """Telegram keeps several sizes of a photo; the largest here is the original bytes."""
        width, height = _image_size(original.data) or (1280, 960)
        original.width, original.height = width, height
        sizes = []
        for side in (90, 320):
            if max(width, height) > side:
                thumb = self._store_file(_thumbnail(original.data, side), "photo",
                                         mime_type="image/jpeg", sized=False)
                thumb.width, thumb.height = _image_size(thumb.data) or (side, side)
                sizes.append(self._photo_size(thumb))
        sizes.append(self._photo_size(original))
        for size in sizes:
            self.files[size["file_id"]].photo_sizes = sizes
        original.photo_sizes = sizes

    @staticmethod
    def _photo_size(stored: StoredFile) -> dict[str, Any]:
        return {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
                "width": stored.width, "height": stored.height,
                "file_size": len(stored.data)}

    def _media_object(self, stored: StoredFile) -> dict[str, Any]:
        """The Document or Video object (without duration) of a stored file."""
        media = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
                 "file_size": len(stored.data)}
        if stored.kind == "video":
            media.update(width=stored.width or 1280, height=stored.height or 720)
        media.update({k: v for k, v in (("file_name", stored.file_name),
                                        ("mime_type", stored.mime_type)) if v})
        return media

    def _input_file(self, value: Any, kind: str, attachments: dict[str, Upload]) -> StoredFile:
        """An InputFile or String parameter: an upload, attach://name, a file_id or a URL."""
        if isinstance(value, str) and value.startswith("attach://"):
            value = attachments.get(value.removeprefix("attach://"), value)
        if isinstance(value, Upload):
            return self._store_file(value.data, kind, file_name=value.filename,
                                    mime_type=value.content_type)
        if value in self.files and (self.files[value].kind == kind or kind == "document"):
            return self.files[value]
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            # Telegram would download the URL; the emulator keeps an empty placeholder.
            return self._store_file(b"", kind, file_name=value.rsplit("/", 1)[-1])
        raise bad_request("wrong file identifier/HTTP URL specified")

    def _media_content(self, kind: str, stored: StoredFile, params: dict[str, Any]) -> dict:
        if kind == "photo":
            content: dict[str, Any] = {"photo": stored.photo_sizes}
        elif kind == "video":
            content = {"video": {**self._media_object(stored),
                                 "duration": params.get("duration", 0)}}
        else:
            content = {"document": self._media_object(stored)}
        return {**content, **self._caption_content(params)}

    # --- content checks --------------------------------------------------------------------

    @staticmethod
    def _text_content(params: dict[str, Any]) -> dict[str, Any]:
        text, entities = _formatted(params, "text", "entities")
        if not text.strip():
            raise bad_request("message text is empty")
        if utf16_len(text) > MAX_TEXT:
            raise bad_request("message is too long")
        return {"text": text, **({"entities": entities} if entities else {})}

    @staticmethod
    def _caption_content(params: dict[str, Any]) -> dict[str, Any]:
        if "caption" not in params:
            return {}
        caption, entities = _formatted(params, "caption", "caption_entities")
        if utf16_len(caption) > MAX_CAPTION:
            raise bad_request("message caption is too long")
        return _caption(caption, entities)

    @staticmethod
    def _markup(params: dict[str, Any]) -> dict[str, Any]:
        """The reply_markup a Message shows: only an inline keyboard."""
        markup = params.get("reply_markup") or {}
        if "inline_keyboard" not in markup:
            return {}
        _check_inline_keyboard(markup)
        return {"reply_markup": markup}

    def _remember_keyboard(self, chat_id: int, params: dict[str, Any]) -> None:
        """A reply keyboard is not part of the message: it is what the user's keyboard shows."""
        markup = params.get("reply_markup") or {}
        if "keyboard" in markup:
            self.reply_keyboards[chat_id] = markup
        elif markup.get("remove_keyboard"):
            self.reply_keyboards.pop(chat_id, None)

    def _reply_to(self, chat_id: int, params: dict[str, Any]) -> dict[str, Any]:
        reply = params.get("reply_parameters")
        if not reply:
            return {}
        target_chat = reply.get("chat_id", chat_id)
        try:
            original = self._find_message(target_chat, reply["message_id"], "")
        except ApiError:
            if reply.get("allow_sending_without_reply"):
                return {}
            raise bad_request("message to be replied not found") from None
        return {"reply_to_message": {k: v for k, v in original.items()
                                     if k != "reply_to_message"}}

    # --- sending ---------------------------------------------------------------------------

    async def _send(self, call: _Call, build: Callable[[], Any], count: int = 1) -> list[Message]:
        """What every send shares: may the bot write there, is the content valid, flood
        control, then the messages are created, recorded and shown."""
        params = call.params
        chat_id = self._writable_chat(params["chat_id"])
        contents = build()
        extras = {**self._reply_to(chat_id, params), **self._markup(params)}
        self._check_rate(chat_id, call.method, count)
        self._remember_keyboard(chat_id, params)
        group_id = str(next(self._ids)) if count > 1 else None
        messages = []
        for content in contents if isinstance(contents, list) else [contents]:
            message = self._new_message(chat_id, self.bot_user, {**content, **extras})
            if group_id:
                message["media_group_id"] = group_id
            self.outputs[chat_id].append(message)
            self.delivered[chat_id] += 1
            messages.append(message)
            await self._emit("new", message)
        return messages

    async def _api_sendMessage(self, call: _Call) -> Message:
        (message,) = await self._send(call, lambda: self._text_content(call.params))
        return message

    async def _send_media(self, call: _Call, kind: str) -> Message:
        def build() -> dict[str, Any]:
            stored = self._input_file(call.params[kind], kind, call.attachments)
            return self._media_content(kind, stored, call.params)

        (message,) = await self._send(call, build)
        return message

    async def _api_sendPhoto(self, call: _Call) -> Message:
        return await self._send_media(call, "photo")

    async def _api_sendVideo(self, call: _Call) -> Message:
        return await self._send_media(call, "video")

    async def _api_sendDocument(self, call: _Call) -> Message:
        return await self._send_media(call, "document")

    async def _api_sendMediaGroup(self, call: _Call) -> list[Message]:
        media = call.params["media"]
        if not 2 <= len(media) <= 10:
            raise bad_request("media group must include 2-10 items")

        def build() -> list[dict[str, Any]]:
            contents = []
            for item in media:
                stored = self._input_file(item["media"], item["type"], call.attachments)
                contents.append(self._media_content(item["type"], stored, item))
            return contents

        return await self._send(call, build, count=len(media))

    async def _api_copyMessage(self, call: _Call) -> dict[str, int]:
        source = self._find_message(call.params["from_chat_id"], call.params["message_id"],
                                    "message to copy not found")
        content = {k: v for k, v in source.items() if k not in ENVELOPE}
        if "caption" in call.params:
            content.pop("caption_entities", None)
            content.update(self._caption_content(call.params))
        (message,) = await self._send(call, lambda: content)
        return {"message_id": message["message_id"]}

    async def _api_forwardMessage(self, call: _Call) -> Message:
        source = self._find_message(call.params["from_chat_id"], call.params["message_id"],
                                    "message to forward not found")
        content = {k: v for k, v in source.items() if k not in ENVELOPE}
        origin: dict[str, Any] = {"date": source["date"]}
        if "sender_chat" in source:
            origin.update(type="channel", chat=source["chat"], message_id=source["message_id"])
        else:
            origin.update(type="user", sender_user=source["from"])
        content["forward_origin"] = origin
        (message,) = await self._send(call, lambda: content)
        return message

    async def _api_sendChatAction(self, call: _Call) -> bool:
        chat_id = self._writable_chat(call.params["chat_id"])
        if call.params["action"] not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        self.chat_actions.append((chat_id, call.params["action"]))
        return True

    # --- editing ---------------------------------------------------------------------------

    async def _edit(self, message: Message, changes: dict[str, Any], drop: set[str]) -> Message:
        """Apply an edit in place (so every list holding the message sees it) and keep the
        previous version in edit_history."""
        new = {k: v for k, v in message.items() if k not in drop} | changes
        if {k: v for k, v in new.items() if k != "edit_date"} == {
            k: v for k, v in message.items() if k != "edit_date"
        }:
            raise bad_request(NOT_MODIFIED)
        key = (message["chat"]["id"], message["message_id"])
        self.edit_history[key].append(copy.deepcopy(message))
        message.clear()
        message.update(new, edit_date=int(time.time()))
        await self._emit("edit", message)
        return message

    async def _api_editMessageText(self, call: _Call) -> Message:
        message = self._own_message(call.params)
        if "text" not in message:
            raise bad_request("there is no text in the message to edit")
        if "text" not in call.params:
            raise bad_request("text must be non-empty")
        changes = {**self._text_content(call.params), **self._markup(call.params)}
        # Leaving out reply_markup removes the inline keyboard, as on Telegram.
        return await self._edit(message, changes, {"entities", "reply_markup"})

    async def _api_editMessageCaption(self, call: _Call) -> Message:
        message = self._own_message(call.params)
        if "text" in message:
            raise bad_request("there is no caption in the message to edit")
        changes = {**self._caption_content(call.params), **self._markup(call.params)}
        return await self._edit(message, changes, {"caption", "caption_entities", "reply_markup"})

    async def _api_editMessageReplyMarkup(self, call: _Call) -> Message:
        message = self._own_message(call.params)
        return await self._edit(message, self._markup(call.params), {"reply_markup"})

    async def _api_deleteMessage(self, call: _Call) -> bool:
        message = self._find_message(call.params["chat_id"], call.params["message_id"],
                                     "message to delete not found")
        chat_id = message["chat"]["id"]
        own = message in self.outputs[chat_id]
        if chat_id in self.chats and not own and self._bot_status(chat_id) not in ADMIN:
            raise bad_request("message can't be deleted")
        del self._messages[chat_id][message["message_id"]]
        if own:
            self.outputs[chat_id].remove(message)
        self.deleted.append(message)
        await self._emit("delete", message)
        return True

    async def _api_pinChatMessage(self, call: _Call) -> bool:
        message = self._find_message(call.params["chat_id"], call.params["message_id"],
                                     "message to pin not found")
        chat_id = message["chat"]["id"]
        if chat_id in self.chats and self._bot_status(chat_id) not in ADMIN:
            raise bad_request("not enough rights to manage pinned messages in the chat")
        self.pinned[chat_id] = message["message_id"]
        return True

    # --- callback queries ------------------------------------------------------------------

    async def _tap(self, user: SimUser, message: Message | int, button_text: str) -> str:
        if isinstance(message, int):
            message = self._messages[user.id].get(message) or {}
        current = self._messages[message.get("chat", {}).get("id", 0)].get(
            message.get("message_id")
        )
        if current is None:
            raise LookupError("that message is not in the chat (deleted?)")
        buttons = [b for row in current.get("reply_markup", {}).get("inline_keyboard", [])
                   for b in row]
        button = next((b for b in buttons if b["text"] == button_text), None)
        if button is None:
            raise LookupError(f"no button {button_text!r}; shown: {[b['text'] for b in buttons]}")
        if "callback_data" not in button:
            raise ValueError(f"button {button_text!r} has no callback_data: {button}")
        return await self.inject_callback(user, current, button["callback_data"])

    async def inject_callback(self, user: SimUser, message: Message, data: str) -> str:
        """A callback query carrying any data, as a forged or replayed button press would."""
        query = {
            "id": str(next(self._ids) * 1000003),
            "from": user.info(),
            "message": copy.deepcopy(message),
            "chat_instance": str(abs(hash((message["chat"]["id"], self.bot_id)))),
            "data": data,
        }
        self._open_queries[query["id"]] = query
        self._push_update("callback_query", query)
        return query["id"]

    async def _user_edit(self, user: SimUser, message: Message | int, text: str | None,
                         changes: dict[str, Any]) -> Message:
        message_id = message if isinstance(message, int) else message["message_id"]
        chat_id = user.id if isinstance(message, int) else message["chat"]["id"]
        stored = self._messages[chat_id].get(message_id)
        if stored is None or stored.get("from", {}).get("id") != user.id:
            raise LookupError(f"{user} sent no message {message_id} in chat {chat_id}")
        if text is not None:
            key = "caption" if "text" not in stored else "text"
            entities = "caption_entities" if key == "caption" else "entities"
            stored.pop(entities, None)
            stored[key] = text
            if text.startswith("/"):
                command = text.split(maxsplit=1)[0]
                stored[entities] = [{"type": "bot_command", "offset": 0, "length": utf16_len(command)}]
        stored.update(changes)
        stored["edit_date"] = int(time.time())
        kind = "edited_channel_post" if stored["chat"]["type"] == "channel" else "edited_message"
        self._push_update(kind, copy.deepcopy(stored))
        await self._emit("incoming", stored)
        return stored

    def inject_update(self, kind: str, payload: dict[str, Any], *,
                      files: dict[str, bytes] | None = None) -> int:
        """Deliver an update of any kind, as a test built it: ``kind`` is an Update field
        (``business_message``, ``inline_query``...) and ``payload`` its object. It must fit the
        spec (else ValueError: a test bug). A private chat named in it is a Telegram user; a
        private ``message`` makes its sender someone who wrote to the bot (so the bot may
        answer); a callback query can be answered; ``files`` (file_id -> bytes) can be fetched
        with getFile. Returns the update_id."""
        spec_field = next((f for f in self.spec.types["Update"]["fields"] if f["name"] == kind), None)
        if spec_field is None or kind == "update_id":
            raise ValueError(f"{kind!r} is not a kind of Update in Bot API {self.spec.version}")
        problem = self.spec.type_problem(payload, spec_field["types"], kind)
        if problem:
            raise ValueError(f"the {kind} update breaks the spec: {problem}")
        chat = payload.get("chat") if isinstance(payload.get("chat"), dict) else None
        if chat is not None and chat.get("type") == "private" and chat["id"] not in self.users:
            self.user(chat["id"], chat.get("first_name") or "User")
        sender = payload.get("from")
        if kind == "callback_query":
            self._open_queries[payload["id"]] = payload
            message = payload.get("message")
            chat = message["chat"] if isinstance(message, dict) and message.get("date") else None
        if kind in ("message", "callback_query") and chat and chat.get("type") == "private" and sender:
            # a private message is the user writing first; a button there, the bot having written
            self.user(sender["id"], sender.get("first_name") or "User").started = True
        for file_id, data in (files or {}).items():
            digest = hashlib.sha1(data + file_id.encode()).hexdigest()
            self.files[file_id] = StoredFile(file_id, digest[:16], data, f"injected/{digest}", "document")
        self._push_update(kind, copy.deepcopy(payload))
        return self._updates[-1]["update_id"]

    async def _api_answerCallbackQuery(self, call: _Call) -> bool:
        query_id = str(call.params["callback_query_id"])
        if self._open_queries.pop(query_id, None) is None:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        if utf16_len(call.params.get("text", "")) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        self.callback_answers[query_id] = {
            "text": call.params.get("text"),
            "show_alert": call.params.get("show_alert", False),
            "url": call.params.get("url"),
        }
        self._notify()
        return True

    # --- updates ---------------------------------------------------------------------------

    async def _user_message(self, user: SimUser, chat: SimChat | None,
                            content: dict[str, Any]) -> Message:
        chat_id = chat.id if chat else user.id
        if chat is None:
            user.started = True
        elif user.id not in chat.members:
            chat.add_member(user)
        message = self._new_message(chat_id, user.info(), content)
        if self._bot_sees(chat, message):
            self._push_update("channel_post" if chat and chat.type == "channel" else "message",
                              message)
        await self._emit("incoming", message)
        return message

    def _bot_sees(self, chat: SimChat | None, message: Message) -> bool:
        """In groups a bot in privacy mode sees only commands, unless it is an admin."""
        if chat is None:
            return True
        status = chat.members.get(self.bot_id, "left")
        if status in ("left", "kicked"):
            return False
        if not self.privacy_mode or status in ADMIN:
            return True
        return message.get("text", "").startswith("/")

    def _bot_status(self, chat_id: int) -> str:
        return self.chats[chat_id].members.get(self.bot_id, "left")

    async def _api_getUpdates(self, call: _Call) -> list[dict[str, Any]]:
        if self.webhook["url"]:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is "
                           "active; use deleteWebhook to delete the webhook first")
        params = call.params
        if "allowed_updates" in params:
            self._allowed_updates = params["allowed_updates"]
        offset = params.get("offset", 0)
        if offset > 0:  # confirms every update before it
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        self._poller += 1
        me = self._poller
        self._notify()  # an older long poll still waiting learns it lost
        loop = asyncio.get_running_loop()
        deadline = loop.time() + min(max(params.get("timeout", 0), 0), 50)
        while True:
            if self._poller != me and call.client_gone():
                return []  # PTB cancelled this poll when stopping: nobody hears a 409
            if self._poller != me:
                raise ApiError(409, "Conflict: terminated by other getUpdates request; make "
                               "sure that only one bot instance is running")
            self._updates = [u for u in self._updates if self._allowed(u)]
            ready = self._updates[: min(max(params.get("limit", 100), 1), 100)]
            if ready or self._closing or loop.time() >= deadline:
                return ready
            await self._wait_change(deadline - loop.time())

    def _allowed(self, update: dict[str, Any]) -> bool:
        kind = next(k for k in update if k != "update_id")
        if self._allowed_updates:
            return kind in self._allowed_updates
        return kind not in DEFAULT_UPDATES

    async def _api_setWebhook(self, call: _Call) -> bool:
        # Updates are pushed to the URL only with push_webhook; most e2e tests poll. The settings are kept.
        params = call.params
        self.webhook = {k: v for k, v in params.items() if k != "certificate"}
        if params.get("drop_pending_updates"):
            self._updates.clear()
        if "allowed_updates" in params:
            self._allowed_updates = params["allowed_updates"]
        return True

    async def _api_deleteWebhook(self, call: _Call) -> bool:
        self.webhook = {"url": ""}
        if call.params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _api_getWebhookInfo(self, call: _Call) -> dict[str, Any]:
        info = {"url": self.webhook["url"], "has_custom_certificate": False,
                "pending_update_count": len(self._updates)}
        for key in ("max_connections", "allowed_updates", "ip_address"):
            if key in self.webhook:
                info[key] = self.webhook[key]
        return info

    # --- bot and chat info -----------------------------------------------------------------

    async def _api_getMe(self, call: _Call) -> dict[str, Any]:
        return {**self.bot_user, "can_join_groups": True,
                "can_read_all_group_messages": not self.privacy_mode,
                "supports_inline_queries": False}

    @staticmethod
    def _commands_key(params: dict[str, Any]) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        return (repr(sorted(scope.items())), params.get("language_code", ""))

    async def _api_setMyCommands(self, call: _Call) -> bool:
        commands = call.params["commands"]
        if len(commands) > 100:
            raise bad_request("too many commands")
        for command in commands:
            name = command["command"]
            if not (1 <= len(name) <= 32 and name.replace("_", "").isalnum() and name.islower()):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(command["description"]) <= 256:
                raise bad_request("command description must be 1-256 characters")
        self.commands[self._commands_key(call.params)] = commands
        return True

    async def _api_getMyCommands(self, call: _Call) -> list[dict[str, Any]]:
        return self.commands.get(self._commands_key(call.params), [])

    async def _api_deleteMyCommands(self, call: _Call) -> bool:
        self.commands.pop(self._commands_key(call.params), None)
        return True

    async def _api_getChat(self, call: _Call) -> dict[str, Any]:
        chat_id = self._resolve_chat(call.params["chat_id"])
        info = {**self._chat_info(chat_id), "accent_color_id": 0, "max_reaction_count": 11,
                "accepted_gift_types": dict.fromkeys(
                    ("unlimited_gifts", "limited_gifts", "unique_gifts",
                     "premium_subscription", "gifts_from_channels"), False)}
        pinned = self.pinned.get(chat_id)
        if pinned in self._messages[chat_id]:
            info["pinned_message"] = self._messages[chat_id][pinned]
        return info

    async def _api_getChatMember(self, call: _Call) -> dict[str, Any]:
        chat_id = self._resolve_chat(call.params["chat_id"])
        user_id = call.params["user_id"]
        if user_id == self.bot_id:
            user = self.bot_user
        elif user_id in self.users:
            user = self.users[user_id].info()
        else:
            raise bad_request("user not found")
        if chat_id in self.users:
            status = "kicked" if user_id == self.bot_id and chat_id in self.blocked else "member"
            return self._member(user, status, "private")
        chat = self.chats[chat_id]
        return self._member(user, chat.members.get(user_id, "left"), chat.type)

    async def _api_getChatAdministrators(self, call: _Call) -> list[dict[str, Any]]:
        chat_id = self._resolve_chat(call.params["chat_id"])
        if chat_id in self.users:
            raise bad_request("there are no administrators in the private chat")
        chat = self.chats[chat_id]
        admins = []
        for user_id, status in chat.members.items():
            if status in ADMIN:
                user = self.bot_user if user_id == self.bot_id else self.users[user_id].info()
                admins.append(self._member(user, status, chat.type))
        return admins

    async def _api_getFile(self, call: _Call) -> dict[str, Any]:
        stored = self.files.get(call.params["file_id"])
        if stored is None:
            raise bad_request("invalid file_id")
        if len(stored.data) > MAX_DOWNLOAD:
            raise bad_request("file is too big")
        return {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
                "file_size": len(stored.data), "file_path": stored.file_path}


# --- module helpers ------------------------------------------------------------------------


class _Hang(Exception):  # noqa: N818 - not an error: the call is left unanswered
    def __init__(self, call: _Call) -> None:
        super().__init__(call.method)
        self.call = call


async def _read_params(request: web.Request) -> tuple[dict[str, Any], dict[str, Upload]]:
    """Parameters from the query string and a JSON, urlencoded or multipart body."""
    raw: dict[str, Any] = dict(request.query)
    uploads: dict[str, Upload] = {}
    if request.method != "POST" or not request.can_read_body:
        return raw, uploads
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise bad_request("can't parse JSON request body") from None
        if not isinstance(body, dict):
            raise bad_request("request body must be a JSON object")
        raw.update(body)
        return raw, uploads
    for name, value in (await request.post()).items():
        if isinstance(value, web.FileField):
            uploads[name] = Upload(value.file.read(), value.filename, value.content_type)
        else:
            raw[name] = value
    return raw, uploads


def _formatted(params: dict[str, Any], key: str, entities_key: str) -> tuple[str, list]:
    """Text and entities as Telegram stores them: parsed from parse_mode, or given."""
    text = str(params.get(key, ""))
    if params.get(entities_key):
        return text, params[entities_key]
    return parse_entities(text, params.get("parse_mode"))


def _caption(caption: str | None, entities: list | None = None) -> dict[str, Any]:
    if not caption:
        return {}
    return {"caption": caption, **({"caption_entities": entities} if entities else {})}


def _check_inline_keyboard(markup: dict[str, Any]) -> None:
    """Telegram's own refusals of inline buttons (real 400s, not spec violations)."""
    actions = ("url", "callback_data", "web_app", "login_url", "switch_inline_query",
               "switch_inline_query_current_chat", "switch_inline_query_chosen_chat",
               "copy_text", "callback_game", "pay")
    for row in markup["inline_keyboard"]:
        for button in row:
            if not str(button.get("text", "")).strip():
                raise bad_request("can't parse inline keyboard button: Text must be non-empty")
            if not any(a in button for a in actions):
                raise bad_request("can't parse inline keyboard button: Text buttons are "
                                  "unallowed in the inline keyboard")
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA:
                raise bad_request("BUTTON_DATA_INVALID")


def _image_size(data: bytes) -> tuple[int, int] | None:
    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.size
    except Exception:  # not an image Pillow knows: callers fall back to a nominal size
        return None


def _thumbnail(data: bytes, side: int) -> bytes:
    """A JPEG at most ``side`` pixels wide or high; the bytes unchanged if not an image."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.thumbnail((side, side))
            out = io.BytesIO()
            image.convert("RGB").save(out, "JPEG")
            return out.getvalue()
    except Exception:
        return data
