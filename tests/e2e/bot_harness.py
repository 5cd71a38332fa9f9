"""Start the real python-telegram-bot Application against the fake Bot API server.

The Application is started the way `run_polling` starts it (initialize, post_init, polling,
start) but on the test's own event loop, so a test can stop it mid-conversation and start a
new one on the same database, as a restart would.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from telegram.ext import Application

from bot.actions import Engine
from bot.engine.assemble import Assembly, RotaFile, assemble
from bot.telegram.app import SWEEP_JOB, attach, build_application
from bot.telegram.menu import CommandMenus, set_menus
from bot.telegram.send import Backoff
from bot.texts import Texts
from escalation.db import create_engine, session_factory
from escalation.migrations import upgrade
from escalation.outbox import Outbox
from tests.e2e.fake_bot_api import BOT_USER, ChatMessage, FakeBotApi, visible_text

QUICK_RETRIES = Backoff(first=timedelta(seconds=0.05), ceiling=timedelta(seconds=0.4))


@asynccontextmanager
async def running_bot(
    fake: FakeBotApi,
    engine: Engine,
    outbox: Outbox | None = None,
    *,
    tick_seconds: float = 3600.0,  # tests run the sweeper with `sweep()`
    drain_seconds: float = 0.05,
    backoff: Backoff = QUICK_RETRIES,
    menus: CommandMenus | None = None,
    **options: Any,
) -> AsyncIterator[Application]:
    """The bot polling `fake` for updates until the block ends.

    Without `outbox` (an engine with no database) the bot gets one on a scratch SQLite file.
    """
    if outbox is None:
        with tempfile.TemporaryDirectory() as directory:
            async with (
                scratch_outbox(Path(directory)) as scratch,
                running_bot(
                    fake, engine, scratch, tick_seconds=tick_seconds,
                    drain_seconds=drain_seconds, backoff=backoff, menus=menus, **options,
                ) as application,
            ):
                yield application
        return
    application = build_application(fake.token, api_url=fake.base_url, **options)
    await application.initialize()
    attach(
        application,
        engine,
        outbox,
        tick_seconds=tick_seconds,
        drain_seconds=drain_seconds,
        backoff=backoff,
    )
    if menus is not None:
        await set_menus(application.bot, menus)
    assert application.updater is not None
    await application.updater.start_polling(poll_interval=0.0, timeout=1)
    await application.start()
    try:
        yield application
    finally:
        await application.updater.stop()
        await application.stop()
        if application.post_stop is not None:  # as run_polling does
            await application.post_stop(application)
        await application.shutdown()


@asynccontextmanager
async def scratch_outbox(directory: Path) -> AsyncIterator[Outbox]:
    """An outbox of its own on a migrated SQLite file, for a bot whose engine has no database."""
    url = f"sqlite+aiosqlite:///{directory / 'outbox.sqlite3'}"
    await asyncio.to_thread(upgrade, url)
    database = create_engine(url)
    try:
        yield Outbox(session_factory(database))
    finally:
        await database.dispose()


async def sweep(application: Application) -> None:
    """Run the escalation sweeper job once, as its timer would."""
    assert application.job_queue is not None
    (job,) = application.job_queue.get_jobs_by_name(SWEEP_JOB)
    await job.run(application)


# --------------------------------------------------------------- the real engine, on SQLite

# Two volunteers and a coordinator, on shift all week; pings time out after 10 minutes.
TEST_ROTA = (
    """\
timezone: Europe/Rome
volunteers:
  - {name: Giulia Test, code: VOL-AAAA, languages: [it, en]}
  - {name: Marco Test, code: VOL-BBBB, languages: [it]}
coordinators:
  - {name: Carla Test, code: COORD-CCCC, languages: [it]}
shifts:
"""
    + "".join(
        f"  - {{day: {day}, start: '00:00', end: '24:00', volunteers: [VOL-AAAA, VOL-BBBB]}}\n"
        for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    )
    + """\
escalation:
  levels:
    - {notify: best_match, count: 2, timeout_minutes: 10}
    - {notify: coordinators, timeout_minutes: 10}
  rounds: 1
