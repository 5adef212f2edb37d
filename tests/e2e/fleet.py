"""Several `humas-bot run` workers on one PostgreSQL database, against the emulators: the
harness of the many-workers tests and of benchmarks/workers.py.

Webhook mode: each worker listens on ports of its own (Telegram's webhook route, LINE's
server), behind a tiny round-robin proxy per platform that stands in for nginx (each request
to the next worker in turn; to the one after it if a worker does not answer, as nginx's
`proxy_next_upstream error`). The Telegram emulator pushes updates to the proxy
(`push_webhook`), the LINE emulator posts its webhook calls there. Polling mode: every worker
is told the same token; one polls (storage/sessions.py), the others wait to take over.

The people: clients doing a whole intake to Kirim on Telegram or LINE, and two koordinators
(Telegram) who both press Setujui on each request's card at the same moment, so the first
decision must win across workers.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp import web

from bot.app import App
from bot.config import Settings
from bot.emulator.line import LineEmulator, LineUser, make_user_id
from bot.emulator.telegram import SimUser, TelegramEmulator
from bot.handlers.line.webhook import WEBHOOK_PATH
from tests.databases import database_env
from tests.e2e import line_world
from tests.e2e.bot_world import QUESTION, SUMMARY, buttons_of, expect, poster_bytes, text_of
from tests.ports import free_port, listening

SECRET = "fleet-webhook-secret"
KOORDINATORS = {2001: "Budi", 2002: "Bayu"}
PATIENCE = 60.0  # seconds for one reply when hundreds of people write at once


class RoundRobin:
    """A reverse proxy: each request to the next backend port in turn."""

    def __init__(self, ports: list[int]) -> None:
        self.ports = ports
        self.served: Counter[int] = Counter()
        self.failed: Counter[int] = Counter()  # backends that did not answer (and the next one took it)
        self._next = 0
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.url = ""

    async def start(self) -> str:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60))
        proxy = web.Application(client_max_size=4 * 1024 * 1024)
        proxy.router.add_route("*", "/{path:.*}", self._forward)
        self._runner = web.AppRunner(proxy, access_log=None)
        await self._runner.setup()
        port = free_port()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    async def _forward(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = {k: v for k, v in request.headers.items()
                   if k.lower() not in ("host", "content-length")}
        for _ in self.ports:
            port = self.ports[self._next % len(self.ports)]
            self._next += 1
            try:
                target = f"http://127.0.0.1:{port}{request.path_qs}"
                async with self._session.request(request.method, target, data=body,
                                                 headers=headers) as answer:
                    payload = await answer.read()
                    self.served[port] += 1
                    return web.Response(status=answer.status, body=payload,
                                        content_type=answer.content_type)
            except aiohttp.ClientConnectionError:
                self.failed[port] += 1
        return web.Response(status=502, text="no worker answered")


@dataclass
class Fleet:
    """`count` workers on this test's database, webhook or polling mode."""

    tmp_path: Path
    telegram: TelegramEmulator
    line: LineEmulator | None = None
    count: int = 4
    webhook: bool = True
    processes: list[asyncio.subprocess.Process | None] = field(default_factory=list)
    proxies: list[RoundRobin] = field(default_factory=list)
    telegram_ports: list[int] = field(default_factory=list)
    line_ports: list[int] = field(default_factory=list)

    async def start(self) -> None:
        self.tmp_path.mkdir(parents=True, exist_ok=True)
        await prepare(self.tmp_path)
        self.telegram_ports = [free_port() for _ in range(self.count)]
        self.line_ports = [free_port() for _ in range(self.count)]
        if self.webhook:
            self.proxies = [RoundRobin(self.telegram_ports), RoundRobin(self.line_ports)]
            for proxy in self.proxies:
                await proxy.start()
            if self.line is not None:
                self.line.webhook_url = self.proxies[1].url + WEBHOOK_PATH
        for index in range(self.count):
            self.processes.append(await self._spawn(index))
        for index in range(self.count):
            await self.ready(index)

    async def ready(self, index: int, timeout: float = 60.0) -> None:  # noqa: ASYNC109
        """Until worker `index` listens (webhook mode), or anyone polls (polling mode)."""
        if not self.webhook:
            await self.telegram.wait_for(lambda: self.telegram._poller > 0, timeout=timeout,
                                         what="a poller")
            return
        ports = [self.telegram_ports[index]] + ([self.line_ports[index]] if self.line else [])
        for port in ports:
            await listening(port, timeout, pause=0.1)

    def env(self, index: int) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HUMAS_")}
        env |= database_env(self.tmp_path) | {
            "HUMAS_CONFIG": str(self.tmp_path / "none.toml"), "HUMAS_FLOW": "default",
            "HUMAS_TELEGRAM_TOKEN": self.telegram.token, "HUMAS_TELEGRAM_API_URL": self.telegram.base_url,
            "HUMAS_TELEGRAM_FILE_URL": self.telegram.base_file_url,
        }
        if self.webhook:
            env |= {"HUMAS_TELEGRAM_WEBHOOK_URL": self.proxies[0].url + "/telegram",
                    "HUMAS_TELEGRAM_WEBHOOK_SECRET": SECRET, "HUMAS_TELEGRAM_LISTEN": "127.0.0.1",
                    "HUMAS_TELEGRAM_PORT": str(self.telegram_ports[index])}
        if self.line is not None:
            public = self.proxies[1].url.replace("http://", "https://") if self.proxies else "https://127.0.0.1"
            env |= {"HUMAS_LINE_CHANNEL_SECRET": self.line.channel_secret,
                    "HUMAS_LINE_ACCESS_TOKEN": self.line.access_token,
                    "HUMAS_LINE_API_URL": self.line.base_url,
                    "HUMAS_LINE_DATA_URL": self.line.data_url, "HUMAS_LINE_HOST": "127.0.0.1",
                    "HUMAS_LINE_PORT": str(self.line_ports[index]), "HUMAS_LINE_PUBLIC_URL": public}
        return env

    async def _spawn(self, index: int) -> asyncio.subprocess.Process:
        log = open(self.tmp_path / f"worker{index}.log", "ab")  # noqa: SIM115, ASYNC230
        try:
            return await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", env=self.env(index), cwd=self.tmp_path,
                stdout=asyncio.subprocess.DEVNULL, stderr=log)
        finally:
            log.close()

    async def kill(self, index: int) -> None:
        process = self.processes[index]
        process.send_signal(signal.SIGKILL)
        await process.wait()
        self.processes[index] = None

    async def stop(self) -> None:
        for process in self.processes:
            if process is not None and process.returncode is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            if process is not None:
                try:
                    await asyncio.wait_for(process.wait(), 20)
                except TimeoutError:
                    process.kill()
                    await process.wait()
        for proxy in self.proxies:
            await proxy.stop()

    def logs(self) -> str:
        return "\n".join((self.tmp_path / f"worker{i}.log").read_text(errors="replace")[-3000:]
                         for i in range(self.count))


