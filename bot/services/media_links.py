"""Signed addresses for the stored files LINE fetches (`/media/<sha256>` on the LINE webhook
server): an HMAC of the file, the variant and an expiry, under a key the server makes for
itself once and keeps in the database. Without one, anyone who learned a file's hash (a
poster not yet approved, a monev CSV) could fetch it for ever; with one, only the addresses
the bot handed out work, and only until they expire."""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import weakref
from datetime import UTC, datetime, timedelta

from storage.db import Database
from storage.repositories import Repos

KEY_NAME = "line_media_url"
ROUND = 3600  # expiries are whole hours: one file keeps one address for an hour (caches)
_keys: weakref.WeakKeyDictionary[Database, bytes] = weakref.WeakKeyDictionary()


async def media_key(db: Database, now: datetime) -> bytes:
    """The signing key: made on first use, the same after a restart and for every worker."""
    if db not in _keys:
        async with db.transaction() as tx:
            _keys[db] = bytes.fromhex(await Repos(tx).secrets.get_or_create(KEY_NAME, now))
    return _keys[db]


def _signature(key: bytes, sha256: str, variant: str, expires: int) -> str:
    mac = hmac.new(key, f"{variant}\n{sha256}\n{expires}".encode(), hashlib.sha256).digest()[:18]
    return base64.urlsafe_b64encode(mac).decode()


def signed_query(key: bytes, sha256: str, variant: str, now: datetime, lifetime: timedelta) -> str:
    """`e=<expiry>&s=<signature>` for the address of one file (variant "file" or "preview")."""
    expires = math.ceil((now + lifetime).timestamp() / ROUND) * ROUND
    return f"e={expires}&s={_signature(key, sha256, variant, expires)}"


def valid(key: bytes, sha256: str, variant: str, expires: str, signature: str, now: datetime) -> bool:
    """Whether an address was handed out by this server for this file and has not expired."""
    if not expires.isascii() or not expires.isdigit() or len(expires) > 12:
        return False
    if int(expires) <= now.timestamp():
        return False
    return hmac.compare_digest(signature, _signature(key, sha256, variant, int(expires)))


def remaining(expires: str, now: datetime) -> int:
    """Seconds an address still works (for Cache-Control)."""
    return max(0, int(expires) - int(now.astimezone(UTC).timestamp())) if expires.isdigit() else 0
