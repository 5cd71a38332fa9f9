"""Greetings, thanks, vague complaints and messages with no words get a friendly reply.

Children open with "ciao", close with "grazie", send "???" while they think, or start with
"non funziona niente". Left to the matcher, the first find nothing and would be handed to a
volunteer as tickets, and a vague complaint matches whichever entry says "non funziona": the
FAQ's answer to it would be a guess. A message is small talk only when every word in it is
small talk, and vague only when every word that carries meaning (after the FAQ's own
normalisation) is a generic one (the per-language `phrases` lists in bot/messages), so
"ciao il tablet non si accende" still goes to the FAQ.
"""

from __future__ import annotations

from functools import cache

from bot.engine import phrases
from bot.engine.language import normaliser
from bot.engine.turn import Turn
from knowledge_base.normalise import words

# Checked in this order: "ciao" alone is a greeting, "grazie ciao" thanks.
KINDS = ("greeting", "thanks")
_FILLER = "smalltalk_filler"  # "ok", "a tutti", "mille": alone, just an acknowledgement
_VAGUE = "vague"  # "non funziona", "ho un problema", "help": nothing says what is wrong


def kind_of(turn: Turn, text: str) -> str | None:
    """A kind of small talk ("greeting", "thanks", "ack", "empty", "vague"), or None for a
    message the FAQ should answer."""
    said = set(words(text))
    if not any(ch.isalpha() for word in said for ch in word):
        return "empty"  # "???", "3", only emojis
    said -= phrases.vocabulary(turn.deps.texts, _FILLER)
    if not said:
        return "ack"
    kind = next((k for k in KINDS if said <= phrases.vocabulary(turn.deps.texts, k)), None)
    return kind or ("vague" if _vague(turn, text) else None)


def _vague(turn: Turn, text: str) -> bool:
    """True when, in some language, every term of `text` is a generic one."""
    texts = turn.deps.texts
    return any(
        _terms(lang, text) <= _generic_terms(lang, texts.phrases(lang, _VAGUE))
        for lang in texts.languages
    )


def _terms(lang: str, text: str) -> frozenset[str]:
    return frozenset(term.term for term in normaliser(lang).terms(text))


@cache
def _generic_terms(lang: str, phrases: tuple[str, ...]) -> frozenset[str]:
    return frozenset(term for phrase in phrases for term in _terms(lang, phrase))


def reply(turn: Turn, text: str) -> bool:
    """Answer small talk in the user's language; False when `text` is a real message."""
    kind = kind_of(turn, text)
    if kind is None:
        return False
    turn.say(f"smalltalk.{kind}")
    return True
