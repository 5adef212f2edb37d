"""python-telegram-bot's HTTP transport on aiohttp instead of its default httpx.

Every Bot API call and file download goes through here. PTB's default (httpx, httpcore, h11
and anyio, all pure Python) was most of the bot's busy time under load; aiohttp parses HTTP
in C (benchmarks/telegram_updates.py runs the bare echo bot on both). What goes on the wire is
what PTB's own transport sends: a urlencoded form, or multipart when a file is uploaded.
Certificates are checked against certifi's bundle, as httpx does.

An office proxy is taken from HTTPS_PROXY / HTTP_PROXY / NO_PROXY (credentials in its URL),
read once when the transport starts: aiohttp's own `trust_env` re-reads the environment and
~/.netrc in a worker thread on every request.
"""

from __future__ import annotations

import json
import ssl
import urllib.request
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlencode, urlsplit

import aiohttp
import certifi
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData
from yarl import URL

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


class AiohttpRequest(BaseRequest):
    """A `BaseRequest` with PTB's default timeouts (seconds) and pool size.

    aiohttp has no write timeout, and its read timeout runs from the moment the request starts
    going out, so a request carrying a file gets its write timeout (`media_write_timeout` by
    default) on top of its read timeout; other requests are small and have none.
    `pool_timeout` bounds the wait for a free connection (plus connecting)."""

    __slots__ = ("_pool_size", "_timeouts", "_media_write_timeout", "_session", "_env", "_proxies")

    def __init__(self, connection_pool_size: int = 256, read_timeout: float | None = 5.0,
                 write_timeout: float | None = 5.0, connect_timeout: float | None = 5.0,
                 pool_timeout: float | None = 1.0, media_write_timeout: float | None = 20.0):
        self._pool_size = connection_pool_size
        self._timeouts = {"read": read_timeout, "write": write_timeout,
                          "connect": connect_timeout, "pool": pool_timeout}
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None
        self._env: dict[str, str] = {}
        self._proxies: dict[tuple[str, str], URL | None] = {}  # (scheme, host) -> its proxy

    @property
    def read_timeout(self) -> float | None:
        return self._timeouts["read"]

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._env = urllib.request.getproxies_environment()
            self._proxies.clear()
            certificates = ssl.create_default_context(cafile=certifi.where())
            connector = aiohttp.TCPConnector(limit=self._pool_size, ssl=certificates)
            self._session = aiohttp.ClientSession(
                connector=connector, timeout=aiohttp.ClientTimeout(total=None),
                headers={"User-Agent": self.USER_AGENT})

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout: float | None = BaseRequest.DEFAULT_NONE,
                         write_timeout: float | None = BaseRequest.DEFAULT_NONE,
                         connect_timeout: float | None = BaseRequest.DEFAULT_NONE,
                         pool_timeout: float | None = BaseRequest.DEFAULT_NONE) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data is not None and request_data.contains_files
        read, connect = self._pick(read_timeout, "read"), self._pick(connect_timeout, "connect")
        if files:
            write = self._media_write_timeout if write_timeout is BaseRequest.DEFAULT_NONE else write_timeout
            read = _plus(read, write)
        timeout = aiohttp.ClientTimeout(total=None, sock_read=read, sock_connect=connect,
                                        connect=_plus(self._pick(pool_timeout, "pool"), connect))
        data, headers = _body(request_data, files)
        try:
            async with self._session.request(method, url, data=data, headers=headers, timeout=timeout,
                                             proxy=self._proxy_for(url)) as response:
                return response.status, await response.read()
        except TimeoutError as err:
            raise TimedOut from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{err.__class__.__name__}: {err}") from err

    @asynccontextmanager
    async def download(self, url: str, chunk: int = 256 * 1024, read_timeout: float = 60.0
                       ) -> AsyncIterator[tuple[int | None, AsyncIterator[bytes]]]:
        """A file download as (its declared length, its body in chunks), for the caller to
        stop at a cap; PTB's own `download` returns the file whole, in memory."""
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        timeout = aiohttp.ClientTimeout(total=None, sock_read=read_timeout,
                                        sock_connect=self._timeouts["connect"])
        try:
            async with self._session.get(url, timeout=timeout, proxy=self._proxy_for(url)) as response:
                if response.status != 200:
                    raise NetworkError(f"file download: HTTP {response.status}")
                yield response.content_length, response.content.iter_chunked(chunk)
        except TimeoutError as err:
            raise TimedOut from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{err.__class__.__name__}: {err}") from err

    def _pick(self, given: float | None, name: str) -> float | None:
        return self._timeouts[name] if given is BaseRequest.DEFAULT_NONE else given

    def _proxy_for(self, url: str) -> URL | None:
        """The proxy for this URL's host (aiohttp sends the credentials in its URL as
        Proxy-Authorization)."""
        parts = urlsplit(url)
        key = (parts.scheme, parts.hostname or "")
        if key not in self._proxies:
            address = self._env.get(parts.scheme)
            bypass = address and urllib.request.proxy_bypass_environment(key[1], self._env)
            self._proxies[key] = URL(address) if address and not bypass else None
        return self._proxies[key]


class Form:
    """Plain parameters for `AiohttpRequest.post` (lists as JSON, as the Bot API takes them),
    for calls made without a `telegram.Bot` method: the poller's getUpdates, whose answer it
    stores as Telegram sent it."""

    contains_files = False

    def __init__(self, params: dict[str, object]) -> None:
        self.params = params

    def url_encoded_parameters(self) -> str:
        plain = {k: json.dumps(v) if isinstance(v, list | dict) else v for k, v in self.params.items()}
        return urlencode(plain)


def _plus(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a + b


def _body(request_data: RequestData | None, files: bool) -> tuple[object, dict[str, str] | None]:
    """A urlencoded form, or multipart with the files: as PTB's httpx transport sends them."""
    if request_data is None:
        return None, None
    if not files:
        return request_data.url_encoded_parameters().encode(), FORM
    form = aiohttp.FormData(request_data.json_parameters)
    for name, (filename, content, mime_type) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mime_type)
    return form, None
