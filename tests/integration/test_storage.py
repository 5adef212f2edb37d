"""The database as a user relies on it: nothing lost across restarts, nothing half-written."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.app import App
from bot.domain import engine
from bot.domain.engine import Act, Actor, Refused
from bot.domain.request import Contact, Content, MediaRef, Status
from storage.db import ConstraintError, Database, DatabaseError, ReadOnlyError, migrations
from storage.repositories import Repos
from tests.databases import ON_POSTGRES, SQLITE_ONLY, database_for, full_scans


def content(**changes) -> Content:
    base = dict(
        title="Seminar Nasional", organisation="BEM FK", caption="Ayo datang!",
        contact=Contact(name="Sari", phone="08123456789"), publish_date=date(2026, 12, 5),
        slot="08.00-10.00",
    )
    base["media"] = []
    return Content(**(base | changes))


@pytest.fixture
def poster_content(app):
    sha = app.files.put(b"\x89PNG fake poster bytes")
    ref = MediaRef(sha256=sha, kind="image", mime="image/png", size=22, filename="poster.png")
    return content(media=[ref])


async def test_request_survives_reopening_with_versions_and_audit(settings, clock, poster_content):
    app = await App.open(settings, clock=clock)
    client = await app.people.person("telegram", 1001, "Sari")
    koordinator = await app.people.person("telegram", 2001, "Budi")
    await app.people.grant("koordinator", "telegram", 2001)
    state = await app.requests.submit(client, poster_content, channel="telegram")
    await app.requests.decide(state.code, koordinator, Act.RETURN, "Ganti jam", channel="telegram")
    revised = poster_content.model_copy(update={"slot": "13.00-16.00"})
    await app.requests.resubmit(state.code, revised, client, channel="telegram")
    await app.close()

    reopened = await App.open(settings, clock=clock)
    try:
        loaded = await reopened.requests.get(state.code)
        async with reopened.db.reading() as tx:
            versions = await Repos(tx).requests.versions(state.code)
            audit = await Repos(tx).audit.for_request(state.code)
    finally:
        await reopened.close()
    assert loaded.version == 2 and loaded.status == Status.ACTIVE
    assert [v for v, _ in versions] == [1, 2]
    assert versions[0][1].slot == "08.00-10.00" and versions[1][1].slot == "13.00-16.00"
    assert [(e.act, e.role, e.actor_name) for e in audit] == [
        ("submit", "requester", "Sari"),
        ("return", "koordinator", "Budi"),
        ("submit", "requester", "Sari"),
    ]
    assert audit[1].note == "Ganti jam" and audit[1].channel == "telegram"
    assert reopened.files.get(loaded.content.media[0].sha256) == b"\x89PNG fake poster bytes"


async def test_failed_transaction_leaves_nothing(app, poster_content):
    client = await app.people.person("telegram", 1001, "Sari")
    with pytest.raises(RuntimeError):
        async with app.db.transaction() as tx:
            repos = Repos(tx)
            code = await repos.requests.next_code(2026)
            requester = Actor(client, frozenset())
            outcome = engine.start(app.flow, code, poster_content, requester, app.clock.now())
            request_id = await repos.requests.insert(outcome.state, client)
            await repos.audit.append(request_id, outcome.events[0])
            raise RuntimeError("crash half-way")
    async with app.db.reading() as tx:
        assert await tx.scalar("SELECT COUNT(*) FROM requests") == 0
        assert await tx.scalar("SELECT COUNT(*) FROM audit_log") == 0
        assert await tx.scalar("SELECT COUNT(*) FROM code_counters") == 0
    # and the code is not burnt: the next request still gets number 1
    state = await app.requests.submit(client, poster_content)
    assert state.code == "PUB-2026-0001"


async def test_refused_action_changes_nothing(app, poster_content):
    client = await app.people.person("telegram", 1001, "Sari")
    stranger = await app.people.person("telegram", 9999, "Orang Lain")
    state = await app.requests.submit(client, poster_content)
    with pytest.raises(Refused) as refused:
        await app.requests.decide(state.code, stranger, Act.APPROVE)
    assert refused.value.reason == "no_role"
    async with app.db.reading() as tx:
        assert await tx.scalar("SELECT COUNT(*) FROM audit_log") == 1
    assert (await app.requests.get(state.code)).step_id == "koordinator"


TABLES = ("requests", "request_versions", "audit_log", "people", "identities", "role_grants", "invites",
          "media", "outbox", "drafts", "inbox", "pending_inputs", "targets", "subscribers",
          "broadcasts", "timers", "link_codes", "code_counters")


async def test_migrations_build_an_empty_database(tmp_path):
    db = await Database.open(database_for(tmp_path, "fresh.db"))
    try:
        async with db.reading() as tx:
            for table in TABLES:
                assert await tx.scalar(f"SELECT COUNT(*) FROM {table}") == 0, table
        assert await db.schema_version() == migrations()[-1][0]
        assert await db.migrate() == migrations()[-1][0]  # running again changes nothing
    finally:
        await db.close()


@pytest.mark.skipif(ON_POSTGRES, reason=SQLITE_ONLY)
async def test_the_sqlite_file_is_in_wal_mode_with_foreign_keys(app):
    async with app.db.reading() as tx:
        assert await tx.scalar("PRAGMA journal_mode") == "wal"
        assert await tx.scalar("PRAGMA foreign_keys") == 1


async def test_ids_are_given_by_the_database_and_text_sorts_byte_by_byte(app):
    """What the migrations' INTEGER PRIMARY KEY and TEXT mean on either database: the insert
    gives the new id; times in ISO text and names sort as SQLite sorts them, whatever the
    server's locale (upper case before lower, '+' before '.')."""
    names = ["b", "B", "a", "2026-11-26T02:00:00.5+00:00", "2026-11-26T02:00:00+00:00", "_x", "Ä"]
    async with app.db.transaction() as tx:
        ids = [await tx.execute("INSERT INTO people (name, created_at) VALUES (?, 'now')", (name,))
               for name in names]
    assert ids == [1, 2, 3, 4, 5, 6, 7]
    async with app.db.reading() as tx:
        rows = await tx.all("SELECT name FROM people WHERE name > ? ORDER BY name", (sorted(names)[0],))
        assert [row["name"] for row in rows] == sorted(names)[1:]
        assert await tx.scalar("SELECT MAX(id) FROM people WHERE name = ?", ("nobody",)) is None
        assert await tx.scalar("SELECT COUNT(*) FROM people WHERE substr(name, 1, ?) = ?", (4, "2026")) == 2
        assert await tx.scalar("SELECT COUNT(*) FROM people WHERE lower(name) = ?", ("b",)) == 2
        assert await tx.scalar("SELECT COUNT(*) FROM people WHERE name = ?", ("b",)) == 1  # case counts
        assert await tx.scalar("SELECT COUNT(*) FROM people WHERE name IN (?, ?, ?)", ("a", "B", "c")) == 2
        first_two = await tx.all("SELECT name FROM people ORDER BY id LIMIT ?", (2,))
        assert [row["name"] for row in first_two] == ["b", "B"]
        assert type(await tx.scalar("SELECT COUNT(*) FROM people")) is int


