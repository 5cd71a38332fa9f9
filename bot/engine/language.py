"""Reply in the language a user writes in, when the message leaves no doubt.

A user's language comes from their Telegram client or from /start; a child with an Italian
phone who writes "someone is bullying me in the class chat" must still read the helplines in
English. A message switches the user's language only when it uses at least
`CLEAR_FUNCTION_WORDS` function words (stop words, chat abbreviations) of another language
and none of theirs, counting only words that belong to one language ("in", "me", "a" are
both Italian and English): "hello", "ok", "wifi" or a name never switch anything. A
safeguarding phrase found in another language's list counts as one such word.
"""

from __future__ import annotations

from functools import cache

from bot.engine.turn import Turn
from knowledge_base.normalise import Normaliser, words

CLEAR_FUNCTION_WORDS = 2


@cache
def normaliser(lang: str) -> Normaliser:
    """The FAQ's normalisation for `lang` without a FAQ's synonyms, built once."""
    return Normaliser(lang)


def written_in(
    languages: tuple[str, ...], current: str, text: str, hint: str | None = None
) -> str:
    """The language `text` is clearly written in, else `current`. `hint` is a language the
    text is known to use otherwise (a safeguarding phrase of it was found): it counts as one
    telling word, so that "my mom hits me" (one English function word) is read in English."""
    owner = _telling_words(languages)
    telling = [owner[word] for word in words(text) if word in owner]
    if hint in languages:
        telling.append(hint)
    if current in telling:
        return current
    best = max(languages, key=telling.count)
    return best if telling.count(best) >= CLEAR_FUNCTION_WORDS else current


@cache
def _telling_words(languages: tuple[str, ...]) -> dict[str, str]:
    """The function words of exactly one of `languages`, with it ("in", "me": none)."""
    owners: dict[str, list[str]] = {}
    for lang in languages:
        for word in normaliser(lang).function_words:
            owners.setdefault(word, []).append(lang)
    return {word: langs[0] for word, langs in owners.items() if len(langs) == 1}


async def follow(turn: Turn, text: str, hint: str | None = None) -> None:
    """Switch the user's language if `text` is clearly in another one (it is kept: the
    next buttons and notices come in it too); `hint` as for `written_in`."""
    lang = written_in(tuple(turn.deps.texts.languages), turn.lang, text, hint)
    if lang != turn.lang:
        await turn.save(language=lang)
