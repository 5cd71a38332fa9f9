"""Shared fixtures: a real database (SQLite file and PostgreSQL), a fake clock, a test rota.

Every database test runs twice, on SQLite and on PostgreSQL. PostgreSQL tests get a fresh
schema of their own (so that several test runs can share the server), and fail loudly if
the server is down: they are never skipped.
"""

from __future__ import annotations

import os
import uuid
import warnings
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from escalation.db import create_engine, session_factory
from escalation.models import Base
from escalation.rota import (
    DEFAULT_QUIET_HOURS,
    Coordinator,
    EscalationPolicy,
    Level,
    Rota,
    Shift,
    Volunteer,
)
from escalation.service import SqlEscalationService
from escalation.users import SqlUserStore

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
ROME = ZoneInfo("Europe/Rome")
# A Monday, 10:00 in Milan: inside the test shifts, outside quiet hours.
MONDAY_10 = datetime(2026, 11, 30, 10, 0, tzinfo=ROME).astimezone(UTC)


def postgres_base_url() -> str:
    return os.environ.get("TEST_DATABASE_URL_PG", DEFAULT_PG_URL)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: a SQLite file, or a schema of its own on the PostgreSQL server."""
    with empty_database(request.param, tmp_path) as url:
        yield url


@contextmanager
def empty_database(backend: str, folder: Path) -> Iterator[str]:
    """The URL of an empty database: a SQLite file in `folder`, or a new PostgreSQL schema
    (dropped afterwards, so that several runs can share the server)."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{folder / 'helpdesk.sqlite3'}"
        return
    base = make_url(postgres_base_url())
    schema = f"test_{uuid.uuid4().hex[:12]}"
    conninfo = base.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as connection:  # down: the test errors
        connection.execute(f'CREATE SCHEMA "{schema}"')
    try:
        url = base.update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        _drop_schema(conninfo, schema)


def _drop_schema(conninfo: str, schema: str) -> None:
    """Drop a test's schema. A connection the test left idle inside a transaction (a bot task
    cancelled mid-statement at shutdown) would make the drop wait forever: after a while it is
    ended, with a warning, rather than hanging the whole run."""
    with psycopg.connect(conninfo, autocommit=True) as connection:
        connection.execute("SET lock_timeout = '20s'")
        try:
            connection.execute(f'DROP SCHEMA "{schema}" CASCADE')
            return
        except psycopg.errors.LockNotAvailable:
            pass
        ended = connection.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname ="
            " current_database() AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'"
        ).fetchall()
        warnings.warn(f"schema {schema}: ended {len(ended)} connection(s) left in a transaction",
                      stacklevel=1)
        connection.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on `database_url` with every table created from the models."""
    engine = create_engine(database_url)
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return session_factory(engine)


@dataclass
class FakeClock:
    """The time the code under test sees; tests move it instead of sleeping."""

    now: datetime = MONDAY_10

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


TEST_POLICY = EscalationPolicy(
    levels=(
        Level("best_match", 2, timedelta(minutes=5)),
        Level("on_shift", None, timedelta(minutes=10)),
        Level("coordinators", None, timedelta(minutes=15)),
    ),
    rounds=2,
)


def make_rota(
    volunteers: int = 6,
    *,
    shifts: tuple[Shift, ...] | None = None,
    policy: EscalationPolicy = TEST_POLICY,
) -> Rota:
    """Volunteers V001.. speaking Italian, one coordinator C001; by default all on shift
    08:00-20:00 every day, quiet hours 21:00-07:30 Europe/Rome."""
    people = tuple(
        Volunteer(f"V{n:03d}", f"Volunteer {n}", frozenset({"it"}), frozenset(), frozenset())
        for n in range(1, volunteers + 1)
    )
    codes = tuple(v.code for v in people)
    if shifts is None:
        shifts = tuple(Shift(day, 8 * 60, 20 * 60, codes) for day in range(7))
    return Rota(
        volunteers=people,
        coordinators=(Coordinator("C001", "Coordinator", frozenset({"it"})),),
        shifts=shifts,
        policy=policy,
        quiet_hours=DEFAULT_QUIET_HOURS,
        timezone=ROME,
    )


@dataclass
class RotaHolder:
    """What /reload swaps: the service asks it for the current rota each time."""

    rota: Rota = field(default_factory=make_rota)

    def __call__(self) -> Rota:
        return self.rota

    def edit(self, **changes: object) -> None:
        self.rota = replace(self.rota, **changes)


@dataclass
class Desk:
    """A service, a user store and their rota on one test database."""

    service: SqlEscalationService
    users: SqlUserStore
    rota: RotaHolder
    clock: FakeClock
    sessions: async_sessionmaker[AsyncSession]

    async def link_everyone(self) -> None:
        """Link every rota person to chat id 1000+n (volunteers) or 9000+n (coordinators)."""
        await self.service.sync_rota()
        for n, volunteer in enumerate(self.rota.rota.volunteers, start=1):
            await self.service.link_volunteer(volunteer.code, volunteer_chat(n))
        for n, coordinator in enumerate(self.rota.rota.coordinators, start=1):
            await self.service.link_volunteer(coordinator.code, 9000 + n)

    async def user(self, chat_id: int = 1, *, school: str | None = None) -> int:
        user = await self.users.get_or_create_user(chat_id, "it")
        if school is not None:
            await self.users.update_user(user.id, school=school)
        return user.id

    def another(self, worker_id: str) -> SqlEscalationService:
        """A second service on the same database, as another process would have."""
        return SqlEscalationService(self.sessions, self.rota, clock=self.clock, worker_id=worker_id)


def volunteer_chat(n: int) -> int:
    return 1000 + n


@pytest.fixture
async def desk(sessions: async_sessionmaker[AsyncSession], clock: FakeClock) -> Desk:
    holder = RotaHolder()
    desk = Desk(
        SqlEscalationService(sessions, holder, clock=clock, worker_id="sweeper-1"),
        SqlUserStore(sessions, clock=clock),
        holder,
        clock,
        sessions,
    )
    await desk.link_everyone()
    return desk
