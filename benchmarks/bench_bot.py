"""Updates per second through the whole bot: PTB over HTTP, the engine, the database, and back.

    .venv/bin/python benchmarks/bench_bot.py [--pupils 50] [--questions 5] [--runs 3]
        [--database-url postgresql://...] [--profile]

The fake Bot API server and the simulated pupils run in a child process, so the figures are
those of the bot process alone; its CPU time gives updates per CPU-second, i.e. on one core.
Pupils are onboarded first (not timed); then each asks FAQ questions one after the other,
sending the next as soon as the answer arrives, so `--pupils` conversations are in flight.
Latency runs from the update being queued at the fake server to the answer arriving there.
Two rows: the adapter alone (an engine that answers at once; only the outbox uses the
database) and the whole stack, which shows what the engine and the database add. PTB's
global 30 messages/s flood limit is off: it models Telegram's limit, not our cost. The
database must be empty (Telegram update ids restart at 1 with the fake, and the bot ignores
ids it has already handled; each run takes ids of its own); without --database-url a new
SQLite file is used.
Each stack runs `--runs` times, interleaved; the table gives each figure's median and, in
brackets, its range (this machine's load moves them by a quarter between moments). Prints
markdown tables.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `tests` when run as a script

from bot.actions import Action, Copy, Incoming, Keep, Send
from tests.e2e.fake_bot_api import FakeBotApi

FIRST_PUPIL = 10_000_000
RUN_SPAN = 1_000_000  # update ids and chat ids of one run, apart from the other runs'
REPLY_TIMEOUT = 60.0


# ------------------------------------------------------------ the pupils' process


class _AnswerWatchingFake(FakeBotApi):
    """The fake server, telling a waiting pupil when the bot wrote to them."""

    def __init__(self, first_update_id: int) -> None:
        super().__init__(first_update_id=first_update_id)
        self.waiting: dict[int, asyncio.Future[float]] = {}

    def _send_message(self, params: dict[str, Any], files: Any) -> dict[str, Any]:
        message = super()._send_message(params, files)
        waiter = self.waiting.pop(message["chat"]["id"], None)
        if waiter is not None and not waiter.done():
            waiter.set_result(time.perf_counter())
        return message

    async def reply_to(self, chat_id: int, act: Callable[[], object]) -> float:
        """Do `act` (a user action); seconds until the bot's first message back."""
        waiter = asyncio.get_running_loop().create_future()
        self.waiting[chat_id] = waiter
        started = time.perf_counter()
        act()
        return await asyncio.wait_for(waiter, REPLY_TIMEOUT) - started


async def _pupils(conn: Connection, questions: list[list[str]], onboard: bool, run: int) -> None:
    fake = _AnswerWatchingFake(first_update_id=run * RUN_SPAN + 1)
    await fake.start()
    loop = asyncio.get_running_loop()
    conn.send((fake.base_url, fake.token))
    await loop.run_in_executor(None, conn.recv)  # the bot is polling
    first = FIRST_PUPIL + run * RUN_SPAN  # new pupils every run, in the same database
    chats = range(first, first + len(questions))

    async def onboarding(chat_id: int) -> None:
        await fake.reply_to(chat_id, lambda: fake.user_sends(chat_id, "/start"))
        for data in ("role:pupil", "school:skip"):
            shown = fake.sent_to(chat_id)[-1].message_id
            await fake.reply_to(chat_id, lambda m=shown, d=data: fake.user_presses(chat_id, m, d))

    async def ask(chat_id: int, asked: list[str]) -> list[float]:
        return [
            await fake.reply_to(chat_id, lambda q=q: fake.user_sends(chat_id, q)) for q in asked
        ]

    if onboard:
        await asyncio.gather(*(onboarding(chat_id) for chat_id in chats))
    conn.send("ready")
    await loop.run_in_executor(None, conn.recv)  # the bot started its CPU clock
    started = time.perf_counter()
    latencies = await asyncio.gather(*(ask(c, q) for c, q in zip(chats, questions, strict=True)))
    conn.send((time.perf_counter() - started, [x for per_pupil in latencies for x in per_pupil]))
    await loop.run_in_executor(None, conn.recv)  # the bot stopped polling
    await fake.stop()


def _pupil_process(conn: Connection, questions: list[list[str]], onboard: bool, run: int) -> None:
    asyncio.run(_pupils(conn, questions, onboard, run))


# --------------------------------------------------------------- the bot's process


class _InstantEngine:
    """Answers every update at once with a fixed text: what the adapter costs by itself."""

    async def handle(self, incoming: Incoming, keep: Keep | None = None) -> list[Action]:
        actions: list[Action] = [Send(incoming.chat_id, "<b>Risposta</b> dalla FAQ.")]
        if keep is not None:
            await keep(actions)  # the outbox rows, in a transaction of their own here
        return actions

    async def tick(self) -> list[Action]:
        return []

    async def sent(self, action: Send | Copy, message_id: int) -> list[Action]:
        return []