async def prepare(tmp_path: Path) -> None:
    """The koordinator role for both koordinators (their Telegram ids), before any worker starts."""
    where = {name.removeprefix("HUMAS_").lower(): value for name, value in database_env(tmp_path).items()}
    app = await App.open(Settings(flow="default", **where))
    try:
        for user_id in KOORDINATORS:
            await app.people.grant("koordinator", "telegram", user_id)
    finally:
        await app.close()


# The people ------------------------------------------------------------------------------------

def publish_day() -> datetime:
    return datetime.now(UTC).astimezone(ZoneInfo("Asia/Jakarta")) + timedelta(days=7)


def title(n: int) -> str:
    return f"Seminar Nasional Kesehatan {n}"


async def telegram_intake(client: SimUser, n: int, patience: float = PATIENCE) -> str:
    """A whole intake to Kirim on Telegram; the request's code."""
    async def said(text: str, needle: str) -> dict:
        await client.send(text)
        return await expect(client, needle, timeout=patience)

    await said("/start", "Selamat datang")
    await said("/ajukan", QUESTION["title"])
    await said(title(n), QUESTION["organisation"])
    await said("BEM FK Universitas Jember", QUESTION["media"])
    await client.send_photo(poster_bytes())
    received = await expect(client, "Poster 1 diterima", timeout=patience)
    await client.tap(received, "Lanjut ➡️")
    await expect(client, QUESTION["caption"], timeout=patience)
    await said("Ayo hadiri seminarnya! #sehat", QUESTION["contact"])
    await client.share_contact("+6281234567890", client.first_name)
    await expect(client, QUESTION["publish_date"], timeout=patience)
    slot = await said(publish_day().strftime("%d-%m-%Y"), QUESTION["slot"])
    await client.tap(slot, "08.00-10.00")
    notes = await expect(client, QUESTION["notes"], timeout=patience)
    await client.tap(notes, "Tidak ada")
    summary = await expect(client, SUMMARY, timeout=patience)
    await client.tap(summary, "✅ Kirim")
    receipt = await expect(client, "Permohonan diterima", timeout=patience)
    return text_of(receipt).split("Kode: ")[1].split()[0]


