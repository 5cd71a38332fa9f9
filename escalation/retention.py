"""Forget what people wrote once it is no longer needed, keep the counts.

Finished tickets (resolved, closed, expired) older than the retention period lose their
question, their relayed texts and file ids, and old entries of the question log lose their
text; the rows, statuses and timestamps stay, so /stats and the audit trail still add up.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from escalation import lifecycle
from escalation.models import AuditEntry, ProcessedUpdate, QuestionLog, Ticket, TicketMessage

DEFAULT_RETENTION_DAYS = 30
# Telegram redelivers an update for at most a day; older ids only fill the table.
PROCESSED_UPDATES_KEPT = timedelta(days=2)


@dataclass(frozen=True, slots=True)
class PurgeReport:
    tickets: int
    messages: int
    questions: int


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
        messages = await session.execute(
            update(TicketMessage)
            .where(
                TicketMessage.ticket_id.in_(ticket_ids),
                (TicketMessage.text.is_not(None)) | (TicketMessage.file_id.is_not(None)),
            )
            .values(text=None, file_id=None)
        )
        questions = await session.execute(
            update(QuestionLog)
            .where(QuestionLog.at < cutoff, QuestionLog.text.is_not(None))
            .values(text=None)
        )
        await session.execute(
            delete(ProcessedUpdate).where(ProcessedUpdate.at < now - PROCESSED_UPDATES_KEPT)
        )
        report = PurgeReport(len(ticket_ids), messages.rowcount, questions.rowcount)
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
