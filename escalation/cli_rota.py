"""`helpdesk rota check` (placeholder until the rota lands)."""

from __future__ import annotations

import argparse


def register(commands: argparse._SubParsersAction) -> None:
    """Add the `rota` command group."""
