"""The database a test runs on: a SQLite file in its tmp_path, or, with HUMAS_TEST_DATABASE set
to a PostgreSQL URL (`scripts/postgres.sh start` prints one; `./test.sh` sets it for the second
run), a fresh empty database on that server, created for the test and dropped after it.

Tests ask `database_for(tmp_path)` wherever they would have named `tmp_path / "humas.db"`; the
same test asking again with the same name gets the same database (a restart reopens it).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import threading
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

SERVER = os.environ.get("HUMAS_TEST_DATABASE") or None
ON_POSTGRES = SERVER is not None
SQLITE_ONLY = "a SQLite file's own behaviour (path, permissions, pragmas)"


def database_for(tmp_path: Path, name: str = "humas.db") -> str:
    """A database for this test: `tmp_path / name`, or a PostgreSQL database of its own."""
    if not ON_POSTGRES:
        return str(tmp_path / name)
    return _server().database_for(tmp_path, name)


def media_for(tmp_path: Path) -> Path:
    """Where media files go: beside the SQLite file, or (PostgreSQL needs a folder named) the same
    place, set for the test by conftest as HUMAS_MEDIA_DIR."""
    return tmp_path / "media"


def database_env(tmp_path: Path, name: str = "humas.db") -> dict[str, str]:
    """The HUMAS_* variables that point a `humas-bot` process at this test's database."""
    env = {"HUMAS_DATABASE": database_for(tmp_path, name)}
    if ON_POSTGRES:
        env["HUMAS_MEDIA_DIR"] = str(media_for(tmp_path))
    return env


def untouched(tmp_path: Path, name: str = "humas.db") -> bool:
    """Nothing was written to this test's database: no SQLite file, or no table on PostgreSQL."""
    if not ON_POSTGRES:
        return not (tmp_path / name).exists()
    return _server().tables(database_for(tmp_path, name)) == 0


def drop_test_databases() -> None:
    """Drop the databases the finished test made (a no-op on SQLite)."""
    if _SERVER is not None:
        _SERVER.drop_all()


class _Server:
    """One maintenance connection to the test server, on a thread of its own so that the sync
    `database_for` works inside a test's running event loop."""

    def __init__(self, url: str) -> None:
        import asyncpg

        self.url = url
        self._asyncpg = asyncpg
        self._loop = asyncio.new_event_loop()
        threading.Thread(target=self._loop.run_forever, name="test-postgres", daemon=True).start()
        self._conn = self._run(asyncpg.connect(url))
        version = self._run(self._conn.fetchval("SHOW server_version_num"))
        # FILE_COPY copies template0's few files: ~10 ms a database on a cluster without fsync
        self._strategy = " STRATEGY FILE_COPY" if int(version) >= 150000 else ""
        self._numbers = itertools.count(1)
        self._made: dict[tuple[Path, str], str] = {}

    def _run(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=60)

    def database_for(self, tmp_path: Path, name: str) -> str:
        key = (tmp_path, name)
        if key not in self._made:
            database = f"humas_test_{os.getpid()}_{next(self._numbers)}"
            self._run(self._conn.execute(f"CREATE DATABASE {database} TEMPLATE template0{self._strategy}"))
            self._made[key] = urlunsplit(urlsplit(self.url)._replace(path=f"/{database}"))
        return self._made[key]

    def tables(self, url: str) -> int:
        async def count() -> int:
            conn = await self._asyncpg.connect(url)
            try:
                return await conn.fetchval(
                    "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema()")
            finally:
                await conn.close()

        return self._run(count())

    def drop_all(self) -> None:
        for url in self._made.values():
            database = urlsplit(url).path.lstrip("/")
            # a bot a failed test left running must not keep its database alive
            self._run(self._conn.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
        self._made.clear()


_SERVER: _Server | None = None


def _server() -> _Server:
    global _SERVER
    if _SERVER is None:
        assert SERVER is not None
        _SERVER = _Server(SERVER)
    return _SERVER


async def full_scans(tx, sql: str, params: tuple = ()) -> list[str]:
    """The lines of the query's plan that read a whole table (not a constant list): SQLite's
    EXPLAIN QUERY PLAN says SCAN; PostgreSQL's EXPLAIN, with sequential scans priced out so an
    empty test table does not invite one, still says Seq Scan where no index serves."""
    if not ON_POSTGRES:
        plan = [row[3] for row in await tx.all(f"EXPLAIN QUERY PLAN {sql}", params)]
        return [line for line in plan if "SCAN" in line.replace("SCAN CONSTANT", "")]
    await tx.all("SET LOCAL enable_seqscan = off")
    plan = [row[0] for row in await tx.all(f"EXPLAIN {sql}", params)]
    return [line.strip() for line in plan if "Seq Scan" in line] + _unbounded_index_scans(plan)


def _unbounded_index_scans(plan: list[str]) -> list[str]:
    """PostgreSQL's index scans with no Index Cond: the whole index walked (to filter or to
    sort), which is a full scan too; named "... (no Index Cond)". With sequential scans priced
    out, the planner picks these where no index serves the condition."""
    found, node, bounded = [], None, False
    for line in [*plan, "->"]:
        text = line.strip()
        if "->" in line or not line.startswith(" "):  # a new plan node
            if node is not None and not bounded:
                found.append(f"{node} (no Index Cond)")
            node = text.removeprefix("->").strip() if " Index Scan using " in f" {text}" or \
                " Index Only Scan using " in f" {text}" else None
            node = node.split("  (")[0] if node else None
            bounded = False
        elif text.startswith("Index Cond:"):
            bounded = True
    return found
