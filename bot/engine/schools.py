"""The configurable list of schools and how a child finds theirs by typing a few letters.

Buttons carry the school's position plus a short checksum of its name, so a button from
before the list was edited cannot silently pick a different school.
"""

from __future__ import annotations

import zlib
from importlib import resources
from pathlib import Path

import yaml

from knowledge_base.normalise import words

MAX_BUTTONS = 6


def load_schools(path: Path | None = None) -> tuple[str, ...]:
    """The school names in `path` (default: the shipped bot/schools.yaml), in file order."""
    source = path or Path(str(resources.files("bot") / "schools.yaml"))
    data = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
    return tuple(str(name) for name in data.get("schools") or ())


def token(schools: tuple[str, ...], index: int) -> str:
    """The button field for the school at `index`."""
    return f"{index}-{zlib.crc32(schools[index].encode()) & 0xFFFF:04x}"


def from_token(schools: tuple[str, ...], field: str) -> str | None:
    """The school a button field names, or None if the list changed since it was sent."""
    index, _, _ = field.partition("-")
    position = int(index)
    if position < len(schools) and token(schools, position) == field:
        return schools[position]
    return None


def narrow(schools: tuple[str, ...], typed: str) -> list[int]:
    """Positions of the schools whose name contains every word typed (at most MAX_BUTTONS)."""
    wanted = words(typed)
    if not wanted:
        return []
    found = [
        i
        for i, name in enumerate(schools)
        if all(any(w.startswith(t) or t in w for w in words(name)) for t in wanted)
    ]
    return found[:MAX_BUTTONS]
