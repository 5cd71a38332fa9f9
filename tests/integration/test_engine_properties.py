"""Whatever arrives, the real engine answers calmly, at most once, and only to known chats.

Hypothesis plays short conversations (up to eight updates) between two fresh pupils, two
volunteers and the coordinator: arbitrary Unicode (right-to-left marks, zero-width joiners,
emoji, control characters), texts around and far over the length limit, empty texts, every
`Kind` with odd or missing fields, commands with odd arguments, garbled, forged and over-long
callback data, and presses of buttons the bot really sent, in the chat that got them (so the
conversations reach tickets, takes, relays and ratings) or in another one. After every update:

- nothing escapes `handle`, and the global error handler was not needed (no "Handling update
  ... failed" log record and no "something went wrong" reply): odd input is a normal case;
- the chat that wrote gets at most ONE reply, where a reply is a `Send` to that chat in the
  engine's own words. Not replies, so not counted: volunteer pings (`Send.ping_offer_id`),
  the escalation service's ticket notices (`ticket.opened`, `ticket.assigned` ... recognised by
  their templates; they come with an answer, e.g. after a safeguarding reply or an
  `escalate: true` answer), relayed messages (`Copy`, and the "T-0001 · utente-..." header
  before a copied text), the lead-in "Let's try something else:" before the next answer, and
  the safeguarding reply with the helplines, which comes before the message's usual handling
  (in a ticket nobody has taken yet, "I added your message to T-0001").
  `Edit`s change a message already sent and are not new messages either;
- a button press is answered at most once, and an update without a callback id never is;
- every message goes to a chat that has written to the bot or to a linked volunteer, never
  to a chat id taken from the input.

Each example uses pupils it has never seen, on one database shared by the examples (SQLite and
PostgreSQL), instead of creating a database each time. The volunteers and the coordinator
carry their tickets from one example to the next, as through a working day, so a failure may
depend on earlier examples: Hypothesis then reports it as flaky, which still fails the test.
"""

from __future__ import annotations

import itertools
import logging
import re
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.actions import Action, AnswerCallback, Copy, Edit, Incoming, Kind, Send
from bot.engine.callbacks import MAX_BYTES, Press
from tests.conftest import Desk, volunteer_chat
from tests.integration.engine_harness import World, small_world

COORDINATOR = 9001
VOLUNTEERS = (volunteer_chat(1), volunteer_chat(2))
STAFF = (*VOLUNTEERS, COORDINATOR)
FRESH_PUPILS = itertools.count(200_000, 10)  # each example's pupils: chat ids nobody used yet

# Keys of the texts that accompany a reply rather than being one (see the module docstring).
COMPANION_KEYS = (
    "ticket.opened",
    "ticket.waiting_until",
    "ticket.assigned",
    "ticket.released",
    "ticket.resolved",
    "ticket.closed_by_coordinator",
    "coordinators.unanswered",
    "volunteer.from_user",
    "question.try_next",
    "safety.reply",
)

SPECIAL = (
    "\u202e", "\u200f", "\u061c",  # right-to-left override and marks
    "\u200b", "\u200c", "\u200d", "\ufeff",  # zero-width space, (non-)joiners, BOM
    "🙂", "👩‍👩‍👧‍👦", "🇮🇹", "\U0001f3f3\ufe0f\u200d\U0001f308",  # emoji, ZWJ sequences, a flag
    "\x00", "\x07", "\x1b[31m", "\r\n", "\t", "\x7f", "\u0085", "\u2028",  # control, breaks
    "<b>", "</i>", "&amp;", "<a href='x'>", "{number}", "%s", "\\",  # markup and templates
    "مرحبا", "שלום", "Ñandú", "Ω", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "ﬁ", "ǅ",  # scripts, ligatures, titlecase
)
PHRASES = (
    "il tablet non si accende",  # answered by the FAQ
    "il wifi è lento",  # between two entries: clarify buttons
    "lo schermo è rotto",  # an `escalate: true` answer opens a ticket at once
    "xyzzy plugh",  # no match: a hand-over
    "voglio parlare con qualcuno",
    "papà mi picchia",  # safeguarding: helplines and an urgent ticket
    "console",  # narrows the school list while choosing one
    "boh",
)
COMMANDS = (
    "start", "impostazioni", "settings", "aiuto", "help", "privacy", "cancella", "forget",
    "volunteer", "volontario", "chiudi", "close", "pausa", "pause", "riprendo", "resume",
    "miei", "mine", "ticket", "stats", "reload", "nonrisposte", "blocca", "sblocca",
)

odd_text = st.lists(
    st.text(max_size=40) | st.sampled_from(SPECIAL) | st.sampled_from(PHRASES), max_size=8
).map("".join)
huge_text = st.builds(
    lambda unit, times: unit * times,
    st.sampled_from(("a", "è", "🙂", "\u200b", "ab ", "مرحبا ")),
    st.integers(300, 2100),
)
any_text = st.none() | st.just("") | odd_text | huge_text | st.sampled_from(PHRASES)
ticket_number = st.integers(0, 10**10).map(lambda n: f"T-{n:04d}")
command_args = (
    st.none() | st.just("") | odd_text | ticket_number | ticket_number.map(str.lower)
    | st.sampled_from(("T-0001", "T-0002", " t-0001 ", "T-", "T-0001 T-0002", "V999"))
)
packed_looking = st.builds(
    lambda prefix, fields: ":".join((prefix, *fields)),
    st.sampled_from([p.value for p in Press] + ["", "take ", "TAKE"]),
    st.lists(
        st.integers(-5, 10**13).map(str) | ticket_number
        | st.sampled_from(("ok", "no", "human", "none", "y", "n", "skip", "it", "en", "pupil",
                           "teacher", "0-0000", "3-ffff", "", "-1", "1e3", "٣")),
        max_size=4,
    ),
)
callback_data = (
    st.none() | st.just("") | packed_looking | st.text(max_size=80)
    | st.binary(max_size=80).map(lambda b: b.decode("latin-1"))
    | st.text(min_size=MAX_BYTES, max_size=300)
)
small_id = st.none() | st.integers(-(2**31), 2**31) | st.integers(0, 2**63 - 1)


