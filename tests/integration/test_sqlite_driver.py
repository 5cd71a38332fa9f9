"""SQLite called in place inside SQLAlchemy's async engine behaves like aiosqlite, and waits for
another connection's lock without blocking the loop (escalation.sqlite_driver)."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from escalation.db import create_engine

metadata = MetaData()
things = Table(
    "things", metadata, Column("id", Integer, primary_key=True), Column("name", String(20))
)


@asynccontextmanager
async def things_at(path: Path, **options: Any) -> AsyncIterator[AsyncEngine]:
    """An engine on the SQLite file `path` (through escalation.db) with the table made."""
    engine = create_engine(f"sqlite+aiosqlite:///{path}", **options)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
        yield engine
    finally:
        await engine.dispose()


async def test_rows_counts_and_ids_come_back(tmp_path: Path) -> None:
    async with things_at(tmp_path / "inline.sqlite3") as engine:
        async with engine.begin() as connection:
            raw = await connection.get_raw_connection()
            assert isinstance(raw.driver_connection, sqlite3.Connection)
            first = await connection.execute(insert(things).values(name="a"))
            assert first.inserted_primary_key == (1,)  # lastrowid, no RETURNING
            ids = await connection.scalars(
                insert(things).returning(things.c.id, sort_by_parameter_order=True),
                [{"name": "b"}, {"name": "c"}, {"name": "d"}],
            )
            assert list(ids) == [2, 3, 4]
            changed = await connection.execute(
                update(things).where(things.c.id > 2).values(name="x")
            )
            assert changed.rowcount == 2
        async with engine.connect() as connection:
            rows = await connection.execute(select(things.c.name).order_by(things.c.id))
            assert [row.name for row in rows] == ["a", "b", "x", "x"]
            streamed = await connection.stream(select(things.c.id).order_by(things.c.id))
            assert [row.id async for row in streamed] == [1, 2, 3, 4]


async def test_statements_commits_and_rollbacks_run_in_place_without_yielding_to_the_loop(
    tmp_path: Path,
) -> None:
    async with things_at(tmp_path / "in-place.sqlite3") as engine:
        others: list[str] = []
        asyncio.get_running_loop().call_soon(others.append, "another task ran")
        connection = await engine.connect()  # not `async with`: its exit is a task of its own
        transaction = await connection.begin()
        for name in ("a", "b", "c"):
            await connection.execute(insert(things).values(name=name))
        await transaction.commit()
        await connection.close()
        connection = await engine.connect()  # a transaction left open when given back
        await connection.execute(insert(things).values(name="undone"))
        await connection.close()
        assert others == []  # nothing above waited for a thread or anything else
        async with engine.connect() as connection:
            names = await connection.scalars(select(things.c.name).order_by(things.c.id))
            assert list(names) == ["a", "b", "c"]


@contextmanager
def locked_by_another_process(path: Path) -> Iterator[threading.Event]:
    """The database's write lock held by a plain sqlite3 connection (as another process
    would) until the yielded event is set."""
    release, taken = threading.Event(), threading.Event()

    def hold() -> None:
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        other.execute("INSERT INTO things (name) VALUES ('theirs')")
        taken.set()
        release.wait(10)
        other.execute("COMMIT")
        other.close()

    holder = threading.Thread(target=hold)
    holder.start()
    taken.wait(5)
    try:
        yield release
    finally:
        release.set()
        holder.join(10)


async def _ticks_while(awaitable: Any) -> tuple[Any, int]:
    """What `awaitable` gives, and how often the event loop ran something else meanwhile."""
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    running = asyncio.create_task(ticker())
    try:
        return await awaitable, ticks
    finally:
        running.cancel()


async def test_a_lock_held_elsewhere_is_waited_for_without_blocking_the_loop(
    tmp_path: Path,
) -> None:
    path = tmp_path / "wait.sqlite3"
    async with things_at(path) as engine:
        with locked_by_another_process(path) as release:
            asyncio.get_running_loop().call_later(0.3, release.set)

            async def ours() -> list[str]:
                async with engine.begin() as connection:
                    await connection.execute(insert(things).values(name="ours"))
                async with engine.connect() as connection:
                    return list(await connection.scalars(select(things.c.name)))

            names, ticks = await _ticks_while(ours())
        assert names == ["theirs", "ours"]  # ours waited for theirs
        assert ticks >= 10  # ~0.3 s of waiting, the loop free all along


async def test_a_lock_never_released_fails_after_the_timeout_as_before(tmp_path: Path) -> None:
    path = tmp_path / "timeout.sqlite3"
    async with things_at(path, connect_args={"timeout": 0.3}) as engine:
        with locked_by_another_process(path):

            async def ours() -> None:
                async with engine.begin() as connection:
                    await connection.execute(insert(things).values(name="ours"))

            with pytest.raises(OperationalError, match="database is locked"):
                await _ticks_while(ours())


async def test_a_transaction_of_this_process_holding_the_lock_across_an_await_is_waited_for(
    tmp_path: Path,
) -> None:
    """Inline SQLite must not wait inside the call: the holder could never go on."""
    async with things_at(tmp_path / "same-process.sqlite3") as engine:
        first_holds = asyncio.Event()

        async def first() -> None:
            async with engine.begin() as connection:
                await connection.execute(insert(things).values(name="first"))
                first_holds.set()
                await asyncio.sleep(0.2)  # e.g. a call to Telegram inside the transaction

        async def second() -> None:
            await first_holds.wait()
            async with engine.begin() as connection:
                await connection.execute(insert(things).values(name="second"))

        await asyncio.wait_for(asyncio.gather(first(), second()), 10)
        async with engine.connect() as connection:
            names = await connection.scalars(select(things.c.name).order_by(things.c.id))
            assert list(names) == ["first", "second"]
