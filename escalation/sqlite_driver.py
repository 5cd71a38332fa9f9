"""SQLite under SQLAlchemy's asyncio engine: plain sqlite3, called inside SQLAlchemy's greenlet.

SQLAlchemy's async engine runs its synchronous core in a greenlet and lets a driver's
awaitables through: with aiosqlite, every cursor, execute, fetch, close, commit and rollback
becomes a coroutine, a switch out of the greenlet and back, and (in aiosqlite itself) a trip
to a thread of its own. A statement on a local file takes microseconds; all that wrapping
cost far more (measured, a transaction of three statements: 326 CPU us through aiosqlite's
adapter with no thread trips left, 116 us through SQLAlchemy's sync engine, 20 us in sqlite3
alone). So the DBAPI connection SQLAlchemy gets here is sqlite3's own, behind the few
methods SQLAlchemy calls. Through SQLAlchemy's async API a statement makes the one trip out
of the greenlet that SQLAlchemy insists on; called directly on the synchronous connection
(`escalation.transactions` does, inside a transaction, which holds the lock), it runs in
place.

Running in the loop's thread, one thing must never happen: waiting for SQLite's lock inside a
call, which would block the loop, and with it the very transaction of this process that
holds the lock (a deadlock until the busy timeout). So SQLite's own busy timeout is 0, and a
statement SQLite refuses as busy is tried again after an asynchronous sleep (1 ms, doubling
up to 50 ms; `await_` hands the loop back meanwhile) until the connection's `timeout` has
passed, then it fails as before ("database is locked"). Only what SQLite says can be retried
is: a statement outside a transaction (our `BEGIN IMMEDIATE`, which takes the lock every
transaction here starts with) and COMMIT.

The price: a long statement holds the loop for as long as SQLite works on it. The bot's
statements read or write a few rows by index; the longest are rare (measured on 100,000
question logs and 100,000 handled update ids: the retention purge of all of them at once
0.2 s, a once-a-day purge a thirtieth of that; /stats 29 ms, /nonrisposte 28 ms).

SQLAlchemy's `sqlite+aiosqlite` dialect stays (its SQL, its types, its async pool): only the
connection it opens is replaced, through its `do_connect` event (`escalation.db`).
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from sqlalchemy.engine.interfaces import AdaptedConnection
from sqlalchemy.util.concurrency import await_, in_greenlet

Row = tuple[Any, ...]
T = TypeVar("T")

SQLITE_BUSY = 5  # the primary result code; extended codes (BUSY_RECOVERY ...) share it
FIRST_WAIT = 0.001
LONGEST_WAIT = 0.05


def _busy(error: sqlite3.OperationalError) -> bool:
    return getattr(error, "sqlite_errorcode", 0) & 0xFF == SQLITE_BUSY


class Cursor:
    """The DBAPI cursor SQLAlchemy uses: executes, fetches every row at once (SQLAlchemy
    buffers them anyway, streamed results included) and keeps them."""

    __slots__ = ("_connection", "_rows", "arraysize", "description", "lastrowid", "rowcount")

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._rows: deque[Row] = deque()
        self.arraysize = 1
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None

    def execute(self, sql: str, parameters: Any = ()) -> Cursor:
        return self._go(sql, parameters, many=False)

    def executemany(self, sql: str, parameters: Iterable[Any]) -> Cursor:
        return self._go(sql, list(parameters), many=True)

    def _go(self, sql: str, parameters: Any, *, many: bool) -> Cursor:
        """Run `sql`; inside SQLAlchemy's greenlet through `await_` (it checks that every
        statement awaited), waiting asynchronously while the database is busy."""
        connection = self._connection
        if in_greenlet():
            cursor = await_(
                connection.retrying(
                    connection.execute, sql, parameters, many, retry=not connection.in_transaction
                )
            )
        else:
            cursor = connection.execute(sql, parameters, many)
        try:
            self.description = cursor.description
            self._rows = deque(cursor.fetchall() if cursor.description else ())
            self.rowcount, self.lastrowid = cursor.rowcount, cursor.lastrowid
        finally:
            cursor.close()
        return self

    def fetchone(self) -> Row | None:
        return self._rows.popleft() if self._rows else None

    def fetchmany(self, size: int | None = None) -> Sequence[Row]:
        rows = self._rows
        return [rows.popleft() for _ in range(min(size or self.arraysize, len(rows)))]

    def fetchall(self) -> Sequence[Row]:
        taken, self._rows = list(self._rows), deque()
        return taken

    def close(self) -> None:
        self._rows.clear()

    async def _async_soft_close(self) -> None:
        """What SQLAlchemy's async results call once they have the rows: nothing to free."""


class Connection(AdaptedConnection):
    """sqlite3's connection as SQLAlchemy's async dialect expects it (`driver_connection` is
    the sqlite3 connection), waiting for another connection's lock asynchronously."""

    __slots__ = ("_lock_timeout",)

    _connection: sqlite3.Connection

    def __init__(self, connection: sqlite3.Connection, lock_timeout: float) -> None:
        self._connection = connection
        self._lock_timeout = lock_timeout

    @property
    def in_transaction(self) -> bool:
        return self._connection.in_transaction

    @property
    def isolation_level(self) -> str | None:
        return self._connection.isolation_level

    @isolation_level.setter
    def isolation_level(self, value: str | None) -> None:
        self._connection.isolation_level = value

    def cursor(self, server_side: bool = False) -> Cursor:
        return Cursor(self)

    def execute(self, sql: str, parameters: Any, many: bool) -> sqlite3.Cursor:
        if many:
            return self._connection.executemany(sql, parameters)
        return self._connection.execute(sql, parameters)

    def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._connection.create_function(*args, **kwargs)

    def commit(self) -> None:
        await_(self.retrying(self._connection.commit, retry=True))

    def rollback(self) -> None:
        """SQLAlchemy's pool rolls back every connection given back to it, after a commit
        too, where SQLite has nothing to undo."""
        if self._connection.in_transaction:
            self._connection.rollback()

    def close(self) -> None:
        self._connection.close()

    terminate = close  # nothing in flight to interrupt: every call here runs to its end

    async def retrying(self, call: Callable[..., T], *args: Any, retry: bool) -> T:
        """`call(*args)` here and now; while SQLite says the database is busy and `retry`
        is allowed, again after a sleep that lets the lock's holder go on."""
        wait, deadline = FIRST_WAIT, time.monotonic() + self._lock_timeout
        while True:
            try:
                return call(*args)
            except sqlite3.OperationalError as error:
                if not (retry and _busy(error)) or time.monotonic() + wait > deadline:
                    raise
            await asyncio.sleep(wait)
            wait = min(wait * 2, LONGEST_WAIT)


def connect(database: str, *, timeout: float = 5.0, **options: Any) -> Connection:
    """Like `sqlite3.connect`, but `timeout` is how long a statement waits for another
    connection's lock, asynchronously; SQLite itself never waits."""
    options.setdefault("check_same_thread", False)  # the pool may close it from another
    return Connection(sqlite3.connect(database, timeout=0, **options), timeout)
