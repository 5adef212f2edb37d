"""A file a person sent, received onto disk: streamed in chunks under a hard cap, hashed as
it comes, never held whole in memory. Platform adapters feed it the bytes they fetch
(Telegram's file download, LINE's content API, a link); the checks and the file store take
it from there (the store adopts the file by renaming it, not by copying bytes)."""

from __future__ import annotations

import asyncio
import hashlib
import os
import uuid
from collections.abc import AsyncIterable
from dataclasses import dataclass
from pathlib import Path

from bot.media import limits as L

HEAD_BYTES = 64  # what the sniffers read to tell a file's kind
WRITE_BYTES = 1024 * 1024  # received bytes are written to disk in pieces of about this size


class TooBig(Exception):
    """More than the cap: `size` is what was declared or received so far."""

    def __init__(self, cap: int, size: int | None = None) -> None:
        super().__init__(f"over {cap} bytes")
        self.cap = cap
        self.size = size


@dataclass(frozen=True)
class Upload:
    path: Path
    size: int
    sha256: str
    head: bytes

    def read(self) -> bytes:
        return self.path.read_bytes()

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


def cap_for(kind: str, platform: str, self_hosted_api: bool = False) -> int:
    """The most the bot downloads of an image or a video sent on this platform."""
    if kind != "video":
        return L.POSTER_MAX_BYTES
    if platform == "line":
        return L.LINE_VIDEO_MAX_BYTES
    return L.TELEGRAM_LOCAL_FILE_BYTES if self_hosted_api else L.TELEGRAM_CLOUD_DOWNLOAD_BYTES


async def receive(chunks: AsyncIterable[bytes], folder: Path, cap: int) -> Upload:
    """Write the chunks into a new file in `folder`; TooBig past `cap` bytes (and no file
    left behind, whatever goes wrong). Disk writes run in a thread, a megabyte at a time."""
    path = folder / f"{uuid.uuid4().hex}.part"
    await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
    out = await asyncio.to_thread(path.open, "wb")
    digest, size, head, pending = hashlib.sha256(), 0, b"", bytearray()
    try:
        async for chunk in chunks:
            size += len(chunk)
            if size > cap:
                raise TooBig(cap, size)
            digest.update(chunk)
            if len(head) < HEAD_BYTES:
                head += chunk[: HEAD_BYTES - len(head)]
            pending += chunk
            if len(pending) >= WRITE_BYTES:
                await asyncio.to_thread(out.write, bytes(pending))
                pending.clear()
        await asyncio.to_thread(out.write, bytes(pending))
    except BaseException:
        out.close()
        path.unlink(missing_ok=True)
        raise
    out.close()
    return Upload(path, size, digest.hexdigest(), head)


def of_bytes(data: bytes, folder: Path) -> Upload:
    """Bytes already in memory (a test, the sandbox's drawn poster) as an Upload."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}.part"
    partial = path.with_suffix(".tmp")
    partial.write_bytes(data)
    os.replace(partial, path)
    return Upload(path, len(data), hashlib.sha256(data).hexdigest(), data[:HEAD_BYTES])


async def file_chunks(path: Path, chunk: int = 256 * 1024) -> AsyncIterable[bytes]:
    """A local file in chunks (a self-hosted Bot API server hands the bot a path)."""
    with path.open("rb") as source:
        while block := source.read(chunk):
            yield block
