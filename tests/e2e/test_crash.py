"""kill -9 at every step boundary of a full request, on the real `humas-bot run` process.

The Telegram emulator lives in this test (the bot reaches it through HUMAS_TELEGRAM_API_URL)
and outlives every bot process. One walk takes a request from /start to its archive: each
intake answer (the poster upload too), Kirim, each decision, the audience choice, the
publication to five subscribers, the archive. After each action the bot is killed (SIGKILL)
after a delay from a sweep (0-200 ms: before the update is fetched, while it is handled,
between the commit and the answer, after), then started again, and the action's effect is
awaited. Four walks, with the sweep shifted, so each step meets four of the delays.

Counted and printed: inputs lost (an action whose effect never came), decisions taken twice
(audit), publications delivered twice (and those left "unknown", never resent), messages a
person received more than once (answers and cards; a message in flight at a kill may come
again once), failures answered with an apology. Asserted: nothing lost, no decision or
delivery twice, no message more than twice, no apology, and one request.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.app import App
from bot.config import Settings
from bot.emulator.telegram import SimUser, TelegramEmulator
from storage.repositories import Repos
from tests.databases import database_for
from tests.e2e.bot_world import ANSWERS, PEOPLE, QUESTION, ROLES, buttons_of, poster_bytes, text_of
from tests.e2e.telegram_fixtures import telegram_server as telegram_server  # noqa: F401
from tests.e2e.test_push_info import WIB, all_day_flow
from tests.e2e.test_telegram_restart import kill, start_bot

DELAYS = (0.0, 0.005, 0.015, 0.03, 0.06, 0.1, 0.2)  # seconds from an action to the kill
SUBSCRIBERS = range(7101, 7106)
KOORDINATORS = ("koordinator", "koordinator2")
PATIENCE = 30.0  # seconds for an action's effect, the restart included
SORRY = "Maaf, terjadi gangguan"


@dataclass
class Step:
    name: str
    act: Callable[[], Awaitable[object]]
    done: Callable[[], object]  # truthy once the action's effect is visible to the people


@dataclass
class Figures:
    kills: int = 0
    lost: list[str] = field(default_factory=list)
    restarts_seconds: list[float] = field(default_factory=list)


class Walk:
    """One request from /start to its archive, driven through the emulator."""

    def __init__(self, server: TelegramEmulator, offset: int) -> None:
        self.server = server
        self.users = {name: server.user(uid + offset, first, language_code="id")
                      for name, (uid, first) in PEOPLE.items()}
        self.code = ""  # the request's code, known once its receipt came

    def __getitem__(self, name: str) -> SimUser:
        return self.users[name]

    def latest(self, name: str, *needles: str, after: int = 0) -> dict | None:
        """The newest message (as shown now) to `name` holding every needle, past message `after`."""
        user = self[name]
        found = [m for m in user.messages if m["message_id"] > after
                 and all(n in _original(self.server, user, m) or n in text_of(m) for n in needles)]
        return found[-1] if found else None

    def steps(self) -> list[Step]:
        day = (datetime.now(WIB).date() + timedelta(days=5)).strftime("%d-%m-%Y")
        client = self["client"]
        marks: dict[str, int] = {}
        q = QUESTION

        def mark(name: str) -> int:
            marks[name] = max((m["message_id"] for m in self[name].messages), default=0)
            return marks[name]

        def said(text: str) -> Callable[[], Awaitable[object]]:
            async def act():
                mark("client")
                await client.send(text)
            return act

        def tapped(name: str, needle: str, button: str) -> Callable[[], Awaitable[object]]:
            async def act():
                message = self.latest(name, needle)
                assert message is not None, f"{name} has no message with {needle!r}"
                mark(name)
                await self[name].tap(message, button)
            return act

        def asked(name: str, needle: str) -> Callable[[], object]:
            return lambda: self.latest(name, needle, after=marks.get(name, 0))

        async def poster():
            mark("client")
            await client.send_photo(poster_bytes())

        async def contact():
            mark("client")
            await client.share_contact(ANSWERS["contact"], "Sari")

        def kirim_done():
            receipt = self.latest("client", "Permohonan diterima", after=marks.get("client", 0))
            if receipt is None:
                return None
            self.code = text_of(receipt).split("Kode: ")[1].split()[0]
            return all(self.latest(k, self.code, "Koordinator memeriksa") for k in KOORDINATORS)

        def card(name: str, step: str) -> Callable[[], object]:
            return lambda: self.latest(name, self.code, step)

        def chosen():  # on the card tapped: a kill may have left a second copy of it
            return any("☑️ mahasiswa" in buttons_of(m) for m in self["petugas"].messages)

        return [
            Step("/start", said("/start"), asked("client", "Selamat datang")),
            Step("/ajukan", said("/ajukan"), asked("client", q["title"])),
            Step("title", said(ANSWERS["title"]), asked("client", q["organisation"])),
            Step("organisation", said(ANSWERS["organisation"]), asked("client", q["media"])),
            Step("poster", poster, asked("client", "Poster 1 diterima")),
            Step("Lanjut", tapped("client", "Poster 1 diterima", "Lanjut ➡️"), asked("client", q["caption"])),
            Step("caption", said(ANSWERS["caption"]), asked("client", q["contact"])),
            Step("contact", contact, asked("client", q["publish_date"])),
            Step("date", said(day), asked("client", q["slot"])),
            Step("slot", tapped("client", q["slot"], ANSWERS["slot"]), asked("client", q["notes"])),
            Step("notes", tapped("client", q["notes"], "Tidak ada"), asked("client", "Ringkasan permohonan")),
            Step("Kirim", tapped("client", "Ringkasan permohonan", "✅ Kirim"), kirim_done),
            Step("koordinator", lambda: tapped("koordinator", self.code, "✅ Setujui")(),
                 card("wakil_koordinator", "Wakil Koordinator menyetujui")),
            Step("wakil koordinator", lambda: tapped("wakil_koordinator", self.code, "✅ Setujui")(),
                 card("direktur", "Direktur menyetujui")),
            Step("direktur", lambda: tapped("direktur", self.code, "✅ Setujui")(),
                 card("petugas", "Petugas mempublikasikan")),
            Step("audience", lambda: tapped("petugas", "Petugas mempublikasikan", "⬜ mahasiswa")(), chosen),
            Step("publish", lambda: tapped("petugas", "Petugas mempublikasikan", "📢 Sebarkan sekarang")(),
                 lambda: self.latest("petugas", self.code, "Petugas mengarsipkan")),
            Step("archive", lambda: tapped("petugas", "Petugas mengarsipkan", "🗄 Arsipkan")(),
                 lambda: self.latest("client", self.code, "selesai")),
        ]


def _original(server: TelegramEmulator, user: SimUser, message: dict) -> str:
    """A message's text as first sent (a card edited to say who decided was a card)."""
    history = server.edit_history.get((user.id, message["message_id"]))
    return text_of(history[0]) if history else text_of(message)


