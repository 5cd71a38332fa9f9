"""Alembic builds the schema from an empty database, and it matches the models exactly."""

from __future__ import annotations

import asyncio

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from escalation.db import create_engine
from escalation.migrations import alembic_config, upgrade, upgrade_async
from escalation.models import Base


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
