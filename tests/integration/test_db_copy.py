"""`humas-bot db copy`: an office's SQLite history, built through the real services and the real
broadcaster, moved into PostgreSQL by the real command; then the bot runs on the copy. Every row
of every table must arrive as it was, and new requests, people and messages carry on after it."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from bot.app import App
from bot.config import Settings
from bot.domain.engine import Act
from bot.domain.request import Status
from bot.services.media_links import media_key
from storage.copy import SKIPPED
from storage.db import Database, engine_for
from storage.inbox_repos import Incoming
from storage.repositories import Repos
from storage.retention_repos import RetentionRepo
from tests.databases import ON_POSTGRES, database_for
from tests.e2e.telegram_fixtures import telegram_server as telegram_server  # noqa: F401
from tests.integration.test_archive import audience, broadcast, content_with

needs_postgres = pytest.mark.skipif(
    not ON_POSTGRES, reason="copies into PostgreSQL: needs HUMAS_TEST_DATABASE (./test.sh starts one)")
MINUTES = timedelta(minutes=1)


def db_copy(tmp_path: Path, *args: str, database: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUMAS_")}
    env |= {"HUMAS_DATABASE": database or str(tmp_path / "office.db"),
            "HUMAS_CONFIG": str(tmp_path / "none.toml")}
    if database and database.startswith("postgresql://"):
        env["HUMAS_MEDIA_DIR"] = str(tmp_path / "media")
    return subprocess.run([sys.executable, "-m", "bot", "db", "copy", *args], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=120)


async def build_office(tmp_path: Path, clock, server) -> str:
    """A year's worth in miniature, every table used: a request returned, revised, approved,
    published to a channel and subscribers (one blocked the bot), evidenced and archived; a
    second one waiting with its timers; invites, a link code, a draft, a pending reason."""
    settings = Settings(database=str(tmp_path / "office.db"), media_dir=None, flow="default")
    app = await App.open(settings, clock=clock)
    try:
        ids = {"client": await app.people.person("telegram", 1001, "Sari")}
        for role, tg, name in (("koordinator", 2001, "Budi"), ("wakil_koordinator", 3001, "Wati"),
                               ("direktur", 4001, "Dedi"), ("petugas", 5001, "Putri")):
            await app.people.grant(role, "telegram", tg)
            ids[role] = await app.people.person("telegram", tg, name)
        await audience(app, server, 5001)
        code = (await app.requests.submit(ids["client"], content_with(app, (20, 90, 160), "Donor!"))).code
        clock.advance(30 * MINUTES)
        await app.requests.decide(code, ids["koordinator"], Act.RETURN, note="Poster kurang jelas")
        revised = content_with(app, (160, 30, 30), "Donor darah, Aula FK")
        await app.requests.resubmit(code, revised, ids["client"])
        for role in ("koordinator", "wakil_koordinator", "direktur"):
            clock.advance(20 * MINUTES)
            await app.requests.decide(code, ids[role], Act.APPROVE)
        clock.advance(180 * MINUTES)  # into the afternoon's publication window
        published = await app.publishing.publish(code, ids["petugas"], ["mahasiswa"])
        await broadcast(app, server)
        async with app.db.transaction() as tx:  # what retention does with a finished broadcast
            assert await RetentionRepo(tx).fold(published.broadcast_id)
        await app.publishing.record_evidence(code, ids["petugas"], "instagram", "https://instagram.com/p/1")
        await app.requests.archive(code, ids["petugas"])
        await app.requests.submit(ids["client"], content_with(app, (90, 160, 20), "Bazar buku"))

        line = await app.people.person("line", "U" + "2" * 32, "Ayu")
        await app.people.redeem(await app.people.invite("petugas", clock.now()), line, clock.now())
        await app.people.invite("direktur", clock.now())  # not used yet
        await app.people.redeem("0000000000000000", line, clock.now())  # a wrong guess, counted
        await app.publishing.claim_target("telegram", -1009, "Kanal Baru", "channel", [])  # not confirmed
        await media_key(app.db, clock.now())  # the key LINE's media addresses are signed with
        await app.people.link_code(ids["client"], "telegram", clock.now())
        await app.inbox.store([Incoming("telegram", "9001", "1001", '{"update_id": 9001}')])
        async with app.db.transaction() as tx:
            repos = Repos(tx)
            await repos.drafts.save(line, "line", "caption", {"data": {"title": "Seminar"}})
            await repos.pending.set(ids["direktur"], "reason", {"code": code, "act": "reject"})
            # update 9001 in hand (claims are written on PostgreSQL only; a copied one names a
            # worker that is not running, and is taken over at once)
            await tx.execute("INSERT INTO inbox_claims (source, chat_key, claimed_by, claimed_until)"
                             " VALUES (?, ?, ?, ?)",
                             ("telegram", "1001", "office:1:ab", "2026-11-26T02:00:30+00:00"))
            # the default flow has no evaluation rows (UB FISIP and BKK do): one action as they write it
            await tx.execute(
                "INSERT INTO evaluation_actions (flow, period, step_id, text, owner_id, due_on, created_by,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                ("default", "2026-11", "evaluasi", "Perbarui templat poster", ids["petugas"], "2026-12-15",
                 ids["direktur"], "2026-12-01T02:00:00+00:00"),
            )
    finally:
        await app.close()
    return code


def files_in(folder: Path) -> list[Path]:
    return sorted(path.relative_to(folder) for path in folder.rglob("*") if path.is_file())


async def table_rows(target: str) -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order."""
    db = await Database.open(target)
    try:
        async with db.reading() as tx:
            found = {}
            for table in await db.dialect.tables(tx):
                if table in SKIPPED:
                    continue
                columns = await db.dialect.columns(tx, table)
                names = ", ".join(c.name for c in columns)
                key = ", ".join(c.name for c in sorted((c for c in columns if c.key), key=lambda c: c.key))
                rows = await tx.all(f"SELECT {names} FROM {table} ORDER BY {key}")
                found[table] = [tuple(row) for row in rows]
            return found
    finally:
        await db.close()


