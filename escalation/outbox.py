"""The outbox: Bot API calls the bot owes its chats, kept in the database until Telegram took them.

The adapter writes every outgoing message here before sending it and deletes it once Telegram
accepted it, so neither a crash nor an outage of Telegram loses a relayed message or a ping.
Each chat is a queue: only its oldest pending row may go out, so a message that has to wait
for a retry holds back the later ones instead of being overtaken. The rows are plain JSON
(what to call, with what): this module knows nothing of Telegram.

`add` joins the unit of work of the update being handled (escalation.transactions) when it
is called inside one on the same database: the replies are then committed with the update's
changes or not at all, and no reply is lost to a crash between the two. So build the outbox
on the same database engine as the user store (as `helpdesk run` does): on a second engine
of the same SQLite file its insert would wait for the lock that the update itself holds.

A call Telegram took is not deleted at once, which would cost a statement per reply: it is
remembered as sent (every read here skips it) and deleted by `forget_sent`, which the adapter
runs with its drain (every second) and when it stops, or once MAX_SENT calls are waiting for
it. A crash in between sends those calls once more: delivery is at least once anyway.

Whether a chat's new rows must wait behind older ones is read by the INSERT itself: each new
row comes back with the ids of the pending rows of its chat before it. The chat must wait
unless all of them are rows this process knows Telegram took (usually none or the last
second's replies): exactly what deleting the sent rows and then looking for pending ones would
tell, one statement instead of two or three. A process that knows nothing (after a restart,
or another process's rows) sends from the head of the chat's queue.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    String,
    bindparam,
    delete,
    func,
    insert,
    literal_column,
    select,
    text,
    true,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from escalation.models import OutboxMessage
from escalation.transactions import Transactions

MAX_ERROR_CHARS = 255
_OUTBOX = OutboxMessage.__table__  # per reply: plain Core statements, no ORM bookkeeping
MAX_SENT = 256  # sent calls remembered before they are deleted in a transaction of their own


class OutboxStatus(StrEnum):
    PENDING = "pending"
    FAILED = "failed"  # refused for good: kept for the record, payload dropped


# Built once (see escalation.users: building a statement costs more than running it).
# The INSERT returns, for each row, the ids of the pending rows of its chat before it, joined
# with commas (NULL for none; see the module docstring). Written out: SQLAlchemy renders
# RETURNING's columns without their table, which a subquery on the same table needs. The
# statement's other new rows are no older rows: on SQLite, where they are visible, only a
# chat's first new row is looked at.
_OLDER = (
    "FROM outbox AS older WHERE older.chat_id = outbox.chat_id"
    f" AND older.status = '{OutboxStatus.PENDING.value}' AND older.id < outbox.id"
)
_INSERTS = {
    dialect: insert(_OUTBOX).returning(
        _OUTBOX.c.id,
        literal_column(f"(SELECT {ids} {_OLDER})", String),
        sort_by_parameter_order=True,
    )
    for dialect, ids in (
        ("sqlite", "group_concat(older.id)"),
        ("postgresql", "string_agg(CAST(older.id AS TEXT), ',')"),
    )
}
_DELETE = delete(_OUTBOX).where(_OUTBOX.c.id.in_(bindparam("ids", expanding=True)))


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One call to make in `chat_id`: `kind` and `payload` are the adapter's own vocabulary."""

    chat_id: int
    kind: str
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Queued(Outgoing):
    id: int
    attempts: int


@dataclass(frozen=True, slots=True)
class Added:
    """What `Outbox.add` queued, and which chats already had calls waiting before them."""

    rows: list[Queued]
    behind: frozenset[int]  # their rows go after the older ones: send from `head` instead


def _wall_clock() -> datetime:
    return datetime.now(UTC)


