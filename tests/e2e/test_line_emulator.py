"""The fake LINE Messaging API, driven by the real line-bot-sdk v3 async client over HTTP, and its
webhook side checked with the SDK's own signature validator and parser."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from linebot.v3 import WebhookParser
from linebot.v3.exceptions import InvalidSignatureError
from linebot.v3.messaging import (
    BroadcastRequest,
    DatetimePickerAction,
    MulticastRequest,
    PostbackAction,
    PushMessageRequest,
    QuickReply,
    QuickReplyItem,
    ReplyMessageRequest,
    ShowLoadingAnimationRequest,
    TextMessage,
)
from linebot.v3.messaging.exceptions import ApiException
from linebot.v3.webhooks import (
    FollowEvent,
    ImageMessageContent,
    MessageEvent,
    PostbackEvent,
    TextMessageContent,
    UnfollowEvent,
    VideoMessageContent,
)

from bot.emulator.line import LineEmulator, make_user_id, signature
from tests.e2e.line_fixtures import CHANNEL_SECRET, line_apis
from tests.e2e.line_fixtures import line_server as line_server  # the fixture

SARI = make_user_id("sari")
BUDI = make_user_id("budi")
WATI = make_user_id("wati")


# --- a tiny bot: the webhook receiver ------------------------------------------------------


@dataclass
class Receiver:
    """What a minimal bot's webhook saw: raw bodies, the SDK's parsed events, and refusals."""

    url: str = ""
    raw: list[bytes] = field(default_factory=list)
    events: list[Any] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


Handler = Callable[[Any], Awaitable[None]]


@asynccontextmanager
async def webhook_receiver(on_event: Handler | None = None) -> AsyncIterator[Receiver]:
    """Verify the signature and parse with the SDK, as a real bot does; 400 if unsigned."""
    receiver = Receiver()
    parser = WebhookParser(CHANNEL_SECRET)

    async def callback(request: web.Request) -> web.Response:
        raw = await request.read()
        receiver.raw.append(raw)
        try:
            events = parser.parse(raw.decode(), request.headers.get("X-Line-Signature", ""))
        except InvalidSignatureError as error:
            receiver.refused.append(str(error))
            return web.Response(status=400, text="bad signature")
        receiver.events.extend(events)
        for event in events:
            if on_event:
                await on_event(event)
        return web.Response(text="OK")

    app = web.Application()
    app.router.add_post("/callback", callback)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    receiver.url = f"http://127.0.0.1:{runner.addresses[0][1]}/callback"
    try:
        yield receiver
    finally:
        await runner.cleanup()


async def raw_post(server: LineEmulator, path: str, body: Any,
                   headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    """A request the SDK's own models would refuse to build (unknown property, 6 messages...)."""
    headers = {"Authorization": f"Bearer {server.access_token}", **(headers or {})}
    async with aiohttp.ClientSession() as session, session.post(
        server.base_url + path, json=body, headers=headers
    ) as response:
        return response.status, await response.json()


def error_body(error: ApiException) -> dict[str, Any]:
    return json.loads(error.body)


# --- sending -------------------------------------------------------------------------------


async def test_push_text_reaches_the_user(line_server: LineEmulator) -> None:
    sari = line_server.user(SARI, "Sari")
    async with line_apis(line_server) as (api, _):
        answer = await api.push_message(
            PushMessageRequest(to=SARI, messages=[TextMessage(text="Halo Sari")])
        )
        profile = await api.get_profile(SARI)
        info = await api.get_bot_info()
    (received,) = sari.messages
    assert received["text"] == "Halo Sari"
    assert (received.via, received.id) == ("push", answer.sent_messages[0].id)
    assert answer.sent_messages[0].quote_token
    assert (await sari.next_message()) is received
    assert (profile.display_name, profile.user_id) == ("Sari", SARI)
    assert info.user_id == line_server.bot_user_id
    assert line_server.errors == [] and line_server.usage == 1
    assert [c.operation for c in line_server.calls] == ["pushMessage", "getProfile", "getBotInfo"]


async def test_multicast_retry_key_is_accepted_once(line_server: LineEmulator) -> None:
    users = [line_server.user(uid, name) for uid, name in ((SARI, "Sari"), (BUDI, "Budi"),
                                                           (WATI, "Wati"))]
    request = MulticastRequest(to=[u.id for u in users], messages=[TextMessage(text="Rilis")])
    key = str(uuid.uuid4())
    async with line_apis(line_server) as (api, _):
        first = await api.multicast_with_http_info(request, x_line_retry_key=key)
        with pytest.raises(ApiException) as again:
            await api.multicast(request, x_line_retry_key=key)
    assert first.status_code == 200
    assert again.value.status == 409
    assert again.value.headers["x-line-accepted-request-id"] == first.headers["x-line-request-id"]
    assert error_body(again.value)["message"] == "The retry key is already accepted"
    assert [len(u.messages) for u in users] == [1, 1, 1]  # no second delivery
    assert line_server.retry_keys[key] == 2


