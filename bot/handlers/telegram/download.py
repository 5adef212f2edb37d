"""Files people send on Telegram, fetched onto disk under a hard cap: the size the update
declares is checked before any call, the one getFile gives before the download, and the
download streams to a file that is cut off at the cap whatever the server says."""

from __future__ import annotations

from pathlib import Path

from telegram import Bot

from bot.handlers.telegram.transport import AiohttpRequest
from bot.media.upload import TooBig, Upload, file_chunks, receive


async def fetch(bot: Bot, item, cap: int, folder: Path) -> Upload:
    """`item`: a PhotoSize, Document or Video of a message."""
    if (item.file_size or 0) > cap:
        raise TooBig(cap, item.file_size)
    file = await item.get_file()
    if (file.file_size or 0) > cap:
        raise TooBig(cap, file.file_size)
    where = file.file_path or ""
    if not where.startswith(("http://", "https://")):  # a self-hosted Bot API server's own disk
        return await receive(file_chunks(Path(where)), folder, cap)
    request = bot.request
    if not isinstance(request, AiohttpRequest):
        raise TypeError(f"files are fetched through AiohttpRequest, not {type(request).__name__}")
    async with request.download(where) as (declared, chunks):
        if declared is not None and declared > cap:
            raise TooBig(cap, declared)
        return await receive(chunks, folder, cap)
