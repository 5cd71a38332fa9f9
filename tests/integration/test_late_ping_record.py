"""A ping whose message id is recorded after its ticket moved on is edited then, not never.

The bot records a ping's message id once Telegram accepted it; a volunteer can take the
ticket (or it can expire or be withdrawn) in between, and the ping would keep its "take"
button for good.
"""

from __future__ import annotations

from escalation.api import Effects
from tests.conftest import Desk
from tests.integration.test_ticket_expiry import expire_after, shown


async def test_a_ping_recorded_while_its_offer_is_live_needs_no_edit(desk: Desk):
    _, effects = await desk.service.open_ticket(await desk.user(), "wifi")
    first, _ = effects.pings

    assert await desk.service.record_ping_message(first.offer_id, 501) == Effects()


async def test_a_ping_recorded_after_another_volunteer_took_the_ticket_is_edited(desk: Desk):
    ticket, effects = await desk.service.open_ticket(await desk.user(), "wifi")
    first, second = effects.pings
    await desk.service.record_ping_message(first.offer_id, 501)
    taken = await desk.service.take(ticket.id, first.chat_id)  # second's id not known yet
    assert [e.message_id for e in taken.effects.edits] == [501]

    late = await desk.service.record_ping_message(second.offer_id, 502)

    assert [(e.chat_id, e.message_id, e.reason) for e in late.edits] == [
        (second.chat_id, 502, "taken_by_other")
    ]
    assert late.edits[0].ticket.number == ticket.number
    assert (late.pings, late.notices) == ((), ())


async def test_a_ping_recorded_after_its_ticket_expired_is_edited(desk: Desk):
    expire_after(desk, minutes=20)
    _, effects = await desk.service.open_ticket(await desk.user(), "wifi")
    first, second = effects.pings
    await shown(desk, Effects(pings=(first,)))
    expired = await desk.service.sweep(desk.clock.advance(minutes=20))
    assert [(e.chat_id, e.reason) for e in expired.edits] == [(first.chat_id, "ticket_expired")]

    late = await desk.service.record_ping_message(second.offer_id, 502)

    assert [(e.message_id, e.reason) for e in late.edits] == [(502, "ticket_expired")]


async def test_a_ping_recorded_after_the_pupil_withdrew_is_edited_as_closed(desk: Desk):
    user = await desk.user()
    _, effects = await desk.service.open_ticket(user, "wifi")
    first, _ = effects.pings
    await desk.service.withdraw(user)

    late = await desk.service.record_ping_message(first.offer_id, 501)

    assert [(e.message_id, e.reason) for e in late.edits] == [(501, "closed")]
