"""Updates and events of every kind, built from the platforms' own descriptions.

Telegram (``telegram-bot-api.json``): every field of ``Update``; for the seven that carry a
Message, every kind of message content (each Message field from ``text`` on, where the Bot
API lists what a message shows rather than where it was sent). LINE (``line-webhook.yml``):
every event type of ``Event`` and every message type of ``MessageContent``.

Required fields are always there, optional ones at random, from one seeded ``random.Random``:
a run is reproducible from its seed (``HUMAS_KINDS_SEED`` replays one). Each update is
placed in a chat: the client's own, a stranger's, a group's or a channel's, so that the test
can tell a chat that asked from one that did not.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import os
import random
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml
from PIL import Image

from bot.emulator.line import ulid
from bot.emulator.line_spec import WEBHOOK_SPEC
from bot.emulator.spec_files import specs_dir
from bot.emulator.telegram_spec import BotApiSpec, _constant

DEFAULT_SEED = 19
OPTIONAL = 0.4  # the chance of an optional field at the top; it halves with each level
MAX_DEPTH = 4  # below this only required fields, so that recursive types stay small
WORDS = ("halo", "seminar", "poster", "jadwal", "kampus", "info", "acara", "besok", "terima",
         "kasih", "publikasi", "humas", "dies", "natalis", "lomba", "webinar")
QUOTED = re.compile(r'"([A-Za-z_0-9]+)"')
CHOICES = re.compile(r"(can be|either|one of|must be|always|currently)", re.IGNORECASE)
ALWAYS_NUMBER = re.compile(r"^Always (-?\d+)")
# Message kinds that move the other message kinds' content into a different setting.
MESSAGE_KINDS = ("message", "edited_message", "channel_post", "edited_channel_post",
                 "business_message", "edited_business_message", "guest_message")
CAPTIONED = {"animation", "audio", "document", "live_photo", "paid_media", "photo", "video", "voice"}
CAPTION_FIELDS = {"caption", "caption_entities", "show_caption_above_media", "has_media_spoiler"}
TEXT_FIELDS = {"entities", "link_preview_options"}
# Envelope fields that belong to one kind of update only; placed by that kind, never at random.
PLACED = {"message_id", "from", "chat", "date", "sender_chat", "edit_date", "business_connection_id",
          "sender_business_bot", "guest_query_id", "guest_bot_caller_user", "guest_bot_caller_chat"}
# What a client's message would answer in the intake: kept out of the client's own noise.
TELEGRAM_ANSWERS = {"text", "photo", "video", "document", "contact"}
LINE_ASKING = {"text", "image", "video", "file", "audio"}  # the bot answers these, or takes them


def seed() -> int:
    return int(os.environ.get("HUMAS_KINDS_SEED", DEFAULT_SEED))


def small_jpeg(side: int = 64) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (side, side), (200, 60, 60)).save(out, "JPEG")
    return out.getvalue()


# --- who an update comes from -------------------------------------------------------------


@dataclass
class Actor:
    """Where an update happens: ``role`` is client, stranger, group, channel or guest (the
    client writing in another chat, where a guest bot was called)."""

    role: str
    chat_id: int | str
    user: dict[str, Any] | None = None
    chat: dict[str, Any] | None = None


@dataclass
class Sent:
    """One generated update or event, and what the test learns about it."""

    platform: str
    kind: str  # Telegram: the Update field; LINE: the event type
    content: str  # the message content kind, or "" for updates that carry none
    actor: Actor
    payload: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)
    asks: bool = False  # may the bot write to this chat because of it?
    outcome: str = ""

    @property
    def label(self) -> str:
        return f"{self.kind}/{self.content}" if self.content else self.kind


class People:
    """Fresh strangers, groups and channels: one chat per update, so that whatever the bot
    sends can be traced to the update that caused it."""

    def __init__(self, client: dict[str, Any]) -> None:
        self.client = client
        self._numbers = itertools.count(1)

    def client_actor(self) -> Actor:
        chat = {"id": self.client["id"], "type": "private", "first_name": self.client["first_name"]}
        return Actor("client", self.client["id"], self.client, chat)

    def stranger(self) -> Actor:
        n = next(self._numbers)
        user = {"id": 7_000_000 + n, "is_bot": False, "first_name": f"Tamu{n}", "language_code": "id"}
        chat = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        return Actor("stranger", user["id"], user, chat)

    def group(self) -> Actor:
        n = next(self._numbers)
        member = self.stranger().user
        chat = {"id": -1_009_000_000_000 - n, "type": "supergroup", "title": f"Grup {n}"}
        return Actor("group", chat["id"], member, chat)

    def channel(self) -> Actor:
        n = next(self._numbers)
        chat = {"id": -1_008_000_000_000 - n, "type": "channel", "title": f"Kanal {n}"}
        return Actor("channel", chat["id"], self.stranger().user, chat)

    def guest(self) -> Actor:
        """The client, writing in a group the bot is not in (a guest bot's chat)."""
        n = next(self._numbers)
        chat = {"id": -1_007_000_000_000 - n, "type": "group", "title": f"Obrolan {n}"}
        return Actor("guest", chat["id"], self.client, chat)

    def make(self, role: str) -> Actor:
        return {"client": self.client_actor, "stranger": self.stranger, "group": self.group,
                "channel": self.channel, "guest": self.guest}[role]()


# --- Telegram -----------------------------------------------------------------------------


class TelegramKinds:
    """Values of any Bot API type, and updates of every kind placed in a chat."""

    def __init__(self, rng: random.Random, people: People, bot_user: dict[str, Any]) -> None:
        self.spec = BotApiSpec.load(specs_dir())
        self.rng = rng
        self.people = people
        self.bot_user = bot_user
        self._ids = itertools.count(1)

    # The kinds -----------------------------------------------------------------------------

    def update_kinds(self) -> list[str]:
        return [f["name"] for f in self.spec.types["Update"]["fields"] if f["name"] != "update_id"]

    def content_kinds(self) -> list[str]:
        names = [f["name"] for f in self.spec.types["Message"]["fields"]]
        return [n for n in names[names.index("text"):]
                if n not in CAPTION_FIELDS | TEXT_FIELDS | {"reply_markup"}
                and n not in ("suggested_post_info", "effect_id")]

    # Values ---------------------------------------------------------------------------------

    def value(self, types: list[str], spec_field: dict[str, Any], depth: int) -> Any:
        type_name = self.rng.choice(types)
        if type_name.startswith("Array of "):
            inner = type_name.removeprefix("Array of ")
            return [self.value([inner], spec_field, depth + 1) for _ in range(self.rng.randint(1, 2))]
        if type_name == "Integer":
            return self.integer(spec_field)
        if type_name == "Float":
            return round(self.rng.uniform(-80.0, 80.0), 5)
        if type_name == "Boolean":
            return self.rng.random() < 0.5
        if type_name == "True":
            return True
        if type_name == "String":
            return self.string(spec_field)
        subtypes = self.spec.types[type_name].get("subtypes")
        if subtypes:  # a union: one of its members (some are plain strings)
            return self.value([self.rng.choice(subtypes)], spec_field, depth)
        return self.obj(type_name, depth)

    def obj(self, type_name: str, depth: int, *, skip: set[str] | frozenset = frozenset()) -> dict[str, Any]:
        spec = self.spec.types[type_name]
        if "subtypes" in spec:
            return self.obj(self.rng.choice(spec["subtypes"]), depth, skip=skip)
        chance = OPTIONAL / (2 ** depth) if depth < MAX_DEPTH else 0.0
        out: dict[str, Any] = {}
        for spec_field in spec.get("fields", []):
            name = spec_field["name"]
            if name in skip or not (spec_field["required"] or self.rng.random() < chance):
                continue
            out[name] = self.value(spec_field["types"], spec_field, depth + 1)
        return out

    def integer(self, spec_field: dict[str, Any]) -> int:
        name, text = spec_field["name"], spec_field.get("description", "")
        if match := ALWAYS_NUMBER.match(text.removeprefix("Optional. ")):
            return int(match.group(1))
        if name == "date" or name.endswith("_date"):
            return int(time.time()) - self.rng.randint(0, 3600)
        if name == "message_id" or name.endswith("_message_id"):
            return 900_000 + next(self._ids)  # never one of the client's real messages
        if name in ("offset", "length", "width", "height", "duration", "file_size"):
            return self.rng.randint(1, 64)
        return self.rng.randint(1, 2_000_000)

    def string(self, spec_field: dict[str, Any]) -> str:
        name, text = spec_field["name"], spec_field.get("description", "")
        constant = _constant(spec_field)
        if constant:
            return constant
        options = QUOTED.findall(text)
        if options and CHOICES.search(text):
            return self.rng.choice(options)
        if name == "file_id" or name == "file_unique_id":
            return f"INJ{next(self._ids):06d}"
        if "url" in name:
            return f"https://example.org/{self.rng.choice(WORDS)}"
        if name in ("currency",):
            return "IDR"
        return " ".join(self.rng.choice(WORDS) for _ in range(self.rng.randint(1, 4)))

    # Messages and updates ---------------------------------------------------------------------

    def message(self, content: str) -> dict[str, Any]:
        """A Message showing ``content`` (with its caption or entities at random), envelope
        fields at random, not yet placed in a chat."""
        fields = {f["name"]: f for f in self.spec.types["Message"]["fields"]}
        contents = set(self.content_kinds())
        skip = PLACED | contents | CAPTION_FIELDS | TEXT_FIELDS | {"suggested_post_info", "effect_id"}
        message = self.obj("Message", 0, skip=skip)
        message[content] = self.value(fields[content]["types"], fields[content], 1)
        extras = CAPTION_FIELDS if content in CAPTIONED else TEXT_FIELDS if content == "text" else set()
        for name in sorted(extras):
            if self.rng.random() < 0.5:
                message[name] = self.value(fields[name]["types"], fields[name], 1)
        return message

    def update(self, kind: str, actor: Actor, content: str = "") -> Sent:
        update_field = next(f for f in self.spec.types["Update"]["fields"] if f["name"] == kind)
        if kind in MESSAGE_KINDS:
            payload = self.place_message(self.message(content), kind, actor)
        else:
            payload = self.place(self.obj(update_field["types"][0], 0), update_field["types"][0], actor)
        sent = Sent("telegram", kind, content, actor, payload)
        sent.files = self.files_in(payload)
        return sent

    def place_message(self, message: dict[str, Any], kind: str, actor: Actor) -> dict[str, Any]:
        message["message_id"] = 900_000 + next(self._ids)
        message["date"] = int(time.time())
        message["chat"] = actor.chat
        if actor.chat["type"] == "channel":
            message["sender_chat"] = actor.chat
        else:
            message["from"] = actor.user
        if kind.startswith("edited"):
            message["edit_date"] = int(time.time())
        if "business" in kind:
            message["business_connection_id"] = f"BIZ{next(self._ids)}"
        if kind == "guest_message":
            message["guest_query_id"] = f"GQ{next(self._ids)}"
        return message

    def place(self, payload: dict[str, Any], type_name: str, actor: Actor) -> dict[str, Any]:
        """The update's own people and chat become the actor's; nested ones stay random."""
        for spec_field in self.spec.types[type_name].get("fields", []):
            name, types = spec_field["name"], spec_field["types"]
            if types == ["User"] and (name in payload or spec_field["required"]):
                payload[name] = actor.user
            elif types == ["Chat"] and (name in payload or spec_field["required"]):
                payload[name] = actor.chat
            elif name.endswith("chat_id") and name in payload:
                payload[name] = actor.chat_id
        if type_name == "CallbackQuery":
            self.place_callback(payload, actor)
        return payload

    def place_callback(self, query: dict[str, Any], actor: Actor) -> None:
        """Three shapes in turn: from an inline message (no message at all), from a message
        the bot sent in the actor's chat, or whatever came at random."""
        query["id"] = f"CQ{next(self._ids)}"
        shape = next(self._ids) % 3
        if shape == 0:
            query.pop("message", None)
            query["inline_message_id"] = f"INLINE{next(self._ids)}"
        elif shape == 1:
            query["message"] = self.place_message(self.message("text"), "message", actor)
            query["message"]["from"] = self.bot_user
            query["data"] = " ".join(self.rng.choice(WORDS) for _ in range(2))
        elif "message" in query:
            query["message"]["chat"] = actor.chat

    def files_in(self, payload: Any) -> dict[str, bytes]:
        """Every file named in the update, made downloadable: a small JPEG where the object
        has a size in pixels, some bytes otherwise; its file_size made true."""
        files: dict[str, bytes] = {}
        for obj in _objects(payload):
            if "file_id" in obj and "file_unique_id" in obj:
                data = small_jpeg() if "width" in obj else self.rng.randbytes(self.rng.randint(32, 256))
                if "file_size" in obj:
                    obj["file_size"] = len(data)
                files[obj["file_id"]] = data
        return files

    def generate(self) -> list[Sent]:
        """Every update kind from every kind of chat it can come from; in the kinds that carry
        a message, every content kind from each of those chats."""
        out = []
        contents = self.content_kinds()
        for kind in self.update_kinds():
            for role in TELEGRAM_ROLES.get(kind, DEFAULT_ROLES):
                if kind not in MESSAGE_KINDS:
                    out += [self.update(kind, self.people.make(role)) for _ in range(OTHER_UPDATES)]
                    continue
                for content in contents:
                    if not (role == "client" and kind == "message" and content in TELEGRAM_ANSWERS):
                        out.append(self.update(kind, self.people.make(role), content))
        for sent in out:
            sent.asks = telegram_asks(sent)
        return out


OTHER_UPDATES = 3  # updates of each kind that carries no message, from each kind of chat
DEFAULT_ROLES = ("client", "stranger", "group", "channel")
TELEGRAM_ROLES = {
    "message": ("client", "stranger", "group"),
    "edited_message": ("client", "stranger", "group"),
    "channel_post": ("channel",),
    "edited_channel_post": ("channel",),
    "business_message": ("client", "stranger"),  # the client as a business's customer
    "edited_business_message": ("client", "stranger"),
    "guest_message": ("guest",),
    "business_connection": ("client", "stranger"),
    "deleted_business_messages": ("client", "stranger"),
    "callback_query": ("client", "stranger"),
    "inline_query": ("client", "stranger"),
    "chosen_inline_result": ("client", "stranger"),
    "shipping_query": ("client", "stranger"),
    "pre_checkout_query": ("client", "stranger"),
    "purchased_paid_media": ("client", "stranger"),
    "poll_answer": ("client", "stranger"),
}


def telegram_asks(sent: Sent) -> bool:
    """A private message, or a button pressed under a message the bot sent there."""
    private = sent.actor.chat is not None and sent.actor.chat["type"] == "private"
    if sent.kind == "message":
        return private
    if sent.kind == "callback_query":
        message = sent.payload.get("message")
        return private and isinstance(message, dict) and message.get("date", 0) != 0
    return False


# --- LINE ---------------------------------------------------------------------------------


class LineKinds:
    """Webhook events of every type, from line-webhook.yml (OpenAPI 3: $ref, allOf and
    discriminators), placed in a chat."""

    def __init__(self, rng: random.Random, people: LinePeople, urls: dict[str, str]) -> None:
        with (specs_dir() / WEBHOOK_SPEC).open(encoding="utf-8") as file:
            self.schemas = yaml.safe_load(file)["components"]["schemas"]
        self.rng = rng
        self.people = people
        self.urls = urls  # external content: name -> URL (a poster, a missing file, a huge one...)
        self._ids = itertools.count(1)

    def event_kinds(self) -> list[str]:
        return list(self.schemas["Event"]["discriminator"]["mapping"])

    def message_kinds(self) -> list[str]:
        return list(self.schemas["MessageContent"]["discriminator"]["mapping"])

    # Schemas and values -----------------------------------------------------------------------

    def resolve(self, schema: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
        """The schema with $ref followed and allOf merged; the name it had, if any."""
        name = None
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            schema = self.schemas[name]
        if "allOf" not in schema:
            return schema, name
        merged: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
        for part in schema["allOf"]:
            resolved, _ = self.resolve(part)
            merged["properties"].update(resolved.get("properties", {}))
            merged["required"] += resolved.get("required", [])
        merged["properties"].update(schema.get("properties", {}))
        merged["required"] += schema.get("required", [])
        return merged, name

    def value(self, schema: dict[str, Any], name: str, depth: int) -> Any:
        resolved, _ = self.resolve(schema)
        if "discriminator" in resolved:
            mapping = resolved["discriminator"]["mapping"]
            return self.subtype(self.rng.choice(list(mapping)), resolved, depth)
        if "enum" in resolved:
            return self.rng.choice(resolved["enum"])
        kind = resolved.get("type", "object")
        if kind == "object":
            return self.obj(resolved, depth)
        if kind == "array":
            return [self.value(resolved["items"], name, depth + 1) for _ in range(self.rng.randint(1, 2))]
        if kind == "integer":
            return self.rng.randint(1, 5000)
        if kind == "number":
            return round(self.rng.uniform(-80.0, 80.0), 5)
        if kind == "boolean":
            return self.rng.random() < 0.5
        if resolved.get("format") == "uri" or "url" in name.lower():
            return f"https://example.org/{self.rng.choice(WORDS)}"
        return " ".join(self.rng.choice(WORDS) for _ in range(self.rng.randint(1, 3)))

    def subtype(self, key: str, base: dict[str, Any], depth: int) -> dict[str, Any]:
        discriminator = base["discriminator"]
        target, _ = self.resolve({"$ref": discriminator["mapping"][key]})
        out = self.obj(target, depth)
        out[discriminator["propertyName"]] = key
        return out

    def obj(self, schema: dict[str, Any], depth: int) -> dict[str, Any]:
        chance = OPTIONAL / (2 ** depth) if depth < MAX_DEPTH else 0.0
        required = set(schema.get("required", []))
        out: dict[str, Any] = {}
        for name, prop in schema.get("properties", {}).items():
            if name in required or self.rng.random() < chance:
                out[name] = self.value(prop, name, depth + 1)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict) and not schema.get("properties") and self.rng.random() < 0.5:
            out[self.rng.choice(("date", "time", "datetime"))] = self.value(extra, "", depth + 1)
        return out

    # Events ---------------------------------------------------------------------------------

    def event(self, kind: str, actor: LineActor, content: str = "", *, active: bool = False) -> Sent:
        """One event; in standby mode at random unless `active`."""
        base, _ = self.resolve(self.schemas["Event"])
        event = self.subtype(kind, base, 0)
        if content:
            message_base, _ = self.resolve(self.schemas["MessageContent"])
            event["message"] = self.subtype(content, message_base, 1)
        now = time.time()
        event.update(timestamp=int(now * 1000), webhookEventId=ulid(now),
                     mode="standby" if not active and self.rng.random() < 0.3 else "active")
        event["source"] = actor.source()
        if "replyToken" in event:  # one token, one event: LINE's are unique
            event["replyToken"] = f"{self.rng.getrandbits(128):032x}"
        sent = Sent("line", kind, content, actor.actor, event)
        if "message" in event:
            sent.files = self.place_content(event["message"])
        sent.asks = (actor.actor.role in ("client", "stranger") and event["mode"] == "active"
                     and kind in ("message", "postback", "follow"))
        return sent

    def place_content(self, message: dict[str, Any]) -> dict[str, bytes]:
        """Message ids unique; external media pointing at one of the test's URLs; what LINE
        keeps for the content API, returned (message id -> bytes) for the emulator to hold."""
        message["id"] = str(700_000_000_000_000_000 + next(self._ids))
        provider = message.get("contentProvider")
        if provider is not None and provider["type"] == "external":
            name = self.rng.choice(sorted(self.urls))
            provider["originalContentUrl"] = self.urls[name]
            provider["previewImageUrl"] = self.urls[name]
            return {}
        if provider is not None:
            provider.pop("originalContentUrl", None)
            provider.pop("previewImageUrl", None)
        if message["type"] == "image":
            return {message["id"]: small_jpeg()}
        if message["type"] in ("video", "file", "audio"):
            return {message["id"]: self.rng.randbytes(self.rng.randint(64, 512))}
        return {}

    def generate(self) -> list[Sent]:
        out = []
        for kind in self.event_kinds():
            if kind == "message":
                for content in self.message_kinds():
                    roles = ["client", "stranger", "group", "room"]
                    if content in LINE_ASKING:
                        roles.remove("client")
                    for role in roles:
                        out += [self.event(kind, self.people.make(role), content, active=n == 0)
                                for n in range(MESSAGE_EVENTS)]
                continue
            roles = ["stranger", "group", "room"] if kind in ("follow", "unfollow", "postback") \
                else ["client", "stranger", "group", "room"]
            for role in roles:
                out += [self.event(kind, self.people.make(role), active=n == 0) for n in range(OTHER_EVENTS)]
        return out


OTHER_EVENTS = 4  # events of each type but message, from each kind of chat
MESSAGE_EVENTS = 8  # message events of each message type, from each kind of chat


@dataclass
class LineActor:
    actor: Actor
    user_id: str | None

    def source(self) -> dict[str, Any]:
        actor = self.actor
        if actor.role in ("client", "stranger"):
            return {"type": "user", "userId": actor.chat_id}
        key = "groupId" if actor.role == "group" else "roomId"
        source = {"type": actor.role, key: actor.chat_id}
        if self.user_id:
            source["userId"] = self.user_id
        return source


class LinePeople:
    """The LINE client, and fresh strangers, groups and rooms."""

    def __init__(self, client_id: str) -> None:
        self.client_id = client_id
        self._numbers = itertools.count(1)

    def _id(self, prefix: str) -> str:
        return prefix + hashlib.md5(f"{prefix}{next(self._numbers)}".encode()).hexdigest()

    def make(self, role: str) -> LineActor:
        if role == "client":
            return LineActor(Actor("client", self.client_id), self.client_id)
        if role == "stranger":
            user = self._id("U")
            return LineActor(Actor("stranger", user), user)
        prefix = "C" if role == "group" else "R"
        return LineActor(Actor(role, self._id(prefix)), self._id("U"))


# --- helpers ------------------------------------------------------------------------------


def _objects(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from _objects(item)
    elif isinstance(value, list):
        for item in value:
            yield from _objects(item)


def interleave(rng: random.Random, items: list[Sent], parts: int) -> list[list[Sent]]:
    """``items`` shuffled and cut into ``parts`` batches, one before each step of the intake."""
    shuffled = list(items)
    rng.shuffle(shuffled)
    return [shuffled[i::parts] for i in range(parts)]


def table(rows: list[Sent], kinds: list[str], title: str) -> str:
    """Per kind: how many were sent, from whom, and how the bot handled them."""
    lines = [title, f"  {'kind':<40} {'sent':>5}  {'from':<31} handled"]
    for kind in kinds:
        mine = [s for s in rows if s.kind == kind]
        if not mine:
            continue
        roles = ",".join(sorted({s.actor.role for s in mine}))
        contents = len({s.content for s in mine if s.content})
        outcomes: dict[str, int] = {}
        for s in mine:
            outcomes[s.outcome] = outcomes.get(s.outcome, 0) + 1
        handled = ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items()))
        label = f"{kind} ({contents} contents)" if contents else kind
        lines.append(f"  {label:<40} {len(mine):>5}  {roles:<31} {handled}")
    return "\n".join(lines)
