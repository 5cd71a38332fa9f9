"""Recognise messages that may mean a child is at risk, so the engine never answers them from
the FAQ: it shows the helplines and brings in a person instead.

Trigger phrases are data that coordinators maintain, one file per language in
`bot/safety_data/` (how to edit them is explained at the top of each file), grouped by
category: bullying, threats, strangers asking for photos or meetings, sexual content, self-harm,
violence at home, fear. Matching is generous on purpose, because a missed child costs far more
than a volunteer reading a false alarm:

- a phrase matches when all its words appear in the message in the same order, with up to
  `MAX_GAP` other words between two of them ("mi prendono sempre in giro");
- words of `FUZZY_MIN_LETTERS` letters or more also match with one letter wrong ("minaccano"),
  except the words a file lists under `not_typos` ("sharing" is not "scared" misspelt);
- every language's phrases are checked, the user's language first: a pupil whose Telegram is
  in English may still write in Italian.

Exceptions narrow a trigger where it is about a device ("ho paura di aver cancellato i
compiti"). They match like triggers, and cancel only the triggers of their own category whose
words lie inside them: "ho paura di aver cancellato i compiti, e mio papà mi picchia" still
triggers, and so does any other category's phrase hidden between an exception's words.

The text is split into words by an injected `tokenize(text, lang)`. The default
(`keep_small_words_tokenizer`) is the FAQ matcher's normalisation (accents, chat
abbreviations such as nn/xke, stems) without the stop-word step: here the small words carry
the meaning. "Voglio morire" without "voglio" would be "morire", which also matches "la
batteria sta morendo"; "I want to kill myself" would be "kill", as in "kill the app".
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from knowledge_base.model import Problem, Severity
from knowledge_base.normalise import CACHED_WORDS
from knowledge_base.yamlsource import YamlDocument, YamlSyntaxError, describe, did_you_mean
from knowledge_base.yamlsource import read_yaml as read_located_yaml

Tokenize = Callable[[str, str], Sequence[str]]

SAFETY_DATA = Path(__file__).parent / "safety_data"
HELPLINES = Path(__file__).parent / "helplines.yaml"
MAX_GAP = 2  # other words allowed between two words of a trigger phrase
FUZZY_MIN_LETTERS = 5  # shorter words must match exactly: "bullo" may not become "bello"

_TOP_FIELDS = ("categories", "not_typos")
_CATEGORY_FIELDS = ("triggers", "exceptions")


@dataclass(frozen=True, slots=True)
class Trigger:
    """Why a message was recognised: its category, the phrase as written in the data, and the
    language of the data it is in."""

    category: str
    phrase: str
    lang: str


class SafetyDataError(Exception):
    """A trigger or helpline file cannot be used; lists every problem, located by line."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(sorted(problems, key=lambda p: (p.file.parts, p.line)))
        super().__init__("\n".join(str(p) for p in self.problems if p.severity == "error"))


@dataclass(frozen=True, slots=True)
class _Phrase:
    category: str
    text: str  # as the coordinator wrote it, reported in Trigger.phrase
    tokens: tuple[str, ...]
    words: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "words", frozenset(self.tokens))


@dataclass(frozen=True, slots=True)
class _Category:
    name: str
    triggers: tuple[_Phrase, ...]
    exceptions: tuple[_Phrase, ...]


class _Nearby:
    """The phrase words a token may stand for: itself if a phrase has it, and the long words
    one letter away unless it is a `not_typos` word. Remembered per token (bounded): the
    fuzzy search over the vocabulary is most of a check's cost, and chat repeats its words."""

    def __init__(self, vocabulary: frozenset[str], not_typos: frozenset[str] = frozenset()
                 ) -> None:
        self._vocabulary = vocabulary
        self._not_typos = not_typos
        self._long_words = [w for w in vocabulary if len(w) >= FUZZY_MIN_LETTERS]
        self._known: dict[str, frozenset[str]] = {}

    def __call__(self, token: str) -> frozenset[str]:
        found = self._known.get(token)
        if found is None:
            if len(self._known) >= CACHED_WORDS:
                self._known.clear()
            found = self._known[token] = self._find(token)
        return found

    def _find(self, token: str) -> frozenset[str]:
        exact = {token} if token in self._vocabulary else set()
        if token in self._not_typos:
            return frozenset(exact)
        close = process.extract(
            token, self._long_words, scorer=Levenshtein.distance, score_cutoff=1, limit=None
        )
        return frozenset(exact | {word for word, _, _ in close})


