"""Rows turned into the plain views the bot sees (`escalation.api`): no ORM object leaves."""

from __future__ import annotations

from escalation.api import Priority, Role, TicketStatus, TicketView, UserView, VolunteerView
from escalation.models import Ticket, User, Volunteer


def ticket_number(ticket_id: int) -> str:
    return f"T-{ticket_id:04d}"


def ticket_view(ticket: Ticket) -> TicketView:
    return TicketView(
        id=ticket.id,
        number=ticket.number or ticket_number(ticket.id),
        user_id=ticket.user_id or 0,
        status=TicketStatus(ticket.status),
        priority=Priority(ticket.priority),
        language=ticket.language,
        school=ticket.school,
        category=ticket.category,
        question=ticket.question or "",
        tried_entries=tuple(ticket.tried_entries),
        volunteer_id=ticket.volunteer_id,
        created_at=ticket.opened_at,
    )


def user_view(user: User) -> UserView:
    return UserView(
        id=user.id,
        chat_id=user.chat_id,
        pseudonym=user.pseudonym,
        role=Role(user.role) if user.role else None,
        language=user.language,
        school=user.school,
        blocked=user.blocked,
        state=user.state,
        context=dict(user.context),
    )


def volunteer_view(volunteer: Volunteer) -> VolunteerView:
    return VolunteerView(
        id=volunteer.id,
        code=volunteer.code,
        name=volunteer.name,
        chat_id=volunteer.chat_id,
        languages=tuple(volunteer.languages),
        paused=volunteer.paused,
        is_coordinator=volunteer.is_coordinator,
    )
