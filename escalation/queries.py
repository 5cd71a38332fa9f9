"""Lookups and records shared by the user store and the escalation service.

Each takes the session of the call (or of the unit of work) it is part of, so it never
commits by itself.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from escalation import lifecycle
from escalation.api import EscalationError, Notice, PingEdit, TicketView
from escalation.models import (
    LIVE_OFFER_STATES,
    AuditEntry,
    Base,
    Offer,
    OfferState,
    Ticket,
    TicketMessage,
    User,
    Volunteer,
)

Clock = Callable[[], datetime]
SYSTEM = "system"
DEFAULT_LANGUAGE = "it"


def utc_now() -> datetime:
    return datetime.now(UTC)


def audit(
    session: AsyncSession,
    at: datetime,
    actor: str,
    action: str,
    ticket: Ticket | None = None,
    **details: Any,
) -> None:
    session.add(
        AuditEntry(
            at=at,
            ticket_id=ticket.id if ticket else None,
            actor=actor,
            action=action,
            details=details,
        )
    )


def actor(volunteer: Volunteer) -> str:
    return f"volunteer:{volunteer.code}"


def insert_ignoring_duplicates(dialect: str, table: type[Base] | Table, *keys: str) -> Any:
    """An INSERT into `table` for the database `dialect` ("sqlite", "postgresql") that does
    nothing when a row with the same `keys` exists (with no keys: when any unique column
    clashes). Nothing fails, so the transaction goes on."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(table).on_conflict_do_nothing(index_elements=list(keys) or None)


async def volunteer_for_chat(session: AsyncSession, chat_id: int) -> Volunteer | None:
    return await session.scalar(
        select(Volunteer).where(Volunteer.chat_id == chat_id, Volunteer.active)
    )


async def require_volunteer(session: AsyncSession, chat_id: int) -> Volunteer:
    volunteer = await volunteer_for_chat(session, chat_id)
    if volunteer is None:
        raise EscalationError("volunteer.unknown")
    return volunteer


async def require_ticket(session: AsyncSession, ticket_id: int) -> Ticket:
    ticket = await session.get(Ticket, ticket_id)
    if ticket is None:
        raise EscalationError("ticket.unknown", ticket_id=ticket_id)
    return ticket


async def lock_ticket(session: AsyncSession, ticket_id: int) -> Ticket:
    """The ticket, locked until the transaction ends (SQLite: the whole database already is)."""
    ticket = await session.scalar(
        select(Ticket)
        .where(Ticket.id == ticket_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if ticket is None:
        raise EscalationError("ticket.unknown", ticket_id=ticket_id)
    return ticket


def require_assignee(ticket: Ticket, volunteer: Volunteer) -> None:
    if ticket.volunteer_id != volunteer.id or ticket.status not in lifecycle.IN_PROGRESS:
        raise EscalationError("ticket.not_yours", number=ticket.number)


async def live_offers(session: AsyncSession, ticket_id: int, volunteer_id: int) -> list[Offer]:
    """The volunteer's offers of the ticket that may still be taken, newest first."""
    return list(
        await session.scalars(
            select(Offer)
            .where(
                Offer.ticket_id == ticket_id,
                Offer.volunteer_id == volunteer_id,
                Offer.state.in_(LIVE_OFFER_STATES),
            )
            .order_by(Offer.id.desc())
        )
    )


async def supersede_live_offers(
    session: AsyncSession, ticket: Ticket, view: TicketView, now: datetime, reason: str
) -> list[PingEdit]:
    offers = await session.scalars(
        select(Offer).where(Offer.ticket_id == ticket.id, Offer.state.in_(LIVE_OFFER_STATES))
    )
    edits = []
    for offer in offers:
        offer.state, offer.answered_at = OfferState.SUPERSEDED, now
        if offer.message_id is not None:
            edits.append(ping_edit(offer, view, reason))
    return edits


def ping_edit(offer: Offer, view: TicketView, reason: str) -> PingEdit:
    return PingEdit(offer.id, offer.chat_id, offer.message_id, view, reason)


async def tickets_in_progress(session: AsyncSession, volunteer: Volunteer) -> list[Ticket]:
    return list(
        await session.scalars(
            select(Ticket)
            .where(Ticket.volunteer_id == volunteer.id, Ticket.status.in_(lifecycle.IN_PROGRESS))
            .order_by(Ticket.id)
        )
    )


async def user_notice(
    session: AsyncSession, ticket: Ticket, key: str, **params: Any
) -> tuple[Notice, ...]:
    user = await session.get(User, ticket.user_id) if ticket.user_id else None
    if user is None:
        return ()
    return (Notice(user.chat_id, user.language, key, {"number": ticket.number, **params}),)


async def ticket_id_for_message(session: AsyncSession, chat_id: int, message_id: int) -> int | None:
    """Which ticket a ping or a relayed message (on either side) belongs to."""
    found = await session.scalar(
        select(Offer.ticket_id).where(Offer.chat_id == chat_id, Offer.message_id == message_id)
    )
    if found is not None:
        return found
    return await session.scalar(
        select(TicketMessage.ticket_id)
        .where(
            or_(
                (TicketMessage.source_chat_id == chat_id)
                & (TicketMessage.source_message_id == message_id),
                (TicketMessage.target_chat_id == chat_id)
                & (TicketMessage.target_message_id == message_id),
            )
        )
        .limit(1)
    )