class _Words:
    """The words of one message and, for each, the phrase words it stands for."""

    def __init__(self, tokens: Sequence[str], near: Callable[[str], frozenset[str]]) -> None:
        self.matches = [near(token) for token in tokens]
        self.present = frozenset().union(*self.matches)  # every phrase word found anywhere

    def may_occur(self, phrase: _Phrase) -> bool:
        """False when a word of `phrase` is nowhere in the message: a cheap first sieve."""
        return phrase.words <= self.present

    def occurrences(self, phrase: Sequence[str], max_gap: int) -> Iterator[tuple[int, int]]:
        """Every (first, last) position where `phrase` occurs with at most `max_gap` gaps."""
        for start, found in enumerate(self.matches):
            if phrase[0] in found:
                yield from self._rest(phrase, 1, start, start, max_gap)

    def _rest(
        self, phrase: Sequence[str], i: int, start: int, previous: int, max_gap: int
    ) -> Iterator[tuple[int, int]]:
        if i == len(phrase):
            yield start, previous
            return
        for position in range(previous + 1, min(previous + 2 + max_gap, len(self.matches))):
            if phrase[i] in self.matches[position]:
                yield from self._rest(phrase, i + 1, start, position, max_gap)


@dataclass(frozen=True, slots=True)
class _Language:
    lang: str
    categories: tuple[_Category, ...]
    vocabulary: frozenset[str]
    not_typos: frozenset[str]
    near: _Nearby = field(init=False)
    # each trigger under one of its words, the rarest: (category, trigger) positions
    sieve: Mapping[str, tuple[tuple[int, int], ...]] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "near", _Nearby(self.vocabulary, self.not_typos))
        object.__setattr__(self, "sieve", _sieve(self.categories))

    def check(self, tokens: Sequence[str]) -> Trigger | None:
        """The longest phrase found (the most specific: "papà mi picchia" over "mi picchia")."""
        words = _Words(tokens, self.near)
        best: _Phrase | None = None
        for number, positions in sorted(self._filed(words).items()):
            category = self.categories[number]
            candidates = [t for t in map(category.triggers.__getitem__, sorted(positions))
                          if words.may_occur(t)]
            if not candidates:
                continue
            excepted = [
                span
                for exception in category.exceptions
                if words.may_occur(exception)
                for span in words.occurrences(exception.tokens, MAX_GAP)
            ]
            for trigger in candidates:
                if (best is None or len(trigger.tokens) > len(best.tokens)) and any(
                    not any(a <= first and last <= b for a, b in excepted)
                    for first, last in words.occurrences(trigger.tokens, MAX_GAP)
                ):
                    best = trigger
        return None if best is None else Trigger(best.category, best.text, self.lang)

    def _filed(self, words: _Words) -> dict[int, list[int]]:
        """The triggers filed under a word of the message, by category: the only ones that
        may occur in it (each is filed under a word it needs)."""
        found: dict[int, list[int]] = defaultdict(list)
        for word in words.present:
            for category, trigger in self.sieve.get(word, ()):
                found[category].append(trigger)
        return found


def _sieve(categories: Sequence[_Category]) -> dict[str, tuple[tuple[int, int], ...]]:
    """Every trigger filed under its word that the fewest triggers share (ties: its first)."""
    uses = Counter(word for c in categories for t in c.triggers for word in t.words)
    filed: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for number, category in enumerate(categories):
        for position, trigger in enumerate(category.triggers):
            filed[min(trigger.tokens, key=uses.__getitem__)].append((number, position))
    return {word: tuple(places) for word, places in filed.items()}


