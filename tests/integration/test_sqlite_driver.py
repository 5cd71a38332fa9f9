"""One-trip SQLite cursors behave like aiosqlite's through SQLAlchemy (escalation.sqlite_driver)."""

from __future__ import annotations

from pathlib import Path

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
