"""A fake LINE Messaging API for end-to-end tests and the sandbox.

The real line-bot-sdk v3 async client talks to it over HTTP. The SDK sends content downloads to
api-data.line.me and everything else to api.line.me, but ``Configuration(host=...)`` replaces
both hosts, and no path is served by both, so one fake host serves the two::

    server = LineEmulator(channel_secret="s3cret", access_token="t0ken")
    await server.start()
    config = Configuration(host=server.base_url, access_token=server.access_token)
    # AsyncMessagingApi(AsyncApiClient(config)) and AsyncMessagingApiBlob(...) both work
    server.webhook_url = "http://127.0.0.1:8080/line/webhook"   # where the bot listens
    sari = server.user(make_user_id("sari"), "Sari")
    await sari.say("halo")                  # a signed webhook POST to the bot; returns its status
    reply = await sari.next_message()       # what the bot replied or pushed to her

Every request is checked against the official OpenAPI description (see ``line_spec``): calls
that break it get LINE's 400 and land in ``server.violations``; real LINE errors the bot must
cope with (a used reply token, 409 on a reused retry key...) land in ``server.errors``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import copy
import hashlib
import hmac
import itertools
import json
import logging
import re
import secrets
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import aiohttp
from aiohttp import web

from bot.emulator.line_spec import (
    MESSAGING_LIMITS,
    MESSAGING_SPEC,
    WEBHOOK_SPEC,
    OpenApiSpec,
    Operation,
    Problem,
    UnknownOperation,
)

log = logging.getLogger(__name__)

OutputCallback = Callable[[str, dict[str, Any]], Awaitable[None]]
Event = dict[str, Any]
Signing = Literal["valid", "none", "wrong"]  # how a webhook body is signed

USER_ID = re.compile(r"U[0-9a-f]{32}")
CHAT_ID = re.compile(r"[UCR][0-9a-f]{32}")  # user, group or room
RETRY_KEY = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
RETRY_KEY_LIFETIME = 24 * 3600.0
REPLY_TOKEN_LIFETIME = 60.0  # LINE: use a reply token within one minute
MAX_BODY = 2 * 1024 * 1024  # LINE answers 413 above 2 MB
QUOTABLE = {"text", "textV2", "sticker", "image", "video"}  # sentMessages carry a quoteToken
ACTION_KEYS = ("action", "defaultAction")

AUTH_FAILED = ("Authentication failed. Confirm that the access token in the authorization "
               "header is valid.")
FAULT_MESSAGES = {429: "The API rate limit has been exceeded. Try again later.",
                  500: "Internal server error", 502: "Bad gateway", 503: "Service unavailable",
                  504: "Gateway timeout"}


class LineApiError(Exception):
    """An error answer of the API. ``violation`` names the spec rule a call broke; without it
    this is an answer the real LINE gives a correct bot too."""

    def __init__(self, status: int, message: str, *, details: list[dict[str, str]] | None = None,
                 violation: str | None = None, extra: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details or []
        self.violation = violation
        self.extra = extra or {}
        self.headers = headers or {}

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {"message": self.message}
        if self.details:
            body["details"] = self.details
        return {**body, **self.extra}


def invalid_body(problems: list[Problem], violation: str = "schema") -> LineApiError:
    return LineApiError(400, f"The request body has {len(problems)} error(s)",
                        details=[p.detail() for p in problems], violation=violation)


@dataclass
class Received:
    """A message as a user got it. ``received["text"]`` reads the message object."""

    message: dict[str, Any]
    via: str  # reply, push, multicast or broadcast
    at: float  # server.clock() at delivery
    id: str  # the sent message id
    request_id: str
    retry_key: str | None = None

    def __getitem__(self, key: str) -> Any:
        return self.message[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.message.get(key, default)

    @property
    def type(self) -> str:
        return self.message["type"]

    @property
    def text(self) -> str | None:
        """The text, or a template's or flex message's altText."""
        return self.message.get("text", self.message.get("altText"))

    def actions(self) -> list[dict[str, Any]]:
        """Every action a user can tap: quick reply buttons, template and flex actions."""
        return list(_actions_in(self.message))


@dataclass
class LineCall:
    """One HTTP request to the emulator and how it was answered."""

    method: str
    path: str
    request_id: str
    operation: str | None = None  # the spec's operationId
    body: Any = None
    query: dict[str, Any] = field(default_factory=dict)
    retry_key: str | None = None
    status: int | None = None


@dataclass
class StoredContent:
    data: bytes
    content_type: str


@dataclass
class ReplyToken:
    user_id: str
    issued_at: float
    used: bool = False


@dataclass
class WebhookDelivery:
    """One POST to the bot's webhook."""

    body: dict[str, Any]
    signing: Signing
    status: int


