"""What a LINE user sent (an image, a video, a file), fetched from LINE's content API onto disk
under a hard cap. The SDK's get_message_content returns the whole file in memory; this reads
the same endpoint in chunks: the declared length is checked before the body is read, and the
body is cut off at the cap whatever the length said."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import aiohttp

from bot.i18n import t
from bot.media.upload import TooBig, Upload, receive

CHUNK = 256 * 1024
CONNECT_SECONDS = 10.0
READ_SECONDS = 60.0  # between two chunks


GONE = (404, 410)


class ContentUnavailable(RuntimeError):
    """LINE would not give the content (an API error)."""


class ContentGone(ContentUnavailable):
    """LINE no longer holds the file (it keeps what users send for a limited time, so a message
    handled late, or redelivered, may point at nothing): the person is asked to send it again."""

    def message(self, lang: str) -> str:
        return t("line.content_gone", lang)


async def fetch_content(data_url: str, token: str, message_id: str, cap: int, folder: Path
                        ) -> tuple[Upload, str]:
    """The file on disk and its content type; TooBig past `cap` bytes."""
    url = f"{data_url.rstrip('/')}/v2/bot/message/{quote(message_id, safe='')}/content"
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=CONNECT_SECONDS, sock_read=READ_SECONDS)
    async with (
        aiohttp.ClientSession(timeout=timeout, trust_env=True) as session,
        session.get(url, headers={"Authorization": f"Bearer {token}"}) as response,
    ):
        if response.status in GONE:
            raise ContentGone(f"LINE content API: HTTP {response.status} for message {message_id}")
        if response.status != 200:
            raise ContentUnavailable(f"LINE content API: HTTP {response.status} for message {message_id}")
        if (response.content_length or 0) > cap:
            raise TooBig(cap, response.content_length)
        upload = await receive(response.content.iter_chunked(CHUNK), folder, cap)
        return upload, response.headers.get("Content-Type", "").split(";")[0].strip()
