"""A database with years of history, built through the real services, for benchmarks.

    .venv/bin/python benchmarks/history.py --requests 10000 --out /tmp/humas-10k.db

Each archived request is walked as the product walks it, on the ``default`` flow: the client
submits (a poster, a caption, a date a week ahead), the koordinator, the wakil koordinator and
the direktur approve, the petugas schedules the publication in the requested slot
(``Publishing.schedule_time``, as "Jadwalkan" does) and archives it. Every service call is the
real one, in its own transaction, so the requests, versions, audit log, media rows, timers and
outbox rows are what the product writes. What the running bot's loops would then do is done
with the repositories, as those loops do it: every notice is marked sent (with the message it
became), every delivery of the broadcast sent (with its message id), the broadcast finished, and
the timers of steps that moved on fired as "moot". The clock moves forward between requests, so
the history spreads over ``--days`` (default: 100 requests a day).

Push-info of the history goes to ``HISTORY_SUBSCRIBERS`` subscribers of the "umum" audience
(20 by default: about 30 outbox rows per request with the notices, as the issue measured). A
benchmark that publishes to another audience does not reach them.

``cached(n)`` builds a database once per size (and version of this file) under
``benchmarks/.cache/`` (or ``HUMAS_HISTORY_CACHE``), and hands out copies; the code that opens a
copy migrates it, as it would an office's database.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import os
import shutil
import sqlite3
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

HISTORY_AUDIENCE = "umum"
HISTORY_SUBSCRIBERS = 20
CLIENTS = 200  # distinct requesters, Telegram ids CLIENT_BASE + i
CLIENT_BASE = 50_000_000
HISTORY_SUBSCRIBER_BASE = 60_000_000
PEOPLE = {"koordinator": 2001, "wakil_koordinator": 3001, "direktur": 4001, "petugas": 5001}
APPROVERS = ("koordinator", "wakil_koordinator", "direktur")
START = datetime(2023, 1, 2, 1, 0, tzinfo=UTC)  # a Monday, 08.00 WIB
BUILDER = 1  # the version of what build_history writes: cached databases of another are rebuilt


def poster(seed: int) -> bytes:
    """A small JPEG of its own per request (the media table keys posters by hash)."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 80), (seed % 256, (seed // 256) % 256, (seed // 65536) % 256)).save(out, "JPEG")
    return out.getvalue()


async def build_history(app, requests: int, *, per_day: int = 100,
                        report: Callable[[str], None] | None = None) -> dict:
    """Archive `requests` requests into `app`'s database (see the module's docstring). The app
    must run on a ManualClock; it is moved forward. Returns a few figures of the build."""
    from bot.domain.engine import Act
    from bot.domain.request import Contact, Content, MediaRef
    from storage.repositories import Repos

    ids = await _people(app)
    clients = [await app.people.person("telegram", CLIENT_BASE + i, f"Klien {i}") for i in range(CLIENTS)]
    step = timedelta(days=1) / per_day
    started = time.perf_counter()
    for number in range(requests):
        data = poster(number)
        ref = MediaRef(sha256=app.files.put(data), kind="image", mime="image/jpeg", size=len(data),
                       width=64, height=80)
        today = app.clock.now().astimezone(app.settings.zone).date()
        content = Content(
            title=f"Kegiatan {number}", organisation="BEM Fakultas", caption=f"Info kegiatan nomor {number}.",
            media=[ref], contact=Contact(name="Sari", phone="+6281234567890"),
            publish_date=today + timedelta(days=7), slot="08.00-10.00",
        )
        state = await app.requests.submit(clients[number % CLIENTS], content)
        await _delivered(app)
        for role in APPROVERS:
            await app.requests.decide(state.code, ids[role], Act.APPROVE)
            await _delivered(app)
        state = await app.requests.get(state.code)
        published = await app.publishing.publish(state.code, ids["petugas"], [HISTORY_AUDIENCE],
                                                 at=app.publishing.schedule_time(state))
        await app.requests.archive(state.code, ids["petugas"])
        await _delivered(app, published.broadcast_id)
        async with app.db.transaction() as tx:
            await tx.execute("UPDATE timers SET fired_at = ?, outcome = 'moot' WHERE fired_at IS NULL"
                             " AND request_id = (SELECT id FROM requests WHERE code = ?)",
                             (app.clock.now().isoformat(), state.code))
            await Repos(tx).broadcasts.finish(published.broadcast_id)
        app.clock.advance(step)
        if report and (number + 1) % 1000 == 0:
            rate = (number + 1) / (time.perf_counter() - started)
            report(f"  {number + 1} requests archived ({rate:.0f}/s)")
    return {"requests": requests, "seconds": time.perf_counter() - started}


