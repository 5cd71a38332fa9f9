"""`helpdesk run` and `helpdesk demo`: the bot on Telegram, or the same engine in a terminal."""

from __future__ import annotations

import argparse


def register(commands: argparse._SubParsersAction) -> None:
    """Add the `run` and `demo` commands."""
    register_demo(commands)
    register_run(commands)


def register_demo(commands: argparse._SubParsersAction) -> None:
    """Add `helpdesk demo`: talk to the engine as a pupil and as a volunteer, no token needed."""
    from bot.demo import configure_demo

    configure_demo(
        commands.add_parser(
            "demo",
            help="try the bot in the terminal (no Telegram token needed)",
            description="Talk to the bot in the terminal as a pupil, and answer as a volunteer "
            "(/come volontario, /come alunno). Uses a throwaway database, the shipped FAQ and "
            "rota. Reads standard input line by line, so a conversation can be piped in.",
        )
    )


def register_run(commands: argparse._SubParsersAction) -> None:
    """Add `helpdesk run`: serve the bot on Telegram (long polling, or a webhook)."""
    from bot.telegram.cli import configure_run

    configure_run(
        commands.add_parser(
            "run",
            help="serve the bot on Telegram",
            description="Serve the bot on Telegram. Needs TELEGRAM_BOT_TOKEN; DATABASE_URL "
            "picks the database (default: an SQLite file); TELEGRAM_API_URL a self-hosted "
            "Bot API server; TELEGRAM_WEBHOOK_SECRET the webhook secret (default: random).",
        )
    )
