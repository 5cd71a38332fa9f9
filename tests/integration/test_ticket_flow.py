"""A ticket's life through the service on a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from escalation.api import EscalationError, Priority, Sender, TicketStatus
from escalation.models import AuditEntry, QuestionLog, TicketMessage, User
from tests.conftest import Desk, volunteer_chat

COORDINATOR_CHAT = 9001


async def test_open_pings_the_two_best_matches_and_tells_the_user(desk: Desk):
    user_id = await desk.user()
    ticket, effects = await desk.service.open_ticket(user_id, "il tablet non si accende")

    assert ticket.number == f"T-{ticket.id:04d}"
    assert ticket.status is TicketStatus.OFFERED
    assert len(effects.pings) == 2
    assert {p.level for p in effects.pings} == {1}
    assert [n.key for n in effects.notices] == ["ticket.opened"]


async def test_take_assigns_and_edits_the_other_pings(desk: Desk):
    ticket, effects = await desk.service.open_ticket(await desk.user(), "wifi")
    first, second = effects.pings
    await desk.service.record_ping_message(first.offer_id, 501)
    await desk.service.record_ping_message(second.offer_id, 502)

    result = await desk.service.take(ticket.id, first.chat_id)
    late = await desk.service.take(ticket.id, second.chat_id)

    assert result.won and not late.won
    assert result.ticket.status is TicketStatus.ASSIGNED
    assert {(e.message_id, e.reason) for e in result.effects.edits} == {
        (501, "taken"),
        (502, "taken_by_other"),
    }
    assert [n.key for n in result.effects.notices] == ["ticket.assigned"]
    later = await desk.service.sweep(desk.clock.advance(hours=1))
    assert (later.pings, later.edits) == ((), ())  # the chain stopped (the taker is reminded)


async def test_someone_without_an_offer_cannot_take(desk: Desk):
    ticket, effects = await desk.service.open_ticket(await desk.user(), "wifi")
    pinged = {p.chat_id for p in effects.pings}
    outsider = next(volunteer_chat(n) for n in range(1, 7) if volunteer_chat(n) not in pinged)

    result = await desk.service.take(ticket.id, outsider)

    assert not result.won
    assert result.ticket.status is TicketStatus.OFFERED


async def test_relay_both_ways_then_close_and_rate(desk: Desk):
    user_chat = 77
    user_id = await desk.user(user_chat)
    ticket, effects = await desk.service.open_ticket(user_id, "la stampante")
    helper = effects.pings[0].chat_id
    await desk.service.take(ticket.id, helper)

    to_user = await desk.service.relay(
        Sender.VOLUNTEER, helper, kind="text", text="Hai provato a riavviare?", message_id=10
    )
    assert to_user is not None and to_user.chat_id == user_chat
    assert to_user.ticket.status is TicketStatus.WAITING_USER
    await desk.service.record_relay_message(to_user.message_ref, 900)

    to_volunteer = await desk.service.relay(Sender.USER, user_chat, kind="text", text="sì")
    assert to_volunteer is not None and to_volunteer.chat_id == helper
    assert to_volunteer.ticket.status is TicketStatus.ASSIGNED
    assert (await desk.service.ticket_for_message(user_chat, 900)).id == ticket.id

    closing = await desk.service.close(ticket.id, helper)
    assert [n.key for n in closing.notices] == ["ticket.resolved"]
    await desk.service.rate(ticket.id, user_id, 5, solved=True)
    assert (await desk.service.ticket_by_number(ticket.number)).status is TicketStatus.CLOSED

    async with desk.sessions() as session:
        texts = (await session.scalars(select(TicketMessage.text))).all()
        first_reply = await session.scalar(
            select(AuditEntry.action).where(AuditEntry.action == "rated")
        )
    assert sorted(texts) == ["Hai provato a riavviare?", "sì"]
    assert first_reply == "rated"


async def test_volunteer_with_two_tickets_picks_by_number_or_reply(desk: Desk):
    helper = COORDINATOR_CHAT  # a coordinator may take any ticket, offered or not
    tickets = [
        (await desk.service.open_ticket(await desk.user(chat), f"domanda {chat}"))[0]
        for chat in (71, 72)
    ]
    for ticket in tickets:
        assert (await desk.service.take(ticket.id, helper)).won

    ambiguous = await desk.service.relay(Sender.VOLUNTEER, helper, kind="text", text="ciao")
    by_number = await desk.service.relay(
        Sender.VOLUNTEER, helper, kind="text", text="ciao", ticket_number=tickets[1].number
    )
    await desk.service.record_relay_message(by_number.message_ref, 333)
    answer = await desk.service.relay(Sender.USER, 72, kind="text", text="ok", message_id=55)
    await desk.service.record_relay_message(answer.message_ref, 444)
    by_reply = await desk.service.relay(
        Sender.VOLUNTEER, helper, kind="photo", file_id="AgAD", reply_to_message_id=444
    )

    assert ambiguous is None
    assert by_number.chat_id == 72
    assert by_reply is not None and by_reply.ticket.id == tickets[1].id
    assert {t.number for t in await desk.service.open_tickets_of(helper)} == {
        t.number for t in tickets
    }


async def test_release_goes_back_to_the_chain_without_the_releaser(desk: Desk):
    ticket, effects = await desk.service.open_ticket(await desk.user(), "wifi")
    releaser = effects.pings[0].chat_id
    await desk.service.take(ticket.id, releaser)

    again = await desk.service.release(ticket.id, releaser)

    assert [n.key for n in again.notices] == ["ticket.released"]
    assert again.pings and releaser not in {p.chat_id for p in again.pings}
    with pytest.raises(EscalationError) as refused:
        await desk.service.close(ticket.id, releaser)
    assert refused.value.key == "ticket.not_yours"


async def test_urgent_goes_straight_to_the_coordinators_even_at_night(desk: Desk):
    desk.clock.advance(hours=13)  # 23:00 in Milan: quiet hours
    ticket, effects = await desk.service.open_ticket(
        await desk.user(), "aiuto", priority=Priority.URGENT
    )

    assert [p.chat_id for p in effects.pings] == [COORDINATOR_CHAT]
    assert ticket.status is TicketStatus.OFFERED


async def test_claim_update_is_true_once(desk: Desk):
    assert await desk.users.claim_update(42)
    assert not await desk.users.claim_update(42)


async def test_forget_user_keeps_counts_but_no_texts(desk: Desk):
    user_id = await desk.user(88)
    question = await desk.users.log_question(user_id, "tablet rotto", "escalate", None)
    ticket, _ = await desk.service.open_ticket(user_id, "tablet rotto")

    await desk.users.forget_user(user_id)

    forgotten = await desk.service.ticket_by_number(ticket.number)
    assert forgotten.status is TicketStatus.CLOSED
    assert forgotten.question == ""
    async with desk.sessions() as session:
        assert await session.scalar(select(func.count(User.id))) == 0
        logged = await session.get(QuestionLog, question)
        assert (logged.text, logged.user_id, logged.action) == (None, None, "escalate")


async def test_rating_needs_a_resolved_ticket_of_ones_own(desk: Desk):
    user_id = await desk.user(90)
    ticket, effects = await desk.service.open_ticket(user_id, "wifi")
    helper = effects.pings[0].chat_id
    await desk.service.take(ticket.id, helper)

    with pytest.raises(EscalationError) as too_early:
        await desk.service.rate(ticket.id, user_id, 5, solved=True)
    await desk.service.close(ticket.id, helper)
    with pytest.raises(EscalationError) as not_theirs:
        await desk.service.rate(ticket.id, await desk.user(91), 5, solved=True)
    with pytest.raises(EscalationError) as out_of_range:
        await desk.service.rate(ticket.id, user_id, 6, solved=True)

    assert (too_early.value.key, not_theirs.value.key, out_of_range.value.key) == (
        "ticket.not_resolved",
        "ticket.not_yours",
        "rating.invalid",
    )
    assert (await desk.service.ticket_by_number(ticket.number)).status is TicketStatus.RESOLVED
