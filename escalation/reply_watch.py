"""Whoever holds a ticket must answer its user in time: a reminder, then the ticket goes back.

Like PagerDuty re-triggering an acknowledged incident nobody works on, or Zendesk's "next
reply" target: the user waits for the taker from the taking until the taker first writes,
and again from each message the user writes after the taker's last (a volunteer who answered
once and then went quiet leaves a child waiting as much as one who never wrote). Every wait
has the policy's `first_reply` (frozen on the ticket) before the taker gets one reminder,
with a button to hand the ticket back, and as long again before the ticket goes back to the
chain as if they had released it: the user hears that another volunteer is being found, the
taker that it was handed on, the coordinators get a notice, and the chain pings the others
(never the taker again: their taken offer counts as declined). The reminder and the
coordinators' notice say whether the taker never wrote or left a later message unanswered.

One timer row watches the ticket, claimed by the same sweeper as the chain's, so two
sweepers never remind or hand back twice. Taking the ticket starts it; a user message
starts it when there is none (one indexed query on the relay path). The taker's messages
never touch it, so answering costs nothing: when it falls due it reads the messages. If
nothing waits (the taker wrote last), or the ticket was released or closed, it is dropped
without a word. If the wait it was set for was answered and a later one is not yet due, it
is set again for that one, as a reminder, so every wait gets its full time. A reply after
the reminder thus starts the cycle again: only the wait that was reminded is handed back,
even by a sweeper that comes late.

Urgent (safeguarding) tickets keep the same times, one setting being easier to reason
about, but their reminder also goes to the coordinators: a child who wrote about danger is
not being answered, and they are the adults in charge.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from escalation import lifecycle, offers
from escalation.api import Effects, Notice, Priority, Sender
from escalation.models import AckTimer, Ticket, TicketMessage, TimerKind, Volunteer
from escalation.queries import DEFAULT_LANGUAGE, SYSTEM, audit
from escalation.rota import EscalationPolicy, Rota

HANDED_BACK = "handed_back"  # the audit action of a hand-back, which /stats counts


class _Wait(NamedTuple):
    """How long the user has been waiting for the taker, and for what."""

    since: datetime
    first: bool  # for the taker's first words since they took the ticket


def watch(session: AsyncSession, ticket: Ticket, now: datetime) -> None:
    """Start waiting for the taker of the locked ticket to write, from `now` (the ticket
    must have no timer: a new taker's chain timer is gone)."""
    session.add(
        AckTimer(
            ticket_id=ticket.id,
            kind=TimerKind.REPLY_REMINDER,
            due_at=now + _first_reply(ticket),
            level=0,
            round=0,
        )
    )


# Run on the session's connection, not through the ORM (`session.scalar`): a user's message
# costs 0.11 CPU ms more instead of 0.21 (SQLite). It does not flush the session first,
# which the relay has just done.
_TIMER_OF = select(AckTimer.id).where(AckTimer.ticket_id == bindparam("ticket_id"))


async def user_wrote(session: AsyncSession, ticket: Ticket, now: datetime) -> None:
    """The user wrote to the locked ticket in progress: watch for the answer, unless a
    timer already runs (for this wait, or for an answered one: `fire` sets it again)."""
    connection = await session.connection()
    if await connection.scalar(_TIMER_OF, {"ticket_id": ticket.id}) is None:
        watch(session, ticket, now)


async def fire(
    session: AsyncSession, ticket: Ticket, timer: AckTimer, now: datetime, rota: Rota
) -> Effects:
    """A claimed reply timer of the locked ticket has fallen due: remind, hand back, set it
    again for a later wait, or drop it when nothing waits or the taker no longer holds it."""
    taker = await session.get(Volunteer, ticket.volunteer_id) if ticket.volunteer_id else None
    if taker is None or ticket.status not in lifecycle.IN_PROGRESS:  # released or closed
        await session.delete(timer)
        return Effects()
    wait = await _waiting(session, ticket)
    if wait is None:  # the taker wrote last: nothing to say
        await session.delete(timer)
        return Effects()
    first_reply = _first_reply(ticket)
    if wait.since + first_reply > now:  # a later wait than the timer's, not yet due
        _set(timer, TimerKind.REPLY_REMINDER, wait.since + first_reply)
        return Effects()
    reminded_at = timer.due_at - first_reply  # a deadline's reminder
    if timer.kind == TimerKind.REPLY_DEADLINE and wait.since < reminded_at:  # of this wait
        return await _hand_back(session, ticket, taker, wait, now, rota)
    return await _remind(session, ticket, timer, taker, wait, now)  # a wait not yet reminded


async def _waiting(session: AsyncSession, ticket: Ticket) -> _Wait | None:
    """Since the ticket was (last) taken if the taker has not written since; else since the
    user's first message after the taker's last; None if the taker wrote last."""
    last = await session.scalar(
        select(func.max(TicketMessage.id)).where(
            TicketMessage.ticket_id == ticket.id,
            TicketMessage.sender == Sender.VOLUNTEER.value,
            TicketMessage.created_at >= ticket.assigned_at,
        )
    )
    if last is None:
        return _Wait(ticket.assigned_at, first=True)
    since = await session.scalar(
        select(func.min(TicketMessage.created_at)).where(
            TicketMessage.ticket_id == ticket.id,
            TicketMessage.sender == Sender.USER.value,
            TicketMessage.id > last,
        )
    )
    return None if since is None else _Wait(since, first=False)


def _set(timer: AckTimer, kind: TimerKind, due_at: datetime) -> None:
    """The claimed timer, unclaimed and due again."""
    timer.kind, timer.due_at = kind, due_at
    timer.claimed_at = timer.claimed_by = None


async def _remind(
    session: AsyncSession,
    ticket: Ticket,
    timer: AckTimer,
    taker: Volunteer,
    wait: _Wait,
    now: datetime,
) -> Effects:
    left = _first_reply(ticket)
    _set(timer, TimerKind.REPLY_DEADLINE, now + left)
    waited = _minutes(now - wait.since)
    audit(session, now, SYSTEM, "reply_reminded", ticket, volunteer=taker.code, minutes=waited)
    params = {"number": ticket.number, "minutes": waited, "left": _minutes(left)}
    key = "volunteer.reply_reminder" if wait.first else "volunteer.reply_reminder_later"
    notices = _to_taker(taker, key, params)  # with a "Passo" button
    if ticket.priority == Priority.URGENT:
        key = "coordinators.urgent_no_reply" if wait.first else "coordinators.urgent_no_reply_later"
        notices += await _to_other_coordinators(
            session, taker, key, {**params, "volunteer": taker.name}
        )
    return Effects(notices=notices)


async def _hand_back(
    session: AsyncSession,
    ticket: Ticket,
    taker: Volunteer,
    wait: _Wait,
    now: datetime,
    rota: Rota,
) -> Effects:
    waited = _minutes(now - wait.since)
    audit(session, now, SYSTEM, HANDED_BACK, ticket, volunteer=taker.code, minutes=waited)
    effects = await offers.hand_back(session, ticket, now, rota)  # the timer goes with it
    notices = _to_taker(taker, "volunteer.handed_on", {"number": ticket.number})
    notices += await _to_other_coordinators(
        session,
        taker,
        "coordinators.handed_on" if wait.first else "coordinators.handed_on_later",
        {"number": ticket.number, "volunteer": taker.name, "minutes": waited},
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
