"""Start the real python-telegram-bot Application against the fake Bot API server.

The Application is started the way `run_polling` starts it (initialize, post_init, polling,
start) but on the test's own event loop, so a test can stop it mid-conversation and start a
new one on the same database, as a restart would.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from telegram.ext import Application

from bot.actions import Engine
from bot.telegram.app import SWEEP_JOB, attach, build_application
from bot.telegram.menu import CommandMenus, set_menus
from tests.e2e.fake_bot_api import FakeBotApi


@asynccontextmanager
async def running_bot(
    fake: FakeBotApi,
    engine: Engine,
    *,
    tick_seconds: float = 3600.0,  # tests run the sweeper with `sweep()`
    menus: CommandMenus | None = None,
    **options: Any,
) -> AsyncIterator[Application]:
    """The bot polling `fake` for updates until the block ends."""
    application = build_application(fake.token, api_url=fake.base_url, **options)
    await application.initialize()
    attach(application, engine, tick_seconds=tick_seconds)
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
        await application.shutdown()


async def sweep(application: Application) -> None:
    """Run the escalation sweeper job once, as its timer would."""
    assert application.job_queue is not None
    (job,) = application.job_queue.get_jobs_by_name(SWEEP_JOB)
    await job.run(application)
