"""Greetings, thanks and messages with no words get a friendly reply, never a ticket.

Children open with "ciao", close with "grazie", or send "???" while they think. Left to the
matcher these find nothing and would be handed to a volunteer as tickets. A message is small
talk only when every word in it is small talk (the per-language `phrases` lists in
bot/messages), so "ciao il tablet non si accende" still goes to the FAQ.
"""

from __future__ import annotations

from functools import cache

from bot.engine.turn import Turn
from knowledge_base.normalise import words

# Checked in this order: "ciao" alone is a greeting, "grazie ciao" thanks.
KINDS = ("greeting", "thanks")
_FILLER = "smalltalk_filler"  # "ok", "a tutti", "mille": alone, just an acknowledgement


def _vocabulary(turn: Turn, key: str) -> frozenset[str]:
    """The words of the `key` phrases in every language: a child may greet in English."""
    texts = turn.deps.texts
    return _words_of(tuple(texts.phrases(lang, key) for lang in texts.languages))


@cache
def _words_of(phrase_lists: tuple[tuple[str, ...], ...]) -> frozenset[str]:
    return frozenset(word for phrases in phrase_lists for p in phrases for word in words(p))


def kind_of(turn: Turn, text: str) -> str | None:
    """A kind of small talk ("greeting", "thanks", "ack", "empty"), None for a real message."""
    said = set(words(text))
    if not any(ch.isalpha() for word in said for ch in word):
        return "empty"  # "???", "3", only emojis
    said -= _vocabulary(turn, _FILLER)
    if not said:
        return "ack"
    return next((kind for kind in KINDS if said <= _vocabulary(turn, kind)), None)


def reply(turn: Turn, text: str) -> bool:
    """Answer small talk in the user's language; False when `text` is a real message."""
    kind = kind_of(turn, text)
    if kind is None:
        return False
    turn.say(f"smalltalk.{kind}")
    return True
