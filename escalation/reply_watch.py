"""Whoever takes a ticket must write to its user: a reminder, then the ticket goes back.

Like PagerDuty re-triggering an acknowledged incident nobody works on, or Zendesk's "next
reply" target: taking a ticket starts its timer (the same row, claimed by the same sweeper
as the chain's, so two sweepers never remind or hand back twice). If the taker has not
written to the user when it falls due (the policy's `first_reply`, frozen on the ticket),
they get one reminder, with a button to hand the ticket back, and the timer is set again
for as long; if it falls due a second time without a reply, the ticket goes back to the
chain as if they had released it: the user hears that another volunteer is being found, the
taker that it was handed on, the coordinators get a notice, and the chain pings the others
(never the taker again: their taken offer counts as declined). A reply, a release or a
close makes the timer stale; it is then dropped without a word.

Urgent (safeguarding) tickets keep the same times, one setting being easier to reason
about, but their reminder also goes to the coordinators: a child who wrote about danger is
not being answered, and they are the adults in charge.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from escalation import lifecycle, offers
from escalation.api import Effects, Notice, Priority, Sender
from escalation.models import AckTimer, Ticket, TicketMessage, TimerKind, Volunteer
from escalation.queries import DEFAULT_LANGUAGE, SYSTEM, audit
from escalation.rota import EscalationPolicy, Rota


def watch(session: AsyncSession, ticket: Ticket, now: datetime) -> None:
    """Start waiting for the first reply of the volunteer who just took the locked ticket
    (its chain's timer must be gone)."""
    session.add(
        AckTimer(
            ticket_id=ticket.id,
            kind=TimerKind.REPLY_REMINDER,
            due_at=now + _first_reply(ticket),
            level=0,
            round=0,
        )
    )


async def fire(
    session: AsyncSession, ticket: Ticket, timer: AckTimer, now: datetime, rota: Rota
) -> Effects:
    """A claimed reply timer of the locked ticket has fallen due: remind, hand back, or
    drop it when the taker wrote in time or no longer holds the ticket."""
    taker = await session.get(Volunteer, ticket.volunteer_id) if ticket.volunteer_id else None
    if taker is None or ticket.status not in lifecycle.IN_PROGRESS:  # released or closed
        await session.delete(timer)
        return Effects()
    if await _replied(session, ticket):  # in time: nothing to say
        await session.delete(timer)
        return Effects()
    if timer.kind == TimerKind.REPLY_REMINDER:
        return await _remind(session, ticket, timer, taker, now)
    return await _hand_back(session, ticket, taker, now, rota)


async def _replied(session: AsyncSession, ticket: Ticket) -> bool:
    """Has the volunteer written to the user since the ticket was (last) taken?"""
    found = await session.scalar(
        select(TicketMessage.id)
        .where(
            TicketMessage.ticket_id == ticket.id,
            TicketMessage.sender == Sender.VOLUNTEER.value,
            TicketMessage.created_at >= ticket.assigned_at,
        )
        .limit(1)
    )
    return found is not None


async def _remind(
    session: AsyncSession, ticket: Ticket, timer: AckTimer, taker: Volunteer, now: datetime
) -> Effects:
    wait = _first_reply(ticket)
    timer.kind, timer.due_at = TimerKind.REPLY_DEADLINE, now + wait
    timer.claimed_at = timer.claimed_by = None
    silent = _minutes(now - ticket.assigned_at)
    audit(session, now, SYSTEM, "reply_reminded", ticket, volunteer=taker.code, minutes=silent)
    params = {"number": ticket.number, "minutes": silent, "left": _minutes(wait)}
    notices = _to_taker(taker, "volunteer.reply_reminder", params)  # with a "Passo" button
    if ticket.priority == Priority.URGENT:
        notices += await _to_other_coordinators(
            session, taker, "coordinators.urgent_no_reply", {**params, "volunteer": taker.name}
        )
    return Effects(notices=notices)


async def _hand_back(
    session: AsyncSession, ticket: Ticket, taker: Volunteer, now: datetime, rota: Rota
) -> Effects:
    silent = _minutes(now - ticket.assigned_at)
    audit(session, now, SYSTEM, "handed_back", ticket, volunteer=taker.code, minutes=silent)
    effects = await offers.hand_back(session, ticket, now, rota)  # the timer goes with it
    notices = _to_taker(taker, "volunteer.handed_on", {"number": ticket.number})
    notices += await _to_other_coordinators(
        session,
        taker,
        "coordinators.handed_on",
        {"number": ticket.number, "volunteer": taker.name, "minutes": silent},
    )
    return effects.merge(Effects(notices=notices))


def _to_taker(taker: Volunteer, key: str, params: dict[str, Any]) -> tuple[Notice, ...]:
    """A notice to the volunteer, in Italian if they speak it (as their pings are)."""
    if taker.chat_id is None:  # unlinked since they took it: nobody to tell
        return ()
    languages = taker.languages or [DEFAULT_LANGUAGE]
    language = DEFAULT_LANGUAGE if DEFAULT_LANGUAGE in languages else languages[0]
    return (Notice(taker.chat_id, language, key, params),)


async def _to_other_coordinators(
    session: AsyncSession, taker: Volunteer, key: str, params: dict[str, Any]
) -> tuple[Notice, ...]:
    """The coordinators' notice, except to the taker (a coordinator hears it as the taker)."""
    every = await offers.coordinator_notices(session, key, params)
    return tuple(n for n in every if n.chat_id != taker.chat_id)


def _first_reply(ticket: Ticket) -> timedelta:
    return EscalationPolicy.from_json(ticket.policy).first_reply


def _minutes(duration: timedelta) -> int:
    """Whole minutes, for the texts people read."""
    return round(duration.total_seconds() / 60)