def settings(folder, flows) -> Settings:
    return Settings(database=database_for(folder), flow="sepanjang", flows_dir=flows)


async def prepare(folder, flows, offset: int) -> None:
    """Roles for this walk's officials, and the subscribers (as if they had used /langganan)."""
    app = await App.open(settings(folder, flows))
    try:
        for name, role in ROLES.items():
            await app.people.grant(role, "telegram", PEOPLE[name][0] + offset)
        async with app.db.transaction() as tx:
            for chat_id in SUBSCRIBERS:
                await Repos(tx).subscribers.subscribe("telegram", chat_id, None, ["mahasiswa"])
    finally:
        await app.close()


async def walk_with_kills(server: TelegramEmulator, tmp_path, flow: dict, shift: int,
                          figures: Figures) -> Walk:
    walk = Walk(server, offset=shift * 100)
    bot = await start_bot(server, tmp_path, **flow)
    try:
        for name in ROLES:  # the officials have talked to the bot before (no kills here)
            await walk[name].send("/start")
            await server.wait_for(lambda n=name: walk.latest(n, "Selamat datang"), timeout=30,
                                  what="a greeting")
        for index, step in enumerate(walk.steps()):
            delay = DELAYS[(index + shift) % len(DELAYS)]
            await step.act()
            await asyncio.sleep(delay)
            await kill(bot)
            figures.kills += 1
            started = time.monotonic()
            bot = await start_bot(server, tmp_path, **flow)
            try:
                await server.wait_for(step.done, timeout=PATIENCE, what=f"the effect of {step.name}")
            except TimeoutError:
                figures.lost.append(f"{step.name} (killed after {delay * 1000:.0f} ms)")
                await step.act()  # carry on, so the rest of the walk is still measured
                await server.wait_for(step.done, timeout=PATIENCE, what=f"the effect of {step.name}, again")
            figures.restarts_seconds.append(time.monotonic() - started)
        await asyncio.sleep(1.0)  # late edits and sends
    finally:
        await kill(bot)
    return walk


