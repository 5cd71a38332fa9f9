"""The in-memory knowledge base: immutable, so a running bot can swap it atomically on reload."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in a KB file, located for the maintainer who has to fix it."""

    file: Path
    line: int  # 0: the problem is with the file or directory as a whole
    message: str
    severity: Severity = "error"

    @property
    def where(self) -> str:
        """'file:line', or just the file when the whole file or directory is at fault."""
        return f"{self.file}:{self.line}" if self.line else str(self.file)

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class KBLoadError(Exception):
    """Loading failed: carries every error found (and the warnings), never a partial KB."""

    def __init__(self, problems: tuple[Problem, ...]) -> None:
        self.problems = problems
        errors = [p for p in problems if p.severity == "error"]
        super().__init__("\n".join(str(p) for p in errors))

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")


@dataclass(frozen=True, slots=True)
class Entry:
    """One FAQ entry. Texts are keyed by language code ('it', 'en', ...).

    `not_questions` are ways of asking that look like this entry's questions but are not for
    it: the matcher does not answer with the entry when one of them fits a query as well as
    any of its questions.
    """

    id: str
    questions: Mapping[str, tuple[str, ...]]
    answer: Mapping[str, str]
    title: Mapping[str, str] = field(default_factory=dict)
    not_questions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    category: str | None = None
    keywords: tuple[str, ...] = ()
    audience: frozenset[str] = frozenset()  # empty: everyone
    escalate: bool = False
    source: Path | None = None
    line: int = 0

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self.questions)

    def title_in(self, lang: str) -> str:
        """A button label: the title in `lang`, else any title, else the first phrasing."""
        if lang in self.title:
            return self.title[lang]
        if self.title:
            return next(iter(self.title.values()))
        phrasings = self.questions.get(lang) or next(iter(self.questions.values()))
        return phrasings[0]

    def answer_in(self, lang: str) -> str:
        """The answer in `lang`, falling back to Italian, then to any language."""
        return self.answer.get(lang) or self.answer.get("it") or next(iter(self.answer.values()))


@dataclass(frozen=True, slots=True)
class KnowledgeBase:
    """A validated KB: entries in file order, synonym groups per language, load warnings."""

    root: Path
    entries: tuple[Entry, ...]
    synonyms: Mapping[str, tuple[tuple[str, ...], ...]] = field(default_factory=dict)
    warnings: tuple[Problem, ...] = ()
    files: tuple[Path, ...] = ()  # every YAML file read, settings included

    def get(self, entry_id: str) -> Entry | None:
        return next((e for e in self.entries if e.id == entry_id), None)

    @property
    def languages(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for entry in self.entries:
            seen.update(dict.fromkeys(entry.languages))
        return tuple(seen)
