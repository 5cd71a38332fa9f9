"""Loading a KB directory: every file read, every problem collected, then all or nothing.

A maintainer fixing the FAQ wants the whole list of mistakes at once, so nothing stops at
the first problem; a running bot must never get half a KB, so any error means no KB at all.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from knowledge_base.bulk import collector_paused
from knowledge_base.entry_schema import check_entry, entry_label, plain_text
from knowledge_base.model import Entry, KBLoadError, KnowledgeBase, Problem, Severity
from knowledge_base.yamlsource import (
    YamlDocument,
    YamlPath,
    YamlSyntaxError,
    closest,
    describe,
    did_you_mean,
    read_yaml,
)

SHIPPED_FAQ = Path(__file__).parent / "faq"

_SETTINGS = ("_synonyms",)  # file names (without .yaml / .yml) of the known settings files
_FILE_FIELDS = ("category", "entries")


def load_kb(path: Path) -> KnowledgeBase:
    """Load and check the KB under `path`; raises KBLoadError listing every problem found."""
    reader = _Reader()
    with collector_paused():
        reader.read_directory(path)
    problems = tuple(sorted(reader.problems, key=lambda p: (p.file.parts, p.line)))
    if any(p.severity == "error" for p in problems):
        raise KBLoadError(problems)
    return KnowledgeBase(
        root=path,
        entries=tuple(placed.entry for placed in reader.placed),
        synonyms=MappingProxyType({lang: tuple(g) for lang, g in reader.synonyms.items()}),
        warnings=problems,
        files=tuple(reader.files),
    )


def shown(path: Path) -> Path:
    """A path as the maintainer typed it, or relative to the current directory when inside it."""
    if path.is_absolute():
        with contextlib.suppress(ValueError):
            return path.relative_to(Path.cwd())
    return path


@dataclass(frozen=True, slots=True)
class _Placed:
    """A checked entry and the means to point at any of its fields."""

    entry: Entry
    file: Path
    doc: YamlDocument
    path: YamlPath

    def line_of(self, where: YamlPath) -> int:
        return self.doc.line_of((*self.path, *where))

    def problem(self, where: YamlPath, message: str, severity: Severity) -> Problem:
        return Problem(self.file, self.line_of(where), message, severity)


class _Reader:
    """Reads the files of one KB in order, gathering entries, synonyms and problems."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.files: list[Path] = []
        self.placed: list[_Placed] = []
        self.synonyms: dict[str, list[tuple[str, ...]]] = {}
        self.raw_entries = 0
        self.id_places: dict[str, tuple[Path, int]] = {}
        # (language, casefolded word) -> where the word was first seen and in which group
        self.word_places: dict[tuple[str, str], tuple[Path, int, tuple[Path, int]]] = {}

    def add(self, file: Path, line: int, message: str, severity: Severity = "error") -> None:
        self.problems.append(Problem(file, line, message, severity))

    def read_directory(self, root: Path) -> None:
        if not root.is_dir():
            reason = "is a file, not a directory" if root.exists() else "no such directory"
            self.add(shown(root), 0, f"{reason}: give the directory that holds the FAQ files")
            return
        self.files = sorted(
            p for p in root.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()
        )
        for file in self.files:
            self.read_file(file)
        # A file that could not be read may hold the entries: its error says enough.
        if not self.raw_entries and all(p.severity != "error" for p in self.problems):
            count = len(self.files)
            files = (
                f"{count} YAML file{'s' * (count != 1)}" if count else "no *.yaml or *.yml files"
            )
            self.add(shown(root), 0, f"no entries found ({files} here)")
        self.check_phrasings()
        self.check_languages()

    def read_file(self, file: Path) -> None:
        where = shown(file)
        try:
            doc = read_yaml(file)
        except YamlSyntaxError as error:
            self.add(where, error.line, f"invalid YAML: {error.explanation}")
            return
        except OSError as error:
            self.add(where, 0, f"cannot be read ({error.strerror})")
            return
        if not file.name.startswith("_"):
            self.read_entries(file, where, doc)
        elif file.stem in _SETTINGS:
            self.read_synonyms(where, doc)
        else:
            known = ", ".join(f"{name}.yaml" for name in _SETTINGS)
            hint = did_you_mean(file.stem, _SETTINGS)
            self.add(where, 0, f"unknown settings file, ignored{hint}; known: {known}", "warning")

    def read_entries(self, file: Path, where: Path, doc: YamlDocument) -> None:
        items, prefix, category = self.entry_list(where, doc)
        for index, item in enumerate(items):
            path = (*prefix, index)
            self.raw_entries += 1
            self.note_id(item, where, doc, path)
            entry, findings = check_entry(
                item,
                entry_label(item, index + 1),
                category=category,
                source=file,
                line=doc.line_of(path),
            )
            for finding in findings:
                line = doc.line_of((*path, *finding.where))
                self.add(where, line, finding.message, finding.severity)
            if entry:
                self.placed.append(_Placed(entry, where, doc, path))

    def entry_list(self, where: Path, doc: YamlDocument) -> tuple[list[Any], YamlPath, str | None]:
        """The raw entries of a file, their path in it and the file's category."""
        value = doc.value
        if isinstance(value, dict):
            return self.wrapped_entries(where, doc, value)
        if isinstance(value, list):
            return value, (), None
        if value is None:
            self.add(where, 0, "the file is empty", "warning")
        else:
            message = f"an entry file must be a list of entries, but it is {describe(value)}"
            self.add(where, 1, message)
        return [], (), None

    def wrapped_entries(
        self, where: Path, doc: YamlDocument, value: dict[Any, Any]
    ) -> tuple[list[Any], YamlPath, str | None]:
        """The entries of a `{category: ..., entries: [...]}` file."""
        unknown = [key for key in value if key not in _FILE_FIELDS]
        for key in unknown:
            hint = did_you_mean(key, _FILE_FIELDS)
            message = f"unknown top-level field '{key}'{hint}; a file has category: and entries:"
            self.add(where, doc.line_of((key,)), message)
        # "unknown top-level field 'entires' (did you mean 'entries'?)" already says it
        if "entries" not in value and "entries" not in {closest(k, _FILE_FIELDS) for k in unknown}:
            self.add(where, 1, "no 'entries:' list (or write the file as a bare list)")
        category = value.get("category")
        if category is not None and not isinstance(category, str):
            message = f"'category' must be text, but it is {describe(category)}"
            self.add(where, doc.line_of(("category",)), message)
            category = None
        items = value.get("entries")
        if items is not None and not isinstance(items, list):
            message = f"'entries' must be a list of entries, but it is {describe(items)}"
            self.add(where, doc.line_of(("entries",)), message)
            items = None
        return items or [], ("entries",), category

    def note_id(self, item: Any, where: Path, doc: YamlDocument, path: YamlPath) -> None:
        entry_id = item.get("id") if isinstance(item, dict) else None
        if not isinstance(entry_id, str):
            return
        here = (where, doc.line_of((*path, "id")))
        first = self.id_places.setdefault(entry_id, here)
        if first != here:
            message = f"entry '{entry_id}': the id is already used at {first[0]}:{first[1]}"
            self.add(*here, message)

    def read_synonyms(self, where: Path, doc: YamlDocument) -> None:
        if doc.value is None:
            return
        if not isinstance(doc.value, dict):
            message = (
                f"synonyms must be listed per language (it: ...), but it is {describe(doc.value)}"
            )
            self.add(where, 1, message)
            return
        for lang, groups in doc.value.items():
            if not isinstance(groups, list):
                message = f"'{lang}' must be a list of synonym groups, but it is {describe(groups)}"
                self.add(where, doc.line_of((lang,)), message)
                continue
            for index, group in enumerate(groups):
                self.read_synonym_group(where, doc, lang, index, group)

    def read_synonym_group(
        self, where: Path, doc: YamlDocument, lang: str, index: int, group: Any
    ) -> None:
        if not (
            isinstance(group, list)
            and group
            and all(isinstance(word, str) and word.strip() for word in group)
        ):
            message = f"'{lang}' group {index + 1} must be a list of words like [wifi, wi-fi]"
            self.add(where, doc.line_of((lang, index)), message)
            return
        words = tuple(word.strip() for word in group)
        self.synonyms.setdefault(lang, []).append(words)
        this_group = (where, doc.line_of((lang, index)))
        for position, word in enumerate(words):
            line = doc.line_of((lang, index, position))
            first = self.word_places.setdefault((lang, word.casefold()), (where, line, this_group))
            if first[2] != this_group:
                message = (
                    f"'{word}' is in two '{lang}' synonym groups (also at {first[0]}:{first[1]})"
                )
                self.add(where, line, message, "warning")

    def check_phrasings(self) -> None:
        """Warn about a phrasing (compared as plain words) that two entries both claim."""
        first_places: dict[str, tuple[_Placed, YamlPath]] = {}
        for placed in self.placed:
            for lang, phrasings in placed.entry.questions.items():
                for index, phrasing in enumerate(phrasings):
                    here = ("questions", lang, index)
                    first, there = first_places.setdefault(plain_text(phrasing), (placed, here))
                    if first is not placed:
                        message = (
                            f"entry '{placed.entry.id}': the phrasing '{phrasing}' is also under "
                            f"entry '{first.entry.id}' ({first.file}:{first.line_of(there)})"
                        )
                        self.problems.append(placed.problem(here, message, "warning"))

    def check_languages(self) -> None:
        """Warn about entries whose question languages differ from most entries'."""
        total = len(self.placed)
        counts = Counter(lang for placed in self.placed for lang in placed.entry.questions)
        usual = {lang for lang, count in counts.items() if count > total / 2}
        for placed in self.placed:
            label = f"entry '{placed.entry.id}'"
            languages = set(placed.entry.questions)
            for lang in sorted(usual - languages):
                share = f"{counts[lang]} of {total} entries"
                message = f"{label}: no '{lang}' questions, while {share} have them"
                self.problems.append(placed.problem(("questions",), message, "warning"))
            for lang in sorted(languages - usual):
                share = f"{counts[lang]} of {total} entries"
                message = f"{label}: questions in '{lang}', which only {share} have"
                self.problems.append(placed.problem(("questions",), message, "warning"))
