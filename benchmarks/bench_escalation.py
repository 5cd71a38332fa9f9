"""How fast the escalation layer is on SQLite and PostgreSQL.

    .venv/bin/python benchmarks/bench_escalation.py [--tickets 200] [--timers 10000]
        [--due 1000] [--repeat 3] [--backends sqlite,postgresql]

Measures tickets opened, taken and closed per second (each a committed transaction, one
after the other, as one bot process does them), and the sweep: with `--timers` pending
acknowledgement timers, a sweep when none is due (the common case, every few seconds) and
a sweep that escalates `--due` of them. Prints a markdown table of the medians over
`--repeat` runs. PostgreSQL is TEST_DATABASE_URL_PG or the local `test` database; each run
uses a schema of its own, dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `tests` when run as a script

from escalation.db import create_engine, session_factory
from escalation.models import AckTimer, Base, Ticket
from escalation.rota import EscalationPolicy, Level, Rota, Shift
from escalation.service import SqlEscalationService
from escalation.users import SqlUserStore
from tests.conftest import MONDAY_10, FakeClock, empty_database, make_rota

START = MONDAY_10  # a Monday morning
POLICY = EscalationPolicy(
    levels=(
        Level("best_match", 2, timedelta(minutes=5)),
        Level("best_match", 2, timedelta(minutes=5)),
        Level("coordinators", None, timedelta(minutes=10)),
    ),
    rounds=2,
)


def bench_rota(volunteers: int = 30) -> Rota:
    """The tests' rota with more volunteers, all on shift around the clock."""
    rota = make_rota(volunteers, policy=POLICY)
    codes = tuple(v.code for v in rota.volunteers)
    return replace(rota, shifts=tuple(Shift(day, 0, 24 * 60, codes) for day in range(7)))


@asynccontextmanager
async def database(backend: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A fresh, empty database with the schema created."""
    with tempfile.TemporaryDirectory() as folder, empty_database(backend, Path(folder)) as url:
        engine = create_engine(url)
        try:
            async with engine.begin() as connection:
                await connection.run_sync(Base.metadata.create_all)
            yield session_factory(engine)
        finally:
            await engine.dispose()


async def ticket_rates(backend: str, tickets: int) -> dict[str, float]:
    """Opened, taken and closed per second for `tickets` tickets."""
    rota = bench_rota()
    clock = FakeClock(START)
    async with database(backend) as sessions:
        service = SqlEscalationService(sessions, lambda: rota, clock=clock)
        users = SqlUserStore(sessions, clock=clock)
        await service.sync_rota()
        for n, volunteer in enumerate(rota.volunteers, start=1):
            await service.link_volunteer(volunteer.code, 1000 + n)
        user_ids = [(await users.get_or_create_user(50_000 + n, "it")).id for n in range(tickets)]

        began = time.perf_counter()
        opened = [await service.open_ticket(u, "il tablet non si accende") for u in user_ids]
        open_seconds = time.perf_counter() - began

        began = time.perf_counter()
        for ticket, effects in opened:
            await service.take(ticket.id, effects.pings[0].chat_id)
        take_seconds = time.perf_counter() - began

        began = time.perf_counter()
        for ticket, effects in opened:
            await service.close(ticket.id, effects.pings[0].chat_id)
        close_seconds = time.perf_counter() - began
    return {
        "opened/s": tickets / open_seconds,
        "taken/s": tickets / take_seconds,
        "closed/s": tickets / close_seconds,
    }


async def sweep_times(backend: str, timers: int, due: int) -> dict[str, float]:
    """Seconds for an idle sweep over `timers` pending timers, and for escalating `due`."""
    rota = bench_rota()
    clock = FakeClock(START)
    async with database(backend) as sessions:
        service = SqlEscalationService(sessions, lambda: rota, clock=clock, worker_id="bench")
        await service.sync_rota()
        for n, volunteer in enumerate(rota.volunteers, start=1):
            await service.link_volunteer(volunteer.code, 1000 + n)
        async with sessions() as session, session.begin():
            await session.execute(
                insert(Ticket),
                [
                    {
                        "number": f"T-{n + 1:05d}",
                        "language": "it",
                        "question": "q",
                        "tried_entries": [],
                        "status": "offered",
                        "priority": "normal",
                        "policy": POLICY.to_json(),
                        "current_level": 1,
                        "current_round": 1,
                        "opened_at": START,
                    }
                    for n in range(timers)
                ],
            )
            await session.execute(
                insert(AckTimer),
                [
                    {
                        "ticket_id": n + 1,
                        # the first `due` fall due at +5 minutes, the rest an hour later
                        "due_at": START + timedelta(minutes=5 if n < due else 65),
                        "level": 1,
                        "round": 1,
                    }
                    for n in range(timers)
                ],
            )
        began = time.perf_counter()
        idle = await service.sweep(START + timedelta(minutes=1))
        idle_seconds = time.perf_counter() - began
        began = time.perf_counter()
        busy = await service.sweep(START + timedelta(minutes=5))
        busy_seconds = time.perf_counter() - began
    assert idle.pings == () and len({p.ticket.id for p in busy.pings}) == due
    return {
        f"idle sweep, {timers} pending (ms)": idle_seconds * 1000,
        f"sweep escalating {due} (s)": busy_seconds,
        "escalations/s": due / busy_seconds,
    }


async def run(args: argparse.Namespace) -> None:
    rows: dict[str, dict[str, float]] = {}
    for backend in args.backends.split(","):
        samples: dict[str, list[float]] = {}
        for _ in range(args.repeat):
            measured = await ticket_rates(backend, args.tickets)
            measured |= await sweep_times(backend, args.timers, args.due)
            for name, value in measured.items():
                samples.setdefault(name, []).append(value)
        rows[backend] = {name: statistics.median(values) for name, values in samples.items()}
    metrics = list(next(iter(rows.values())))
    print(f"\nMedians of {args.repeat} run(s); {args.tickets} tickets per run.\n")
    print("| metric | " + " | ".join(rows) + " |")
    print("|---|" + "---:|" * len(rows))
    for metric in metrics:
        print(f"| {metric} | " + " | ".join(f"{rows[b][metric]:,.1f}" for b in rows) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=200)
    parser.add_argument("--timers", type=int, default=10_000)
    parser.add_argument("--due", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--backends", default="sqlite,postgresql")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
