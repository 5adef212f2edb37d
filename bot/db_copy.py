"""`humas-bot db copy URL`: move an office's SQLite history onto PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

from bot.config import Settings
from bot.textable import render_table
from storage.copy import copy_database
from storage.db import Database, engine_for
from storage.errors import DatabaseError
from storage.targets import is_postgres_url, redacted


def copy_office(settings: Settings, target_url: str, media_dir: Path | None) -> str:
    """Copy the database and, with `media_dir`, the media files; what to tell the admin."""
    if settings.uses_postgres:
        raise DatabaseError("db copy reads the office's SQLite file (--database or HUMAS_DATABASE), "
                            f"not {settings.database_label}")
    if not is_postgres_url(target_url):
        raise DatabaseError(f"db copy writes to a postgresql:// URL, not {target_url!r}")
    path = Path(settings.database)
    if not path.is_file():
        raise DatabaseError(f"no SQLite database at {path} to copy")
    copied = asyncio.run(_copy_rows(path, target_url))
    rows = [[table, str(count)] for table, count in copied.items()]
    report = [f"copied {path} into {redacted(target_url)}:", render_table(["table", "rows"], rows)]
    source_media = settings.media_folder
    if media_dir is None:
        report.append(f"media files stay in {source_media}")
        media_dir = source_media
    else:
        report.append(f"media: {_copy_media(source_media, media_dir)} files copied to {media_dir}")
    report.append(f"run the bot with HUMAS_DATABASE={redacted(target_url)} "
                  f"HUMAS_MEDIA_DIR={media_dir.resolve()}")
    return "\n".join(report)


async def _copy_rows(path: Path, target_url: str) -> dict[str, int]:
    source = await Database.open(path)  # brings an older file up to this code's schema first
    try:
        target = Database(engine_for(target_url))
        await target.connect()
        try:
            return await copy_database(source, target)
        finally:
            await target.close()
    finally:
        await source.close()


def _copy_media(source: Path, target: Path) -> int:
    """Every file of the media folder (originals and stamped copies), the same names."""
    count = 0
    if not source.is_dir():
        return count
    for folder, _, names in os.walk(source):
        for name in names:
            if name.endswith(".part"):
                continue  # a write a crash interrupted; no row points at it
            there = target / Path(folder).relative_to(source) / name
            if not there.exists():
                there.parent.mkdir(parents=True, exist_ok=True)
                partial = there.with_suffix(".part")
                shutil.copyfile(Path(folder) / name, partial)
                os.replace(partial, there)
            count += 1
    return count
