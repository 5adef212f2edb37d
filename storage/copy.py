"""`humas-bot db copy`: every row of every table of one database into another, empty one.

Made for moving an office's SQLite file onto PostgreSQL: both databases are migrated to the
same schema by this code first, the rows keep their ids, and the target's id sequences are
set after them, so the next request, person or message numbers on. The copy is one
transaction on the target: all of it or nothing. Tables are filled so that a table comes after
those its foreign keys point at; each is read in primary-key order, a batch at a time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from storage.db import Database, Tx
from storage.dialect import Column
from storage.errors import DatabaseError

BATCH = 2000  # rows read and written at a time: memory stays small for a large outbox
# each side's own record of its migrations; the senders' pacing of this moment (a few seconds
# ahead at most), which means nothing to another database
SKIPPED = {"schema_migrations", "send_budget"}


async def copy_database(source: Database, target: Database) -> dict[str, int]:
    """Copy everything from `source` (open) into `target` (connected, not yet migrated); the rows
    copied per table. Refuses a target with tables of something else, or any row."""
    async with source.reading() as tx:
        tables = await _in_dependency_order(source, tx)
        columns = {table: await source.dialect.columns(tx, table) for table in tables}
    async with target.reading() as tx:
        existing = set(await target.dialect.tables(tx))
    foreign = sorted(existing - set(tables) - SKIPPED)
    if foreign:
        raise DatabaseError(f"{target.label} is not empty: it has tables humas-bot did not make "
                            f"({', '.join(foreign[:5])}); db copy needs an empty database")
    await refuse_unless_empty(target, [table for table in tables if table in existing])
    await target.migrate()  # the target is left as it was unless it is empty
    copied: dict[str, int] = {}
    async with target.transaction() as out:
        for table in tables:
            wanted = await _target_columns(target, out, table, columns[table])
            copied[table] = await _copy_table(source, out, table, columns[table], wanted)
        for table in tables:
            for column in columns[table]:
                reset = target.dialect.identity_reset(table, column.name) if column.identity else None
                if reset:
                    await out.execute(reset)
    await _check_counts(target, copied)
    return copied


async def refuse_unless_empty(target: Database, tables: list[str]) -> None:
    async with target.reading() as tx:
        held = {table: await tx.scalar(f"SELECT COUNT(*) FROM {table}") for table in tables}
    full = {table: count for table, count in held.items() if count}
    if full:
        first = sorted(full, key=lambda table: (table not in ("requests", "people"), table))
        named = [f"{table} {full[table]}" for table in first]
        listed = ", ".join(named[:3]) + (f" and {len(named) - 3} more tables" if len(named) > 3 else "")
        raise DatabaseError(f"{target.label} is not empty (rows in {listed}); "
                            "db copy needs an empty database")


async def _in_dependency_order(db: Database, tx: Tx) -> list[str]:
    """Tables after those they reference (a table may reference itself)."""
    tables = [t for t in await db.dialect.tables(tx) if t not in SKIPPED]
    needs = {table: await db.dialect.references(tx, table) - {table} for table in tables}
    ordered: list[str] = []
    while needs:
        ready = sorted(t for t, refs in needs.items() if refs <= set(ordered))
        if not ready:
            raise DatabaseError(f"foreign keys go round in a circle between {', '.join(sorted(needs))}")
        ordered += ready
        for table in ready:
            del needs[table]
    return ordered


async def _target_columns(target: Database, tx: Tx, table: str, source: list[Column]) -> dict[str, Column]:
    found = {column.name: column for column in await target.dialect.columns(tx, table)}
    missing = [column.name for column in source if column.name not in found]
    if missing:
        raise DatabaseError(f"{target.label} has no column {table}.{missing[0]}: not the same schema")
    return found


async def _copy_table(source: Database, out: Tx, table: str, columns: list[Column],
                      target: dict[str, Column]) -> int:
    names = ", ".join(column.name for column in columns)
    insert = f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})"
    count = 0
    async for rows in _batches(source, table, columns):
        fitted = [[_fit(value, target[c.name], table) for value, c in zip(row, columns, strict=True)]
                  for row in rows]
        await out.executemany(insert, fitted)
        count += len(rows)
    return count


async def _batches(db: Database, table: str, columns: list[Column]) -> AsyncIterator[list[list[Any]]]:
    """The table's rows in primary-key order, BATCH at a time (keyset paging: no OFFSET)."""
    names = [column.name for column in columns]
    key = [c.name for c in sorted((c for c in columns if c.key), key=lambda c: c.key)]
    select = f"SELECT {', '.join(names)} FROM {table}"
    if not key:  # no table of this schema lacks a primary key; read such a one whole
        async with db.reading() as tx:
            yield [list(row) for row in await tx.all(select)]
        return
    where, after = "", ()
    while True:
        async with db.reading() as tx:
            rows = await tx.all(f"{select}{where} ORDER BY {', '.join(key)} LIMIT ?", (*after, BATCH))
        if rows:
            yield [list(row) for row in rows]
        if len(rows) < BATCH:
            return
        where = f" WHERE ({', '.join(key)}) > ({', '.join('?' * len(key))})"
        after = tuple(rows[-1][name] for name in key)


def _fit(value: Any, column: Column, table: str) -> Any:
    """A value as the target column's type. SQLite keeps whatever it was given (a number in a TEXT
    column, say); PostgreSQL wants the column's own type."""
    if value is None:
        return None
    kind = column.kind
    try:
        if kind == "text" and not isinstance(value, str):
            return value.decode("utf-8") if isinstance(value, bytes) else str(value)
        if kind == "integer" and not isinstance(value, int):
            number = float(value)
            if not number.is_integer():
                raise ValueError(value)
            return int(number)
        if kind == "real" and not isinstance(value, float):
            return float(value)
        if kind == "blob" and isinstance(value, str):
            return value.encode("utf-8")
    except (ValueError, UnicodeDecodeError) as exc:
        raise DatabaseError(f"{table}.{column.name} holds {value!r}, which is no {kind}") from exc
    return value


async def _check_counts(target: Database, copied: dict[str, int]) -> None:
    async with target.reading() as tx:
        for table, count in copied.items():
            found = await tx.scalar(f"SELECT COUNT(*) FROM {table}")
            if found != count:
                raise DatabaseError(f"{table}: {count} rows copied but {found} found in {target.label}")