class SafeguardingDetector:
    """Checks messages against every language's trigger phrases; once loaded, its only changing
    state is the bounded memory of what each word may stand for (`_Nearby`)."""

    def __init__(
        self,
        languages: Mapping[str, _Language],
        tokenize: Tokenize,
        warnings: Sequence[Problem] = (),
    ) -> None:
        self._languages = dict(languages)
        self._tokenize = tokenize
        self.warnings = tuple(warnings)  # e.g. two phrases that match the same: worth a look

    @classmethod
    def load(cls, directory: Path, tokenize: Tokenize) -> SafeguardingDetector:
        """Read `<lang>.yaml` files; raises SafetyDataError listing every problem found."""
        problems: list[Problem] = []
        languages: dict[str, _Language] = {}
        files = sorted(directory.glob("*.yaml"))
        if not files:
            problems.append(Problem(directory, 0, "no <language>.yaml trigger file here"))
        for file in files:
            language = _read_language(file, tokenize, problems)
            if language is not None:
                languages[file.stem] = language
        if any(p.severity == "error" for p in problems):
            raise SafetyDataError(problems)
        return cls(languages, tokenize, problems)

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self._languages)

    def check(self, text: str, lang: str | None) -> Trigger | None:
        """The first trigger found in `text`, trying `lang` first and then the other languages."""
        order = sorted(self._languages, key=lambda code: code != lang)
        for code in order:
            found = self._languages[code].check(self._tokenize(text, code))
            if found is not None:
                return found
        return None


def keep_small_words_tokenizer() -> Tokenize:
    """The FAQ normalisation (accents, chat abbreviations, stems) keeping the stop words.

    Normalisers are built on first use of a language and kept by the returned function.
    """
    from knowledge_base.normalise import Normaliser, load_lexicon, words

    normalisers: dict[str, Normaliser] = {}

    def tokenize(text: str, lang: str) -> list[str]:
        normaliser = normalisers.get(lang)
        if normaliser is None:
            normaliser = normalisers[lang] = Normaliser(lang)
        abbreviations = load_lexicon(lang).abbreviations
        return [
            normaliser.stem(expanded)
            for word in words(text)
            for expanded in abbreviations.get(word, (word,))
        ]

    return tokenize


# --------------------------------------------------------------------------- reading files


class _FileProblems:
    """Problems of one file, located by YAML path."""

    def __init__(self, file: Path, doc: YamlDocument, problems: list[Problem]) -> None:
        self.file, self.doc, self.problems = file, doc, problems

    def add(self, where: tuple[Any, ...], message: str, severity: Severity = "error") -> None:
        self.problems.append(Problem(self.file, self.doc.line_of(where), message, severity))


def _read_document(file: Path, problems: list[Problem]) -> YamlDocument | None:
    try:
        return read_located_yaml(file)
    except YamlSyntaxError as error:
        problems.append(Problem(file, error.line, error.explanation))
        return None


def _read_language(file: Path, tokenize: Tokenize, problems: list[Problem]) -> _Language | None:
    lang = file.stem
    doc = _read_document(file, problems)
    if doc is None:
        return None
    where = _FileProblems(file, doc, problems)
    root = doc.value
    if not isinstance(root, dict) or not isinstance(root.get("categories"), dict):
        where.add((), "the file must start with 'categories:' followed by the categories")
        return None
    for key in root:
        if key not in _TOP_FIELDS:
            hint = did_you_mean(key, _TOP_FIELDS)
            where.add((key,), f"unknown field '{key}' at the top of the file{hint}")
    categories = [
        _read_category(name, fields, lang, tokenize, where)
        for name, fields in root["categories"].items()
    ]
    vocabulary = frozenset(
        token
        for category in categories
        for phrase in (*category.triggers, *category.exceptions)
        for token in phrase.tokens
    )
    not_typos = root.get("not_typos") or []
    if not isinstance(not_typos, list) or not all(isinstance(w, str) for w in not_typos):
        where.add(("not_typos",), "'not_typos' must be a list of words")
        not_typos = []
    return _Language(
        lang,
        tuple(categories),
        vocabulary,
        frozenset(token for word in not_typos for token in tokenize(word, lang)),
    )


