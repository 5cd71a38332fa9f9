"""Drive the real engine on the real escalation service, as the Telegram adapter would.

`Chat` plays the adapter's part: it numbers updates and messages, keeps what each chat
received, reports ping and relay message ids back through `Engine.sent`, and presses buttons
by their label (so a test reads like a conversation).
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass, field, replace
from pathlib import Path

from bot.actions import Action, AnswerCallback, Button, Copy, Edit, Incoming, Kind, Send
from bot.engine.core import ConversationEngine
from bot.engine.deps import Deps, Knowledge, Matching
from bot.engine.schools import load_schools
from bot.flood import MAX_MESSAGE_CHARS, FloodControl
from bot.safeguarding import (
    HELPLINES,
    SAFETY_DATA,
    SafeguardingDetector,
    keep_small_words_tokenizer,
    load_helplines,
)
from bot.texts import Texts
from knowledge_base.loader import SHIPPED_FAQ, load_kb
from knowledge_base.matcher import Matcher
from knowledge_base.model import KnowledgeBase
from tests.conftest import Desk

PUPIL = 1  # chat ids of pupils are small; volunteers are 1001.., the coordinator 9001


@functools.cache
def shipped_knowledge() -> tuple[KnowledgeBase, Matching]:
    kb = load_kb(SHIPPED_FAQ)
    return kb, Matcher.build(kb)


@functools.cache
def safeguarding() -> SafeguardingDetector:
    return SafeguardingDetector.load(SAFETY_DATA, keep_small_words_tokenizer())


def make_deps(desk: Desk, **overrides: object) -> Deps:
    deps = Deps(
        store=desk.users,
        escalation=desk.service,
        knowledge=Knowledge(shipped_knowledge),
        texts=Texts.load(),
        safeguarding=safeguarding(),
        flood=FloodControl(),
        schools=load_schools(),
        helplines=load_helplines(HELPLINES),
        bot_username="scuola_test_bot",
        clock=desk.clock,
        max_message_chars=MAX_MESSAGE_CHARS,
    )
    return replace(deps, **overrides)


@dataclass
class Received:
    message_id: int
    action: Send | Copy | Edit

    @property
    def text(self) -> str:
        if isinstance(self.action, Copy):
            return self.action.caption or ""
        return self.action.text

    @property
    def buttons(self) -> list[Button]:
        if isinstance(self.action, Copy):
            return []
        return [b for row in self.action.buttons for b in row]


@dataclass
class World:
    """The engine plus every chat's inbox; ids are numbered like Telegram numbers them."""

    engine: ConversationEngine
    inbox: dict[int, list[Received]] = field(default_factory=dict)
    toasts: list[AnswerCallback] = field(default_factory=list)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(100))

    def next_id(self) -> int:
        return next(self._ids)

    async def deliver(self, actions: list[Action]) -> list[Action]:
        for action in actions:
            match action:
                case AnswerCallback():
                    self.toasts.append(action)
                case Edit():
                    box = self.inbox.setdefault(action.chat_id, [])
                    box[:] = [Received(r.message_id, action) if r.message_id == action.message_id
                              else r for r in box]
                case Send():
                    received = Received(self.next_id(), action)
                    self.inbox.setdefault(action.chat_id, []).append(received)
                    if action.ping_offer_id is not None:
                        await self.engine.sent(action, received.message_id)
                case Copy():
                    received = Received(self.next_id(), action)
                    self.inbox.setdefault(action.to_chat_id, []).append(received)
                    if action.ticket_id is not None:
                        await self.engine.sent(action, received.message_id)
        return actions

    async def incoming(self, chat_id: int, kind: Kind, **fields: object) -> list[Action]:
        message = Incoming(self.next_id(), chat_id, kind, message_id=self.next_id(), **fields)
        return await self.deliver(await self.engine.handle(message))

    async def say(self, chat_id: int, text: str, **fields: object) -> list[Action]:
        return await self.incoming(chat_id, Kind.TEXT, text=text, **fields)

    async def command(self, chat_id: int, name: str, args: str = "") -> list[Action]:
        return await self.incoming(chat_id, Kind.COMMAND, command=name, text=args)

    async def press(self, chat_id: int, label: str) -> list[Action]:
        """Press the newest button in `chat_id` whose label contains `label`."""
        for received in reversed(self.inbox.get(chat_id, [])):
            for button in received.buttons:
                if label in button.label:
                    return await self.incoming(
                        chat_id, Kind.CALLBACK, callback_data=button.data,
                        callback_id=str(self.next_id()),
                    )
        raise AssertionError(f"no button {label!r} in chat {chat_id}: {self.texts(chat_id)}")

    def texts(self, chat_id: int) -> list[str]:
        return [r.text for r in self.inbox.get(chat_id, [])]

    def last(self, chat_id: int) -> Received:
        return self.inbox[chat_id][-1]

    def clear(self) -> None:
        self.inbox.clear()
        self.toasts.clear()


def world(desk: Desk, **overrides: object) -> World:
    return World(ConversationEngine(make_deps(desk, **overrides)))


# A small KB whose decisions do not move when the shipped FAQ or the thresholds are tuned:
# exact phrasings are answered, "wifi lento" is between two entries, nonsense escalates.
SMALL_KB = """\
category: tablet
entries:
  - id: tablet-no-power
    title: {it: Il tablet non si accende, en: The tablet won't turn on}
    questions:
      it: [il tablet non si accende, schermo nero non parte]
      en: [my tablet won't turn on]
    answer:
      it: "**Tieni premuto** il tasto di accensione per 15 secondi."
      en: "**Hold** the power button for 15 seconds."
  - id: tablet-not-charging
    title: {it: Il tablet non si carica, en: The tablet doesn't charge}
    questions:
      it: [il tablet non si carica, la batteria del tablet non si ricarica]
      en: [my tablet doesn't charge]
    answer:
      it: Prova un altro caricatore.
      en: Try another charger.
  - id: wifi-home
    category: connectivity
    title: {it: Wifi lento a casa, en: Slow wifi at home}
    questions:
      it: [il wifi è lento a casa]
    answer:
      it: Spegni e riaccendi il router di casa.
  - id: wifi-school
    category: connectivity
    title: {it: Wifi lento a scuola, en: Slow wifi at school}
    questions:
      it: [il wifi è lento a scuola]
    answer:
      it: Avvicinati all'antenna della classe.
  - id: screen-broken
    title: {it: Schermo rotto, en: Broken screen}
    questions:
      it: [lo schermo è rotto, ho rotto lo schermo]
    answer:
      it: Non usarlo, potresti tagliarti. Un volontario ti aiuta a ripararlo.
    escalate: true
"""


def write_kb(root: Path, body: str = SMALL_KB) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "entries.yaml").write_text(body, encoding="utf-8")
    return root


def small_world(desk: Desk, tmp_path: Path) -> World:
    """The engine on SMALL_KB (in `tmp_path/kb`, so a test may break it and /reload)."""
    return world(desk, knowledge=Knowledge.from_path(write_kb(tmp_path / "kb")))