quiet_hours: {start: '23:00', end: '06:00'}
"""
)
# A small FAQ whose matches are clear-cut: "il tablet non si accende" is answered (with the
# charging entry as next best), "internet non va" asks home or school, homework escalates.
TEST_KB = """\
category: tablet
entries:
  - id: tablet-no-power
    title: {it: Il tablet non si accende, en: The tablet won't turn on}
    questions:
      it: [il tablet non si accende, il tablet è morto schermo nero]
      en: [my tablet won't turn on]
    answer:
      it: |-
        1. Collega il caricatore e aspetta 15 minuti.
        2. Tieni premuto il tasto di accensione per 10 secondi.
      en: |-
        1. Plug in the charger and wait 15 minutes.
        2. Hold the power button for 10 seconds.
  - id: tablet-charging
    title: {it: Il tablet non si carica, en: The tablet doesn't charge}
    questions:
      it: [il tablet non si carica, la batteria del tablet non si carica]
      en: [my tablet doesn't charge]
    answer:
      it: "Prova un'altra presa e un altro cavo."
      en: "Try another socket and another cable."
  - id: wifi-home
    category: connectivity
    title: {it: Il wifi di casa, en: Wifi at home}
    questions:
      it: [il wifi non va a casa, internet non va a casa]
      en: [wifi at home does not work]
    answer:
      it: "Spegni e riaccendi il modem di casa."
      en: "Turn the home router off and on again."
  - id: wifi-school
    category: connectivity
    title: {it: Il wifi della scuola, en: Wifi at school}
    questions:
      it: [il wifi non va in aula, internet non va in aula]
      en: [wifi at school does not work]
    answer:
      it: "Chiedi all'insegnante la password del wifi della scuola."
      en: "Ask your teacher for the school wifi password."
"""
SCHOOL_DAY = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # a Tuesday, 11:00 in Milan


class Clock:
    """The engine's clock, moved by hand: escalation timeouts without waiting."""

    def __init__(self, now: datetime = SCHOOL_DAY) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def write_data(directory: Path) -> tuple[Path, Path]:
    """The test FAQ and rota as files in `directory` (kept if already there)."""
    kb_path, rota_path = directory / "kb", directory / "rota.yaml"
    if not kb_path.exists():
        kb_path.mkdir()
        (kb_path / "devices.yaml").write_text(TEST_KB, encoding="utf-8")
    if not rota_path.exists():
        rota_path.write_text(TEST_ROTA, encoding="utf-8")
    return kb_path, rota_path


@asynccontextmanager
async def helpdesk_engine(
    directory: Path, clock: Clock, database_url: str
) -> AsyncIterator[Assembly]:
    """The real engine on an empty or earlier database, with the test FAQ and rota files."""
    await asyncio.to_thread(upgrade, database_url)  # alembic runs its own event loop
    kb_path, rota_path = write_data(directory)
    database = create_engine(database_url)
    try:
        yield await assemble(
            database,
            kb_path=kb_path,
            rota=RotaFile(rota_path),
            bot_username=BOT_USER["username"],
            clock=clock,
        )
    finally:
        await database.dispose()


@asynccontextmanager
async def helpdesk_bot(
    fake: FakeBotApi, directory: Path, clock: Clock, database_url: str
) -> AsyncIterator[Application]:
    """The whole bot: real engine and database behind the real Application."""
    async with (
        helpdesk_engine(directory, clock, database_url) as assembly,
        running_bot(fake, assembly.engine, outbox_of(assembly)) as application,
    ):
        yield application


def outbox_of(assembly: Assembly) -> Outbox:
    """The outbox on the engine's own database, as `helpdesk run` builds it."""
    return Outbox(session_factory(assembly.database))


# ------------------------------------------------------------------ playing the users

TEXTS = Texts.load()


def said(key: str, lang: str = "it", **params: Any) -> str:
    """What a user reads for the text `key`: tags stripped, entities decoded."""
    return visible_text(TEXTS.get(lang, key, **params), "HTML")


async def replies(
    fake: FakeBotApi, chat_id: int, act: Callable[[], object], count: int = 1
) -> list[ChatMessage]:
    """Do `act` (a user action) and wait for `count` new bot messages in `chat_id`."""
    before = len(fake.sent_to(chat_id))
    act()
    await fake.wait_for(
        "sendMessage",
        lambda r: r.chat_id == chat_id and len(fake.sent_to(chat_id)) >= before + count,
    )
    return fake.sent_to(chat_id)[before:]


def button(message: ChatMessage, prefix: str, suffix: str = "") -> str:
    """The callback data of the one button of `message` like "prefix...suffix"."""
    (data,) = [d for d in message.callback_data if d.startswith(prefix) and d.endswith(suffix)]
    return data


async def press(
    fake: FakeBotApi,
    chat_id: int,
    message: ChatMessage,
    prefix: str,
    suffix: str = "",
    count: int = 1,
) -> list[ChatMessage]:
    """Press a button of `message` and wait for `count` new bot messages."""
    data = button(message, prefix, suffix)
    return await replies(
        fake, chat_id, lambda: fake.user_presses(chat_id, message.message_id, data), count
    )


async def onboard_pupil(fake: FakeBotApi, chat_id: int) -> None:
    """/start, "I am a pupil", "I don't know my school"."""
    (welcome,) = await replies(fake, chat_id, lambda: fake.user_sends(chat_id, "/start"))
    (schools,) = await press(fake, chat_id, welcome, "role:pupil")
    await press(fake, chat_id, schools, "school:skip")
