"""The configurable list of schools and how a child finds theirs by typing part of its name.

Children and parents often call a school by another name (its street, a plesso, its old
name), so a school in bot/schools.yaml may list other names (`also`) that find it like its
official name does; the button and the school kept are always the official name. A name that
could find two schools is an error at load, as is a malformed entry, each reported at its
line like the FAQ's and the rota's problems.

Buttons carry the school's position plus a short checksum of its name, so a button from
before the list was edited cannot silently pick a different school.
"""

from __future__ import annotations

import dataclasses
import zlib
from collections.abc import Iterator, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any, overload

from rapidfuzz import fuzz

from knowledge_base.model import Problem
from knowledge_base.normalise import words
from knowledge_base.yamlsource import (
    YamlDocument,
    YamlPath,
    YamlSyntaxError,
    describe,
    did_you_mean,
    read_yaml,
    why_unreadable,
)

MAX_BUTTONS = 6
_SAME_WORD = 80  # rapidfuzz ratio: "giacossa" ~ "giacosa" 93, "cesare" ~ "cesari" 83
_NEAR_THE_BEST = 10  # schools scoring this much below the best one are not offered
_MIN_PREFIX = 3  # "con" finds "Console"; "co" finds nothing
_FIELDS = ("name", "also")  # of a school written as a mapping


@dataclasses.dataclass(frozen=True, slots=True)
class Schools(Sequence[str]):
    """The official names in file order (what buttons show and users keep), each with the
    other names people call it by; as a sequence, just the official names."""

    names: tuple[str, ...]
    also: Mapping[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)  # by name

    def called(self, position: int) -> tuple[str, ...]:
        """Every name that finds the school at `position`, the official one first."""
        name = self.names[position]
        return (name, *self.also.get(name, ()))

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[str, ...]: ...
    def __getitem__(self, index: int | slice) -> str | tuple[str, ...]:
        return self.names[index]

    def __len__(self) -> int:
        return len(self.names)

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)


