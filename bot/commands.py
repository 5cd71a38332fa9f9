"""`helpdesk run` and `helpdesk demo`: the bot on Telegram, or the same engine in a terminal.

Both load the FAQ and the rota before anything else (a database, the network), so a broken
file gets its problems listed, as `kb check` and `rota check` locate them, and exit 1.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

Handler = Callable[[argparse.Namespace], int]


def register(commands: argparse._SubParsersAction) -> None:
    """Add the `run` and `demo` commands."""
    register_demo(commands)
    register_run(commands)


def files_first(parser: argparse.ArgumentParser) -> None:
    """Make the parser's handler check its `--kb` and `--rota` files before it runs."""
    handler: Handler = parser.get_default("handler")

    def checked(args: argparse.Namespace) -> int:
        return handler(args) if files_load(args.kb, args.rota) else 1

    parser.set_defaults(handler=checked)


def files_load(kb: Path | None, rota: Path | None) -> bool:
    """Whether the FAQ and the rota (the shipped ones by default) load; if not, every error of
    both is printed on stderr."""
    from escalation.rota import SHIPPED_ROTA, RotaLoadError, load_rota
    from knowledge_base.loader import SHIPPED_FAQ, load_kb
    from knowledge_base.model import KBLoadError
    from knowledge_base.report import print_load_failure

    kb, rota = kb or SHIPPED_FAQ, rota or SHIPPED_ROTA
    loaded = True
    try:
        load_kb(kb)
    except KBLoadError as error:
        print_load_failure(kb, error.problems)
        loaded = False
    try:
        load_rota(rota)
    except RotaLoadError as error:
        print_load_failure(rota, error.problems, "the rota")
        loaded = False
    return loaded


def register_demo(commands: argparse._SubParsersAction) -> None:
    """Add `helpdesk demo`: talk to the engine as a pupil and as a volunteer, no token needed."""
    from bot.demo import configure_demo

    demo = commands.add_parser(
        "demo",
        help="try the bot in the terminal (no Telegram token needed)",
        description="Talk to the bot in the terminal as a pupil, and answer as a volunteer "
        "(/come volontario, /come alunno). Uses a throwaway database, the shipped FAQ and "
        "rota. Reads standard input line by line, so a conversation can be piped in.",
    )
    configure_demo(demo)
    files_first(demo)


def register_run(commands: argparse._SubParsersAction) -> None:
    """Add `helpdesk run`: serve the bot on Telegram (long polling, or a webhook)."""
    from bot.telegram.cli import configure_run

    run = commands.add_parser(
        "run",
        help="serve the bot on Telegram",
        description="Serve the bot on Telegram. Needs TELEGRAM_BOT_TOKEN; DATABASE_URL "
        "picks the database (default: an SQLite file); TELEGRAM_API_URL a self-hosted "
        "Bot API server; TELEGRAM_WEBHOOK_SECRET the webhook secret (default: random).",
    )
    configure_run(run)
    files_first(run)
