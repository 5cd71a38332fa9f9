"""Turn chat text into comparable terms: the one normalisation every matcher in the project shares.

Pupils write "il tablet nn si acendeee 😭", teachers write long formal messages, the FAQ is
written in tidy sentences. Both sides go through the same steps so that they meet:

1. `words`: lower case, accents stripped, English contractions opened ("won't" -> "will not"),
   emojis and punctuation dropped, stretched letters folded ("nooo" -> "no"), short hyphenated
   words joined ("wi-fi" -> "wifi").
2. chat abbreviations expanded from the language's lexicon ("nn" -> "non", "pls" -> "please"),
   then the lexicon's expressions said in plain words ("non parte" -> "non si accende",
   "ci mette una vita" -> "lento"): a synonym group folds onto one term, which would lose
   the negation, an expression becomes several words.
3. every word stemmed (Snowball), so "accende", "accendere" and "accendeva" meet.
4. synonym groups folded onto one term: the KB's own `_synonyms.yaml` first, then the small
   generic lexicon; a group member may be several words ("sign in").
5. stop words dropped, except negations, which change the meaning of a question.

Typo correction needs the KB's vocabulary, so the matcher does it on top of these terms.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import NamedTuple

import yaml

_STEMMER_NAMES = {
    "it": "italian",
    "en": "english",
    "fr": "french",
    "de": "german",
    "es": "spanish",
    "pt": "portuguese",
    "nl": "dutch",
    "ro": "romanian",
}
_CONTRACTIONS = (
    (re.compile(r"\bwon'?t\b"), "will not"),
    (re.compile(r"\bcan'?t\b"), "can not"),
    (re.compile(r"n't\b"), " not"),
)
_SHORT_HYPHENATED = re.compile(r"\b([a-z]{1,2})-([a-z]+)\b|\b([a-z]+)-([a-z]{1,2})\b")
_WORD = re.compile(r"[a-z0-9]+")
_STRETCHED = re.compile(r"([a-z])\1{2,}")
CACHED_WORDS = 50_000  # words whose stem (or typo fix) is kept: a bot sees ever new words
CACHED_TEXTS = 256  # texts whose words are kept: the messages being handled


@dataclass(frozen=True, slots=True)
class Lexicon:
    """Generic language data for one language (knowledge_base/lexicon/<lang>.yaml)."""

    stopwords: frozenset[str] = frozenset()
    abbreviations: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    expressions: Mapping[tuple[str, ...], tuple[str, ...]] = field(default_factory=dict)
    everyday: tuple[str, ...] = ()  # words of daily life that say nothing of the problem
    devices: frozenset[str] = frozenset()  # words of what the helpdesk is for
    synonyms: tuple[tuple[str, ...], ...] = ()


class Term(NamedTuple):
    """A normalised term and the user's word it came from (shown to maintainers)."""

    term: str
    word: str


@functools.cache
def load_lexicon(lang: str) -> Lexicon:
    """The shipped lexicon for `lang`; an empty one for a language we have no data for."""
    source = resources.files("knowledge_base") / "lexicon" / f"{lang}.yaml"
    if not source.is_file():
        return Lexicon()
    data = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
    return Lexicon(
        stopwords=frozenset(str(w) for w in data.get("stopwords") or ()),
        abbreviations={
            str(k): tuple(words(str(v))) for k, v in (data.get("abbreviations") or {}).items()
        },
        expressions={
            tuple(words(str(k))): tuple(words(str(v)))
            for k, v in (data.get("expressions") or {}).items()
        },
        everyday=tuple(str(w) for w in data.get("everyday") or ()),
        devices=frozenset(str(w) for w in data.get("devices") or ()),
        synonyms=tuple(tuple(str(w) for w in group) for group in data.get("synonyms") or ()),
    )


def words(text: str) -> list[str]:
    """Step 1: plain lower-case words without accents, emojis, punctuation or stretched letters."""
    return list(_words(text))


