"""The real bot's LINE webhook server (and, where asked, its Telegram side) against the LINE
emulator, with people in their LINE chats. Shared by the LINE end-to-end tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from bot.app import App
from bot.clock import ManualClock
from bot.config import Settings
from bot.emulator.line import LineEmulator, LineUser, Received, make_user_id
from bot.emulator.telegram import TelegramEmulator
from bot.handlers.line.webhook import WEBHOOK_PATH
from bot.runner import Platforms, started
from tests.databases import database_for
from tests.e2e.bot_world import poster_bytes
from tests.ports import free_port

LINE_PEOPLE = {
    "client": "Sari",
    "koordinator": "Budi",
    "koordinator2": "Bayu",
    "wakil_koordinator": "Wati",
    "direktur": "Dedi",
    "petugas": "Putri",
}
LINE_ROLES = {"koordinator": "koordinator", "koordinator2": "koordinator",
              "wakil_koordinator": "wakil_koordinator", "direktur": "direktur", "petugas": "petugas"}


def line_settings(line: LineEmulator, tmp_path, flow: str = "default",
                  telegram: TelegramEmulator | None = None) -> Settings:
    """LINE against the emulator (api and content hosts both), the webhook on a free port
    whose https address stands in for the public one LINE fetches posters from."""
    port = free_port()
    extra: dict[str, Any] = {}
    if telegram is not None:
        extra = {"telegram_token": telegram.token, "telegram_api_url": telegram.base_url,
                 "telegram_file_url": telegram.base_file_url}
    return Settings(
        database=database_for(tmp_path), flow=flow,
        line_channel_secret=line.channel_secret, line_access_token=line.access_token,
        line_api_url=line.base_url, line_data_url=line.data_url,
        line_public_url=f"https://127.0.0.1:{port}", line_host="127.0.0.1", line_port=port,
        timer_poll_seconds=0.2,  # the test clock jumps; the timer loop looks again soon
        **extra,
    )


@dataclass
class LineWorld:
    server: LineEmulator
    app: App
    platforms: Platforms
    users: dict[str, LineUser] = field(default_factory=dict)

    def __getitem__(self, name: str) -> LineUser:
        return self.users[name]


@asynccontextmanager
async def running_line_bot(settings: Settings, clock: ManualClock,
                           server: LineEmulator) -> AsyncIterator[tuple[App, Platforms]]:
    """The bot as `humas-bot run` starts it (every configured platform), the emulator's
    webhook pointed at it."""
    app = await App.open(settings, clock=clock)
    try:
        async with started(app) as platforms:
            server.webhook_url = platforms.line.url + WEBHOOK_PATH
            yield app, platforms
    finally:
        await app.close()


async def follow_all(world: LineWorld, names: dict[str, str], roles: dict[str, str]) -> None:
    """Each person adds the bot (after the admin granted their role by LINE id)."""
    for name, display in names.items():
        user = world.server.user(make_user_id(name), display)
        world.users[name] = user
        if name in roles:
            await world.app.people.grant(roles[name], "line", user.id)
        assert await user.follow() == 200
        await expect(user, "Selamat datang")
        if name in roles:  # a holder's greeting also says what will reach them
            await expect(user, "Anda memegang peran")


# Reading what a user got ---------------------------------------------------------------------


def text_of(received: Received) -> str:
    """A message's text; a Flex card's full body text (its altText is cut short)."""
    if received.type == "flex":
        body = received["contents"].get("body", {})
        return "\n".join(c.get("text", "") for c in body.get("contents", []))
    return received.text or ""


def labels(received: Received) -> list[str]:
    return [action.get("label", "") for action in received.actions()]


async def expect(user: LineUser, *needles: str, timeout: float = 5.0) -> Received:  # noqa: ASYNC109
    """The next message to this user containing every needle; earlier ones are skipped."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    seen = []
    while loop.time() < deadline:
        try:
            message = await user.next_message(timeout=max(0.05, deadline - loop.time()))
        except TimeoutError:
            break
        text = text_of(message)
        seen.append(f"{message.type}: {text[:80]}")
        if all(needle in text for needle in needles):
            return message
    raise AssertionError(f"{user.display_name} never saw {needles}; saw: {seen}")


# The intake on LINE ---------------------------------------------------------------------------

ANSWERS = {
    "title": "Seminar Nasional Kesehatan",
    "organisation": "BEM FK Universitas Jember",
    "caption": "Ayo hadiri Seminar Nasional Kesehatan! #sehat",
    "contact": "Sari +6281234567890",
    "publish_date": "2026-11-28",  # picked in the datetime picker
    "slot": "08.00-10.00",
}


async def fill_intake(client: LineUser, answers: dict[str, str] | None = None) -> Received:
    """`ajukan` and every answer, the poster through the content API and the date through the
    datetime picker; the summary message (the one with the Kirim button)."""
    given = ANSWERS | (answers or {})
    await client.say("ajukan")
    await expect(client, "1. Apa judul acara")
    await client.say(given["title"])
    await expect(client, "2. Nama institusi")
    await client.say(given["organisation"])
    await expect(client, "3. Kirim poster")
    await client.send_image(poster_bytes())
    received = await expect(client, "Poster 1 diterima")
    assert labels(received) == ["Lanjut ➡️"]
    await client.tap("Lanjut ➡️")
    await expect(client, "4. Tulis caption")
    await client.say(given["caption"])
    await expect(client, "5. Contact person")
    await client.say(given["contact"])
    asked = await expect(client, "6. Tanggal publikasi")
    assert "📅" in labels(asked)
    await client.tap("📅", given["publish_date"])
    await expect(client, "7. Pilih jam publikasi")
    await client.tap(given["slot"])
    await expect(client, "8. Catatan khusus")
    await client.tap("Tidak ada")
    return await expect(client, "Ringkasan permohonan")


async def submit(client: LineUser, answers: dict[str, str] | None = None) -> str:
    await fill_intake(client, answers)
    await client.tap("✅ Kirim")
    receipt = await expect(client, "Permohonan diterima")
    return text_of(receipt).split("Kode: ")[1].split()[0]
