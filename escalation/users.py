"""The bot's users on SQLAlchemy: their conversation state, handled updates, logged questions.

`transaction()` is the unit of work of one update (see `escalation.transactions`): the
escalation service built on the same session factory joins it too, so an update commits
once. Outside it every method runs in a short transaction of its own.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import replace
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update

from escalation import lifecycle
from escalation.api import EscalationError, Outcome, Role, TicketStatus, UserView
from escalation.models import (
    LIVE_OFFER_STATES,
    AckTimer,
    Offer,
    OfferState,
    ProcessedUpdate,
    QuestionLog,
    Ticket,
    TicketMessage,
    User,
)
from escalation.queries import SYSTEM, Clock, audit, insert_ignoring_duplicates, utc_now
from escalation.retention import FORGOTTEN_MESSAGE
from escalation.transactions import Sessions, Statements, Transactions
from escalation.views import user_view

_USER_FIELDS = frozenset({"role", "language", "school", "state", "context", "blocked"})
# The hot path (every update claims its id, reads and touches its user, logs a question)
# runs plain Core statements on the tables: the ORM's bookkeeping costs more than they do.
_USERS = User.__table__
_PROCESSED = ProcessedUpdate.__table__
_QUESTIONS = QuestionLog.__table__
_VIEWED = (
    _USERS.c.id,
    _USERS.c.chat_id,
    _USERS.c.pseudonym,
    _USERS.c.role,
    _USERS.c.language,
    _USERS.c.school,
    _USERS.c.blocked,
    _USERS.c.state,
    _USERS.c.context,
)
# The statements of every update, built once: building one costs more CPU than running it
# on SQLite (SQLAlchemy coerces every clause, then derives the cache key it compiles under;
# a built statement keeps its key). An UPDATE or INSERT without `values()` sets the columns
# its parameters name, typed as the columns are.
_TOUCH = update(_USERS).where(_USERS.c.chat_id == bindparam("the_chat")).returning(*_VIEWED)
_WRITE = update(_USERS).where(_USERS.c.id == bindparam("the_user"))
_SAVE = _WRITE.returning(*_VIEWED)  # reading a row back costs as much as writing it
_LOG_QUESTION = insert(_QUESTIONS).returning(_QUESTIONS.c.id)
_CLAIMS = {  # the claim of an update id, by dialect
    dialect: insert_ignoring_duplicates(dialect, _PROCESSED, "update_id").returning(
        _PROCESSED.c.update_id
    )
    for dialect in ("sqlite", "postgresql")
}
_PSEUDONYM_TRIES = 5  # with 32 random bits, a second clash in a row is all but impossible

Pseudonyms = Callable[[], str]


def _values(fields: dict[str, Any]) -> dict[str, Any]:
    """The columns `fields` set, checked: only what a user may change."""
    unknown = set(fields) - _USER_FIELDS
    if unknown:
        raise TypeError(f"cannot set {sorted(unknown)} of a user; allowed: {sorted(_USER_FIELDS)}")
    return {
        name: Role(value).value if name == "role" and value is not None else value
        for name, value in fields.items()
    }


def new_pseudonym() -> str:
    """"utente-3fa2b1c4": what staff and logs call a user; random, so it tells nothing."""
    return f"utente-{secrets.token_hex(4)}"


class SqlUserStore:
    """The bot's users, their conversation state, handled updates and logged questions."""

    def __init__(
        self, sessions: Sessions, *, clock: Clock = utc_now, pseudonyms: Pseudonyms = new_pseudonym
    ) -> None:
        self._transactions = Transactions(sessions)
        self._clock = clock
        self._pseudonyms = pseudonyms

    def transaction(self) -> AbstractAsyncContextManager[None]:
        return self._transactions.unit_of_work()

    async def get_or_create_user(self, chat_id: int, language: str) -> UserView:
        seen = {"the_chat": chat_id, "last_seen_at": self._clock()}
        async with self._transactions.connection() as connection:
            user = (await connection.execute(_TOUCH, seen)).first()  # usually: read & touch
            if user is None:  # first contact
                user = await self._insert_user(connection, seen, chat_id, language)
            return user_view(user)  # a row has the attributes of a User

    async def _insert_user(
        self, connection: Statements, seen: dict[str, Any], chat_id: int, language: str
    ) -> Any:
        """Insert the chat's user and read it back (`_TOUCH` with `seen`). The chat's first two
        updates may race, and a random pseudonym may be taken: the insert then does nothing (no
        error to abort the update's transaction), and a taken pseudonym is tried again with
        another."""
        now = self._clock()
        for _ in range(_PSEUDONYM_TRIES):
            await connection.execute(
                insert_ignoring_duplicates(connection.dialect.name, _USERS).values(
                    chat_id=chat_id,
                    pseudonym=self._pseudonyms(),
                    language=language,
                    state="",
                    context={},
                    blocked=False,
                    created_at=now,
                    last_seen_at=now,
                )
            )
            user = (await connection.execute(_TOUCH, seen)).first()
            if user is not None:
                return user
        raise RuntimeError(f"no free pseudonym in {_PSEUDONYM_TRIES} tries")

    async def user_by_pseudonym(self, pseudonym: str) -> UserView | None:
        async with self._transactions.session() as session:
            user = await session.scalar(
                select(User).where(User.pseudonym == pseudonym.strip().lower())
            )
            return user_view(user) if user else None

    async def update_user(self, user_id: int, **fields: Any) -> UserView:
        values = _values(fields)
        async with self._transactions.connection() as connection:
            user = (
                await connection.execute(
                    _SAVE, {**values, "last_seen_at": self._clock(), "the_user": user_id}
                )
            ).first()
            if user is None:
                raise EscalationError("user.unknown", user_id=user_id)
            return user_view(user)

    async def save_user(self, user: UserView, **fields: Any) -> UserView:
        """`update_user` for the user's own update, which has the row (locked since it was
        read and touched): the new view is `user` with `fields`, not read back. The context as
        reading it back would give: through JSON, like the column (tuples become lists)."""
        values = _values(fields)
        async with self._transactions.connection() as connection:
            written = await connection.execute(
                _WRITE, {**values, "last_seen_at": self._clock(), "the_user": user.id}
            )
        if written.rowcount != 1:
            raise EscalationError("user.unknown", user_id=user.id)
        if "role" in values:
            values["role"] = Role(values["role"]) if values["role"] else None
        if "context" in values:
            values["context"] = json.loads(json.dumps(values["context"]))
        return replace(user, **values)

    async def forget_user(self, user_id: int) -> None:
        now = self._clock()
        async with self._transactions.session() as session:
            user = await session.get(User, user_id)
            if user is None:
                return
            tickets = (await session.scalars(select(Ticket).where(Ticket.user_id == user_id))).all()
            for ticket in tickets:
                if (
                    ticket.status not in lifecycle.FINISHED
                    or ticket.status == TicketStatus.RESOLVED
                ):
                    ticket.status = lifecycle.transition(ticket.status, TicketStatus.CLOSED)
                    ticket.closed_at = now
                ticket.question = None
                ticket.user_id = None
                ticket.purged_at = now
            ids = [t.id for t in tickets]
            await session.execute(
                update(Offer)
                .where(Offer.ticket_id.in_(ids), Offer.state.in_(LIVE_OFFER_STATES))
                .values(state=OfferState.SUPERSEDED, answered_at=now)
            )
            await session.execute(delete(AckTimer).where(AckTimer.ticket_id.in_(ids)))
            await session.execute(
                update(TicketMessage)
                .where(TicketMessage.ticket_id.in_(ids))
                .values(**FORGOTTEN_MESSAGE)  # the routing chat and message ids too
            )
            await session.execute(
                update(QuestionLog)
                .where(QuestionLog.user_id == user_id)
                .values(text=None, user_id=None)
            )
            await session.delete(user)
            audit(session, now, SYSTEM, "user_forgotten", tickets=len(ids))

    async def claim_update(self, update_id: int) -> bool:
        async with self._transactions.connection() as connection:
            params = {"update_id": update_id, "at": self._clock()}
            inserted = await connection.scalar(_CLAIMS[connection.dialect.name], params)
            return inserted is not None

    async def log_question(
        self,
        user_id: int,
        text: str,
        action: str,
        entry_id: str | None,
        outcome: Outcome | None = None,
    ) -> int:
        async with self._transactions.connection() as connection:
            return await connection.scalar(
                _LOG_QUESTION,
                {
                    "user_id": user_id,
                    "text": text,
                    "action": action,
                    "entry_id": entry_id,
                    "outcome": Outcome(outcome).value if outcome else None,
                    "at": self._clock(),
                },
            )

    async def set_outcome(self, question_id: int, outcome: Outcome) -> None:
        async with self._transactions.connection() as connection:
            await connection.execute(
                update(_QUESTIONS)
                .where(_QUESTIONS.c.id == question_id)
                .values(outcome=Outcome(outcome).value)
            )
