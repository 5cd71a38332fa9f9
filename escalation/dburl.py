"""Which database to use: one rule for the CLI, the bot and the migrations.

Kept apart from `escalation.db` so that reading the setting does not import SQLAlchemy
(`helpdesk kb match` must start fast).
"""

from __future__ import annotations

import os

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///helpdesk.sqlite3"


def database_url(explicit: str | None = None) -> str:
    """`explicit` if given, else $DATABASE_URL, else an SQLite file in the current directory."""
    return explicit or os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
