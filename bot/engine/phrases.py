"""The `phrases:` lists of the message files (ways people say "I don't know", "talk to a
person", "ciao" ...), compared with what a user typed after the same word splitting.

A child may write in either language whatever they chose, so most lookups take the phrases
of every language. The lists are normalised once per list: they are read on every message.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from bot.texts import Texts
from knowledge_base.normalise import words


def _lists(texts: Texts, keys: Iterable[str], languages: Iterable[str] | None) -> tuple:
    langs = texts.languages if languages is None else languages
    return tuple(texts.phrases(lang, key) for lang in langs for key in keys)


@cache
def _said(phrase_lists: tuple[tuple[str, ...], ...]) -> frozenset[str]:
    return frozenset(" ".join(words(p)) for phrases in phrase_lists for p in phrases)


@cache
def _words(phrase_lists: tuple[tuple[str, ...], ...]) -> frozenset[str]:
    return frozenset(word for phrases in phrase_lists for p in phrases for word in words(p))


def plain(text: str) -> str:
    """`text` as the phrases are compared: its words, lower case, single spaces."""
    return " ".join(words(text))


def is_one_of(texts: Texts, text: str, *keys: str, languages: Iterable[str] | None = None
              ) -> bool:
    """True when the whole of `text` is one of the `keys` phrases (of `languages`, default
    every language)."""
    return plain(text) in _said(_lists(texts, keys, languages))


def contains_one_of(texts: Texts, text: str, key: str) -> bool:
    """True when `text` says one of the `key` phrases of any language, among other words."""
    padded = f" {plain(text)} "
    return any(f" {phrase} " in padded for phrase in _said(_lists(texts, (key,), None)))


def vocabulary(texts: Texts, key: str) -> frozenset[str]:
    """Every word of the `key` phrases, in every language."""
    return _words(_lists(texts, (key,), None))
