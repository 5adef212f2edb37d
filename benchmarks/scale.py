"""A year of data: what humas-bot's everyday reads and writes cost on a large history.

    .venv/bin/python benchmarks/scale.py [--sizes 10000,100000] [--postgres URL] [--only month,year]

For each size, a database with that many archived requests and 200 open ones, every one walked
as the running bot walks it: each client's and holder's action a Telegram update stored in the
inbox and handled by the real handlers (`benchmarks/history.py`, ChatHistory: the inbox rows,
drafts, replies, notices, audit log, timers, push-info deliveries to 20 subscribers, as the
product writes them). It is built once per size and builder version and cached under
benchmarks/.cache (HUMAS_HISTORY_CACHE); each run works on a copy. Then, on SQLite (and with
--postgres on a PostgreSQL copy of it, made with `db copy`; `scripts/postgres.sh start` gives a
server URL), it prints:

* a role's queue (/antrian: the koordinator's, 50 requests waiting, each as its card) and a
  client's /status (a client with 1/200 of the history);
* an approval press, the whole path of the update: stored in the inbox, handled by the
  handlers in its unit of work (authority, the state change, audit, notices, timers, the
  decider's answer and the edits of every other holder's prompt queued, the update marked
  handled), committed; with the statements it took;
* the month's and the year's monev report (chart and CSV), the archive export (zip with the
  PDF record) of an archived request;
* the database's size per request before retention and after it has run as the running bot
  has run it a month after the last publication (if this version has it:
  `bot/services/retention.py`), and how long that pass took;
* how each figure grows from the smallest size to the largest.

Targets (issue 17) at 100,000: queue < 20 ms, press < 20 ms, month report < 1 s, year report
< 5 s, at most 4 KB per archived request once retention has run. Times are medians of
--repeat runs (nearest rank); the machine's load average is printed before and after.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import math
import os
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import history  # noqa: E402

ACTIVE = 200
TARGETS = {"queue": ("ms", 20.0), "press": ("ms", 20.0), "month": ("ms", 1000.0),
           "year": ("ms", 5000.0), "kb_after": ("KB", 4.0)}
FIGURES = ("queue", "status", "press", "month", "year", "export", "size")  # what --only names
LABELS = {
    "queue": "queue (/antrian, 50 cards)",
    "status": "client's /status",
    "press": "approval press (whole update)",
    "press_statements": "  statements per press",
    "month": "month's report (chart, CSV)",
    "year": "year's report (chart, CSV)",
    "export": "archive export (zip, PDF)",
    "kb_before": "KB per request, before retention",
    "kb_after": "KB per request, retention run",
    "retention_s": "retention run (s)",
}


@dataclass
class Figures:
    size: int
    engine: str
    values: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def nearest(values: list[float], percent: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(percent / 100 * len(ordered)) - 1)] if ordered else math.nan


async def timed(call, repeat: int) -> list[float]:
    """Milliseconds of each of `repeat` awaits of call()."""
    spent = []
    for _ in range(repeat):
        started = time.perf_counter()
        await call()
        spent.append((time.perf_counter() - started) * 1000)
    return spent


class Counting:
    """Counts the statements sent to the database (each a trip), around the engine's connections."""

    def __init__(self, engine) -> None:
        self.count = 0
        for name in ("writer", "reader"):
            original = getattr(engine, name)
            setattr(engine, name, self._wrapped(original))

    def _wrapped(self, original):
        counter = self

        @contextlib.asynccontextmanager
        async def opened():
            async with original() as conn:
                yield _Counted(conn, counter)

        return opened


class _Counted:
    def __init__(self, conn, counter: Counting) -> None:
        self.conn, self.counter = conn, counter

    async def execute(self, sql, params):
        self.counter.count += 1
        return await self.conn.execute(sql, params)

    async def fetch(self, sql, params):
        self.counter.count += 1
        return await self.conn.fetch(sql, params)

    async def executemany(self, sql, rows):
        self.counter.count += 1
        return await self.conn.executemany(sql, rows)

    def __getattr__(self, name):
        return getattr(self.conn, name)


