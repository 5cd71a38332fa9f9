"""`helpdesk run` and `helpdesk demo` (placeholder until the bot lands)."""

from __future__ import annotations

import argparse


def register(commands: argparse._SubParsersAction) -> None:
    """Add the `run` and `demo` commands."""
    register_run(commands)


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
