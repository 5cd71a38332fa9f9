"""`helpdesk demo`: the real conversation engine in a terminal, no Telegram token needed.

You type as a pupil (chat 1000) and see what the first volunteer of the rota would receive;
`/come volontario` and `/come alunno` switch sides. Buttons are printed numbered and typing
the number presses one of the last message's buttons (a terminal shows no older keyboard to
aim at); a number with no button behind it is refused, not sent as a message. `/foto`
sends a pretend photo from either side. The database is a throwaway SQLite file with the real
migrations, and the rota is the shipped one with its first volunteer on shift at a weekday morning
(the demo's clock starts there), so a question the FAQ cannot answer always pings someone.
Standard input is read line by line, so a script can pipe a conversation in.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import itertools
import re
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.actions import (
    Action,
    AnswerCallback,
    Button,
    Copy,
    Edit,
    Engine,
    Incoming,
    Kind,
    Send,
)
from bot.texts import Texts
from escalation.rota import Rota, Shift

PUPIL_CHAT = 1000
VOLUNTEER_CHAT = 2000
DEMO_LANGUAGE = "it"
BOT_USERNAME = "scuola_helpdesk_demo_bot"
# A Monday morning in Milan: the demo volunteer is on shift and nobody is in quiet hours.
DEMO_START = datetime(2026, 11, 30, 10, 0, tzinfo=ZoneInfo("Europe/Rome")).astimezone(UTC)
_TAG = re.compile(r"<[^>]+>")


def demo_clock() -> Callable[[], datetime]:
    """Real time elapsing from DEMO_START, so timestamps and timers still make sense."""
    started = time.monotonic()
    return lambda: DEMO_START + timedelta(seconds=time.monotonic() - started)


def first_volunteer_on_shift(rota: Rota) -> Rota:
    """The shipped rota plus a weekday-morning shift of its first volunteer."""
    code = rota.volunteers[0].code
    extra = tuple(Shift(day, 8 * 60, 20 * 60, (code,)) for day in range(5))
    return replace(rota, shifts=rota.shifts + extra)


def plain(text: str) -> str:
    """Telegram HTML as a terminal shows it."""
    return html.unescape(_TAG.sub("", text))


class ConsoleDemo:
    """Plays the Telegram adapter for two chats: the pupil's and the demo volunteer's."""

    def __init__(self, engine: Engine, texts: Texts, volunteer_name: str) -> None:
        self.engine = engine
        self.texts = texts
        self.volunteer_name = volunteer_name
        self.side = PUPIL_CHAT
        # chat -> (id of its last message, that message's buttons)
        self.keyboards: dict[int, tuple[int, list[Button]]] = {}
        self.written: dict[int, str] = {}  # message id -> what was typed (for copies)
        self.photos: dict[int, str | None] = {}  # message id of a pretend photo -> its caption
        self._ids = itertools.count(1)

    def say(self, key: str, **params: object) -> None:
        print(plain(self.texts.get(DEMO_LANGUAGE, key, **params)), flush=True)

    def intro(self) -> None:
        self.say("demo.intro", name=self.volunteer_name)

    async def line(self, typed: str) -> None:
        """One line of input: a side switch, a button number, a command or a message."""
        typed = typed.strip()
        if not typed:
            return
        if typed.lower() in ("/come volontario", "/come alunno"):
            self.side = VOLUNTEER_CHAT if typed.lower().endswith("volontario") else PUPIL_CHAT
            if self.side == VOLUNTEER_CHAT:
                self.say("demo.as_volunteer", name=self.volunteer_name)
            else:
                self.say("demo.as_pupil")
            return
        incoming = self._incoming(typed)
        if incoming is None:
            self.say("demo.no_button", number=typed)
            return
        await self._deliver(await self.engine.handle(incoming))
        await self._deliver(await self.engine.tick())

    def _incoming(self, typed: str) -> Incoming | None:
        """What typing `typed` sends; None for a number with no button behind it."""
        update_id, message_id = next(self._ids), next(self._ids)
        if typed.isdigit():
            message, buttons = self.keyboards.get(self.side, (0, []))
            number = int(typed)
            if not 1 <= number <= len(buttons):
                return None
            return Incoming(update_id, self.side, Kind.CALLBACK, message_id=message,
                            callback_data=buttons[number - 1].data, callback_id=str(update_id))
        if typed.startswith("/foto"):
            caption = typed.removeprefix("/foto").strip() or None
            self.photos[message_id] = caption
            return Incoming(update_id, self.side, Kind.PHOTO, message_id=message_id,
                            text=caption, file_id=f"demo-photo-{message_id}")
        self.written[message_id] = typed
        if typed.startswith("/"):
            name, _, rest = typed[1:].partition(" ")
            return Incoming(update_id, self.side, Kind.COMMAND, message_id=message_id,
                            command=name.split("@")[0].lower(), text=rest.strip())
        return Incoming(update_id, self.side, Kind.TEXT, message_id=message_id, text=typed)

    def _prefix(self, chat_id: int) -> str:
        if chat_id == VOLUNTEER_CHAT:
            return plain(self.texts.get(DEMO_LANGUAGE, "demo.to_volunteer",
                                        name=self.volunteer_name))
        return plain(self.texts.get(DEMO_LANGUAGE, "demo.to_pupil"))

    def _show(self, chat_id: int, text: str, buttons: list[Button]) -> None:
        prefix = self._prefix(chat_id)
        print("\n".join(f"{prefix} {line}" for line in plain(text).splitlines() or [""]))
        if buttons:
            print("    " + "  ".join(f"[{n}] {b.label}" for n, b in enumerate(buttons, 1)))
        sys.stdout.flush()

    def _copied(self, copy: Copy) -> str:
        """What a copy shows: the typed words, or a pretend photo with its caption."""
        if copy.message_id in self.photos:
            caption = copy.caption if copy.caption is not None else self.photos[copy.message_id]
            photo = plain(self.texts.get(DEMO_LANGUAGE, "demo.photo"))
            return "\n".join(filter(None, (photo, caption)))  # as Telegram shows it
        return "\n".join(filter(None, (copy.caption, self.written.get(copy.message_id, ""))))

    async def _deliver(self, actions: list[Action]) -> None:
        for action in actions:
            match action:
                case Send():
                    message_id = next(self._ids)
                    buttons = [b for row in action.buttons for b in row]
                    self._show(action.chat_id, action.text, buttons)
                    self.keyboards[action.chat_id] = (message_id, buttons)
                    if action.ping_offer_id is not None:
                        await self.engine.sent(action, message_id)
                case Edit():
                    edited = plain(self.texts.get(DEMO_LANGUAGE, "demo.edited"))
                    buttons = [b for row in action.buttons for b in row]
                    self._show(action.chat_id, f"{edited} {action.text}", buttons)
                    if self.keyboards.get(action.chat_id, (None,))[0] == action.message_id:
                        self.keyboards[action.chat_id] = (action.message_id, buttons)
                case Copy():
                    message_id = next(self._ids)
                    copied = plain(self.texts.get(DEMO_LANGUAGE, "demo.copied"))
                    self._show(action.to_chat_id, f"{copied} {self._copied(action)}", [])
                    self.keyboards[action.to_chat_id] = (message_id, [])
                    if action.ticket_id is not None:
                        await self.engine.sent(action, message_id)
                case AnswerCallback() if action.text:
                    self._show(self.side, action.text, [])  # a toast: the keyboard stays


async def _converse(database_url: str, kb: Path, rota_path: Path) -> int:
    from bot.engine.assemble import RotaFile, assemble
    from escalation.db import create_engine

    database = create_engine(database_url)
    try:
        rota = RotaFile(rota_path, adjust=first_volunteer_on_shift)
        parts = await assemble(database, kb_path=kb, rota=rota, bot_username=BOT_USERNAME,
                               clock=demo_clock())
        volunteer = rota().volunteers[0]
        await parts.service.link_volunteer(volunteer.code, VOLUNTEER_CHAT)
        demo = ConsoleDemo(parts.engine, parts.engine.deps.texts, volunteer.name)
        demo.intro()
        interactive = sys.stdin.isatty()
        while True:
            if interactive:
                print("> ", end="", flush=True)
            typed = await asyncio.to_thread(sys.stdin.readline)
            if not typed:
                return 0
            if not interactive and typed.strip():
                print(f"> {typed.strip()}", flush=True)
            await demo.line(typed)
    finally:
        await database.dispose()


def run_demo(args: argparse.Namespace) -> int:
    from escalation.migrations import upgrade
    from escalation.rota import SHIPPED_ROTA
    from knowledge_base.loader import SHIPPED_FAQ

    with tempfile.TemporaryDirectory(prefix="helpdesk-demo-") as directory:
        url = f"sqlite+aiosqlite:///{Path(directory) / 'demo.sqlite3'}"
        upgrade(url)
        return asyncio.run(_converse(url, args.kb or SHIPPED_FAQ, args.rota or SHIPPED_ROTA))


def configure_demo(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--kb", type=Path, default=None,
                        help="FAQ directory (default: the shipped FAQ)")
    parser.add_argument("--rota", type=Path, default=None,
                        help="volunteer rota file (default: the shipped rota)")
    parser.set_defaults(handler=run_demo)
