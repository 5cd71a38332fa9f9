"""A pupil withdraws their request: /chiudi after a confirming tap, or /cancella (forget me)."""

from __future__ import annotations

from pathlib import Path

from bot.actions import Send
from escalation.api import Priority, TicketStatus
from tests.conftest import Desk
from tests.integration.engine_harness import PUPIL, World, small_world


async def open_a_ticket(chat: World) -> list[int]:
    """The pupil asks for a person; the chats that were pinged."""
    await chat.say(PUPIL, "xyzzy plugh")
    await chat.press(PUPIL, "Parla con un volontario")  # off-topic
    actions = await chat.press(PUPIL, "Manda così")
    return [a.chat_id for a in actions if isinstance(a, Send) and a.ping_offer_id is not None]


async def status(desk: Desk) -> TicketStatus:
    return (await desk.service.ticket_by_number("T-0001")).status


async def test_chiudi_asks_then_closes_and_tells_the_volunteer(desk: Desk, tmp_path: Path):
    chat = small_world(desk, tmp_path)
    helper, _ = await open_a_ticket(chat)
    await chat.press(helper, "Prendo io")

    await chat.command(PUPIL, "chiudi")
    assert "Vuoi chiudere la richiesta <b>T-0001</b>?" in chat.last(PUPIL).text
    assert [b.label for b in chat.last(PUPIL).buttons] == ["✅ Sì, chiudila", "No, lasciala aperta"]
    await chat.press(PUPIL, "No, lasciala")
    assert "resta aperta" in chat.last(PUPIL).text
    assert await status(desk) is TicketStatus.ASSIGNED

    await chat.press(PUPIL, "Sì, chiudila")
    assert "Ho chiuso la richiesta <b>T-0001</b>" in chat.texts(PUPIL)[-1]
    assert "chiusa da chi l'aveva chiesta" in chat.last(helper).text
    assert await status(desk) is TicketStatus.CLOSED
    await chat.say(PUPIL, "il tablet non si accende")  # questions again, not to the volunteer
    assert "Tieni premuto" in chat.last(PUPIL).text
    assert "Tieni premuto" not in chat.last(helper).text


async def test_chiudi_edits_the_pings_of_a_ticket_nobody_took(desk: Desk, tmp_path: Path):
    chat = small_world(desk, tmp_path)
    pinged = await open_a_ticket(chat)
    assert "Se non ti serve più, scrivi /chiudi." in chat.last(PUPIL).text  # how to withdraw
    await chat.command(PUPIL, "close")
    await chat.press(PUPIL, "Sì, chiudila")
    for volunteer in pinged:
        assert chat.last(volunteer).text == "La richiesta <b>T-0001</b> è stata chiusa."
        assert chat.last(volunteer).buttons == []


async def test_chiudi_without_a_request(desk: Desk, tmp_path: Path):
    chat = small_world(desk, tmp_path)
    await chat.command(PUPIL, "chiudi")
    assert "Non hai richieste aperte" in chat.last(PUPIL).text


async def test_cancella_with_a_ticket_open_closes_it_and_edits_its_pings(
    desk: Desk, tmp_path: Path
):
    chat = small_world(desk, tmp_path)
    pinged = await open_a_ticket(chat)
    ping = chat.last(pinged[0])
    await chat.command(PUPIL, "cancella")
    await chat.press(PUPIL, "Sì, cancella")
    assert "ho cancellato tutto" in chat.last(PUPIL).text
    for volunteer in pinged:
        assert chat.last(volunteer).text == "La richiesta <b>T-0001</b> è stata chiusa."
    assert await status(desk) is TicketStatus.CLOSED

    chat.inbox[pinged[0]].append(ping)  # a slow client still shows the buttons
    await chat.press(pinged[0], "Prendo io")
    assert chat.toasts[-1].text == "Questa richiesta è già chiusa."  # not "someone took it"


async def test_chiudi_before_the_description_cancels_the_hand_over(desk: Desk, tmp_path: Path):
    chat = small_world(desk, tmp_path)
    await chat.say(PUPIL, "voglio parlare con qualcuno")
    await chat.command(PUPIL, "chiudi")
    assert "non passo niente ai volontari" in chat.last(PUPIL).text
    await chat.say(PUPIL, "il tablet non si accende")  # a question again, not a description
    assert "Tieni premuto" in chat.last(PUPIL).text
    assert await desk.service.ticket_by_number("T-0001") is None


COORDINATOR = 9001
DANGER = "papà mi picchia"


async def test_an_urgent_ticket_stays_open_on_chiudi_and_the_coordinators_hear(
    desk: Desk, tmp_path: Path
):
    """Someone may tell a child in danger to close it: only the coordinators may."""
    chat = small_world(desk, tmp_path)
    await open_a_ticket(chat)
    await chat.command(PUPIL, "chiudi")  # asked while the ticket was still normal
    await chat.say(PUPIL, DANGER)
    assert (await desk.service.ticket_by_number("T-0001")).priority == Priority.URGENT

    await chat.press(PUPIL, "Sì, chiudila")  # the old button
    assert "potrebbe ancora scriverti" in chat.last(PUPIL).text
    assert "ha scritto /chiudi" in chat.last(COORDINATOR).text
    assert await status(desk) is not TicketStatus.CLOSED

    actions = await chat.command(PUPIL, "chiudi")
    assert "un adulto dell'helpdesk" in chat.last(PUPIL).text.lower()
    assert chat.last(PUPIL).buttons == []  # nothing to confirm: it is not closed
    told = [a for a in actions if isinstance(a, Send) and a.chat_id == COORDINATOR]
    assert len(told) == 1 and "T-0001" in told[0].text
    assert await status(desk) is not TicketStatus.CLOSED


async def test_cancella_still_closes_an_urgent_ticket_and_tells_the_coordinators(
    desk: Desk, tmp_path: Path
):
    chat = small_world(desk, tmp_path)
    await open_a_ticket(chat)
    await chat.say(PUPIL, DANGER)
    await chat.command(PUPIL, "cancella")
    actions = await chat.press(PUPIL, "Sì, cancella")
    told = [a for a in actions if isinstance(a, Send) and a.chat_id == COORDINATOR]
    assert len(told) == 1 and "richiesta urgente <b>T-0001</b> è stata chiusa" in told[0].text
    assert await status(desk) is TicketStatus.CLOSED
