"""kill -9 in the middle of an intake: the client carries on at the same question with every
earlier answer kept. The bot runs as a real `humas-bot run` process."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tests.databases import database_env
from tests.e2e.bot_world import expect, poster_bytes, text_of
from tests.e2e.telegram_fixtures import telegram_server as telegram_server  # noqa: F401


async def start_bot(server, tmp_path, **settings: str) -> asyncio.subprocess.Process:
    """`humas-bot run` as its own process; `settings` add HUMAS_* variables (flow=...)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUMAS_")}
    env |= {f"HUMAS_{name.upper()}": value for name, value in settings.items()}
    env |= {
        "HUMAS_TELEGRAM_TOKEN": server.token, "HUMAS_TELEGRAM_API_URL": server.base_url,
        "HUMAS_TELEGRAM_FILE_URL": server.base_file_url, "HUMAS_CONFIG": str(tmp_path / "none.toml"),
        **database_env(tmp_path),
    }
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env=env, cwd=tmp_path,
        stdout=asyncio.subprocess.DEVNULL, stderr=open(tmp_path / "bot.log", "ab"),  # noqa: SIM115, ASYNC230
    )


async def kill(process: asyncio.subprocess.Process) -> None:
    process.send_signal(signal.SIGKILL)
    await process.wait()


async def test_kill_9_mid_intake_loses_no_answer(telegram_server, tmp_path):
    client = telegram_server.user(1001, "Sari", language_code="id")
    bot = await start_bot(telegram_server, tmp_path)
    try:
        await client.send("/start")
        await expect(client, "Selamat datang", timeout=20)  # the first start imports everything
        await client.send("/ajukan")
        await expect(client, "judul acara")
        await client.send("Lomba Poster Gizi")
        await expect(client, "institusi")
        await client.send("Himpunan Mahasiswa Gizi")
        await expect(client, "Kirim poster")
        await client.send_photo(poster_bytes())
        received = await expect(client, "Poster 1 diterima")
        await client.tap(received, "Lanjut ➡️")
        await expect(client, "caption")
    finally:
        await kill(bot)

    bot = await start_bot(telegram_server, tmp_path)
    try:
        await client.send("Ikuti lomba poster gizi tingkat nasional!")
        await expect(client, "Contact person", timeout=20)
        await client.send("Sari 081234567890")
        await expect(client, "Tanggal publikasi")
        day = datetime.now(ZoneInfo("Asia/Jakarta")).date() + timedelta(days=5)
        await client.send(day.strftime("%d-%m-%Y"))
        slot = await expect(client, "jam publikasi")
        await client.tap(slot, "13.00-16.00")
        notes = await expect(client, "Catatan khusus")
        await client.tap(notes, "Tidak ada")
        summary = await expect(client, "Ringkasan permohonan")
        for answer in ("Lomba Poster Gizi", "Himpunan Mahasiswa Gizi", "gambar 1080×1350",
                       "Ikuti lomba poster gizi", "Sari / 081234567890", "13.00-16.00"):
            assert answer in text_of(summary)
        await client.tap(summary, "✅ Kirim")
        await expect(client, "Permohonan diterima", "PUB-")
    finally:
        await kill(bot)