async def _people(app) -> dict[str, int]:
    from storage.repositories import Repos

    ids = {}
    for role, telegram_id in PEOPLE.items():
        await app.people.grant(role, "telegram", telegram_id)
        ids[role] = await app.people.person("telegram", telegram_id, role.title())
    async with app.db.transaction() as tx:
        for i in range(HISTORY_SUBSCRIBERS):
            await Repos(tx).subscribers.subscribe("telegram", HISTORY_SUBSCRIBER_BASE + i, None,
                                                  [HISTORY_AUDIENCE])
    return ids


async def _delivered(app, broadcast_id: int | None = None) -> None:
    """What the Notifier and the broadcaster would have done with what is queued: every due
    notice sent (as the message it became), every delivery of `broadcast_id` sent."""
    from storage.repositories import Repos

    async with app.db.transaction() as tx:
        repos = Repos(tx)
        rows = await tx.all("SELECT id, kind, recipient FROM outbox WHERE status = 'pending'"
                            " AND kind IN ('notice', 'broadcast') ORDER BY id")
        for row in rows:
            if row["kind"] == "notice":
                result = {"platform": "telegram", "chat_id": 1, "message_id": row["id"], "has_media": False}
            else:
                result = {"message_ids": [row["id"]]}
            await repos.outbox.mark(row["id"], "sent", result)
        if broadcast_id is not None:
            await _sent_counts(tx, broadcast_id)


async def _sent_counts(tx, broadcast_id: int) -> None:
    """Keep a broadcast's per-status counters, where the schema has them, as the sender does."""
    columns = {row[1] for row in await tx.all("SELECT * FROM pragma_table_info('broadcasts')")}
    if "n_sent" in columns:
        await tx.execute("UPDATE broadcasts SET n_sent = n_sent + n_pending, n_pending = 0 WHERE id = ?",
                         (broadcast_id,))


# --- the cache -----------------------------------------------------------------------------

def _code_version() -> str:
    """A database is rebuilt when BUILDER changes (raise it when what is built changes). A newer
    humas-bot opens an older one as it opens an office's database: its migrations bring the
    schema up to date (delete the cache to rebuild with what newer services write)."""
    return f"v{BUILDER}"


def cache_dir() -> Path:
    return Path(os.environ.get("HUMAS_HISTORY_CACHE", ROOT / "benchmarks" / ".cache"))


async def cached(requests: int, target: Path, report: Callable[[str], None] = print) -> dict:
    """Copy a database with `requests` archived requests (and its media folder) to `target`,
    building it first if this code version has none."""
    folder = cache_dir() / f"history-{requests}-{_code_version()}"
    meta = folder / "built.json"
    if not meta.exists():
        shutil.rmtree(folder, ignore_errors=True)
        report(f"building a history of {requests} archived requests in {folder} (once per builder version)")
        figures = await _build(folder / "humas.db", requests, report)
        meta.write_text(json.dumps(figures))
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(folder / "humas.db", target)
    if (folder / "media").exists():
        shutil.copytree(folder / "media", target.parent / "media", dirs_exist_ok=True)
    return json.loads(meta.read_text())


