"""Tickets nobody takes in time expire: pings withdrawn, user and coordinators told, once."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import replace
from datetime import timedelta

from sqlalchemy import func, select

from escalation.api import Effects, Priority, Sender, TicketStatus
from escalation.models import AckTimer, AuditEntry, Offer, OfferState, Ticket
from tests.conftest import TEST_POLICY, Desk, volunteer_chat
from tests.integration.test_escalation_chain import sweepers_in_other_processes

PUPIL_CHAT = 1
COORDINATOR_CHAT = 9001


def expire_after(desk: Desk, **delta: float) -> None:
    """Give tickets opened from now on this expiry (the rota's escalation policy)."""
    desk.rota.edit(policy=replace(TEST_POLICY, expire_after=timedelta(**delta)))


async def shown(desk: Desk, effects: Effects) -> Effects:
    """Record a message id for every ping, as the bot does once Telegram accepted it."""
    for ping in effects.pings:
        await desk.service.record_ping_message(ping.offer_id, 500 + ping.offer_id)
    return effects


async def count(desk: Desk, action: str) -> int:
    async with desk.sessions() as session:
        return await session.scalar(
            select(func.count(AuditEntry.id)).where(AuditEntry.action == action)
        )


def notices(effects: Effects) -> list[tuple[int, str]]:
    return [(n.chat_id, n.key) for n in effects.notices]


async def test_a_ticket_nobody_takes_expires_when_its_time_is_up(desk: Desk):
    expire_after(desk, minutes=20)
    ticket, opened = await desk.service.open_ticket(await desk.user(), "la stampante non va")
    await shown(desk, opened)
    await shown(desk, await desk.service.sweep(desk.clock.advance(minutes=5)))  # level 2
    await shown(desk, await desk.service.sweep(desk.clock.advance(minutes=10)))  # coordinators

    # the coordinators' level would wait until 10:30; the timer is clamped to the expiry, 10:20
    assert await desk.service.sweep(desk.clock.advance(minutes=4, seconds=59)) == Effects()
    expired = await desk.service.sweep(desk.clock.advance(seconds=1))

    assert expired.pings == ()
    assert sorted(e.chat_id for e in expired.edits) == [
        *(volunteer_chat(n) for n in range(1, 7)),
        COORDINATOR_CHAT,
    ]
    assert {e.reason for e in expired.edits} == {"ticket_expired"}
    assert notices(expired) == [
        (PUPIL_CHAT, "ticket.expired"),
        (COORDINATOR_CHAT, "coordinators.expired"),
    ]
    assert (await desk.service.ticket_by_number(ticket.number)).status is TicketStatus.EXPIRED
    async with desk.sessions() as session:
        row = await session.get(Ticket, ticket.id)
        assert row.closed_at == desk.clock.now
        assert await session.scalar(select(func.count(AckTimer.id))) == 0
        states = Counter(await session.scalars(select(Offer.state)))
    assert states == {OfferState.SUPERSEDED: 7}
    assert await desk.service.sweep(desk.clock.advance(days=3)) == Effects()
    assert not (await desk.service.take(ticket.id, volunteer_chat(1))).won
    assert await count(desk, "expired") == 1


async def test_a_ticket_that_could_only_be_offered_after_its_expiry_expires_at_once(desk: Desk):
    expire_after(desk, hours=4)
    desk.clock.advance(hours=13)  # Monday 23:00: quiet hours until 07:30, shifts from 08:00

    ticket, opened = await desk.service.open_ticket(await desk.user(), "wifi")

    assert ticket.status is TicketStatus.EXPIRED
    assert opened.pings == ()
    # told at once, instead of being promised an answer at 08:00 that cannot come
    assert notices(opened) == [
        (PUPIL_CHAT, "ticket.expired"),
        (COORDINATOR_CHAT, "coordinators.expired"),
    ]
    async with desk.sessions() as session:
        (reason,) = await session.scalars(
            select(AuditEntry.details["reason"]).where(AuditEntry.action == "expired")
        )
    assert "quiet hours" in reason and "past its expiry" in reason


async def test_a_ticket_waiting_for_the_next_shift_within_its_time_is_not_expired(desk: Desk):
    desk.clock.advance(hours=13)  # Monday 23:00; the default 72 hours reach past 08:00

    ticket, opened = await desk.service.open_ticket(await desk.user(), "wifi")

    assert ticket.status is TicketStatus.OPEN
    assert notices(opened) == [(PUPIL_CHAT, "ticket.waiting_until")]
    morning = await desk.service.sweep(desk.clock.advance(hours=9))
    assert len(morning.pings) == 2


async def test_a_released_ticket_gets_a_full_new_time_to_be_taken(desk: Desk):
    expire_after(desk, hours=1)
    ticket, opened = await desk.service.open_ticket(await desk.user(), "tablet")
    helper = opened.pings[0].chat_id
    assert (await desk.service.take(ticket.id, helper)).won
    await desk.service.relay(Sender.VOLUNTEER, helper, kind="text", text="ciao")  # not silent
    async with desk.sessions() as session:
        assert (await session.get(Ticket, ticket.id)).expires_at is None
    desk.clock.advance(hours=3)  # long past the first expiry: a taken ticket does not expire
    assert await desk.service.sweep(desk.clock.now) == Effects()

    released = await desk.service.release(ticket.id, helper)

    assert released.pings  # offered again, not expired
    async with desk.sessions() as session:
        row = await session.get(Ticket, ticket.id)
        assert row.expires_at == desk.clock.now + timedelta(hours=1)
    assert (await desk.service.sweep(desk.clock.advance(minutes=59))).notices == ()
    later = await desk.service.sweep(desk.clock.advance(minutes=1))
    assert (PUPIL_CHAT, "ticket.expired") in notices(later)


async def test_urgent_tickets_never_expire(desk: Desk):
    expire_after(desk, minutes=20)
    urgent, _ = await desk.service.open_ticket(
        await desk.user(), "aiuto", priority=Priority.URGENT
    )
    made_urgent, _ = await desk.service.open_ticket(await desk.user(2), "wifi")
    await desk.service.make_urgent(made_urgent.id)

    for _ in range(12):  # three hours, every quarter: the coordinators keep being asked
        effects = await desk.service.sweep(desk.clock.advance(minutes=15))
        assert "ticket.expired" not in {n.key for n in effects.notices}

    for ticket in (urgent, made_urgent):
        assert (await desk.service.ticket_by_number(ticket.number)).status is TicketStatus.OFFERED
    assert await count(desk, "expired") == 0


async def test_two_concurrent_sweepers_expire_and_tell_each_ticket_once(desk: Desk, database_url):
    expire_after(desk, minutes=20)
    tickets = [
        (await desk.service.open_ticket(await desk.user(100 + n), f"q{n}"))[0] for n in range(8)
    ]
    await desk.service.sweep(desk.clock.advance(minutes=5))  # level 2, until the expiry
    async with sweepers_in_other_processes(desk, database_url) as sweepers:
        now = desk.clock.advance(minutes=15)
        results = await asyncio.gather(*(s.sweep(now) for s in sweepers))
        again = await asyncio.gather(*(s.sweep(now) for s in sweepers))

    told = Counter((n.chat_id, n.key) for effects in results for n in effects.notices)
    assert told == {
        **{(100 + n, "ticket.expired"): 1 for n in range(8)},
        (COORDINATOR_CHAT, "coordinators.expired"): 8,
    }
    assert again == [Effects(), Effects()]
    assert await count(desk, "expired") == len(tickets)
    for ticket in tickets:
        assert (await desk.service.ticket_by_number(ticket.number)).status is TicketStatus.EXPIRED


async def test_the_user_is_told_in_their_own_language(desk: Desk):
    expire_after(desk, minutes=1)
    english = await desk.users.get_or_create_user(7, "en")
    await desk.service.open_ticket(english.id, "my tablet is broken")

    expired = await desk.service.sweep(desk.clock.advance(minutes=1))

    assert [(n.chat_id, n.language) for n in expired.notices if n.key == "ticket.expired"] == [
        (7, "en")
    ]


async def test_stats_count_the_tickets_that_expired_this_week(desk: Desk):
    expire_after(desk, minutes=20)
    await desk.service.open_ticket(await desk.user(), "wifi")
    taken, opened = await desk.service.open_ticket(await desk.user(2), "tablet")
    await desk.service.take(taken.id, opened.pings[0].chat_id)
    await desk.service.sweep(desk.clock.advance(minutes=20))

    assert (await desk.service.stats()).expired == 1
    desk.clock.advance(days=7)
    assert (await desk.service.stats()).expired == 0
