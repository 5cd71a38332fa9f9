"""A user withdrawing their own ticket through the service (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from escalation.api import EscalationError, Priority, TicketStatus
from escalation.lifecycle import FINISHED
from tests.conftest import Desk

COORDINATOR_CHAT = 9001


async def test_an_offered_ticket_is_closed_and_its_pings_edited(desk: Desk):
    user_id = await desk.user()
    ticket, opened = await desk.service.open_ticket(user_id, "la lavagna fischia")
    for n, ping in enumerate(opened.pings):
        await desk.service.record_ping_message(ping.offer_id, 500 + n)

    effects = await desk.service.withdraw(user_id, ticket.id)

    assert {(e.chat_id, e.message_id, e.reason) for e in effects.edits} == {
        (p.chat_id, 500 + n, "closed") for n, p in enumerate(opened.pings)
    }
    assert effects.notices == ()  # nobody held it, nothing urgent
    assert (await desk.service.ticket_by_number(ticket.number)).status is TicketStatus.CLOSED
    late = await desk.service.take(ticket.id, opened.pings[0].chat_id)
    assert not late.won and late.ticket.status is TicketStatus.CLOSED
    later = await desk.service.sweep(desk.clock.advance(hours=1))
    assert (later.pings, later.edits, later.notices) == ((), (), ())  # the chain stopped


async def test_the_volunteer_holding_it_is_told(desk: Desk):
    user_id = await desk.user()
    ticket, opened = await desk.service.open_ticket(user_id, "la lavagna fischia")
    helper = opened.pings[0].chat_id
    await desk.service.take(ticket.id, helper)

    effects = await desk.service.withdraw(user_id, ticket.id)

    assert [(n.chat_id, n.key, n.params) for n in effects.notices] == [
        (helper, "volunteer.withdrawn", {"number": ticket.number})
    ]
    assert await desk.service.open_tickets_of(helper) == ()
    later = await desk.service.sweep(desk.clock.advance(hours=1))
    assert later.notices == ()  # no reminder to write about a withdrawn ticket


async def test_an_urgent_ticket_stays_open_but_forgetting_closes_it(desk: Desk):
    """/chiudi (a ticket named) keeps an urgent ticket open; /cancella (none named) closes it;
    the coordinators hear of both."""
    user_id = await desk.user()
    ticket, _ = await desk.service.open_ticket(user_id, "ho paura", priority=Priority.URGENT)
    effects = await desk.service.withdraw(user_id, ticket.id)
    assert [(n.chat_id, n.key) for n in effects.notices] == [
        (COORDINATOR_CHAT, "coordinators.asked_to_close_urgent")
    ]
    assert (await desk.service.ticket_by_number(ticket.number)).status not in FINISHED

    effects = await desk.service.withdraw(user_id)
    assert [(n.chat_id, n.key) for n in effects.notices] == [
        (COORDINATOR_CHAT, "coordinators.withdrawn_urgent")
    ]
    assert (await desk.service.ticket_by_number(ticket.number)).status is TicketStatus.CLOSED


async def test_only_ones_own_ticket_and_without_a_number_every_open_one(desk: Desk):
    owner, other = await desk.user(1), await desk.user(2)
    first, _ = await desk.service.open_ticket(owner, "uno")
    second, _ = await desk.service.open_ticket(owner, "due")
    with pytest.raises(EscalationError) as refused:
        await desk.service.withdraw(other, first.id)
    assert refused.value.key == "ticket.not_yours"

    await desk.service.withdraw(owner)

    for ticket in (first, second):
        assert (await desk.service.ticket_by_number(ticket.number)).status is TicketStatus.CLOSED
    again = await desk.service.withdraw(owner)  # nothing left to close
    assert (again.edits, again.notices) == ((), ())