async def test_a_value_is_kept_as_its_columns_type(app):
    """SQLite stores a number given for a TEXT column as its text, and compares it so; the same
    statements do the same on PostgreSQL."""
    async with app.db.transaction() as tx:
        person = await tx.execute("INSERT INTO people (name, created_at) VALUES (?, ?)", (2026, "now"))
        await tx.execute("INSERT INTO identities (platform, external_id, person_id) VALUES (?, ?, ?)",
                         ("telegram", 1001, str(person)))
    async with app.db.reading() as tx:
        row = await tx.one("SELECT * FROM identities WHERE external_id = ? AND person_id = ?",
                           (1001, str(person)))
        assert (row["external_id"], row["person_id"]) == ("1001", person)
        assert await tx.scalar("SELECT name FROM people WHERE name = ?", (2026,)) == "2026"


async def test_newer_database_is_refused(tmp_path):
    path = database_for(tmp_path, "newer.db")
    db = await Database.open(path)
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 'x')"
        )
    await db.close()
    with pytest.raises(DatabaseError, match="newer than this humas-bot knows"):
        await Database.open(path)


# Migrations that build on another's tables, so that no build ships them without it
BUILDS_ON = {8: {14}}  # 0014's claims are on 0008's inbox


def shipping(monkeypatch, *, without: int) -> None:
    """This code as a build that does not ship migration `without` (nor those built on it)."""
    left_out = {without, *BUILDS_ON.get(without, ())}
    shipped = [m for m in migrations() if m[0] not in left_out]
    monkeypatch.setattr("storage.db.migrations", lambda: shipped)


