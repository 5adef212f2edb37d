"""Push-info broadcast: N subscribers against the fake Bot API enforcing Telegram's limits.

    .venv/bin/python benchmarks/broadcast.py                      # 2,000 subscribers, ~67 s
    .venv/bin/python benchmarks/broadcast.py --subscribers 10000  # the full run, ~5.5 min
    .venv/bin/python benchmarks/broadcast.py --subscribers 300    # a smoke run, ~10 s
    .venv/bin/python benchmarks/broadcast.py --latency-ms 150 --history 100000  # a real round
        # trip to Telegram, on a database with 100,000 archived requests (built once, ~18 min)

Setup, as production reaches the publish step: a fresh SQLite database in a temp dir (or,
with ``--history N``, a copy of one holding N archived requests: benchmarks/history.py) via
``App.open(Settings(...))`` with the ``default`` flow; N Telegram subscribers to the
"mahasiswa" audience (inserted in one transaction); a request with one poster (a 1080x1350
JPEG from ``app.files``) submitted and approved by koordinator, wakil_koordinator and
direktur; then ``app.publishing.publish(code, petugas, ["mahasiswa"])`` queues one outbox
row per subscriber. The sender is the production ``TelegramBroadcaster`` with a plain
``Bot`` (as ``bot.handlers.telegram.application.build`` makes it: no rate limiter; it takes
its room from the budget itself), the token's budget ``Pacer(Limits(per_second=--limit))``
and ``--in-flight`` sends at once; it runs ``recover()`` then ``drain()`` until a pass finds
nothing pending, then ``progress.finish_done()`` -- what ``run()`` does, minus idling.

The fake server (``bot.emulator.telegram.TelegramEmulator``, ``RateLimits(per_second=--limit,
group_per_minute=20, private_per_second=1)``) runs in a child process, so its CPU and memory
are not the bot's and it answers over loopback HTTP as api.telegram.org would, after
``--latency-ms`` of round trip (half before it handles a call, half before the answer). Every
subscriber (and the petugas, who receives the progress message and the report) has started
the bot. The emulator's flood control is a 1 s sliding window per scope, checked when the
request arrives; a send that would exceed it gets 429 with ``retry_after`` = max(1,
ceil(time until the window's oldest send expires)), i.e. always at least 1 s.

Measured:

* rate: the limit is a 1 s sliding window of L messages (all chats together), so message
  k+L cannot be accepted until 1 s after message k. The achieved rate is L / mean(t[k+L] -
  t[k]) over every message the emulator accepted, in order (to subscribers and to the
  petugas alike: the limit counts both). It is at most L and equals L only if every message
  goes out the moment the window lets it; unlike N / (last - first) it neither credits the
  opening burst of L messages with zero time nor charges a last, partly filled window a whole
  second, so a 300-subscriber smoke run and a 10,000 one are comparable. A 429 pause of P
  seconds adds up to P to the L gaps that span it. Wall time first -> last accept and the
  plain N / (last - first) are shown as well.
* 429s from the emulator (by method), and how many the budget took as everyone's (pausing
  every chat) or one chat's; for each (the first 12), how many messages the server's window
  held (how many of them to the petugas) and the gap from the window's oldest message to the
  refused one as the server timed it and as the budget did.
* the budget's stamp (``take``) minus the server's accept time, per message (the two
  processes share CLOCK_MONOTONIC): about minus half the round trip, as a message is counted
  when it leaves and accepted when it arrives.
* Bot API calls by method, and how many uploaded the poster rather than reusing its file_id.
* sent / failed / unknown / pending rows of the outbox; duplicates = subscriber chats with
  more accepted messages than one recipient's plan; sent rows whose chat got nothing.
* per-row time in each step (the claim, which waits for the budget's room and marks the row
  "sending", the outcome's write, the HTTP send, the progress reporter), from timers wrapped
  around the broadcaster instance's own methods; sends in flight overlap.
* peak RSS of this (bot) process: ru_maxrss for the whole run, VmHWM during the broadcast.

Targets (issues 14 and 17): rate at least 0.95 of the limit (at 150 ms of latency, on a
100,000-request database too), 0 duplicates, 0 lost, every row either sent or failed with a
reason. Exit status 0 if all are met, 1 if not. The rate depends on the machine's load: the
sender has a few milliseconds per message; the 1-minute load average is printed.
``BROADCAST_DUMP=file.json`` writes the raw timelines (accepts, budget stamps, errors, timed
calls) for further analysis.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import io
import logging
import math
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TOKEN = "123456:BENCH-BROADCAST"
RATE_TARGET = 0.95
IN_FLIGHT = 16  # bot.broadcast.telegram.IN_FLIGHT, not imported here: the bot loads after the emulator forks
SUBSCRIBER_BASE = 10_000_000  # subscriber chat ids: SUBSCRIBER_BASE + i
PEOPLE = {  # role -> Telegram user id
    "koordinator": 2001, "wakil_koordinator": 3001, "direktur": 4001, "petugas": 5001,
}
CLIENT = 1001
AUDIENCE = "mahasiswa"


# --- the fake Bot API, in a child process --------------------------------------------------

def emulator_process(conn, limit: int, user_ids: list[int], latency: float) -> None:
    """Run the emulator until told to stop; answer "stats" with what it saw."""
    asyncio.run(_emulator(conn, limit, user_ids, latency))



def inside_a_window():
    """Today at 09.00 WIB: the default flow publishes only inside its windows."""
    from bot.clock import ManualClock

    wib = ZoneInfo("Asia/Jakarta")
    return ManualClock(datetime.now(wib).replace(hour=9, minute=0, second=0, microsecond=0))


async def _emulator(conn, limit: int, user_ids: list[int], latency: float) -> None:
    from bot.emulator.telegram import RateLimits, TelegramEmulator
    from bot.emulator.telegram_spec import Upload

    logging.basicConfig(level=logging.WARNING)
    server = TelegramEmulator(token=TOKEN, latency=latency)
    for user_id in user_ids:
        server.user(user_id, f"U{user_id}").started = True  # they wrote /start once
    await server.start()
    server.limits = RateLimits(per_second=limit, group_per_minute=20, private_per_second=1)
    conn.send((server.base_url, server.base_file_url))
    loop = asyncio.get_running_loop()
    while True:
        command = await loop.run_in_executor(None, conn.recv)
        if command == "stats":
            errors = [
                {"t": e["at"], "method": e["method"], "code": e["error_code"],
                 "description": e["description"], "chat_id": e["params"].get("chat_id")}
                for e in server.errors
            ]
            kinds = {"sendPhoto": "photo", "sendVideo": "video", "sendMediaGroup": "album"}
            conn.send({
                "delivered": dict(server.delivered),
                # one entry per message, stamped when flood control let it through
                "accepted": [(a.at, a.chat_id, kinds.get(a.method, "text"))
                             for a in server.accepted for _ in range(a.count)],
                "errors": errors,
                "violations": [(v["method"], v["description"]) for v in server.violations],
                "calls": dict(Counter(c.method for c in server.calls)),
                "uploads": sum(1 for c in server.calls
                               if c.attachments or any(isinstance(v, Upload) for v in c.params.values())),
                "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
            })
        elif command == "stop":
            await server.stop()
            conn.send("stopped")
            return


# --- memory --------------------------------------------------------------------------------

def _proc_status(field: str) -> int | None:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux), so the next reading is this phase's peak."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


# --- timers around the broadcaster's own steps (benchmark-side only) -----------------------

class Timers:
    def __init__(self, keep_spans: bool = False) -> None:
        self.keep_spans = keep_spans  # every call's start and length, for BROADCAST_DUMP only
        self.seconds: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()
        self.paused: list[float] = []
        self.paced: list[tuple[float, str]] = []  # (monotonic, chat) at each budget take()
        self.spans: list[tuple[str, float, float]] = []  # (label, monotonic start, seconds)

    def wrap(self, owner: Any, name: str, label: str) -> None:
        original = getattr(owner, name)

        async def timed(*args, **kwargs):
            start, at = time.perf_counter(), time.monotonic()
            try:
                return await original(*args, **kwargs)
            finally:
                seconds = time.perf_counter() - start
                self.seconds[label] += seconds
                self.calls[label] += 1
                if self.keep_spans:
                    self.spans.append((label, at, seconds))

        setattr(owner, name, timed)


def sources_digest() -> str:
    """Which sender was measured: the broadcast package and the Pacer change under us."""
    digest = hashlib.sha256()
    for name in ("telegram.py", "limits.py", "progress.py", "errors.py", "ratelimit.py"):
        digest.update((ROOT / "bot" / "broadcast" / name).read_bytes())
    return digest.hexdigest()[:12]


# --- the run -------------------------------------------------------------------------------

def poster_jpeg() -> bytes:
    from PIL import Image

    image = Image.merge("RGB", [Image.effect_noise((1080, 1350), 24)] * 3)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


async def setup(app, subscribers: int) -> tuple[str, int, Any]:
    """Subscribers, people with roles, a request approved up to the publish step."""
    from bot.domain.engine import Act
    from bot.domain.request import Contact, Content, MediaRef
    from storage.repositories import Repos

    async with app.db.transaction() as tx:
        repos = Repos(tx)
        for i in range(subscribers):
            await repos.subscribers.subscribe("telegram", SUBSCRIBER_BASE + i, None, [AUDIENCE])
    client = await app.people.person("telegram", CLIENT, "Sari")
    ids = {}
    for role, tg in PEOPLE.items():
        await app.people.grant(role, "telegram", tg)
        ids[role] = await app.people.person("telegram", tg, role.title())
    data = poster_jpeg()
    sha = app.files.put(data)
    today = app.clock.now().astimezone(app.settings.zone).date()
    content = Content(
        title="Seminar Nasional Kesehatan", organisation="BEM FK Universitas Jember",
        caption="Ayo hadiri Seminar Nasional Kesehatan! #sehat",
        media=[MediaRef(sha256=sha, kind="image", mime="image/jpeg", size=len(data),
                        width=1080, height=1350)],
        contact=Contact(name="Sari", phone="+6281234567890"),
        publish_date=today + timedelta(days=7), slot="08.00-10.00",
    )
    state = await app.requests.submit(client, content)
    for role in ("koordinator", "wakil_koordinator", "direktur"):
        await app.requests.decide(state.code, ids[role], Act.APPROVE)
    return state.code, ids["petugas"], content


async def run(args: argparse.Namespace) -> int:
    from telegram import Bot

    from bot.app import App
    from bot.broadcast.limits import Limits, Pacer
    from bot.broadcast.telegram import TelegramBroadcaster, _messages_for
    from bot.config import Settings
    from storage.repositories import Repos

    n, limit = args.subscribers, args.limit
    args.load_before = os.getloadavg()[0]
    subscriber_ids = [SUBSCRIBER_BASE + i for i in range(n)]
    context = multiprocessing.get_context("spawn")
    conn, child_conn = context.Pipe()
    emulator = context.Process(target=emulator_process,
                               args=(child_conn, limit, [*PEOPLE.values(), CLIENT, *subscriber_ids],
                                     args.latency_ms / 1000),
                               daemon=True)
    emulator.start()
    child_conn.close()  # so that a crashed emulator reads as EOF here, not as a hang
    try:
        base_url, base_file_url = conn.recv()
    except EOFError:
        raise SystemExit("the emulator process failed to start (see its traceback above)") from None

    with tempfile.TemporaryDirectory(prefix="humas-broadcast-") as folder:
        os.environ["HUMAS_CONFIG"] = str(Path(folder) / "absent.toml")  # no stray humas.toml
        settings = Settings(database=Path(folder) / "humas.db", flow="default",
                            telegram_token=TOKEN, telegram_api_url=base_url,
                            telegram_file_url=base_file_url)
        history = None
        if args.history:
            from benchmarks.history import cached

            history = await cached(args.history, Path(settings.database))
        opened = time.perf_counter()
        app = await App.open(settings, clock=inside_a_window())  # migrates an older history
        history_open = time.perf_counter() - opened
        try:
            started = time.perf_counter()
            code, petugas, content = await setup(app, n)
            published = await app.publishing.publish(code, petugas, [AUDIENCE])
            setup_seconds = time.perf_counter() - started
            plan = sum(len(m) if kind == "album" else 1 for kind, m, _ in _messages_for(content))

            bot = Bot(TOKEN, base_url=base_url, base_file_url=base_file_url)
            await bot.initialize()
            budget = Pacer(Limits(per_second=limit))
            broadcaster = TelegramBroadcaster(app, bot, budget, in_flight=args.in_flight)
            timers = Timers(keep_spans=bool(os.environ.get("BROADCAST_DUMP")))
            for owner, name, label in (
                (broadcaster, "_content", "read content"),
                (broadcaster, "_claim", "claim row (wait + write)"),
                (broadcaster, "_mark", "mark row (write tx)"),
                (broadcaster, "_send", "HTTP send"),
                (broadcaster.progress, "update", "progress.update"),
                (broadcaster, "drain", "drain"),
            ):
                timers.wrap(owner, name, label)
            take, refused = budget.take, budget.refused

            async def timed_take(chat, group, count=1, **kwargs):
                taken = await take(chat, group, count, **kwargs)
                timers.paced.extend([(taken, chat)] * count)
                return taken

            async def timed_refused(chat, group, retry_after, taken=None, count=1):
                everyone = await refused(chat, group, retry_after, taken, count)
                timers.paused.append((retry_after, everyone))
                if taken is not None:  # Telegram did not take it: not a stamp of an accepted message
                    with contextlib.suppress(ValueError):
                        timers.paced.remove((taken, chat))
                return everyone

            budget.take, budget.refused = timed_take, timed_refused

            import gc
            gc.collect()
            rss_before = _proc_status("VmRSS")
            hwm = reset_peak()
            drain_started = time.perf_counter()
            deadline = drain_started + n * (1 / limit + args.latency_ms / 1000) * 3 + 60
            await broadcaster.recover()
            passes = 0
            while time.perf_counter() < deadline:
                passes += 1
                if await broadcaster.drain() == 0:
                    await broadcaster.progress.finish_done()
                    break
            drain_seconds = time.perf_counter() - drain_started
            peak_broadcast = _proc_status("VmHWM") if hwm else None
            await bot.shutdown()

            async with app.db.reading() as tx:
                repos = Repos(tx)
                request_id = await repos.requests.id_of(code)
                counts = await repos.broadcasts.counts(request_id)
                deliveries = await repos.broadcasts.deliveries(request_id)
                broadcast = await repos.broadcasts.get(published.broadcast_id)
            database_bytes = _database_size(Path(settings.database))
        finally:
            await app.close()

    conn.send("stats")
    stats = conn.recv()
    conn.send("stop")
    conn.recv()
    emulator.join(5)

    args.history_built, args.history_open, args.database_bytes = history, history_open, database_bytes
    return report(args, stats, counts, deliveries, broadcast, published.recipients, plan, timers,
                  setup_seconds, drain_seconds, passes, rss_before, peak_broadcast)


def _database_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def report(args, stats, counts, deliveries, broadcast, recipients, plan, timers, setup_seconds,
           drain_seconds, passes, rss_before, peak_broadcast) -> int:
    n, limit = args.subscribers, args.limit
    if os.environ.get("BROADCAST_DUMP"):
        import json
        Path(os.environ["BROADCAST_DUMP"]).write_text(json.dumps(
            {"accepted": stats["accepted"], "paced": timers.paced, "errors": stats["errors"],
             "spans": timers.spans}))
    subscriber_chats = {f"telegram:{SUBSCRIBER_BASE + i}": SUBSCRIBER_BASE + i for i in range(n)}
    petugas_chat = PEOPLE["petugas"]
    delivered = stats["delivered"]
    to_subscribers = [(t, chat) for t, chat, _ in stats["accepted"] if chat != petugas_chat]
    to_petugas = [t for t, chat, _ in stats["accepted"] if chat == petugas_chat]
    sent_messages = len(to_subscribers)
    first, last = to_subscribers[0][0], to_subscribers[-1][0]
    span = last - first
    times = sorted(t for t, _, _ in stats["accepted"])
    links = [times[k + limit] - times[k] for k in range(len(times) - limit)]
    mean_link = sum(links) / len(links) if links else float("nan")
    rate = limit / mean_link if links else float("nan")
    raw_rate = sent_messages / span if span > 0 else float("inf")
    fraction = rate / limit
    ideal_seconds = math.ceil(len(times) / limit) - 1

    # Highest number of accepted messages (all chats) in any 1 s window, as the emulator counts.
    busiest, j = 0, 0
    for i, t in enumerate(times):
        while times[j] <= t - 1.0:
            j += 1
        busiest = max(busiest, i - j + 1)

    rows_by_status = Counter(d["status"] for d in deliveries)
    duplicates = [c for c in subscriber_chats.values() if delivered.get(c, 0) > plan]
    lost = [c for c in subscriber_chats.values() if delivered.get(c, 0) == 0]
    bad_rows = []
    for d in deliveries:
        chat = subscriber_chats.get(d["recipient"])
        got = delivered.get(chat, 0)
        if d["status"] == "sent" and (not d["result"].get("message_ids") or got != plan):
            bad_rows.append((d["recipient"], "sent but the chat got", got))
        elif d["status"] == "failed" and not d["result"].get("reason"):
            bad_rows.append((d["recipient"], "failed without a reason", got))
        elif d["status"] not in ("sent", "failed"):
            bad_rows.append((d["recipient"], d["status"], d["result"].get("reason", "")))

    too_many = [e for e in stats["errors"] if e["code"] == 429]
    other_errors = Counter((e["method"], e["code"], e["description"]) for e in stats["errors"]
                           if e["code"] != 429)

    line = "-" * 72
    print(line)
    print(f"broadcast benchmark: {n} subscribers, limit {limit} msg/s "
          f"(emulator 1 s sliding window; Pacer per_second={limit}), "
          f"API round trip {args.latency_ms:g} ms")
    if args.history:
        print(f"database: a history of {args.history} archived requests "
              f"({args.database_bytes / 1e6:.0f} MB; opening it took {args.history_open:.1f} s)")
    else:
        print("database: fresh (no history)")
    print(f"sender: bot/broadcast/{{telegram,limits,progress}}.py sha256 {sources_digest()}")
    print(f"host: {os.cpu_count()} CPUs, 1-min load average {args.load_before:.2f} at the start, "
          f"{os.getloadavg()[0]:.2f} at the end (the rate depends on the sender's per-row latency)")
    print(f"sends in flight: up to {args.in_flight}")
    print(line)
    print(f"setup (subscribers, approvals, publish): {setup_seconds:8.2f} s; "
          f"{recipients} outbox rows, {plan} message(s) per recipient")
    print(f"drain: {passes} drain() passes, {drain_seconds:.2f} s wall")
    print(line)
    print(f"{'messages accepted, to subscribers':<44}{sent_messages:>10}")
    print(f"{'messages accepted, to the petugas':<44}{len(to_petugas):>10}  (progress + report)")
    if sum(delivered.values()) != len(stats["accepted"]):
        print(f"  WARNING: server.delivered totals {sum(delivered.values())}, "
              f"but {len(stats['accepted'])} accepts were timed")
    print(f"{'first -> last accepted (s)':<44}{span:>10.2f}  "
          f"(the limit allows {ideal_seconds} s for {len(times)} messages)")
    print(f"{'t[k+L] - t[k] (s), L = ' + str(limit):<44}{mean_link:>10.4f}  mean; "
          f"min {min(links, default=0):.4f}, max {max(links, default=0):.4f}")
    print(f"{'achieved rate = L / mean(t[k+L] - t[k])':<44}{rate:>10.2f}  msg/s "
          f"= {fraction:.3f} of the {limit}/s limit")
    print(f"{'plain N / (last - first), subscribers':<44}{raw_rate:>10.2f}  msg/s")
    print(f"{'busiest 1 s window (all chats)':<44}{busiest:>10}")
    print(f"{'Bot API calls':<44}{sum(stats['calls'].values()):>10}  {stats['calls']}")
    print(f"{'calls uploading a file (not a file_id)':<44}{stats['uploads']:>10}")
    print(f"{'429 Too Many Requests':<44}{len(too_many):>10}  "
          f"{dict(Counter(e['method'] for e in too_many)) or ''}")
    everyone = [seconds for seconds, widespread in timers.paused if widespread]
    print(f"{'429 pauses: of every chat / of one chat':<44}{len(everyone):>10}  / "
          f"{len(timers.paused) - len(everyone)}  ({sum(everyone):.1f} s of pausing everyone)")
    # Pair the Pacer's timestamps with the server's: per chat, the last `plan` Pacer entries
    # are the accepted messages, earlier ones the attempts refused with 429.
    paced_by_chat: dict[str, list[float]] = defaultdict(list)
    for t, chat in timers.paced:
        paced_by_chat[chat].append(t)
    paced_at: dict[float, float] = {}  # server accept time -> Pacer time of that message
    accepted_by_chat: dict[int, list[float]] = defaultdict(list)
    for t, chat in to_subscribers:
        accepted_by_chat[chat].append(t)
    refused_paced: dict[int, list[float]] = {}
    for chat, accepts in accepted_by_chat.items():
        entries = paced_by_chat.get(str(chat), [])
        refused_paced[chat] = entries[:len(entries) - len(accepts)]
        for a, p in zip(accepts, entries[len(entries) - len(accepts):], strict=False):
            paced_at[a] = p
    lags = sorted(p - a for a, p in paced_at.items())
    if lags:
        def pct(q: float) -> float:
            return lags[min(len(lags) - 1, int(q * len(lags)))] * 1000
        print(f"{'budget stamp minus server accept (ms)':<44}{'':>10}  median {pct(0.5):+.1f}, "
              f"p10 {pct(0.1):+.1f}, p90 {pct(0.9):+.1f}, min {lags[0] * 1000:+.1f}, "
              f"max {lags[-1] * 1000:+.1f}  (< 0: counted as it left)")
    refused_seen: Counter[int] = Counter()
    for e in too_many[:12]:
        window = [t for t in times if e["t"] - 1.0 < t <= e["t"]]
        petugas_in = sum(1 for t in to_petugas if e["t"] - 1.0 < t <= e["t"])
        oldest = window[0] if window else e["t"]
        chat = int(e["chat_id"]) if str(e["chat_id"]).lstrip("-").isdigit() else e["chat_id"]
        tries = refused_paced.get(chat, [])
        p_refused = tries[refused_seen[chat]] if refused_seen[chat] < len(tries) else None
        refused_seen[chat] += 1
        p_oldest = paced_at.get(oldest)
        pacer_gap = (f"{(p_refused - p_oldest) * 1000:7.1f}" if p_refused and p_oldest
                     else "   n/a ")
        print(f"  429 at +{e['t'] - first:7.3f} s {e['method']}: server window {len(window)} "
              f"(petugas {petugas_in}); gap to oldest: server {(e['t'] - oldest) * 1000:6.1f} ms,"
              f" Pacer {pacer_gap} ms; retry_after in '{e['description'][-14:]}'")
    if len(too_many) > 12:
        print(f"  ... {len(too_many) - 12} more 429s")
    for (method, code, description), count in other_errors.items():
        print(f"  other error x{count}: {method} {code} {description}")
    if stats["violations"]:
        print(f"  spec violations: {stats['violations'][:5]}")
    print(line)
    print(f"{'outbox rows':<44}{len(deliveries):>10}")
    for status in ("sent", "failed", "unknown", "pending", "sending"):
        print(f"{'  ' + status:<44}{rows_by_status.get(status, 0):>10}")
    print(f"{'duplicates (chats with > plan messages)':<44}{len(duplicates):>10}")
    print(f"{'lost (subscribers who got nothing)':<44}{len(lost):>10}")
    print(f"{'rows not sent/failed-with-reason/consistent':<44}{len(bad_rows):>10}")
    for row in bad_rows[:5]:
        print(f"  {row}")
    print(f"{'report finished_at set':<44}{'yes' if broadcast['finished_at'] else 'no':>10}")
    print(line)
    rows = max(1, len(deliveries))
    budget = 1000.0 / limit
    print(f"per row, time in each step (budget {budget:.1f} ms/msg at {limit}/s; with several sends in "
          f"flight the steps overlap, so they add up to more than the wall time):")
    for label in ("read content", "claim row (wait + write)", "mark row (write tx)", "HTTP send",
                  "progress.update"):
        print(f"  {label:<26}{timers.seconds[label] / rows * 1000:8.2f} ms  "
              f"({timers.calls[label]} calls, {timers.seconds[label]:.2f} s)")
    print(line)
    mib = 1024 * 1024
    whole = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, peak_broadcast or 0)
    print(f"{'bot process RSS before the broadcast':<44}{(rss_before or 0) / mib:>10.1f} MiB")
    if peak_broadcast:
        print(f"{'bot process peak RSS during the broadcast':<44}{peak_broadcast / mib:>10.1f} MiB")
    print(f"{'bot process peak RSS, whole run':<44}{whole / mib:>10.1f} MiB")
    print(f"{'emulator process peak RSS (not the bot)':<44}{stats['peak_rss'] / mib:>10.1f} MiB")
    print(line)
    checks = [
        (f"rate >= {RATE_TARGET} of the limit", fraction >= RATE_TARGET, f"{fraction:.3f}"),
        ("0 duplicates", not duplicates, str(len(duplicates))),
        ("0 lost", not lost, str(len(lost))),
        ("every row sent, or failed with a reason", not bad_rows and len(deliveries) == n,
         f"{len(bad_rows)} bad of {len(deliveries)}"),
    ]
    for name, ok, value in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {name:<44}{value}")
    return 0 if all(ok for _, ok, _ in checks) else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=2000, help="subscribers (default 2000)")
    parser.add_argument("--limit", type=int, default=30,
                        help="messages/s the fake server allows and the Pacer aims at (default 30)")
    parser.add_argument("--latency-ms", type=float, default=0.0,
                        help="the fake Bot API answers each call after this round trip (default 0)")
    parser.add_argument("--history", type=int, default=0, metavar="N",
                        help="run on a database holding N archived requests (benchmarks/history.py;"
                             " built once, then copied)")
    parser.add_argument("--in-flight", type=int, default=IN_FLIGHT,
                        help=f"deliveries the sender has in flight at once (default {IN_FLIGHT})")
    args = parser.parse_args()
    if args.subscribers < 1 or args.limit < 1:
        parser.error("--subscribers and --limit must be positive")
    if args.latency_ms < 0 or args.history < 0:
        parser.error("--latency-ms and --history cannot be negative")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
