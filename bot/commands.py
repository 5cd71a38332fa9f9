"""`helpdesk run` and `helpdesk demo` (placeholder until the bot lands)."""

from __future__ import annotations

import argparse


def register(commands: argparse._SubParsersAction) -> None:
    """Add the `run` and `demo` commands."""
