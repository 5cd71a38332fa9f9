"""A fake Telegram Bot API server for the end-to-end tests: real HTTP on 127.0.0.1.

The real python-telegram-bot stack talks to it exactly as it talks to api.telegram.org, so an
end-to-end test exercises our handlers, PTB's request layer and its error mapping together.
Tests play the users (`user_sends`, `user_presses`, `push_raw_update`), look at what the bot
did (`requests`, `wait_for`, `sent_to`, `messages`) and break the network on purpose
(`fail_next`, `drop_next`, `delay`, `user_blocks_bot`).

It copies the Bot API where a difference could hide a bug in our code:
- updates stay queued until a later `getUpdates` offset confirms them (a crash before the
  confirmation means the update comes again; `redeliver` forces that on purpose);
- message ids count per chat, shared by the user's and the bot's messages;
- Telegram HTML is parsed: an unknown tag or a stray "<" is rejected as Telegram rejects it,
  and the stored `text` is what the user sees (tags stripped, entities decoded);
- the bot cannot write to a chat that never talked to it ("chat not found"), edit a message
  to the same content ("message is not modified"), answer a callback twice, or send more
  than 4,096 characters;
- a method the fake does not implement answers 404 with its name, so a gap shows clearly.
With a webhook set, updates are POSTed to it one at a time (with the secret token header)
and retried until it answers 2xx, as Telegram does; `webhook_deliveries` records each try.
The fake sends no message entities except `bot_command`.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections import defaultdict
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any, Literal, TypedDict, Unpack

from aiohttp import ClientError, ClientSession, web

BOT_USER: dict[str, Any] = {
    "id": 7000000001,
    "is_bot": True,
    "first_name": "Scuola Helpdesk",
    "username": "scuola_helpdesk_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
DEFAULT_TOKEN = "7000000001:AAFakeTokenForTheEndToEndTests0000000"
MAX_TEXT_CHARS = 4096
MAX_CAPTION_CHARS = 1024
MAX_CALLBACK_DATA_BYTES = 64

# Form fields whose value is a plain string even when it looks like JSON ("123", "true").
_STRING_FIELDS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "url",
        "secret_token",
        "action",
        "photo",
        "voice",
        "document",
        "file_id",
        "language_code",
        "emoji",
        "ip_address",
    }
)
# Update types Telegram leaves out unless they are asked for by name.
_OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_ALLOWED_TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "a",
        "code",
        "pre",
        "span",
        "tg-spoiler",
        "tg-emoji",
        "blockquote",
    }
)
_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9-]*(\s[^<>]*)?>")


class Sender(TypedDict, total=False):
    """Who sends a user message, and where; every field has a default."""

    first_name: str  # "Luca"
    language_code: str | None  # "it"; None: a client that shares no language
    chat_type: str  # "private"; "group"/"supergroup" with a negative chat id
    reply_to: int | None  # message id in the same chat the user replies to
    user_id: int | None  # default: the chat id (its absolute value in groups)


class ApiError(Exception):
    """An `ok: false` answer, as Telegram gives it."""

    def __init__(self, status: int, description: str, **parameters: Any) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(what: str) -> ApiError:
    return ApiError(400, f"Bad Request: {what}")


@dataclass(slots=True)
class Request:
    """One call the bot made, in arrival order. `status` is 0 for a dropped connection."""

    method: str
    params: dict[str, Any]
    at: float  # time.monotonic() on arrival
    files: dict[str, bytes] = field(default_factory=dict)
    status: int | None = None  # None while the fake is still answering

    @property
    def chat_id(self) -> Any:
        return self.params.get("chat_id")

    @property
    def text(self) -> str | None:
        return self.params.get("text", self.params.get("caption"))


@dataclass(slots=True)
class ChatMessage:
    """A message in a chat as the fake keeps it: the latest version plus its history."""

    chat_id: int
    message_id: int
    from_bot: bool
    raw: dict[str, Any]  # the Message object, as Telegram would return it now
    via: str  # the API method that created it, or "user"
    html: str | None = None  # the text as the bot sent it, tags included, when it used HTML
    earlier_texts: list[str] = field(default_factory=list)  # before each edit, oldest first
    deleted: bool = False

    @property
    def text(self) -> str | None:
        """What the user reads: the text, or the caption of a photo/voice/document."""
        return self.raw.get("text", self.raw.get("caption"))

    @property
    def buttons(self) -> list[list[tuple[str, str]]]:
        """Inline keyboard rows of (label, callback data or URL)."""
        rows = self.raw.get("reply_markup", {}).get("inline_keyboard", [])
        return [
            [(b["text"], b.get("callback_data", b.get("url", ""))) for b in row] for row in rows
        ]

    @property
    def callback_data(self) -> list[str]:
        return [
            b["callback_data"]
            for row in self.raw.get("reply_markup", {}).get("inline_keyboard", [])
            for b in row
            if "callback_data" in b
        ]


@dataclass(slots=True)
class _Fault:
    kind: Literal["fail", "drop", "delay"]
    times: int
    error: ApiError | None = None
    seconds: float = 0.0


@dataclass(slots=True)
class _Queued:
    update: dict[str, Any]
    forced: bool = False  # put back by `redeliver`: ignore offsets until handed out again
    handed_out: bool = False

    @property
    def update_id(self) -> int:
        return self.update["update_id"]

    @property
    def type(self) -> str:
        return next(key for key in self.update if key != "update_id")


class _TelegramHtml(HTMLParser):
    """Checks Telegram's HTML subset and collects the text the user will see."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.visible: list[str] = []
        self.open_tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _ALLOWED_TAGS:
            raise bad_request(f'can\'t parse entities: Unsupported start tag "{tag}"')
        self.open_tags.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open_tags or self.open_tags[-1] != tag:
            raise bad_request(f'can\'t parse entities: Unexpected end tag "{tag}"')
        self.open_tags.pop()

    def handle_data(self, data: str) -> None:
        self.visible.append(data)


