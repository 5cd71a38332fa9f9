"""Where a relayed message goes: the ticket it belongs to and the chat on its other side.

A pupil's message goes to the volunteer of their newest ticket in progress. A volunteer's
goes to the ticket named (/ticket, or the ticket of the message it replies to), else to
their only ticket in progress; anything ambiguous goes nowhere and the bot asks.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from escalation import lifecycle
from escalation.models import Ticket, User, Volunteer
from escalation.queries import (
    DEFAULT_LANGUAGE,
    ticket_id_for_message,
    tickets_in_progress,
    volunteer_for_chat,
)


async def user_relay_target(session: AsyncSession, chat_id: int) -> tuple[Ticket, int, str] | None:
    user = await session.scalar(select(User).where(User.chat_id == chat_id))
    if user is None:
        return None
    ticket = await session.scalar(
        select(Ticket)
        .where(Ticket.user_id == user.id, Ticket.status.in_(lifecycle.IN_PROGRESS))
        .order_by(Ticket.opened_at.desc(), Ticket.id.desc())
        .limit(1)
        .with_for_update()
    )
    if ticket is None:
        return None
    volunteer = await session.get(Volunteer, ticket.volunteer_id)
    if volunteer is None or volunteer.chat_id is None:
        return None
    return ticket, volunteer.chat_id, (volunteer.languages or [DEFAULT_LANGUAGE])[0]


async def volunteer_relay_target(
    session: AsyncSession,
    chat_id: int,
    number: str | None,
    reply_to_message_id: int | None,
) -> tuple[Ticket, int, str] | None:
    volunteer = await volunteer_for_chat(session, chat_id)
    if volunteer is None:
        return None
    tickets = await tickets_in_progress(session, volunteer)
    chosen: Ticket | None = None
    if number is not None:
        chosen = next((t for t in tickets if t.number == number.strip().upper()), None)
    elif reply_to_message_id is not None:
        replied = await ticket_id_for_message(session, chat_id, reply_to_message_id)
        chosen = next((t for t in tickets if t.id == replied), None)
    elif len(tickets) == 1:
        chosen = tickets[0]
    if chosen is None:
        return None
    # Locked and read again, as the user's side does: a pupil's message to the same ticket at
    # the same moment sets its status too, and one of the two would otherwise be lost.
    await session.refresh(chosen, with_for_update=True)
    if chosen.user_id is None or chosen.status not in lifecycle.IN_PROGRESS:
        return None
    user = await session.get(User, chosen.user_id)
    return chosen, user.chat_id, user.language
