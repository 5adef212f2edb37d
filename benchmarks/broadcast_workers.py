"""Push-info sent by several `humas-bot run` workers on one PostgreSQL, against the fake Bot API
enforcing Telegram's limits: the token's rate and duplicates, all workers together.

    .venv/bin/python benchmarks/broadcast_workers.py POSTGRESQL_URL --workers 2
    .venv/bin/python benchmarks/broadcast_workers.py URL --workers 4 --subscribers 2000 --latency-ms 150

(`scripts/postgres.sh start` prints a URL.) A fresh database on that server (dropped after), a
request approved to its publish step and `--subscribers` Telegram subscribers, written by this
process through the services; `--workers` real `humas-bot run` processes on that database,
with the emulator (in this process, `RateLimits(per_second=--limit)`, `--latency-ms` of round
trip) as their Bot API; then the petugas's publication, and the wait until every delivery is
finished. Two workers poll getUpdates for one token here (the emulator answers the older poller
409 Conflict now and then; nothing is sent to them in this benchmark).

Printed: the rate as broadcast.py measures it (L / mean(t[k+L] - t[k]) over the emulator's
accepted sends, L the limit) and as sends / (last - first), the busiest 1 s window, 429s,
duplicates (subscribers who got the post more than once), lost (no post and not unknown), the
outcome of every delivery, and which worker sent how many. (429s to the client, chat 1001, are
the notices of the setup's approvals going at once, as answers may: the emulator holds every
private chat to one a second.) Target: rate at least 0.9 of the
limit (the shared budget leaves 5 % for jitter), 0 duplicates, 0 lost.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import signal
import sys
import tempfile
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
from PIL import Image  # noqa: E402

from bot.app import App  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.domain.engine import Act  # noqa: E402
from bot.domain.request import Contact, Content, MediaRef  # noqa: E402
from bot.emulator.telegram import RateLimits, TelegramEmulator  # noqa: E402
from storage.repositories import Repos  # noqa: E402

TOKEN = "123456:BENCH-WORKERS"
HOLDERS = {"koordinator": 2001, "wakil_koordinator": 3001, "direktur": 4001, "petugas": 5001}
CLIENT = 1001
BASE = 10_000_000  # subscriber chat ids
TARGET = 0.9


def all_day_flow(folder: Path) -> Path:
    """The default flow publishing at any hour, so that "now" is always inside a window."""
    folder.mkdir()
    text = (ROOT / "bot" / "flows" / "default.toml").read_text()
    text = text.replace('name = "default"', 'name = "sepanjang"')
    windows = 'windows = ["08:00-10:00", "00:00-08:00", "10:00-23:59"]'
    text = "\n".join(windows if line.startswith("windows = ") else line for line in text.splitlines())
    (folder / "sepanjang.toml").write_text(text + "\n")
    return folder


async def office(app: App, subscribers: list[int]) -> tuple[str, int]:
    """(the request's code, the petugas's person id), approved up to its publish step."""
    ids = {}
    for role, tg in HOLDERS.items():
        await app.people.grant(role, "telegram", tg)
        ids[role] = await app.people.person("telegram", tg)
    async with app.db.transaction() as tx:
        for chat_id in subscribers:
            await Repos(tx).subscribers.subscribe("telegram", chat_id, None, ["mahasiswa"])
    out = io.BytesIO()
    Image.new("RGB", (1080, 1350), (200, 30, 40)).save(out, "JPEG")
    data = out.getvalue()
    poster = MediaRef(sha256=app.files.put(data), kind="image", mime="image/jpeg", size=len(data))
    content = Content(title="Donor Darah", organisation="PMI", caption="Ayo donor darah!", media=[poster],
                      contact=Contact(name="Sari", phone="0812"), slot="08.00-10.00",
                      publish_date=date.today() + timedelta(days=7))
    state = await app.requests.submit(await app.people.person("telegram", CLIENT, "Sari"), content)
    for role in ("koordinator", "wakil_koordinator", "direktur"):
        await app.requests.decide(state.code, ids[role], Act.APPROVE)
    return state.code, ids["petugas"]


async def start_worker(server: TelegramEmulator, folder: Path, url: str, flows: Path, media: Path,
                       limit: int, n: int) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUMAS_")}
    env |= {"HUMAS_TELEGRAM_TOKEN": TOKEN, "HUMAS_TELEGRAM_API_URL": server.base_url,
            "HUMAS_TELEGRAM_FILE_URL": server.base_file_url, "HUMAS_CONFIG": str(folder / "none.toml"),
            "HUMAS_FLOW": "sepanjang", "HUMAS_FLOWS_DIR": str(flows), "HUMAS_DATABASE": url,
            "HUMAS_MEDIA_DIR": str(media), "HUMAS_TELEGRAM_PER_SECOND": str(limit)}
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env=env, cwd=folder, stdout=asyncio.subprocess.DEVNULL,
        stderr=open(folder / f"worker{n}.log", "ab"),  # noqa: SIM115, ASYNC230
    )


def rate(moments: list[float], limit: int) -> float:
    if len(moments) <= limit:
        return float("nan")
    gaps = [moments[k + limit] - moments[k] for k in range(len(moments) - limit)]
    return limit / (sum(gaps) / len(gaps))


def busiest(moments: list[float]) -> int:
    most = start = 0
    for end, moment in enumerate(moments):
        while moments[start] <= moment - 1.0:
            start += 1
        most = max(most, end - start + 1)
    return most


async def run(args: argparse.Namespace) -> int:
    subscribers = [BASE + i for i in range(args.subscribers)]
    server = TelegramEmulator(token=TOKEN, latency=args.latency_ms / 1000)
    for user_id in [*HOLDERS.values(), CLIENT, *subscribers]:
        server.user(user_id, f"U{user_id}").started = True
    await server.start()
    server.limits = RateLimits(per_second=args.limit)
    name = f"humas_bench_workers_{os.getpid()}"
    admin = await asyncpg.connect(args.url)
    await admin.execute(f"CREATE DATABASE {name} TEMPLATE template0")
    url = urlunsplit(urlsplit(args.url)._replace(path=f"/{name}"))
    workers: list[asyncio.subprocess.Process] = []
    try:
        with tempfile.TemporaryDirectory(prefix="humas-workers-") as where:
            folder = Path(where)
            os.environ["HUMAS_CONFIG"] = str(folder / "none.toml")
            flows, media = all_day_flow(folder / "flows"), folder / "media"
            app = await App.open(Settings(database=url, media_dir=media, flow="sepanjang", flows_dir=flows))
            try:
                code, petugas = await office(app, subscribers)
                for n in range(args.workers):
                    workers.append(await start_worker(server, folder, url, flows, media, args.limit, n))
                await asyncio.sleep(3.0)  # the workers up (imports, migrations checked)
                started = time.monotonic()
                await app.publishing.publish(code, petugas, ["mahasiswa"])
                rows = await finished(app, code, args.subscribers, args.timeout)
                seconds = time.monotonic() - started
            finally:
                await app.close()
            for process in workers:
                process.send_signal(signal.SIGTERM)
            for process in workers:
                await process.wait()
    finally:
        for process in workers:
            if process.returncode is None:
                process.kill()
        await server.stop()
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.close()
    return report(args, server, subscribers, rows, seconds)


async def finished(app: App, code: str, count: int, patience: float) -> list[dict]:
    deadline = time.monotonic() + patience
    while True:
        async with app.db.reading() as tx:
            repos = Repos(tx)
            rows = await repos.broadcasts.deliveries(await repos.requests.id_of(code))
            claimed = await tx.all("SELECT id, claimed_by FROM outbox WHERE kind = 'broadcast'")
        if len(rows) == count and all(row["status"] in ("sent", "failed", "unknown") for row in rows):
            by = {row["id"]: row["claimed_by"] for row in claimed}
            return [row | {"worker": by.get(row["id"])} for row in rows]
        if time.monotonic() > deadline:
            raise SystemExit(f"not finished after {patience} s: {Counter(r['status'] for r in rows)}")
        await asyncio.sleep(0.5)


def _whom(error: dict, subscribers: set[int]) -> str:
    chat = str(error["params"].get("chat_id", ""))
    return "a subscriber" if chat.lstrip("-").isdigit() and int(chat) in subscribers else f"chat {chat}"


def report(args, server: TelegramEmulator, subscribers: list[int], rows: list[dict], seconds: float) -> int:
    chosen = set(subscribers)
    moments = sorted(a.at for a in server.accepted for _ in range(a.count))
    got = Counter(a.chat_id for a in server.accepted if a.chat_id in chosen)
    status = {int(row["recipient"].split(":")[1]): row["status"] for row in rows}
    twice = sum(1 for n in got.values() if n > 1)
    lost = sum(1 for chat in subscribers if not got[chat] and status.get(chat) != "unknown")
    refusals = [e for e in server.errors if e["error_code"] == 429]
    too_many = Counter(f"{e['method']} to {_whom(e, chosen)}" for e in refusals)
    achieved = rate(moments, args.limit)
    plain = (len(moments) - 1) / (moments[-1] - moments[0]) if len(moments) > 1 else float("nan")
    print(f"{args.workers} workers, {args.subscribers} subscribers, limit {args.limit}/s, "
          f"latency {args.latency_ms:.0f} ms, load average {os.getloadavg()[0]:.2f}")
    print(f"rate: {achieved:.1f}/s ({achieved / args.limit:.0%} of the limit); sends/(last-first) "
          f"{plain:.1f}/s; busiest 1 s window {busiest(moments)}; {seconds:.1f} s to the last outcome")
    print(f"429s: {dict(too_many) or 0}; duplicates {twice}; lost {lost}; outcomes "
          f"{dict(Counter(status.values()))}")
    print(f"sent by worker: {sorted(Counter(row['worker'] for row in rows).values(), reverse=True)}")
    met = achieved >= TARGET * args.limit and twice == 0 and lost == 0
    print("targets met" if met else
          f"targets NOT met (rate >= {TARGET:.0%} of the limit, 0 duplicates, 0 lost)")
    return 0 if met else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="a PostgreSQL server (scripts/postgres.sh start prints one)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--limit", type=int, default=30, help="messages a second for the token")
    parser.add_argument("--latency-ms", type=float, default=150.0)
    parser.add_argument("--timeout", type=float, default=600.0)
    return asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
