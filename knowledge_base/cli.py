"""`helpdesk kb ...`: tools for the maintainers of the FAQ."""

from __future__ import annotations

import argparse

from knowledge_base import cli_match


def register(commands: argparse._SubParsersAction) -> None:
    kb = commands.add_parser("kb", help="check, inspect and query a knowledge base")
    kb_commands = kb.add_subparsers(dest="kb_command", required=True, metavar="KB_COMMAND")
    cli_match.register(kb_commands)
