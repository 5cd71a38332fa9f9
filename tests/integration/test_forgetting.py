"""What /cancella and the retention purge leave behind: counts, never a way back to a child.

A relayed message's row keeps who sent it, its kind and time; its text, file id and the
Telegram chat and message ids on both sides go, since those ids lead back to the pupil.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from bot.actions import Kind
from escalation.api import Sender
from escalation.models import OutboxMessage, TicketMessage, User
from escalation.outbox import Outbox, Outgoing
from escalation.retention import purge
from tests.conftest import Desk
from tests.integration.engine_harness import small_world

PUPIL = 734_215_987


async def routing(desk: Desk) -> list[tuple[object, ...]]:
    async with desk.sessions() as session:
        rows = await session.execute(
            select(
                TicketMessage.source_chat_id,
                TicketMessage.source_message_id,
                TicketMessage.target_chat_id,
                TicketMessage.target_message_id,
                TicketMessage.text,
            )
        )
        return [tuple(row) for row in rows]


async def test_cancella_forgets_the_routing_ids_of_relayed_messages(desk: Desk, tmp_path: Path):
    chat = small_world(desk, tmp_path)
    await chat.say(PUPIL, "xyzzy plugh")
    await chat.press(PUPIL, "Parla con un volontario")  # off-topic
    pinged = await chat.press(PUPIL, "Manda così")
    helper = next(a.chat_id for a in pinged if getattr(a, "ping_offer_id", None))
    await chat.press(helper, "Prendo io")
    await chat.say(PUPIL, "si sente un fischio")
    await chat.incoming(PUPIL, Kind.PHOTO, file_id="AgADscreen")
    await chat.say(helper, "Prova a spegnerla")
    before = await routing(desk)
    assert len(before) == 3 and any(PUPIL in row for row in before)  # routed while it lived

    await chat.command(PUPIL, "cancella")
    await chat.press(PUPIL, "Sì, cancella")

    assert await routing(desk) == [(0, None, 0, None, None)] * 3  # counted, not traceable


async def _relayed_and_closed(desk: Desk, chat_id: int) -> int:
    user_id = await desk.user(chat_id)
    ticket, opened = await desk.service.open_ticket(user_id, "wifi lento")
    helper = opened.pings[0].chat_id
    await desk.service.take(ticket.id, helper)
    await desk.service.relay(Sender.USER, chat_id, kind="text", text="aiuto", message_id=5)
    await desk.service.relay(Sender.VOLUNTEER, helper, kind="text", text="riavvia", message_id=6)
    await desk.service.close(ticket.id, helper)
    return ticket.id


async def test_purge_forgets_routing_ids_context_texts_and_refused_calls(desk: Desk):
    old = await _relayed_and_closed(desk, 61)
    old_user = await desk.users.get_or_create_user(61, "it")
    await desk.users.update_user(old_user.id, context={
        "question": {"id": 1, "text": "il wifi è lento zzz"},
        "ticket": {"id": old, "number": "T-0001", "waiting": [["text", 5, "zzz", None]]},
        "told_blocked": True,
    })
    outbox = Outbox(desk.sessions, clock=desk.clock)
    added = await outbox.add([Outgoing(61, "send", {"text": "ciao"})])
    await outbox.give_up(added.rows[0], "Forbidden: bot was blocked by the user")
    desk.clock.advance(days=31)
    await _relayed_and_closed(desk, 62)  # recent: kept as it is
    recent_user = await desk.users.get_or_create_user(62, "it")
    await desk.users.update_user(recent_user.id, context={"question": {"text": "recente"}})

    report = await purge(desk.sessions, desk.clock(), older_than_days=30)

    assert (report.messages, report.contexts, report.failed_outbox) == (2, 1, 1)
    rows = await routing(desk)
    assert rows.count((0, None, 0, None, None)) == 2
    assert sum(1 for row in rows if 62 in row) == 2  # the recent ticket still routes replies
    async with desk.sessions() as session:
        contexts = dict((await session.execute(select(User.chat_id, User.context))).all())
        refused = list(await session.scalars(select(OutboxMessage)))
    assert contexts[61] == {
        "ticket": {"id": old, "number": "T-0001", "waiting": []},
        "told_blocked": True,
    }
    assert contexts[62] == {"question": {"text": "recente"}}
    assert refused == []
    again = await purge(desk.sessions, desk.clock(), older_than_days=30)
    assert (again.messages, again.contexts, again.failed_outbox) == (0, 0, 0)
