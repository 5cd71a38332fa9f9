"""One-trip SQLite cursors behave like aiosqlite's through SQLAlchemy (escalation.sqlite_driver)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, update

from escalation.db import create_engine
from escalation.sqlite_driver import OneTripConnection

metadata = MetaData()
things = Table(
    "things", metadata, Column("id", Integer, primary_key=True), Column("name", String(20))
)


async def test_rows_counts_and_ids_come_back(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'one-trip.sqlite3'}")
    try:
        async with engine.begin() as connection:
            raw = await connection.get_raw_connection()
            assert isinstance(raw.driver_connection, OneTripConnection)
            await connection.run_sync(metadata.create_all)
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
    finally:
        await engine.dispose()


async def test_rollback_takes_a_trip_only_when_there_is_something_to_undo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    trips: list[str] = []
    real = OneTripConnection._execute

    async def counted(self: OneTripConnection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        trips.append(getattr(fn, "__name__", repr(fn)))
        return await real(self, fn, *args, **kwargs)

    monkeypatch.setattr(OneTripConnection, "_execute", counted)
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'rollback.sqlite3'}")
    try:
        async with engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
        async with engine.begin() as connection:
            await connection.execute(insert(things).values(name="kept"))
        trips.clear()
        async with engine.begin() as connection:  # committed, then given back to the pool
            await connection.execute(insert(things).values(name="also kept"))
        assert trips.count("rollback") == 0
        connection = await engine.connect()  # a transaction left open when given back
        await connection.execute(insert(things).values(name="undone"))
        await connection.close()
        assert trips.count("rollback") == 1
        async with engine.connect() as connection:
            names = await connection.scalars(select(things.c.name).order_by(things.c.id))
            assert list(names) == ["kept", "also kept"]
    finally:
        await engine.dispose()