def tokens(text: str) -> tuple[str, ...]:
    """Step 1 but for the stretched letters, which the normaliser folds word by word (and
    caches). Everything the normaliser and the matcher make of a text depends on these
    tokens alone, so they also key what is remembered per text."""
    return tuple(_WORD.findall(_plain_text(text)))


# One message is read by several steps (its language, safeguarding, small talk, the FAQ),
# each splitting it into words: the last texts' words are remembered.
@functools.lru_cache(maxsize=CACHED_TEXTS)
def _words(text: str) -> tuple[str, ...]:
    # folded on the whole text: a run of one letter never crosses a word boundary
    return tuple(_WORD.findall(_STRETCHED.sub(r"\1", _plain_text(text))))


@functools.lru_cache(maxsize=CACHED_TEXTS)
def _plain_text(text: str) -> str:
    """Lower case, accents stripped, contractions opened, short hyphenated words joined."""
    text = text.lower()
    if not text.isascii():
        text = text.replace("\u2019", "'")
        text = "".join(
            ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
        )
    if "'" in text or "`" in text:
        text = text.replace("`", "'")
        for pattern, replacement in _CONTRACTIONS:
            text = pattern.sub(replacement, text)
    if "-" in text:
        text = _SHORT_HYPHENATED.sub(lambda m: "".join(g for g in m.groups() if g), text)
    return text


class _Word(NamedTuple):
    """What the normaliser makes of one token, computed once per distinct token."""

    forms: tuple[tuple[str, str], ...]  # (plain word, stem) after expanding abbreviations
    terms: tuple[Term, ...] | None  # its terms on its own; None when it may start a phrase


