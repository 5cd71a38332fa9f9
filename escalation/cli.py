"""`helpdesk rota|db|tickets ...`: tools for coordinators."""

from __future__ import annotations

import argparse

from escalation import cli_rota


def register(commands: argparse._SubParsersAction) -> None:
    cli_rota.register(commands)
