"""One FAQ entry checked field by field, with findings worded for the person who edits it.

pydantic checks the shape (which fields, which types, which values); the rules that tie
fields together (an answer for every language that has questions) are plain code. Each
finding is located by its path inside the entry; the loader turns that into file:line.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from pydantic_core import ErrorDetails

from knowledge_base.model import Entry, Severity
from knowledge_base.yamlsource import YamlPath, closest, describe, did_you_mean

Audience = Literal["pupil", "teacher"]
_NOT_A_WORD = re.compile(r"[\W_]+")
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Phrasings = Annotated[list[Text], Field(min_length=1)]


class EntrySchema(BaseModel):
    """The fields of an entry as kb-format.md defines them, plus an optional own category."""

    model_config = ConfigDict(extra="forbid", strict=True)

    id: str = Field(pattern=r"^[a-z0-9-]+$")
    title: dict[str, Text] = Field(default_factory=dict)
    questions: Annotated[dict[str, Phrasings], Field(min_length=1)]
    answer: Annotated[dict[str, Text], Field(min_length=1)]
    keywords: list[Text] = Field(default_factory=list)
    audience: list[Audience] = Field(default_factory=list)
    escalate: bool = False
    category: str | None = None


FIELDS = tuple(EntrySchema.model_fields)
_OPTIONAL = frozenset(
    name for name, info in EntrySchema.model_fields.items() if not info.is_required()
)
# How deep the list items of a list field sit: questions.it.<item>, keywords.<item>.
_LIST_DEPTH = {"questions": 2, "keywords": 1, "audience": 1}
_EMPTY = ("string_too_short", "too_short")
_EXPECTED = {
    "string_type": "text",
    "list_type": "a list (one '- ' line per item)",
    "dict_type": "a mapping of languages (it: ..., en: ...)",
    "bool_type": "true or false",
}


@dataclass(frozen=True, slots=True)
class Finding:
    """A problem with one entry, at a path inside it such as ('answer', 'en')."""

    where: YamlPath
    message: str
    severity: Severity = "error"


def check_entry(
    item: Any, label: str, *, category: str | None, source: Path, line: int
) -> tuple[Entry | None, list[Finding]]:
    """Check one raw entry; the Entry is returned only when no finding is an error."""
    if not isinstance(item, dict):
        expected = "a mapping of fields (id:, questions:, answer:)"
        return None, [Finding((), f"{label} must be {expected}, but it is {describe(item)}")]
    item = {key: value for key, value in item.items() if value is not None or key not in _OPTIONAL}
    try:
        checked = EntrySchema.model_validate(item)
    except ValidationError as error:
        return None, _shape_findings(error.errors(), label)
    findings = list(_content_findings(checked, label))
    if any(f.severity == "error" for f in findings):
        return None, findings
    return _entry(checked, category, source, line), findings


def entry_label(item: Any, number: int) -> str:
    """How messages name an entry: by its id when it has a usable one, else by position."""
    entry_id = item.get("id") if isinstance(item, dict) else None
    if isinstance(entry_id, str) and entry_id.strip():
        return f"entry '{entry_id}'"
    return f"entry #{number}"


def plain_text(text: str) -> str:
    """Text reduced to what a reader would call 'the same words': no case, accents, punctuation."""
    letters = text.casefold()
    if not letters.isascii():  # ASCII text has no accents to take off
        decomposed = unicodedata.normalize("NFKD", letters)
        letters = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(_NOT_A_WORD.sub(" ", letters).split())


def field_name(where: YamlPath) -> str:
    """A path inside an entry as a maintainer reads it: 'questions.it' item 2."""
    depth = _LIST_DEPTH.get(where[0], len(where))
    name = "'" + ".".join(str(part) for part in where[:depth]) + "'"
    return f"{name} item {where[depth] + 1}" if len(where) > depth else name


def _shape_findings(errors: list[ErrorDetails], label: str) -> list[Finding]:
    suggested = {closest(e["loc"][0], FIELDS) for e in errors if e["type"] == "extra_forbidden"}
    return [
        _translate(error, label)
        for error in errors
        # "unknown field 'qestions' (did you mean 'questions'?)" already says it is missing
        if not (error["type"] == "missing" and error["loc"][0] in suggested)
    ]


def _translate(error: ErrorDetails, label: str) -> Finding:
    loc, kind, value = error["loc"], error["type"], error["input"]
    if kind == "extra_forbidden":
        hint = did_you_mean(loc[0], FIELDS) or f"; the fields are {', '.join(FIELDS)}"
        return Finding(loc, f"{label}: unknown field '{loc[0]}'{hint}")
    if kind == "missing":
        return Finding(loc, f"{label}: missing required field '{loc[0]}'")
    if not loc:  # the entry as a whole, e.g. a field name that is not valid Unicode text
        return Finding(loc, f"{label}: {error['msg']}")
    if loc[-1] == "[key]":
        where = loc[:-1]
        return Finding(
            where,
            f"{label}: {field_name(where[:1])} has a language that is {describe(value)}, "
            "not a code such as it or en",
        )
    where = field_name(loc)
    if value is None or kind in _EMPTY or (isinstance(value, str) and not value.strip()):
        return Finding(loc, f"{label}: {where} is empty")
    if kind == "string_pattern_mismatch":
        example = plain_text(value).replace(" ", "-")
        return Finding(
            loc,
            f"{label}: the id '{value}' may contain only lowercase letters, digits and '-'"
            + (f", e.g. '{example}'" if example else ""),
        )
    if kind == "literal_error":
        audiences = get_args(Audience)
        hint = did_you_mean(value, audiences)
        message = f"unknown audience '{value}'{hint}; use {' or '.join(audiences)}"
        return Finding(loc, f"{label}: {message}")
    if kind in _EXPECTED:
        return Finding(
            loc, f"{label}: {where} must be {_EXPECTED[kind]}, but it is {describe(value)}"
        )
    return Finding(loc, f"{label}: {where}: {error['msg']}")


def _content_findings(entry: EntrySchema, label: str) -> Iterator[Finding]:
    for lang, phrasings in entry.questions.items():
        where = ("questions", lang)
        if len(phrasings) == 1:
            yield Finding(
                where,
                f"{label}: {field_name(where)} has only one phrasing; "
                "a few other wordings help the bot recognise the question",
                "warning",
            )
    for name, severity in (("answer", "error"), ("title", "warning")):
        texts: Mapping[str, str] = getattr(entry, name)
        for lang in entry.questions:
            if texts and lang not in texts:  # no title at all is fine
                yield Finding(
                    (name,),
                    f"{label}: '{name}' has no '{lang}' text, but 'questions' has '{lang}'",
                    severity,
                )
    for lang in entry.answer:
        if lang not in entry.questions:
            yield Finding(
                ("answer", lang),
                f"{label}: 'answer' has '{lang}' text, but 'questions' has no '{lang}'",
                "warning",
            )


def _entry(checked: EntrySchema, category: str | None, source: Path, line: int) -> Entry:
    return Entry(
        id=checked.id,
        questions=MappingProxyType(
            {lang: tuple(phrasings) for lang, phrasings in checked.questions.items()}
        ),
        answer=MappingProxyType(checked.answer),
        title=MappingProxyType(checked.title),
        category=checked.category or category,
        keywords=tuple(checked.keywords),
        audience=frozenset(checked.audience),
        escalate=checked.escalate,
        source=source,
        line=line,
    )