class SchoolsLoadError(Exception):
    """The school list cannot be used: carries every problem found, each at its line."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def load_schools(path: Path | None = None) -> Schools:
    """The schools in `path` (default: the shipped bot/schools.yaml), in file order.

    Raises SchoolsLoadError listing every malformed entry, so a bot never starts with a list
    that silently lost a school or finds one school for another's name.
    """
    source = path or Path(str(resources.files("bot") / "schools.yaml"))
    try:
        document = read_yaml(source)
    except (YamlSyntaxError, OSError) as error:
        raise SchoolsLoadError((Problem(source, *why_unreadable(error)),)) from None
    reader = _SchoolsReader(source, document)
    schools = reader.read()
    if reader.problems:
        raise SchoolsLoadError(reader.problems)
    return schools


class _SchoolsReader:
    """Reads `schools:` entry by entry, collecting problems instead of stopping at the first."""

    def __init__(self, path: Path, document: YamlDocument) -> None:
        self.path, self.document = path, document
        self.problems: list[Problem] = []
        # a name's words: the position and official name of the school it finds, and its place
        self.taken: dict[str, tuple[int, str, YamlPath]] = {}

    def read(self) -> Schools:
        top = self.document.value or {}
        entries = top.get("schools") if isinstance(top, dict) else top
        if not isinstance(top, dict) or not isinstance(entries, list | None):
            self._problem(
                ("schools",), "the file needs 'schools:' followed by one '- ' line per school"
            )
            return Schools(())
        for key in top:
            if key != "schools":
                self._problem(
                    (key,),
                    f"unknown field '{key}'{did_you_mean(key, ('schools',))}: "
                    "the file has only 'schools'",
                )
        names: list[str] = []
        also: dict[str, tuple[str, ...]] = {}
        for position, entry in enumerate(entries or ()):
            where = ("schools", position)
            if isinstance(entry, dict):
                name, others = self._mapping(entry, where, position)
            else:
                name, others = self._name(entry, where, "a school", position), ()
            if name is None:
                continue
            names.append(name)
            if others:
                also[name] = others
        return Schools(tuple(names), also)

    def _mapping(
        self, entry: dict[str, Any], where: YamlPath, position: int
    ) -> tuple[str | None, tuple[str, ...]]:
        """The official name and the other names of a school written as 'name:' and 'also:'."""
        for key in entry:
            if key not in _FIELDS:
                self._problem(
                    (*where, key),
                    f"unknown field '{key}' in a school{did_you_mean(key, _FIELDS)}: "
                    "a school has 'name' and 'also'",
                )
        if "name" not in entry:
            self._problem(
                where,
                "a school written as 'name:' and 'also:' lines is missing 'name' "
                "(its official name, shown on the button)",
            )
            return None, ()
        name = self._name(entry["name"], (*where, "name"), "'name'", position)
        listed = entry.get("also")
        if name is None or listed is None:
            return name, ()
        if not isinstance(listed, list):
            self._problem(
                (*where, "also"),
                "'also' must be a list of names, e.g. also: [Scuola Rossi, Via dei Tigli], "
                f"not {describe(listed)}",
            )
            return name, ()
        others = (
            self._name(other, (*where, "also", i), "a name in 'also'", position, of=name)
            for i, other in enumerate(listed)
        )
        return name, tuple(other for other in others if other is not None)

    def _name(
        self, value: Any, where: YamlPath, what: str, position: int, *, of: str | None = None
    ) -> str | None:
        """`value` as a name of the school at `position` (officially `of`, or `value` itself),
        if it is text that names no other school."""
        if not isinstance(value, str) or not words(value):
            self._problem(where, f"{what} must be a name (text), not {describe(value)}")
            return None
        name = value.strip()
        school, official, first = self.taken.setdefault(
            " ".join(words(name)), (position, of or name, where)
        )
        if school != position:
            self._problem(
                where,
                f"'{name}' already names the school '{official}' (line "
                f"{self.document.line_of(first)}): a name may find one school only",
            )
            return None
        return name

    def _problem(self, where: YamlPath, message: str) -> None:
        self.problems.append(Problem(self.path, self.document.line_of(where), message))


def token(schools: Sequence[str], index: int) -> str:
    """The button field for the school at `index`."""
    return f"{index}-{zlib.crc32(schools[index].encode()) & 0xFFFF:04x}"


def from_token(schools: Sequence[str], field: str) -> str | None:
    """The school a button field names, or None if the list changed since it was sent."""
    index, _, _ = field.partition("-")
    position = int(index)
    if position < len(schools) and token(schools, position) == field:
        return schools[position]
    return None


def find(schools: Schools, typed: str, ignored: frozenset[str]) -> list[int]:
    """Positions of the schools `typed` names, best first (at most MAX_BUTTONS).

    Children misspell ("giacossa"), shorten ("cons") and wrap the name in words ("la scuola di
    via Console Marcello"), so the `ignored` words (articles, "scuola", "via" ...) are dropped
    and every other word typed must be like a word of the name: its start, or close enough
    for rapidfuzz. A school scores as its best-liked name, official or other. Only the schools
    scoring near the best are kept, so an exact name does not come with a list of look-alikes.
    """
    wanted = significant_words(typed, ignored)
    if not wanted:
        return []
    scored = []
    for position in range(len(schools)):
        score = max(_score(wanted, name, ignored) for name in schools.called(position))
        if score:
            scored.append((score, position))
    scored.sort(key=lambda found: -found[0])  # stable: equals keep the file's order
    best = scored[0][0] if scored else 0.0
    return [p for score, p in scored if score >= best - _NEAR_THE_BEST][:MAX_BUTTONS]


def significant_words(text: str, ignored: frozenset[str]) -> list[str]:
    """The words of `text` that could name a school: neither `ignored` nor digits."""
    return [w for w in words(text) if w not in ignored and not w.isdigit()]


def longest_name(schools: Schools, ignored: frozenset[str]) -> int:
    """How many significant words the longest name of a school has: more typed is not a name."""
    return max(
        (
            len(significant_words(name, ignored))
            for position in range(len(schools))
            for name in schools.called(position)
        ),
        default=0,
    )


def _score(wanted: list[str], name: str, ignored: frozenset[str]) -> float:
    """How well the `wanted` words name `name` on average; 0 if one is like none of its words."""
    own = significant_words(name, ignored) or words(name)
    likeness = [max(_likeness(word, of_name) for of_name in own) for word in wanted]
    return sum(likeness) / len(likeness) if min(likeness) >= _SAME_WORD else 0.0


def _likeness(typed: str, of_name: str) -> float:
    """100 for the word or its start (3 letters at least), else rapidfuzz's ratio."""
    if typed == of_name or (len(typed) >= _MIN_PREFIX and of_name.startswith(typed)):
        return 100.0
    return fuzz.ratio(typed, of_name) if len(typed) >= _MIN_PREFIX + 1 else 0.0
