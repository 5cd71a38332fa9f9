"""Alembic migrations of the helpdesk database, shipped inside the package.

`helpdesk db upgrade` calls `upgrade(url)`; from a checkout,
`alembic -c escalation/migrations/alembic.ini upgrade head` does the same (the URL comes
from DATABASE_URL, or the default SQLite file).
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection

HERE = Path(__file__).parent


def alembic_config(url: str | None = None) -> Config:
    """A Config that finds these scripts wherever the package is installed."""
    config = Config(str(HERE / "alembic.ini"))
    config.set_main_option("script_location", str(HERE))
    if url is not None:
        config.attributes["database_url"] = url
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at `url` to `revision` (creates the schema in an empty database).

    Runs its own event loop: from async code, use `upgrade_async`.
    """
    command.upgrade(alembic_config(url), revision)


async def upgrade_async(url: str, revision: str = "head") -> None:
    """`upgrade` for callers already inside an event loop (the bot at start-up, tests)."""
    from escalation.db import create_engine

    def run(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(run)
    finally:
        await engine.dispose()