async def test_a_migration_shipped_after_a_newer_one_ran_is_still_applied(tmp_path, monkeypatch):
    """Branches land in any order: a database that ran 0010 (h14b's build) before 0008 (the
    inbox) was shipped gets 0008 at the next start, its handled updates carried over."""
    path = database_for(tmp_path, "branch.db")
    every = {m[0] for m in migrations()}
    shipping(monkeypatch, without=8)
    db = await Database.open(path)
    try:
        assert await db.applied_migrations() == every - {8, *BUILDS_ON[8]}
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO seen_events (source, event_id, seen_at) VALUES (?, ?, ?)",
                             ("telegram", "77", "x"))
            await tx.execute("INSERT INTO invites (code, role, created_at, expires_at) VALUES (?, ?, ?, ?)",
                             ("AB", "petugas", "x", "2099-01-01T00:00:00+00:00"))
    finally:
        await db.close()
    monkeypatch.undo()
    db = await Database.open(path)
    try:
        assert await db.applied_migrations() == every
        async with db.reading() as tx:
            assert await Repos(tx).inbox.status("telegram", "77") == "handled"  # a redelivery is skipped
            assert await tx.scalar("SELECT role FROM invites WHERE code = 'AB'") == "petugas"
    finally:
        await db.close()


async def test_a_database_recording_a_migration_this_code_does_not_ship_is_refused(tmp_path, monkeypatch):
    """Say a build without 0008 opens a database that has it: its schema is not one it knows."""
    path = database_for(tmp_path, "other.db")
    await (await Database.open(path)).close()
    shipping(monkeypatch, without=8)
    with pytest.raises(DatabaseError) as refused:
        await Database.open(path)
    message = str(refused.value)
    assert "0008" in message and "does not ship" in message and "\n" not in message


async def test_foreign_keys_are_enforced(app):
    with pytest.raises(ConstraintError):
        async with app.db.transaction() as tx:
            await tx.execute(
                "INSERT INTO role_grants (person_id, role, granted_at) VALUES (4242, 'x', 'now')"
            )


async def test_reads_see_commits_without_waiting_for_a_writer_and_cannot_write(app):
    async with app.db.transaction() as tx:
        await tx.execute("INSERT INTO people (name, created_at) VALUES ('Sari', 'now')")
        async with app.db.reading() as reader:  # a writer holds the lock: reads go on
            assert await reader.scalar("SELECT COUNT(*) FROM people WHERE name = 'Sari'") == 0
    async with app.db.reading() as reader:
        assert await reader.scalar("SELECT COUNT(*) FROM people WHERE name = 'Sari'") == 1
        with pytest.raises(ReadOnlyError):
            await reader.execute("DELETE FROM people")


async def test_a_single_statement_write_refuses_a_second_and_wakes_the_senders(app):
    woken = []
    app.db.watch_queue(lambda: woken.append(True))
    async with app.db.statement() as tx:
        await Repos(tx).outbox.add(None, "notice", "telegram:1", {"kind": "x"}, datetime.now(UTC))
    assert woken == [True]
    with pytest.raises(RuntimeError, match="one statement"):
        async with app.db.statement() as tx:
            await tx.execute("INSERT INTO people (name, created_at) VALUES ('A', 'now')")
            await tx.execute("INSERT INTO people (name, created_at) VALUES ('B', 'now')")
    async with app.db.reading() as reader:
        assert [r[0] for r in await reader.all("SELECT name FROM people ORDER BY id")] == ["A"]
    assert woken == [True], "no commit that queued a message, no wake-up"


async def test_each_sender_is_woken_by_what_it_sends(app):
    """Every update queues a reply: the push-info senders need not look each time."""
    woken = []
    app.db.watch_queue(lambda: woken.append("notifier"), kinds=("notice", "reply"))
    app.db.watch_queue(lambda: woken.append("broadcaster"), kinds=("broadcast",))
    now = datetime.now(UTC)
    async with app.db.statement() as tx:
        await Repos(tx).outbox.add(None, "reply", "telegram:1", {"op": "send", "replies": []}, now)
    assert woken == ["notifier"]
    async with app.db.transaction() as tx:
        await Repos(tx).outbox.add(None, "broadcast", "telegram:2", {}, now)
        await Repos(tx).outbox.add(None, "notice", "3", {}, now)
    assert woken == ["notifier", "notifier", "broadcaster"]


async def test_request_codes_count_per_year(app, clock, poster_content):
    client = await app.people.person("telegram", 1001, "Sari")
    first = await app.requests.submit(client, poster_content)
    second = await app.requests.submit(client, poster_content)
    assert (first.code, second.code) == ("PUB-2026-0001", "PUB-2026-0002")


async def test_the_plan_check_sees_a_whole_table_read(app):
    """The check the hot-path tests rely on: a filter on an unindexed column is a full scan,
    one on the primary key is not, on either database."""
    async with app.db.transaction() as tx:
        assert await full_scans(tx, "SELECT id FROM outbox WHERE payload = ?", ("{}",))
        assert await full_scans(tx, "SELECT id FROM outbox WHERE id = ?", (1,)) == []
