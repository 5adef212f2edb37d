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
from bot.handlers.telegram.application import serve

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
        database=tmp_path / "humas.db", flow=flow, telegram_token=server.token,
        telegram_api_url=server.base_url, telegram_file_url=server.base_file_url,
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
    task = asyncio.create_task(serve(app, stop))
    try:
        yield app
    finally:
        stop.set()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 15)
        await app.close()


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
