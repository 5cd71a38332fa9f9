"""The contract of our aiohttp transport for python-telegram-bot (bot/telegram/request.py).

It replaced PTB's own HTTPXRequest, so what a server receives from it is compared with what
HTTPXRequest sends for the same call, and what PTB gets back (status, body, errors) must be
what PTB expects of any `BaseRequest`. The server is a local aiohttp.web app on a free port.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import socket
import time
import traceback
import warnings
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from telegram import Bot, InputFile
from telegram.error import BadRequest, NetworkError, TimedOut
from telegram.request import BaseRequest, HTTPXRequest, RequestData
from telegram.request._requestparameter import RequestParameter

from bot.telegram.request import AiohttpRequest

TOKEN = "123456:SECRET-token-of-the-bot"
SECRET = "SECRET-token-of-the-bot"
ME = {"id": 123456, "is_bot": True, "first_name": "Helpdesk", "username": "helpdesk_bot"}
CHAT = 5
PHOTO = b"\xff\xd8\xff\xe0 not really a jpeg \x00\x01"
FORM = "application/x-www-form-urlencoded"


@dataclass
class Received:
    """One request as the server parsed it: form fields, or multipart parts."""

    method: str
    path: str
    content_type: str
    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, tuple[str | None, str | None, bytes]] = field(default_factory=dict)
    dispositions: dict[str, str] = field(default_factory=dict)  # the parts' raw headers


@dataclass
class Server:
    """A Bot API stand-in: records requests, answers after `delay` seconds (`answers` by method,
    else a valid result)."""

    url: str = ""
    received: list[Received] = field(default_factory=list)
    delay: float = 0.0
    answers: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)  # by method
    headers: dict[str, str] = field(default_factory=dict)
    release: asyncio.Event = field(default_factory=asyncio.Event)  # ends pending delays

    def bot_url(self, method: str) -> str:
        return f"{self.url}/bot{TOKEN}/{method}"

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.received.append(await _parse(request))
        if self.delay:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.release.wait(), self.delay)
        method = request.path.rsplit("/", 1)[-1]
        if method in self.answers:
            status, body = self.answers[method]
            return web.json_response(body, status=status, headers=self.headers)
        return web.json_response({"ok": True, "result": _result(method)})


async def _parse(request: web.Request) -> Received:
    received = Received(request.method, request.path, request.content_type)
    if request.content_type == "multipart/form-data":
        async for part in await request.multipart():
            content = bytes(await part.read())  # type: ignore[union-attr]
            received.dispositions[part.name or ""] = part.headers["Content-Disposition"]
            if part.filename is None:
                received.fields[part.name or ""] = content.decode()
            else:
                mime = part.headers.get("Content-Type")
                received.files[part.name or ""] = (part.filename, mime, content)
    elif request.content_type == FORM:
        received.fields = {name: str(value) for name, value in (await request.post()).items()}
    return received


def _result(method: str) -> Any:
    """A valid Bot API result for `method`."""
    if method == "getMe":
        return ME
    if method == "getUpdates":
        return []
    chat = {"id": CHAT, "type": "private", "first_name": "Pupil"}
    return {"message_id": 1, "date": 0, "chat": chat, "photo": []}


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    state = Server()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", state.handle)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    state.url = f"http://{host}:{port}"
    try:
        yield state
    finally:
        state.release.set()
        await runner.cleanup()


@pytest.fixture
async def request_() -> AsyncIterator[AiohttpRequest]:
    """An initialised AiohttpRequest with short timeouts (a test's wait is a fraction of a s)."""
    transport = AiohttpRequest(read_timeout=0.2, connect_timeout=0.5, pool_timeout=0.2)
    await transport.initialize()
    try:
        yield transport
    finally:
        await transport.shutdown()


def _free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _parameters(**values: object) -> RequestData:
    return RequestData([RequestParameter.from_input(k, v) for k, v in values.items()])


def _everything_about(error: BaseException) -> str:
    """The message, the repr and the traceback with its chained causes, as a log shows them."""
    return f"{error}\n{error!r}\n" + "".join(traceback.format_exception(error))


async def _through(transport: BaseRequest, url: str, data: RequestData) -> tuple[int, bytes]:
    await transport.initialize()
    try:
        return await transport.do_request(url, "POST", data)
    finally:
        await transport.shutdown()


async def test_parameters_arrive_form_encoded_as_httpx_sends_them(server: Server) -> None:
    data = _parameters(
        chat_id=CHAT,
        text="Ciao è & = ü+%",
        reply_markup={"inline_keyboard": [[{"text": "Sì", "callback_data": "a:1"}]]},
        disable_notification=True,
    )
    url = server.bot_url("sendMessage")
    ours = await _through(AiohttpRequest(), url, data)
    theirs = await _through(HTTPXRequest(), url, data)

    assert ours == theirs
    aiohttp_side, httpx_side = server.received
    assert aiohttp_side == httpx_side
    assert aiohttp_side.method == "POST" and aiohttp_side.content_type == FORM
    assert aiohttp_side.fields["text"] == "Ciao è & = ü+%"
    assert aiohttp_side.fields["chat_id"] == str(CHAT)
    assert json.loads(aiohttp_side.fields["reply_markup"])["inline_keyboard"][0][0]["text"] == "Sì"


async def test_an_upload_arrives_as_multipart_as_httpx_sends_it(server: Server) -> None:
    received = []
    for transport in (AiohttpRequest, HTTPXRequest):
        async with Bot(
            TOKEN,
            base_url=f"{server.url}/bot",
            request=transport(),
            get_updates_request=transport(),
        ) as bot:
            photo = InputFile(PHOTO, filename='pagella è "1".jpg')
            message = await bot.send_photo(CHAT, photo, caption="Ecco la pagella, ciao è")
        assert message.chat.id == CHAT
        received.append(server.received[-1])

    ours, theirs = received
    assert ours.content_type == "multipart/form-data"
    assert ours.path == f"/bot{TOKEN}/sendPhoto"
    assert ours.fields == {"chat_id": str(CHAT), "caption": "Ecco la pagella, ciao è"}
    assert ours.files == {"photo": ("pagella è %221%22.jpg", "image/jpeg", PHOTO)}  # HTML5's
    assert ours.dispositions["photo"] == 'form-data; name="photo"; filename="pagella è %221%22.jpg"'
    assert (ours.fields, ours.files, ours.dispositions) == (
        theirs.fields,
        theirs.files,
        theirs.dispositions,
    )


async def test_status_and_body_come_back_as_they_are(
    server: Server, request_: AiohttpRequest
) -> None:
    error = {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}
    server.answers["sendMessage"] = (400, error)
    status, body = await request_.do_request(server.bot_url("sendMessage"), "POST")
    assert (status, json.loads(body)) == (400, error)

    async with Bot(TOKEN, base_url=f"{server.url}/bot", request=AiohttpRequest()) as bot:
        with pytest.raises(BadRequest, match="Chat not found"):
            await bot.send_message(CHAT, "ciao")


async def test_a_redirect_is_returned_not_followed(
    server: Server, request_: AiohttpRequest
) -> None:
    """As with HTTPXRequest: a 3xx is PTB's to judge; following it would re-send the call
    (a POST turned into a GET) to wherever the answer points."""
    server.answers["sendMessage"] = (302, {"moved": True})
    server.headers = {"Location": "/elsewhere"}
    status, body = await request_.do_request(server.bot_url("sendMessage"), "POST")
    assert (status, json.loads(body)) == (302, {"moved": True})
    assert [r.path for r in server.received] == [f"/bot{TOKEN}/sendMessage"]


async def test_a_server_that_does_not_answer_times_out_quickly(
    server: Server, request_: AiohttpRequest
) -> None:
    server.delay = 5.0
    started = time.monotonic()
    with pytest.raises(TimedOut) as raised:
        await request_.do_request(server.bot_url("getMe"), "POST")
    assert time.monotonic() - started < 1.0  # read_timeout is 0.2 s
    assert SECRET not in _everything_about(raised.value)


async def test_a_full_pool_times_out_without_telling_the_token(server: Server) -> None:
    """aiohttp's own message for a pool or connect timeout quotes the whole URL."""
    transport = AiohttpRequest(1, read_timeout=5.0, pool_timeout=0.1, connect_timeout=0.1)
    await transport.initialize()
    server.delay = 5.0
    busy = asyncio.ensure_future(transport.do_request(server.bot_url("getUpdates"), "POST"))
    try:
        while not server.received:  # the one connection is taken
            await asyncio.sleep(0.01)
        started = time.monotonic()
        with pytest.raises(TimedOut) as raised:
            await transport.do_request(server.bot_url("getMe"), "POST")
        assert time.monotonic() - started < 1.0
    finally:
        busy.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await busy
        await transport.shutdown()
    assert SECRET not in _everything_about(raised.value)


async def test_nothing_listening_is_a_network_error_without_the_token(
    request_: AiohttpRequest,
) -> None:
    with pytest.raises(NetworkError) as raised:
        await request_.do_request(f"http://127.0.0.1:{_free_port()}/bot{TOKEN}/getMe", "POST")
    assert not isinstance(raised.value, TimedOut)
    assert "127.0.0.1" in str(raised.value)  # says where it could not connect
    assert SECRET not in _everything_about(raised.value)


async def test_a_garbled_answer_is_a_network_error_without_the_token(
    request_: AiohttpRequest,
) -> None:
    """Not HTTP at all (a captive portal, a misconfigured proxy): aiohttp's error quotes the
    URL, and PTB's NetworkError message ends up in our logs and the outbox table."""

    async def garble(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1024)
        writer.write(b"HELLO this is no HTTP\r\n\r\n")
        await writer.drain()
        writer.close()

    garbler = await asyncio.start_server(garble, "127.0.0.1", 0)
    port = garbler.sockets[0].getsockname()[1]
    try:
        with pytest.raises(NetworkError) as raised:
            await request_.do_request(f"http://127.0.0.1:{port}/bot{TOKEN}/getMe", "POST")
    finally:
        garbler.close()
        await garbler.wait_closed()
    assert not isinstance(raised.value, TimedOut)
    assert "status line" in str(raised.value)
    assert SECRET not in _everything_about(raised.value)


async def test_a_call_s_timeouts_override_the_defaults(
    server: Server, request_: AiohttpRequest
) -> None:
    server.delay = 0.5
    with pytest.raises(TimedOut):  # the default, 0.2 s, is too short for this server
        await request_.do_request(server.bot_url("getMe"), "POST")
    status, _ = await request_.do_request(server.bot_url("getMe"), "POST", read_timeout=2)
    assert status == 200


async def test_the_long_poll_of_get_updates_does_not_time_out(server: Server) -> None:
    """PTB adds getUpdates' `timeout` to the read timeout: the poll may last that long."""
    polling = AiohttpRequest(read_timeout=0.5)
    async with Bot(
        TOKEN, base_url=f"{server.url}/bot", request=AiohttpRequest(), get_updates_request=polling
    ) as bot:
        server.delay = 1.0
        started = time.monotonic()
        assert await bot.get_updates(timeout=1) == ()
        assert time.monotonic() - started >= 1.0
    assert server.received[-1].fields["timeout"] == "1"


async def test_requests_need_an_initialised_transport(server: Server) -> None:
    transport = AiohttpRequest()
    with pytest.raises(RuntimeError, match="not initialized"):
        await transport.do_request(server.bot_url("getMe"), "POST")
    await transport.initialize()
    await transport.shutdown()
    with pytest.raises(RuntimeError, match="not initialized"):
        await transport.do_request(server.bot_url("getMe"), "POST")
    assert server.received == []


async def test_initialising_twice_leaves_no_session_open(server: Server) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        transport = AiohttpRequest()
        await transport.initialize()
        await transport.initialize()
        status, _ = await transport.do_request(server.bot_url("getMe"), "POST")
        await transport.shutdown()
        await transport.shutdown()  # harmless too
        del transport
        gc.collect()
    assert status == 200
    assert not [w for w in caught if "Unclosed" in str(w.message)]


async def test_a_transport_shut_down_can_start_again(server: Server) -> None:
    """PTB's retry of a failed start shuts the bot's transports down, then initialises them."""
    transport = AiohttpRequest()
    await transport.initialize()
    await transport.shutdown()
    await transport.initialize()
    try:
        status, _ = await transport.do_request(server.bot_url("getMe"), "POST")
    finally:
        await transport.shutdown()
    assert status == 200


def test_read_timeout_is_the_configured_default() -> None:
    assert AiohttpRequest(read_timeout=7.5).read_timeout == 7.5
    assert AiohttpRequest(read_timeout=None).read_timeout is None
    assert AiohttpRequest().read_timeout == HTTPXRequest().read_timeout == 5.0


async def test_the_proxy_the_environment_names_carries_the_calls(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A school's network may reach Telegram only through its proxy (PTB's httpx honoured
    HTTP(S)_PROXY, and so must we); NO_PROXY still wins for the hosts it names."""
    for name in ("HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", server.url)  # the stand-in server plays the proxy
    far = f"http://telegram.invalid/bot{TOKEN}/getMe"  # no such host: only a proxy reaches it

    status, _ = await _through(AiohttpRequest(), far, _parameters(chat_id=CHAT))

    assert status == 200
    assert [r.path for r in server.received] == [f"/bot{TOKEN}/getMe"]
    monkeypatch.setenv("NO_PROXY", "telegram.invalid")
    with pytest.raises(NetworkError):
        await _through(AiohttpRequest(connect_timeout=1), far, _parameters(chat_id=CHAT))
    assert len(server.received) == 1
