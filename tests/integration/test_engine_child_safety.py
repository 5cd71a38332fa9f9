"""Gaps closed in "safe for children": urgent help in a waiting ticket, quiet logs, blocked users.

Each test drives the real engine on the real escalation service and database, as the adapter
would.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.actions import Copy, Kind, Send
from bot.safeguarding import SafeguardingDetector, Trigger
from escalation.api import Priority, TicketStatus
from escalation.models import AuditEntry, Ticket
from escalation.service import SqlEscalationService
from escalation.users import SqlUserStore
from tests.conftest import Desk, FakeClock, RotaHolder
from tests.integration.engine_harness import World, small_world, world

PUPIL = 734_215_987  # distinctive digits, to be sure they appear nowhere else
SECRET = "sono Giulietta Bianchi zzzplugh"
COORDINATOR = 9001
DANGER = "papà mi picchia"


async def waiting_ticket(chat: World) -> list[int]:
    """The pupil asks what the FAQ cannot answer and sends it as it is; the chats pinged."""
    await chat.say(PUPIL, "xyzzy plugh")
    await chat.press(PUPIL, "Parla con un volontario")  # off-topic
    actions = await chat.press(PUPIL, "Manda così")
    return [a.chat_id for a in actions if isinstance(a, Send) and a.ping_offer_id is not None]


async def the_ticket(desk: Desk) -> Ticket:
    async with desk.sessions() as session:
        return (await session.scalars(select(Ticket))).one()


async def block_the_pupil(chat: World, desk: Desk) -> None:
    """The coordinator blocks the pupil by pseudonym, as a ping or a copy shows it."""
    pupil = await desk.users.get_or_create_user(PUPIL, "it")
    await chat.command(COORDINATOR, "blocca", pupil.pseudonym)
    assert (await desk.users.get_or_create_user(PUPIL, "it")).blocked


async def audited(desk: Desk, action: str) -> int:
    async with desk.sessions() as session:
        return len((await session.scalars(
            select(AuditEntry).where(AuditEntry.action == action)
        )).all())


class QuotingDetector(SafeguardingDetector):
    """A detector that fails the way a database error does: quoting the text and the chat."""

    def __init__(self) -> None:
        pass

    def check(self, text: str, lang: str | None) -> Trigger | None:
        raise ValueError(f"parameters ({PUPIL}, {text!r}) violate a constraint")


async def test_a_failing_handler_logs_neither_the_text_nor_the_chat_id(
    desk: Desk, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.DEBUG, logger="bot")
    chat = world(desk, safeguarding=QuotingDetector())
    actions = await chat.say(PUPIL, SECRET)

    assert len(actions) == 1 and "Giulietta" not in actions[0].text  # type: ignore[union-attr]
    failures = [r for r in caplog.records if "failed" in r.getMessage()]
    assert failures and "ValueError" in failures[0].getMessage()  # the type and frames stay
    assert "_user_message" in failures[0].getMessage()
    logged = caplog.text + " ".join(str(r.args) for r in caplog.records)
    assert "zzzplugh" not in logged and "Giulietta" not in logged
    assert str(PUPIL) not in logged


async def test_danger_in_a_ticket_nobody_took_reaches_the_coordinators_at_once(
    desk: Desk, tmp_path: Path
):
    desk.clock.advance(hours=13)  # 23:00 in Milan: quiet hours, a normal ticket waits
    chat = small_world(desk, tmp_path)
    assert await waiting_ticket(chat) == []
    assert (await the_ticket(desk)).status == TicketStatus.OPEN

    actions = await chat.say(PUPIL, DANGER)

    assert any("19696" in text for text in chat.texts(PUPIL))  # the helplines, as always
    pings = [a for a in actions if isinstance(a, Send) and a.ping_offer_id is not None]
    assert [p.chat_id for p in pings] == [COORDINATOR]
    ticket = await the_ticket(desk)  # the same ticket, not a second one
    assert (ticket.priority, ticket.status) == (Priority.URGENT, TicketStatus.OFFERED)
    assert await audited(desk, "made_urgent") == 1
    taken = await chat.press(COORDINATOR, "Prendo io")  # and reads what the pupil wrote
    assert any(isinstance(a, Copy) and a.to_chat_id == COORDINATOR for a in taken)


async def test_danger_in_a_taken_ticket_reaches_its_volunteer_and_the_coordinators(
    desk: Desk, tmp_path: Path
):
    chat = small_world(desk, tmp_path)
    helper = (await waiting_ticket(chat))[0]
    await chat.press(helper, "Prendo io")

    actions = await chat.say(PUPIL, DANGER)

    assert any(isinstance(a, Copy) and a.to_chat_id == helper for a in actions)
    told = [a for a in actions if isinstance(a, Send) and a.chat_id == COORDINATOR]
    assert len(told) == 1 and "T-0001" in told[0].text and "pericolo" in told[0].text
    ticket = await the_ticket(desk)
    assert (ticket.priority, ticket.status) == (Priority.URGENT, TicketStatus.ASSIGNED)
    again = await chat.say(PUPIL, DANGER)  # the coordinators know: no second alarm
    assert not any(isinstance(a, Send) and a.chat_id == COORDINATOR for a in again)
    assert await audited(desk, "made_urgent") == 1


async def test_a_blocked_child_in_danger_gets_the_helplines_and_the_coordinators(
    desk: Desk, tmp_path: Path
):
    chat = small_world(desk, tmp_path)
    await chat.say(PUPIL, "il tablet non si accende")
    await block_the_pupil(chat, desk)
    [notice] = await chat.say(PUPIL, "ciao")
    assert "non posso più risponderti" in notice.text  # type: ignore[union-attr]

    actions = await chat.say(PUPIL, DANGER)

    assert any("19696" in a.text for a in actions if isinstance(a, Send) and a.chat_id == PUPIL)
    pings = [a for a in actions if isinstance(a, Send) and a.ping_offer_id is not None]
    assert COORDINATOR in [p.chat_id for p in pings]
    ticket = await the_ticket(desk)
    assert ticket.priority == Priority.URGENT
    assert ticket.category is not None and ticket.category.startswith("safeguarding:")
    [notice] = await chat.say(PUPIL, "grazie")  # reminded once that the chat is closed
    assert "non posso più risponderti" in notice.text  # type: ignore[union-attr]
    for update in (  # everything else from them stays unprocessed
        chat.say(PUPIL, "il tablet non si accende"),
        chat.command(PUPIL, "aiuto", DANGER),  # a command is never a message to read
        chat.incoming(PUPIL, Kind.PHOTO, file_id="AgAD"),
    ):
        assert await update == []
    assert (await the_ticket(desk)).id == ticket.id  # no second ticket
    assert await audited(desk, "made_urgent") == 0
    assert (await desk.users.get_or_create_user(PUPIL, "it")).blocked


async def test_a_blocked_child_in_danger_in_a_waiting_ticket_reaches_the_coordinators(
    desk: Desk, tmp_path: Path
):
    desk.clock.advance(hours=13)  # 23:00 in Milan: quiet hours, a normal ticket waits
    chat = small_world(desk, tmp_path)
    assert await waiting_ticket(chat) == []
    await chat.command(COORDINATOR, "blocca", "T-0001")
    [notice] = await chat.incoming(PUPIL, Kind.PHOTO, file_id="AgAD", text="guarda")
    assert "non posso più risponderti" in notice.text  # type: ignore[union-attr]

    actions = await chat.incoming(PUPIL, Kind.PHOTO, file_id="AgAE", text=DANGER)  # a caption

    assert any("19696" in text for text in chat.texts(PUPIL))
    pings = [a for a in actions if isinstance(a, Send) and a.ping_offer_id is not None]
    assert [p.chat_id for p in pings] == [COORDINATOR]
    ticket = await the_ticket(desk)  # the same ticket, now urgent
    assert (ticket.priority, ticket.status) == (Priority.URGENT, TicketStatus.OFFERED)
    assert await audited(desk, "made_urgent") == 1
    [notice] = await chat.say(PUPIL, "grazie")  # reminded once that the chat is closed
    assert "non posso più risponderti" in notice.text  # type: ignore[union-attr]
    assert await chat.say(PUPIL, "ci sei?") == []
    taken = await chat.press(COORDINATOR, "Prendo io")  # the danger photo, not the others
    copied = [a for a in taken if isinstance(a, Copy) and a.to_chat_id == COORDINATOR]
    assert len(copied) == 1 and DANGER in (copied[0].caption or "")


async def test_a_child_in_danger_is_never_told_that_nobody_is_there(
    sessions: async_sessionmaker[AsyncSession], clock: FakeClock
):
    """No coordinator has linked yet: the urgent ticket waits, but the child, promised an
    adult beside the helplines, must not also read that the volunteers are away."""
    rota = RotaHolder()
    desk = Desk(SqlEscalationService(sessions, rota, clock=clock), SqlUserStore(sessions,
                clock=clock), rota, clock, sessions)
    await desk.service.sync_rota()  # nobody linked: no one can be pinged
    chat = world(desk)
    await chat.say(PUPIL, DANGER)
    async with desk.sessions() as session:
        ticket = (await session.scalars(select(Ticket))).one()
    assert ticket.priority == Priority.URGENT
    assert len(chat.texts(PUPIL)) == 1  # the helplines and the promise, nothing else
    assert "19696" in chat.texts(PUPIL)[0]


async def test_the_helplines_come_once_per_ticket_and_no_volunteer_is_promised(
    desk: Desk, tmp_path: Path
):
    desk.clock.advance(hours=13)  # quiet hours: nobody takes the ticket, messages wait
    chat = small_world(desk, tmp_path)
    await waiting_ticket(chat)
    await chat.say(PUPIL, DANGER)
    assert sum("19696" in text for text in chat.texts(PUPIL)) == 1
    assert "Il volontario" not in chat.last(PUPIL).text  # the coordinators read it
    assert "adulto dell'helpdesk" in chat.last(PUPIL).text

    before = len(chat.texts(PUPIL))
    await chat.say(PUPIL, "mi picchia ancora")
    later = chat.texts(PUPIL)[before:]
    assert len(later) == 1 and "19696" not in later[0]  # just noted in the ticket
    assert "Il volontario" not in later[0] and "T-0001" in later[0]
    await chat.say(PUPIL, "ho paura")  # an ordinary message in the urgent ticket, too
    assert "Il volontario" not in chat.last(PUPIL).text
    ticket = await the_ticket(desk)
    assert ticket.priority == Priority.URGENT


async def test_a_child_in_danger_after_the_ticket_ended_gets_the_helplines_again(
    desk: Desk, tmp_path: Path
):
    chat = small_world(desk, tmp_path)
    await chat.say(PUPIL, DANGER)  # an urgent ticket of its own, helplines shown
    assert sum("19696" in text for text in chat.texts(PUPIL)) == 1
    await chat.press(COORDINATOR, "Prendo io")
    await chat.command(COORDINATOR, "chiudi")
    assert (await the_ticket(desk)).status == TicketStatus.RESOLVED
    await chat.say(PUPIL, DANGER)  # a new urgent ticket: its helplines are shown again
    assert sum("19696" in text for text in chat.texts(PUPIL)) == 2
    async with desk.sessions() as session:
        assert len((await session.scalars(select(Ticket))).all()) == 2
