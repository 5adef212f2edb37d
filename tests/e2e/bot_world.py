"""The real bot (python-telegram-bot Application, polling over HTTP) against the emulator,
with the people of the default flow. Shared by the Telegram end-to-end tests."""

from __future__ import annotations

import asyncio
import contextlib
import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from PIL import Image

from bot.app import App
from bot.clock import ManualClock
from bot.config import Settings
from bot.emulator.telegram import SimUser, TelegramEmulator
from bot.runner import serve
from tests.databases import database_for

PEOPLE = {
    "client": (1001, "Sari"),
    "koordinator": (2001, "Budi"),
    "koordinator2": (2002, "Bayu"),
    "wakil_koordinator": (3001, "Wati"),
    "direktur": (4001, "Dedi"),
    "petugas": (5001, "Putri"),
}
ROLES = {"koordinator": "koordinator", "koordinator2": "koordinator",
         "wakil_koordinator": "wakil_koordinator", "direktur": "direktur", "petugas": "petugas"}


def poster_bytes(width: int = 1080, height: int = 1350, fmt: str = "JPEG") -> bytes:
    image = Image.new("RGB", (width, height), (20, 90, 160))
    for x in range(0, width, 40):
        image.paste((240, 200, 40), (x, 0, x + 10, height))
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def settings_for(server: TelegramEmulator, tmp_path, flow: str = "default") -> Settings:
    return Settings(
        database=database_for(tmp_path), flow=flow, telegram_token=server.token,
        telegram_api_url=server.base_url, telegram_file_url=server.base_file_url,
        timer_poll_seconds=0.2,  # the test clock jumps; the timer loop looks again soon
    )


@dataclass
class World:
    server: TelegramEmulator
    app: App
    users: dict[str, SimUser] = field(default_factory=dict)

    def __getitem__(self, name: str) -> SimUser:
        return self.users[name]


@asynccontextmanager
async def running_bot(settings: Settings, clock: ManualClock) -> AsyncIterator[App]:
    app = await App.open(settings, clock=clock)
    stop = asyncio.Event()
    task = asyncio.create_task(serve(app, stop, line=False))
    try:
        yield app
    finally:
        stop.set()
        done, _ = await asyncio.wait([task], timeout=15)
        stuck = [] if done else [t for t in asyncio.all_tasks() if t not in (task, asyncio.current_task())]
        if not done:  # fail with the culprits named rather than hang: cancel, once more, all
            for other in (task, *stuck):
                other.cancel()
            await asyncio.wait([task, *stuck], timeout=5)
        await app.close()
        assert done, "the bot did not stop within 15 s; still running: " + ", ".join(
            sorted({t.get_coro().__qualname__ for t in stuck})
        )
        with contextlib.suppress(asyncio.CancelledError):
            task.result()  # the bot's own failure, if it had one


@asynccontextmanager
async def world_on(server: TelegramEmulator, settings: Settings, clock: ManualClock) -> AsyncIterator[World]:
    """The bot running with the default flow's people, roles granted, each having said /start."""
    async with running_bot(settings, clock) as app:
        users = {}
        for name, (user_id, first_name) in PEOPLE.items():
            users[name] = server.user(user_id, first_name, language_code="id")
            if name in ROLES:
                await app.people.grant(ROLES[name], "telegram", user_id)
            await users[name].send("/start")
            await expect(users[name], "Selamat datang")
            if name in ROLES:  # a holder's /start also says what will reach them
                await expect(users[name], "Anda memegang peran")
        yield World(server, app, users)


async def expect(user: SimUser, *needles: str, timeout: float = 5.0) -> dict:  # noqa: ASYNC109
    """The next bot message to this user that contains every needle; earlier ones are skipped."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    seen = []
    while loop.time() < deadline:
        try:
            message = await user.next_message(timeout=max(0.05, deadline - loop.time()))
        except TimeoutError:
            break
        text = message.get("text") or message.get("caption") or ""
        seen.append(text[:80])
        if all(needle in text for needle in needles):
            return message
    raise AssertionError(f"{user.info()['first_name']} never saw {needles}; saw: {seen}")


def text_of(message: dict) -> str:
    return message.get("text") or message.get("caption") or ""


def buttons_of(message: dict) -> list[str]:
    markup = message.get("reply_markup") or {}
    return [b["text"] for row in markup.get("inline_keyboard", []) for b in row]


# The intake, question by question ---------------------------------------------------------

# What tells each question apart from a refusal that names the same thing: its number.
QUESTION = {
    "title": "1. Apa judul acara",
    "organisation": "2. Nama institusi",
    "media": "3. Kirim poster",
    "caption": "4. Tulis caption",
    "contact": "5. Contact person",
    "publish_date": "6. Tanggal publikasi",
    "slot": "7. Pilih jam publikasi",
    "notes": "8. Catatan khusus",
}
ORDER = tuple(QUESTION)
SUMMARY = "Ringkasan permohonan"
ANSWERS = {
    "title": "Seminar Nasional Kesehatan",
    "organisation": "BEM FK Universitas Jember",
    "caption": "Ayo hadiri Seminar Nasional Kesehatan! #sehat",
    "contact": "+6281234567890",
    "publish_date": "28-11-2026",
    "slot": "08.00-10.00",
}
# How the summary shows those answers (and the poster).
SUMMARY_SHOWS = ("Seminar Nasional Kesehatan", "BEM FK Universitas Jember", "gambar 1080×1350",
                 "#sehat", "Sari / +6281234567890", "28 November 2026", "08.00-10.00 WIB",
                 "Catatan khusus: Tidak ada")


async def answer(client: SimUser, question: str, asked: dict, answers: dict | None = None) -> dict:
    """Give the answer to `question` (asked in message `asked`); the next question, or the summary."""
    given = ANSWERS | (answers or {})
    if question == "media":
        await client.send_photo(poster_bytes())
        received = await expect(client, "Poster 1 diterima")
        await client.tap(received, "Lanjut ➡️")
    elif question == "contact":
        await client.share_contact(given["contact"], "Sari")
    elif question == "slot":
        await client.tap(asked, given["slot"])
    elif question == "notes":
        await client.tap(asked, "Tidak ada")
    else:
        await client.send(given[question])
    following = ORDER.index(question) + 1
    return await expect(client, QUESTION[ORDER[following]] if following < len(ORDER) else SUMMARY)


async def intake_until(world: World, stop: str) -> dict:
    """/ajukan, then every answer before `stop`; the message asking `stop`."""
    client = world["client"]
    await client.send("/ajukan")
    asked = await expect(client, QUESTION["title"])
    for question in ORDER[: ORDER.index(stop)]:
        asked = await answer(client, question, asked)
    return asked


async def intake_from(world: World, start: str, asked: dict, answers: dict | None = None) -> dict:
    """Answer `start` (asked in `asked`) and every question after it; the summary."""
    for question in ORDER[ORDER.index(start):]:
        asked = await answer(world["client"], question, asked, answers)
    return asked


async def fill_intake(world: World, date_text: str = "28-11-2026") -> dict:
    """The client answers every question; returns the summary message."""
    asked = await intake_until(world, "title")
    return await intake_from(world, "title", asked, {"publish_date": date_text})


async def submit(world: World) -> str:
    """A full request sent; its code."""
    summary = await fill_intake(world)
    await world["client"].tap(summary, "✅ Kirim")
    receipt = await expect(world["client"], "Permohonan diterima")
    return text_of(receipt).split("Kode: ")[1].split()[0]