def _read_category(
    name: Any, fields: Any, lang: str, tokenize: Tokenize, where: _FileProblems
) -> _Category:
    path: tuple[Any, ...] = ("categories", name)
    if not isinstance(fields, dict):
        where.add(path, f"category '{name}' needs 'triggers:' with a list of phrases")
        return _Category(str(name), (), ())
    for key in fields:
        if key not in _CATEGORY_FIELDS:
            hint = did_you_mean(key, _CATEGORY_FIELDS)
            where.add((*path, key), f"unknown field '{key}' in category '{name}'{hint}")
    triggers = _read_phrases(name, fields, "triggers", lang, tokenize, where)
    exceptions = _read_phrases(name, fields, "exceptions", lang, tokenize, where)
    if not triggers:
        where.add(path, f"category '{name}' has no triggers")
    for i, exception in enumerate(exceptions):
        words = _Words(exception.tokens, _Nearby(frozenset(t for p in triggers for t in p.tokens)))
        if not any(any(words.occurrences(t.tokens, MAX_GAP)) for t in triggers):
            where.add(
                (*path, "exceptions", i),
                f"exception {exception.text!r} contains no trigger of '{name}', so it "
                "changes nothing: it must include the trigger's words",
            )
    return _Category(str(name), triggers, exceptions)


def _read_phrases(
    category: Any,
    fields: dict[Any, Any],
    key: str,
    lang: str,
    tokenize: Tokenize,
    where: _FileProblems,
) -> tuple[_Phrase, ...]:
    path = ("categories", category, key)
    value = fields.get(key)
    if value is None:
        return ()
    if not isinstance(value, list):
        where.add(path, f"'{key}' must be a list of phrases ('- ...'), but it is {describe(value)}")
        return ()
    phrases: list[_Phrase] = []
    seen: dict[tuple[str, ...], str] = {}
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            where.add((*path, i), f"a phrase must be text, but it is {describe(item)}")
            continue
        tokens = tuple(tokenize(item, lang))
        if not tokens:
            where.add((*path, i), f"{item!r} has no words left to match")
        elif tokens in seen:
            where.add((*path, i), f"{item!r} matches the same as {seen[tokens]!r}", "warning")
        else:
            seen[tokens] = item
            phrases.append(_Phrase(str(category), item, tokens))
    return tuple(phrases)


# --------------------------------------------------------------------------- helplines


@dataclass(frozen=True, slots=True)
class Helpline:
    """A number a child can call, with its label in each language."""

    name: str
    number: str
    labels: Mapping[str, str]

    def label(self, lang: str) -> str:
        """The label in `lang`, else Italian, else the first one written."""
        return self.labels.get(lang) or self.labels.get("it") or next(iter(self.labels.values()))


def load_helplines(file: Path) -> tuple[Helpline, ...]:
    """Read the helplines file; raises SafetyDataError listing every problem found."""
    problems: list[Problem] = []
    doc = _read_document(file, problems)
    helplines: list[Helpline] = []
    if doc is not None:
        where = _FileProblems(file, doc, problems)
        items = doc.value.get("helplines") if isinstance(doc.value, dict) else None
        if not isinstance(items, list) or not items:
            where.add((), "the file needs 'helplines:' with at least one helpline")
            items = []
        for i, item in enumerate(items):
            helpline = _read_helpline(item, ("helplines", i), where)
            if helpline is not None:
                helplines.append(helpline)
    if problems:
        raise SafetyDataError(problems)
    return tuple(helplines)


def _read_helpline(item: Any, path: tuple[Any, ...], where: _FileProblems) -> Helpline | None:
    fields = ("name", "number", "label")
    if not isinstance(item, dict):
        where.add(path, f"a helpline needs {', '.join(fields)}, but it is {describe(item)}")
        return None
    ok = True
    for key in item:
        if key not in fields:
            where.add((*path, key), f"unknown field '{key}'{did_you_mean(key, fields)}")
            ok = False
    for key in ("name", "number"):
        if not isinstance(item.get(key), str) or not item[key].strip():
            where.add((*path, key), f"'{key}' must be text in quotes, e.g. \"19696\"")
            ok = False
    labels = item.get("label")
    if (
        not isinstance(labels, dict)
        or not labels
        or not all(isinstance(v, str) and v.strip() for v in labels.values())
    ):
        where.add((*path, "label"), "'label' needs a text per language, e.g. 'it: ...'")
        ok = False
    if not ok:
        return None
    return Helpline(item["name"], item["number"], {str(k): v for k, v in labels.items()})
