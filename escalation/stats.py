"""The coordinators' numbers: /stats and the most frequent unanswered questions (/nonrisposte).

"Today" and "this week" (from Monday) are local days in the rota's timezone, since that is
what coordinators mean by them; everything else is counted from the tickets' timestamps.
"""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from escalation.api import FrequentQuestion, Outcome, Stats, TicketStatus
from escalation.models import AuditEntry, QuestionLog, Ticket
from escalation.reply_watch import HANDED_BACK
from knowledge_base.normalise import words

ANSWERED_BY_BOT = (Outcome.ANSWERED, Outcome.CLARIFIED, Outcome.SOLVED)
UNANSWERED = (Outcome.ESCALATED, Outcome.NOT_SOLVED)


def day_and_week_start(now: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The instants at which today and this week (Monday) began in `zone`."""
    today = now.astimezone(zone).date()
    start_of_day = datetime.combine(today, time(), tzinfo=zone)
    return start_of_day, start_of_day - timedelta(days=today.weekday())


async def coordinator_stats(session: AsyncSession, now: datetime, zone: ZoneInfo) -> Stats:
    day, week = day_and_week_start(now, zone)

    async def count_questions(*where) -> int:
        return await session.scalar(select(func.count(QuestionLog.id)).where(*where)) or 0

    first_replies = [
        (replied - opened).total_seconds()
        for opened, replied in await session.execute(
            select(Ticket.opened_at, Ticket.first_human_reply_at).where(
                Ticket.opened_at >= week, Ticket.first_human_reply_at.is_not(None)
            )
        )
    ]
    ratings = (
        await session.execute(
            select(Ticket.rating, Ticket.solved).where(
                Ticket.closed_at >= week, Ticket.rating.is_not(None)
            )
        )
    ).all()
    return Stats(
        questions_today=await count_questions(QuestionLog.at >= day),
        questions_week=await count_questions(QuestionLog.at >= week),
        answered_by_bot=await count_questions(
            QuestionLog.at >= week, QuestionLog.outcome.in_(ANSWERED_BY_BOT)
        ),
        escalated=await session.scalar(
            select(func.count(Ticket.id)).where(Ticket.opened_at >= week)
        )
        or 0,
        expired=await session.scalar(
            select(func.count(Ticket.id)).where(
                Ticket.status == TicketStatus.EXPIRED, Ticket.closed_at >= week
            )
        )
        or 0,
        handed_back=await session.scalar(
            select(func.count(AuditEntry.id)).where(
                AuditEntry.action == HANDED_BACK, AuditEntry.at >= week
            )
        )
        or 0,
        median_first_reply_seconds=statistics.median(first_replies) if first_replies else None,
        rated=len(ratings),
        mean_rating=statistics.fmean(r for r, _ in ratings) if ratings else None,
        solved_share=sum(1 for _, s in ratings if s) / len(ratings) if ratings else None,
    )


async def frequent_unanswered(
    session: AsyncSession, now: datetime, zone: ZoneInfo, limit: int
) -> tuple[FrequentQuestion, ...]:
    """This week's escalated or not-solved questions (/nonrisposte)."""
    _, week = day_and_week_start(now, zone)
    return await unanswered_since(session, week, limit)


async def unanswered_since(
    session: AsyncSession, since: datetime, limit: int
) -> tuple[FrequentQuestion, ...]:
    """Escalated or not-solved questions since `since`, most frequent first.

    Counted by their words, so "Il WIFI non va!!" and "il wifi non va" are one gap; each
    keeps its first spelling and the entries the bot suggested for it, most often first,
    which tells a maintainer whether an entry is missing or an existing one misleads.
    """
    rows = await session.execute(
        select(QuestionLog.text, QuestionLog.entry_id)
        .where(
            QuestionLog.at >= since,
            QuestionLog.outcome.in_(UNANSWERED),
            QuestionLog.text.is_not(None),
        )
        .order_by(QuestionLog.id)
    )
    counts: Counter[str] = Counter()
    first_spelling: dict[str, str] = {}
    suggested: dict[str, Counter[str]] = {}
    for text, entry_id in rows:
        key = " ".join(words(text)) or " ".join(text.split()).casefold()
        counts[key] += 1
        first_spelling.setdefault(key, " ".join(text.split()))
        if entry_id:
            suggested.setdefault(key, Counter())[entry_id] += 1
    return tuple(
        FrequentQuestion(
            first_spelling[key],
            count,
            tuple(entry for entry, _ in suggested.get(key, Counter()).most_common()),
        )
        for key, count in counts.most_common(limit)
    )