def visible_text(text: str, parse_mode: str | None) -> str:
    """The text Telegram would show, or the ApiError Telegram would give for bad markup."""
    if (parse_mode or "").upper() != "HTML":
        return text
    for match in re.finditer("<", text):
        if not _TAG.match(text, match.start()):
            raise bad_request(
                f'can\'t parse entities: unexpected "<" at byte offset '
                f"{len(text[: match.start()].encode())}"
            )
    parser = _TelegramHtml()
    parser.feed(text)
    parser.close()
    if parser.open_tags:
        raise bad_request(f'can\'t parse entities: unclosed start tag "{parser.open_tags[-1]}"')
    return "".join(parser.visible)


def _decode_form_value(name: str, value: str) -> Any:
    """PTB sends non-string parameters JSON-encoded inside form fields."""
    if name in _STRING_FIELDS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


async def _read_params(request: web.Request) -> tuple[dict[str, Any], dict[str, bytes]]:
    params: dict[str, Any] = {k: _decode_form_value(k, v) for k, v in request.query.items()}
    files: dict[str, bytes] = {}
    if request.content_type == "application/json":
        body = await request.json()
        params.update(
            {k: _decode_form_value(k, v) if isinstance(v, str) else v for k, v in body.items()}
        )
    elif request.can_read_body:
        for name, value in (await request.post()).items():
            if isinstance(value, web.FileField):
                files[name] = value.file.read()
            else:
                params[name] = _decode_form_value(name, str(value))
    return params, files


def _inline_keyboard(markup: Any) -> dict[str, Any] | None:
    """Validate an inline keyboard like Telegram does; other markups are not echoed back."""
    if not isinstance(markup, dict) or "inline_keyboard" not in markup:
        return None
    for row in markup["inline_keyboard"]:
        for button in row:
            if not button.get("text"):
                raise bad_request("text buttons are unallowed in the inline keyboard")
            data = button.get("callback_data")
            if data is not None and not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA_BYTES:
                raise bad_request("BUTTON_DATA_INVALID")
    return markup


