"""The sandbox: the real bot, unchanged, against the built-in Telegram Bot API emulator, with
sample people in every role, and a web page that plays each of them.

One aiohttp app on 127.0.0.1 serves both: the emulated Bot API (``/bot<token>/<method>``, which
the bot polls) and the page with its JSON API (``/``, ``/api/...``). The page long-polls
``/api/state``; what it shows of a chat is what the emulator holds, so a button press on the
page is the same ``SimUser.tap`` the end-to-end tests make.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import web
from PIL import Image, UnidentifiedImageError
from pydantic import SecretStr

from bot.app import App
from bot.chat.audiences import Audiences
from bot.clock import MovableClock
from bot.config import Settings
from bot.domain.durations import format_duration
from bot.domain.intake import Draft
from bot.emulator.telegram import Message, SimChat, SimUser, TelegramEmulator
from bot.flows.loader import load_flow
from bot.handlers.line.webhook import WEBHOOK_PATH
from bot.i18n import TEXTS, t
from bot.runner import serve, started
from bot.sandbox.line import LinePerson, LineSide
from bot.sandbox.people import Person, cast_for, publisher
from bot.sandbox.poster import sample_poster
from storage.db import utc_text
from storage.repositories import Repos

log = logging.getLogger(__name__)

TOKEN = "7000001:SANDBOX-emulated-not-a-real-token"
BOT_USERNAME = "humas_sandbox_bot"
STATIC = Path(__file__).parent / "static"
LONG_POLL = 20.0  # seconds a state request waits for a change
ANSWER_WAIT = 5.0  # seconds a tap waits for the bot's answer (the popup)
SHOWN_REQUESTS = 8
SAMPLE_NOTE = "Poster contoh · sandbox humas-bot"  # the small print of a drawn sample poster
# Timers that will still fire: unfired, and set by the step the request is at now.
LIVE = ("WHERE t.fired_at IS NULL AND r.status = 'active' AND t.step_id = r.step_id"
        " AND t.step_started_at = r.step_started_at")
DAYS = ("Sen", "Sel", "Rab", "Kam", "Jum", "Sab", "Min")
ACT_LABELS = {"escalate": "Eskalasi", "evidence": "Tautan bukti publikasi", "resubmit": "Revisi dikirim"}
STATUS_LABELS = {"active": "aktif", "returned": "dikembalikan", "rejected": "ditolak", "done": "selesai",
                 "cancelled": "dibatalkan"}


class SandboxError(RuntimeError):
    """Something the person starting the sandbox must fix; the message says what."""


class Sandbox:
    def __init__(self, settings: Settings, *, host: str = "127.0.0.1", port: int = 8765,
                 line: bool = False) -> None:
        self.flow = load_flow(settings.flow, settings.flows_dir)
        self.people = cast_for(self.flow)
        self.by_key = {person.key: person for person in self.people}
        self.host, self.port = host, port
        self.clock = MovableClock()
        self.emulator = TelegramEmulator(TOKEN, username=BOT_USERNAME, first_name="Humas Bot")
        self.emulator.on_output.append(self._on_output)
        self.settings = settings
        self.app: App | None = None
        self.address = ""
        self.version = 0
        self._changed = asyncio.Event()
        self._timeline: dict[int, list[Message]] = defaultdict(list)  # every message, oldest first
        self._stamps: dict[tuple[int, int], datetime] = {}  # sandbox time each message appeared
        self._from_bot: set[tuple[int, int]] = set()
        self._used_keyboards: dict[int, int] = {}  # chat -> id() of a one-time keyboard pressed
        self._stop = asyncio.Event()
        self._task: asyncio.Task | None = None
        # LINE (--line): its emulator, the LINE people's chats, the bot's LINE side once running
        self.line = LineSide(self.clock) if line else None
        self.line_by_key: dict[str, LinePerson] = {}
        self.platforms = None  # bot.runner.Platforms, with LINE
        if self.line is not None:
            self.line.on_change = self._bump
            self.line_by_key = {person.key: person for person in self.line.people}
        self._add_routes(self.emulator.app)

    # Lifecycle -----------------------------------------------------------------------------

    async def start(self) -> str:
        """Listen, start the bot against the emulator, meet the sample people; the page's address."""
        await self.emulator.start(self.host, self.port)
        port = self.emulator._runner.addresses[0][1] if self.emulator._runner else self.port
        self.address = f"http://{self.host}:{port}/"
        settings = self.settings.model_copy(update={
            "telegram_token": SecretStr(TOKEN),
            "telegram_api_url": self.emulator.base_url,
            "telegram_file_url": self.emulator.base_file_url,
            "telegram_self_hosted_api": False,
            "telegram_webhook_url": None,
            "line_channel_secret": None,
            "line_access_token": None,
            "timer_poll_seconds": 5.0,
        })
        if self.line is not None:
            await self.line.start()
            settings = settings.model_copy(update=self.line.settings(self.address))
        self.app = await App.open(settings, clock=self.clock)
        if self.line is None:
            self._task = asyncio.create_task(serve(self.app, self._stop, line=False))
        else:
            ready = asyncio.Event()
            self._task = asyncio.create_task(self._serve_both(ready))
            await asyncio.wait([asyncio.create_task(ready.wait()), self._task],
                               return_when=asyncio.FIRST_COMPLETED)
            if self._task.done():
                await self._task  # it failed to start: say why
        try:
            await self._meet_people()
            if self.line is not None:
                await self.line.meet_people()
        except Exception:
            await self.stop()
            raise
        return self.address

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            done, _ = await asyncio.wait([self._task], timeout=15)
            if not done:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await self._task
        if self.app is not None:
            await self.app.close()
        if self.line is not None:
            await self.line.stop()
        await self.emulator.stop()

    async def _serve_both(self, ready: asyncio.Event) -> None:
        """Telegram and LINE in this process, as `humas-bot run` starts them (bot.runner), the
        LINE emulator's webhook pointed at the bot's LINE server."""
        assert self.app is not None and self.line is not None
        async with started(self.app) as platforms:
            self.platforms = platforms
            self.line.emulator.webhook_url = platforms.line.url + WEBHOOK_PATH
            ready.set()
            await self._stop.wait()

    async def wait(self) -> None:
        """Until stop() or the bot ends by itself (its failure is raised)."""
        stopping = asyncio.create_task(self._stop.wait())
        assert self._task is not None
        await asyncio.wait([stopping, self._task], return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if self._task.done() and not self._task.cancelled() and self._task.exception():
            raise self._task.exception()

    def request_stop(self) -> None:
        self._stop.set()

    async def _meet_people(self) -> None:
        """Each person gets their roles and says /start (so a holder hears what reaches them),
        subscribers subscribe, and the channel, with the bot as its admin, becomes a push-info
        target as `humas-bot targets add` makes one: set-up that posts nothing in the channel."""
        assert self.app is not None
        for person in self.people:
            if person.kind != "private":
                continue
            user = self.emulator.user(person.chat_id, person.name, language_code="id")
            for role in person.roles:
                await self.app.people.grant(role, "telegram", person.chat_id, by="sandbox")
            await self._said(user, "/start")
            if person.key.startswith("subscriber"):
                await self._subscribe(user, person)
        owner = self.emulator.user(publisher(self.flow, self.people).chat_id, "")
        for person in self.people:
            if person.kind == "channel":
                channel = self.emulator.channel(person.chat_id, person.name, username="infokampus_sandbox")
                channel.add_member(owner, "creator")
                channel.add_bot(admin=True, by=owner)
                by = await self.app.people.person("telegram", owner.id)  # the publishing role's holder
                await Audiences(self.app).register_target("telegram", person.chat_id, person.name, "channel",
                                                          [], by, "id")

    async def _said(self, user: SimUser, text: str, chat: SimChat | None = None) -> Message:
        """Send, and wait for the bot's first answer in that chat."""
        chat_id = chat.id if chat else user.id
        before = len(self.emulator.outputs.get(chat_id, []))
        await user.send(text, chat=chat)
        await self.emulator.wait_for(lambda: len(self.emulator.outputs.get(chat_id, [])) > before,
                                     timeout=15, what=f"an answer to {text} from the bot")
        return self.emulator.outputs[chat_id][-1]

    async def _subscribe(self, user: SimUser, person: Person) -> None:
        if not self.flow.rules.audiences:
            return
        menu = await self._said(user, "/langganan")
        for audience in person.audiences:
            label = next((b["text"] for row in menu["reply_markup"]["inline_keyboard"] for b in row
                          if b["text"] == f"⬜ {audience}"), None)
            if label is None:  # already subscribed (a kept database)
                continue
            await user.tap(menu, label)
            await self.emulator.wait_for(
                lambda a=audience, m=menu: any(b["text"].startswith("☑") and b["text"].endswith(a)
                                               for row in m.get("reply_markup", {}).get("inline_keyboard", [])
                                               for b in row), timeout=15, what="the subscription")

    # What the emulator shows ---------------------------------------------------------------

    async def _on_output(self, event: str, message: Message) -> None:
        chat_id = message["chat"]["id"]
        key = (chat_id, message["message_id"])
        if event in ("new", "incoming"):
            self._timeline[chat_id].append(message)  # the emulator edits this dict in place
            self._stamps[key] = self.clock.now()
            if event == "new":
                self._from_bot.add(key)
        elif event == "delete":
            self._timeline[chat_id] = [m for m in self._timeline[chat_id] if m is not message]
        self._bump()

    def _bump(self) -> None:
        self.version += 1
        self._changed.set()
        self._changed = asyncio.Event()

    def _local(self, moment: datetime | None, fmt: str = "%d-%m-%Y %H.%M") -> str:
        if moment is None:
            return "-"
        local = moment.astimezone(self.settings.zone)
        return f"{local.strftime(fmt)} {local.tzname()}"

    def _message_view(self, message: Message) -> dict[str, Any]:
        chat_id = message["chat"]["id"]
        key = (chat_id, message["message_id"])
        view: dict[str, Any] = {
            "id": message["message_id"],
            "mine": key not in self._from_bot,
            "text": message.get("text") or message.get("caption") or "",
            "at": self._local(self._stamps.get(key), "%H.%M").split()[0],
            "edited": "edit_date" in message,
        }
        if message.get("photo"):
            largest = message["photo"][-1]
            view["photo"] = {"url": f"/api/file/{largest['file_id']}", "width": largest["width"],
                             "height": largest["height"]}
        for kind in ("video", "document"):
            if message.get(kind):
                item = message[kind]
                view[kind] = {"url": f"/api/file/{item['file_id']}", "name": item.get("file_name", kind),
                              "size": item.get("file_size", 0)}
        if message.get("contact"):
            contact = message["contact"]
            view["contact"] = {"name": contact.get("first_name", ""), "phone": contact["phone_number"]}
        rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
        if rows:
            view["buttons"] = [[{"text": b["text"], "url": b.get("url")} for b in row] for row in rows]
        if message.get("reply_to_message"):
            quoted = message["reply_to_message"]
            view["quote"] = (quoted.get("text") or quoted.get("caption") or "")[:80]
        return view

    def _keyboard(self, chat_id: int) -> dict[str, Any]:
        """The reply keyboard the person sees: a one-time keyboard hides once pressed."""
        keyboard = self.emulator.reply_keyboards.get(chat_id) or {}
        return {} if self._used_keyboards.get(chat_id) == id(keyboard) else keyboard

    def _pressed_keyboard(self, chat_id: int) -> None:
        keyboard = self.emulator.reply_keyboards.get(chat_id) or {}
        if keyboard.get("one_time_keyboard"):
            self._used_keyboards[chat_id] = id(keyboard)

    def _chat_view(self, person: Person) -> dict[str, Any]:
        keyboard = self._keyboard(person.chat_id)
        return {
            "key": person.key, "id": person.chat_id, "name": person.name, "label": person.label,
            "kind": person.kind, "initials": person.initials, "colour": person.colour,
            "roles": [self.flow.role_name(r) if r in self.flow.role_ids else r for r in person.roles],
            "messages": [self._message_view(m) for m in self._timeline[person.chat_id]],
            "keyboard": [[{"text": b["text"], "contact": bool(b.get("request_contact"))} for b in row]
                         for row in keyboard.get("keyboard", [])],
        }

    # The SOP panel ---------------------------------------------------------------------------

    async def _sop_view(self) -> dict[str, Any]:
        assert self.app is not None
        now = self.clock.now()
        async with self.app.db.reading() as tx:
            repos = Repos(tx)
            states = await repos.requests.listing(limit=SHOWN_REQUESTS)
            requests = []
            for state in states:
                audit = await repos.audit.for_request(state.code)
                holders = []
                step = self.flow.step(state.step_id)
                if step.role == "requester":
                    ids = [state.requester_id]
                else:
                    ids = await repos.roles.holders(step.role)
                for person_id in ids:
                    person = await repos.people.get(person_id)
                    holders.append(person["name"] if person else str(person_id))
                timers = await tx.all(
                    f"SELECT t.kind, t.due_at FROM timers t JOIN requests r ON r.id = t.request_id {LIVE}"
                    " AND r.code = ? ORDER BY t.due_at, t.id", (state.code,))
                acting = set()
                if state.status in ("active", "returned"):
                    for person_id in ids if state.status == "active" else [state.requester_id]:
                        identities = await repos.people.identities(person_id)
                        acting.update(str(identities.get(platform)) for platform in ("telegram", "line"))
                view = self._request_view(state, audit, holders, timers, now)
                view["turn"] = [p.key for p in self.people if str(p.chat_id) in acting]
                view["turn"] += [p.key for p in self.line_by_key.values() if p.user_id in acting]
                requests.append(view)
        return {"requests": requests, "steps": [self._step_row(i, s) for i, s in
                                                enumerate(self.flow.request_steps, start=1)]}

    def _step_row(self, index: int, step) -> dict[str, Any]:
        return {"id": step.id, "no": step.number or index, "name": step.name.id,
                "role": self.flow.role_name(step.role), "standard": format_duration(step.standard),
                "needs": step.needs or "-", "output": step.output or "-", "kind": str(step.kind)}

    def _request_view(self, state, audit, holders: list[str], timers, now: datetime) -> dict[str, Any]:
        steps = self.flow.request_steps
        ids = [s.id for s in steps]
        current = ids.index(state.step_id) if state.step_id in ids else 0
        status = str(state.status)
        marks = []
        for index in range(len(steps)):
            if status == "done" or index < current:
                marks.append("done")
            elif index == current:
                marks.append({"active": "current", "returned": "returned"}.get(status, status))
            else:
                marks.append("todo")
        step = self.flow.step(state.step_id)
        due = state.step_due_at
        if due is None or status != "active":
            left = ""
        elif due >= now:
            left = "sisa " + format_duration(timedelta(minutes=int((due - now).total_seconds() // 60)))
        else:
            late = timedelta(minutes=int((now - due).total_seconds() // 60))
            left = f"terlambat {format_duration(late)}" if late else "batas waktu lewat"
        return {
            "code": state.code, "title": state.content.title, "organisation": state.content.organisation,
            "version": state.version, "status": status, "status_label": STATUS_LABELS.get(status, status),
            "step": {"id": step.id, "name": step.name.id, "role": self.flow.role_name(step.role),
                     "holders": holders, "started": self._local(state.step_started_at),
                     "due": self._local(due) if due else "-", "left": left,
                     "late": bool(due and due < now and status == "active")},
            "marks": marks,
            "channels": list(state.content.channels), "audiences": list(state.audiences),
            "timers": [{"kind": row["kind"], "due": self._local(datetime.fromisoformat(row["due_at"]))}
                       for row in timers],
            "audit": [self._audit_row(entry) for entry in audit],
        }

    def _audit_row(self, entry) -> dict[str, Any]:
        try:
            step = self.flow.step(entry.step_id)
            where = f"{step.number or ''} {step.name.id}".strip()
        except KeyError:
            where = entry.step_id or "-"
        label = ACT_LABELS.get(entry.act) or (t(f"act.{entry.act}") if f"act.{entry.act}" in TEXTS
                                              else entry.act)
        role = self.flow.role_name(entry.role) if entry.role and entry.role != "system" else "sistem"
        return {"at": self._local(entry.at, "%d-%m %H.%M"), "act": label, "step": where,
                "actor": entry.actor_name or ("sistem" if entry.actor_id is None else str(entry.actor_id)),
                "role": role, "note": entry.note, "version": entry.version}

    # The clock -------------------------------------------------------------------------------

    async def next_event(self) -> datetime | None:
        """The next moment something is due: a timer, or a scheduled message."""
        assert self.app is not None
        now = utc_text(self.clock.now())
        async with self.app.db.reading() as tx:
            timer = await tx.scalar(
                f"SELECT MIN(t.due_at) FROM timers t JOIN requests r ON r.id = t.request_id {LIVE}")
            queued = await tx.scalar("SELECT MIN(due_at) FROM outbox WHERE status = 'pending' AND due_at > ?",
                                     (now,))
        due = [datetime.fromisoformat(v) for v in (timer, queued) if v]
        return min(due) if due else None

    async def _clock_view(self) -> dict[str, Any]:
        nxt = await self.next_event()
        offset = self.clock.offset
        now = self.clock.now()
        day = DAYS[now.astimezone(self.settings.zone).weekday()]
        minutes = timedelta(minutes=round(offset / timedelta(minutes=1)))  # 17 h 59 min 58 s reads as 18 h
        return {"now": now.isoformat(), "local": f"{day} {self._local(now)}",
                "offset": format_duration(minutes) if offset else "",
                "next": self._local(nxt) if nxt else ""}

    def advance(self, delta: timedelta) -> None:
        self.clock.advance(delta)
        self._bump()

    # HTTP ------------------------------------------------------------------------------------

    def _add_routes(self, app: web.Application) -> None:
        app.router.add_get("/", self._index)
        app.router.add_get("/api/state", self._state)
        app.router.add_get("/api/file/{file_id}", self._file)
        app.router.add_get("/api/sample-poster.jpg", self._poster_image)
        app.router.add_post("/api/chats/{key}/{action}", self._chat_action)
        app.router.add_post("/api/clock", self._clock_action)
        if self.line is not None:  # the posters LINE fetches (here: the page), at line_public_url
            app.router.add_get("/media/{sha}", self._line_media)
            app.router.add_get("/media/{sha}/preview", self._line_media)
            app.router.add_get("/api/line/content/{message_id}", self._line_content)

    def _guard(self, request: web.Request, *, writing: bool = False) -> None:
        """Only this machine's pages: the Host must be loopback (no DNS rebinding), and a
        change needs a header no other site's form can send without asking first."""
        host = request.host.rsplit(":", 1)[0].strip("[]")
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise web.HTTPForbidden(text="the sandbox answers on 127.0.0.1 only")
        if writing and request.headers.get("X-Sandbox") != "1":
            raise web.HTTPForbidden(text="missing X-Sandbox header")

    async def _index(self, request: web.Request) -> web.StreamResponse:
        self._guard(request)
        return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    async def snapshot(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "bot": {"name": self.emulator.bot_user["first_name"], "username": BOT_USERNAME},
            "flow": {"name": self.flow.name, "title": self.flow.title.id, "office": self.flow.office},
            "clock": await self._clock_view(),
            "chats": [self._chat_view(person) for person in self.people] + self._line_chats(),
            "commands": self._commands(),
            "sop": await self._sop_view(),
            "violations": self._violations(),
        }

    def _line_chats(self) -> list[dict[str, Any]]:
        if self.line is None:
            return []
        return [self.line.chat_view(person, lambda at: self._local(at, "%H.%M").split()[0])
                for person in self.line.people]

    def _violations(self) -> list[str]:
        found = [v["description"] for v in self.emulator.violations]
        if self.line is not None:
            found += [f"LINE {v['operation']}: {v['message']} {v['details']}"
                      for v in self.line.emulator.violations]
        return found[-5:]

    def _commands(self) -> list[dict[str, str]]:
        """The bot's command menu (setMyCommands, default scope), as Telegram's Menu button shows it."""
        for (scope, language), commands in self.emulator.commands.items():
            if "default" in scope and not language:
                return [{"command": c["command"], "description": c["description"]} for c in commands]
        return []

    async def _state(self, request: web.Request) -> web.Response:
        self._guard(request)
        try:
            since = int(request.query.get("since", "-1"))
        except ValueError:
            since = -1
        if since >= self.version:
            changed = self._changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), LONG_POLL)
        return web.json_response(await self.snapshot(), headers={"Cache-Control": "no-store"})

    async def _file(self, request: web.Request) -> web.Response:
        self._guard(request)
        stored = self.emulator.files.get(request.match_info["file_id"])
        if stored is None:
            raise web.HTTPNotFound()
        mime = stored.mime_type or ("image/jpeg" if stored.kind == "photo" else "application/octet-stream")
        return web.Response(body=stored.data, content_type=mime,
                            headers={"Cache-Control": "private, max-age=3600"})

    async def _line_media(self, request: web.Request) -> web.StreamResponse:
        self._guard(request)
        if self.platforms is None or self.platforms.line is None:
            raise web.HTTPNotFound()
        server = self.platforms.line
        return await (server.preview if request.path.endswith("/preview") else server.media)(request)

    async def _line_content(self, request: web.Request) -> web.Response:
        self._guard(request)
        assert self.line is not None
        return await self.line.content(request)

    async def _poster_image(self, request: web.Request) -> web.Response:
        """The sample poster a person would send now (?chat=KEY; the client's by default)."""
        self._guard(request)
        key = request.query.get("chat", "client")
        line_person = self.line_by_key.get(key)
        person = self.by_key.get(key)
        if line_person is not None:
            poster = await self.poster_for("line", line_person.user_id)
        elif person is not None:
            poster = await self.poster_for("telegram", person.chat_id)
        else:
            raise web.HTTPNotFound(text="no such chat")
        return web.Response(body=poster, content_type="image/jpeg")

    async def poster_for(self, platform: str, external_id: str | int) -> bytes:
        """The sample poster for what this person is working on: the title and organisation of
        their form in progress; else the newest request's (a holder producing its poster); else
        a placeholder naming the office."""
        assert self.app is not None
        async with self.app.db.reading() as tx:
            repos = Repos(tx)
            person = await repos.people.find_person(platform, external_id)
            stored = await repos.drafts.get(person["id"]) if person else None
            data = Draft.from_json(*stored).data if stored else {}
            if not data.get("title"):
                newest = await repos.requests.listing(limit=1)
                data = newest[0].content.model_dump() if newest else {}
        title = data.get("title") or "Acara Contoh"
        organiser = data.get("organisation") or self.flow.office
        return await asyncio.to_thread(sample_poster, title, organiser, "", SAMPLE_NOTE)

    async def _clock_action(self, request: web.Request) -> web.Response:
        self._guard(request, writing=True)
        body = await _json(request)
        if body.get("next"):
            nxt = await self.next_event()
            if nxt is None:
                return _error(409, "nothing is scheduled")
            delta = max(nxt - self.clock.now(), timedelta(0)) + timedelta(seconds=1)
        else:
            try:
                minutes = float(body.get("minutes", 0))
            except (TypeError, ValueError):
                minutes = 0
            if not 0 < minutes <= 60 * 24 * 366:
                return _error(400, "minutes must be between 0 and a year")
            delta = timedelta(minutes=minutes)
        self.advance(delta)
        return web.json_response({"ok": True, "clock": await self._clock_view()})

    async def _chat_action(self, request: web.Request) -> web.Response:
        self._guard(request, writing=True)
        line_person = self.line_by_key.get(request.match_info["key"])
        if line_person is not None and self.line is not None:
            action = request.match_info["action"]
            poster = await self.poster_for("line", line_person.user_id) if action == "poster" else b""
            return await self.line.act(line_person, action, await _json(request), poster)
        person = self.by_key.get(request.match_info["key"])
        if person is None:
            raise web.HTTPNotFound(text="no such chat")
        if person.kind != "private":
            return _error(409, "only the bot posts in the channel")
        user = self.emulator.user(person.chat_id, person.name)
        action = request.match_info["action"]
        if action == "send":
            text = str((await _json(request)).get("text", "")).strip()
            if not text:
                return _error(400, "empty message")
            if any(b.get("text") == text for row in self._keyboard(person.chat_id).get("keyboard", [])
                   for b in row):
                self._pressed_keyboard(person.chat_id)
            await user.send(text[:4096])
        elif action == "contact":
            self._pressed_keyboard(person.chat_id)
            await user.share_contact(person.phone, person.name)
        elif action == "poster":
            await user.send_photo(await self.poster_for("telegram", person.chat_id))
        elif action == "file":
            await self._send_file(user, request)
        elif action == "tap":
            return await self._tap(user, await _json(request))
        else:
            raise web.HTTPNotFound(text="no such action")
        return web.json_response({"ok": True})

    async def _send_file(self, user: SimUser, request: web.Request) -> None:
        """A file from disk: an image goes as a photo (Telegram re-encodes it as JPEG), a video
        as a video, anything else as a document."""
        post = await request.post()
        upload = post.get("file")
        if not isinstance(upload, web.FileField):
            raise web.HTTPBadRequest(text="no file")
        data = upload.file.read()
        mime = upload.content_type or "application/octet-stream"
        name = upload.filename or "file"
        caption = str(post.get("caption", "")) or None
        if mime.startswith("image/"):
            photo = _as_jpeg(data)
            if photo is not None:
                await user.send_photo(photo, caption)
                return
        if mime.startswith("video/"):
            await user.send_video(data, caption, file_name=name, mime_type=mime)
            return
        await user.send_document(data, name, mime, caption)

    async def _tap(self, user: SimUser, body: dict[str, Any]) -> web.Response:
        try:
            query = await user.tap(int(body.get("message_id", 0)), str(body.get("text", "")))
        except (LookupError, ValueError) as exc:
            return _error(409, f"that button is no longer there ({exc})")
        with contextlib.suppress(TimeoutError):
            await self.emulator.wait_for(lambda: query in self.emulator.callback_answers,
                                         timeout=ANSWER_WAIT, what="the answer to the tap")
        answer = self.emulator.callback_answers.get(query) or {}
        return web.json_response({"ok": True, "answer": {"text": answer.get("text") or "",
                                                         "alert": bool(answer.get("show_alert"))}})


def _as_jpeg(data: bytes) -> bytes | None:
    try:
        with Image.open(io.BytesIO(data)) as image:
            out = io.BytesIO()
            image.convert("RGB").save(out, "JPEG", quality=90)
            return out.getvalue()
    except (UnidentifiedImageError, OSError, ValueError):
        return None


async def _json(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        body = await request.json()
    except ValueError:
        raise web.HTTPBadRequest(text="the body must be JSON") from None
    return body if isinstance(body, dict) else {}


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"ok": False, "error": message}, status=status)
