"""A child's identity and words stay with the bot: pseudonyms, copies, /privacy, /cancella, logs.

Volunteers are students, not school staff: they see a pseudonym and the ticket, never the
pupil's Telegram chat id (which is also their user id) or name. Messages pass as copies,
which carry no "forwarded from" line. /cancella deletes what a pupil wrote, keeping counts.
"""

from __future__ import annotations

import dataclasses
import logging
import typing
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.actions import Action, AnswerCallback, Copy, Edit, Incoming, Kind, Send
from escalation.models import AuditEntry, QuestionLog, Ticket, TicketMessage, User
from tests.conftest import Desk, volunteer_chat
from tests.integration.engine_harness import World, small_world

PUPIL = 734_215_987  # distinctive digits, to be sure they appear nowhere else
OTHER_PUPIL = 734_215_988
COORDINATOR = 9001
STAFF = frozenset({*(volunteer_chat(n) for n in range(1, 7)), COORDINATOR})
SECRET = "sono Giulietta Bianchi della 3B e la lavagna fa zzzplugh"


async def hand_over(chat: World, pupil: int = PUPIL) -> int:
    """Onboard `pupil`, ask what the FAQ cannot answer, a volunteer takes it; their chat."""
    await chat.command(pupil, "start")
    await chat.press(pupil, "alunno")
    await chat.say(pupil, "console")
    await chat.press(pupil, "Console")
    await chat.say(pupil, "xyzzy plugh")
    await chat.press(pupil, "Parla con un volontario")  # off-topic
    actions = await chat.say(pupil, SECRET)
    helper = next(a.chat_id for a in actions if isinstance(a, Send) and a.ping_offer_id)
    await chat.press(helper, "Prendo io")
    return helper


class Recorder(World):
    """The harness's world, keeping every action the engine returned."""

    def __init__(self, world: World) -> None:
        super().__init__(world.engine)
        self.every: list[Action] = []

    async def deliver(self, actions: list[Action]) -> list[Action]:
        self.every.extend(actions)
        return await super().deliver(actions)


def staff_texts(actions: list[Action]) -> list[str]:
    """Everything staff read: texts, captions, button labels and their callback data."""
    seen = []
    for action in actions:
        match action:
            case Send() | Edit() if action.chat_id in STAFF:
                seen.append(action.text)
                seen.extend(f"{b.label} {b.data}" for row in action.buttons for b in row)
            case Copy() if action.to_chat_id in STAFF:
                seen.append(action.caption or "")
    return seen


async def test_volunteers_and_coordinators_never_see_the_pupils_telegram_identity(
    desk: Desk, tmp_path: Path
):
    chat = Recorder(small_world(desk, tmp_path))
    helper = await hand_over(chat)
    await chat.say(PUPIL, "si sente un fischio")
    await chat.incoming(PUPIL, Kind.PHOTO, file_id="AgADscreen", text="ecco lo schermo")
    await chat.incoming(PUPIL, Kind.DOCUMENT, file_id="BQADlog", text="il file")
    await chat.say(helper, "Prova a spegnerla")
    await chat.command(helper, "miei")
    await chat.say(PUPIL, "papà mi picchia")  # safeguarding: relayed, helplines to the pupil
    await chat.say(OTHER_PUPIL, "papà mi picchia")  # an urgent ticket pings the coordinator
    await chat.command(COORDINATOR, "nonrisposte")
    await chat.command(COORDINATOR, "blocca", "T-0001")
    await chat.command(COORDINATOR, "sblocca", "T-0001")
    await chat.command(helper, "chiudi")

    seen = staff_texts(chat.every)
    assert len(seen) > 10 and any("utente-" in s for s in seen)  # pseudonyms are what they see
    for pupil in (PUPIL, OTHER_PUPIL):
        assert not [s for s in seen if str(pupil) in s], pupil
    # The engine is never even told a name or username: the adapter does not pass them on.
    assert {f.name for f in dataclasses.fields(Incoming)}.isdisjoint(
        {"first_name", "last_name", "username", "full_name", "user_id", "from_user"}
    )


async def test_relayed_messages_are_always_copies(desk: Desk, tmp_path: Path):
    chat = Recorder(small_world(desk, tmp_path))
    helper = await hand_over(chat)
    chat.every.clear()
    sent = [
        await chat.say(PUPIL, "si sente un fischio"),
        await chat.incoming(PUPIL, Kind.PHOTO, file_id="AgAD", text="ecco"),
        await chat.incoming(PUPIL, Kind.VOICE, file_id="AwAD"),
        await chat.incoming(PUPIL, Kind.DOCUMENT, file_id="BQAD"),
        await chat.say(helper, "Prova così"),
        await chat.incoming(helper, Kind.PHOTO, file_id="AgADhint"),
    ]
    for actions in sent:
        [copy] = [a for a in actions if isinstance(a, Copy)]  # each message: exactly one copy
        assert {copy.from_chat_id, copy.to_chat_id} == {PUPIL, helper}
    assert {type(a) for a in chat.every} <= {Send, Copy, AnswerCallback, Edit}
    # and nothing else could forward: these are all the actions the engine has
    assert set(typing.get_args(Action)) == {Send, Edit, Copy, AnswerCallback}


