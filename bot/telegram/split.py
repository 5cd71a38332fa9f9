"""Split a long message at paragraph, then line, then word boundaries.

Telegram refuses texts over 4,096 characters. Cutting at the coarsest boundary that fits keeps
an answer's numbered steps together and, since our HTML tags do not span paragraphs, keeps
every part valid HTML. Lengths are counted in UTF-16 code units, as Telegram counts them, and
on the raw HTML, which can only overestimate.
"""

from __future__ import annotations

from telegram.constants import MessageLimit

_SEPARATORS = ("\n\n", "\n", " ")


def split_message(text: str, limit: int = MessageLimit.MAX_TEXT_LENGTH) -> list[str]:
    """`text` as parts of at most `limit` UTF-16 units each, none of them blank."""
    if _length(text) <= limit:
        return [text]
    return [part.strip() for part in _pack(text, limit, _SEPARATORS) if part.strip()]


def _length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _pack(text: str, limit: int, separators: tuple[str, ...]) -> list[str]:
    if not separators:
        return _cut(text, limit)
    separator, finer = separators[0], separators[1:]
    parts: list[str] = []
    current = ""
    for piece in text.split(separator):
        joined = f"{current}{separator}{piece}" if current else piece
        if _length(joined) <= limit:
            current = joined
            continue
        if current:
            parts.append(current)
        if _length(piece) <= limit:
            current = piece
        else:
            *full, current = _pack(piece, limit, finer)
            parts.extend(full)
    if current:
        parts.append(current)
    return parts


def _cut(word: str, limit: int) -> list[str]:
    """A single "word" longer than a message (a pasted URL, say): cut between characters."""
    parts: list[str] = []
    start = used = 0
    for index, char in enumerate(word):
        width = 2 if ord(char) > 0xFFFF else 1  # astral characters are two UTF-16 units
        if used + width > limit:
            parts.append(word[start:index])
            start, used = index, 0
        used += width
    return [*parts, word[start:]]