async def test_reply_token_is_valid_once_and_briefly(line_server: LineEmulator) -> None:
    sari = line_server.user(SARI, "Sari")
    async with webhook_receiver() as bot, line_apis(line_server) as (api, _):
        line_server.webhook_url = bot.url
        assert await sari.say("halo") == 200
        token = bot.events[-1].reply_token
        reply = ReplyMessageRequest(reply_token=token, messages=[TextMessage(text="Halo juga")])
        await api.reply_message(reply)
        with pytest.raises(ApiException) as used:
            await api.reply_message(reply)

        await sari.say("lagi")
        late = bot.events[-1].reply_token
        now = line_server.clock()
        line_server.clock = lambda: now + 61  # past the one-minute lifetime
        with pytest.raises(ApiException) as expired:
            await api.reply_message(ReplyMessageRequest(reply_token=late,
                                                        messages=[TextMessage(text="telat")]))
    assert [m.text for m in sari.messages] == ["Halo juga"]
    assert sari.messages[0].via == "reply" and line_server.usage == 0  # replies are free
    for error in (used.value, expired.value):
        assert (error.status, error_body(error)["message"]) == (400, "Invalid reply token")
    assert len(line_server.errors) == 2


async def test_text_over_5000_characters_is_a_violation(line_server: LineEmulator) -> None:
    line_server.user(SARI, "Sari")
    async with line_apis(line_server) as (api, _):
        with pytest.raises(ApiException) as error:
            await api.push_message(PushMessageRequest(to=SARI, messages=[TextMessage(text="x" * 5001)]))
    assert error.value.status == 400
    assert error_body(error.value) == {
        "message": "The request body has 1 error(s)",
        "details": [{"message": "Length must be between 1 and 5000", "property": "messages[0].text"}],
    }
    (violation,) = line_server.violations
    assert violation["kind"] == "schema" and violation["path"] == "/v2/bot/message/push"
    assert line_server.inbox == {}
    line_server.violations.clear()  # seen: keep the fixture from failing the test


@pytest.mark.parametrize(
    ("path", "body", "property_"),
    [
        ("/v2/bot/message/push", {"to": SARI, "messages": [{"type": "text", "text": "a"}],
                                  "notify": True}, "notify"),
        ("/v2/bot/message/push", {"to": SARI, "messages": [{"type": "text", "text": "a"}] * 6},
         "messages"),
        ("/v2/bot/message/push", {"messages": [{"type": "text", "text": "a"}]}, "to"),
        ("/v2/bot/message/push", {"to": SARI, "messages": [{"type": "txt", "text": "a"}]},
         "messages[0].type"),
        ("/v2/bot/message/multicast", {"to": [SARI] * 501,
                                       "messages": [{"type": "text", "text": "a"}]}, "to"),
        ("/v2/bot/message/broadcast", {"messages": [{"type": "text", "text": "a", "quickReply": {
            "items": [{"type": "action", "action": {"type": "message", "label": "ya",
                                                    "text": "ya"}}] * 14}}]},
         "messages[0].quickReply.items"),
        ("/v2/bot/message/broadcast", {"messages": [{"type": "text", "text": "a", "quickReply": {
            "items": [{"type": "action", "action": {"type": "postback", "label": "ya",
                                                    "data": "d" * 301}}]}}]},
         "messages[0].quickReply.items[0].action.data"),
        ("/v2/bot/message/broadcast", {"messages": [{"type": "text", "text": "a", "quickReply": {
            "items": [{"type": "action", "action": {"type": "postbak", "label": "ya"}}]}}]},
         "messages[0].quickReply.items[0].action.type"),
        ("/v2/bot/message/push", {"to": SARI, "messages": [{"type": "text", "text": 5}]},
         "messages[0].text"),
    ],
    ids=["unknown-property", "6-messages", "missing-to", "unknown-message-type", "501-recipients",
         "14-quick-replies", "postback-data-301", "unknown-action-type", "text-not-string"],
)
async def test_request_body_violations(line_server: LineEmulator, path: str, body: dict[str, Any],
                                       property_: str) -> None:
    line_server.user(SARI, "Sari")
    status, answer = await raw_post(line_server, path, body)
    assert status == 400
    assert answer["message"] == "The request body has 1 error(s)"
    assert [d["property"] for d in answer["details"]] == [property_]
    assert len(line_server.violations) == 1 and line_server.inbox == {}
    line_server.violations.clear()