@needs_postgres
async def test_copy_moves_every_row_and_file_and_the_office_carries_on(tmp_path, clock, telegram_server):
    code = await build_office(tmp_path, clock, telegram_server)
    target = database_for(tmp_path, "target")
    result = db_copy(tmp_path, target, "--media-dir", str(tmp_path / "shared-media"))
    assert result.returncode == 0, result.stderr
    assert "people" in result.stdout and f"HUMAS_MEDIA_DIR={tmp_path / 'shared-media'}" in result.stdout

    before, after = await table_rows(str(tmp_path / "office.db")), await table_rows(target)
    empty = [table for table, rows in before.items() if not rows]
    assert empty == [], f"give {empty} a row in build_office, so that the copy is shown to carry it"
    assert after == before
    originals, copies = files_in(tmp_path / "media"), files_in(tmp_path / "shared-media")
    assert originals and copies == originals

    settings = Settings(database=target, media_dir=tmp_path / "shared-media", flow="default")
    app = await App.open(settings, clock=clock)
    try:
        done = await app.requests.get(code)
        assert done.status == Status.DONE and done.version == 2
        assert app.files.get(done.content.media[0].sha256)[:2] == b"\xff\xd8"  # the poster, a JPEG
        newcomer = await app.people.person("telegram", 1002, "Rudi")
        assert newcomer == max(row[0] for row in before["people"]) + 1
        state = await app.requests.submit(newcomer, content_with(app, (1, 2, 3), "Lomba"))
        assert state.code == "PUB-2026-0003"  # the year's counter went on from the office's
        async with app.db.reading() as tx:
            repos = Repos(tx)
            request_id = await repos.requests.id_of(state.code)
            assert request_id == max(row[0] for row in before["requests"]) + 1
            prompts = await repos.outbox.for_request(request_id, "notice")
            audit = await repos.audit.for_request(state.code)
        assert prompts and min(p["id"] for p in prompts) > max(row[0] for row in before["outbox"])
        assert [entry.act for entry in audit] == ["submit"]
        assert await app.people.grant("direktur", "telegram", 1002)
    finally:
        await app.close()


@needs_postgres
async def test_copy_refuses_a_target_that_is_not_empty(tmp_path, clock, telegram_server):
    await build_office(tmp_path, clock, telegram_server)
    target = database_for(tmp_path, "target")
    assert db_copy(tmp_path, target).returncode == 0
    again = db_copy(tmp_path, target)
    assert again.returncode == 2
    lines = again.stderr.strip().splitlines()
    assert len(lines) == 1 and "is not empty" in lines[0] and "people" in lines[0], again.stderr
    assert await table_rows(target) == await table_rows(str(tmp_path / "office.db"))  # untouched

    other = database_for(tmp_path, "other")
    db = Database(engine_for(other))
    await db.connect()
    async with db.statement() as tx:
        await tx.execute("CREATE TABLE invoices (id INTEGER)")
    await db.close()
    refused = db_copy(tmp_path, other)
    assert refused.returncode == 2 and "invoices" in refused.stderr, refused.stderr


@pytest.mark.parametrize(
    ("args", "database", "says"),
    [
        (["other.db"], None, "postgresql:// URL"),
        (["postgresql://humas@127.0.0.1:1/humas"], "postgresql://humas@127.0.0.1:1/office",
         "reads the office's SQLite file"),
        (["postgresql://humas@127.0.0.1:1/humas"], "missing.db", "no SQLite database at"),
    ],
)
def test_copy_names_a_wrong_source_or_target_in_one_line(tmp_path, args, database, says):
    if database == "missing.db":
        database = str(tmp_path / "missing.db")
    elif database is None:
        (tmp_path / "office.db").write_bytes(b"")
    result = db_copy(tmp_path, *args, database=database)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0], result.stderr
