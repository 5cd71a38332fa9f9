"""The one place that assembles the python-telegram-bot Application around an engine.

Every update goes through a single handler: convert it, let the engine decide, carry out the
actions. The escalation sweeper runs as a repeating job. Rate limiting (Telegram's 30
messages a second, flood waits retried) is PTB's AIORateLimiter, so no code here sleeps.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine, Mapping, Sequence
from typing import Any

from telegram import BotCommand, Update
from telegram.constants import FloodLimit
from telegram.error import TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes, TypeHandler

from bot.actions import Engine
from bot.telegram.convert import to_incoming
from bot.telegram.errors import error_logger
from bot.telegram.pseudonym import chat_tagger
from bot.telegram.send import Outbox

logger = logging.getLogger(__name__)

SWEEP_JOB = "escalation-sweep"

# language code -> [(command, description)]; the first language is also the default menu
CommandMenus = Mapping[str, Sequence[tuple[str, str]]]


def build_application(
    engine: Engine,
    token: str,
    *,
    api_url: str | None = None,
    tick_seconds: float = 15.0,
    commands: CommandMenus | None = None,
    overall_max_rate: float = FloodLimit.MESSAGES_PER_SECOND,
) -> Application:
    """An Application (not yet started) that serves `engine` with the bot `token`.

    `api_url` is a self-hosted Bot API server such as "http://127.0.0.1:8081/bot".
    `overall_max_rate` is Telegram's global flood limit; benchmarks set 0 to measure the stack.
    """
    builder = (
        ApplicationBuilder()
        .token(token)
        .rate_limiter(AIORateLimiter(overall_max_rate=overall_max_rate, max_retries=3))
        .post_init(_command_menu_setter(commands or {}))
    )
    if api_url:
        base_url, base_file_url = api_urls(api_url)
        builder = builder.base_url(base_url).base_file_url(base_file_url)
    application = builder.build()
    tag = chat_tagger(token)
    outbox = Outbox(application.bot, engine, tag)

    async def on_update(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Convert, let the engine decide (it commits), then reply."""
        if not isinstance(update, Update):
            return
        incoming = to_incoming(update, context.bot.username)
        if incoming is not None:
            await outbox.deliver(await engine.handle(incoming))

    async def sweep(context: ContextTypes.DEFAULT_TYPE) -> None:
        """Escalate unanswered pings: the timers live in the database, this only wakes them."""
        await outbox.deliver(await engine.tick())

    application.add_handler(TypeHandler(Update, on_update))
    application.add_error_handler(error_logger(tag))
    assert application.job_queue is not None  # the job-queue extra is a dependency
    application.job_queue.run_repeating(sweep, interval=tick_seconds, first=0, name=SWEEP_JOB)
    return application


def api_urls(api_url: str) -> tuple[str, str]:
    """Base URL and file base URL of a Bot API server given as "http://host:port[/bot]"."""
    root = api_url.rstrip("/").removesuffix("/bot")
    return f"{root}/bot", f"{root}/file/bot"


def _command_menu_setter(
    commands: CommandMenus,
) -> Callable[[Application], Coroutine[Any, Any, None]]:
    async def set_command_menus(application: Application) -> None:
        """Show each user the command list in their client's language (Italian by default)."""
        for index, (language, menu) in enumerate(commands.items()):
            bot_commands = [BotCommand(name, description) for name, description in menu]
            try:
                await application.bot.set_my_commands(bot_commands, language_code=language)
                if index == 0:
                    await application.bot.set_my_commands(bot_commands)
            except TelegramError as error:  # a menu is a nicety: never refuse to start for it
                logger.warning("Setting the %s command menu failed: %s", language, error)

    return set_command_menus
