"""Alembic builds the schema from an empty database, and it matches the models exactly."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from escalation.db import create_engine
from escalation.migrations import alembic_config, upgrade, upgrade_async
from escalation.models import Base, Ticket


def _on_database(url: str, check):
    async def run():
        engine = create_engine(url)
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(check)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def test_upgrade_head_builds_every_table_from_empty(database_url: str):
    assert _on_database(database_url, lambda c: inspect(c).get_table_names()) == []

    upgrade(database_url)

    tables = set(_on_database(database_url, lambda c: inspect(c).get_table_names()))
    assert tables == set(Base.metadata.tables) | {"alembic_version"}


def test_models_and_migrations_agree(database_url: str):
    upgrade(database_url)

    differences = _on_database(
        database_url,
        lambda c: compare_metadata(
            MigrationContext.configure(c, opts={"compare_type": True}), Base.metadata
        ),
    )

    assert differences == []


def test_downgrade_to_base_removes_the_tables_and_upgrade_is_repeatable(database_url: str):
    upgrade(database_url)
    command.downgrade(alembic_config(database_url), "base")
    assert _on_database(database_url, lambda c: inspect(c).get_table_names()) == ["alembic_version"]
    upgrade(database_url)
    upgrade(database_url)  # already at head: nothing to do, no error
    assert "tickets" in _on_database(database_url, lambda c: inspect(c).get_table_names())


async def test_upgrade_from_inside_an_event_loop(database_url: str):
    await upgrade_async(database_url)

    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda c: inspect(c).get_table_names())
    finally:
        await engine.dispose()
    assert set(tables) == set(Base.metadata.tables) | {"alembic_version"}


def test_0003_gives_tickets_waiting_for_a_volunteer_the_default_expiry(database_url: str):
    upgrade(database_url, "0002")
    opened = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    columns = ("id", "language", "status", "priority", "current_level", "current_round")
    tickets = sa.table(
        "tickets",
        *(sa.column(name) for name in columns),
        sa.column("tried_entries", sa.JSON()),
        sa.column("policy", sa.JSON()),
        sa.column("opened_at", sa.DateTime(timezone=True)),
    )
    waiting = [("offered", "normal"), ("open", "urgent"), ("assigned", "normal")]
    rows = [
        dict(zip(columns, (n, "it", status, priority, 0, 0), strict=True))
        | {"tried_entries": [], "policy": {}, "opened_at": opened}
        for n, (status, priority) in enumerate([*waiting, ("released", "normal")], start=1)
    ]

    def insert(connection):
        connection.execute(tickets.insert(), rows)
        connection.commit()

    _on_database(database_url, insert)
    upgrade(database_url)

    def expiries(connection):
        query = sa.select(Ticket.id, Ticket.expires_at).order_by(Ticket.id)
        return [expires_at for _, expires_at in connection.execute(query)]

    in_72_hours = opened + timedelta(hours=72)
    assert _on_database(database_url, expiries) == [in_72_hours, None, None, in_72_hours]