async def _build(database: Path, requests: int, report: Callable[[str], None]) -> dict:
    from bot.app import App
    from bot.clock import ManualClock
    from bot.config import Settings

    database.parent.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("HUMAS_CONFIG", str(database.parent / "absent.toml"))
    app = await App.open(Settings(database=database, flow="default"), clock=ManualClock(START))
    try:
        # what is written is the same; only the wait for the disk at each commit goes
        async with app.db.statement() as tx:
            await tx.execute("PRAGMA synchronous = OFF")
        figures = await build_history(app, requests, report=report)
    finally:
        await app.close()
    figures["bytes"] = _size(database)
    report(f"built in {figures['seconds']:.0f} s: {figures['bytes'] / 1e6:.0f} MB, "
           f"{figures['bytes'] / requests / 1024:.1f} KB per archived request")
    return figures


def _size(path: Path) -> int:
    return path.stat().st_size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--out", type=Path, help="copy the database here (default: only cache it)")
    args = parser.parse_args()
    target = args.out or Path("/dev/null")
    if args.out is None:
        asyncio.run(_cache_only(args.requests))
    else:
        asyncio.run(cached(args.requests, target))
    return 0


async def _cache_only(requests: int) -> None:
    folder = cache_dir() / f"history-{requests}-{_code_version()}"
    if not (folder / "built.json").exists():
        await cached(requests, folder.parent / "scratch" / "humas.db")
        shutil.rmtree(folder.parent / "scratch", ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())


# --- through the Telegram handlers: inbox rows and replies too (benchmarks/scale.py) --------
#
# The builder above calls the services; the running bot also writes what its handlers do
# with each update: the update itself (an inbox row with its JSON, kept until retention), the
# draft at each intake answer, the answers (outbox rows of kind 'reply', marked sent), the
# edits of the other holders' prompts. `ChatHistory` walks every request as Telegram updates
# handled by the real handlers (python-telegram-bot's Application, the inbox worker, each
# update in its unit of work), so all of that is in the database as the product writes it.
# What is not run: the senders (notices, replies and deliveries are marked sent as they would
# be, each notice with the message it became, so that a decision edits the others' prompts),
# the buttons' spinners (answerCallbackQuery writes nothing), and the monthly report notices.

CHAT_BUILDER = 1  # the version of what ChatHistory writes (its cache is rebuilt when it changes)
HISTORY_TOKEN = "123456:HISTORY-TOKEN"
SECOND_KOORDINATOR = 2002  # a second holder of the first step: its prompt is edited at each press
POSTER_SIZE = (320, 400)  # the smallest poster Instagram takes (4:5): Pillow's work stays small