@asynccontextmanager
async def migrated(database_url: str) -> AsyncIterator[Any]:
    """An engine on the benchmark's database, migrated; the outbox and the engine share it,
    as in `helpdesk run`, so that an update's replies are stored in its own transaction."""
    from escalation.db import create_engine
    from escalation.migrations import upgrade

    await asyncio.to_thread(upgrade, database_url)
    database = create_engine(database_url)
    try:
        yield database
    finally:
        await database.dispose()


def outbox_on(database: Any) -> Any:
    from escalation.db import session_factory
    from escalation.outbox import Outbox

    return Outbox(session_factory(database))


@asynccontextmanager
async def instant_engine(
    database_url: str, run: int
) -> AsyncIterator[tuple[_InstantEngine, Any]]:
    async with migrated(database_url) as database:
        yield _InstantEngine(), outbox_on(database)


@asynccontextmanager
async def helpdesk_engine(database_url: str, run: int) -> AsyncIterator[tuple[Any, Any]]:
    """The real engine on the shipped FAQ and rota, over a migrated database, empty but for
    this invocation's earlier runs."""
    from sqlalchemy import func, select

    from bot.engine.assemble import RotaFile, assemble
    from escalation.models import ProcessedUpdate
    from escalation.rota import SHIPPED_ROTA
    from knowledge_base.loader import SHIPPED_FAQ

    async with migrated(database_url) as database:
        async with database.connect() as connection:
            handled = await connection.scalar(select(func.count()).select_from(ProcessedUpdate))
            if handled and run == 0:
                raise SystemExit("bench_bot: the database must be empty (see --help)")
        assembly = await assemble(
            database, kb_path=SHIPPED_FAQ, rota=RotaFile(SHIPPED_ROTA), bot_username="bench_bot"
        )
        yield assembly.engine, outbox_on(database)


EngineFactory = Callable[[str, int], AbstractAsyncContextManager[tuple[Any, Any]]]


async def _bot(
    conn: Connection, engine_for: EngineFactory, url: str, run: int, profile: bool
) -> float:
    """Serve the pupils until they are done; returns this process's CPU seconds meanwhile."""
    from bot.telegram.app import POLL_SECONDS, attach, build_application

    loop = asyncio.get_running_loop()
    base_url, token = await loop.run_in_executor(None, conn.recv)
    async with engine_for(url, run) as (engine, outbox):
        application = build_application(token, api_url=base_url, overall_max_rate=0)
        await application.initialize()
        attach(application, engine, outbox, tick_seconds=3600)
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=POLL_SECONDS, timeout=10)
        await application.start()
        conn.send("polling")
        await loop.run_in_executor(None, conn.recv)  # pupils onboarded
        profiler = _Profile() if profile else None
        cpu = time.process_time()
        conn.send("go")
        await loop.run_in_executor(None, conn.poll, None)  # the pupils' results are in
        cpu = time.process_time() - cpu
        if profiler is not None:
            profiler.report()
        await application.updater.stop()
        await application.stop()
        if application.post_stop is not None:  # as run_polling does: the outbox tidies up
            await application.post_stop(application)
        await application.shutdown()
    conn.send("stopped")
    return cpu


class _Profile:
    """Own time of the bot's main thread by area: where an update's CPU goes."""

    _AREAS = (
        ("knowledge_base", "FAQ matcher"),
        ("rapidfuzz", "FAQ matcher"),
        ("sqlalchemy", "SQLAlchemy"),
        ("psycopg", "database driver"),
        ("telegram", "python-telegram-bot"),
        ("aiohttp", "HTTP client"),
        ("yarl", "HTTP client"),
        ("multidict", "HTTP client"),
        ("urllib", "HTTP client"),
        ("json", "JSON"),
        ("escalation", "escalation service"),
        ("bot", "conversation engine"),
        ("asyncio", "asyncio event loop"),
        ("selectors.py", "asyncio event loop"),
    )
    _BUILTINS = (  # C functions have no file: name them by what calls them
        ("greenlet", "SQLAlchemy"),
        ("sqlite3", "database driver"),
        ("_socket.socket", "HTTP client"),
        ("_contextvars", "asyncio event loop"),
    )

    def __init__(self) -> None:
        import cProfile

        self._profiler = cProfile.Profile()
        self._profiler.enable()

    def report(self) -> None:
        import pstats

        self._profiler.disable()
        totals: dict[str, float] = {}
        stats = pstats.Stats(self._profiler).stats  # type: ignore[attr-defined]
        for (filename, _, function), (_, _, own, _, _) in stats.items():
            if "poll" in function and "epoll" in function:
                continue  # waiting for the network, not work
            parts = Path(filename).parts
            area = next((name for key, name in self._AREAS if key in parts), None) or next(
                (name for key, name in self._BUILTINS if key in function), "other"
            )
            totals[area] = totals.get(area, 0.0) + own
        grand = sum(totals.values()) or 1.0
        print("\n| where the bot's main thread spends its time | share |\n|---|---:|")
        for area, seconds in sorted(totals.items(), key=lambda item: -item[1]):
            print(f"| {area} | {seconds / grand:.0%} |")


