"""A hand-over end to end: pings, take, relay both ways (always copies), close and rating."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from bot.actions import Copy, Edit, Kind, Send
from escalation.api import TicketStatus
from escalation.models import Ticket
from tests.conftest import Desk, make_rota
from tests.integration.engine_harness import PUPIL, World, small_world


async def open_a_ticket(chat: World) -> list[int]:
    """The pupil asks something the FAQ cannot answer; the chats that were pinged."""
    await chat.command(PUPIL, "start")
    await chat.press(PUPIL, "alunno")
    await chat.say(PUPIL, "console")
    await chat.press(PUPIL, "Console")
    await chat.say(PUPIL, "xyzzy plugh")
    await chat.press(PUPIL, "Parla con un volontario")  # off-topic
    actions = await chat.say(PUPIL, "la lavagna digitale fa un fischio")
    return [a.chat_id for a in actions if isinstance(a, Send) and a.ping_offer_id is not None]


async def the_ticket(desk: Desk) -> Ticket:
    async with desk.sessions() as session:
        return (await session.scalars(select(Ticket))).one()


async def test_two_pings_one_take_the_other_edited(desk: Desk, tmp_path: Path):
    chat = small_world(desk, tmp_path)
    pinged = await open_a_ticket(chat)
    assert len(pinged) == 2
    first, second = pinged
    ping = chat.last(first)
    assert "T-0001" in ping.text and "IC Via Console Marcello" in ping.text
    assert "la lavagna digitale fa un fischio" in ping.text
    assert str(PUPIL) not in ping.text.replace("T-0001", "")  # no Telegram id of the child
    assert [b.label for b in ping.buttons] == ["✋ Prendo io", "↪️ Passo"]

    actions = await chat.press(first, "Prendo io")
    edits = [a for a in actions if isinstance(a, Edit)]
    assert {e.chat_id for e in edits} == {first, second}
    assert "presa da un altro volontario" in chat.last(second).text
    assert chat.last(second).buttons == []
    assert "Un volontario sta guardando" in chat.last(PUPIL).text
    assert (await the_ticket(desk)).status == TicketStatus.ASSIGNED

    chat.inbox[second].append(ping)  # the edit removed the buttons; a slow client still has them
    await chat.press(second, "Prendo io")
    assert chat.toasts[-1].text == "Qualcun altro l'ha già presa."


async def test_relay_both_ways_by_copy_then_close_and_rate(desk: Desk, tmp_path: Path):
    chat = small_world(desk, tmp_path)
    helper, _ = await open_a_ticket(chat)
    await chat.press(helper, "Prendo io")

    actions = await chat.say(helper, "Ciao! Vedi una lucina rossa?")
    assert [type(a) for a in actions] == [Copy]
    assert chat.last(PUPIL).action.from_chat_id == helper  # type: ignore[union-attr]

    actions = await chat.say(PUPIL, "sì, lampeggia")
    header, copy = actions
    assert isinstance(header, Send) and isinstance(copy, Copy)
    assert header.chat_id == helper and "T-0001" in header.text and "utente-" in header.text
    assert (copy.from_chat_id, copy.to_chat_id) == (PUPIL, helper)

    photo = await chat.incoming(PUPIL, Kind.PHOTO, file_id="AgADphoto", text="ecco")
    assert isinstance(photo[0], Copy) and "T-0001" in (photo[0].caption or "")

    # the volunteer replies to the pupil's copied message: routed by the database link
    reply_to = chat.last(helper).message_id
    await chat.say(helper, "Tienilo in carica", reply_to_message_id=reply_to)
    assert chat.last(PUPIL).action.to_chat_id == PUPIL  # type: ignore[union-attr]

    await chat.command(helper, "chiudi")
    assert "È risolto" in chat.last(PUPIL).text or "risolto?" in chat.last(PUPIL).text
    await chat.press(PUPIL, "Sì, risolto")
    await chat.press(PUPIL, "⭐⭐⭐⭐")
    assert "Grazie" in chat.last(PUPIL).text
    ticket = await the_ticket(desk)
    assert (ticket.status, ticket.rating, ticket.solved) == (TicketStatus.CLOSED, 4, True)

    await chat.say(PUPIL, "il tablet non si accende")  # the ticket is over: questions again
    assert "Tieni premuto" in chat.last(PUPIL).text


async def test_messages_written_while_waiting_reach_whoever_takes(desk: Desk, tmp_path: Path):
    chat = small_world(desk, tmp_path)
    helper, _ = await open_a_ticket(chat)
    await chat.say(PUPIL, "si sente anche un odore strano")
    assert "Ho aggiunto il messaggio" in chat.last(PUPIL).text
    actions = await chat.press(helper, "Prendo io")
    copies = [a for a in actions if isinstance(a, Copy)]
    assert [c.to_chat_id for c in copies] == [helper]


async def test_a_volunteer_with_two_tickets_picks_by_reply_or_by_ticket(
    desk: Desk, tmp_path: Path
):
    desk.rota.rota = make_rota(volunteers=2)  # both volunteers are pinged for every ticket
    chat = small_world(desk, tmp_path)
    helper, _ = await open_a_ticket(chat)
    await chat.press(helper, "Prendo io")
    await chat.say(PUPIL + 1, "xyzzy")
    await chat.press(PUPIL + 1, "Parla con un volontario")  # off-topic
    await chat.press(PUPIL + 1, "Manda così")
    await chat.press(helper, "Prendo io")  # now holds T-0001 and T-0002; T-0002 is current

    await chat.say(helper, "ciao secondo!")
    assert chat.last(PUPIL + 1).action.to_chat_id == PUPIL + 1  # type: ignore[union-attr]
    await chat.command(helper, "ticket", "t-0001")
    await chat.say(helper, "ciao primo!")
    first_pupil_copies = [r for r in chat.inbox[PUPIL] if isinstance(r.action, Copy)]
    assert len(first_pupil_copies) == 1

    await chat.say(PUPIL + 1, "grazie")  # copied to the volunteer, tagged T-0002
    reply_to = chat.last(helper).message_id
    await chat.say(helper, "prego!", reply_to_message_id=reply_to)
    assert len([r for r in chat.inbox[PUPIL + 1] if isinstance(r.action, Copy)]) == 2

    await chat.command(helper, "miei")
    assert "👉 <b>T-0001</b>" in chat.last(helper).text and "T-0002" in chat.last(helper).text
    await chat.command(helper, "chiudi", "T-0099")  # not theirs: nothing is closed
    assert "Hai più richieste aperte" in chat.last(helper).text
    await chat.command(helper, "chiudi", "T-0002")
    assert "Hai chiuso la richiesta <b>T-0002</b>" in chat.last(helper).text


async def test_settings_during_a_ticket_keep_the_conversation(desk: Desk, tmp_path: Path):
    chat = small_world(desk, tmp_path)
    helper, _ = await open_a_ticket(chat)
    await chat.press(helper, "Prendo io")
    await chat.command(PUPIL, "impostazioni")
    await chat.press(PUPIL, "insegnante")
    await chat.press(PUPIL, "Non lo so")
    actions = await chat.say(PUPIL, "ci sono ancora")
    assert [type(a) for a in actions] == [Send, Copy]


async def test_a_volunteer_with_nothing_to_close_is_told_so(desk: Desk, tmp_path: Path):
    chat = small_world(desk, tmp_path)
    helper, _ = await open_a_ticket(chat)  # pinged, but nothing taken yet
    await chat.command(helper, "chiudi")
    assert chat.last(helper).text == (
        "Non hai richieste aperte da chiudere. /miei mostra le tue richieste."
    )
    assert (await the_ticket(desk)).status == TicketStatus.OFFERED


async def test_not_solved_offers_a_volunteer_again_and_keeps_the_stars(
    desk: Desk, tmp_path: Path
):
    chat = small_world(desk, tmp_path)
    helper, _ = await open_a_ticket(chat)
    await chat.press(helper, "Prendo io")
    await chat.command(helper, "chiudi")
    await chat.press(PUPIL, "❌ No")
    offer = chat.last(PUPIL)
    assert "non sia risolto" in offer.text
    assert [b.label for b in offer.buttons] == [
        "🙋 Parla ancora con un volontario", "⭐", "⭐⭐", "⭐⭐⭐", "⭐⭐⭐⭐", "⭐⭐⭐⭐⭐"
    ]

    await chat.press(PUPIL, "Parla ancora")  # a new hand-over, with the same question
    assert "Manda così" in chat.last(PUPIL).buttons[0].label
    actions = await chat.press(PUPIL, "Manda così")
    pinged = [a for a in actions if isinstance(a, Send) and a.ping_offer_id is not None]
    assert pinged and "la lavagna digitale fa un fischio" in pinged[0].text
    assert "T-0002" in pinged[0].text

    await chat.press(PUPIL, "⭐⭐")  # the first ticket can still be rated
    first = await desk.service.ticket_by_number("T-0001")
    assert first.status is TicketStatus.CLOSED
    async with desk.sessions() as session:
        rated = await session.scalar(select(Ticket).where(Ticket.number == "T-0001"))
    assert (rated.rating, rated.solved) == (2, False)
    second = await desk.service.ticket_by_number("T-0002")
    assert second.status is TicketStatus.OFFERED  # still waiting for a volunteer
    user = await desk.users.get_or_create_user(PUPIL, "it")
    assert user.state == "in_ticket" and user.context["ticket"]["number"] == "T-0002"
