"""The `helpdesk` command: one entry point; each package registers its own subcommands.

Heavy imports (python-telegram-bot, SQLAlchemy) happen inside the handlers, so that
`helpdesk kb match` starts fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bot import commands as bot_commands
from escalation import cli as escalation_cli
from knowledge_base import cli as kb_cli


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="helpdesk",
        description="scuola-helpdesk: the schools' Telegram support assistant.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    kb_cli.register(commands)
    escalation_cli.register(commands)
    bot_commands.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        sys.stderr.close()
        return 1


if __name__ == "__main__":
    sys.exit(main())
