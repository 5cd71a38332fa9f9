"""SQLite under SQLAlchemy's asyncio engine, its statements run in the event loop's own thread.

aiosqlite runs every SQLite call on a thread of its own. Handing a statement to that thread
and the result back (a queue, the GIL, waking the event loop) costs far more CPU than the
statement itself, which takes microseconds on a local file: bench_bot's adapter alone went
from 3.6 to about 1.9 CPU ms an update without the hand-offs. So here a cursor's `execute`,
`commit` and `rollback` run inline, in the loop's thread; aiosqlite's connection and thread
remain only for opening and closing the connection.

Running inline, one thing must never happen: waiting for SQLite's lock inside a call, which
would block the loop, and with it the very transaction of this process that holds the lock
(a deadlock until the busy timeout). So SQLite's own busy timeout is 0, and a statement
SQLite refuses as busy is tried again after an asynchronous sleep (1 ms, doubling up to
50 ms) until the connection's `timeout` has passed, then it fails as before ("database is
locked"). Only what SQLite says can be retried is: a statement outside a transaction (our
`BEGIN IMMEDIATE`, which takes the lock every transaction here starts with) and COMMIT.

The price: a long statement holds the loop for as long as SQLite works on it, where
aiosqlite's thread let other updates go on meanwhile. The bot's statements read or write a
few rows by index; the longest are rare (measured on 100,000 question logs and 100,000
handled update ids: the retention purge of all of them at once 0.2 s, a once-a-day purge a
thirtieth of that; /stats 29 ms, /nonrisposte 28 ms).

SQLAlchemy fetches every row right after executing (it does not stream from SQLite), so the
cursor fetches all at once and keeps them; a rollback with no transaction open (the pool's,
after every commit) does nothing. `escalation.db` plugs this in through SQLAlchemy's
`do_connect` event.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import aiosqlite

Row = tuple[Any, ...]
T = TypeVar("T")

SQLITE_BUSY = 5  # the primary result code; extended codes (BUSY_RECOVERY ...) share it
FIRST_WAIT = 0.001
LONGEST_WAIT = 0.05


def _run(
    connection: sqlite3.Connection, sql: str, parameters: Any, many: bool
) -> tuple[Any, int, int | None, list[Row]]:
    """Execute, fetch everything, close; what the cursor keeps."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(sql, parameters)
        else:
            cursor.execute(sql, parameters)
        rows = cursor.fetchall() if cursor.description else []
        return cursor.description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()


def _busy(error: sqlite3.OperationalError) -> bool:
    return getattr(error, "sqlite_errorcode", 0) & 0xFF == SQLITE_BUSY


class InlineCursor:
    """The part of aiosqlite's cursor SQLAlchemy uses, run in the caller's thread."""

    __slots__ = ("_connection", "_rows", "arraysize", "description", "lastrowid", "rowcount")

    def __init__(self, connection: InlineConnection) -> None:
        self._connection = connection
        self._rows: list[Row] = []
        self.arraysize = 1
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    async def execute(self, sql: str, parameters: Any = ()) -> InlineCursor:
        return await self._go(sql, parameters, many=False)

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> InlineCursor:
        return await self._go(sql, list(parameters), many=True)

    async def _go(self, sql: str, parameters: Any, *, many: bool) -> InlineCursor:
        connection = self._connection
        self.description, self.rowcount, self.lastrowid, self._rows = await connection.inline(
            _run, connection._conn, sql, parameters, many, retry=not connection.in_transaction
        )
        return self

    async def fetchone(self) -> Row | None:
        return self._rows.pop(0) if self._rows else None

    async def fetchmany(self, size: int | None = None) -> Sequence[Row]:
        size = self.arraysize if size is None else size
        taken, self._rows = self._rows[:size], self._rows[size:]
        return taken

    async def fetchall(self) -> Sequence[Row]:
        taken, self._rows = self._rows, []
        return taken

    async def close(self) -> None:
        self._rows = []


class InlineConnection(aiosqlite.Connection):
    """An aiosqlite connection whose statements, commits and rollbacks run inline, waiting
    for SQLite's lock asynchronously (see the module docstring)."""

    def __init__(self, connector: Callable[[], sqlite3.Connection], lock_timeout: float) -> None:
        super().__init__(connector, 64)
        self._lock_timeout = lock_timeout

    def cursor(self) -> InlineCursor:  # type: ignore[override]
        return InlineCursor(self)

    async def commit(self) -> None:
        await self.inline(self._conn.commit, retry=True)

    async def rollback(self) -> None:
        """SQLAlchemy's pool rolls back every connection given back to it, after a commit
        too, where SQLite has nothing to undo (`in_transaction` is SQLite's own flag)."""
        if self._connection is not None and self._connection.in_transaction:
            self._conn.rollback()

    async def inline(self, call: Callable[..., T], *args: Any, retry: bool) -> T:
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


def connect(database: str, *, timeout: float = 5.0, **options: Any) -> InlineConnection:
    """Like `aiosqlite.connect` (await it to open): `timeout` is how long a statement waits
    for another connection's lock, asynchronously; SQLite itself never waits."""
    options["check_same_thread"] = False  # opened in aiosqlite's thread, used in the loop's
    return InlineConnection(lambda: sqlite3.connect(database, timeout=0, **options), timeout)
