"""A database with years of history, built through the real services, for benchmarks.

    .venv/bin/python benchmarks/history.py --requests 10000 --out /tmp/humas-10k.db

Each archived request is walked as the product walks it, on the ``default`` flow: the client
submits (a poster, a caption, a date a week ahead), the koordinator, the wakil koordinator and
the direktur approve, the petugas schedules the publication in the requested slot
(``Publishing.schedule_time``, as "Jadwalkan" does) and archives it. Every service call is the
real one, in its own transaction, so the requests, versions, audit log, media rows, timers and
outbox rows are what the product writes. What the running bot's loops would then do is done
with the repositories, as those loops do it: every notice is marked sent (with the message it
became), every delivery of the broadcast sent (with its message id), the broadcast finished, and
the timers of steps that moved on fired as "moot". The clock moves forward between requests, so
the history spreads over ``--days`` (default: 100 requests a day).

Push-info of the history goes to ``HISTORY_SUBSCRIBERS`` subscribers of the "umum" audience
(20 by default: about 30 outbox rows per request with the notices, as the issue measured). A
benchmark that publishes to another audience does not reach them.

``cached(n)`` builds a database once per size (and version of this file) under
``benchmarks/.cache/`` (or ``HUMAS_HISTORY_CACHE``), and hands out copies; the code that opens a
copy migrates it, as it would an office's database.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import shutil
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

HISTORY_AUDIENCE = "umum"
HISTORY_SUBSCRIBERS = 20
CLIENTS = 200  # distinct requesters, Telegram ids CLIENT_BASE + i
CLIENT_BASE = 50_000_000
HISTORY_SUBSCRIBER_BASE = 60_000_000
PEOPLE = {"koordinator": 2001, "wakil_koordinator": 3001, "direktur": 4001, "petugas": 5001}
APPROVERS = ("koordinator", "wakil_koordinator", "direktur")
START = datetime(2023, 1, 2, 1, 0, tzinfo=UTC)  # a Monday, 08.00 WIB
BUILDER = 1  # the version of what build_history writes: cached databases of another are rebuilt


def poster(seed: int) -> bytes:
    """A small JPEG of its own per request (the media table keys posters by hash)."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 80), (seed % 256, (seed // 256) % 256, (seed // 65536) % 256)).save(out, "JPEG")
    return out.getvalue()


async def build_history(app, requests: int, *, per_day: int = 100,
                        report: Callable[[str], None] | None = None) -> dict:
    """Archive `requests` requests into `app`'s database (see the module's docstring). The app
    must run on a ManualClock; it is moved forward. Returns a few figures of the build."""
    from bot.domain.engine import Act
    from bot.domain.request import Contact, Content, MediaRef
    from storage.repositories import Repos

    ids = await _people(app)
    clients = [await app.people.person("telegram", CLIENT_BASE + i, f"Klien {i}") for i in range(CLIENTS)]
    step = timedelta(days=1) / per_day
    started = time.perf_counter()
    for number in range(requests):
        data = poster(number)
        ref = MediaRef(sha256=app.files.put(data), kind="image", mime="image/jpeg", size=len(data),
                       width=64, height=80)
        today = app.clock.now().astimezone(app.settings.zone).date()
        content = Content(
            title=f"Kegiatan {number}", organisation="BEM Fakultas", caption=f"Info kegiatan nomor {number}.",
            media=[ref], contact=Contact(name="Sari", phone="+6281234567890"),
            publish_date=today + timedelta(days=7), slot="08.00-10.00",
        )
        state = await app.requests.submit(clients[number % CLIENTS], content)
        await _delivered(app)
        for role in APPROVERS:
            await app.requests.decide(state.code, ids[role], Act.APPROVE)
            await _delivered(app)
        state = await app.requests.get(state.code)
        published = await app.publishing.publish(state.code, ids["petugas"], [HISTORY_AUDIENCE],
                                                 at=app.publishing.schedule_time(state))
        await app.requests.archive(state.code, ids["petugas"])
        await _delivered(app, published.broadcast_id)
        async with app.db.transaction() as tx:
            await tx.execute("UPDATE timers SET fired_at = ?, outcome = 'moot' WHERE fired_at IS NULL"
                             " AND request_id = (SELECT id FROM requests WHERE code = ?)",
                             (app.clock.now().isoformat(), state.code))
            await Repos(tx).broadcasts.finish(published.broadcast_id)
        app.clock.advance(step)
        if report and (number + 1) % 1000 == 0:
            rate = (number + 1) / (time.perf_counter() - started)
            report(f"  {number + 1} requests archived ({rate:.0f}/s)")
    return {"requests": requests, "seconds": time.perf_counter() - started}