async def line_intake(client: LineUser, n: int, patience: float = PATIENCE) -> str:
    """The same intake on LINE; the request's code."""
    async def said(text: str, needle: str):
        await client.say(text)
        return await line_world.expect(client, needle, timeout=patience)

    async def tapped(label: str, needle: str, value: str | None = None):
        await client.tap(label, value)
        return await line_world.expect(client, needle, timeout=patience)

    assert await client.follow() == 200
    await line_world.expect(client, "Selamat datang", timeout=patience)
    await said("ajukan", QUESTION["title"])
    await said(title(n), QUESTION["organisation"])
    await said("BEM FK Universitas Jember", QUESTION["media"])
    await client.send_image(poster_bytes())
    await line_world.expect(client, "Poster 1 diterima", timeout=patience)
    await tapped("Lanjut ➡️", QUESTION["caption"])
    await said("Ayo hadiri seminarnya! #sehat", QUESTION["contact"])
    await said(f"{client.display_name} +6281234567890", QUESTION["publish_date"])
    await tapped("📅", QUESTION["slot"], publish_day().strftime("%Y-%m-%d"))
    await tapped("08.00-10.00", QUESTION["notes"])
    await tapped("Tidak ada", SUMMARY)
    receipt = await tapped("✅ Kirim", "Permohonan diterima")
    return line_world.text_of(receipt).split("Kode: ")[1].split()[0]


async def both_approve(server: TelegramEmulator, koordinators: list[SimUser], code: str,
                       patience: float = PATIENCE) -> None:
    """Both koordinators press Setujui on the request's card at the same moment."""
    def card(user: SimUser):
        return next((m for m in user.messages if code in text_of(m) and "✅ Setujui" in buttons_of(m)), None)

    cards = [await server.wait_for(lambda u=u: card(u), timeout=patience, what=f"{u}'s card of {code}")
             for u in koordinators]
    await asyncio.gather(*(u.tap(c, "✅ Setujui") for u, c in zip(koordinators, cards, strict=True)))


# What each person saw, comparable across runs -----------------------------------------------------

_CODE = re.compile(r"PUB-\d{4}-\d{4}")
_TIME = re.compile(r"\b\d{1,2}[.:]\d{2}\b(?! ?-)")  # a clock time (a slot's "08.00-10.00" stays)


def normalised(text: str, n: int) -> str:
    """A message as any client would see it: their own code, title and the koordinator who won
    read alike, clock times left out."""
    text = _CODE.sub("PUB-CODE", text).replace(title(n), "TITLE").replace(title(n).upper(), "TITLE")
    text = text.replace(f"Klien {n}", "KLIEN")
    for name in KOORDINATORS.values():
        text = text.replace(name, "KOORDINATOR")
    return _TIME.sub("HH.MM", text)


def telegram_seen(client: SimUser, n: int) -> list[str]:
    return [normalised(text_of(m), n) for m in client.messages]


def line_seen(client: LineUser, n: int) -> list[str]:
    return [normalised(line_world.text_of(m), n) for m in client.messages]


def line_user(server: LineEmulator, n: int) -> LineUser:
    return server.user(make_user_id(f"fleet-{n}"), f"Klien {n}")
