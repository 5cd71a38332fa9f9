"""The Telegram adapter alone: what reaches the engine and how its actions reach Telegram.

The engine here is a scripted fake (it implements the real `Engine` protocol and records what
it got), so these tests pin the adapter's own promises: every kind of update converted, long
texts split with the buttons last, copies never forwards, ids reported back, flood waits
retried, refusals and crashes logged without stopping the bot and without user text.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import pytest

from bot.actions import (
    Action,
    AnswerCallback,
    Button,
    Copy,
    Edit,
    Incoming,
    Keep,
    Kind,
    Send,
)
from bot.telegram.menu import load_menus
from tests.e2e.bot_harness import running_bot
from tests.e2e.fake_bot_api import BOT_USER, FakeBotApi

PUPIL = 1001
VOLUNTEER = 2002


class ScriptedEngine:
    """Answers each update with what `script` returns and remembers everything it saw."""

    def __init__(self, script: Callable[[Incoming], list[Action]] | None = None) -> None:
        self.script = script or (lambda incoming: [])
        self.incoming: list[Incoming] = []
        self.sent_ids: list[tuple[Send | Copy, int]] = []
        self.due: list[Action] = []  # what the next sweep returns
        self.sweep_fails = False  # the next sweep raises (the database went away, say)

    async def handle(self, incoming: Incoming, keep: Keep | None = None) -> list[Action]:
        self.incoming.append(incoming)
        return self.script(incoming)  # never keeps: the adapter then stores the replies itself

    async def tick(self) -> list[Action]:
        if self.sweep_fails:
            self.sweep_fails = False
            raise ConnectionError("database unreachable")
        due, self.due = self.due, []
        return due

    async def sent(self, action: Send | Copy, message_id: int) -> list[Action]:
        self.sent_ids.append((action, message_id))
        return []


def echo(incoming: Incoming) -> list[Action]:
    return [Send(incoming.chat_id, f"ok {incoming.kind}")]


async def test_every_kind_of_message_reaches_the_engine_as_plain_data(fake_bot_api: FakeBotApi):
    engine = ScriptedEngine(echo)
    async with running_bot(fake_bot_api, engine):
        fake_bot_api.user_sends(PUPIL, "il tablet non si accende", language_code="en")
        fake_bot_api.user_sends(PUPIL, f"/Start@{BOT_USER['username']}  codice 42 ")
        fake_bot_api.user_sends(PUPIL, "/aiuto")
        fake_bot_api.user_sends_photo(PUPIL, "photo-big", caption="schermo rotto")
        fake_bot_api.user_sends_voice(PUPIL, "voice-1")
        fake_bot_api.user_sends_document(PUPIL, "doc-1")
        fake_bot_api.user_sends_sticker(PUPIL, "sticker-1")
        fake_bot_api.user_sends_location(PUPIL)
        fake_bot_api.push_raw_update(
            {
                "message": {
                    "message_id": 99,
                    "date": 0,
                    "chat": {"id": PUPIL, "type": "private"},
                    "dice": {"emoji": "🎲", "value": 3},
                }
            }
        )
        await fake_bot_api.wait_for("sendMessage", count=9)

    got = engine.incoming
    assert [i.kind for i in got] == [
        Kind.TEXT,
        Kind.COMMAND,
        Kind.COMMAND,
        Kind.PHOTO,
        Kind.VOICE,
        Kind.DOCUMENT,
        Kind.STICKER,
        Kind.LOCATION,
        Kind.OTHER,
    ]
    assert got[0].text == "il tablet non si accende"
    assert got[0].language_code == "en"
    assert got[0].private is True
    assert (got[1].command, got[1].text) == ("start", "codice 42")
    assert (got[2].command, got[2].text) == ("aiuto", None)
    assert (got[3].file_id, got[3].text) == ("photo-big", "schermo rotto")  # the largest size
    assert [i.file_id for i in got[4:7]] == ["voice-1", "doc-1", "sticker-1"]
    assert len({i.update_id for i in got}) == 9
    assert all(i.chat_id == PUPIL and i.message_id for i in got)


async def test_a_button_press_carries_its_data_and_the_message_it_was_on(
    fake_bot_api: FakeBotApi,
):
    def script(incoming: Incoming) -> list[Action]:
        if incoming.kind is Kind.CALLBACK:
            assert incoming.callback_id is not None
            return [AnswerCallback(incoming.callback_id, "grazie")]
        return [Send(incoming.chat_id, "Scegli:", ((Button("Sì", "yes:1"), Button("No", "no:1")),))]

    engine = ScriptedEngine(script)
    async with running_bot(fake_bot_api, engine):
        fake_bot_api.user_sends(PUPIL, "ciao")
        await fake_bot_api.wait_for("sendMessage")
        (menu,) = fake_bot_api.sent_to(PUPIL)
        assert menu.buttons == [[("Sì", "yes:1"), ("No", "no:1")]]
        fake_bot_api.user_presses(PUPIL, menu.message_id, "no:1")
        await fake_bot_api.wait_for("answerCallbackQuery")

    press = engine.incoming[-1]
    assert (press.kind, press.callback_data, press.message_id) == (
        Kind.CALLBACK,
        "no:1",
        menu.message_id,
    )
    assert [answer["text"] for answer in fake_bot_api.callback_answers.values()] == ["grazie"]


async def test_in_groups_only_commands_for_this_bot_reach_the_engine(fake_bot_api: FakeBotApi):
    engine = ScriptedEngine()
    group = -5005
    async with running_bot(fake_bot_api, engine):
        fake_bot_api.user_sends(group, "/start@another_bot", chat_type="group")
        fake_bot_api.user_sends(group, f"/start@{BOT_USER['username']}", chat_type="group")
        await fake_bot_api.wait_for("getUpdates", lambda r: r.params.get("offset", 0) >= 3)

    assert [(i.command, i.private) for i in engine.incoming] == [("start", False)]


async def test_a_long_answer_is_split_at_paragraphs_with_the_buttons_on_the_last_part(
    fake_bot_api: FakeBotApi,
):
    steps = " ".join(["Tieni premuto il tasto."] * 40)
    paragraphs = [f"<b>Passo {n}</b>\n{steps}" for n in range(12)]
    long_text = "\n\n".join(paragraphs)
    assert len(long_text) > 2 * 4096
    buttons = ((Button("Risolto", "solved:1"),),)

    def script(incoming: Incoming) -> list[Action]:
        return [Send(incoming.chat_id, long_text, buttons, reply_to_message_id=incoming.message_id)]

    async with running_bot(fake_bot_api, ScriptedEngine(script)):
        fake_bot_api.user_sends(PUPIL, "istruzioni")
        await fake_bot_api.wait_for("sendMessage", count=3)

    parts = fake_bot_api.sent_to(PUPIL)
    assert len(parts) == 3
    assert all(len(part.text or "") <= 4096 for part in parts)
    assert [bool(part.buttons) for part in parts] == [False, False, True]
    assert "reply_to_message" in parts[0].raw and "reply_to_message" not in parts[1].raw
    assert "\n\n".join(part.html or "" for part in parts) == long_text  # cut between paragraphs


async def test_pings_and_relays_report_their_message_ids_and_copies_are_never_forwards(
    fake_bot_api: FakeBotApi,
):
    fake_bot_api.add_chat(VOLUNTEER)

    def script(incoming: Incoming) -> list[Action]:
        if incoming.kind is Kind.PHOTO:
            assert incoming.message_id is not None
            return [Copy(PUPIL, incoming.message_id, VOLUNTEER, "T-0001", ticket_id=1)]
        return [Send(VOLUNTEER, "Nuova richiesta", ((Button("Prendo", "take:1"),),), 7)]

    engine = ScriptedEngine(script)
    async with running_bot(fake_bot_api, engine):
        fake_bot_api.user_sends(PUPIL, "aiuto")
        fake_bot_api.user_sends_photo(PUPIL, "screen-1", caption="mio nome è Luca")
        await fake_bot_api.wait_for("copyMessage")

    ping, copy = fake_bot_api.sent_to(VOLUNTEER)
    assert engine.sent_ids == [
        (Send(VOLUNTEER, "Nuova richiesta", ((Button("Prendo", "take:1"),),), 7), ping.message_id),
        (Copy(PUPIL, 2, VOLUNTEER, "T-0001", ticket_id=1), copy.message_id),
    ]
    assert copy.raw["photo"][-1]["file_id"] == "screen-1"
    assert copy.text == "T-0001"  # the caption is replaced: the pupil's words stay private
    assert "forward_origin" not in copy.raw
    assert not fake_bot_api.calls("forwardMessage")


async def test_a_redelivered_update_reaches_the_engine_with_the_same_update_id(
    fake_bot_api: FakeBotApi,
):
    engine = ScriptedEngine(echo)
    async with running_bot(fake_bot_api, engine):
        first = fake_bot_api.user_sends(PUPIL, "ciao")
        await fake_bot_api.wait_for("sendMessage")
        fake_bot_api.redeliver(first)
        await fake_bot_api.wait_for("sendMessage", count=2)

    assert [i.update_id for i in engine.incoming] == [first, first]


async def test_an_unchanged_edit_and_a_refused_send_do_not_stop_the_next_actions(
    fake_bot_api: FakeBotApi,
):
    def script(incoming: Incoming) -> list[Action]:
        if incoming.text == "primo":
            return [Send(PUPIL, "Richiesta presa", ((Button("Lascia", "release:1"),),))]
        first = fake_bot_api.sent_to(PUPIL)[0]
        return [
            Edit(PUPIL, first.message_id, "Richiesta presa", ((Button("Lascia", "release:1"),),)),
            Send(424242, "a chat that never talked to the bot"),
            Edit(PUPIL, first.message_id, "Presa da un altro volontario"),
            Send(PUPIL, "fatto"),
        ]

    async with running_bot(fake_bot_api, ScriptedEngine(script)):
        fake_bot_api.user_sends(PUPIL, "primo")
        await fake_bot_api.wait_for("sendMessage")
        fake_bot_api.user_sends(PUPIL, "secondo")
        await fake_bot_api.wait_for("sendMessage", lambda r: r.text == "fatto")

    first = fake_bot_api.sent_to(PUPIL)[0]
    assert first.text == "Presa da un altro volontario"
    assert first.buttons == []  # an edit without buttons takes the old ones away
    assert [r.status for r in fake_bot_api.calls("editMessageText")] == [400, 200]


async def test_a_flood_wait_is_retried_and_the_message_arrives_once(fake_bot_api: FakeBotApi):
    fake_bot_api.fail_next("sendMessage", status=429, retry_after=1)
    async with running_bot(fake_bot_api, ScriptedEngine(echo)):
        fake_bot_api.user_sends(PUPIL, "ciao")
        await fake_bot_api.wait_for("sendMessage", lambda r: r.status == 200)

    assert [r.status for r in fake_bot_api.calls("sendMessage")] == [429, 200]
    assert [m.text for m in fake_bot_api.sent_to(PUPIL)] == ["ok text"]


async def test_a_crash_in_the_engine_is_logged_without_user_text_and_the_bot_carries_on(
    fake_bot_api: FakeBotApi, caplog: pytest.LogCaptureFixture
):
    secret = "mi chiamo Giulia Rossi e abito in via Roma 3"

    def script(incoming: Incoming) -> list[Action]:
        if incoming.text == secret:
            raise KeyError(secret)
        return echo(incoming)

    chat_id = 73_519_246  # distinctive, to be sure it appears nowhere in the logs
    caplog.set_level(logging.INFO)
    async with running_bot(fake_bot_api, ScriptedEngine(script)):
        fake_bot_api.user_sends(chat_id, secret)
        fake_bot_api.user_sends(chat_id, "ciao")
        await fake_bot_api.wait_for("sendMessage")

    assert [m.text for m in fake_bot_api.sent_to(chat_id)] == ["ok text"]
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert "KeyError" in errors[0].getMessage() and "chat-" in errors[0].getMessage()
    assert "Giulia" not in caplog.text and str(chat_id) not in caplog.text


async def test_the_shipped_command_menus_are_set_per_language_with_italian_as_default(
    fake_bot_api: FakeBotApi,
):
    async with running_bot(fake_bot_api, ScriptedEngine(), menus=load_menus()):
        pass

    italian = fake_bot_api.commands[("default", "it")]
    assert {"command": "aiuto", "description": "Parla con un volontario"} in italian
    assert fake_bot_api.commands[("default", "")] == italian
    assert {c["command"] for c in fake_bot_api.commands[("default", "en")]} >= {"start", "help"}


async def test_the_sweeper_job_delivers_on_its_timer_and_outlives_a_failed_sweep(
    fake_bot_api: FakeBotApi, caplog: pytest.LogCaptureFixture
):
    fake_bot_api.add_chat(VOLUNTEER)
    engine = ScriptedEngine()
    engine.sweep_fails = True
    async with running_bot(fake_bot_api, engine, tick_seconds=0.1):
        engine.due = [Send(VOLUNTEER, "Richiesta T-0001 ancora aperta")]
        await fake_bot_api.wait_for("sendMessage")

    assert [m.text for m in fake_bot_api.sent_to(VOLUNTEER)] == ["Richiesta T-0001 ancora aperta"]
    (failure,) = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert failure.getMessage().startswith("Job escalation-sweep failed: ConnectionError")


async def test_chats_are_handled_at_the_same_time_each_in_its_own_order(
    fake_bot_api: FakeBotApi,
):
    """A slow update (a slow database, Telegram slow to take a reply) holds back the later
    updates of its own chat, never another chat's."""
    release = asyncio.Event()
    started: list[str | None] = []

    class SlowOnRequest(ScriptedEngine):
        async def handle(self, incoming: Incoming, keep: Keep | None = None) -> list[Action]:
            started.append(incoming.text)
            if incoming.text == "slow":
                await release.wait()
            return [Send(incoming.chat_id, f"ok {incoming.text}")]

    async with running_bot(fake_bot_api, SlowOnRequest()):
        fake_bot_api.user_sends(PUPIL, "slow")
        fake_bot_api.user_sends(PUPIL, "then this")
        fake_bot_api.user_sends(VOLUNTEER, "meanwhile")
        await fake_bot_api.wait_for("sendMessage", lambda r: r.chat_id == VOLUNTEER)
        assert started == ["slow", "meanwhile"]  # the pupil's second waits for the first
        release.set()
        await fake_bot_api.wait_for("sendMessage", lambda r: r.chat_id == PUPIL, count=2)

    assert [m.text for m in fake_bot_api.sent_to(PUPIL)] == ["ok slow", "ok then this"]
    assert started == ["slow", "meanwhile", "then this"]
