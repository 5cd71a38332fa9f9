"""Forget what people wrote once it is no longer needed, keep the counts.

Finished tickets (resolved, closed, expired) older than the retention period lose their
question, and their relayed messages lose texts, file ids and both chats' routing ids; old
entries of the question log lose their text; users not seen for that long lose the texts kept
in their conversation context; calls Telegram refused for good leave the outbox. The rows,
statuses and timestamps stay, so /stats and the audit trail still add up. The bot runs this
daily (see `bot.telegram.app`); `helpdesk db purge` runs it by hand.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from escalation import lifecycle
from escalation.models import (
    AuditEntry,
    OutboxMessage,
    ProcessedUpdate,
    QuestionLog,
    Ticket,
    TicketMessage,
    User,
)
from escalation.outbox import OutboxStatus

DEFAULT_RETENTION_DAYS = 30
# Telegram redelivers an update for at most a day; older ids only fill the table.
PROCESSED_UPDATES_KEPT = timedelta(days=2)
# What a relayed message keeps once forgotten: sender, kind and time. The chat ids are NOT NULL
# (a live ticket routes replies by them), so 0, which no Telegram chat has, stands for "gone".
FORGOTTEN_MESSAGE: dict[str, Any] = {
    "text": None,
    "file_id": None,
    "source_chat_id": 0,
    "source_message_id": None,
    "target_chat_id": 0,
    "target_message_id": None,
}
# Context keys holding what a user wrote (the last question, one being described).
_WRITTEN_KEYS = ("question", "pending")


@dataclass(frozen=True, slots=True)
class PurgeReport:
    tickets: int
    messages: int
    questions: int
    contexts: int
    failed_outbox: int


async def purge(
    sessions: async_sessionmaker[AsyncSession],
    now: datetime,
    older_than_days: int = DEFAULT_RETENTION_DAYS,
) -> PurgeReport:
    if older_than_days < 0:
        raise ValueError(f"older_than_days must be 0 or more, not {older_than_days}")
    cutoff = now - timedelta(days=older_than_days)
    finished_at = func.coalesce(Ticket.closed_at, Ticket.resolved_at, Ticket.opened_at)
    async with sessions() as session, session.begin():
        ticket_ids = list(
            await session.scalars(
                select(Ticket.id).where(
                    Ticket.status.in_(lifecycle.FINISHED),
                    finished_at < cutoff,
                    Ticket.purged_at.is_(None),
                )
            )
        )
        if ticket_ids:
            await session.execute(
                update(Ticket).where(Ticket.id.in_(ticket_ids)).values(question=None, purged_at=now)
            )
        finished_long_ago = select(Ticket.id).where(
            Ticket.status.in_(lifecycle.FINISHED), finished_at < cutoff
        )  # forgotten or purged before: their messages too
        messages = await session.execute(
            update(TicketMessage)
            .where(
                TicketMessage.ticket_id.in_(finished_long_ago),
                (TicketMessage.source_chat_id != 0) | (TicketMessage.target_chat_id != 0),
            )
            .values(**FORGOTTEN_MESSAGE)
        )
        questions = await session.execute(
            update(QuestionLog)
            .where(QuestionLog.at < cutoff, QuestionLog.text.is_not(None))
            .values(text=None)
        )
        contexts = await _forget_context_texts(session, cutoff)
        failed = await session.execute(
            delete(OutboxMessage).where(
                OutboxMessage.status == OutboxStatus.FAILED, OutboxMessage.created_at < cutoff
            )
        )
        await session.execute(
            delete(ProcessedUpdate).where(ProcessedUpdate.at < now - PROCESSED_UPDATES_KEPT)
        )
        report = PurgeReport(
            len(ticket_ids), messages.rowcount, questions.rowcount, contexts, failed.rowcount
        )
        session.add(
            AuditEntry(
                at=now,
                ticket_id=None,
                actor="system",
                action="purged",
                details={"older_than_days": older_than_days, **asdict(report)},
            )
        )
        return report


async def _forget_context_texts(session: AsyncSession, cutoff: datetime) -> int:
    """Users not seen since `cutoff` lose the texts in their context; how many changed."""
    idle = await session.scalars(select(User).where(User.last_seen_at < cutoff))
    changed = 0
    for user in idle:
        context = without_texts(user.context or {})
        if context != user.context:
            user.context = context
            changed += 1
    return changed


def without_texts(context: dict[str, Any]) -> dict[str, Any]:
    """The context minus what the user wrote: the last question, and messages still waiting
    for a volunteer (the ticket itself stays linked)."""
    kept = {key: value for key, value in context.items() if key not in _WRITTEN_KEYS}
    ticket = kept.get("ticket")
    if isinstance(ticket, dict) and ticket.get("waiting"):
        kept["ticket"] = {**ticket, "waiting": []}
    return kept