@dataclass(frozen=True)
class Step:
    """One update: who sends it and what; `press` picks one of the buttons they received
    (or, with `steal`, a button anyone received: data copied from another's message)."""

    actor: int  # 0, 1: the example's pupils; 2, 3: volunteers; 4: the coordinator
    kind: Kind
    fields: dict[str, Any]
    press: int | None = None
    steal: bool = False


steps = st.builds(
    Step,
    actor=st.integers(0, 4),
    kind=st.sampled_from(Kind),
    fields=st.fixed_dictionaries(
        {},
        optional={
            "text": any_text,
            "command": st.sampled_from(COMMANDS) | st.text(max_size=20),
            "callback_data": callback_data,
            "callback_id": st.none() | st.text(max_size=10),
            "message_id": small_id,
            "reply_to_message_id": small_id,
            "file_id": st.none() | st.text(max_size=30),
            "language_code": st.none() | st.sampled_from(("it", "en", "en-GB", "xx", "")),
            "private": st.booleans(),
        },
    ),
    press=st.none() | st.integers(0, 20),
    steal=st.booleans(),
)
conversations = st.lists(steps, min_size=1, max_size=8)


class Failures(logging.Handler):
    """Records of the engine's global error handler: odd input must never need it."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def companion_patterns(chat: World) -> list[re.Pattern[str]]:
    texts = chat.engine.deps.texts
    patterns = []
    for lang in texts.languages:
        for key in COMPANION_KEYS:
            parts = string.Formatter().parse(texts.templates[lang][key])
            regex = "".join(re.escape(literal) + (".*?" if field else "")
                            for literal, field, _, _ in parts)
            patterns.append(re.compile(regex, re.DOTALL))
    return patterns


def replies_to(chat_id: int, actions: list[Action], companions: list[re.Pattern[str]]) -> list:
    """The engine's own-words messages to `chat_id` (see the module docstring)."""
    return [
        a for a in actions
        if isinstance(a, Send) and a.chat_id == chat_id and a.ping_offer_id is None
        and not any(p.fullmatch(a.text) for p in companions)
    ]


def incoming_for(chat: World, chat_id: int, step: Step) -> Incoming:
    fields = dict(step.fields)
    kind = step.kind
    inboxes = chat.inbox.values() if step.steal else [chat.inbox.get(chat_id, [])]
    buttons = [b for inbox in inboxes for r in inbox for b in r.buttons]
    if step.press is not None and buttons:  # a real button, pressed as Telegram would send it
        kind = Kind.CALLBACK
        fields["callback_data"] = buttons[step.press % len(buttons)].data
        fields.setdefault("callback_id", str(chat.next_id()))
    fields.setdefault("message_id", chat.next_id())
    if not fields.get("private", True):
        chat_id = -chat_id  # groups have negative ids
    return Incoming(chat.next_id(), chat_id, kind, **fields)


async def check_conversation(
    chat: World, linked: set[int], conversation: list[Step], failures: Failures
) -> None:
    first = next(FRESH_PUPILS)
    chats = (first, first + 1, *STAFF)
    known = {*linked, *chat.inbox}
    companions = companion_patterns(chat)
    error_text = chat.engine.deps.texts.get("it", "common.error")
    for step in conversation:
        incoming = incoming_for(chat, chats[step.actor], step)
        known.add(incoming.chat_id)
        actions = await chat.deliver(await chat.engine.handle(incoming))

        assert not failures.records, failures.records[0].getMessage()
        assert all(getattr(a, "text", None) != error_text for a in actions)
        assert len(replies_to(incoming.chat_id, actions, companions)) <= 1, actions
        toasts = [a for a in actions if isinstance(a, AnswerCallback)]
        assert len(toasts) <= (0 if incoming.callback_id is None else 1), actions
        assert all(t.callback_id == incoming.callback_id for t in toasts)
        for action in actions:
            if isinstance(action, Send | Edit):
                assert action.chat_id in known, action
            elif isinstance(action, Copy):
                assert {action.from_chat_id, action.to_chat_id} <= known, action


@pytest.fixture
def chat(desk: Desk, tmp_path: Path) -> World:
    """One engine for all the examples of a test (Hypothesis reuses function fixtures)."""
    return small_world(desk, tmp_path)


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(conversation=conversations)
@example(conversation=[  # a safeguarding text on a sticker, in a ticket: relayed as text
    Step(0, Kind.TEXT, {"text": "xyzzy plugh"}),
    Step(0, Kind.TEXT, {"text": "la lavagna fischia"}),
    Step(0, Kind.STICKER, {"text": "papà mi picchia", "file_id": "sticker"}),
])
async def test_any_conversation_gets_calm_single_replies(
    desk: Desk, chat: World, conversation: list[Step]
):
    linked = {volunteer_chat(n) for n in range(1, len(desk.rota.rota.volunteers) + 1)}
    failures = Failures()
    logging.getLogger("bot").addHandler(failures)
    try:
        await check_conversation(chat, {*linked, COORDINATOR}, conversation, failures)
    finally:
        logging.getLogger("bot").removeHandler(failures)

