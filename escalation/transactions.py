"""Which transaction a call of the user store, the outbox or the escalation service runs in.

Handling one Telegram update takes several calls (claim the update, find the user, log the
question, save the state ...). Inside `Transactions.unit_of_work()` they all share one
transaction, and it commits once, when the update has been handled and before the bot
replies; an exception rolls all of it back, the claim of the update included, so that
Telegram's redelivery is handled afresh. A call made outside a unit of work (the CLI, a test,
the bot's `sent` callback) runs in a short transaction of its own.

A unit of work is a Core connection, not an ORM session: the calls every update makes run a
statement or two each, where the session's bookkeeping (its own transaction, autoflush
checks, identity map, closing) costs more CPU than the statements. The calls that work with
ORM objects (tickets, volunteers) get a session bound to that connection, made the first time
one asks and flushed before the commit; a pupil's question never needs one.

The shared transaction is kept in a context variable: every asyncio task has its own copy, so
two updates handled at the same time never share one. It is shared by every store on the
same database engine, whichever session factory it was given (the Telegram adapter's outbox
stores an update's replies in the update's own transaction that way).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import Connection, CursorResult, Dialect, Executable
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

Sessions = async_sessionmaker[AsyncSession]

_WHEN_ENDED = "escalation_when_ended"
Ended = tuple[Callable[[], None], Callable[[], None]]  # what to call on commit, on rollback


class Statements(Protocol):
    """What the stores' Core statements run on: an `AsyncConnection`, or `_InPlace`."""

    @property
    def dialect(self) -> Dialect: ...

    async def execute(self, statement: Executable, parameters: Any = None) -> CursorResult[Any]: ...

    async def scalar(self, statement: Executable, parameters: Any = None) -> Any: ...


class _InPlace:
    """A SQLite transaction's statements, run on its synchronous connection in place. Every
    transaction here began with BEGIN IMMEDIATE and holds the database's lock, so none of its
    statements waits for anything (escalation.sqlite_driver), and SQLAlchemy's async wrapping
    of each (a greenlet, a coroutine, a check of the result) costs 16 CPU us a statement,
    three times SQLite's own work on a small statement."""

    __slots__ = ("_connection",)

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    @property
    def dialect(self) -> Dialect:
        return self._connection.dialect

    async def execute(self, statement: Executable, parameters: Any = None) -> CursorResult[Any]:
        return self._connection.execute(statement, parameters)

    async def scalar(self, statement: Executable, parameters: Any = None) -> Any:
        return self._connection.scalar(statement, parameters)


def _statements(connection: AsyncConnection) -> Statements:
    if connection.dialect.name == "sqlite" and connection.sync_connection is not None:
        return _InPlace(connection.sync_connection)
    return connection


@dataclass(eq=False, slots=True)
class _Unit:
    """One unit of work: its connection (in a transaction), and its session once asked for."""

    engine: AsyncEngine
    connection: AsyncConnection
    session: AsyncSession | None = None
    statements: Statements = field(init=False)

    def __post_init__(self) -> None:
        self.statements = _statements(self.connection)


_current: ContextVar[_Unit | None] = ContextVar("escalation_unit_of_work", default=None)


class Transactions:
    """Transactions of one database for the stores and the service: shared in a unit of work."""

    def __init__(self, sessions: Sessions) -> None:
        self._sessions = sessions
        self._engine: AsyncEngine = sessions.kw["bind"]

    def _shared(self) -> _Unit | None:
        unit = _current.get()
        return unit if unit is not None and unit.engine is self._engine else None

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[None]:
        """Every call inside shares one transaction: committed at the end, or rolled back."""
        if self._shared() is not None:  # already in one: the outer one commits
            yield
            return
        ended: list[Ended] = []
        async with self._engine.connect() as connection:
            unit = _Unit(self._engine, connection)
            try:
                async with connection.begin():
                    token = _current.set(unit)
                    try:
                        yield
                        if unit.session is not None:  # its changes, before the commit
                            await unit.session.flush()
                    finally:
                        _current.reset(token)
                        if unit.session is not None:
                            ended = unit.session.info.pop(_WHEN_ENDED, [])
                            await unit.session.close()
            except BaseException:
                _run(ended, committed=False)
                raise
        _run(ended, committed=True)

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Statements]:
        """The unit of work's connection, else a new transaction committed when the call ends.
        For plain Core statements: ORM objects of the unit's session are not flushed first."""
        shared = self._shared()
        if shared is not None:
            yield shared.statements
            return
        async with self._engine.begin() as connection:
            yield _statements(connection)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """The unit of work's session, else a new transaction committed when the call ends."""
        shared = self._shared()
        if shared is not None:
            if shared.session is None:  # joins the unit's transaction, never ends it
                shared.session = self._sessions(
                    bind=shared.connection, join_transaction_mode="rollback_only"
                )
            yield shared.session
            return
        async with self.own_session() as session:
            yield session

    @asynccontextmanager
    async def own_session(self) -> AsyncIterator[AsyncSession]:
        """A transaction of its own, even inside a unit of work, ended in place. SQLAlchemy's
        `async with` of a session ends it in a task of its own, a trip round the event loop
        later: on SQLite a read's transaction would hold the database lock meanwhile, and
        concurrent updates find it busy (escalation.sqlite_driver)."""
        session = self._sessions()
        committed = False
        try:
            async with session.begin():
                yield session
            committed = True
        finally:
            ended = session.info.pop(_WHEN_ENDED, [])
            await session.close()
            _run(ended, committed=committed)


def when_ended(
    session: AsyncSession, committed: Callable[[], None], rolled_back: Callable[[], None]
) -> None:
    """Call `committed` or `rolled_back` once the transaction `session` belongs to ended (it
    must be one of `Transactions`): for what a process may only believe once the database
    does."""
    session.info.setdefault(_WHEN_ENDED, []).append((committed, rolled_back))


def _run(ended: list[Ended], *, committed: bool) -> None:
    for on_commit, on_rollback in ended:
        (on_commit if committed else on_rollback)()
