"""YAML read into plain Python values that still know their line numbers.

Maintainers edit the FAQ and the rota by hand, so every complaint about a file has to say
which line to fix. `yaml.safe_load` forgets where values came from; here the file is
composed into nodes first and every mapping key and list item keeps its line, looked up
by its path: `doc.line_of(("entries", 3, "answer", "en"))`. `describe` and `did_you_mean`
help word the complaint in the editor's terms.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

YamlPath = tuple[Any, ...]  # mapping keys and list indexes, from the top of the document

_REFERENCE = "a value starts with '*' or '&', which YAML reads as a reference: put it in quotes"
# The parser's own words, matched by how they start, and what they mean to someone who
# edits the file by hand. The flag says whether the opening line (the parser's "context")
# is the one to point at, e.g. where a quote that never closes was opened.
_EXPLANATIONS: tuple[tuple[str, str, bool], ...] = (
    (
        "mapping values are not allowed here",
        "a ':' where none is expected: put text that contains ': ' in quotes, "
        "or check the line above for a missing ':'",
        False,
    ),
    ("could not find expected ':'", "a line without its ':', or indented unlike the others", False),
    ("expected <block end>", "this line is not indented like the lines above it", False),
    ("found character '\\t'", "a tab character: indent with spaces only", False),
    (
        "found character",
        "a value starts with a character YAML reserves (@ or `): put the text in quotes",
        False,
    ),
    ("found undefined alias", _REFERENCE, False),
    ("expected alphabetic or numeric character", _REFERENCE, False),
    ("found unexpected end of stream", "a quote opened on this line is never closed", True),
    ("expected ',' or ']'", "a '[' list opened on this line is never closed with ']'", True),
    ("expected ',' or '}'", "a '{' opened on this line is never closed with '}'", True),
    ("but found another document", "a second document ('---') starts here; keep one", False),
)


# libyaml, when PyYAML was built with it, composes a FAQ file about 20 times faster.
_LIBYAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_TEXT = "tag:yaml.org,2002:str"
# First characters of the plain scalars that may be something other than text (true, null, 12).
_TYPED_STARTS = frozenset(_LIBYAML_LOADER.yaml_implicit_resolvers)


class _FastLoader(_LIBYAML_LOADER):
    """libyaml's loader, told at once that a plain word starting with a letter such as 'c' is
    text: the generic resolver would try every implicit type on every scalar of the file."""

    def resolve(self, kind: type, value: str, implicit: tuple[bool, bool]) -> str:
        if kind is yaml.ScalarNode and implicit[0] and value[:1] not in _TYPED_STARTS:
            return _TEXT
        return super().resolve(kind, value, implicit)

    if not _LIBYAML_LOADER.yaml_path_resolvers:  # nothing to track on the way down and up

        def descend_resolver(self, current_node: Any, current_index: Any) -> None:
            pass

        def ascend_resolver(self) -> None:
            pass


class YamlSyntaxError(Exception):
    """The text is not YAML we can read; `line` is where a maintainer should look."""

    def __init__(self, line: int, explanation: str) -> None:
        super().__init__(f"line {line}: {explanation}")
        self.line = line
        self.explanation = explanation


@dataclass(frozen=True, slots=True)
class YamlDocument:
    """A parsed document: its plain value and the line of everything in it."""

    value: Any
    lines: Mapping[YamlPath, int]

    def line_of(self, path: YamlPath) -> int:
        """The line of `path`, or of its nearest enclosing item when the path is absent.

        A missing field is thus reported on the line of the entry that lacks it.
        """
        while path not in self.lines:
            path = path[:-1]
        return self.lines[path]


def why_unreadable(error: YamlSyntaxError | OSError) -> tuple[int, str]:
    """Where and why a file could not be read as YAML (line 0: the whole file), for the one
    problem a loader reports then."""
    if isinstance(error, YamlSyntaxError):
        return error.line, error.explanation
    return 0, f"cannot read the file: {error.strerror}"


def read_yaml(path: Path) -> YamlDocument:
    """Read and parse one file; raises YamlSyntaxError (also for text that is not UTF-8)."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise YamlSyntaxError(line, "the file is not UTF-8 text; save it as UTF-8") from None
    return parse_yaml(text)


def parse_yaml(text: str) -> YamlDocument:
    """Parse one YAML document, keeping the line of every mapping key and list item."""
    try:
        root = _compose(text)
    except yaml.MarkedYAMLError as error:
        raise YamlSyntaxError(*_explain(error)) from None
    except yaml.reader.ReaderError as error:
        line = text.count("\n", 0, error.position) + 1
        raise YamlSyntaxError(line, "a control character that YAML does not allow") from None
    lines: dict[YamlPath, int] = {(): root.start_mark.line + 1 if root else 1}
    value = _Builder(lines).build(root, ()) if root else None
    return YamlDocument(value, lines)


def _compose(text: str) -> yaml.Node | None:
    try:
        return yaml.compose(text, Loader=_FastLoader)
    except yaml.YAMLError:
        # Again with the pure-Python parser: its messages are the ones explained above.
        return yaml.compose(text, Loader=yaml.SafeLoader)


def describe(value: Any) -> str:
    """What a value looks like to someone reading the YAML, for "..., but it is X"."""
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "true/false (YAML reads yes/no/on/off so; put text in quotes)"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value[:40]!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a {type(value).__name__}"


def did_you_mean(word: Any, choices: Iterable[str]) -> str:
    """' (did you mean 'questions'?)' for a near miss, or nothing."""
    close = closest(word, choices)
    return f" (did you mean '{close}'?)" if close else ""


def closest(word: Any, choices: Iterable[str]) -> str | None:
    """The choice nearest to a misspelt `word`, if any is near enough."""
    return next(iter(difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)), None)


def _explain(error: yaml.MarkedYAMLError) -> tuple[int, str]:
    problem = error.problem or ""
    mark = error.problem_mark or error.context_mark
    for start, explanation, at_opening in _EXPLANATIONS:
        if problem.startswith(start):
            if at_opening and error.context_mark:
                mark = error.context_mark
            return mark.line + 1, explanation
    return mark.line + 1, f"{problem} (in the YAML parser's words)"


class _Builder:
    """Turns composed nodes into dicts, lists and scalars, filling in the line table."""

    def __init__(self, lines: dict[YamlPath, int]) -> None:
        self.lines = lines
        self.scalars = yaml.constructor.SafeConstructor()

    def build(self, node: yaml.Node, path: YamlPath) -> Any:
        if isinstance(node, yaml.ScalarNode) and node.tag == _TEXT:
            return node.value  # what the constructor would return, without its bookkeeping
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self._child(item, item, (*path, i)) for i, item in enumerate(node.value)]
        try:
            return self.scalars.construct_object(node)
        except yaml.constructor.ConstructorError:
            explanation = "YAML tags (!!...) and '<<' merges are not allowed"
            raise YamlSyntaxError(node.start_mark.line + 1, explanation) from None

    def _mapping(self, node: yaml.MappingNode, path: YamlPath) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            key = self.build(key_node, path)
            if isinstance(key, list | dict):
                raise YamlSyntaxError(line, "a key must be a single word or text, not a list")
            if key in result:
                first = self.lines[(*path, key)]
                raise YamlSyntaxError(line, f"'{key}' appears twice here (first on line {first})")
            result[key] = self._child(key_node, value_node, (*path, key))
        return result

    def _child(self, marker: yaml.Node, node: yaml.Node, path: YamlPath) -> Any:
        self.lines[path] = marker.start_mark.line + 1
        return self.build(node, path)
