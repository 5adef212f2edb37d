"""Media files on disk (HUMAS_MEDIA_DIR, or beside the SQLite file), named by the SHA-256 of
their bytes."""

from __future__ import annotations

import hashlib
import os
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
            partial = target.with_suffix(".part")
            partial.write_bytes(data)
            os.replace(partial, target)
        return sha256

    def get(self, sha256: str) -> bytes:
        return self.path(sha256).read_bytes()