async def test_unknown_endpoint_and_bad_retry_key_are_violations(line_server: LineEmulator) -> None:
    status, answer = await raw_post(line_server, "/v2/bot/message/pussh", {})
    assert (status, answer["message"]) == (404, "Not found")
    body = {"to": SARI, "messages": [{"type": "text", "text": "a"}]}
    status, _ = await raw_post(line_server, "/v2/bot/message/push", body,
                               {"X-Line-Retry-Key": "not-a-uuid"})
    assert status == 400
    status, _ = await raw_post(line_server, "/v2/bot/message/reply",
                               {"replyToken": "x", "messages": body["messages"]},
                               {"X-Line-Retry-Key": str(uuid.uuid4())})
    assert status == 400  # reply takes no retry key
    assert [v["kind"] for v in line_server.violations] == ["unknown_operation", "header", "header"]
    line_server.violations.clear()


async def test_bad_token_is_401_not_a_violation(line_server: LineEmulator) -> None:
    line_server.user(SARI, "Sari")
    async with line_apis(line_server, access_token="wrong-token") as (api, _):
        with pytest.raises(ApiException) as error:
            await api.push_message(PushMessageRequest(to=SARI, messages=[TextMessage(text="a")]))
    assert error.value.status == 401
    assert error_body(error.value)["message"].startswith("Authentication failed")
    assert line_server.inbox == {} and len(line_server.errors) == 1


# --- content -------------------------------------------------------------------------------


async def test_content_of_what_a_user_sent(line_server: LineEmulator) -> None:
    sari = line_server.user(SARI, "Sari")
    picture, clip = b"\xff\xd8\xff\xe0 fake jpeg", b"\x00\x00\x00\x18ftypmp42 fake mp4"
    async with webhook_receiver() as bot, line_apis(line_server) as (_, blob):
        line_server.webhook_url = bot.url
        await sari.send_image(picture)
        await sari.send_video(clip, duration_ms=12_000)
        image, video = (e.message for e in bot.events)
        assert await blob.get_message_content(image.id) == picture
        answer = await blob.get_message_content_with_http_info(video.id)
        status = await blob.get_message_content_transcoding_by_message_id(video.id)
        with pytest.raises(ApiException) as missing:
            await blob.get_message_content("123")
    assert answer.raw_data == clip and answer.headers["Content-Type"] == "video/mp4"
    assert isinstance(image, ImageMessageContent) and image.content_provider.type == "line"
    assert isinstance(video, VideoMessageContent) and video.duration == 12_000
    assert status.status == "succeeded"
    assert missing.value.status == 404


# --- failures ------------------------------------------------------------------------------


async def test_fail_next_then_success(line_server: LineEmulator) -> None:
    sari = line_server.user(SARI, "Sari")
    line_server.fail_next("/message/push", 500)
    request = PushMessageRequest(to=SARI, messages=[TextMessage(text="Coba lagi")])
    key = str(uuid.uuid4())
    async with line_apis(line_server) as (api, _):
        with pytest.raises(ApiException) as error:
            await api.push_message(request, x_line_retry_key=key)
        await api.push_message(request, x_line_retry_key=key)  # not accepted before: goes out
    assert error.value.status == 500
    assert [m.text for m in sari.messages] == ["Coba lagi"]
    assert [c.status for c in line_server.calls] == [500, 200]


async def test_lost_answer_then_retry_is_409(line_server: LineEmulator) -> None:
    """LINE delivered but the answer was lost: the retry with the same key must not deliver."""
    sari = line_server.user(SARI, "Sari")
    line_server.fail_next("/message/push", 500, deliver=True)
    line_server.hang_next("/message/push", deliver=True)
    request = PushMessageRequest(to=SARI, messages=[TextMessage(text="Sekali saja")])
    lost, hung = str(uuid.uuid4()), str(uuid.uuid4())
    async with line_apis(line_server) as (api, _):
        with pytest.raises(ApiException):
            await api.push_message(request, x_line_retry_key=lost)
        with pytest.raises(ApiException) as conflict:
            await api.push_message(request, x_line_retry_key=lost)
        with pytest.raises(TimeoutError):
            await api.push_message(request, x_line_retry_key=hung, _request_timeout=0.3)
        with pytest.raises(ApiException) as conflict_after_hang:
            await api.push_message(request, x_line_retry_key=hung)
    assert conflict.value.status == conflict_after_hang.value.status == 409
    assert error_body(conflict.value)["sentMessages"][0]["id"] == sari.messages[0].id
    assert [m.text for m in sari.messages] == ["Sekali saja", "Sekali saja"]  # one per key


async def test_slow_answer(line_server: LineEmulator) -> None:
    line_server.user(SARI, "Sari")
    line_server.hang_next("/v2/bot/info", seconds=0.2)
    async with line_apis(line_server) as (api, _):
        info = await api.get_bot_info()
    assert info.display_name == "Humas Bot"


# --- audiences -----------------------------------------------------------------------------


