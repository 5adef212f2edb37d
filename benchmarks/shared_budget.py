"""The cost of the send budget shared by several workers (PostgreSQL) per message, against the
in-memory Pacer of one process.

    .venv/bin/python benchmarks/shared_budget.py postgresql://postgres@/postgres?host=/tmp/humas-pg.X
    .venv/bin/python benchmarks/shared_budget.py URL --messages 5000 --workers 4

Makes a fresh database on that server (dropped afterwards), migrates it, then takes room for
`--messages` messages (each `take` then `answered`, as a sender does around a send) to distinct
private chats, with the limit raised so high that nobody waits for a slot: what is left is the
budget's own cost. Printed: microseconds per message for the Pacer, for one SharedBudget (one
statement per message on its own connection), and for `--workers` SharedBudgets at once on
one schedule (each its own connection, as each worker process has), with how many statements
a second the schedule row then takes; and the achieved spacing at the real 30 a second for a
few seconds (messages a second, busiest 1 s window), all workers together.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402

from bot.broadcast.limits import Limits, Pacer  # noqa: E402
from bot.broadcast.shared import SharedBudget  # noqa: E402
from storage.budget_repos import SendSlots  # noqa: E402
from storage.db import Database  # noqa: E402

FAST = Limits(per_second=10_000_000)  # nobody waits: the budget's own cost alone


async def per_message(budget, messages: int, first_chat: int = 0) -> float:
    """Seconds per message of take + answered, to distinct private chats."""
    started = time.perf_counter()
    for i in range(messages):
        chat = str(1_000_000 + first_chat + i)
        taken = await budget.take(chat, False)
        await budget.answered(chat, False, taken)
    return (time.perf_counter() - started) / messages


async def paced(db: Database, workers: int, seconds: float) -> tuple[float, int]:
    """(messages a second, busiest 1 s window) of `workers` budgets at the real 30 a second."""
    budgets = [SharedBudget(SendSlots(db.engine, "paced"), Limits()) for _ in range(workers)]
    moments: list[float] = []
    stop = time.monotonic() + seconds

    async def sender(budget: SharedBudget, n: int) -> None:
        i = 0
        while time.monotonic() < stop:
            taken = await budget.take(str(n * 1_000_000 + i), False)
            moments.append(time.monotonic())
            await budget.answered(str(n * 1_000_000 + i), False, taken)
            i += 1

    await asyncio.gather(*(sender(budget, n) for n, budget in enumerate(budgets)))
    for budget in budgets:
        await budget.close()
    moments.sort()
    busiest = start = 0
    for end, moment in enumerate(moments):
        while moments[start] <= moment - 1.0:
            start += 1
        busiest = max(busiest, end - start + 1)
    return len(moments) / (moments[-1] - moments[0]), busiest


async def run(url: str, messages: int, workers: int) -> None:
    name = f"humas_bench_budget_{os.getpid()}"
    admin = await asyncpg.connect(url)
    await admin.execute(f"CREATE DATABASE {name} TEMPLATE template0")
    target = urlunsplit(urlsplit(url)._replace(path=f"/{name}"))
    db = await Database.open(target)
    try:
        pacer = await per_message(Pacer(FAST), messages)
        one = SharedBudget(SendSlots(db.engine, "one"), FAST)
        await per_message(one, 50)  # the connection made, statements prepared
        single = await per_message(one, messages)
        await one.close()
        many = [SharedBudget(SendSlots(db.engine, "many"), FAST) for _ in range(workers)]
        for budget in many:
            await per_message(budget, 20)
        started = time.perf_counter()
        await asyncio.gather(*(per_message(b, messages, n * messages) for n, b in enumerate(many)))
        together = time.perf_counter() - started
        for budget in many:
            await budget.close()
        rate, busiest = await paced(db, workers, 5.0)
    finally:
        await db.close()
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.close()
    print(f"messages: {messages} per budget; load average {os.getloadavg()[0]:.2f}")
    print(f"Pacer (one process, in memory):      {pacer * 1e6:8.1f} us a message")
    print(f"SharedBudget, one worker:            {single * 1e6:8.1f} us a message (one statement)")
    print(f"SharedBudget, {workers} workers at once:      {together / messages * 1e6:8.1f} us a message each;"
          f" the schedule row took {workers * messages / together:,.0f} slots a second")
    print(f"at 30/s, {workers} workers on one schedule: {rate:.1f} messages a second,"
          f" busiest 1 s window {busiest}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="a PostgreSQL server (scripts/postgres.sh start prints one)")
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    asyncio.run(run(args.url, args.messages, args.workers))
    return 0


if __name__ == "__main__":
    sys.exit(main())
