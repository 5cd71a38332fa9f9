"""Async engine and session factory from a database URL.

Nothing is created at import time: the CLI, the bot and the tests each build their own engine
from the URL they were given. SQLite gets `BEGIN IMMEDIATE` transactions so that two writers
queue up on the database lock instead of failing half-way with "database is locked"; that is
what makes the conditional-UPDATE claims safe there.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from escalation import sqlite_driver
from escalation.dburl import DEFAULT_DATABASE_URL

_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+psycopg",
    "postgresql": "postgresql+psycopg",
    "postgresql+psycopg2": "postgresql+psycopg",
    "postgresql+asyncpg": "postgresql+psycopg",
    "postgresql+psycopg_async": "postgresql+psycopg",
}


def normalise_url(url: str) -> str:
    """The async-driver form of `url`: `postgresql://` -> psycopg 3, `sqlite://` -> aiosqlite."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ValueError(f"not a database URL: {url!r} (expected e.g. {DEFAULT_DATABASE_URL})")
    return f"{_ASYNC_DRIVERS.get(scheme, scheme)}://{rest}"


def is_sqlite(url_or_engine: str | AsyncEngine) -> bool:
    url = url_or_engine.url if isinstance(url_or_engine, AsyncEngine) else make_url(url_or_engine)
    return url.get_backend_name() == "sqlite"


def create_engine(url: str = DEFAULT_DATABASE_URL, **options: Any) -> AsyncEngine:
    """An async engine for `url` (normalised); SQLite gets WAL, foreign keys and IMMEDIATE."""
    url = normalise_url(url)
    if not is_sqlite(url):
        return create_async_engine(url, pool_pre_ping=True, **options)
    # timeout: how long a statement waits for another connection's lock (see sqlite_driver)
    connect_args = {"timeout": 30, **options.pop("connect_args", {})}
    engine = create_async_engine(url, connect_args=connect_args, **options)
    _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "do_connect")
    def _plain_sqlite3(_dialect: Any, _record: Any, args: Any, options: Any) -> Any:
        return sqlite_driver.connect(*args, **options)  # see escalation.sqlite_driver

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the driver so that "begin" below decides.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions whose objects stay readable after commit (views are built after it)."""
    return async_sessionmaker(engine, expire_on_commit=False)