@pytest.mark.parametrize(
    ("language_code", "command", "expected"),
    [("it", "privacy", ("I tuoi dati", "30 giorni", "/cancella")),
     ("en", "privacy", ("Your data", "30 days", "/forget"))],
)
async def test_privacy_answers_in_both_languages(
    desk: Desk, tmp_path: Path, language_code: str, command: str, expected: tuple[str, ...]
):
    chat = small_world(desk, tmp_path)
    [reply] = await chat.incoming(PUPIL, Kind.COMMAND, command=command,
                                  language_code=language_code)
    assert isinstance(reply, Send) and all(part in reply.text for part in expected)


async def snapshot(desk: Desk) -> dict[str, object]:
    async with desk.sessions() as session:
        return {
            "users": await session.scalar(select(func.count(User.id))),
            "questions": sorted(
                (q.text or "", q.user_id is not None) for q in await session.scalars(
                    select(QuestionLog)
                )
            ),
            "tickets": sorted(
                (t.number, t.question or "", t.user_id is not None)
                for t in await session.scalars(select(Ticket))
            ),
            "messages": sorted(
                (m.id, m.text or "", m.file_id or "")
                for m in await session.scalars(select(TicketMessage))
            ),
        }


async def test_cancella_asks_then_deletes_the_pupils_words_and_keeps_the_counts(
    desk: Desk, tmp_path: Path
):
    chat = small_world(desk, tmp_path)
    helper = await hand_over(chat)
    await chat.say(PUPIL, "si sente un fischio")
    await chat.incoming(PUPIL, Kind.PHOTO, file_id="AgADscreen", text="ecco lo schermo")
    await chat.say(helper, "Prova a spegnerla")
    await chat.say(OTHER_PUPIL, "il tablet non si accende")  # someone else's question stays
    before = await snapshot(desk)

    await chat.command(PUPIL, "cancella")
    assert "Non si può tornare indietro" in chat.last(PUPIL).text
    await chat.press(PUPIL, "No, lascia stare")
    assert "non cancello niente" in chat.last(PUPIL).text
    assert await snapshot(desk) == before  # a cancelled confirmation deletes nothing

    await chat.command(PUPIL, "cancella")
    await chat.press(PUPIL, "Sì, cancella")
    assert "ho cancellato tutto" in chat.last(PUPIL).text
    after = await snapshot(desk)

    assert after["users"] == before["users"] - 1  # type: ignore[operator]
    assert len(after["questions"]) == len(before["questions"])  # type: ignore[arg-type]
    assert len(after["tickets"]) == len(before["tickets"])  # type: ignore[arg-type]
    assert len(after["messages"]) == len(before["messages"])  # type: ignore[arg-type]
    others = [("il tablet non si accende", True)]
    assert after["questions"] == sorted([("", False)] * (len(before["questions"]) - 1) + others)
    assert after["tickets"] == [("T-0001", "", False)]
    assert all(text == "" and file_id == "" for _, text, file_id in after["messages"])
    async with desk.sessions() as session:
        forgotten = await session.scalar(
            select(func.count(AuditEntry.id)).where(AuditEntry.action == "user_forgotten")
        )
        texts = " ".join(str(a.details) for a in await session.scalars(select(AuditEntry)))
    assert forgotten == 1 and "Giulietta" not in texts and "fischio" not in texts

    await chat.say(PUPIL, "ciao")  # the next message starts afresh, as a new user
    user = await desk.users.get_or_create_user(PUPIL, "it")
    assert (user.role, user.school, user.context.get("ticket")) == (None, None, None)


async def test_logs_hold_no_message_text(
    desk: Desk, tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.INFO)  # as `helpdesk run` logs; SQL echo is a developer's tool
    for package in ("bot", "escalation", "knowledge_base"):
        caplog.set_level(logging.DEBUG, logger=package)
    chat = small_world(desk, tmp_path)
    helper = await hand_over(chat)
    await chat.say(PUPIL, "si sente un fischio zzzplugh")
    await chat.say(helper, "Prova zzzplugh")
    await chat.say(PUPIL, "zzzplugh " * 400)  # too long
    await chat.say(PUPIL, "papà mi picchia zzzplugh")
    await chat.command(helper, "chiudi", "T-0042 zzzplugh")  # refused: not theirs
    await chat.command(COORDINATOR, "blocca", "zzzplugh")
    await chat.incoming(PUPIL, Kind.CALLBACK, callback_data="fb:1:zzzplugh", callback_id="c")
    await chat.incoming(helper, Kind.CALLBACK, callback_data="pass:999", callback_id="c")
    await chat.command(PUPIL, "cancella")
    await chat.press(PUPIL, "Sì, cancella")

    assert any("refused" in r.getMessage() for r in caplog.records)  # logging was on
    logged = caplog.text + " ".join(str(r.args) for r in caplog.records)
    assert "zzzplugh" not in logged and "Giulietta" not in logged
    assert str(PUPIL) not in logged