async def measure(database: Path | str, size: int, engine: str, args, media: Path) -> Figures:
    from bot.chat.approvals import Approvals
    from bot.chat.reports import Reports, month_bounds
    from bot.services.archive import Archive

    figures = Figures(size, engine)
    end = history.START + timedelta(days=1) / 100 * (size + ACTIVE)
    async with history.chat_history(database, start=end, direct=False, new=False, media_dir=media) as hist:
        app = hist.app
        approvals = Approvals(app)
        koordinator = await app.people.person("telegram", history.PEOPLE["koordinator"])
        client = await app.people.person("telegram", history.CLIENT_BASE)
        if wanted(args, "queue", "status", "press"):
            waiting = await app.requests.waiting_for(koordinator)
            figures.notes.append(f"{len(waiting)} waiting for the koordinator")
            queue = await timed(lambda: approvals.queue(koordinator, "id"), args.repeat)
            status = await timed(lambda: approvals.status(client, "id"), args.repeat)
            figures.values |= {"queue": statistics.median(queue), "status": statistics.median(status)}
            figures.values["press"], figures.values["press_statements"] = await presses(hist, waiting, args)
        last = end.astimezone(app.settings.zone).date().replace(day=1) - timedelta(days=1)
        reports = Reports(app)
        month = month_bounds(last.year, last.month)
        year = (date(last.year - 1, last.month, 1) + timedelta(days=31)).replace(day=1), last
        for key, period in (("month", month), ("year", year)):
            if wanted(args, key):
                spent = await timed(lambda period=period: reports.render(*period, "id"), args.slow_repeat)
                figures.values[key] = statistics.median(spent)
                runs = ", ".join(f"{ms:.0f}" for ms in spent)
                figures.notes.append(f"{key} {period[0]}..{period[1]} ({runs} ms)")
        archive = Archive(app.db, app.flow, app.files, app.settings.zone, app.requests.calendar)
        code = f"PUB-{history.START.year}-{1:04d}"
        if wanted(args, "export"):
            with tempfile.TemporaryDirectory() as out:
                figures.values["export"] = statistics.median(
                    await timed(lambda: archive.export(code, Path(out)), args.slow_repeat))
        if not wanted(args, "size"):
            return figures
        requests = size + ACTIVE
        figures.values["kb_before"] = await used_bytes(app) / requests / 1024
        if args.retention and importlib.util.find_spec("bot.services.retention") is not None:
            from bot.services.retention import Retention

            # as the running bot has it a month after the last publication (a week after its
            # request): every archived request past its retention period (the open ones keep
            # their prompts)
            retention = Retention.of(app)
            later = app.clock.now() + retention.policy.delivered + timedelta(days=8)
            started = time.perf_counter()
            pruned = await retention.prune(later)
            figures.values["retention_s"] = time.perf_counter() - started
            if app.db.dialect.name == "postgresql":  # its files keep the space until VACUUM FULL
                async with app.db.statement() as tx:
                    await tx.execute("VACUUM FULL")
            figures.values["kb_after"] = await used_bytes(app) / requests / 1024
            figures.notes.append(f"retention pruned {pruned}")
            with tempfile.TemporaryDirectory() as out:  # the archive still exports a pruned request
                await archive.export(code, Path(out))
    return figures


def wanted(args, *figures: str) -> bool:
    """Whether --only asks for any of these figures (all of them without --only)."""
    return args.only is None or bool(args.only & set(figures))


async def presses(hist, waiting, args) -> tuple[float, float]:
    """Approvals of requests waiting for the koordinator, each through the whole update path;
    (median ms, median statements)."""
    from bot.chat import callbacks
    from bot.domain.engine import Act

    app = hist.app
    counting = Counting(app.db.engine)
    spent, statements = [], []
    holder = history.PEOPLE["koordinator"]
    for state in waiting[: args.repeat]:
        data = callbacks.encode(callbacks.StepButton(state.code, state.version, 0, Act.APPROVE))
        update = hist.tap(holder, data, on=await hist._card_message(state.code, holder, 0))
        counting.count = 0
        started = time.perf_counter()
        await hist.handle(update)
        spent.append((time.perf_counter() - started) * 1000)
        statements.append(counting.count)
        after = await app.requests.get(state.code)
        if after.step_id == state.step_id:
            raise RuntimeError(f"the press on {state.code} did not move it: see the log")
    return statistics.median(spent), statistics.median(statements)


async def used_bytes(app) -> int:
    """The database's bytes in use: SQLite's pages that are not free; PostgreSQL's size."""
    async with app.db.reading() as tx:
        if app.db.dialect.name == "postgresql":
            return await tx.scalar("SELECT pg_database_size(current_database())")
        pages = await tx.scalar("SELECT * FROM pragma_page_count()")
        free = await tx.scalar("SELECT * FROM pragma_freelist_count()")
        page = await tx.scalar("SELECT * FROM pragma_page_size()")
    return (pages - free) * page


