"""Where the emulators' official API descriptions come from.

First ``../shared/specs`` beside the repository (or ``$HUMAS_SPECS_DIR``), the copies the
tests check against; else the same files shipped gzipped in ``bot/emulator/specs``, so that an
install without ``../shared`` (the sandbox on a fresh machine) still has them.
tests/unit/test_packaged_spec.py keeps the shipped copies identical to the shared ones.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

PACKAGED_DIR = Path(__file__).parent / "specs"


class SpecMissing(FileNotFoundError):
    """An API description is in none of the places looked at; the message names it."""


def specs_dir() -> Path:
    """``shared/specs`` beside the repository, or ``$HUMAS_SPECS_DIR``."""
    override = os.environ.get("HUMAS_SPECS_DIR")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[2].parent / "shared" / "specs"


def locate(name: str, directory: Path | None = None) -> Path:
    """The file to read for spec `name`: in `directory` when one is given (and nowhere else),
    else in specs_dir(), else the packaged ``name.gz``."""
    places = [directory / name] if directory is not None else [specs_dir() / name,
                                                               PACKAGED_DIR / f"{name}.gz"]
    for place in places:
        if place.is_file():
            return place
    raise SpecMissing(f"the API description {name} is missing: looked for "
                      f"{' and '.join(str(p) for p in places)} (reinstall humas-bot, or set HUMAS_SPECS_DIR)")


def read_text(path: Path) -> str:
    data = path.read_bytes()
    return (gzip.decompress(data) if path.suffix == ".gz" else data).decode("utf-8")
