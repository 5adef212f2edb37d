"""Media files on disk (HUMAS_MEDIA_DIR, or beside the SQLite file), named by the SHA-256 of
their bytes."""

from __future__ import annotations

import hashlib
import os
import time
import uuid
from pathlib import Path


class FileStore:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path(self, sha256: str) -> Path:
        return self.folder / sha256[:2] / sha256

    def put(self, data: bytes) -> str:
        """Store bytes once; written to a temporary name first so a crash leaves no half file."""
        sha256 = hashlib.sha256(data).hexdigest()
        target = self.path(sha256)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            # a name of its own: two uploads of the same file at once each write their own
            # partial copy, and the second rename replaces the first with the same bytes
            partial = target.with_name(f"{target.name}.{uuid.uuid4().hex}.part")
            partial.write_bytes(data)
            os.replace(partial, target)
        return sha256

    def incoming(self) -> Path:
        """Where uploads are received before they are checked (same disk: adopt renames)."""
        return self.folder / ".incoming"

    def adopt(self, path: Path, sha256: str) -> str:
        """Store a received file under its hash by renaming it (no copy, nothing in memory)."""
        target = self.path(sha256)
        if target.exists():
            path.unlink(missing_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, target)
        return sha256

    def sweep_incoming(self, older_than: float = 3600.0) -> int:
        """Remove uploads left half-received by a crash; the number removed."""
        folder, removed = self.incoming(), 0
        if not folder.is_dir():
            return 0
        limit = time.time() - older_than
        for leftover in folder.iterdir():
            if leftover.stat().st_mtime < limit:
                leftover.unlink(missing_ok=True)
                removed += 1
        return removed

    def get(self, sha256: str) -> bytes:
        return self.path(sha256).read_bytes()
