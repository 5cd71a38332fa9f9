"""The `helpdesk run` arguments; light on imports so the rest of the CLI starts fast."""

from __future__ import annotations

import argparse
from pathlib import Path


def configure_run(parser: argparse.ArgumentParser) -> None:
    """Arguments of `helpdesk run`; the Telegram stack is imported only when it runs."""
    parser.add_argument(
        "--kb", type=Path, default=None, help="FAQ directory (default: the shipped FAQ)"
    )
    parser.add_argument(
        "--rota", type=Path, default=None, help="volunteer rota file (default: the shipped rota)"
    )
    parser.add_argument(
        "--webhook",
        metavar="URL",
        help="receive updates on this public HTTPS URL instead of long polling",
    )
    parser.add_argument(
        "--listen", default="127.0.0.1", help="webhook: address to listen on (default %(default)s)"
    )
    parser.add_argument(
        "--port", type=int, default=8443, help="webhook: port to listen on (default %(default)s)"
    )
    parser.add_argument(
        "--tick-seconds",
        type=float,
        default=15.0,
        help="how often the escalation sweeper runs (default %(default)s)",
    )
    parser.add_argument(
        "--retention-days",
        type=whole_days,
        default=None,
        help="forget texts this many days old, daily, as /privacy promises "
        "(default: $HELPDESK_RETENTION_DAYS, else 30)",
    )
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from bot.telegram.run import run

    return run(args)


def whole_days(text: str) -> int:
    """A whole number of days, 0 or more (argparse reports the ValueError)."""
    days = int(text)
    if days < 0:
        raise ValueError(f"retention days must be 0 or more, not {days}")
    return days