async def _people(app) -> dict[str, int]:
    from storage.repositories import Repos

    ids = {}
    for role, telegram_id in PEOPLE.items():
        await app.people.grant(role, "telegram", telegram_id)
        ids[role] = await app.people.person("telegram", telegram_id, role.title())
    async with app.db.transaction() as tx:
        for i in range(HISTORY_SUBSCRIBERS):
            await Repos(tx).subscribers.subscribe("telegram", HISTORY_SUBSCRIBER_BASE + i, None,
                                                  [HISTORY_AUDIENCE])
    return ids


async def _delivered(app, broadcast_id: int | None = None) -> None:
    """What the Notifier and the broadcaster would have done with what is queued: every due
    notice sent (as the message it became), every delivery of `broadcast_id` sent."""
    from storage.repositories import Repos

    async with app.db.transaction() as tx:
        repos = Repos(tx)
        rows = await tx.all("SELECT id, kind, recipient FROM outbox WHERE status = 'pending'"
                            " AND kind IN ('notice', 'broadcast') ORDER BY id")
        for row in rows:
            if row["kind"] == "notice":
                result = {"platform": "telegram", "chat_id": 1, "message_id": row["id"], "has_media": False}
            else:
                result = {"message_ids": [row["id"]]}
            await repos.outbox.mark(row["id"], "sent", result)
        if broadcast_id is not None:
            await _sent_counts(tx, broadcast_id)


async def _sent_counts(tx, broadcast_id: int) -> None:
    """Keep a broadcast's per-status counters, where the schema has them, as the sender does."""
    columns = {row[1] for row in await tx.all("SELECT * FROM pragma_table_info('broadcasts')")}
    if "n_sent" in columns:
        await tx.execute("UPDATE broadcasts SET n_sent = n_sent + n_pending, n_pending = 0 WHERE id = ?",
                         (broadcast_id,))


# --- the cache -----------------------------------------------------------------------------

def _code_version() -> str:
    """A database is rebuilt when BUILDER changes (raise it when what is built changes). A newer
    humas-bot opens an older one as it opens an office's database: its migrations bring the
    schema up to date (delete the cache to rebuild with what newer services write)."""
    return f"v{BUILDER}"


def cache_dir() -> Path:
    return Path(os.environ.get("HUMAS_HISTORY_CACHE", ROOT / "benchmarks" / ".cache"))


async def cached(requests: int, target: Path, report: Callable[[str], None] = print) -> dict:
    """Copy a database with `requests` archived requests (and its media folder) to `target`,
    building it first if this code version has none."""
    folder = cache_dir() / f"history-{requests}-{_code_version()}"
    meta = folder / "built.json"
    if not meta.exists():
        shutil.rmtree(folder, ignore_errors=True)
        report(f"building a history of {requests} archived requests in {folder} (once per builder version)")
        figures = await _build(folder / "humas.db", requests, report)
        meta.write_text(json.dumps(figures))
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(folder / "humas.db", target)
    if (folder / "media").exists():
        shutil.copytree(folder / "media", target.parent / "media", dirs_exist_ok=True)
    return json.loads(meta.read_text())


async def _build(database: Path, requests: int, report: Callable[[str], None]) -> dict:
    from bot.app import App
    from bot.clock import ManualClock
    from bot.config import Settings

    database.parent.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("HUMAS_CONFIG", str(database.parent / "absent.toml"))
    app = await App.open(Settings(database=database, flow="default"), clock=ManualClock(START))
    try:
        # what is written is the same; only the wait for the disk at each commit goes
        async with app.db.statement() as tx:
            await tx.execute("PRAGMA synchronous = OFF")
        figures = await build_history(app, requests, report=report)
    finally:
        await app.close()
    figures["bytes"] = _size(database)
    report(f"built in {figures['seconds']:.0f} s: {figures['bytes'] / 1e6:.0f} MB, "
           f"{figures['bytes'] / requests / 1024:.1f} KB per archived request")
    return figures


def _size(path: Path) -> int:
    return path.stat().st_size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--out", type=Path, help="copy the database here (default: only cache it)")
    args = parser.parse_args()
    target = args.out or Path("/dev/null")
    if args.out is None:
        asyncio.run(_cache_only(args.requests))
    else:
        asyncio.run(cached(args.requests, target))
    return 0


async def _cache_only(requests: int) -> None:
    folder = cache_dir() / f"history-{requests}-{_code_version()}"
    if not (folder / "built.json").exists():
        await cached(requests, folder.parent / "scratch" / "humas.db")
        shutil.rmtree(folder.parent / "scratch", ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
