"""aiosqlite connections whose statements take one trip to the connection's thread, not four.

aiosqlite runs each SQLite call on a thread of its own, and SQLAlchemy's adapter makes four
calls per statement (open a cursor, execute, fetch the rows, close the cursor): four trips,
each waking the thread and then the event loop, which costs far more CPU than the statement
itself. Here a cursor's `execute` does all four in the thread at once and keeps the rows;
fetching and closing are then plain Python. SQLAlchemy fetches every row right after
executing anyway (it does not stream from SQLite), so nothing is read that it would not read.
A rollback with no transaction open (the pool's, after every commit) takes no trip at all.
`escalation.db` plugs this in through SQLAlchemy's `do_connect` event.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

import aiosqlite

Row = tuple[Any, ...]


def _run(
    connection: sqlite3.Connection, sql: str, parameters: Any, many: bool
) -> tuple[Any, int, int | None, list[Row]]:
    """In the connection's thread: execute, fetch everything, close; what the cursor keeps."""
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


class OneTripCursor:
    """The part of aiosqlite's cursor SQLAlchemy uses, one thread trip per statement."""

    __slots__ = ("_connection", "_rows", "arraysize", "description", "lastrowid", "rowcount")

    def __init__(self, connection: OneTripConnection) -> None:
        self._connection = connection
        self._rows: list[Row] = []
        self.arraysize = 1
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None

    async def __aenter__(self) -> OneTripCursor:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    async def execute(self, sql: str, parameters: Any = ()) -> OneTripCursor:
        return await self._go(sql, parameters, many=False)

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> OneTripCursor:
        return await self._go(sql, list(parameters), many=True)

    async def _go(self, sql: str, parameters: Any, *, many: bool) -> OneTripCursor:
        connection = self._connection
        self.description, self.rowcount, self.lastrowid, self._rows = await connection._execute(
            _run, connection._conn, sql, parameters, many
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


class OneTripConnection(aiosqlite.Connection):
    """An aiosqlite connection handing out `OneTripCursor`s (no trip to open one), whose
    rollback takes no trip when SQLite has no transaction open."""

    def cursor(self) -> OneTripCursor:  # type: ignore[override]
        return OneTripCursor(self)

    async def rollback(self) -> None:
        """SQLAlchemy's pool rolls back every connection given back to it, after a commit
        too, where SQLite has nothing to undo. Whether a transaction is open is SQLite's own
        flag (`sqlite3_get_autocommit`), read between two statements: nothing else runs on
        the connection while SQLAlchemy awaits this, so it cannot change meanwhile."""
        if self._connection is not None and not self._connection.in_transaction:
            return
        await super().rollback()


def connect(database: str, **options: Any) -> OneTripConnection:
    """Like `aiosqlite.connect` (await it to open), with one-trip cursors."""
    return OneTripConnection(lambda: sqlite3.connect(database, **options), 64)