class Normaliser:
    """Steps 2-5 for one language, with the KB's synonym groups folded in.

    Built once per language when a KB is indexed; stems are cached because chat vocabulary is
    small and repetitive.
    """

    def __init__(self, lang: str, synonyms: Iterable[Sequence[str]] = ()) -> None:
        self.lang = lang
        self.lexicon = load_lexicon(lang)
        self._stemmer = _stemmer(lang)
        self._stems: dict[str, str] = {}
        self._words: dict[str, _Word] = {}  # token -> what it becomes
        self._phrases: dict[tuple[str, ...], str] = {}
        for group in (*synonyms, *self.lexicon.synonyms):
            self._add_synonym_group(group)
        self._longest_phrase = max((len(p) for p in self._phrases), default=1)
        self._phrase_starts = {p[0] for p in self._phrases if len(p) > 1}
        self._single = {p[0]: canonical for p, canonical in self._phrases.items() if len(p) == 1}
        expressions = self.lexicon.expressions
        self._longest_expression = max(map(len, expressions), default=0)
        starts = {e[0] for e in expressions}
        self._expression_starts = starts | {
            word for word, expanded in self.lexicon.abbreviations.items() if starts & set(expanded)
        }

    def stem(self, word: str) -> str:
        stem = self._stems.get(word)
        if stem is None:
            if len(self._stems) >= CACHED_WORDS:
                self._stems.clear()
            stem = self._stemmer(word) if self._stemmer else word
            self._stems[word] = stem
        return stem

    def _add_synonym_group(self, group: Sequence[str]) -> None:
        members = [tuple(self.stem(w) for w in self._expand(words(str(m)))) for m in group]
        members = [m for m in members if m]
        if not members:
            return
        canonical = next(
            (self._phrases[m] for m in members if m in self._phrases), " ".join(members[0])
        )
        for member in members:
            self._phrases.setdefault(member, canonical)

    def _expand(self, plain: Iterable[str]) -> list[str]:
        expanded: list[str] = []
        for word in plain:
            expanded.extend(self.lexicon.abbreviations.get(word, (word,)))
        return expanded

    def terms(self, text: str) -> list[Term]:
        """All steps: the terms of `text`, in order, each with the word it came from."""
        said: Sequence[str] = tokens(text)
        if not self._expression_starts.isdisjoint(said):
            said = self._say_expressions(said)
        found: list[Term] = []
        cached = self._words.get
        for token in said:
            word = cached(token) or self._analyse(token)
            if word.terms is None:
                return self._terms_with_phrases(said)
            found += word.terms
        return found

    def _say_expressions(self, tokens: Sequence[str]) -> list[str]:
        """The tokens with the lexicon's expressions replaced by their plain words (matched
        after abbreviations are expanded, so "nn parte" is "non parte")."""
        cached = self._words.get
        plain = [p for token in tokens for p, _ in (cached(token) or self._analyse(token)).forms]
        said: list[str] = []
        i = 0
        while i < len(plain):
            size, replacement = (
                self._expression_at(plain, i) if plain[i] in self._expression_starts else (1, None)
            )
            said.extend(replacement or plain[i : i + 1])
            i += size
        return said

    def _expression_at(self, plain: list[str], start: int) -> tuple[int, tuple[str, ...] | None]:
        """The longest expression starting at `start` and its plain words."""
        for size in range(min(self._longest_expression, len(plain) - start), 1, -1):
            replacement = self.lexicon.expressions.get(tuple(plain[start : start + size]))
            if replacement is not None:
                return size, replacement
        return 1, None

    def _terms_with_phrases(self, tokens: Sequence[str]) -> list[Term]:
        """`terms` for text where a synonym of several words ("sign in") may start."""
        cached = self._words.get
        forms = [form for token in tokens for form in (cached(token) or self._analyse(token)).forms]
        stems = [stem for _, stem in forms]
        found: list[Term] = []
        i = 0
        while i < len(forms):
            size, canonical = (
                self._phrase_at(stems, i) if stems[i] in self._phrase_starts else (1, None)
            )
            if canonical is not None:
                found.append(Term(canonical, " ".join(plain for plain, _ in forms[i : i + size])))
            else:
                found.extend(self._alone(*forms[i]))
            i += size
        return found

    def _analyse(self, token: str) -> _Word:
        if len(self._words) >= CACHED_WORDS:
            self._words.clear()
        forms = tuple(
            (form, self.stem(form)) for form in self._expand((_STRETCHED.sub(r"\1", token),))
        )
        alone = None
        if not any(stem in self._phrase_starts for _, stem in forms):
            alone = tuple(term for form, stem in forms for term in self._alone(form, stem))
        word = self._words[token] = _Word(forms, alone)
        return word

    def _alone(self, plain: str, stem: str) -> tuple[Term, ...]:
        """The term of a word that starts no phrase: its synonym group's, its stem's, or none."""
        if stem in self._single:
            return (Term(self._single[stem], plain),)
        if plain in self.lexicon.stopwords:
            return ()
        return (Term(stem, plain),)

    def _phrase_at(self, stems: list[str], start: int) -> tuple[int, str | None]:
        """The longest synonym-group member of two words or more starting at `start`."""
        for size in range(min(self._longest_phrase, len(stems) - start), 1, -1):
            canonical = self._phrases.get(tuple(stems[start : start + size]))
            if canonical is not None:
                return size, canonical
        return 1, None

    @property
    def one_word_synonyms(self) -> Mapping[str, str]:
        """The stem of every one-word synonym-group member -> its group's term."""
        return self._single

    @functools.cached_property
    def function_words(self) -> frozenset[str]:
        """The stop words and chat abbreviations that reveal this language."""
        return self.lexicon.stopwords | frozenset(self.lexicon.abbreviations)

    def is_function_word(self, word: str) -> bool:
        return word in self.function_words


def _stemmer(lang: str):
    name = _STEMMER_NAMES.get(lang)
    if name is None:
        return None
    import snowballstemmer  # imported here: only languages that are used pay for it

    return snowballstemmer.stemmer(name).stemWord


def normalise(text: str, lang: str, synonyms: Iterable[Sequence[str]] = ()) -> list[str]:
    """The terms of `text` in `lang` (see the module docstring): what other matchers reuse."""
    return [t.term for t in Normaliser(lang, synonyms).terms(text)]


def detect_language(text: str, normalisers: Sequence[Normaliser]) -> str:
    """The language whose function words the text uses most; the first one on a tie."""
    plain = words(text)
    best = max(normalisers, key=lambda n: sum(n.is_function_word(w) for w in plain))
    return best.lang
