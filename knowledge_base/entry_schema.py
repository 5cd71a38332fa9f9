"""One FAQ entry checked field by field, with findings worded for the person who edits it.

pydantic checks the shape (which fields, which types, which values) and words what is wrong;
an entry that is plainly right (nearly all of them) is taken by a quick check instead, which
accepts only what the model would accept and reads it the same way, so a large FAQ loads
without building a model per entry. The rules that tie fields together (an answer for every
language that has questions) are plain code. Each finding is located by its path inside the
entry; the loader turns that into file:line.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from knowledge_base.model import Entry, Severity
from knowledge_base.yamlsource import YamlPath, closest, describe, did_you_mean

if TYPE_CHECKING:
    from pydantic_core import ErrorDetails

# The fields of entry_model.EntrySchema, in its order, and the audiences it allows.
FIELDS = (
    "id", "title", "questions", "not_questions", "answer", "keywords", "audience", "escalate",
    "category",
)
_REQUIRED = frozenset({"id", "questions", "answer"})
_BY_LANGUAGE = ("title", "questions", "not_questions", "answer")  # mappings of languages
_OPTIONAL = frozenset(FIELDS) - _REQUIRED
AUDIENCES = ("pupil", "teacher")
_NOT_A_WORD = re.compile(r"[\W_]+")
_ID = re.compile(r"[a-z0-9-]+")
_EDGE_SPACE = " \t\r\n"  # what a YAML block scalar leaves around text


@dataclass(frozen=True, slots=True)
class CheckedEntry:
    """An entry whose shape is right, read by the quick check or by the model."""

    id: str
    title: dict[str, str]
    questions: dict[str, list[str]]
    not_questions: dict[str, list[str]]
    answer: dict[str, str]
    keywords: list[str]
    audience: list[str]
    escalate: bool
    category: str | None


# How deep the list items of a list field sit: questions.it.<item>, keywords.<item>.
_LIST_DEPTH = {"questions": 2, "not_questions": 2, "keywords": 1, "audience": 1}
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
    misplaced = _misplaced_fields(item)
    checked: CheckedEntry | None = _quick_check(item)
    if checked is None:
        from pydantic import ValidationError

        from knowledge_base.entry_model import EntrySchema

        try:
            checked = CheckedEntry(**EntrySchema.model_validate(item).model_dump())
        except ValidationError as error:
            shape = _shape_findings(error.errors(), label)
            return None, shape + _not_languages(misplaced, shape, label)
    if misplaced:  # the rest is checked as meant, without languages called 'audience'
        checked = replace(checked, **{
            name: {k: v for k, v in getattr(checked, name).items() if k not in FIELDS}
            for name, _ in misplaced
        })
    findings = [*_not_languages(misplaced, [], label), *_content_findings(checked, label)]
    if any(f.severity == "error" for f in findings):
        return None, findings
    return _entry(checked, category, source, line), findings


def _quick_check(item: dict[Any, Any]) -> CheckedEntry | None:
    """The entry as the model would read it, when it is plainly right; else None."""
    if not item.keys() >= _REQUIRED or not item.keys() <= _OPTIONAL | _REQUIRED:
        return None
    entry_id, category = item["id"], item.get("category")
    escalate = item.get("escalate", False)
    if not (type(entry_id) is str and _ID.fullmatch(entry_id) and type(escalate) is bool
            and (category is None or type(category) is str)):
        return None
    questions = _texts_by_language(item["questions"], _phrasings)
    not_questions = _texts_by_language(item.get("not_questions", {}), _phrasings, empty_ok=True)
    answer = _texts_by_language(item["answer"], _text)
    title = _texts_by_language(item.get("title", {}), _text, empty_ok=True)
    keywords = _phrasings(item.get("keywords", []), empty_ok=True)
    audience = item.get("audience", [])
    if (questions is None or not_questions is None or answer is None or title is None
            or keywords is None
            or type(audience) is not list or not all(a in AUDIENCES for a in audience)):
        return None
    return CheckedEntry(entry_id, title, questions, not_questions, answer, keywords, list(audience),
                  escalate, category)


def _text(value: Any) -> str | None:
    """Text stripped as the model strips it, or None when the model might read it otherwise."""
    if type(value) is not str:
        return None
    text = value.strip(_EDGE_SPACE)
    return text if text and text == text.strip() else None


def _phrasings(value: Any, *, empty_ok: bool = False) -> list[str] | None:
    if type(value) is not list or not (value or empty_ok):
        return None
    texts = [_text(v) for v in value]
    return None if None in texts else texts  # type: ignore[return-value]


def _texts_by_language(value: Any, read: Any, *, empty_ok: bool = False) -> dict | None:
    if type(value) is not dict or not (value or empty_ok):
        return None
    texts = {lang: read(v) for lang, v in value.items()}
    if not all(type(lang) is str and t is not None for lang, t in texts.items()):
        return None
    return texts


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
    findings = [
        _translate(error, label)
        for error in errors
        # "unknown field 'qestions' (did you mean 'questions'?)" already says it is missing
        if not (error["type"] == "missing" and error["loc"][0] in suggested)
    ]
    return [replace(f, message=f.message + _indented_too_far(f.where)) for f in findings]


def _misplaced_fields(item: dict[Any, Any]) -> list[YamlPath]:
    """Where a field of the entry sits among the languages of another: (answer, keywords)."""
    return [
        (name, key)
        for name in _BY_LANGUAGE
        if isinstance(item.get(name), dict)
        for key in item[name]
        if key in FIELDS
    ]


def _not_languages(
    misplaced: list[YamlPath], shape: list[Finding], label: str
) -> list[Finding]:
    """An error for each misplaced field whose value passed for a language's (so that no shape
    finding already points at it): `audience: [pupil]` under `questions:` would read as
    questions in a language called 'audience'."""
    found = {finding.where[:2] for finding in shape}
    return [
        Finding(where, f"{label}: {field_name(where)} is not a language{_indented_too_far(where)}")
        for where in misplaced
        if where not in found
    ]


def _indented_too_far(where: YamlPath) -> str:
    """A hint when a field of the entry sits inside one of its fields by language, such as
    `keywords:` indented under `answer:`; nothing otherwise."""
    if len(where) < 2 or where[0] not in _BY_LANGUAGE or where[1] not in FIELDS:
        return ""
    return (
        f"; is '{where[1]}' indented too far? it belongs to the entry, at the same level "
        f"as '{where[0]}'"
    )


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
        hint = did_you_mean(value, AUDIENCES)
        message = f"unknown audience '{value}'{hint}; use {' or '.join(AUDIENCES)}"
        return Finding(loc, f"{label}: {message}")
    if kind in _EXPECTED:
        return Finding(
            loc, f"{label}: {where} must be {_EXPECTED[kind]}, but it is {describe(value)}"
        )
    return Finding(loc, f"{label}: {where}: {error['msg']}")


def _content_findings(entry: CheckedEntry, label: str) -> Iterator[Finding]:
    for lang, phrasings in entry.questions.items():
        where = ("questions", lang)
        if len(phrasings) == 1:
            yield Finding(
                where,
                f"{label}: {field_name(where)} has only one phrasing; "
                "a few other wordings help the bot recognise the question",
                "warning",
            )
    if not entry.title:  # optional in the contract, but the buttons read worse without it
        yield Finding(
            (),
            f"{label}: no 'title'; buttons that offer this entry show its first phrasing",
            "warning",
        )
    for name, severity in (("answer", "error"), ("title", "warning")):
        texts: Mapping[str, str] = getattr(entry, name)
        for lang in entry.questions:
            if texts and lang not in texts:  # no title at all: warned above
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
    yield from _not_question_findings(entry, label)


def _not_question_findings(entry: CheckedEntry, label: str) -> Iterator[Finding]:
    """A way of asking listed as both for and not for the entry; ones the matcher never uses."""
    for lang, phrasings in entry.not_questions.items():
        if lang not in entry.questions:
            yield Finding(
                ("not_questions", lang),
                f"{label}: 'not_questions' has '{lang}' phrasings, but 'questions' has no "
                f"'{lang}': they are never used",
                "warning",
            )
            continue
        asked = {plain_text(q) for q in entry.questions[lang]}
        for index, phrasing in enumerate(phrasings):
            if plain_text(phrasing) in asked:
                where = ("not_questions", lang, index)
                yield Finding(
                    where,
                    f"{label}: {field_name(where)} '{phrasing}' is also under 'questions.{lang}'; "
                    "a way of asking is either for this entry or not",
                )


def _entry(checked: CheckedEntry, category: str | None, source: Path, line: int) -> Entry:
    return Entry(
        id=checked.id,
        questions=_phrasings_by_language(checked.questions),
        not_questions=_phrasings_by_language(checked.not_questions),
        answer=MappingProxyType(checked.answer),
        title=MappingProxyType(checked.title),
        category=checked.category or category,
        keywords=tuple(checked.keywords),
        audience=frozenset(checked.audience),
        escalate=checked.escalate,
        source=source,
        line=line,
    )


def _phrasings_by_language(phrasings: Mapping[str, list[str]]) -> Mapping[str, tuple[str, ...]]:
    return MappingProxyType({lang: tuple(texts) for lang, texts in phrasings.items()})
