"""The tables of tickets, the acknowledgement chain and the bot's users (SQLAlchemy 2, typed).

A Telegram chat id is personal data: it is kept only in `users.chat_id` and
`volunteers.chat_id` (and in the routing ids of messages and pings, which are useless without
the user row). Statuses and states are stored as the string values of their enums, so adding
one never renumbers what is already stored.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite would hand back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass timezone-aware datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads this class attribute
        datetime: UtcDateTime(),
        dict[str, Any]: JSON(),
        list[str]: JSON(),
    }


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    pseudonym: Mapped[str] = mapped_column(String(32), unique=True)
    role: Mapped[str | None] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(8))
    school: Mapped[str | None] = mapped_column(String(120))
    blocked: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(64), default="")
    context: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]


class Volunteer(Base):
    """A volunteer or coordinator of the rota, upserted by code whenever the rota loads."""

    __tablename__ = "volunteers"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    chat_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    languages: Mapped[list[str]] = mapped_column(default=list)
    schools: Mapped[list[str]] = mapped_column(default=list)
    skills: Mapped[list[str]] = mapped_column(default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)  # still in the rota
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    is_coordinator: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime]


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (Index("ix_tickets_status_opened_at", "status", "opened_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(16), unique=True)  # set right after insert
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    school: Mapped[str | None] = mapped_column(String(120))
    category: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8))
    question: Mapped[str | None] = mapped_column(Text)  # None once purged or forgotten
    tried_entries: Mapped[list[str]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(16))
    priority: Mapped[str] = mapped_column(String(16))
    policy: Mapped[dict[str, Any]]  # the rota's policy frozen at opening
    current_level: Mapped[int] = mapped_column(Integer, default=0)  # 0: chain not started
    current_round: Mapped[int] = mapped_column(Integer, default=0)
    volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("volunteers.id"), index=True)
    opened_at: Mapped[datetime]
    first_offered_at: Mapped[datetime | None]
    assigned_at: Mapped[datetime | None]
    first_human_reply_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]  # closed, or expired
    # While it waits for a volunteer: when it expires if nobody takes it (None: never, urgent)
    expires_at: Mapped[datetime | None]
    purged_at: Mapped[datetime | None]
    rating: Mapped[int | None]
    solved: Mapped[bool | None]


class TicketMessage(Base):
    """One relayed message, with the Telegram ids on both sides so replies can be routed."""

    __tablename__ = "ticket_messages"
    __table_args__ = (
        Index("ix_ticket_messages_source", "source_chat_id", "source_message_id"),
        Index("ix_ticket_messages_target", "target_chat_id", "target_message_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    sender: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str | None] = mapped_column(Text)
    file_id: Mapped[str | None] = mapped_column(String(255))
    source_chat_id: Mapped[int] = mapped_column(BigInteger)
    source_message_id: Mapped[int | None] = mapped_column(BigInteger)
    target_chat_id: Mapped[int] = mapped_column(BigInteger)
    target_message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime]


class Offer(Base):
    """A ping of one ticket to one volunteer at one level and round of the chain."""

    __tablename__ = "offers"
    __table_args__ = (
        Index("ix_offers_ticket_state", "ticket_id", "state"),
        Index("ix_offers_ping", "chat_id", "message_id"),
        Index("ix_offers_volunteer_sent_at", "volunteer_id", "sent_at"),  # last offered
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id"))
    level: Mapped[int]
    round: Mapped[int]
    chat_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(16))
    sent_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]


class TimerKind(StrEnum):
    """What a ticket's timer watches: the chain while nobody has taken it, then its taker."""

    CHAIN = "chain"  # when due, the chain moves on (level and round say where it was)
    REPLY_REMINDER = "reply_reminder"  # the user waits for the taker's reply: remind them
    REPLY_DEADLINE = "reply_deadline"  # still nothing after the reminder: hand the ticket back


class AckTimer(Base):
    """The one pending timer of a ticket: its acknowledgement, or its taker's reply to a user
    who waits.

    Claimed by the sweeper when due, whatever its kind (see `escalation.sweeper`).
    """

    __tablename__ = "ack_timers"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), unique=True
    )
    kind: Mapped[str] = mapped_column(
        String(16), default=TimerKind.CHAIN.value, server_default=TimerKind.CHAIN.value
    )
    due_at: Mapped[datetime] = mapped_column(index=True)
    level: Mapped[int]
    round: Mapped[int]
    claimed_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(64))


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("tickets.id", ondelete="SET NULL"), index=True
    )
    actor: Mapped[str] = mapped_column(String(64))  # "system", "volunteer:V07", "user:utente-1a2b"
    action: Mapped[str] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ProcessedUpdate(Base):
    __tablename__ = "processed_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime]


class QuestionLog(Base):
    __tablename__ = "questions_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    text: Mapped[str | None] = mapped_column(Text)
    action: Mapped[str] = mapped_column(String(32))
    entry_id: Mapped[str | None] = mapped_column(String(120))
    outcome: Mapped[str | None] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(index=True)


class OfferState(StrEnum):
    PENDING = "pending"  # the ping is out and its level has not timed out
    EXPIRED = "expired"  # its level timed out: still takeable, never offered this ticket again
    TAKEN = "taken"
    PASSED = "passed"
    SUPERSEDED = "superseded"  # someone else took the ticket, or it was closed


# Offers whose holder may still take the ticket.
LIVE_OFFER_STATES = (OfferState.PENDING, OfferState.EXPIRED)


class OutboxMessage(Base):
    """One Bot API call the bot still owes a chat (a reply, a relay, a ping, an edit).

    Rows are written before anything is sent and deleted once Telegram accepted the call, so
    a crash or an outage of Telegram loses nothing: the next start sends what is left, oldest
    first per chat. A row Telegram refuses for good (blocked bot, bad request) stays as
    `failed` with the error and without its payload, which may quote a child.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_status_chat_id_id", "status", "chat_id", "id"),
        Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16))  # "send", "copy", "edit"
    payload: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(16))  # "pending" or "failed"
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime]
