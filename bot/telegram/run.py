"""`helpdesk run`: check the settings, migrate the database, then serve until stopped.

Everything that can be wrong before the first update (no token, an unreachable database, a
broken FAQ, rota or menu) ends here with a clear message and a non-zero exit rather than a
traceback from deep inside the event loop. PTB's run_polling/run_webhook own the loop and
the signals; the engine is assembled in post_init, once getMe has told the bot its username.
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import sys
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import Update
from telegram.error import BadRequest, InvalidToken, NetworkError, TelegramError
from telegram.ext import Application

from bot.engine.assemble import RotaFile, assemble
from bot.engine.schools import SchoolsLoadError
from bot.telegram.app import POLL_SECONDS, attach, build_application
from bot.telegram.cli import whole_days
from bot.telegram.menu import CommandMenus, MenuError, load_menus, set_menus
from escalation.db import create_engine, session_factory
from escalation.dburl import database_url
from escalation.migrations import upgrade
from escalation.outbox import Outbox
from escalation.queries import utc_now
from escalation.retention import DEFAULT_RETENTION_DAYS, PurgeReport, purge
from escalation.rota import SHIPPED_ROTA, RotaLoadError
from knowledge_base.loader import SHIPPED_FAQ
from knowledge_base.model import KBLoadError

ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]
RETENTION_ENV = "HELPDESK_RETENTION_DAYS"
EXIT_UNAVAILABLE = 1
EXIT_USAGE = 2

logger = logging.getLogger(__name__)


def run(args: argparse.Namespace) -> int:
    token = os.environ.get("TELEGRAM_BOT_TOKEN", "").strip()
    if not token:
        _fail("TELEGRAM_BOT_TOKEN is not set: export the token @BotFather gave for the bot")
        return EXIT_USAGE
    try:
        days = _retention_days(args)
    except ValueError as error:
        _fail(f"{RETENTION_ENV}: {error}")
        return EXIT_USAGE
    url = database_url()
    _configure_logging()
    try:
        upgrade(url)
    except (SQLAlchemyError, OSError, ValueError) as error:  # ValueError: not a database URL
        _fail(f"cannot use the database at {_safe(url)}: {_first_line(error)}")
        return EXIT_UNAVAILABLE
    try:
        menus = load_menus()
        rota = RotaFile(args.rota or SHIPPED_ROTA)
        application = _application(args, token, create_engine(url), rota, menus, days)
        _serve(application, args)
    except (KBLoadError, RotaLoadError, SchoolsLoadError, MenuError) as error:
        _fail(f"cannot start with these files:\n{error}")
        return EXIT_UNAVAILABLE
    except InvalidToken:
        _fail("Telegram refused TELEGRAM_BOT_TOKEN: check it with @BotFather")
        return EXIT_UNAVAILABLE
    except NetworkError as error:  # polling retries for ever: only a failed start ends here
        what = "Telegram refused" if isinstance(error, BadRequest) else "cannot reach Telegram"
        _fail(f"{what}: {_first_line(error)}")
        return EXIT_UNAVAILABLE
    except (SQLAlchemyError, OSError) as error:
        _fail(f"stopped: {type(error).__name__}: {_first_line(error)}")
        return EXIT_UNAVAILABLE
    return 0


def _application(
    args: argparse.Namespace,
    token: str,
    database: AsyncEngine,
    rota: RotaFile,
    menus: CommandMenus,
    retention_days: int,
) -> Application:
    kb_path: Path = args.kb or SHIPPED_FAQ
    sessions = session_factory(database)

    async def purge_old() -> PurgeReport:
        return await purge(sessions, utc_now(), retention_days)

    async def start_serving(application: Application) -> None:
        """Assemble the engine (it needs the bot's username) and set the command menus."""
        assembly = await assemble(
            database,
            kb_path=kb_path,
            rota=rota,
            bot_username=application.bot.username,
            retention_days=retention_days,
        )
        attach(
            application,
            assembly.engine,
            Outbox(sessions),
            tick_seconds=args.tick_seconds,
            purge=purge_old,
        )
        try:
            await set_menus(application.bot, menus)
        except TelegramError as error:  # a menu is a nicety: never refuse to serve for it
            logger.warning("Setting the command menus failed: %s", error)
        logger.info(
            "Serving @%s with the FAQ in %s and the database at %s",
            application.bot.username,
            kb_path,
            database.url.render_as_string(hide_password=True),
        )

    async def release_database(application: Application) -> None:
        await database.dispose()

    return build_application(
        token,
        api_url=os.environ.get("TELEGRAM_API_URL") or None,
        post_init=start_serving,
        post_shutdown=release_database,
    )


def _serve(application: Application, args: argparse.Namespace) -> None:
    """Until SIGINT/SIGTERM: long polling, or a webhook that checks Telegram's secret header."""
    if not args.webhook:
        application.run_polling(allowed_updates=ALLOWED_UPDATES, poll_interval=POLL_SECONDS)
        return
    application.run_webhook(
        listen=args.listen,
        port=args.port,
        url_path=urlsplit(args.webhook).path.lstrip("/"),
        webhook_url=args.webhook,
        # PTB answers 403 to any request without this X-Telegram-Bot-Api-Secret-Token
        secret_token=os.environ.get("TELEGRAM_WEBHOOK_SECRET") or secrets.token_urlsafe(32),
        allowed_updates=ALLOWED_UPDATES,
    )


def _retention_days(args: argparse.Namespace) -> int:
    """`--retention-days`, else $HELPDESK_RETENTION_DAYS, else the default 30."""
    if args.retention_days is not None:
        return args.retention_days
    return whole_days(os.environ.get(RETENTION_ENV, "").strip() or str(DEFAULT_RETENTION_DAYS))


def _configure_logging() -> None:
    logging.basicConfig(
        format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO
    )
    # APScheduler logs two lines per sweep, every few seconds, all day.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    # The rate limiter logs each flood wait with a traceback; the outbox logs it in one line.
    logging.getLogger("telegram.ext.AIORateLimiter").setLevel(logging.CRITICAL)
    # PTB logs a failed start (getMe, setWebhook) with a traceback, the token included, then
    # raises it: run() says it in one line.
    logging.getLogger("telegram.ext").addFilter(_not_a_failed_start)


def _not_a_failed_start(record: logging.LogRecord) -> bool:
    return "Network Retry Loop (Bootstrap" not in record.getMessage()


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def _safe(url: str) -> str:
    """The URL without its password; an unparsable one is not repeated at all."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "DATABASE_URL"


def _fail(message: str) -> None:
    print(f"helpdesk run: {message}", file=sys.stderr)
