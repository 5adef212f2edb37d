"""An office's people in their chats, on Telegram or on LINE, behind one small interface, so
that a flow's scenario is written once and played on both platforms: the real bot runs both
(as `humas-bot run` does with both configured) against the two emulators."""

from __future__ import annotations

import io
import zipfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from bot.app import App
from bot.clock import ManualClock
from bot.emulator.line import LineEmulator, LineUser, make_user_id
from bot.emulator.telegram import SimUser, TelegramEmulator
from bot.runner import Platforms
from tests.e2e import bot_world, line_world
from tests.e2e.line_world import line_settings, running_line_bot

TIMEOUT = 10.0  # seconds a person waits for a message (the machine is shared)


class Person:
    """Someone in a chat with the bot: reads what it says, taps, types, sends files."""

    name: str

    async def sees(self, *needles: str) -> str: ...
    async def has_seen(self, *needles: str) -> None: ...
    def transcript(self) -> str: ...
    def buttons(self) -> list[str]: ...
    async def answered(self, text: str) -> None: ...
    async def tap(self, label: str) -> None: ...
    async def say(self, text: str) -> None: ...
    async def send_photo(self, data: bytes) -> None: ...
    async def send_file(self, data: bytes, name: str, mime: str) -> None: ...


@dataclass
class OnTelegram(Person):
    user: SimUser
    name: str = ""
    last_query: str = ""

    async def sees(self, *needles: str) -> str:
        return bot_world.text_of(await bot_world.expect(self.user, *needles, timeout=TIMEOUT))

    def transcript(self) -> str:
        """Everything the bot said in this chat, in order."""
        return "\n".join(bot_world.text_of(m) for m in self.user.messages)

    async def has_seen(self, *needles: str) -> None:
        """A message with every needle, before or after the ones `sees` went past (a notice
        may overtake the reply to the tap that caused it)."""
        def found() -> bool:
            return any(all(n in bot_world.text_of(m) for n in needles) for m in self.user.messages)

        await self.user.server.wait_for(found, timeout=TIMEOUT, what=f"{needles} for {self.name}")

    def buttons(self) -> list[str]:
        """The buttons of the bot's last message."""
        return bot_world.buttons_of(self.user.messages[-1])

    async def answered(self, text: str) -> None:
        """The last tap's popup says `text`."""
        answers = self.user.server.callback_answers
        await self.user.server.wait_for(
            lambda: text in ((answers.get(self.last_query) or {}).get("text") or ""),
            timeout=TIMEOUT, what=f"the popup {text!r}")

    async def tap(self, label: str) -> None:
        """The button in the newest message that shows it (a decided card shows none); a
        long card's last message, which carries its buttons, may still be on its way."""
        def shown() -> dict | None:
            return next((m for m in reversed(self.user.messages) if label in bot_world.buttons_of(m)), None)

        message = await self.user.server.wait_for(shown, timeout=TIMEOUT, what=f"{self.name}'s {label!r}")
        self.last_query = await self.user.tap(message, label)

    async def say(self, text: str) -> None:
        await self.user.send(text)

    async def send_photo(self, data: bytes) -> None:
        await self.user.send_photo(data)

    async def send_file(self, data: bytes, name: str, mime: str) -> None:
        await self.user.send_document(data, name, mime)


@dataclass
class OnLine(Person):
    user: LineUser
    name: str = ""

    async def sees(self, *needles: str) -> str:
        return line_world.text_of(await line_world.expect(self.user, *needles, timeout=TIMEOUT))

    def transcript(self) -> str:
        return "\n".join(line_world.text_of(m) for m in self.user.messages)

    async def has_seen(self, *needles: str) -> None:
        def found() -> bool:
            return any(all(n in line_world.text_of(m) for n in needles) for m in self.user.messages)

        await self.user.server.wait_for(found, timeout=TIMEOUT, what=f"{needles} for {self.name}")

    def buttons(self) -> list[str]:
        return line_world.labels(self.user.messages[-1])

    async def answered(self, text: str) -> None:
        """LINE has no popups: what a tap answers comes as a message."""
        await self.sees(text)

    async def tap(self, label: str) -> None:
        def shown() -> bool:
            return any(label in line_world.labels(m) for m in self.user.messages)

        await self.user.server.wait_for(shown, timeout=TIMEOUT, what=f"{self.name}'s {label!r}")
        await self.user.tap(label)

    async def say(self, text: str) -> None:
        await self.user.say(text)

    async def send_photo(self, data: bytes) -> None:
        await self.user.send_image(data)

    async def send_file(self, data: bytes, name: str, mime: str) -> None:
        await self.user.send_file(data, name, content_type=mime)


