"""The chain's next step for a ticket, stored: offers, the timer, the audit, who must hear it.

`chain.next_step` decides from plain data (`chain_input` reads it from the database); this
module stores the decision for a ticket that its caller has locked, and returns the pings and
notices the bot must send. Used when a ticket opens, is passed or released (`hand_back`), and
by the sweeper (which is also what expires a ticket nobody took in time: its timer falls due
then).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from escalation import chain, lifecycle
from escalation.api import Effects, Notice, Ping, Priority, TicketStatus
from escalation.models import LIVE_OFFER_STATES, AckTimer, Offer, OfferState, Ticket, Volunteer
from escalation.queries import (
    DEFAULT_LANGUAGE,
    SYSTEM,
    audit,
    supersede_live_offers,
    user_notice,
)
from escalation.rota import EscalationPolicy, Rota
from escalation.views import ticket_view


async def escalate(
    session: AsyncSession,
    ticket: Ticket,
    after: chain.Position,
    now: datetime,
    rota: Rota,
    *,
    tell_user_if_waiting: bool = False,
) -> Effects:
    """Run the chain's next step for a locked ticket and store it (offers, timer, audit).

    When the ticket has to wait, its user hears until when if `tell_user_if_waiting`
    (it was just opened or released) or if the levels just pinged were all tried in vain.
    """
    policy = EscalationPolicy.from_json(ticket.policy)
    step = chain.next_step(policy, rota, after, await chain_input(session, ticket, now))
    await session.execute(delete(AckTimer).where(AckTimer.ticket_id == ticket.id))
    if step.kind is chain.StepKind.EXPIRE:
        return await expire(session, ticket, now, step.reason)
    ticket.current_level, ticket.current_round = step.position.level, step.position.round
    session.add(
        AckTimer(
            ticket_id=ticket.id,
            due_at=step.due_at,
            level=step.position.level,
            round=step.position.round,
        )
    )
    details = {"reason": step.reason, "due_at": step.due_at.isoformat()}
    if step.skipped:
        details["skipped"] = list(step.skipped)
    if step.kind is chain.StepKind.WAIT:
        if ticket.status == TicketStatus.RELEASED:
            ticket.status = lifecycle.transition(ticket.status, TicketStatus.OPEN)
        audit(session, now, SYSTEM, "waiting", ticket, **details)
        notices = await exhausted_notices(session, ticket, step, rota)
        # once per stretch of pings: not again when a new shift brought nobody new to ping;
        # never for an urgent ticket: the child has the helplines and was promised an adult
        urgent = ticket.priority == Priority.URGENT
        if not urgent and (tell_user_if_waiting or (step.exhausted and after != chain.START)):
            notices += await user_notice(
                session,
                ticket,
                "ticket.waiting_until",
                when=chain.local_time(rota, step.due_at),
            )
        return Effects(notices=notices)
    if ticket.status != TicketStatus.OFFERED:
        ticket.status = lifecycle.transition(ticket.status, TicketStatus.OFFERED)
    ticket.first_offered_at = ticket.first_offered_at or now
    by_code = {
        v.code: v
        for v in await session.scalars(select(Volunteer).where(Volunteer.code.in_(step.recipients)))
    }
    offers = [
        Offer(
            ticket_id=ticket.id,
            volunteer_id=by_code[code].id,
            level=step.position.level,
            round=step.position.round,
            chat_id=by_code[code].chat_id,
            state=OfferState.PENDING,
            sent_at=now,
        )
        for code in step.recipients
    ]
    session.add_all(offers)
    audit(
        session,
        now,
        SYSTEM,
        "offered",
        ticket,
        level=step.position.level,
        round=step.position.round,
        to=list(step.recipients),
        **details,
    )
    await session.flush()
    view = ticket_view(ticket)
    return Effects(pings=tuple(Ping(o.id, o.chat_id, view, o.level) for o in offers))


async def hand_back(session: AsyncSession, ticket: Ticket, now: datetime, rota: Rota) -> Effects:
    """A locked ticket in progress goes back to the chain, from its first level: released
    by its volunteer, or by the sweeper when they never wrote. Its user hears it; it gets a
    new expiry; whoever held it is never offered it again (their offer stays `taken`)."""
    ticket.status = lifecycle.transition(ticket.status, TicketStatus.RELEASED)
    ticket.volunteer_id = None
    ticket.expires_at = expiry(EscalationPolicy.from_json(ticket.policy), ticket.priority, now)
    notices = await user_notice(session, ticket, "ticket.released")
    effects = await escalate(session, ticket, chain.START, now, rota, tell_user_if_waiting=True)
    return Effects(notices=notices).merge(effects)


def expiry(policy: EscalationPolicy, priority: str, waiting_since: datetime) -> datetime | None:
    """When a ticket that starts waiting for a volunteer now expires; urgent ones never do."""
    return None if priority == Priority.URGENT else waiting_since + policy.expire_after


async def expire(session: AsyncSession, ticket: Ticket, now: datetime, why: str) -> Effects:
    """Give up on a locked ticket nobody took in time: its pings say so, its user is told
    kindly how to get help another way, the coordinators hear it. Its timer is gone already."""
    ticket.status = lifecycle.transition(ticket.status, TicketStatus.EXPIRED)
    ticket.closed_at = now
    edits = await supersede_live_offers(session, ticket, ticket_view(ticket), now, "ticket_expired")
    audit(session, now, SYSTEM, "expired", ticket, reason=why)
    notices = await user_notice(session, ticket, "ticket.expired")
    notices += await coordinator_notices(session, "coordinators.expired", {"number": ticket.number})
    return Effects(edits=tuple(edits), notices=notices)


async def exhausted_notices(
    session: AsyncSession, ticket: Ticket, step: chain.Step, rota: Rota
) -> tuple[Notice, ...]:
    """Tell the coordinators about a ticket nobody took (at the end of the last level)."""
    if not step.exhausted:
        return ()
    params = {"number": ticket.number, "when": chain.local_time(rota, step.due_at)}
    return await coordinator_notices(session, "coordinators.unanswered", params)


async def coordinator_notices(
    session: AsyncSession, key: str, params: dict[str, Any]
) -> tuple[Notice, ...]:
    """The notice `key` for every coordinator with a linked chat, at any hour."""
    coordinators = await session.scalars(
        select(Volunteer).where(
            Volunteer.is_coordinator, Volunteer.active, Volunteer.chat_id.is_not(None)
        )
    )
    return tuple(
        Notice(c.chat_id, (c.languages or [DEFAULT_LANGUAGE])[0], key, params)
        for c in coordinators
    )


async def chain_input(session: AsyncSession, ticket: Ticket, now: datetime) -> chain.ChainInput:
    reachable = await session.scalars(
        select(Volunteer.code).where(
            Volunteer.active, ~Volunteer.paused, Volunteer.chat_id.is_not(None)
        )
    )
    offers = (
        await session.execute(
            select(Volunteer.code, Offer.state)
            .join(Offer, Offer.volunteer_id == Volunteer.id)
            .where(Offer.ticket_id == ticket.id)
        )
    ).all()
    open_tickets = await session.execute(
        select(Volunteer.code, func.count(Ticket.id))
        .join(Ticket, Ticket.volunteer_id == Volunteer.id)
        .where(Ticket.status.in_(lifecycle.IN_PROGRESS))
        .group_by(Volunteer.code)
    )
    last_offered = await session.execute(
        select(Volunteer.code, func.max(Offer.sent_at))
        .join(Offer, Offer.volunteer_id == Volunteer.id)
        .group_by(Volunteer.code)
    )
    return chain.ChainInput(
        now=now,
        urgent=ticket.priority == Priority.URGENT,
        language=ticket.language,
        school=ticket.school,
        skill=ticket.category,
        reachable=frozenset(reachable),
        declined=codes_in(offers, (OfferState.PASSED, OfferState.TAKEN)),
        offered=codes_in(offers, LIVE_OFFER_STATES),
        open_tickets=dict(open_tickets.all()),
        last_offered=dict(last_offered.all()),
        expires_at=ticket.expires_at,
    )


def codes_in(offers: Iterable[Any], states: Iterable[str]) -> frozenset[str]:
    wanted = set(states)
    return frozenset(code for code, state in offers if state in wanted)