async def on_postgres(source: Path, server: str, media: Path, size: int, args) -> Figures:
    """The same history copied into a new database on `server` with `db copy`, measured there."""
    import asyncpg

    from storage.copy import copy_database
    from storage.db import Database

    name = f"humas_scale_{size}_{os.getpid()}"
    admin = await asyncpg.connect(server)
    try:
        await admin.execute(f"CREATE DATABASE {name} TEMPLATE template0")
        url = server.replace("/postgres?", f"/{name}?") if "/postgres?" in server else f"{server}/{name}"
        started = time.perf_counter()
        sqlite = await Database.open(source)
        pg = await _connect(url)
        try:
            await copy_database(sqlite, pg)
        finally:
            await sqlite.close()
            await pg.close()
        print(f"  copied into PostgreSQL in {time.perf_counter() - started:.0f} s", flush=True)
        return await measure(url, size, "postgresql", args, media)
    finally:
        with contextlib.suppress(Exception):
            await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.close()


async def _connect(url: str):
    from storage.db import Database, engine_for

    db = Database(engine_for(url))
    await db.connect()
    return db


def report(results: list[Figures], load: tuple[float, float]) -> int:
    engines = list(dict.fromkeys(f.engine for f in results))
    print()
    print(f"load average {load[0]:.2f} before, {load[1]:.2f} after; {os.cpu_count()} CPUs; "
          f"Python {sys.version.split()[0]}")
    status = 0
    for engine in engines:
        mine = [f for f in results if f.engine == engine]
        sizes = [f.size for f in mine]
        header = f"{engine:<34}" + "".join(f"{size:>12,}" for size in sizes) + f"{'growth':>9}   target"
        print()
        print(header)
        print("-" * len(header))
        for key, label in LABELS.items():
            values = [f.values.get(key, math.nan) for f in mine]
            if all(math.isnan(v) for v in values):
                continue
            unit, limit = TARGETS.get(key, ("", None))
            growth = values[-1] / values[0] if len(values) > 1 and values[0] else math.nan
            cells = "".join(f"{v:>12.1f}" for v in values)
            verdict = ""
            if limit is not None:
                met = values[-1] < limit if unit == "ms" else values[-1] <= limit
                verdict = f"{'<' if unit == 'ms' else '<='} {limit:g} {unit}: {'MET' if met else 'MISSED'}"
                status |= 0 if met else 1
            print(f"{label:<34}{cells}{growth:>8.2f}x   {verdict}")
        for f in mine:
            print(f"  {f.size:,}: " + "; ".join(f.notes))
    print("\ntimes in ms (medians); growth: largest size / smallest")
    return status


async def main_async(args) -> int:
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.build_only:
        for size in sizes:
            await history.cached_chat(size, None, ACTIVE)
        return 0
    load = os.getloadavg()[0]
    results = []
    with tempfile.TemporaryDirectory(prefix="humas-scale-") as work:
        for size in sizes:
            folder = Path(work) / str(size)
            built = await history.cached_chat(size, folder / "humas.db", ACTIVE)
            print(f"{size:,} archived + {ACTIVE} open requests: built in {built['seconds']:.0f} s "
                  f"({size / built['seconds']:.1f} requests/s), {built['bytes'] / 1e6:.0f} MB", flush=True)
            pristine = folder / "pristine.db"
            if args.postgres:
                shutil.copyfile(folder / "humas.db", pristine)
            results.append(await measure(folder / "humas.db", size, "sqlite", args, folder / "media"))
            if args.postgres:
                results.append(await on_postgres(pristine, args.postgres, folder / "media", size, args))
            shutil.rmtree(folder, ignore_errors=True)
    return report(results, (load, os.getloadavg()[0]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="archived requests, comma-separated")
    parser.add_argument("--repeat", type=int, default=20, help="runs of each fast figure (and presses)")
    parser.add_argument("--slow-repeat", type=int, default=3, help="runs of reports and exports")
    parser.add_argument("--build-only", action="store_true", help="build (or find) the cached histories")
    parser.add_argument("--no-retention", dest="retention", action="store_false",
                        help="skip the retention pass (111 s at 10,000; it grows with the history)")
    parser.add_argument("--postgres", metavar="URL",
                        help="also on PostgreSQL: a server URL whose user may CREATE DATABASE")
    parser.add_argument("--only", type=lambda text: set(text.split(",")) - {""}, metavar="FIGURES",
                        help="only these, comma-separated: queue, status, press, month, year, export, size "
                             "(the KB per request and retention); e.g. --only month,year")
    args = parser.parse_args()
    if args.only is not None and not args.only <= set(FIGURES):
        unknown = ", ".join(sorted(args.only - set(FIGURES)))
        parser.error(f"--only: unknown {unknown}; known: {', '.join(FIGURES)}")
    import logging

    logging.basicConfig(level=logging.WARNING)
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
