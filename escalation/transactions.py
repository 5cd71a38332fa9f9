"""Which session a call of the user store or the escalation service runs in.

Handling one Telegram update takes several calls (claim the update, find the user, log the
question, save the state ...). Inside `Transactions.unit_of_work()` they all share one
session, and it commits once, when the update has been handled and before the bot replies;
an exception rolls all of it back, the claim of the update included, so that Telegram's
redelivery is handled afresh. A call made outside a unit of work (the CLI, a test, the
bot's `sent` callback) runs in a short transaction of its own.

The shared session is kept in a context variable: every asyncio task has its own copy, so
two updates handled at the same time never share a session. It is shared by every store on
the same database engine, whichever session factory it was given (the Telegram adapter's
outbox stores an update's replies in the update's own transaction that way).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

Sessions = async_sessionmaker[AsyncSession]

_WHEN_ENDED = "escalation_when_ended"
_current: ContextVar[tuple[Any, AsyncSession] | None] = ContextVar(
    "escalation_unit_of_work", default=None
)


class Transactions:
    """Sessions of one database for the store and the service: shared in a unit of work."""

    def __init__(self, sessions: Sessions) -> None:
        self._sessions = sessions
        self._database = sessions.kw.get("bind") or sessions

    def _shared(self) -> AsyncSession | None:
        current = _current.get()
        return current[1] if current is not None and current[0] is self._database else None

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[None]:
        """Every call inside shares one transaction: committed at the end, or rolled back."""
        if self._shared() is not None:  # already in one: the outer one commits
            yield
            return
        async with self._sessions() as session:
            try:
                async with session.begin():
                    token = _current.set((self._database, session))
                    try:
                        yield
                    finally:
                        _current.reset(token)
            except BaseException:
                _ended(session, committed=False)
                raise
            _ended(session, committed=True)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """The unit of work's session, else a new transaction committed when the call ends."""
        shared = self._shared()
        if shared is not None:
            yield shared
            return
        async with self._sessions() as session:
            try:
                async with session.begin():
                    yield session
            except BaseException:
                _ended(session, committed=False)
                raise
            _ended(session, committed=True)


def when_ended(
    session: AsyncSession, committed: Callable[[], None], rolled_back: Callable[[], None]
) -> None:
    """Call `committed` or `rolled_back` once the transaction `session` belongs to ended (it
    must be one of `Transactions`): for what a process may only believe once the database
    does."""
    session.info.setdefault(_WHEN_ENDED, []).append((committed, rolled_back))


def _ended(session: AsyncSession, *, committed: bool) -> None:
    for on_commit, on_rollback in session.info.pop(_WHEN_ENDED, ()):
        (on_commit if committed else on_rollback)()
