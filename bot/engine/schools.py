"""The configurable list of schools and how a child finds theirs by typing part of its name.

Buttons carry the school's position plus a short checksum of its name, so a button from
before the list was edited cannot silently pick a different school.
"""

from __future__ import annotations

import zlib
from importlib import resources
from pathlib import Path

import yaml
from rapidfuzz import fuzz

from knowledge_base.normalise import words

MAX_BUTTONS = 6
_SAME_WORD = 80  # rapidfuzz ratio: "giacossa" ~ "giacosa" 93, "cesare" ~ "cesari" 83
_NEAR_THE_BEST = 10  # schools scoring this much below the best one are not offered
_MIN_PREFIX = 3  # "con" finds "Console"; "co" finds nothing


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


def find(schools: tuple[str, ...], typed: str, ignored: frozenset[str]) -> list[int]:
    """Positions of the schools `typed` names, best first (at most MAX_BUTTONS).

    Children misspell ("giacossa"), shorten ("cons") and wrap the name in words ("la scuola di
    via Console Marcello"), so the `ignored` words (articles, "scuola", "via" ...) are dropped
    and every other word typed must be like a word of the name: its start, or close enough
    for rapidfuzz. Only the schools scoring near the best are kept, so an exact name does not
    come with a list of look-alikes.
    """
    wanted = significant_words(typed, ignored)
    if not wanted:
        return []
    scored = []
    for position, name in enumerate(schools):
        own = significant_words(name, ignored) or words(name)
        likeness = [max(_likeness(word, of_name) for of_name in own) for word in wanted]
        if min(likeness) >= _SAME_WORD:
            scored.append((sum(likeness) / len(likeness), position))
    scored.sort(key=lambda found: -found[0])  # stable: equals keep the file's order
    best = scored[0][0] if scored else 0.0
    return [p for score, p in scored if score >= best - _NEAR_THE_BEST][:MAX_BUTTONS]


def significant_words(text: str, ignored: frozenset[str]) -> list[str]:
    """The words of `text` that could name a school: neither `ignored` nor digits."""
    return [w for w in words(text) if w not in ignored and not w.isdigit()]


def longest_name(schools: tuple[str, ...], ignored: frozenset[str]) -> int:
    """How many significant words the longest school name has: more typed is not a name."""
    return max((len(significant_words(name, ignored)) for name in schools), default=0)


def _likeness(typed: str, of_name: str) -> float:
    """100 for the word or its start (3 letters at least), else rapidfuzz's ratio."""
    if typed == of_name or (len(typed) >= _MIN_PREFIX and of_name.startswith(typed)):
        return 100.0
    return fuzz.ratio(typed, of_name) if len(typed) >= _MIN_PREFIX + 1 else 0.0
