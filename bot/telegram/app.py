"""The one place that assembles the python-telegram-bot Application around an engine.

Every update goes through a single handler: convert it, let the engine decide, carry out the
actions through the outbox. Updates of different chats are handled at the same time, each
chat's in order (bot/telegram/chat_order.py). Repeating jobs: the escalation sweeper; the
outbox drain, which sends what a restart or a failed try left behind (its first run is at
start); and, when given, the daily retention purge, which /privacy promises (its first run is
at start too). Pacing (Telegram's 30 messages a second) is PTB's AIORateLimiter; flood waits
are not retried there (max_retries=0) but by the outbox, so a 429 is never retried by both.

What survives what: PTB confirms a polled update to Telegram when it fetches the next batch,
before handling it, and on SIGTERM it handles every update already fetched before it stops.
So a stop or redeploy loses nothing; a hard crash (kill -9, power) can lose the updates
fetched but not yet handled, and the pupil has to write again. An update is handled in one
database transaction, its claim on the update id and its replies' outbox rows included:
Telegram redelivering it is ignored once handled, handled afresh if it failed. From that
commit on the replies are sent at least once, in order per chat, across restarts. What
Telegram took is deleted from the outbox in batches (by the drain, and when the bot stops):
a hard crash may send the last second's replies once more.

Building and attaching are two steps because `helpdesk run` can only assemble the engine once
the bot knows its own username (from getMe, when the Application initialises).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine
from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.constants import FloodLimit
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    ContextTypes,
    JobQueue,
    TypeHandler,
)

from bot.actions import Engine
from bot.telegram.chat_order import ChatOrderedProcessor
from bot.telegram.convert import to_incoming
from bot.telegram.errors import error_logger
from bot.telegram.pseudonym import chat_tagger
from bot.telegram.request import AiohttpRequest
from bot.telegram.send import DEFAULT_BACKOFF, Backoff, Courier
from escalation.outbox import Outbox

SWEEP_JOB = "escalation-sweep"
DRAIN_JOB = "outbox-drain"
PURGE_JOB = "retention-purge"
PURGE_EVERY = timedelta(days=1)
# Drains that may overlap: one waiting on a slow chat must not hold back the others' retries
# (each skips the chats another is sending to).
DRAINS_AT_ONCE = 4
BOT_CONNECTIONS = 256  # PTB's own default for the calls other than getUpdates
# Pause between two getUpdates. With none, a busy bot fetches about one update per call, and
# each call costs as much CPU as a reply (bench_bot, 200 pupils: 794 calls for 1,000
# updates); with 20 ms, 132. An update arriving during the pause waits at most that long.
POLL_SECONDS = 0.02

Hook = Callable[[Application], Coroutine[Any, Any, None]]
Purge = Callable[[], Awaitable[object]]  # forgets what is past retention; returns a report

logger = logging.getLogger(__name__)


def build_application(
    token: str,
    *,
    api_url: str | None = None,
    overall_max_rate: float = FloodLimit.MESSAGES_PER_SECOND,
    post_init: Hook | None = None,
    post_shutdown: Hook | None = None,
) -> Application:
    """An Application for the bot `token`, not yet serving anything (see `attach`).

    `api_url` is a self-hosted Bot API server such as "http://127.0.0.1:8081/bot".
    `overall_max_rate` is Telegram's global flood limit; benchmarks set 0 to measure the stack.
    """
    builder = (
        ApplicationBuilder()
        .application_class(_Application)
        .token(token)
        .request(AiohttpRequest(BOT_CONNECTIONS))
        .get_updates_request(AiohttpRequest())
        .concurrent_updates(ChatOrderedProcessor())
        .rate_limiter(AIORateLimiter(overall_max_rate=overall_max_rate, max_retries=0))
    )
    if api_url:
        base_url, base_file_url = api_urls(api_url)
        builder = builder.base_url(base_url).base_file_url(base_file_url)
    if post_init is not None:
        builder = builder.post_init(post_init)
    if post_shutdown is not None:
        builder = builder.post_shutdown(post_shutdown)
    return builder.build()


class _Application(Application):  # type: ignore[type-arg]
    """PTB's Application, releasing the bot's HTTP sessions when starting fails.

    PTB shuts down only what started: after a failed getMe (wrong token, Telegram out of
    reach) the bot's connections stay open, and aiohttp says so on exit, over our one-line
    error. Each retry of a failed start initialises them afresh.
    """

    async def initialize(self) -> None:
        try:
            await super().initialize()
        except BaseException:
            await self.bot.shutdown()
            raise


def attach(
    application: Application,
    engine: Engine,
    outbox: Outbox,
    *,
    tick_seconds: float = 15.0,
    drain_seconds: float = 1.0,
    backoff: Backoff = DEFAULT_BACKOFF,
    purge: Purge | None = None,
) -> None:
    """Route every update through `engine`, sending via `outbox`; run the sweeper every
    `tick_seconds`, send what is due in the outbox every `drain_seconds`, and `purge` daily."""
    tag = chat_tagger(application.bot.token)
    courier = Courier(application.bot, engine, tag, outbox, backoff)

    async def on_update(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Convert, let the engine decide (it commits, the replies' outbox rows with it),
        then reply."""
        if not isinstance(update, Update):
            return
        incoming = to_incoming(update, context.bot.username)
        if incoming is not None:
            await courier.serve(incoming)

    async def sweep(context: ContextTypes.DEFAULT_TYPE) -> None:
        """Escalate unanswered pings: the timers live in the database, this only wakes them."""
        await courier.deliver(await engine.tick())

    async def drain(context: ContextTypes.DEFAULT_TYPE) -> None:
        """Send what is due: leftovers of an earlier run, and retries whose wait is over."""
        await courier.drain()

    async def forget_sent(application: Application) -> None:
        """Once stopped, delete what Telegram took (a restart must not send it again)."""
        await outbox.forget_sent()
        if then_stop is not None:
            await then_stop(application)

    then_stop = application.post_stop
    application.post_stop = forget_sent
    application.add_handler(TypeHandler(Update, on_update))
    application.add_error_handler(error_logger(tag))
    assert application.job_queue is not None  # the job-queue extra is a dependency
    application.job_queue.run_repeating(sweep, interval=tick_seconds, first=0, name=SWEEP_JOB)
    application.job_queue.run_repeating(
        drain,
        interval=drain_seconds,
        first=0,
        name=DRAIN_JOB,
        job_kwargs={"max_instances": DRAINS_AT_ONCE},
    )
    if purge is not None:
        _purge_daily(application.job_queue, purge)


def _purge_daily(job_queue: JobQueue[Any], purge: Purge) -> None:
    """Run `purge` at start and then every day: /privacy promises deletion, nobody must
    remember to schedule it."""

    async def forget_old(context: ContextTypes.DEFAULT_TYPE) -> None:
        logger.info("Retention purge: %s", await purge())  # the report holds counts only

    # An interval job whose first run is already past when the scheduler starts waits a whole
    # interval: the run at start is a job of its own, never dropped as late.
    job_queue.run_once(forget_old, 0, name=PURGE_JOB, job_kwargs={"misfire_grace_time": None})
    job_queue.run_repeating(forget_old, interval=PURGE_EVERY, first=PURGE_EVERY, name=PURGE_JOB)


def api_urls(api_url: str) -> tuple[str, str]:
    """Base URL and file base URL of a Bot API server given as "http://host:port[/bot]"."""
    root = api_url.rstrip("/").removesuffix("/bot")
    return f"{root}/bot", f"{root}/file/bot"
