"""One worker against four: updates handled per second, and their latency, with N clients
doing a whole intake at once, on PostgreSQL.

    .venv/bin/python benchmarks/workers.py [--clients 200] [--latency-ms 200] [--workers 1 4]
                                           [--database postgresql://...]

Each variant starts that many real `humas-bot run` processes on a fresh PostgreSQL database
(a throwaway cluster from scripts/postgres.sh unless --database names a server whose user
may CREATE DATABASE), in webhook mode behind a round-robin proxy (tests/e2e/fleet.py, the
harness of the many-workers tests), against the Telegram emulator in this process, which
pushes each update to the webhook as Telegram does and answers every Bot API call after a
round trip of --latency-ms (Telegram's is 100-300 ms).

Every client sends the 12 updates of an intake to Kirim (/start ... a poster ... Kirim),
each as soon as the previous one was answered (no think time: capacity). Latency of an
update: from the emulator queueing it to the first bot message in that chat arriving at
the emulator. Throughput: updates answered / wall time from the first update to the last
answer. Printed per variant: updates/s, p50 and p99 latency, the speed-up of the last
variant over the first.

The bot keeps Telegram's 30 messages a second per token (its budget), shared by every
worker in the database: four workers send no faster than one, and the figures say what
else they add (CPU for the heavy updates, a shorter wait per update below the budget).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))] if ordered else 0.0


class Stamps:
    """When each chat's update was queued, and when the bot's first message after it came."""

    def __init__(self, server) -> None:
        self.waiting: dict[int, float] = {}
        self.latencies: list[float] = []
        self.last = 0.0
        original = server._push_update

        def push(kind: str, payload: dict) -> None:
            sender = (payload.get("from") or {}).get("id")
            if sender is not None:
                self.waiting[sender] = time.perf_counter()
            original(kind, payload)

        server._push_update = push
        server.on_output.append(self.on_output)

    async def on_output(self, event: str, message: dict) -> None:
        if event not in ("new", "edit"):
            return
        sent = self.waiting.pop(message["chat"]["id"], None)
        if sent is not None:
            self.last = time.perf_counter()
            self.latencies.append(self.last - sent)


async def variant(workers: int, clients: int, latency: float, workdir: Path) -> dict:
    from bot.emulator.telegram import TelegramEmulator
    from tests.e2e import fleet as f
    from tests.e2e.telegram_fixtures import TOKEN

    telegram = TelegramEmulator(token=TOKEN, push_webhook=True, latency=latency)
    await telegram.start()
    folder = workdir / f"workers-{workers}"
    fleet = f.Fleet(folder, telegram, None, count=workers)
    try:
        await fleet.start()
        users = [telegram.user(30_000 + n, f"Klien {n}", language_code="id") for n in range(clients)]
        stamps = Stamps(telegram)
        started = time.perf_counter()
        await asyncio.gather(*(f.telegram_intake(users[n], n, patience=120) for n in range(clients)))
        wall = stamps.last - started
    finally:
        await fleet.stop()
        await telegram.stop()
    count = len(stamps.latencies)
    return {"workers": workers, "updates": count, "wall": wall, "rate": count / wall,
            "p50": percentile(stamps.latencies, 50) * 1000, "p99": percentile(stamps.latencies, 99) * 1000}


async def main(args) -> int:
    from tests.databases import drop_test_databases

    results = []
    with tempfile.TemporaryDirectory(prefix="humas-workers-") as workdir:
        for workers in args.workers:
            result = await variant(workers, args.clients, args.latency_ms / 1000, Path(workdir))
            drop_test_databases()
            results.append(result)
            print(f"{workers} worker(s): {result['updates']} updates in {result['wall']:.1f} s ="
                  f" {result['rate']:.1f} updates/s; latency p50 {result['p50']:.0f} ms,"
                  f" p99 {result['p99']:.0f} ms", flush=True)
    if len(results) > 1:
        first, last = results[0], results[-1]
        print(f"{last['workers']} workers / {first['workers']}: {last['rate'] / first['rate']:.2f}x the"
              f" updates/s, p99 {last['p99']:.0f} ms against {first['p99']:.0f} ms")
    return 0


def cli() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--latency-ms", type=float, default=200.0, help="the emulator's round trip")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--database", help="a PostgreSQL server (default: a throwaway cluster)")
    args = parser.parse_args()
    url = args.database or os.environ.get("HUMAS_TEST_DATABASE")
    started = None
    if not url:
        url = started = subprocess.run([str(ROOT / "scripts/postgres.sh"), "start"], check=True,
                                       capture_output=True, text=True).stdout.strip()
    os.environ["HUMAS_TEST_DATABASE"] = url  # tests.databases makes a fresh database per variant
    try:
        return asyncio.run(main(args))
    finally:
        if started:
            subprocess.run([str(ROOT / "scripts/postgres.sh"), "stop", started], check=False)


if __name__ == "__main__":
    sys.exit(cli())