class FakeBotApi:
    """The fake server. Start it with `start()` (the `fake_bot_api` fixture does)."""

    def __init__(self, token: str = DEFAULT_TOKEN, first_update_id: int = 1) -> None:
        """`first_update_id`: where update ids start, as after earlier updates (a bot ignores
        the ids its database already handled)."""
        self.token = token
        self.base_url = ""
        self.base_file_url = ""
        self.requests: list[Request] = []
        self.messages: defaultdict[int, dict[int, ChatMessage]] = defaultdict(dict)
        self.chats: dict[int, dict[str, Any]] = {}
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.callback_answers: dict[str, dict[str, Any]] = {}
        self.files: dict[str, bytes] = {}  # file_path -> content
        self.webhook_url = ""
        self.webhook_deliveries: list[tuple[int, int]] = []  # (update_id, HTTP status or 0)
        self.webhook_retry_delay = 0.1  # seconds between tries of a failed delivery
        self._webhook_task: asyncio.Task[None] | None = None
        self._file_paths: dict[str, str] = {}  # file_id -> file_path
        self._blocked: set[int] = set()
        self._open_callbacks: set[str] = set()  # pressed, not answered yet
        self._queue: list[_Queued] = []
        self._updates: dict[int, dict[str, Any]] = {}
        self._allowed_updates: frozenset[str] | None = None
        self._faults: defaultdict[str, list[_Fault]] = defaultdict(list)
        self._update_ids = itertools.count(first_update_id)
        self._callback_ids = itertools.count(1)
        self._next_message_id: defaultdict[int, int] = defaultdict(lambda: 1)
        self._updates_changed = asyncio.Event()
        self._requests_changed = asyncio.Event()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._methods: dict[str, tuple[str, Callable[..., Any]]] = {
            name.lower(): (name, handler)
            for name, handler in {
                "getMe": self._get_me,
                "getUpdates": self._get_updates,
                "deleteWebhook": self._delete_webhook,
                "setWebhook": self._set_webhook,
                "getWebhookInfo": self._get_webhook_info,
                "setMyCommands": self._set_my_commands,
                "deleteMyCommands": self._delete_my_commands,
                "sendMessage": self._send_message,
                "editMessageText": self._edit_message_text,
                "editMessageReplyMarkup": self._edit_message_reply_markup,
                "answerCallbackQuery": self._answer_callback_query,
                "sendPhoto": self._send_photo,
                "sendVoice": self._send_voice,
                "sendDocument": self._send_document,
                "sendChatAction": self._send_chat_action,
                "copyMessage": self._copy_message,
                "forwardMessage": self._forward_message,
                "getFile": self._get_file,
                "deleteMessage": self._delete_message,
            }.items()
        }

    # ----------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle_call)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}/bot"
        self.base_file_url = f"http://127.0.0.1:{port}/file/bot"

    async def stop(self) -> None:
        """Release pending long polls first, so that shutting down never waits for them."""
        self._closing = True
        self._updates_changed.set()
        await self._stop_webhook_delivery()
        if self._runner is not None:
            await self._runner.cleanup()

    # ------------------------------------------------------ the users, played by tests

    def add_chat(
        self,
        chat_id: int,
        *,
        first_name: str = "Luca",
        chat_type: str = "private",
        title: str | None = None,
    ) -> dict[str, Any]:
        """Make a chat known, as if its user had started the bot earlier (e.g. a volunteer)."""
        if chat_id not in self.chats:
            chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
            if chat_type == "private":
                chat["first_name"] = first_name
            else:
                chat["title"] = title or f"Group {chat_id}"
            self.chats[chat_id] = chat
        self._blocked.discard(chat_id)
        return self.chats[chat_id]

    def user_blocks_bot(self, chat_id: int) -> None:
        """From now on, sending to this chat fails with 403 as it does on Telegram."""
        self._blocked.add(chat_id)

    def user_sends(self, chat_id: int, text: str, **sender: Unpack[Sender]) -> int:
        """A text message (commands get their `bot_command` entity). Returns the update id."""
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return self._user_message(chat_id, content, **sender)

    def user_sends_photo(
        self,
        chat_id: int,
        file_id: str,
        caption: str | None = None,
        *,
        content: bytes = b"\xff\xd8\xff fake jpeg",
        **sender: Unpack[Sender],
    ) -> int:
        self._register_file(file_id, f"photos/{file_id}.jpg", content)
        photo = [
            _file_object(f"{file_id}-small", width=90, height=67, file_size=1000),
            _file_object(file_id, width=1280, height=960, file_size=len(content)),
        ]
        message: dict[str, Any] = {"photo": photo}
        if caption is not None:
            message["caption"] = caption
        return self._user_message(chat_id, message, **sender)

    def user_sends_voice(
        self,
        chat_id: int,
        file_id: str,
        *,
        duration: int = 3,
        content: bytes = b"OggS fake voice",
        **sender: Unpack[Sender],
    ) -> int:
        self._register_file(file_id, f"voice/{file_id}.oga", content)
        voice = _file_object(
            file_id, duration=duration, mime_type="audio/ogg", file_size=len(content)
        )
        return self._user_message(chat_id, {"voice": voice}, **sender)

    def user_sends_document(
        self,
        chat_id: int,
        file_id: str,
        file_name: str = "screenshot.png",
        *,
        content: bytes = b"fake document",
        **sender: Unpack[Sender],
    ) -> int:
        self._register_file(file_id, f"documents/{file_name}", content)
        document = _file_object(file_id, file_name=file_name, file_size=len(content))
        return self._user_message(chat_id, {"document": document}, **sender)

    def user_sends_sticker(
        self,
        chat_id: int,
        file_id: str = "sticker-1",
        *,
        emoji: str = "👍",
        **sender: Unpack[Sender],
    ) -> int:
        sticker = _file_object(
            file_id,
            type="regular",
            width=512,
            height=512,
            is_animated=False,
            is_video=False,
            emoji=emoji,
        )
        return self._user_message(chat_id, {"sticker": sticker}, **sender)

    def user_sends_location(
        self,
        chat_id: int,
        latitude: float = 45.4642,
        longitude: float = 9.19,
        **sender: Unpack[Sender],
    ) -> int:
        location = {"latitude": latitude, "longitude": longitude}
        return self._user_message(chat_id, {"location": location}, **sender)

    def user_presses(
        self,
        chat_id: int,
        message_id: int,
        callback_data: str,
        *,
        first_name: str = "Luca",
        language_code: str | None = "it",
        user_id: int | None = None,
        strict: bool = True,
    ) -> int:
        """A press on an inline button of a bot message. Returns the update id.

        With `strict` the button must be on the message now, as on a real client; pass
        `strict=False` to press a stale or forged button.
        """
        message = self.messages[chat_id].get(message_id)
        if message is None:
            raise AssertionError(f"no message {message_id} in chat {chat_id} to press on")
        if strict and callback_data not in message.callback_data:
            raise AssertionError(
                f"message {message_id} in chat {chat_id} has no button {callback_data!r}; "
                f"its buttons: {message.callback_data}"
            )
        callback_id = f"cb{next(self._callback_ids)}"
        self._open_callbacks.add(callback_id)
        query = {
            "id": callback_id,
            "from": self._user(user_id or chat_id, first_name, language_code),
            "message": message.raw,
            "chat_instance": f"instance-{chat_id}",
            "data": callback_data,
        }
        return self._push({"callback_query": query})

    def push_raw_update(self, update: dict[str, Any]) -> int:
        """Queue any update as given (an `update_id` is added if missing): for odd input."""
        if "update_id" in update:
            self._updates[update["update_id"]] = update
            self._queue.append(_Queued(update))
            self._updates_changed.set()
            return update["update_id"]
        return self._push(update)

    def redeliver(self, update_id: int) -> None:
        """Queue an update that was already delivered, as Telegram does after a crash."""
        if update_id not in self._updates:
            raise AssertionError(f"update {update_id} was never queued")
        self._queue.append(_Queued(self._updates[update_id], forced=True))
        self._updates_changed.set()

    # ------------------------------------------------------------- fault injection

    def fail_next(
        self,
        method: str,
        status: int = 429,
        retry_after: int | None = 2,
        times: int = 1,
        description: str | None = None,
    ) -> None:
        """The next `times` calls of `method` fail; 429 carries `retry_after` like Telegram."""
        parameters = {"retry_after": retry_after} if status == 429 and retry_after else {}
        if description is None:
            description = (
                f"Too Many Requests: retry after {retry_after}"
                if status == 429
                else {500: "Internal Server Error", 502: "Bad Gateway"}.get(status, "Error")
            )
        error = ApiError(status, description, **parameters)
        self._faults[method.lower()].append(_Fault("fail", times, error=error))

    def drop_next(self, method: str, times: int = 1) -> None:
        """The next `times` calls of `method` get their connection closed, unanswered."""
        self._faults[method.lower()].append(_Fault("drop", times))

    def delay(self, method: str, seconds: float, times: int = 1) -> None:
        """The next `times` calls of `method` are answered `seconds` late."""
        self._faults[method.lower()].append(_Fault("delay", times, seconds=seconds))

    # ------------------------------------------------------------- what the bot did

    async def wait_for(
        self,
        method: str,
        predicate: Callable[[Request], bool] | None = None,
        count: int = 1,
        timeout: float = 5.0,
    ) -> list[Request]:
        """Wait until the fake has answered `count` matching calls (counted since start).

        Returns every matching call so far. Only answered calls count, so the state they
        changed (`messages`, `sent_to`) is already there when this returns.
        """
        wanted = self._canonical(method)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            found = [
                r
                for r in self.requests
                if r.method == wanted
                and r.status is not None
                and (predicate is None or predicate(r))
            ]
            if len(found) >= count:
                return found
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(
                    f"waited {timeout}s for {count} {wanted} call(s), got {len(found)}; "
                    f"the bot made: {self._describe_requests()}"
                )
            self._requests_changed.clear()
            with suppress(TimeoutError):
                await asyncio.wait_for(self._requests_changed.wait(), remaining)

    def sent_to(self, chat_id: int) -> list[ChatMessage]:
        """Messages the bot sent, copied or forwarded to a chat, in order (deleted included)."""
        return [m for _, m in sorted(self.messages[chat_id].items()) if m.from_bot]

    def calls(self, method: str) -> list[Request]:
        wanted = self._canonical(method)
        return [r for r in self.requests if r.method == wanted]

    def _describe_requests(self) -> str:
        if not self.requests:
            return "no calls at all"
        return "; ".join(
            f"{r.method}({', '.join(f'{k}={v!r}' for k, v in r.params.items())[:120]}) "
            f"-> {r.status}"
            for r in self.requests[-30:]
        )

    # ------------------------------------------------------------------- HTTP layer

    async def _handle_call(self, request: web.Request) -> web.StreamResponse:
        params, files = await _read_params(request)
        method = self._canonical(request.match_info["method"])
        call = Request(method, params, time.monotonic(), files)
        self.requests.append(call)
        try:
            fault = self._take_fault(method)
            if fault is not None and fault.kind == "drop":
                call.status = 0
                assert request.transport is not None
                request.transport.abort()
                raise asyncio.CancelledError  # aiohttp stops handling this request quietly
            if fault is not None and fault.kind == "delay":
                await asyncio.sleep(fault.seconds)
            if fault is not None and fault.error is not None:
                raise fault.error
            if request.match_info["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            if method.lower() not in self._methods:
                raise ApiError(
                    404, f"Not Found: method {method!r} is not implemented by the fake Bot API"
                )
            result = self._methods[method.lower()][1](params, files)
            if asyncio.iscoroutine(result):
                result = await result
            call.status = 200
            return web.json_response({"ok": True, "result": result}, dumps=_dumps)
        except ApiError as error:
            call.status = error.status
            return web.json_response(error.payload(), status=error.status, dumps=_dumps)
        finally:
            if call.status is None:
                call.status = 0
            self._requests_changed.set()

    async def _handle_file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        content = self.files.get(request.match_info["path"])
        if content is None:
            return web.Response(status=404, text="Not Found")
        return web.Response(body=content)

    def _canonical(self, method: str) -> str:
        known = self._methods.get(method.lower())
        return known[0] if known else method

    def _take_fault(self, method: str) -> _Fault | None:
        pending = self._faults.get(method.lower())
        if not pending:
            return None
        fault = pending[0]
        fault.times -= 1
        if fault.times <= 0:
            pending.pop(0)
        return fault

    # ------------------------------------------------------------------- updates

    def _push(self, payload: dict[str, Any]) -> int:
        update_id = next(self._update_ids)
        update = {"update_id": update_id, **payload}
        self._updates[update_id] = update
        self._queue.append(_Queued(update))
        self._updates_changed.set()
        return update_id

    async def _get_updates(self, params: dict[str, Any], _: Any) -> list[dict[str, Any]]:
        if self.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        if params.get("allowed_updates") is not None:
            self._allowed_updates = frozenset(params["allowed_updates"])
        offset = int(params.get("offset", 0))
        limit = int(params.get("limit", 100))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + float(params.get("timeout", 0))
        while True:
            self._confirm(offset)
            batch = self._deliverable()[:limit]
            remaining = deadline - loop.time()
            if batch or remaining <= 0 or self._closing:
                for queued in batch:
                    queued.handed_out = True
                return [q.update for q in batch]
            self._updates_changed.clear()
            with suppress(TimeoutError):
                await asyncio.wait_for(self._updates_changed.wait(), remaining)

    def _deliverable(self) -> list[_Queued]:
        return sorted((q for q in self._queue if self._is_allowed(q)), key=lambda q: q.update_id)

    async def _deliver_to_webhook(self, url: str, secret: str | None) -> None:
        """Telegram's side of a webhook: one update at a time, retried until answered 2xx."""
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
        async with ClientSession() as session:
            while not self._closing:
                pending = self._deliverable()
                if not pending:
                    self._updates_changed.clear()
                    await self._updates_changed.wait()
                    continue
                queued = pending[0]
                try:
                    async with session.post(url, json=queued.update, headers=headers) as answer:
                        status = answer.status
                except ClientError:
                    status = 0
                self.webhook_deliveries.append((queued.update_id, status))
                if 200 <= status < 300:
                    self._queue.remove(queued)
                else:
                    await asyncio.sleep(self.webhook_retry_delay)

    async def _stop_webhook_delivery(self) -> None:
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with suppress(asyncio.CancelledError):
                await self._webhook_task
            self._webhook_task = None

    def _confirm(self, offset: int) -> None:
        """Forget updates below `offset`; a forced redelivery only once it was handed out."""
        self._queue = [
            q for q in self._queue if q.update_id >= offset or (q.forced and not q.handed_out)
        ]

    def _is_allowed(self, queued: _Queued) -> bool:
        if not self._allowed_updates:
            return queued.type not in _OPT_IN_UPDATES
        return queued.type in self._allowed_updates

    # ------------------------------------------------------------- chats & messages

    @staticmethod
    def _user(user_id: int, first_name: str, language_code: str | None) -> dict[str, Any]:
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if language_code:
            user["language_code"] = language_code
        return user

    def _register_file(self, file_id: str, file_path: str, content: bytes) -> None:
        self._file_paths[file_id] = file_path
        self.files[file_path] = content

    def _user_message(self, chat_id: int, content: dict[str, Any], **sender: Unpack[Sender]) -> int:
        first_name = sender.get("first_name", "Luca")
        chat_type = sender.get("chat_type", "private")
        chat = self.add_chat(chat_id, first_name=first_name, chat_type=chat_type)
        user_id = sender.get("user_id") or abs(chat_id)
        user = self._user(user_id, first_name, sender.get("language_code", "it"))
        reply_to = sender.get("reply_to")
        extra = {"reply_to_message": self._existing(chat_id, reply_to).raw} if reply_to else {}
        message = self._store(chat, user, {**content, **extra}, via="user")
        return self._push({"message": message.raw})

    def _existing(self, chat_id: int, message_id: int | None) -> ChatMessage:
        message = self.messages[chat_id].get(message_id or 0)
        if message is None or message.deleted:
            raise AssertionError(f"no message {message_id} in chat {chat_id}")
        return message

    def _store(
        self,
        chat: dict[str, Any],
        sender: dict[str, Any],
        content: dict[str, Any],
        *,
        via: str,
        html: str | None = None,
    ) -> ChatMessage:
        chat_id = chat["id"]
        message_id = self._next_message_id[chat_id]
        self._next_message_id[chat_id] += 1
        raw = {
            "message_id": message_id,
            "from": sender,
            "chat": chat,
            "date": int(time.time()),
            **content,
        }
        message = ChatMessage(chat_id, message_id, sender.get("is_bot", False), raw, via, html)
        self.messages[chat_id][message_id] = message
        return message

    def _writable_chat(self, chat_id: Any) -> dict[str, Any]:
        chat = self.chats.get(chat_id) if isinstance(chat_id, int) else None
        if chat is None:
            raise bad_request("chat not found")
        if chat_id in self._blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat

    def _bot_message(
        self,
        params: dict[str, Any],
        content: dict[str, Any],
        *,
        via: str,
        html: str | None = None,
    ) -> dict[str, Any]:
        chat = self._writable_chat(params.get("chat_id"))
        reply_to = (params.get("reply_parameters") or {}).get("message_id") or params.get(
            "reply_to_message_id"
        )
        if reply_to:
            target = self.messages[chat["id"]].get(reply_to)
            if target is None or target.deleted:
                raise bad_request("message to be replied not found")
            content = {**content, "reply_to_message": target.raw}
        markup = _inline_keyboard(params.get("reply_markup"))
        if markup:
            content = {**content, "reply_markup": markup}
        return self._store(chat, BOT_USER, content, via=via, html=html).raw

    def _text_content(self, params: dict[str, Any], key: str, limit: int) -> dict[str, Any]:
        if params.get(key) is None:
            return {}
        text = visible_text(str(params[key]), params.get("parse_mode")).strip()  # as Telegram
        if key == "text" and not text.strip():
            raise bad_request("message text is empty")
        if len(text) > limit:
            raise bad_request(f"message {'is' if key == 'text' else 'caption is'} too long")
        return {key: text}

    def _html(self, params: dict[str, Any], key: str) -> str | None:
        return params.get(key) if (params.get("parse_mode") or "").upper() == "HTML" else None

    def _media(self, params: dict[str, Any], files: dict[str, bytes], kind: str) -> dict[str, Any]:
        """A photo/voice/document given by file id, URL or upload; uploads become files."""
        value = params.get(kind)
        content = files.get(kind)
        if isinstance(value, str) and value.startswith("attach://"):
            content = files.get(value.removeprefix("attach://"))
        if content is not None:
            value = f"bot-{kind}-{len(self.files) + 1}"
            self._register_file(value, f"{kind}/{value}", content)
        if not value:
            raise bad_request(f"there is no {kind} in the request")
        if kind == "photo":
            return {"photo": [_file_object(value, width=1280, height=960)]}
        if kind == "voice":
            return {"voice": _file_object(value, duration=int(params.get("duration") or 1))}
        return {"document": _file_object(value)}

    # ------------------------------------------------------------------- methods

    def _get_me(self, *_: Any) -> dict[str, Any]:
        return BOT_USER

    async def _delete_webhook(self, params: dict[str, Any], _: Any) -> bool:
        self.webhook_url = ""
        await self._stop_webhook_delivery()
        if params.get("drop_pending_updates"):
            self._confirm(max(self._updates, default=0) + 1)
        return True

    async def _set_webhook(self, params: dict[str, Any], _: Any) -> bool:
        await self._delete_webhook(params, None)
        self.webhook_url = str(params.get("url", ""))
        if params.get("allowed_updates") is not None:
            self._allowed_updates = frozenset(params["allowed_updates"])
        if self.webhook_url:
            self._webhook_task = asyncio.create_task(
                self._deliver_to_webhook(self.webhook_url, params.get("secret_token"))
            )
        return True

    def _get_webhook_info(self, *_: Any) -> dict[str, Any]:
        return {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._queue),
        }

    @staticmethod
    def _commands_key(params: dict[str, Any]) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        return scope.get("type", "default"), params.get("language_code") or ""

    def _set_my_commands(self, params: dict[str, Any], _: Any) -> bool:
        self.commands[self._commands_key(params)] = list(params.get("commands") or [])
        return True

    def _delete_my_commands(self, params: dict[str, Any], _: Any) -> bool:
        self.commands.pop(self._commands_key(params), None)
        return True

    def _send_message(self, params: dict[str, Any], _: Any) -> dict[str, Any]:
        if params.get("text") is None:
            raise bad_request("message text is empty")
        content = self._text_content(params, "text", MAX_TEXT_CHARS)
        html = self._html(params, "text")
        return self._bot_message(params, content, via="sendMessage", html=html)

    def _send_photo(self, params: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        return self._send_media(params, files, "photo", "sendPhoto")

    def _send_voice(self, params: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        return self._send_media(params, files, "voice", "sendVoice")

    def _send_document(self, params: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        return self._send_media(params, files, "document", "sendDocument")

    def _send_media(
        self, params: dict[str, Any], files: dict[str, bytes], kind: str, via: str
    ) -> dict[str, Any]:
        content = {
            **self._media(params, files, kind),
            **self._text_content(params, "caption", MAX_CAPTION_CHARS),
        }
        return self._bot_message(params, content, via=via, html=self._html(params, "caption"))

    def _send_chat_action(self, params: dict[str, Any], _: Any) -> bool:
        self._writable_chat(params.get("chat_id"))
        return True

    def _editable(self, params: dict[str, Any]) -> ChatMessage:
        message = self.messages[params.get("chat_id")].get(params.get("message_id"))
        if message is None or message.deleted:
            raise bad_request("message to edit not found")
        if not message.from_bot:
            raise bad_request("message can't be edited")
        return message

    def _apply_edit(self, message: ChatMessage, changes: dict[str, Any]) -> dict[str, Any]:
        markup = changes.pop("reply_markup", None)
        new_raw = {**message.raw, **changes, "edit_date": int(time.time())}
        new_raw.pop("reply_markup", None)
        if markup:
            new_raw["reply_markup"] = markup
        unchanged = all(
            new_raw.get(k) == message.raw.get(k) for k in ("text", "caption", "reply_markup")
        )
        if unchanged:
            raise bad_request(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        if new_raw.get("text") != message.raw.get("text") and message.text is not None:
            message.earlier_texts.append(message.text)
        message.raw = new_raw
        return new_raw

    def _edit_message_text(self, params: dict[str, Any], _: Any) -> dict[str, Any]:
        message = self._editable(params)
        if "text" not in message.raw:
            raise bad_request("there is no text in the message to edit")
        changes = {
            **self._text_content(params, "text", MAX_TEXT_CHARS),
            "reply_markup": _inline_keyboard(params.get("reply_markup")),
        }
        if "text" not in changes:
            raise bad_request("message text is empty")
        result = self._apply_edit(message, changes)
        message.html = self._html(params, "text")
        return result

    def _edit_message_reply_markup(self, params: dict[str, Any], _: Any) -> dict[str, Any]:
        message = self._editable(params)
        return self._apply_edit(
            message, {"reply_markup": _inline_keyboard(params.get("reply_markup"))}
        )

    def _answer_callback_query(self, params: dict[str, Any], _: Any) -> bool:
        callback_id = str(params.get("callback_query_id"))
        if callback_id not in self._open_callbacks:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        self._open_callbacks.discard(callback_id)
        self.callback_answers[callback_id] = params
        return True

    def _source(self, params: dict[str, Any], what: str) -> ChatMessage:
        source = self.messages[params.get("from_chat_id")].get(params.get("message_id"))
        if source is None or source.deleted:
            raise bad_request(f"message to {what} not found")
        return source

    def _copy_message(self, params: dict[str, Any], _: Any) -> dict[str, int]:
        source = self._source(params, "copy")
        content = {
            k: v
            for k, v in source.raw.items()
            if k
            in {"text", "caption", "photo", "voice", "document", "sticker", "location", "entities"}
        }
        if params.get("caption") is not None and "text" not in content:
            content.update(self._text_content(params, "caption", MAX_CAPTION_CHARS))
        message = self._bot_message(params, content, via="copyMessage")
        return {"message_id": message["message_id"]}

    def _forward_message(self, params: dict[str, Any], _: Any) -> dict[str, Any]:
        source = self._source(params, "forward")
        content = {
            k: v
            for k, v in source.raw.items()
            if k not in {"message_id", "from", "chat", "date", "reply_markup"}
        }
        content["forward_origin"] = {
            "type": "user",
            "sender_user": source.raw["from"],
            "date": source.raw["date"],
        }
        return self._bot_message(params, content, via="forwardMessage")

    def _get_file(self, params: dict[str, Any], _: Any) -> dict[str, Any]:
        file_id = str(params.get("file_id"))
        path = self._file_paths.get(file_id)
        if path is None:
            raise bad_request("invalid file_id")
        return _file_object(file_id, file_size=len(self.files[path]), file_path=path)

    def _delete_message(self, params: dict[str, Any], _: Any) -> bool:
        message = self.messages[params.get("chat_id")].get(params.get("message_id"))
        if message is None or message.deleted:
            raise bad_request("message to delete not found")
        message.deleted = True
        return True


def _file_object(file_id: str, **fields: Any) -> dict[str, Any]:
    return {"file_id": file_id, "file_unique_id": f"u-{file_id}", **fields}


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