@dataclass
class _Fault:
    suffix: str
    status: int
    message: str
    times: int
    deliver: bool  # do the work first, then fail: the answer, not the request, was lost
    hang: bool = False
    seconds: float | None = None  # hang this long, then answer normally; None: until stop
    release: asyncio.Event | None = None  # hang until this is set, then answer normally


@dataclass
class _Accepted:
    request_id: str
    at: float
    sent_messages: list[dict[str, str]]


@dataclass
class _Request:
    operation: Operation
    path_params: dict[str, str]
    query: dict[str, Any]
    body: Any
    call: LineCall


class LineUser:
    """A person chatting with the bot from their LINE app. Every send returns the HTTP status
    of the bot's webhook answer."""

    def __init__(self, server: LineEmulator, user_id: str, display_name: str, *,
                 language: str | None = "id", picture_url: str | None = None,
                 status_message: str | None = None, following: bool = True) -> None:
        if not USER_ID.fullmatch(user_id):
            raise ValueError(f"a LINE user id is U + 32 hex digits, not {user_id!r}")
        self.server = server
        self.id = user_id
        self.display_name = display_name
        self.language = language
        self.picture_url = picture_url
        self.status_message = status_message
        self.following = following  # a friend of the bot (not blocked)
        self.has_blocked = False  # unfollowed once: a later follow is an unblock
        self.events: list[Event] = []  # the events this user caused, in order
        self._seen = 0  # how many messages next_message() has returned

    def profile(self) -> dict[str, Any]:
        """The /v2/bot/profile answer."""
        profile: dict[str, Any] = {"displayName": self.display_name, "userId": self.id}
        optional = {"language": self.language, "pictureUrl": self.picture_url,
                    "statusMessage": self.status_message}
        return profile | {k: v for k, v in optional.items() if v is not None}

    @property
    def messages(self) -> list[Received]:
        """What the user got from the bot: replies, pushes, multicasts, broadcasts, in order."""
        return list(self.server.inbox.get(self.id, []))

    @property
    def last_event(self) -> Event:
        return self.events[-1]

    async def say(self, text: str, *, sign: Signing = "valid") -> int:
        content = {"type": "text", "id": self.server.new_message_id(), "text": text,
                   "quoteToken": _quote_token()}
        return await self._send(self.server.message_event(self, content), sign)

    async def send_image(self, data: bytes, *, content_type: str = "image/jpeg",
                         sign: Signing = "valid") -> int:
        content = self.server.store_content(data, content_type, "image")
        return await self._send(self.server.message_event(self, content), sign)

    async def send_video(self, data: bytes, *, duration_ms: int = 5000,
                         content_type: str = "video/mp4", sign: Signing = "valid") -> int:
        content = self.server.store_content(data, content_type, "video")
        content["duration"] = duration_ms
        return await self._send(self.server.message_event(self, content), sign)

    async def send_link(self, url: str, kind: str = "image", *, sign: Signing = "valid") -> int:
        """An image or video sent from another service (a LIFF app, say): its contentProvider
        is "external", the content API holds nothing for it, the bytes are at ``url``."""
        content = {"type": kind, "id": self.server.new_message_id(), "quoteToken": _quote_token(),
                   "contentProvider": {"type": "external", "originalContentUrl": url,
                                       "previewImageUrl": url}}
        if kind == "video":
            content["duration"] = 5000
        return await self._send(self.server.message_event(self, content), sign)

    async def send_file(self, data: bytes, file_name: str, *, content_type: str = "application/octet-stream",
                        sign: Signing = "valid") -> int:
        """A file (a document) sent from the chat: the webhook names it and its size; its
        bytes come from the content API."""
        message_id = self.server.new_message_id()
        self.server.contents[message_id] = StoredContent(data, content_type)
        content = {"type": "file", "id": message_id, "fileName": file_name, "fileSize": len(data)}
        return await self._send(self.server.message_event(self, content), sign)

    async def postback(self, data: str, params: dict[str, str] | None = None, *,
                       sign: Signing = "valid") -> int:
        """A postback; ``params`` as a datetime picker sends them, e.g. {"date": "2026-11-28"}."""
        postback: dict[str, Any] = {"data": data}
        if params:
            postback["params"] = params
        return await self._send(self.server.event(self, "postback", postback=postback), sign)

    async def follow(self, *, sign: Signing = "valid") -> int:
        self.following = True
        event = self.server.event(self, "follow", follow={"isUnblocked": self.has_blocked})
        return await self._send(event, sign)

    async def unfollow(self, *, sign: Signing = "valid") -> int:
        """Block the bot: no reply token, and nothing reaches this user until follow()."""
        self.following = False
        self.has_blocked = True
        return await self._send(self.server.event(self, "unfollow", reply=False), sign)

    async def redeliver(self, event: Event | None = None, *, sign: Signing = "valid") -> int:
        """Send ``event`` (default: the last one) again as LINE's webhook redelivery does: the
        same webhookEventId, reply token and timestamp, with ``isRedelivery`` true."""
        again = copy.deepcopy(event or self.last_event)
        again["deliveryContext"] = {"isRedelivery": True}
        return await self.server.deliver([again], sign=sign)

    async def tap(self, label: str, value: str | None = None, *, sign: Signing = "valid") -> int:
        """Tap the button labelled ``label`` in the newest message that has one. A datetime
        picker needs the picked ``value`` ("2026-11-28", "09:00" or "2026-11-28T09:00")."""
        action = self._find_action(label)
        kind = action["type"]
        if kind == "postback":
            return await self.postback(action["data"], sign=sign)
        if kind == "message":
            return await self.say(action["text"], sign=sign)
        if kind == "datetimepicker":
            if value is None:
                raise ValueError(f"{label!r} is a datetime picker: pass the picked value")
            return await self.postback(action["data"], {action["mode"]: value}, sign=sign)
        raise ValueError(f"{label!r} is a {kind} action: it sends nothing to the bot")

    def _find_action(self, label: str) -> dict[str, Any]:
        for received in reversed(self.messages):
            for action in received.actions():
                if action.get("label") == label:
                    return action
        shown = [a.get("label") for m in self.messages for a in m.actions()]
        raise LookupError(f"no button {label!r} for {self}; shown: {shown}")

    async def next_message(self, timeout: float = 5.0) -> Received:  # noqa: ASYNC109
        """The next message to this user that this method has not returned yet."""

        def unseen() -> Received | None:
            messages = self.messages
            return messages[self._seen] if len(messages) > self._seen else None

        received = await self.server.wait_for(unseen, timeout=timeout, what=f"a message to {self}")
        self._seen += 1
        return received

    async def _send(self, event: Event, sign: Signing) -> int:
        self.events.append(event)
        return await self.server.deliver([event], sign=sign)

    def __repr__(self) -> str:
        return f"<LineUser {self.id} {self.display_name}>"


