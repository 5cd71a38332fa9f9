"""Which database to use: one rule for the CLI, the bot and the migrations.

Kept apart from `escalation.db` so that reading the setting does not import SQLAlchemy
(`helpdesk kb match` must start fast).
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///helpdesk.sqlite3"


def database_url(explicit: str | None = None) -> str:
    """`explicit` if given, else $DATABASE_URL, else an SQLite file in the current directory."""
    return explicit or os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL


def missing_sqlite_file(url: str) -> Path | None:
    """The file an SQLite URL names, when it does not exist: connecting would create it empty,
    which only `helpdesk db upgrade` should do. None for other databases, in-memory ones and
    `file:` URIs. Raises sqlalchemy's ArgumentError if `url` does not parse."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    name = parsed.database
    if parsed.get_backend_name() != "sqlite" or not name or name.startswith((":memory:", "file:")):
        return None
    path = Path(name)
    return None if path.exists() else path


def shown_url(url: str) -> str:
    """`url` (one that parses) to show in a message: without its password."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