# ------------------------------------------------------------------------ driver


@dataclass(frozen=True)
class Result:
    stack: str
    updates: int
    elapsed: float
    cpu: float
    latencies: list[float]

    def figures(self) -> tuple[float, ...]:
        """updates/s, updates per CPU-second, CPU ms/update, median and p99 latency in ms."""
        ordered = sorted(self.latencies)
        p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
        return (
            self.updates / self.elapsed,
            self.updates / self.cpu,
            self.cpu / self.updates * 1000,
            statistics.median(ordered) * 1000,
            p99 * 1000,
        )


def summary_row(results: list[Result], pupils: int) -> str:
    """One stack's runs: the median of each figure, and its range when there are several."""
    columns = zip(*(r.figures() for r in results), strict=True)
    cells = []
    for digits, values in zip((0, 0, 2, 1, 1), columns, strict=True):
        cell = f"{statistics.median(values):.{digits}f}"
        if len(values) > 1:
            cell += f" ({min(values):.{digits}f}–{max(values):.{digits}f})"
        cells.append(cell)
    return f"| {results[0].stack} | {len(results)} | {pupils} | {results[0].updates} | " + (
        " | ".join(cells) + " |"
    )


def run_scenario(
    stack: str,
    engine_for: EngineFactory,
    url: str,
    questions: list[list[str]],
    *,
    onboard: bool,
    run: int = 0,
    profile: bool = False,
) -> Result:
    """One run: the pupils' process against the bot served by `engine_for(url, run)`; each
    run's update and chat ids are apart from the other runs', so runs share a database."""
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    pupils = context.Process(target=_pupil_process, args=(theirs, questions, onboard, run))
    pupils.start()
    try:
        cpu = asyncio.run(_bot(ours, engine_for, url, run, profile))
    finally:
        pupils.join(REPLY_TIMEOUT)
    elapsed, latencies = ours.recv() if ours.poll() else (float("nan"), [])
    return Result(stack, len(latencies), elapsed, cpu, latencies)


def faq_questions() -> list[str]:
    """The shipped FAQ's own phrasings that the matcher answers outright (no hand-over)."""
    from bot.engine.deps import Knowledge
    from knowledge_base.loader import SHIPPED_FAQ

    knowledge = Knowledge.from_path(SHIPPED_FAQ)
    phrasings = [
        question
        for entry in knowledge.kb.entries
        if not entry.escalate
        for question in entry.questions.get("it", ())
    ]
    return [q for q in phrasings if knowledge.matcher.match(q).action == "answer"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--pupils", type=int, default=50, help="conversations in flight")
    parser.add_argument(
        "--questions", type=int, default=5, help="per pupil (the flood guard allows 10 in 30 s)"
    )
    parser.add_argument("--database-url", help="an empty database (default: a new SQLite file)")
    parser.add_argument(
        "--runs", type=int, default=3, help="runs of each stack, interleaved: medians (ranges)"
    )
    parser.add_argument("--profile", action="store_true", help="also show where CPU time goes")
    args = parser.parse_args(argv)

    phrasings = faq_questions()
    questions = [
        [phrasings[(p * args.questions + q) % len(phrasings)] for q in range(args.questions)]
        for p in range(args.pupils)
    ]
    adapter: list[Result] = []
    whole: list[Result] = []
    with tempfile.TemporaryDirectory() as scratch:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(scratch) / 'bench.sqlite3'}"
        database = url.split(":", 1)[0].split("+")[0]
        for run in range(args.runs):  # interleaved: the machine's mood touches both alike
            adapter.append(
                run_scenario("adapter only", instant_engine, url, questions, onboard=False, run=run)
            )
            whole.append(
                run_scenario(
                    f"whole stack ({database})",
                    helpdesk_engine,
                    url,
                    questions,
                    onboard=True,
                    run=run,
                    profile=args.profile and run == args.runs - 1,
                )
            )
            print(
                f"run {run + 1}/{args.runs}: CPU ms/update adapter {adapter[-1].figures()[2]:.2f},"
                f" whole stack {whole[-1].figures()[2]:.2f}",
                file=sys.stderr,
            )
    print(
        "\n| stack | runs | pupils in flight | updates a run | updates/s | updates per CPU-second "
        "| CPU ms/update | median latency ms | p99 latency ms |\n"
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    )
    for results in (adapter, whole):
        print(summary_row(results, args.pupils))
    return 0


if __name__ == "__main__":
    sys.exit(main())