class Outbox:
    """The outbox table, one short transaction per call (`add` may join the update's)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Callable[[], datetime] = _wall_clock,
    ) -> None:
        # Retries wait for Telegram in real time: tests pass a fake clock only to the engine.
        self._transactions = Transactions(sessions)
        self._clock = clock
        # Taken by Telegram, still in the table; and being deleted by a transaction not yet
        # ended. An id is only ever in one deletion: SQLite reuses the id of a deleted last
        # row, and a second deletion of it would delete the new row.
        self._sent: set[int] = set()
        self._deleting: set[int] = set()

    def _unsent(self) -> Any:
        """The condition that skips rows already sent (see the module docstring)."""
        skipped = self._sent | self._deleting
        return OutboxMessage.id.not_in(skipped) if skipped else true()

    def _take_sent(self) -> frozenset[int]:
        """The sent ids, now being deleted: `_deleted` or `_kept` once that transaction ended."""
        ids = frozenset(self._sent)
        self._sent.clear()
        self._deleting |= ids
        return ids

    def _deleted(self, ids: frozenset[int]) -> None:
        self._deleting -= ids

    def _kept(self, ids: frozenset[int]) -> None:
        self._deleting -= ids
        self._sent |= ids

    async def add(self, items: Sequence[Outgoing]) -> Added:
        """Queue `items`, all or none, behind whatever their chats already wait for; inside a
        unit of work, as part of it."""
        if not items:
            return Added([], frozenset())
        now = self._clock()
        values = [
            {
                "chat_id": item.chat_id,
                "kind": item.kind,
                "payload": item.payload,
                "status": OutboxStatus.PENDING,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
            for item in items
        ]
        async with self._transactions.connection() as connection:
            inserted = (await connection.execute(_INSERTS[connection.dialect.name], values)).all()
        self._reused([row_id for row_id, _ in inserted])
        queued, behind, seen = [], set(), set()
        for item, (row_id, older) in zip(items, inserted, strict=True):
            queued.append(Queued(item.chat_id, item.kind, item.payload, row_id, 0))
            if item.chat_id not in seen:  # the chat's first new row (see _OLDER)
                seen.add(item.chat_id)
                if older is not None and not self._all_sent(older):
                    behind.add(item.chat_id)
        return Added(queued, frozenset(behind))

    def _all_sent(self, older: str) -> bool:
        """Whether the rows `older` ("12,15") are all known as taken by Telegram."""
        return all(
            row_id in self._sent or row_id in self._deleting
            for row_id in map(int, older.split(","))
        )

    def _reused(self, new_ids: list[int]) -> None:
        """Ids just inserted are no sent rows: SQLite gave a deleted last row's id again, so
        that deletion has committed (its `_deleted` may not have run yet)."""
        self._sent.difference_update(new_ids)
        self._deleting.difference_update(new_ids)

    async def head(self, chat_id: int) -> Queued | None:
        """The chat's oldest pending call if it is due now; None if none or it must wait."""
        async with self._transactions.own_session() as session:
            row = await session.scalar(
                select(OutboxMessage)
                .where(
                    OutboxMessage.chat_id == chat_id,
                    OutboxMessage.status == OutboxStatus.PENDING,
                    self._unsent(),
                )
                .order_by(OutboxMessage.id)
                .limit(1)
            )
        if row is None or row.next_attempt_at > self._clock():
            return None
        return _queued(row)

    async def due_chats(self) -> list[int]:
        """Chats with a pending call that is due (their oldest may still have to wait)."""
        async with self._transactions.own_session() as session:
            chats = await session.scalars(
                select(OutboxMessage.chat_id)
                .where(
                    OutboxMessage.status == OutboxStatus.PENDING,
                    OutboxMessage.next_attempt_at <= self._clock(),
                    self._unsent(),
                )
                .group_by(OutboxMessage.chat_id)
                .order_by(func.min(OutboxMessage.id))
            )
            return list(chats)

    async def done(self, queued: Queued) -> None:
        """Telegram took it: it is never sent again, and soon deleted (see the module)."""
        self._sent.add(queued.id)
        if len(self._sent) >= MAX_SENT:
            await self.forget_sent()

    async def forget_sent(self) -> None:
        """Delete the calls Telegram took (their texts need not be kept any longer).

        On PostgreSQL this commit does not wait for the disk: should the server crash right
        after it, the messages are sent once more, which delivery at least once allows anyway.
        """
        if not self._sent:
            return
        ids = self._take_sent()
        try:
            async with self._transactions.own_session() as session:
                if session.bind.dialect.name == "postgresql":
                    await session.execute(text("SET LOCAL synchronous_commit TO OFF"))
                await session.execute(_DELETE, {"ids": list(ids)})
        except BaseException:
            self._kept(ids)
            raise
        self._deleted(ids)

    async def retry_later(self, queued: Queued, delay: timedelta, error: str) -> None:
        """Try again after `delay`; the chat's later calls wait behind it."""
        await self._update(
            queued,
            attempts=queued.attempts + 1,
            next_attempt_at=self._clock() + delay,
            last_error=error[:MAX_ERROR_CHARS],
        )

    async def give_up(self, queued: Queued, error: str) -> None:
        """Refused for good: record why, drop the payload, let the chat's next call go."""
        await self._update(
            queued,
            attempts=queued.attempts + 1,
            status=OutboxStatus.FAILED,
            payload={},
            last_error=error[:MAX_ERROR_CHARS],
        )

    async def failed(self) -> list[tuple[int, str, str | None]]:
        """(chat id, kind, error) of every call Telegram refused for good, oldest first."""
        async with self._transactions.own_session() as session:
            rows = await session.execute(
                select(OutboxMessage.chat_id, OutboxMessage.kind, OutboxMessage.last_error)
                .where(OutboxMessage.status == OutboxStatus.FAILED)
                .order_by(OutboxMessage.id)
            )
            return [tuple(row) for row in rows]

    async def pending(self) -> list[Queued]:
        """Every call still owed, oldest first (for operators and tests)."""
        async with self._transactions.own_session() as session:
            rows = await session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.status == OutboxStatus.PENDING, self._unsent())
                .order_by(OutboxMessage.id)
            )
            return [_queued(row) for row in rows]

    async def _update(self, queued: Queued, **values: Any) -> None:
        async with self._transactions.own_session() as session:
            await session.execute(
                update(OutboxMessage).where(OutboxMessage.id == queued.id).values(**values)
            )


def _queued(row: OutboxMessage) -> Queued:
    return Queued(row.chat_id, row.kind, row.payload, row.id, row.attempts)
