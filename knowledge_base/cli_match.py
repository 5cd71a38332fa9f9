"""`helpdesk kb match` and `helpdesk kb ask` (placeholder until the matcher lands)."""

from __future__ import annotations

import argparse


def register(kb_commands: argparse._SubParsersAction) -> None:
    """Add the `match` and `ask` subcommands."""
