"""`humas-bot db stats` and `db prune`: how big the office's database is, table by table, and
what retention (bot/services/retention.py) would prune now, or prunes."""

from __future__ import annotations

from bot.app import App
from bot.services.retention import Retention
from bot.textable import render_table

WHAT = {"messages": "notices and replies sent", "updates": "updates handled (with their payload)",
        "timers": "timers fired", "link codes": "link codes expired",
        "deliveries folded": "push-info deliveries folded into their broadcast"}


async def stats_text(app: App) -> str:
    db = app.db
    async with db.reading() as tx:
        tables = await db.dialect.tables(tx)
        counts = {table: await tx.scalar(f"SELECT COUNT(*) FROM {table}") for table in tables}
        sizes = await db.dialect.table_bytes(tx)
        used = await db.dialect.database_bytes(tx)
        requests = await tx.scalar("SELECT COUNT(*) FROM requests")
    order = sorted(tables, key=lambda t: (-(sizes or {}).get(t, 0), -counts[t], t))
    rows = [[table, f"{counts[table]:,}", _size((sizes or {}).get(table)) if sizes is not None else "-"]
            for table in order]
    lines = [f"{db.label}: {_size(used)} in use, {requests:,} requests"
             + (f" ({used / requests / 1024:.1f} KB each)" if requests else ""),
             render_table(["table", "rows", "bytes (with indexes)"], rows)]
    if sizes is None:
        lines.append("(this SQLite has no dbstat table: bytes per table unknown)")
    retention = Retention.of(app)
    due = await retention.due(app.clock.now())
    policy = retention.policy
    lines.append(f"retention ({policy.delivered.days} days; handled updates {policy.inbox.days} days) "
                 "would prune now:")
    lines += [f"  {due[key]:,} {label}" for key, label in WHAT.items()]
    return "\n".join(lines)


async def prune_text(app: App) -> str:
    pruned = await Retention.of(app).prune(app.clock.now())
    lines = ["pruned:", *[f"  {pruned[key]:,} {label}" for key, label in WHAT.items()]]
    if app.db.dialect.name == "sqlite":
        lines.append("the SQLite file reuses the freed pages; VACUUM (with the bot stopped) gives them back")
    return "\n".join(lines)


def _size(value: int | None) -> str:
    if value is None:
        return "-"
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if value >= scale:
            return f"{value / scale:.1f} {unit}"
    return f"{value} B"