def small_poster(seed: int) -> bytes:
    """A JPEG poster of its own per request, as small as the checks accept."""
    from PIL import Image

    out = io.BytesIO()
    colour = (seed % 256, (seed // 256) % 256, (seed // 65536) % 256)
    Image.new("RGB", POSTER_SIZE, colour).save(out, "JPEG", quality=70)
    return out.getvalue()


class ChatHistory:
    """Requests walked through the Telegram handlers, with the app on a ManualClock."""

    def __init__(self, app, server, running, worker) -> None:
        self.app, self.server, self.running, self.worker = app, server, running, worker
        self.update_ids = iter(range(1, 10**12))
        self.message_ids: dict[int, int] = {}  # chat -> its last message id
        self.people: dict[str, int] = {}  # role (or client N) -> Telegram id
        self.cards: dict[int, str] = {}  # step index -> a card's text, with CODE in it

    # updates as the Bot API sends them ---------------------------------------------------

    def _user(self, telegram_id: int) -> dict:
        return {"id": telegram_id, "is_bot": False, "first_name": f"User {telegram_id}",
                "language_code": "id"}

    def _next_message(self, chat: int) -> int:
        self.message_ids[chat] = self.message_ids.get(chat, 0) + 1
        return self.message_ids[chat]

    def _message(self, telegram_id: int, **content) -> dict:
        when = int(self.app.clock.now().timestamp())
        chat = {"id": telegram_id, "type": "private", "first_name": f"User {telegram_id}"}
        return {"message_id": self._next_message(telegram_id), "from": self._user(telegram_id),
                "chat": chat, "date": when, **content}

    def text(self, telegram_id: int, text: str) -> dict:
        content: dict = {"text": text}
        if text.startswith("/"):
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return {"update_id": next(self.update_ids), "message": self._message(telegram_id, **content)}

    def tap(self, telegram_id: int, data: str, on: dict | None = None) -> dict:
        """A button pressed on `on` (a message the bot sent), or on the bot's last answer."""
        message = on or {"message_id": self._next_message(telegram_id), "from": self.server.bot_user,
                         "chat": {"id": telegram_id, "type": "private"},
                         "date": int(self.app.clock.now().timestamp()), "text": "…"}
        query = {"id": str(next(self.update_ids) * 1000003), "from": self._user(telegram_id),
                 "message": message, "chat_instance": str(telegram_id * 7), "data": data}
        return {"update_id": next(self.update_ids), "callback_query": query}

    async def handle(self, update: dict) -> None:
        """Store the update in the inbox and let the worker handle it, as polling does."""
        from bot.handlers.telegram.updates import incoming

        await self.worker.receive([incoming(update)])
        await self.worker.wait_idle()

    # one request, as the client and the role holders act on it ----------------------------

    async def intake(self, number: int) -> str:
        """The client's whole intake, Kirim included; the new request's code."""
        client = self.people[f"client {number % CLIENTS}"]
        stored = self.server._store_file(small_poster(number), "photo", mime_type="image/jpeg")
        today = self.app.clock.now().astimezone(self.app.settings.zone).date()
        for update in (
            self.text(client, "/ajukan"), self.text(client, f"Kegiatan {number}"),
            self.text(client, "BEM Fakultas"),
            {"update_id": next(self.update_ids), "message": self._message(client, photo=stored.photo_sizes)},
            self.tap(client, "i|next|"), self.text(client, f"Info kegiatan nomor {number}. #kampus"),
            {"update_id": next(self.update_ids), "message": self._message(
                client, contact={"phone_number": "+6281234567890", "first_name": "Sari", "user_id": client})},
            self.text(client, f"{today + timedelta(days=7):%d-%m-%Y}"),
            self.tap(client, "i|slot|08.00-10.00"), self.tap(client, "i|notes|"), self.tap(client, "i|send|"),
        ):
            await self.handle(update)
        self.server.files.clear()  # downloaded: the emulator finds files by a walk through them all
        async with self.app.db.reading() as tx:
            return await tx.scalar("SELECT code FROM requests WHERE requester_id = ?"
                                   " ORDER BY id DESC LIMIT 1", (await self._person(client),))

    async def press(self, code: str, role: str, act: str, arg: str = "") -> None:
        """The holder of `role` presses a button on the card they were sent for the current step."""
        from bot.chat import callbacks
        from bot.domain.engine import Act

        state = await self.app.requests.get(code)
        index = [s.id for s in self.app.flow.request_steps].index(state.step_id)
        holder = self.people[role]
        data = callbacks.encode(callbacks.StepButton(code, state.version, index, Act(act), arg))
        await self.handle(self.tap(holder, data, on=await self._card_message(code, holder, index)))

    async def _card_message(self, code: str, holder: int, index: int) -> dict:
        """The card as Telegram has it in the holder's chat: the prompt that was sent to them
        (its message id, a photo with the card as caption), as a callback query carries it."""
        person = await self._person(holder)
        async with self.app.db.reading() as tx:
            rows = await tx.all(
                "SELECT o.result FROM outbox o JOIN requests r ON r.id = o.request_id WHERE r.code = ?"
                " AND o.kind = 'notice' AND o.recipient = ? AND o.status = 'sent' ORDER BY o.id DESC",
                (code, str(person)))
        result = json.loads(rows[0]["result"]) if rows else {"message_id": self._next_message(holder)}
        if index not in self.cards:  # a real card's text, once per step, as the template
            reply = await self._approvals().card(code, "id")
            self.cards[index] = reply.text.replace(code, "CODE")
        markup = {"inline_keyboard": [[{"text": "✅ Setujui", "callback_data": "x"}]]}
        return {"message_id": result["message_id"], "from": self.server.bot_user,
                "chat": {"id": holder, "type": "private"}, "date": int(self.app.clock.now().timestamp()),
                "photo": [{"file_id": f"poster-{code}", "file_unique_id": code, "width": 320, "height": 400}],
                "caption": self.cards[index].replace("CODE", code)[:1024], "reply_markup": markup}

    def _approvals(self):
        from bot.chat.approvals import Approvals

        if not hasattr(self, "_approvals_chat"):
            self._approvals_chat = Approvals(self.app)
        return self._approvals_chat

    async def _person(self, telegram_id: int) -> int:
        return await self.app.people.person("telegram", telegram_id)

    async def sent(self) -> None:
        """What the senders would have done with everything queued: each notice sent as a
        message in its person's chat (a photo card for a request's prompt), each reply sent,
        each push-info delivery sent; broadcast counters kept where the schema has them."""
        from storage.repositories import Repos

        async with self.app.db.transaction() as tx:
            repos = Repos(tx)
            rows = await tx.all("SELECT o.id, o.kind, o.recipient, o.payload, o.request_id, i.external_id"
                                " FROM outbox o LEFT JOIN identities i ON o.kind = 'notice'"
                                " AND i.person_id = CAST(o.recipient AS INTEGER) AND i.platform = 'telegram'"
                                " WHERE o.status = 'pending' ORDER BY o.id")
            replies, broadcasts = [], set()
            for row in rows:
                if row["kind"] == "reply":
                    replies.append(row["id"])
                elif row["kind"] == "notice":
                    chat = int(row["external_id"])
                    prompt = json.loads(row["payload"]).get("kind") == "prompt"
                    await repos.outbox.mark(row["id"], "sent", {
                        "platform": "telegram", "chat_id": chat, "message_id": self._next_message(chat),
                        "has_media": prompt})
                else:
                    chat = int(row["recipient"].split(":")[1])
                    await repos.outbox.mark(row["id"], "sent", {"message_ids": [self._next_message(chat)]})
                    broadcasts.add(json.loads(row["payload"])["broadcast_id"])
            await repos.outbox.mark_many(replies, "sent")
            for broadcast_id in broadcasts:
                await _sent_counts(tx, broadcast_id)
                await repos.broadcasts.finish(broadcast_id)

    async def archived(self, number: int) -> str:
        """One request from the client's intake to the archive; its code."""
        code = await self.intake(number)
        await self.sent()
        for role in APPROVERS:
            await self.press(code, role, "approve")
            await self.sent()
        await self.press(code, "petugas", "publish", "sched")
        await self.sent()
        await self.press(code, "petugas", "archive")
        await self.sent()
        async with self.app.db.transaction() as tx:  # the deadline loop closes them at their time
            await tx.execute("UPDATE timers SET fired_at = due_at, outcome = 'moot' WHERE fired_at IS NULL"
                             " AND request_id = (SELECT id FROM requests WHERE code = ?)", (code,))
        return code

    async def active(self, number: int, steps_done: int) -> str:
        """A request still on its way: submitted, then `steps_done` approvals (3: at publishing)."""
        code = await self.intake(number)
        await self.sent()
        for role in APPROVERS[:steps_done]:
            await self.press(code, role, "approve")
            await self.sent()
        return code


async def build_chat_history(history: ChatHistory, requests: int, active: int = 200, *,
                             per_day: int = 100, report: Callable[[str], None] | None = None) -> dict:
    """`requests` archived requests, then `active` still on their way (spread over the steps
    before publishing and the publishing step), the clock moving `1 day / per_day` after each."""
    app = history.app
    step = timedelta(days=1) / per_day
    started = time.perf_counter()
    for number in range(requests):
        await history.archived(number)
        app.clock.advance(step)
        if report and (number + 1) % 1000 == 0:
            rate = (number + 1) / (time.perf_counter() - started)
            report(f"  {number + 1} requests archived ({rate:.1f}/s)")
    for number in range(requests, requests + active):
        await history.active(number, number % 4)
        app.clock.advance(step)
    async with app.db.reading() as tx:
        failed = await tx.scalar("SELECT COUNT(*) FROM inbox WHERE status <> 'handled'")
    if failed:
        raise RuntimeError(f"{failed} updates were not handled while building (see the log)")
    return {"requests": requests, "active": active, "seconds": time.perf_counter() - started}


@contextlib.contextmanager
def stamped_by(clock):
    """Rows stamped with the simulated clock instead of the machine's: what the repositories
    write as created_at, updated_at, handled_at, fired_at... is the moment in the history it
    happened (retention judges rows by those stamps)."""
    import storage.db
    import storage.inbox_repos

    original = storage.db.utcnow_text

    def now_text() -> str:
        return clock.now().astimezone(UTC).isoformat(timespec="seconds")

    class _Clocked(datetime):
        @classmethod
        def now(cls, tz=None):
            return clock.now().astimezone(tz or UTC)

    patched = [module for module in list(sys.modules.values())
               if getattr(module, "utcnow_text", None) is original]
    for module in patched:
        module.utcnow_text = now_text
    storage.inbox_repos.datetime = _Clocked
    try:
        yield
    finally:
        for module in patched:
            module.utcnow_text = original
        storage.inbox_repos.datetime = datetime


class _Direct:
    """A SQLite connection used on the event loop's own thread: the builder runs one update at
    a time, so the trip to aiosqlite's thread per statement buys nothing there. Same SQL, same
    rows."""

    def __init__(self, conn) -> None:
        self.conn = _Closing(conn)

    async def execute(self, sql: str, params) -> int | None:
        from storage.sqlite import _errors

        with _errors():
            return self.conn.execute(sql, params).lastrowid

    async def fetch(self, sql: str, params) -> list:
        from storage.sqlite import _errors

        with _errors():
            return self.conn.execute(sql, params).fetchall()

    async def executemany(self, sql: str, rows) -> None:
        from storage.sqlite import _errors

        with _errors():
            self.conn.executemany(sql, list(rows))

    async def close(self) -> None:
        await self.conn.close()


class _Closing:
    """sqlite3's connection with aiosqlite's awaitable close(), as the engine closes it."""

    def __init__(self, conn) -> None:
        self._conn = conn

    def __getattr__(self, name: str):
        return getattr(self._conn, name)

    async def close(self) -> None:
        self._conn.close()


async def _direct_sqlite(app) -> None:
    """Swap the engine's aiosqlite connections for direct ones, without waiting for the disk."""
    import sqlite3

    engine = app.db.engine
    for name, pragma in (("_writer", "journal_mode = WAL"), ("_reader", "query_only = ON")):
        old = getattr(engine, name)
        await (old.close() if hasattr(old, "close") else old.conn.close())
        conn = sqlite3.connect(engine.path, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        for setting in (pragma, "foreign_keys = ON", "busy_timeout = 5000", "synchronous = OFF",
                        "cache_size = -262144"):  # 256 MB: the history outgrows the default 2 MB
            conn.execute(f"PRAGMA {setting}")
        setattr(engine, name, _Direct(conn))
    engine.syncs = False  # nor for Database.durable's fsync: the build is made again if cut off


@contextlib.asynccontextmanager
async def chat_history(database: Path | str, start: datetime = START, direct: bool = True, new: bool = True,
                       media_dir: Path | None = None):
    """A ChatHistory: the bot's Telegram side against the emulator (for the bot's own name and
    the posters' downloads). On a `new` database: the roles held (two koordinators), the
    history's subscribers, the clients met; else the database's own, at `start`."""
    from bot.app import App
    from bot.clock import ManualClock
    from bot.config import Settings
    from bot.emulator.telegram import TelegramEmulator
    from bot.handlers.inbox import InboxWorker
    from bot.handlers.telegram import updates
    from bot.handlers.telegram.application import build

    server = TelegramEmulator(token=HISTORY_TOKEN)
    await server.start()
    os.environ.setdefault("HUMAS_CONFIG", "/nonexistent/humas.toml")  # no office's settings
    settings = Settings(database=database, flow="default", telegram_token=HISTORY_TOKEN, media_dir=media_dir,
                        telegram_api_url=server.base_url, telegram_file_url=server.base_file_url)
    clock = ManualClock(start)
    app = await App.open(settings, clock=clock)
    quiet = updates.answer_query
    updates.answer_query = _no_spinner  # a button's spinner: a Bot API call that writes nothing
    try:
        if direct and not settings.uses_postgres:
            await _direct_sqlite(app)
        with stamped_by(clock):
            running = build(app, rate_limit=False)
            worker = InboxWorker(app)
            worker.add(running.source)
            async with running.application:
                history = ChatHistory(app, server, running, worker)
                history.people = {role: telegram_id for role, telegram_id in PEOPLE.items()}
                history.people |= {f"client {i}": CLIENT_BASE + i for i in range(CLIENTS)}
                if new:
                    await _people(app)
                    await app.people.grant("koordinator", "telegram", SECOND_KOORDINATOR)
                    for i in range(CLIENTS):
                        await app.people.person("telegram", CLIENT_BASE + i, f"User {CLIENT_BASE + i}")
                else:  # update ids go on after the stored ones
                    async with app.db.reading() as tx:
                        last = await tx.scalar("SELECT MAX(id) FROM inbox") or 0
                    history.update_ids = iter(range(10 * (last + 1), 10**12))
                yield history
                await worker.stop(5.0)
    finally:
        updates.answer_query = quiet
        await app.close()
        await server.stop()


async def _no_spinner(query, handling) -> None:
    return None


def chat_cache(requests: int, active: int) -> Path:
    return cache_dir() / f"chat-{requests}-{active}-v{CHAT_BUILDER}"


async def cached_chat(requests: int, target: Path | None, active: int = 200,
                      report: Callable[[str], None] = print) -> dict:
    """Copy a database with `requests` archived and `active` open requests walked through the
    Telegram handlers (and its media folder) to `target` (None: only build it), building it
    once per size and CHAT_BUILDER version under cache_dir()."""
    folder = chat_cache(requests, active)
    meta = folder / "built.json"
    if not meta.exists():
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        report(f"building {requests} archived + {active} open requests through the Telegram handlers"
               f" in {folder} (once per builder version)")
        async with chat_history(folder / "humas.db") as history:
            figures = await build_chat_history(history, requests, active, report=report)
        figures["bytes"] = _size(folder / "humas.db")
        report(f"built in {figures['seconds']:.0f} s ({requests / figures['seconds']:.1f} requests/s)")
        meta.write_text(json.dumps(figures))
    if target is not None:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(folder / "humas.db", target)
        _before_0011(target)
        if (folder / "media").exists():
            shutil.copytree(folder / "media", target.parent / "media", dirs_exist_ok=True)
    return json.loads(meta.read_text())


def _before_0011(database: Path) -> None:
    """A history built on h17 before hbc's migration 0011 landed records 0012, whose first
    version made 0011's index broadcasts_unfinished too (without IF NOT EXISTS there, 0011
    would then fail): drop it from the copy, and 0011 makes it again as it migrates."""
    conn = sqlite3.connect(database)
    try:
        done = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
        if 12 in done and 11 not in done:
            conn.execute("DROP INDEX IF EXISTS broadcasts_unfinished")
            conn.commit()
    finally:
        conn.close()