@dataclass
class Office:
    app: App
    telegram: TelegramEmulator
    line: LineEmulator
    platforms: Platforms
    people: dict[str, Person] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Person:
        return self.people[name]

    def later(self, minutes: int = 5) -> None:
        """Time passes between two people's actions (so their times differ on the sheet)."""
        assert isinstance(self.app.clock, ManualClock)
        self.app.clock.advance(timedelta(minutes=minutes))

    async def join(self, name: str, display: str, platform: str, role: str | None = None,
                   telegram_id: int = 0) -> Person:
        """A person starts a chat with the bot (after the admin granted their role)."""
        if platform == "telegram":
            user = self.telegram.user(telegram_id, display, language_code="id")
            if role:
                await self.app.people.grant(role, "telegram", telegram_id)
            await user.send("/start")
            await bot_world.expect(user, "Selamat datang", timeout=TIMEOUT)
            person: Person = OnTelegram(user, display)
        else:
            line_user = self.line.user(make_user_id(name), display)
            if role:
                await self.app.people.grant(role, "line", line_user.id)
            assert await line_user.follow() == 200
            await line_world.expect(line_user, "Selamat datang", timeout=TIMEOUT)
            person = OnLine(line_user, display)
        self.people[name] = person
        return person


@asynccontextmanager
async def office(flow: str, telegram: TelegramEmulator, line: LineEmulator, tmp_path,
                 clock: ManualClock) -> AsyncIterator[Office]:
    settings = line_settings(line, tmp_path, flow=flow, telegram=telegram)
    async with running_line_bot(settings, clock, line) as (app, platforms):
        yield Office(app, telegram, line, platforms)


# The intake, whatever the flow asks --------------------------------------------------------

ANSWERS = {
    "Apa judul acara": "Seminar Kesehatan Jiwa",
    "Nama institusi": "Unit Promosi Kesehatan",
    "Tulis caption": "Ayo hadiri seminar kesehatan jiwa! #sehatjiwa",
    "Contact person": "Sari 081234567890",
    "Tanggal publikasi": "30-11-2026",
}


async def submit(client: Person, slot: str = "18.00-22.00", caption: tuple[str, ...] = ()) -> str:
    """/ajukan and an answer to each question the flow asks; the request's code. A caption
    given in parts is sent as Telegram sends a long paste: message after message."""
    await client.say("/ajukan")
    while True:
        text = await client.sees()
        typed = next((answer for question, answer in ANSWERS.items() if question in text), None)
        if "Ringkasan permohonan" in text:
            await client.tap("✅ Kirim")  # on the summary's last message, however long it is
            break
        if caption and "Tulis caption" in text:
            for part in caption:
                await client.say(part)
        elif typed is not None:
            await client.say(typed)
        elif "Kirim poster/video bila ada" in text:  # the office makes the poster
            await client.tap("Lanjut ➡️")
        elif "Kirim poster" in text:
            await client.send_photo(bot_world.poster_bytes())
            await client.sees("Poster 1 diterima")
            await client.tap("Lanjut ➡️")
        elif "Pilih jam publikasi" in text:
            await client.tap(slot)
        elif "Catatan khusus" in text:
            await client.tap("Tidak ada")
    receipt = await client.sees("Permohonan diterima")
    return receipt.split("Kode: ")[1].split()[0]


def docx(*paragraphs: str) -> bytes:
    """A minimal Word document holding these paragraphs, as Word writes them."""
    ns = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    body = "".join(f"<w:p><w:r><w:t xml:space=\"preserve\">{p}</w:t></w:r></w:p>" for p in paragraphs)
    document = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                f'<w:document xmlns:w="{ns}"><w:body>{body}</w:body></w:document>')
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", document)
    return out.getvalue()


def before(text: str, first: str, then: str) -> bool:
    """`first` appears in the card above `then`."""
    return first in text and then in text and text.index(first) < text.index(then)
