"""Button data: a prefix plus fields, packed within Telegram's 64 bytes and parsed strictly.

Anyone can send any callback data to a bot (a modified client, an old message), so parsing
never trusts it: an unknown prefix, a wrong field count or a field that does not match its
pattern raises `InvalidCallback`, and the engine answers "this button is no longer valid".
Raw strings like "1" would make every handler guess what a press means.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

MAX_BYTES = 64  # Telegram's limit for callback_data
SEPARATOR = ":"

_NUMBER = r"\d{1,12}"
_TICKET_NUMBER = r"T-\d{4,10}"


class Press(StrEnum):
    """What a button does; the value is the prefix in the packed data."""

    LANGUAGE = "lang"  # language code
    ROLE = "role"  # pupil | teacher
    SCHOOL = "school"  # index in the list + short checksum of the name, or "skip"
    FEEDBACK = "fb"  # question log id, ok | no | human
    PICK = "pick"  # question log id, index of the offered entry or "none"
    DESCRIBE_SKIP = "desc"  # question log id: open the ticket with the question as it is
    TAKE = "take"  # ticket id
    PASS = "pass"  # ticket id
    RELEASE = "release"  # ticket number: hand back a ticket one holds (under a reminder)
    SOLVED = "solved"  # ticket number, y | n
    RATE = "rate"  # ticket number, y | n (solved), stars 1-5
    AGAIN = "again"  # ticket number: not solved, talk to a volunteer again
    FORGET = "forget"  # y | n
    WITHDRAW = "withdraw"  # ticket number, y | n: the pupil closes their own ticket


_FIELDS: dict[Press, tuple[str, ...]] = {
    Press.LANGUAGE: (r"[a-z]{2}",),
    Press.ROLE: (r"pupil|teacher",),
    Press.SCHOOL: (r"\d{1,4}-[0-9a-f]{4}|skip",),
    Press.FEEDBACK: (_NUMBER, r"ok|no|human"),
    Press.PICK: (_NUMBER, r"[0-4]|none"),
    Press.DESCRIBE_SKIP: (_NUMBER,),
    Press.TAKE: (_NUMBER,),
    Press.PASS: (_NUMBER,),
    Press.RELEASE: (_TICKET_NUMBER,),
    Press.SOLVED: (_TICKET_NUMBER, r"y|n"),
    Press.RATE: (_TICKET_NUMBER, r"y|n", r"[1-5]"),
    Press.AGAIN: (_TICKET_NUMBER,),
    Press.FORGET: (r"y|n",),
    Press.WITHDRAW: (_TICKET_NUMBER, r"y|n"),
}
_PATTERNS = {press: tuple(re.compile(p) for p in fields) for press, fields in _FIELDS.items()}


class InvalidCallback(ValueError):
    """Callback data that this bot did not produce (forged, garbled or from an old version)."""


@dataclass(frozen=True, slots=True)
class Callback:
    press: Press
    fields: tuple[str, ...]

    def number(self, index: int = 0) -> int:
        """A numeric field (the patterns guarantee it parses)."""
        return int(self.fields[index])


def _check(press: Press, fields: tuple[str, ...]) -> None:
    patterns = _PATTERNS[press]
    if len(fields) != len(patterns):
        raise InvalidCallback(f"{press.value} takes {len(patterns)} fields, got {len(fields)}")
    for value, pattern in zip(fields, patterns, strict=True):
        if not pattern.fullmatch(value):
            raise InvalidCallback(f"{press.value}: bad field {value!r}")


def pack(press: Press, *fields: object) -> str:
    """The callback data for a button; raises ValueError if a field is wrong or it is too long."""
    values = tuple(str(f) for f in fields)
    _check(press, values)
    data = SEPARATOR.join((press.value, *values))
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"callback data over {MAX_BYTES} bytes: {data!r}")
    return data


def parse(data: str | None) -> Callback:
    """The press a button stands for; `InvalidCallback` for anything this bot did not pack."""
    if not data or len(data.encode()) > MAX_BYTES:
        raise InvalidCallback("empty or too long")
    prefix, *fields = data.split(SEPARATOR)
    try:
        press = Press(prefix)
    except ValueError:
        raise InvalidCallback(f"unknown prefix {prefix!r}") from None
    _check(press, tuple(fields))
    return Callback(press, tuple(fields))
