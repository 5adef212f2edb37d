"""Every query the running bot sends on its hot paths plans with an index, on both databases.

The real bot runs a request from the client's intake to the archive, with every statement it
sends to the database recorded: per update (the inbox store, the update's unit of work and the
mark that it was handled, who the person is, their draft, what their next message answers,
their roles), per press (the request by code, authority, the audit log, notices, timers, the
prompts of the other holders to edit), the notifier's due rows and marks, the deadline loop's
due timers, push-info's due rows and progress, a holder's queue (/antrian), a client's
/status, and retention's batches. Each distinct statement is then EXPLAINed
(`tests.databases.full_scans`): none may read a whole large table (one that grows with the
requests or the updates). The queries come from the code as it runs, not from a list kept by
hand, so a new query on these paths is checked too.
"""

from __future__ import annotations

import contextlib
import re
from datetime import timedelta

from storage.repositories import Repos
from tests.databases import ON_POSTGRES, full_scans
from tests.e2e.bot_world import World, expect, submit
from tests.e2e.test_push_info import add_subscriber, approve_to_publish

# Tables that grow with the requests, their messages or the people writing in: a scan of any
# of them is a scan of the history. Small ones (roles, targets, the flow's evaluation actions,
# link codes that live 15 minutes) and the subscribers (a broadcast reads every one of them, by
# design) are not.
LARGE = {"requests", "request_versions", "audit_log", "outbox", "inbox", "timers", "broadcasts",
         "media", "people", "identities", "drafts", "pending_inputs", "broadcast_deliveries"}
SKIPPED = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA", "SET ", "SELECT pg_",
           "LISTEN", "NOTIFY", "SELECT 1")


class Recorder:
    """Every statement sent through the engine's connections, with its parameters."""

    def __init__(self, engine) -> None:
        self.statements: dict[str, tuple] = {}
        self.recording = False
        for name in ("writer", "reader"):
            setattr(engine, name, self._wrapped(getattr(engine, name)))

    def _wrapped(self, original):
        recorder = self

        @contextlib.asynccontextmanager
        async def opened():
            async with original() as conn:
                yield _Recorded(conn, recorder)

        return opened

    def note(self, sql: str, params) -> None:
        if self.recording and not sql.lstrip().upper().startswith(SKIPPED):
            self.statements.setdefault(" ".join(sql.split()), tuple(params))


class _Recorded:
    def __init__(self, conn, recorder: Recorder) -> None:
        self.conn, self.recorder = conn, recorder

    async def execute(self, sql, params):
        self.recorder.note(sql, params)
        return await self.conn.execute(sql, params)

    async def fetch(self, sql, params):
        self.recorder.note(sql, params)
        return await self.conn.fetch(sql, params)

    async def executemany(self, sql, rows):
        rows = list(rows)
        if rows:
            self.recorder.note(sql, rows[0])
        return await self.conn.executemany(sql, rows)

    def __getattr__(self, name):
        return getattr(self.conn, name)


def aliases(sql: str) -> dict[str, str]:
    """Alias (or name) -> table, for the tables a statement reads."""
    found = {}
    for table, alias in re.findall(r"(?:FROM|JOIN|UPDATE|INTO)\s+(\w+)(?:\s+(?:AS\s+)?(\w+))?", sql, re.I):
        found[table.lower()] = table.lower()
        if alias and alias.upper() not in ("WHERE", "ON", "SET", "JOIN", "LEFT", "ORDER", "GROUP", "LIMIT",
                                           "VALUES", "USING", "AS", "INNER", "DEFAULT"):
            found[alias.lower()] = table.lower()
    return found


def scanned_tables(sql: str, lines: list[str]) -> set[str]:
    """The large tables that plan lines read whole (a partial index is not the whole table)."""
    names = aliases(sql)
    scanned = set()
    for line in lines:
        if ON_POSTGRES:
            if re.search(r"Index (Only )?Scan using \w*(pending|unfinished) ", line):
                continue  # a partial index of the rows still to do (see below)
            match = re.search(r"Scan (?:using \w+ )?on (\w+)", line)
        else:
            match = re.match(r"SCAN (\w+)", line)
            if match and re.search(r"USING (COVERING )?INDEX \w*(pending|unfinished)", line):
                continue  # partial indexes of the rows still to do: small whatever the history
        if match:
            scanned.add(names.get(match.group(1).lower(), match.group(1).lower()))
    return scanned & LARGE


async def walk(world: World) -> None:
    """A request from the intake to the archive, with what the loops do around it."""
    await add_subscriber(world, 6001, "Rina", "mahasiswa")
    code = await submit(world)
    second = await submit(world)  # waits for the koordinator: their queue has it
    card = await approve_to_publish(world, code)
    await world["petugas"].tap(card, "⬜ mahasiswa")
    await world["petugas"].tap(card, "📢 Sebarkan sekarang")
    archive = await expect(world["petugas"], code, "Petugas mengarsipkan", timeout=15)
    await world["petugas"].tap(archive, "🗄 Arsipkan")
    await expect(world["client"], code, "telah dipublikasikan dan diarsipkan")
    await world["koordinator"].send("/antrian")
    await expect(world["koordinator"], second)
    await world["client"].send("/status")
    await expect(world["client"], second)
    world.app.clock.advance(timedelta(hours=3))  # the second request's reminders and deadline
    await expect(world["koordinator"], second, "Pengingat", timeout=10)


async def test_every_hot_query_uses_an_index(world: World):
    recorder = Recorder(world.app.db.engine)
    recorder.recording = True
    await walk(world)
    await loops_look(world.app)
    await prune_once(world)
    recorder.recording = False
    assert len(recorder.statements) > 40, "the walk ran the bot's paths"
    scans = {}
    async with world.app.db.transaction() as tx:
        for sql, params in recorder.statements.items():
            lines = await full_scans(tx, sql, params)
            if tables := scanned_tables(sql, lines):
                scans[sql] = (sorted(tables), lines)
    assert scans == {}


async def loops_look(app) -> None:
    """What the loops read at each pass, whether or not a pass fell inside the walk."""
    now = app.clock.now()
    async with app.db.reading() as tx:
        repos = Repos(tx)
        await repos.outbox.due(now, ("notice", "reply"), 500)
        await repos.outbox.due(now, ("broadcast",), 100, prefix="telegram:")
        await repos.outbox.in_flight("broadcast", "telegram:")
        await repos.broadcasts.unfinished()
        await repos.timers.due(now)
        await repos.timers.next_due()
        await repos.inbox.pending()


async def prune_once(world: World) -> None:
    """Retention's batches, on the rows the walk left (nothing is old enough to go)."""
    from bot.services.retention import Retention

    await Retention.of(world.app).prune(world.app.clock.now())
