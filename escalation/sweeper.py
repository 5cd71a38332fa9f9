"""Claims the tickets' timers that are due and moves their chains on (or their takers).

Several sweepers (bot processes, a cron job) may run against one database. A timer is
claimed before it is worked on: on PostgreSQL with `SELECT ... FOR UPDATE SKIP LOCKED`, so
that concurrent sweepers take disjoint rows without waiting; on SQLite with a conditional
UPDATE inside an IMMEDIATE transaction (one writer at a time). Each claimed timer is then
handled in its own transaction, which rechecks the claim: a sweeper that stalled longer
than CLAIM_TTL loses its timers to the next sweeper and its late work is ignored, so a crash
between claim and work delays a ticket but never drops it. A ticket's expiry is a due time of
its timer like any other (`chain` clamps the timer to it), so expiring a ticket and telling
its user are claimed the same way: once, by one sweeper. So are the timers that watch a
taken ticket's replies (`reply_watch`): one reminder, one hand-back.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from escalation.api import Effects
from escalation.models import AckTimer, AuditEntry

CLAIM_TTL = timedelta(minutes=5)

FireTimer = Callable[[AsyncSession, int, str, datetime], Awaitable[Effects]]

log = logging.getLogger(__name__)


async def claim_due_timers(
    sessions: async_sessionmaker[AsyncSession], now: datetime, worker: str, limit: int
) -> list[int]:
    """Mark up to `limit` due, unclaimed (or abandoned) timers as `worker`'s; their ids."""
    claimable = (
        AckTimer.due_at <= now,
        or_(AckTimer.claimed_at.is_(None), AckTimer.claimed_at < now - CLAIM_TTL),
    )
    async with sessions() as session, session.begin():
        due = select(AckTimer.id).where(*claimable).order_by(AckTimer.due_at).limit(limit)
        if session.bind.dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        ids = list(await session.scalars(due))
        if not ids:
            return []
        claimed = await session.execute(
            update(AckTimer)
            .where(AckTimer.id.in_(ids), *claimable)
            .values(claimed_at=now, claimed_by=worker)
            .returning(AckTimer.id)
        )
        return sorted(claimed.scalars())


async def sweep(
    sessions: async_sessionmaker[AsyncSession],
    fire: FireTimer,
    now: datetime,
    *,
    worker: str,
    batch: int = 100,
) -> Effects:
    """Handle every timer due at `now`, batch by batch; what to send, in order."""
    effects = Effects()
    while ids := await claim_due_timers(sessions, now, worker, batch):
        for timer_id in ids:
            effects = effects.merge(await _fire_one(sessions, fire, timer_id, worker, now))
        if len(ids) < batch:
            break
    return effects


async def _fire_one(
    sessions: async_sessionmaker[AsyncSession],
    fire: FireTimer,
    timer_id: int,
    worker: str,
    now: datetime,
) -> Effects:
    try:
        async with sessions() as session, session.begin():
            return await fire(session, timer_id, worker, now)
    except Exception as error:  # one broken ticket must not stop the others' escalation
        log.exception("escalating timer %s failed; it is retried after %s", timer_id, CLAIM_TTL)
        async with sessions() as session, session.begin():
            ticket_id = await session.scalar(
                select(AckTimer.ticket_id).where(AckTimer.id == timer_id)
            )
            session.add(
                AuditEntry(
                    at=now,
                    ticket_id=ticket_id,
                    actor=f"sweeper:{worker}",
                    action="escalation_failed",
                    details={"error": repr(error)},
                )
            )
        return Effects()
