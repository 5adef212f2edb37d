"""LINE in the sandbox (`humas-bot sandbox --line`): the built-in LINE emulator, the bot's LINE
webhook server beside its Telegram side, and two sample people in their LINE chats.

What a LINE person sees is turned into the page's bubble shape (the one the Telegram chats use):
a text with its quick replies (shown as chips under the chat while it is the newest message),
a Flex card's text and postback buttons, images. A tap on the page is the LINE user's postback
(or a datetime picker's pick), as the end-to-end tests make it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from pydantic import SecretStr

from bot.emulator.line import LineEmulator, LineUser, Received, make_user_id

CHANNEL_SECRET = "sandbox-line-channel-secret"
ACCESS_TOKEN = "sandbox-line-access-token-not-a-real-one"
MAX_TEXT = 5000


@dataclass(frozen=True)
class LinePerson:
    """A sample person chatting with the bot from LINE."""

    key: str
    name: str
    label: str
    colour: str

    @property
    def user_id(self) -> str:
        return make_user_id(f"sandbox-{self.key}")

    @property
    def initials(self) -> str:
        return "".join(word[0] for word in self.name.split(" (")[0].split()[:2]).upper()


LINE_PEOPLE = (
    LinePerson("line_client", "Ayu (LINE)", "Pemohon (klien) di LINE", "#06c755"),
    LinePerson("line_subscriber", "Bima (LINE)", "Pelanggan info di LINE", "#00b900"),
)


@dataclass
class Entry:
    """One message in a LINE chat: what the bot sent, or what the person sent (a webhook event)."""

    mine: bool
    at: datetime
    received: Received | None = None
    event: dict[str, Any] | None = None
    shown: str = ""  # what a person's postback shows in the chat (the button's label)


class LineSide:
    """The LINE emulator and the sample LINE people's chats."""

    def __init__(self, clock) -> None:
        self.emulator = LineEmulator(CHANNEL_SECRET, ACCESS_TOKEN, bot_name="Humas Bot")
        self.emulator.on_output.append(self._on_output)
        self.clock = clock
        self.people = list(LINE_PEOPLE)
        self.by_user = {person.user_id: person for person in self.people}
        self.timeline: dict[str, list[Entry]] = {person.user_id: [] for person in self.people}
        self.public_url = ""  # https://127.0.0.1:<sandbox port>: LINE's image URLs, served by the sandbox
        self.on_change = lambda: None

    async def start(self) -> str:
        return await self.emulator.start("127.0.0.1", 0)

    async def stop(self) -> None:
        await self.emulator.stop()

    def settings(self, sandbox_address: str) -> dict[str, Any]:
        """The bot's LINE settings: the emulator's secret and token, its address for the API and
        content hosts, and the sandbox's own address (as https, which LINE insists on) for posters."""
        port = urlsplit(sandbox_address).port
        self.public_url = f"https://127.0.0.1:{port}"
        return {"line_channel_secret": SecretStr(CHANNEL_SECRET),
                "line_access_token": SecretStr(ACCESS_TOKEN),
                "line_api_url": self.emulator.base_url, "line_data_url": self.emulator.data_url,
                "line_public_url": self.public_url, "line_host": "127.0.0.1", "line_port": 0}

    async def meet_people(self) -> None:
        """Each LINE person adds the bot as a friend (which subscribes them to push-info)."""
        for person in self.people:
            user = self.user(person)
            before = len(user.messages)
            await user.follow()
            await self.emulator.wait_for(lambda u=user, n=before: len(u.messages) > n, timeout=15,
                                         what=f"the bot's welcome to {person.name}")

    def user(self, person: LinePerson) -> LineUser:
        return self.emulator.user(person.user_id, person.name.split(" (")[0])

    # What the emulator shows -----------------------------------------------------------------

    async def _on_output(self, kind: str, payload: dict[str, Any]) -> None:
        if kind == "new":
            user_id = payload["to"]
            if user_id in self.timeline:
                received = self.emulator.inbox[user_id][-1]
                self.timeline[user_id].append(Entry(False, self.clock.now(), received=received))
        elif kind == "incoming":
            user_id = payload.get("source", {}).get("userId", "")
            if user_id in self.timeline and payload.get("type") in ("message", "postback"):
                self.timeline[user_id].append(Entry(True, self.clock.now(), event=payload,
                                                    shown=self._postback_label(user_id, payload)))
        self.on_change()

    def _postback_label(self, user_id: str, event: dict[str, Any]) -> str:
        postback = event.get("postback")
        if not postback:
            return ""
        params = postback.get("params") or {}
        if params:
            return " ".join(params.values())
        for received in reversed(self.emulator.inbox.get(user_id, [])):
            for action in received.actions():
                if action.get("data") == postback["data"]:
                    return action.get("displayText") or action.get("label", "")
        return ""

    def chat_view(self, person: LinePerson, local) -> dict[str, Any]:
        entries = self.timeline[person.user_id]
        messages = [self._view(number, entry, local) for number, entry in enumerate(entries, start=1)]
        chips: list[list[dict[str, Any]]] = []
        if entries and not entries[-1].mine and entries[-1].received is not None:
            items = entries[-1].received.get("quickReply", {}).get("items", [])
            chips = [[_button(item["action"]) for item in items]] if items else []
        return {"key": person.key, "id": person.user_id, "name": person.name, "label": person.label,
                "kind": "private", "platform": "line", "initials": person.initials, "colour": person.colour,
                "roles": [], "messages": messages, "keyboard": chips}

    def _view(self, number: int, entry: Entry, local) -> dict[str, Any]:
        view: dict[str, Any] = {"id": number, "mine": entry.mine, "text": "", "at": local(entry.at),
                                "edited": False}
        if entry.received is not None:
            message = entry.received.message
            kind = message["type"]
            if kind == "text":
                view["text"] = message["text"]
            elif kind in ("image", "video"):
                view["photo"] = {"url": self.local_url(message.get("previewImageUrl", "")),
                                 "width": 480, "height": 600}
            elif kind == "flex":
                contents = message.get("contents", {})
                hero = contents.get("hero") or {}
                if hero.get("url"):
                    view["photo"] = {"url": self.local_url(hero["url"]), "width": 480, "height": 600}
                body = contents.get("body", {}).get("contents", [])
                view["text"] = "\n".join(c.get("text", "") for c in body if c.get("type") == "text")
                rows = contents.get("footer", {}).get("contents", [])
                view["buttons"] = [[_button(b["action"]) for b in row.get("contents", [])
                                    if b.get("type") == "button"] for row in rows]
            else:
                view["text"] = entry.received.text or f"[{kind}]"
        elif entry.event is not None:
            event = entry.event
            content = event.get("message") or {}
            if content.get("type") == "text":
                view["text"] = content["text"]
            elif content.get("type") in ("image", "video"):
                view["photo"] = {"url": f"/api/line/content/{content['id']}", "width": 480, "height": 600}
            elif event.get("type") == "postback":
                view["text"] = entry.shown or "(tombol)"
        return view

    def local_url(self, url: str) -> str:
        """An image address given to LINE (the sandbox's, as https) as the page loads it."""
        if self.public_url and url.startswith(self.public_url):
            return url[len(self.public_url):]
        return url

    # What the page does ------------------------------------------------------------------------

    async def act(self, person: LinePerson, action: str, body: dict[str, Any], poster: bytes) -> web.Response:
        user = self.user(person)
        if action == "send":
            text = str(body.get("text", "")).strip()
            if not text:
                return _error(400, "empty message")
            await user.say(text[:MAX_TEXT])
        elif action == "poster":
            await user.send_image(poster)
        elif action == "tap":
            return await self._tap(person, user, body)
        else:
            return _error(409, "LINE chats here can send text, the sample poster and taps")
        return web.json_response({"ok": True})

    async def _tap(self, person: LinePerson, user: LineUser, body: dict[str, Any]) -> web.Response:
        """A button of a given message (a Flex card's), or a quick reply chip (message_id 0)."""
        label, value = str(body.get("text", "")), body.get("value")
        entries = self.timeline[person.user_id]
        try:
            number = int(body.get("message_id", 0))
        except (TypeError, ValueError):
            number = 0
        candidates = [entries[number - 1]] if 0 < number <= len(entries) else list(reversed(entries))
        action = next((a for entry in candidates if entry.received is not None
                       for a in entry.received.actions() if a.get("label") == label), None)
        if action is None:
            return _error(409, f"that button is no longer there ({label})")
        if action["type"] == "postback":
            await user.postback(action["data"])
        elif action["type"] == "message":
            await user.say(action["text"])
        elif action["type"] == "datetimepicker":
            if not value:
                return _error(400, "pick a date first")
            await user.postback(action["data"], {action["mode"]: str(value)})
        else:
            return _error(409, f"a {action['type']} button sends nothing to the bot")
        return web.json_response({"ok": True, "answer": {"text": "", "alert": False}})

    async def content(self, request: web.Request) -> web.Response:
        stored = self.emulator.contents.get(request.match_info["message_id"])
        if stored is None:
            raise web.HTTPNotFound()
        return web.Response(body=stored.data, content_type=stored.content_type)


def _button(action: dict[str, Any]) -> dict[str, Any]:
    button: dict[str, Any] = {"text": action.get("label", ""), "url": action.get("uri")}
    if action.get("type") == "datetimepicker":
        button["picker"] = action.get("mode", "date")
        button["min"], button["max"] = action.get("min", ""), action.get("max", "")
    return button


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"ok": False, "error": message}, status=status)
