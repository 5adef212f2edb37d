"""An image or video a LINE user sent from elsewhere: its message's contentProvider is
"external", LINE's content API holds nothing for it (it would answer 404), and the bytes
are at originalContentUrl (a LIFF app or another service sent the message for the user).

Fetched, because a poster is a poster wherever it lives, under rules that keep one link
from costing the bot more than a file sent straight would:

- http and https only, at most MAX_REDIRECTS redirects, each one checked again;
- not into a private network (loopback, 10/8, 192.168/16, link-local, ...): the link comes
  from a user, and the bot must not become their way into the office's own servers. The
  name is checked before the request (for a clear refusal) and again where the connection
  is made (PublicOnly), so a name that answers differently the second time (DNS rebinding)
  still reaches no private address. An office that does serve media from its intranet sets
  HUMAS_LINE_FETCH_PRIVATE_URLS;
- a declared Content-Length over the cap is refused before a byte is read, and the body is
  written to disk in chunks with a hard cap, so a server that never ends (or lies) costs at
  most the cap, on disk, never in memory;
- a total time limit.

Anything that fails is an ExternalRefused with the reason in the person's language, never
an exception that reaches the log as an error.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import urllib.request
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import aiohttp
from aiohttp.abc import ResolveResult
from aiohttp.resolver import ThreadedResolver

from bot.i18n import t
from bot.media.issues import mb_en, mb_id
from bot.media.upload import TooBig, Upload, receive

MAX_REDIRECTS = 3
TIMEOUT_SECONDS = 60.0
CHUNK = 256 * 1024


class ExternalRefused(Exception):
    """Why the file behind a link was not taken; `message(lang)` says it to the person."""

    def __init__(self, url: str, key: str, **params: object) -> None:
        super().__init__(f"{key} {url}")
        self.host = urlsplit(url).hostname or url[:60]
        self.key = key
        self.params = params

    def message(self, lang: str) -> str:
        params = dict(self.params)
        if "limit" in params:
            size = int(params["limit"])  # type: ignore[call-overload]
            params["limit"] = mb_en(size) if lang == "en" else mb_id(size)
        reason = t(self.key, lang, **params)
        return t("line.external_refused", lang, host=self.host, reason=reason)


async def fetch_external(url: str, cap: int, folder: Path, *, allow_private: bool = False,
                         timeout: float = TIMEOUT_SECONDS) -> tuple[Upload, str]:  # noqa: ASYNC109
    """The file at `url`, received into `folder` (at most `cap` bytes, never whole in
    memory), and its content type; else ExternalRefused."""
    limit = aiohttp.ClientTimeout(total=timeout)
    # behind a proxy the proxy connects (and may itself be on the office's network)
    direct = not allow_private and not urllib.request.getproxies()
    connector = aiohttp.TCPConnector(resolver=PublicOnly()) if direct else None
    try:
        async with aiohttp.ClientSession(timeout=limit, trust_env=True, connector=connector) as session:
            for _ in range(MAX_REDIRECTS + 1):
                await _check_address(url, allow_private)
                async with session.get(url, allow_redirects=False) as response:
                    if response.status in (301, 302, 303, 307, 308) and "Location" in response.headers:
                        url = urljoin(url, response.headers["Location"])
                        continue
                    return await _body(url, response, cap, folder)
    except (aiohttp.ClientError, TimeoutError, UnicodeError, ValueError) as exc:
        raise ExternalRefused(url, "line.external_failed", detail=type(exc).__name__) from exc
    raise ExternalRefused(url, "line.external_failed", detail="redirects")


async def _body(url: str, response: aiohttp.ClientResponse, cap: int, folder: Path) -> tuple[Upload, str]:
    if response.status != 200:
        raise ExternalRefused(url, "line.external_failed", detail=f"HTTP {response.status}")
    if (response.content_length or 0) > cap:
        raise ExternalRefused(url, "line.external_too_big", limit=cap)
    try:
        upload = await receive(response.content.iter_chunked(CHUNK), folder, cap)
    except TooBig:
        raise ExternalRefused(url, "line.external_too_big", limit=cap) from None
    return upload, response.headers.get("Content-Type", "").split(";")[0].strip()


class PublicOnly(ThreadedResolver):
    """Resolves names to their public addresses only, as the connection is made."""

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
                      ) -> list[ResolveResult]:
        public = [found for found in await super().resolve(host, port, family) if _public(found["host"])]
        if not public:
            raise OSError(f"{host} has no public address")
        return public


def _public(address: str) -> bool:
    return ipaddress.ip_address(address.split("%")[0]).is_global


async def _check_address(url: str, allow_private: bool) -> None:
    """A web address, and (unless allowed) one whose host is on the public internet."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ExternalRefused(url, "line.external_not_web")
    if allow_private:
        return
    try:
        found = await asyncio.get_running_loop().getaddrinfo(
            parts.hostname, parts.port or (443 if parts.scheme == "https" else 80), type=socket.SOCK_STREAM)
    except OSError as exc:
        raise ExternalRefused(url, "line.external_failed", detail="DNS") from exc
    for *_, address in found:
        if not _public(address[0]):
            raise ExternalRefused(url, "line.external_private")