class LineEmulator:
    """The fake Messaging API (an aiohttp app) plus users, their inboxes and the webhook."""

    def __init__(self, channel_secret: str = "test-channel-secret",
                 access_token: str = "test-access-token", *, bot_name: str = "Humas Bot",
                 specs_dir: Path | None = None) -> None:
        self.channel_secret = channel_secret
        self.access_token = access_token
        self.spec = OpenApiSpec.load(MESSAGING_SPEC, specs_dir, MESSAGING_LIMITS)
        self.webhook_spec = OpenApiSpec.load(WEBHOOK_SPEC, specs_dir)
        self.bot_user_id = "U" + hashlib.sha256(access_token.encode()).hexdigest()[:32]
        self.bot_info = {"userId": self.bot_user_id, "basicId": "@humas-test",
                         "displayName": bot_name, "chatMode": "bot", "markAsReadMode": "auto"}
        self.clock: Callable[[], float] = time.time  # event timestamps, token and key expiry
        self.reply_token_lifetime = REPLY_TOKEN_LIFETIME
        self.webhook_url = ""  # where the bot listens; set by the test
        self.webhook_timeout = 10.0

        self.violations: list[dict[str, Any]] = []  # calls that break the spec: bot bugs
        self.errors: list[dict[str, Any]] = []  # real LINE errors the bot had to handle
        self.calls: list[LineCall] = []  # every request, with the status it got
        self.users: dict[str, LineUser] = {}
        self.inbox: dict[str, list[Received]] = defaultdict(list)
        self.undelivered: list[dict[str, Any]] = []  # accepted, but the user had blocked the bot
        self.retry_keys: Counter[str] = Counter()  # requests seen per X-Line-Retry-Key
        self.accepted: dict[str, _Accepted] = {}  # retry keys LINE has accepted
        self.reply_tokens: dict[str, ReplyToken] = {}
        self.contents: dict[str, StoredContent] = {}  # message id -> what a user sent
        self.loading: list[tuple[str, int]] = []  # loading animations shown (chat id, seconds)
        self.webhook_deliveries: list[WebhookDelivery] = []
        self.usage = 0  # messages counted against the monthly quota (replies are free)
        self.on_output: list[OutputCallback] = []

        self._faults: list[_Fault] = []
        self.held = 0  # requests held by hold_next right now
        self._message_ids = itertools.count(600_000_000_000_000_001)  # 18 digits, like LINE
        self._changed = asyncio.Event()
        self._stopping = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        # The host for api.line.me and the one for api-data.line.me (content): the same server.
        self.base_url = self.data_url = ""

        self.app = web.Application(client_max_size=MAX_BODY)
        self.app.router.add_route("*", "/{path:.*}", self._handle)
        self._handlers: dict[str, Callable[[_Request], Awaitable[tuple[int, Any]]]] = {
            "replyMessage": self._reply, "pushMessage": self._push,
            "multicast": self._multicast, "broadcast": self._broadcast,
            "getProfile": self._profile, "getBotInfo": self._info,
            "getFollowers": self._followers, "getMessageContent": self._content,
            "getMessageContentPreview": self._content,
            "getMessageContentTranscodingByMessageId": self._transcoding,
            "showLoadingAnimation": self._loading, "getMessageQuota": self._quota,
            "getMessageQuotaConsumption": self._consumption,
            **dict.fromkeys(("validateReply", "validatePush", "validateMulticast",
                             "validateNarrowcast", "validateBroadcast"), self._validated),
        }

    # --- lifecycle -------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen (on loopback only) and return ``base_url``, the host for the SDK."""
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("the emulator listens on loopback only")
        self._runner = web.AppRunner(self.app, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        port = self._runner.addresses[0][1]
        self.base_url = self.data_url = f"http://{host}:{port}"
        return self.base_url

    async def stop(self) -> None:
        self._stopping.set()  # hanging requests give up now
        if self._session:
            await self._session.close()
            self._session = None
        if self._runner:
            await self._runner.cleanup()
            self._runner = None

    # --- test-side setup -------------------------------------------------------------------

    def user(self, user_id: str, display_name: str = "User", **profile: Any) -> LineUser:
        """The simulated user with this id (created on first use, a friend of the bot unless
        ``following=False``); ``profile``: language, picture_url, status_message."""
        if user_id not in self.users:
            self.users[user_id] = LineUser(self, user_id, display_name, **profile)
        return self.users[user_id]

    def fail_next(self, path_suffix: str, status: int, times: int = 1, *,
                  message: str | None = None, deliver: bool = False) -> None:
        """Answer the next ``times`` requests whose path ends with ``path_suffix`` with
        ``status``, e.g. ``fail_next("/message/push", 500)``. ``deliver=True``: the messages
        go out (and a retry key is accepted) before the error: a lost answer."""
        text = message or FAULT_MESSAGES.get(status, f"HTTP {status}")
        self._faults.append(_Fault(path_suffix, status, text, times, deliver))

    def hang_next(self, path_suffix: str, times: int = 1, *, seconds: float | None = None,
                  deliver: bool = False) -> None:
        """Let the next ``times`` matching requests hang: until the client gives up (and the
        server stops), or for ``seconds`` and then answer normally (a slow LINE)."""
        self._faults.append(_Fault(path_suffix, 0, "", times, deliver, True, seconds))

    def hold_next(self, path_suffix: str) -> asyncio.Event:
        """Hold the next matching request until the event returned is set, then answer it
        normally (a slow download, to see what the bot does meanwhile); `held` counts the
        requests being held."""
        release = asyncio.Event()
        self._faults.append(_Fault(path_suffix, 0, "", 1, False, True, release=release))
        return release

    async def wait_for(self, predicate: Callable[[], Any],
                       timeout: float = 5.0,  # noqa: ASYNC109 - a timeout argument reads best in tests
                       what: str = "condition") -> Any:
        """Wait until ``predicate()`` is truthy and return its value."""
        deadline = asyncio.get_running_loop().time() + timeout
        while not (value := predicate()):
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise TimeoutError(f"no {what} within {timeout}s; errors: {self.errors[-3:]}, "
                                   f"violations: {self.violations[-3:]}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(remaining, 0.1))
        return value

    def store_content(self, data: bytes, content_type: str, kind: str) -> dict[str, Any]:
        """Keep what a user sends for the content API; the webhook message object for it."""
        message_id = self.new_message_id()
        self.contents[message_id] = StoredContent(data, content_type)
        return {"type": kind, "id": message_id, "contentProvider": {"type": "line"},
                "quoteToken": _quote_token()}

    def new_message_id(self) -> str:
        return str(next(self._message_ids))

    # --- webhook events --------------------------------------------------------------------

    def event(self, user: LineUser, kind: str, *, reply: bool = True, **fields: Any) -> Event:
        """A webhook event from ``user`` (line-webhook.yml ``Event``); ``reply``: with a fresh
        reply token, as message, postback and follow events have."""
        now = self.clock()
        event = webhook_event(kind, user.id, now, **fields)
        if reply:
            token = uuid.uuid4().hex
            self.reply_tokens[token] = ReplyToken(user.id, now)
            event["replyToken"] = token
        return event

    def message_event(self, user: LineUser, content: dict[str, Any]) -> Event:
        return self.event(user, "message", message=content)

    async def deliver(self, events: list[Event], *, sign: Signing = "valid") -> int:
        """POST one webhook body carrying ``events`` to ``webhook_url``, signed as ``sign`` says;
        returns the HTTP status. ``deliver([])`` is LINE's "Verify" button."""
        if not self.webhook_url:
            raise RuntimeError("set server.webhook_url to the bot's webhook first")
        body = {"destination": self.bot_user_id, "events": events}
        problems = self.webhook_spec.problems(body, self.webhook_spec.schema("CallbackRequest"))
        if problems:  # an emulator or test bug: the bot must never see such a body
            raise ValueError("webhook body breaks line-webhook.yml: " + "; ".join(map(str, problems)))
        raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json; charset=utf-8",
                   "User-Agent": "LineBotWebhook/2.0"}
        signature = self._signature(raw, sign)
        if signature is not None:
            headers["X-Line-Signature"] = signature
        for event in events:
            await self._emit("incoming", event)
        session = self._session or aiohttp.ClientSession()
        self._session = session
        timeout = aiohttp.ClientTimeout(total=self.webhook_timeout)
        async with session.post(self.webhook_url, data=raw, headers=headers,
                                timeout=timeout) as response:
            await response.read()
            status = response.status
        self.webhook_deliveries.append(WebhookDelivery(body, sign, status))
        return status

    def _signature(self, raw: bytes, sign: Signing) -> str | None:
        if sign == "none":
            return None
        secret = self.channel_secret if sign == "valid" else self.channel_secret + "-wrong"
        return signature(secret, raw)

    # --- HTTP ------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        call = LineCall(request.method, request.path, str(uuid.uuid4()))
        self.calls.append(call)
        try:
            response = await self._serve(request, call)
        except LineApiError as error:
            self._record(call, error)
            response = web.json_response(error.payload(), status=error.status,
                                         headers=error.headers)
        except ConnectionResetError:  # the bot hung up mid-request (say, stopping): no one to answer
            log.info("%s %s: the client hung up before its request arrived", request.method, request.path)
            response = web.Response(status=499)
        except Exception as crash:  # an emulator bug: fail the test loudly, not the bot
            log.exception("emulator crashed on %s %s", request.method, request.path)
            error = LineApiError(500, f"emulator crashed: {crash!r}", violation="emulator_crash")
            self._record(call, error)
            response = web.json_response(error.payload(), status=500)
        call.status = response.status
        response.headers["x-line-request-id"] = call.request_id
        self._notify()
        return response

    async def _serve(self, request: web.Request, call: LineCall) -> web.StreamResponse:
        operation, path_params = self._operation(request)
        call.operation = operation.operation_id
        if request.headers.get("Authorization") != f"Bearer {self.access_token}":
            raise LineApiError(401, AUTH_FAILED)
        call.query = self._query(operation, request)
        call.body = await self._body(operation, request)
        call.retry_key = self._retry_key(operation, request)
        if call.retry_key:
            self._check_not_accepted(call.retry_key)
        handler = self._handlers.get(operation.operation_id)
        if handler is None:
            raise LineApiError(501, f"the emulator does not implement {operation.operation_id}",
                               violation="unimplemented")
        fault = self._take_fault(request.path)
        if fault and not fault.deliver:
            await self._apply(fault)
        status, payload = await handler(_Request(operation, path_params, call.query, call.body,
                                                 call))
        if call.retry_key and 200 <= status < 300:
            sent = payload.get("sentMessages", []) if isinstance(payload, dict) else []
            self.accepted[call.retry_key] = _Accepted(call.request_id, self.clock(), sent)
        if fault and fault.deliver:
            await self._apply(fault)
        return self._respond(operation, status, payload)

    def _operation(self, request: web.Request) -> tuple[Operation, dict[str, str]]:
        try:
            return self.spec.find(request.method, request.path)
        except UnknownOperation as unknown:
            message = "Not found" if unknown.status == 404 else "Method not allowed"
            raise LineApiError(unknown.status, message, details=[{"message": str(unknown)}],
                               violation="unknown_operation") from None

    def _query(self, operation: Operation, request: web.Request) -> dict[str, Any]:
        declared = operation.query_parameters()
        values: dict[str, Any] = {}
        problems = []
        for name, raw in request.query.items():
            if name not in declared:
                problems.append(Problem(name, "unknown query parameter (not in the spec)"))
                continue
            schema = declared[name].get("schema", {})
            values[name] = _from_query(raw, schema)
            problems += self.spec.problems(values[name], schema, name)
        problems += [Problem(name, "must be specified") for name, p in declared.items()
                     if p.get("required") and name not in request.query]
        if problems:
            raise LineApiError(400, f"The request has {len(problems)} error(s)",
                               details=[p.detail() for p in problems], violation="query")
        return values

    async def _body(self, operation: Operation, request: web.Request) -> Any:
        raw = await request.read()
        if operation.body_type is None:
            if raw:
                raise LineApiError(400, "This endpoint takes no request body", violation="body")
            return None
        if operation.body_schema is None:  # a binary upload (rich menu image)
            return raw
        if request.content_type != "application/json":
            raise LineApiError(415, f"The content type, {request.content_type}, is not supported",
                               violation="content_type")
        try:
            body = json.loads(raw)
        except ValueError:
            raise LineApiError(400, "The request body could not be parsed as JSON",
                               violation="json") from None
        problems = self.spec.problems(body, operation.body_schema)
        if problems:
            raise invalid_body(problems)
        return body

    def _retry_key(self, operation: Operation, request: web.Request) -> str | None:
        key = request.headers.get("X-Line-Retry-Key")
        if key is None:
            return None
        if "x-line-retry-key" not in operation.header_names():
            raise LineApiError(400, f"X-Line-Retry-Key can't be used with {operation.operation_id}",
                               violation="header")
        if not RETRY_KEY.fullmatch(key):
            raise LineApiError(400, "The value for the 'X-Line-Retry-Key' header is invalid",
                               violation="header")
        self.retry_keys[key] += 1
        return key

    def _check_not_accepted(self, key: str) -> None:
        accepted = self.accepted.get(key)
        if accepted is None or self.clock() - accepted.at > RETRY_KEY_LIFETIME:
            return
        extra = {"sentMessages": accepted.sent_messages} if accepted.sent_messages else {}
        raise LineApiError(409, "The retry key is already accepted", extra=extra,
                           headers={"x-line-accepted-request-id": accepted.request_id})

    def _take_fault(self, path: str) -> _Fault | None:
        for fault in self._faults:
            if path.endswith(fault.suffix):
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    async def _apply(self, fault: _Fault) -> None:
        """Fail, or hang: for ``seconds`` (then carry on) or until stop()."""
        if not fault.hang:
            raise LineApiError(fault.status, fault.message)
        if fault.release is not None:
            self.held += 1
            self._notify()
            try:
                while not (fault.release.is_set() or self._stopping.is_set()):
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(fault.release.wait(), 0.1)
            finally:
                self.held -= 1
            if self._stopping.is_set():
                raise LineApiError(503, "the emulator stopped while the request was held")
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), fault.seconds)
        if self._stopping.is_set():
            raise LineApiError(503, "the emulator stopped while the request hung")

    def _respond(self, operation: Operation, status: int, payload: Any) -> web.StreamResponse:
        if isinstance(payload, StoredContent):
            return web.Response(body=payload.data, content_type=payload.content_type)
        # Self-check: an answer the SDK cannot parse would be an emulator bug, not a bot bug.
        schema = operation.response_schema(status)
        problems = self.spec.problems(payload, schema) if schema else []
        if problems:
            raise LineApiError(500, f"emulator answered {operation.operation_id} wrongly",
                               details=[p.detail() for p in problems], violation="emulator_result")
        return web.json_response(payload, status=status)

    def _record(self, call: LineCall, error: LineApiError) -> None:
        entry = {"method": call.method, "path": call.path, "operation": call.operation,
                 "status": error.status, "message": error.message, "details": error.details,
                 "body": call.body}
        if error.violation:
            self.violations.append({**entry, "kind": error.violation})
            log.warning("LINE API spec violation: %s %s %s %s", call.method, call.path,
                        error.message, error.details)
        else:
            self.errors.append(entry)

    # --- sending ---------------------------------------------------------------------------

    async def _reply(self, request: _Request) -> tuple[int, Any]:
        body = request.body
        token = self.reply_tokens.get(body["replyToken"])
        if token is None or token.used or (
            self.clock() - token.issued_at > self.reply_token_lifetime
        ):
            raise LineApiError(400, "Invalid reply token")
        token.used = True
        sent = await self._deliver([token.user_id], body["messages"], "reply", request.call)
        return 200, {"sentMessages": sent}

    async def _push(self, request: _Request) -> tuple[int, Any]:
        to = request.body["to"]
        self._check_recipient(to, "to")
        if to not in self.users:
            raise LineApiError(400, "Failed to send messages")
        sent = await self._deliver([to], request.body["messages"], "push", request.call)
        return 200, {"sentMessages": sent}

    async def _multicast(self, request: _Request) -> tuple[int, Any]:
        recipients = request.body["to"]
        for index, to in enumerate(recipients):
            self._check_recipient(to, f"to[{index}]", users_only=True)
        await self._deliver(recipients, request.body["messages"], "multicast", request.call)
        return 200, {}

    async def _broadcast(self, request: _Request) -> tuple[int, Any]:
        followers = [u.id for u in self.users.values() if u.following]
        await self._deliver(followers, request.body["messages"], "broadcast", request.call)
        return 200, {}

    async def _validated(self, request: _Request) -> tuple[int, Any]:
        return 200, {}  # the body check already ran

    @staticmethod
    def _check_recipient(to: str, where: str, *, users_only: bool = False) -> None:
        if not (USER_ID if users_only else CHAT_ID).fullmatch(to):
            raise LineApiError(400, f"The property, '{where}', in the request body is invalid "
                               "(line: -, column: -)")

    async def _deliver(self, recipients: list[str], messages: list[dict[str, Any]], via: str,
                       call: LineCall) -> list[dict[str, str]]:
        """Put ``messages`` in each recipient's inbox; users who blocked the bot (or that the
        emulator does not know) get nothing, and LINE does not say so."""
        sent = [self._sent_message(m) for m in messages]
        reached = 0
        for user_id in recipients:
            user = self.users.get(user_id)
            if user is None or not user.following:
                self.undelivered.append({"to": user_id, "via": via, "messages": messages})
                continue
            reached += 1
            for message, info in zip(messages, sent, strict=True):
                received = Received(copy.deepcopy(message), via, self.clock(), info["id"],
                                    call.request_id, call.retry_key)
                self.inbox[user_id].append(received)
                await self._emit("new", {"to": user_id, **asdict(received)})
        if via != "reply":
            self.usage += reached * len(messages)
        return sent

    def _sent_message(self, message: dict[str, Any]) -> dict[str, str]:
        sent = {"id": self.new_message_id()}
        if message["type"] in QUOTABLE:
            sent["quoteToken"] = _quote_token()
        return sent

    # --- other endpoints -------------------------------------------------------------------

    async def _profile(self, request: _Request) -> tuple[int, Any]:
        user = self.users.get(request.path_params["userId"])
        if user is None or not user.following:
            raise LineApiError(404, "Not found")
        return 200, user.profile()

    async def _info(self, request: _Request) -> tuple[int, Any]:
        return 200, self.bot_info

    async def _followers(self, request: _Request) -> tuple[int, Any]:
        """Follower ids in pages; the continuation token is simply the next index."""
        ids = [u.id for u in self.users.values() if u.following]
        limit = request.query.get("limit", 300)
        start = request.query.get("start", "0")
        if not start.isdigit():
            raise LineApiError(400, "Invalid start")
        first = int(start)
        answer: dict[str, Any] = {"userIds": ids[first : first + limit]}
        if first + limit < len(ids):
            answer["next"] = str(first + limit)
        return 200, answer

    async def _content(self, request: _Request) -> tuple[int, Any]:
        content = self.contents.get(request.path_params["messageId"])
        if content is None:
            raise LineApiError(404, "Not found")
        return 200, content

    async def _transcoding(self, request: _Request) -> tuple[int, Any]:
        if request.path_params["messageId"] not in self.contents:
            raise LineApiError(404, "Not found")
        return 200, {"status": "succeeded"}

    async def _loading(self, request: _Request) -> tuple[int, Any]:
        chat_id = request.body["chatId"]
        seconds = request.body.get("loadingSeconds", 20)
        if seconds % 5:
            raise invalid_body([Problem("loadingSeconds", "must be a multiple of 5")])
        if chat_id not in self.users:
            raise LineApiError(400, "Invalid chatId")
        self.loading.append((chat_id, seconds))
        return 202, {}

    async def _quota(self, request: _Request) -> tuple[int, Any]:
        return 200, {"type": "none"}

    async def _consumption(self, request: _Request) -> tuple[int, Any]:
        return 200, {"totalUsage": self.usage}

    # --- state helpers ---------------------------------------------------------------------

    def _notify(self) -> None:
        """Wake everything waiting for a change (wait_for, next_message)."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def _emit(self, kind: str, payload: dict[str, Any]) -> None:
        """Tell the on_output listeners: "new" (a message to a user) or "incoming" (an event
        a user caused)."""
        self._notify()
        for callback in self.on_output:
            try:
                await callback(kind, payload)
            except Exception:  # a broken viewer must not break the bot's call
                log.exception("on_output callback failed")


# --- module helpers ------------------------------------------------------------------------


def signature(channel_secret: str, body: bytes) -> str:
    """X-Line-Signature: base64 of the HMAC-SHA256 of the raw body, keyed by the secret."""
    digest = hmac.new(channel_secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def webhook_event(kind: str, user_id: str, at: float, **fields: Any) -> Event:
    """The common part of every webhook event from a user in a one-to-one chat, plus
    ``fields`` (message, postback, follow, replyToken...)."""
    return {"type": kind, "mode": "active", "timestamp": int(at * 1000),
            "source": {"type": "user", "userId": user_id}, "webhookEventId": ulid(at),
            "deliveryContext": {"isRedelivery": False}, **fields}


_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def ulid(at: float) -> str:
    """A ULID as LINE's webhookEventId is one: 48 bits of milliseconds, 80 random bits,
    26 Crockford base32 characters."""
    number = (int(at * 1000) << 80) | secrets.randbits(80)
    return "".join(_CROCKFORD[(number >> shift) & 31] for shift in range(125, -1, -5))


def make_user_id(seed: str) -> str:
    """A stable, well-formed LINE user id for a test person: ``make_user_id("sari")``."""
    return "U" + hashlib.md5(seed.encode()).hexdigest()


def _quote_token() -> str:
    return secrets.token_urlsafe(48)


def _from_query(raw: str, schema: dict[str, Any]) -> Any:
    """Query values are text; an integer parameter is read as one (or left for the check)."""
    if schema.get("type") == "integer":
        with contextlib.suppress(ValueError):
            return int(raw)
    return raw


def _actions_in(value: Any) -> Iterator[dict[str, Any]]:
    """Action objects anywhere in a message: under "action"/"defaultAction" or in "actions"."""
    if isinstance(value, list):
        for item in value:
            yield from _actions_in(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            if key in ACTION_KEYS and isinstance(item, dict):
                yield item
            elif key == "actions" and isinstance(item, list):
                yield from (a for a in item if isinstance(a, dict))
            else:
                yield from _actions_in(item)
