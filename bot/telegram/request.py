"""python-telegram-bot's networking backend on aiohttp instead of httpx.

PTB lets an application bring its own HTTP client (a `BaseRequest` subclass); this one exists
for speed: on the loopback, an httpx request costs about 0.96 CPU ms and an aiohttp one 0.27
(benchmarks/bench_bot.py: every update is a getUpdates share and a sendMessage). Everything
above the wire stays PTB's: parsing the answer, turning error codes into exceptions, the rate
limiter. Only the transport failures are ours to translate: a timeout is PTB's `TimedOut`,
any other client error its `NetworkError`, as with PTB's own HTTPXRequest. aiohttp's messages
quote the whole URL, whose path holds the bot token, and PTB's error messages go to our logs
and the outbox table: the translation leaves the path out, and drops aiohttp's exception
(which a logged traceback would print) once its type and message are copied. Like httpx, a
redirect is returned to PTB, not followed, and an upload's file name is sent as browsers do.

aiohttp has no write timeout of its own: the request as a whole is bounded by the sum of the
four timeouts instead, so that no call can hang for ever.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit
from urllib.request import getproxies, proxy_bypass

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

FORM = "application/x-www-form-urlencoded"
# HTML5's escaping of a multipart file name (httpx's too): a quote and the control characters
# percent-encoded. aiohttp's default percent-encodes every non-ASCII letter as well, which form
# parsers do not decode (aiohttp.web's reads "pagella%20%C3%A8.pdf").
HTML5_FILENAME = {ord('"'): "%22"} | {c: f"%{c:02X}" for c in range(0x20) if c != 0x1B}


class AiohttpRequest(BaseRequest):
    """A pool of keep-alive connections to the Bot API (one session per instance).

    The defaults are those of PTB's own request class: `connection_pool_size` connections,
    5 s to connect, read and write, 1 s to wait for a free connection, 20 s to upload a file.
    """

    def __init__(
        self,
        connection_pool_size: int = 1,
        *,
        connect_timeout: float | None = 5.0,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._defaults = {
            "connect": connect_timeout,
            "read": read_timeout,
            "write": write_timeout,
            "pool": pool_timeout,
        }
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[tuple[str, str], str | None] = {}  # by (scheme, host)

    @property
    def read_timeout(self) -> float | None:
        return self._defaults["read"]

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                headers={"User-Agent": self.USER_AGENT},
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """See `BaseRequest.do_request`."""
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        uploads = request_data is not None and request_data.contains_files
        timeout = self._timeout(
            read=read_timeout,
            write=write_timeout,
            connect=connect_timeout,
            pool=pool_timeout,
            uploads=uploads,
        )
        body: Any = None
        headers = None
        if request_data is not None:
            if uploads:
                body = _multipart(request_data)
            else:
                body, headers = request_data.url_encoded_parameters(), {"Content-Type": FORM}
        try:
            async with self._session.request(
                method,
                url,
                data=body,
                headers=headers,
                timeout=timeout,
                allow_redirects=False,
                proxy=self._proxy(url),
            ) as response:
                return response.status, await response.read()
        except TimeoutError as error:  # aiohttp.ServerTimeoutError is one too
            raise TimedOut(f"Timed out: {_described(error, url)}") from None
        except aiohttp.ClientError as error:
            raise NetworkError(_described(error, url)) from None

    def _proxy(self, url: str) -> str | None:
        """The proxy the environment names for `url` (HTTPS_PROXY, NO_PROXY ...), as PTB's
        httpx used it: a school's network may need one. Read once per scheme and host:
        aiohttp's own `trust_env` reads it on every request, and ~/.netrc in a thread."""
        parts = urlsplit(url)
        origin = (parts.scheme, parts.hostname or "")
        if origin not in self._proxies:
            bypassed = proxy_bypass(origin[1])
            self._proxies[origin] = None if bypassed else getproxies().get(parts.scheme)
        return self._proxies[origin]

    def _timeout(self, *, uploads: bool, **given: ODVInput[float]) -> aiohttp.ClientTimeout:
        """aiohttp's timeouts for PTB's four; a value not passed is this instance's default."""
        seconds = {
            name: self._default(name, uploads) if isinstance(value, DefaultValue) else value
            for name, value in given.items()
        }
        parts = list(seconds.values())
        return aiohttp.ClientTimeout(
            total=None if None in parts else sum(parts),  # type: ignore[arg-type]
            connect=_plus(seconds["pool"], seconds["connect"]),  # a free connection, then TCP
            sock_connect=seconds["connect"],
            sock_read=seconds["read"],
        )

    def _default(self, name: str, uploads: bool) -> float | None:
        if name == "write" and uploads:
            return self._media_write_timeout
        return self._defaults[name]


def _plus(first: float | None, second: float | None) -> float | None:
    return None if first is None or second is None else first + second


def _described(error: BaseException, url: str) -> str:
    """The type and message of a transport failure, without the path of `url` (the token)."""
    name = type(error).__name__
    if type(error).__module__.startswith("aiohttp."):
        name = f"aiohttp.{name}"
    text = f"{name}: {error}" if str(error) else name
    path = urlsplit(url).path
    return text.replace(path, "/…") if len(path) > 1 else text


def _multipart(request_data: RequestData) -> aiohttp.FormData:
    """The parameters and the files of an upload, as one multipart form."""
    form = aiohttp.FormData(quote_fields=False)  # names escaped by HTML5_FILENAME instead
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mime_type) in request_data.multipart_data.items():
        escaped = filename.translate(HTML5_FILENAME) if filename else filename
        form.add_field(name, content, filename=escaped, content_type=mime_type)
    return form