async def test_broadcast_followers_and_blocked_users(line_server: LineEmulator) -> None:
    sari, budi = line_server.user(SARI, "Sari"), line_server.user(BUDI, "Budi")
    wati = line_server.user(WATI, "Wati", following=False)
    async with webhook_receiver() as bot, line_apis(line_server) as (api, _):
        line_server.webhook_url = bot.url
        await budi.unfollow()
        await api.broadcast(BroadcastRequest(messages=[TextMessage(text="Siaran")]))
        await api.push_message(PushMessageRequest(to=BUDI, messages=[TextMessage(text="a")]))
        await wati.follow()
        first = await api.get_followers(limit=1)
        rest = await api.get_followers(start=first.next, limit=1)
        await budi.follow()
        await api.show_loading_animation(ShowLoadingAnimationRequest(chat_id=SARI, loading_seconds=10))
        usage = await api.get_message_quota_consumption()
    assert [m.text for m in sari.messages] == ["Siaran"]
    assert budi.messages == [] and wati.messages == []
    assert [u["to"] for u in line_server.undelivered] == [BUDI]  # accepted, silently dropped
    assert first.user_ids + rest.user_ids == [SARI, WATI] and rest.next is None
    unfollow, *follows = bot.events
    assert isinstance(unfollow, UnfollowEvent) and "replyToken" not in budi.events[0]
    assert [(type(e), e.follow.is_unblocked) for e in follows] == [(FollowEvent, False),
                                                                  (FollowEvent, True)]
    assert line_server.loading == [(SARI, 10)] and usage.total_usage == 1


# --- the webhook side ----------------------------------------------------------------------


async def test_webhook_bodies_are_signed_and_parse_with_the_sdk(line_server: LineEmulator) -> None:
    sari = line_server.user(SARI, "Sari")
    async with webhook_receiver() as bot:
        line_server.webhook_url = bot.url
        assert await sari.say("Halo, mau ajukan rilis") == 200
        assert await sari.postback("pick=date", params={"date": "2026-11-28"}) == 200
        assert await sari.redeliver() == 200
        assert await sari.say("tanpa tanda tangan", sign="none") == 400
        assert await sari.say("tanda tangan salah", sign="wrong") == 400
        assert await line_server.deliver([]) == 200  # the console's "Verify"

    raw = bot.raw[0]
    body = json.loads(raw)
    assert body["destination"] == line_server.bot_user_id
    assert line_server.webhook_deliveries[0].signing == "valid"
    assert signature(CHANNEL_SECRET, raw) != signature("another-secret", raw)
    text, postback, again = bot.events
    assert isinstance(text, MessageEvent) and isinstance(text.message, TextMessageContent)
    assert text.message.text == "Halo, mau ajukan rilis" and text.message.quote_token
    assert text.source.user_id == SARI and text.mode == "active" and text.reply_token
    assert len(text.webhook_event_id) == 26 and not text.delivery_context.is_redelivery
    assert isinstance(postback, PostbackEvent)
    assert (postback.postback.data, postback.postback.params) == ("pick=date", {"date": "2026-11-28"})
    assert again.webhook_event_id == postback.webhook_event_id
    assert again.reply_token == postback.reply_token and again.delivery_context.is_redelivery
    assert len(bot.refused) == 2


async def test_a_tiny_bot_replies_and_the_user_taps(line_server: LineEmulator) -> None:
    """The whole loop: user event -> bot webhook -> SDK reply with buttons -> user taps."""
    sari = line_server.user(SARI, "Sari")
    seen: list[dict[str, Any]] = []

    async def watch(kind: str, payload: dict[str, Any]) -> None:
        seen.append({"kind": kind, "type": payload.get("type")})

    line_server.on_output.append(watch)
    async with line_apis(line_server) as (api, _):

        async def bot_logic(event: Any) -> None:
            if isinstance(event, MessageEvent):
                buttons = QuickReply(items=[
                    QuickReplyItem(action=PostbackAction(label="Setuju", data="ok")),
                    QuickReplyItem(action=DatetimePickerAction(label="Tanggal", data="when",
                                                               mode="date")),
                ])
                await api.reply_message(ReplyMessageRequest(
                    reply_token=event.reply_token,
                    messages=[TextMessage(text="Setuju?", quick_reply=buttons)],
                ))

        async with webhook_receiver(bot_logic) as bot:
            line_server.webhook_url = bot.url
            await sari.say("rilis")
            question = await sari.next_message()
            assert [a["label"] for a in question.actions()] == ["Setuju", "Tanggal"]
            await sari.tap("Setuju")
            await sari.tap("Tanggal", "2026-11-28")
    tapped = [(e.postback.data, e.postback.params) for e in bot.events[1:]]
    assert tapped == [("ok", None), ("when", {"date": "2026-11-28"})]
    assert [s["kind"] for s in seen] == ["incoming", "new", "incoming", "incoming"]
