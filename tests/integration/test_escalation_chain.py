"""The acknowledgement chain on a real database, driven by a fake clock (no sleeping)."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import time, timedelta

from sqlalchemy import func, select

from escalation.api import Effects, TicketStatus
from escalation.chain import local_time
from escalation.db import create_engine, session_factory
from escalation.models import AckTimer, AuditEntry, Offer, OfferState
from escalation.rota import EscalationPolicy, Level
from escalation.service import SqlEscalationService
from escalation.sweeper import CLAIM_TTL, claim_due_timers
from tests.conftest import Desk, make_rota, volunteer_chat

COORDINATOR_CHAT = 9001


def codes(effects: Effects) -> list[int]:
    return sorted(p.chat_id for p in effects.pings)


@asynccontextmanager
async def sweepers_in_other_processes(
    desk: Desk, database_url: str, count: int = 2
) -> AsyncIterator[list[SqlEscalationService]]:
    """`count` services with engines of their own, as separate bot processes have."""
    engines = [create_engine(database_url) for _ in range(count)]
    try:
        yield [
            SqlEscalationService(
                session_factory(e), desk.rota, clock=desk.clock, worker_id=f"s{n}", sweep_batch=3
            )
            for n, e in enumerate(engines)
        ]
    finally:
        for engine in engines:
            await engine.dispose()


async def audit_actions(desk: Desk, ticket_id: int) -> list[str]:
    async with desk.sessions() as session:
        return list(
            await session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.ticket_id == ticket_id)
                .order_by(AuditEntry.id)
            )
        )


async def test_levels_follow_their_timeouts_then_the_ticket_waits_for_the_next_shift(desk: Desk):
    ticket, opened = await desk.service.open_ticket(await desk.user(), "non va internet")
    assert codes(opened) == [volunteer_chat(1), volunteer_chat(2)]

    assert await desk.service.sweep(desk.clock.advance(minutes=4, seconds=59)) == Effects()
    second = await desk.service.sweep(desk.clock.advance(seconds=1))
    assert codes(second) == [volunteer_chat(n) for n in range(3, 7)]
    assert {p.level for p in second.pings} == {2}

    assert await desk.service.sweep(desk.clock.advance(minutes=9)) == Effects()
    third = await desk.service.sweep(desk.clock.advance(minutes=1))
    assert codes(third) == [COORDINATOR_CHAT]

    exhausted = await desk.service.sweep(desk.clock.advance(minutes=15))
    assert exhausted.pings == ()
    assert [(n.chat_id, n.key) for n in exhausted.notices] == [
        (COORDINATOR_CHAT, "coordinators.unanswered"),
        (1, "ticket.waiting_until"),  # the user hears when help will come
    ]
    async with desk.sessions() as session:
        timer = await session.scalar(select(AckTimer).where(AckTimer.ticket_id == ticket.id))
    assert local_time(desk.rota.rota, timer.due_at).time() == time(8, 0)
    assert await audit_actions(desk, ticket.id) == [
        "opened", "offered", "timed_out", "offered", "timed_out", "offered", "timed_out",
        "waiting",
    ]  # fmt: skip


async def test_a_timed_out_volunteer_can_still_take_but_is_not_pinged_again(desk: Desk):
    ticket, opened = await desk.service.open_ticket(await desk.user(), "tablet")
    late = opened.pings[0].chat_id
    await desk.service.sweep(desk.clock.advance(minutes=5))

    result = await desk.service.take(ticket.id, late)

    assert result.won
    async with desk.sessions() as session:
        states = Counter(await session.scalars(select(Offer.state)))
    assert states == {OfferState.TAKEN: 1, OfferState.SUPERSEDED: 5}


async def test_passing_by_everyone_pinged_escalates_at_once(desk: Desk):
    ticket, opened = await desk.service.open_ticket(await desk.user(), "tablet")
    first, second = opened.pings

    after_one = await desk.service.pass_ticket(ticket.id, first.chat_id)
    after_both = await desk.service.pass_ticket(ticket.id, second.chat_id)

    assert after_one.pings == ()
    assert codes(after_both) == [volunteer_chat(n) for n in range(3, 7)]
    assert not (await desk.service.take(ticket.id, first.chat_id)).won


async def test_nobody_is_pinged_in_quiet_hours_or_outside_shifts(desk: Desk):
    desk.clock.advance(hours=13)  # Monday 23:00 in Milan
    ticket, opened = await desk.service.open_ticket(await desk.user(), "wifi")

    assert opened.pings == ()
    assert ticket.status is TicketStatus.OPEN
    (notice,) = opened.notices
    assert notice.key == "ticket.waiting_until"
    assert notice.params["when"].time() == time(8, 0)

    for _ in range(8):  # every hour through the night, until 07:59
        assert (await desk.service.sweep(desk.clock.advance(hours=1))).pings == ()
    assert (await desk.service.sweep(desk.clock.advance(minutes=59))).pings == ()
    morning = await desk.service.sweep(desk.clock.advance(minutes=1))
    assert codes(morning) == [volunteer_chat(1), volunteer_chat(2)]
    assert "waiting" in await audit_actions(desk, ticket.id)


async def test_a_shift_ending_mid_ticket_stops_the_pings(desk: Desk):
    desk.clock.advance(hours=9, minutes=58)  # 19:58, the shift ends at 20:00
    ticket, opened = await desk.service.open_ticket(await desk.user(), "wifi")
    assert len(opened.pings) == 2

    evening = await desk.service.sweep(desk.clock.advance(minutes=5))

    assert evening.pings == ()
    assert (await desk.service.ticket_by_number(ticket.number)).status is TicketStatus.OFFERED
    assert (await desk.service.take(ticket.id, opened.pings[0].chat_id)).won


async def test_a_rota_edited_mid_ticket_does_not_change_its_chain(desk: Desk):
    ticket, _ = await desk.service.open_ticket(await desk.user(), "wifi")
    only_coordinators = EscalationPolicy((Level("coordinators", None, timedelta(minutes=1)),), 1)
    desk.rota.edit(policy=only_coordinators)

    _, newer_opened = await desk.service.open_ticket(await desk.user(2), "stampante")
    second = await desk.service.sweep(desk.clock.advance(minutes=5))

    assert codes(newer_opened) == [COORDINATOR_CHAT]
    old_ticket_pings = [p for p in second.pings if p.ticket.id == ticket.id]
    assert {p.level for p in old_ticket_pings} == {2}
    assert len(old_ticket_pings) == 4


async def test_new_service_objects_pick_up_due_timers_after_a_restart(desk: Desk, database_url):
    ticket, _ = await desk.service.open_ticket(await desk.user(), "wifi")
    await desk.sessions.kw["bind"].dispose()  # the old process is gone

    engine = create_engine(database_url)
    try:
        restarted = SqlEscalationService(
            session_factory(engine), desk.rota, clock=desk.clock, worker_id="after-restart"
        )
        effects = await restarted.sweep(desk.clock.advance(minutes=30))
    finally:
        await engine.dispose()

    assert {p.ticket.id for p in effects.pings} == {ticket.id}
    assert {p.level for p in effects.pings} == {2}


async def test_two_sweepers_never_escalate_the_same_timer_twice(desk: Desk, database_url):
    tickets = [
        (await desk.service.open_ticket(await desk.user(100 + n), f"q{n}"))[0] for n in range(12)
    ]
    async with sweepers_in_other_processes(desk, database_url) as sweepers:
        now = desk.clock.advance(minutes=5)
        results = await asyncio.gather(*(s.sweep(now) for s in sweepers))

    pinged = [p.ticket.id for effects in results for p in effects.pings]
    assert sorted(pinged) == sorted(t.id for t in tickets for _ in range(4))
    async with desk.sessions() as session:
        escalations = await session.scalar(
            select(func.count(AuditEntry.id)).where(AuditEntry.action == "timed_out")
        )
    assert escalations == len(tickets)


async def test_ten_concurrent_takes_from_separate_connections_give_one_owner(
    desk: Desk, database_url
):
    everyone_at_once = EscalationPolicy((Level("on_shift", None, timedelta(minutes=10)),), 1)
    desk.rota.rota = make_rota(10, policy=everyone_at_once)
    await desk.link_everyone()
    ticket, opened = await desk.service.open_ticket(await desk.user(), "wifi")
    assert len(opened.pings) == 10

    engines = [create_engine(database_url) for _ in opened.pings]
    try:
        services = [
            SqlEscalationService(session_factory(e), desk.rota, clock=desk.clock) for e in engines
        ]
        results = await asyncio.gather(
            *(s.take(ticket.id, p.chat_id) for s, p in zip(services, opened.pings, strict=True))
        )
    finally:
        for engine in engines:
            await engine.dispose()

    winners = [r for r in results if r.won]
    assert len(winners) == 1
    async with desk.sessions() as session:
        states = Counter(
            await session.scalars(select(Offer.state).where(Offer.ticket_id == ticket.id))
        )
        failures = await session.scalar(
            select(func.count(AuditEntry.id)).where(
                AuditEntry.action.in_(["take_lost", "take_refused"])
            )
        )
    assert states == {OfferState.TAKEN: 1, OfferState.SUPERSEDED: 9}
    assert failures == 9  # each loser is in the audit log
    assert (await desk.service.ticket_by_number(ticket.number)).volunteer_id == (
        winners[0].ticket.volunteer_id
    )


async def test_load_is_spread_over_the_volunteers_on_shift(desk: Desk):
    """Through the real service: whoever is pinged first takes the ticket and solves it a
    few tickets later; nobody ends up with more than 1.5x the mean share."""
    rng = random.Random(5)
    taken: Counter[int] = Counter()
    in_progress = []
    for n in range(120):
        desk.clock.advance(minutes=1)
        ticket, opened = await desk.service.open_ticket(await desk.user(500 + n), f"q{n}")
        helper = rng.choice(opened.pings).chat_id  # either of the two pinged may be faster
        assert (await desk.service.take(ticket.id, helper)).won
        taken[helper] += 1
        in_progress.append((ticket.id, helper))
        if len(in_progress) > 3:
            await desk.service.close(*in_progress.pop(0))

    mean = sum(taken.values()) / len(desk.rota.rota.volunteers)
    assert len(taken) == len(desk.rota.rota.volunteers)
    assert max(taken.values()) <= 1.5 * mean


async def test_a_sweeper_that_dies_after_claiming_delays_the_ticket_but_never_drops_it(
    desk: Desk,
):
    ticket, _ = await desk.service.open_ticket(await desk.user(), "wifi")
    due = desk.clock.advance(minutes=5)
    assert len(await claim_due_timers(desk.sessions, due, "crashed-worker", 10)) == 1

    while_claimed = await desk.service.sweep(desk.clock.advance(minutes=1))
    after_ttl = await desk.service.sweep(due + CLAIM_TTL + timedelta(seconds=1))

    assert while_claimed == Effects()
    assert {(p.ticket.id, p.level) for p in after_ttl.pings} == {(ticket.id, 2)}


async def test_paused_unlinked_and_removed_volunteers_get_no_pings(desk: Desk):
    await desk.service.set_paused(volunteer_chat(1), True)
    assert await desk.service.link_volunteer("V999", 4242) is None
    desk.rota.edit(volunteers=desk.rota.rota.volunteers[:-1])  # V006 leaves the rota

    _, opened = await desk.service.open_ticket(await desk.user(), "wifi")
    second = await desk.service.sweep(desk.clock.advance(minutes=5))

    assert codes(opened) == [volunteer_chat(2), volunteer_chat(3)]
    assert codes(second) == [volunteer_chat(4), volunteer_chat(5)]
    assert await desk.service.volunteer_by_chat(volunteer_chat(6)) is None
    assert (await desk.service.volunteer_by_chat(volunteer_chat(1))).paused


async def test_a_new_shift_with_nobody_new_reminds_the_coordinators_not_the_user(desk: Desk):
    await desk.service.open_ticket(await desk.user(), "non va internet")
    for minutes in (5, 10, 15):  # the levels, then the chain runs out of people
        exhausted = await desk.service.sweep(desk.clock.advance(minutes=minutes))
    assert (1, "ticket.waiting_until") in [(n.chat_id, n.key) for n in exhausted.notices]

    next_morning = await desk.service.sweep(desk.clock.advance(hours=22))  # Tuesday 08:30

    assert next_morning.pings == ()
    assert [(n.chat_id, n.key) for n in next_morning.notices] == [
        (COORDINATOR_CHAT, "coordinators.unanswered")
    ]