def duplicates(server: TelegramEmulator, walk: Walk) -> tuple[Counter, int, list[str]]:
    """Messages each person received more than once (by their first text), the most copies
    of any one message, and what the repeated ones said."""
    extra: Counter = Counter()
    most, which = 1, []
    for name, user in walk.users.items():
        copies = Counter((_original(server, user, m), bool(m.get("photo"))) for m in user.messages)
        for (text, _), count in copies.items():
            extra[name] += count - 1
            most = max(most, count)
            if count > 1:
                which.append(f"{name}: {text[:40]!r} x{count}")
    return extra, most, which


async def decisions_twice(folder, flows) -> tuple[int, int]:
    """(requests, decisions recorded twice for one step and version)."""
    app = await App.open(settings(folder, flows))
    try:
        async with app.db.reading() as tx:
            requests = await tx.scalar("SELECT COUNT(*) FROM requests")
            counts = await tx.all("SELECT COUNT(*) AS n FROM audit_log WHERE act NOT IN"
                                  " ('evidence', 'escalate') GROUP BY request_id, step_id, version, act")
    finally:
        await app.close()
    return requests, sum(row["n"] - 1 for row in counts)


async def test_kill_9_at_every_step_boundary_loses_nothing_and_repeats_little(telegram_server, tmp_path,
                                                                                 monkeypatch):
    server = telegram_server
    monkeypatch.setenv("HUMAS_CONFIG", str(tmp_path / "none.toml"))
    flows = all_day_flow(tmp_path / "flows")
    for chat_id in SUBSCRIBERS:
        server.user(chat_id, f"Mhs{chat_id}", language_code="id").started = True
    figures = Figures()
    started = time.monotonic()
    totals: Counter = Counter()
    walks, repeated = [], []
    for shift in (0, 2, 4, 6):  # each step meets four of the seven delays
        folder = tmp_path / f"walk{shift}"
        folder.mkdir()
        await prepare(folder, flows, offset=shift * 100)
        before = Counter({c: server.delivered[c] for c in SUBSCRIBERS})
        flow = {"flow": "sepanjang", "flows_dir": str(flows)}
        walk = await walk_with_kills(server, folder, flow, shift, figures)
        extra, most, which = duplicates(server, walk)
        repeated += which
        requests, twice = await decisions_twice(folder, flows)
        delivered = {c: server.delivered[c] - before[c] for c in SUBSCRIBERS}
        walks.append((walk, extra, most, requests, twice, delivered))
        totals["messages repeated"] += sum(extra.values())
        totals["decisions twice"] += twice
        totals["deliveries twice"] += sum(1 for n in delivered.values() if n > 1)
        totals["deliveries unknown (not resent)"] += sum(1 for n in delivered.values() if n == 0)
        totals["apologies"] += sum(SORRY in text_of(m) for u in walk.users.values() for m in u.messages)

    print(f"\ncrash test: {figures.kills} kills (SIGKILL 0-200 ms after each action), "
          f"{time.monotonic() - started:.0f} s, restart to effect median "
          f"{sorted(figures.restarts_seconds)[len(figures.restarts_seconds) // 2]:.1f} s")
    print(f"  inputs lost: {len(figures.lost)} {figures.lost}")
    for key, value in totals.items():
        print(f"  {key}: {value}")
    print(f"  repeated: {repeated}")
    for index, (_, extra, most, requests, _, delivered) in enumerate(walks):
        print(f"  walk {index + 1}: requests {requests}, repeats {dict(+extra)}, most copies of one {most},"
              f" publication copies per subscriber {sorted(delivered.values())}")
    assert figures.lost == []
    assert totals["decisions twice"] == 0
    assert totals["deliveries twice"] == 0
    assert totals["apologies"] == 0
    for _, _, most, requests, _, delivered in walks:
        assert requests == 1, "a second Kirim made a second request"
        assert most <= 2, "a message came three times"
        assert all(server_count <= 1 for server_count in delivered.values())
    assert totals["messages repeated"] <= figures.kills, "more repeats than crashes"
