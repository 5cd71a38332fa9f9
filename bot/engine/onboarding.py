"""First contact: language, role and school in at most three taps, changeable with /impostazioni.

A child should reach their question quickly, so every step is a button, the school can be
skipped ("Non lo so"), and a question typed halfway through is answered anyway.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bot.actions import Button, Keyboard
from bot.engine import schools
from bot.engine.callbacks import Callback, Press, pack
from bot.engine.states import State
from bot.engine.turn import Turn
from escalation.api import Role

_LANGUAGE_LABELS = {"it": "🇮🇹 Italiano", "en": "🇬🇧 English"}
_MAX_WORDS_OF_A_SCHOOL_SEARCH = 4


def _role_and_language_buttons(turn: Turn) -> Keyboard:
    roles = tuple(turn.button(f"onboarding.role_{r.value}", Press.ROLE, r.value) for r in Role)
    languages = tuple(
        Button(label, pack(Press.LANGUAGE, code)) for code, label in _LANGUAGE_LABELS.items()
    )
    return (roles, languages)


def _open_ticket(turn: Turn) -> dict[str, Any]:
    """The context of a ticket in progress, carried through the onboarding steps."""
    ticket = turn.user.context.get("ticket")
    return {"ticket": ticket} if ticket else {}


async def start(turn: Turn) -> None:
    """/start and /impostazioni: ask the role, with the language buttons on the same screen.

    An open ticket is kept, so the conversation with the volunteer resumes afterwards.
    """
    await turn.move(State.CHOOSING_ROLE, **_open_ticket(turn))
    key = "onboarding.settings" if turn.incoming.command in ("impostazioni", "settings") else (
        "onboarding.welcome"
    )
    turn.say(key, _role_and_language_buttons(turn))


async def on_language(turn: Turn, press: Callback) -> None:
    """Switch language and repeat the current step in it."""
    code = press.fields[0]
    if code not in turn.deps.texts.languages:
        turn.toast("common.invalid_button")
        return
    await turn.save(language=code)
    turn.toast()
    if turn.state is State.CHOOSING_ROLE:
        turn.say("onboarding.welcome", _role_and_language_buttons(turn))
    else:
        turn.say("onboarding.language_set")


async def on_role(turn: Turn, press: Callback) -> None:
    await turn.save(role=press.fields[0])
    await turn.move(State.CHOOSING_SCHOOL, **_open_ticket(turn))
    turn.toast()
    all_schools = turn.deps.schools
    if len(all_schools) <= schools.MAX_BUTTONS:
        turn.say("onboarding.ask_school_short", _school_buttons(turn, range(len(all_schools))))
    else:
        turn.say("onboarding.ask_school", _school_buttons(turn, ()))


def _school_buttons(turn: Turn, positions: Iterable[int]) -> Keyboard:
    rows = [
        (turn.button("onboarding.school", Press.SCHOOL, schools.token(turn.deps.schools, i),
                     name=turn.deps.schools[i]),)
        for i in positions
    ]
    rows.append((turn.button("onboarding.school_unknown", Press.SCHOOL, "skip"),))
    return tuple(rows)


async def typed_school(turn: Turn, text: str) -> bool:
    """While choosing a school, a few letters narrow the list; False if it looks like a question."""
    if turn.state is not State.CHOOSING_SCHOOL or len(text.split()) > _MAX_WORDS_OF_A_SCHOOL_SEARCH:
        return False
    found = schools.narrow(turn.deps.schools, text)
    if not found:
        return False
    turn.say("onboarding.schools_found", _school_buttons(turn, found))
    return True


async def on_school(turn: Turn, press: Callback) -> None:
    field = press.fields[0]
    school = None if field == "skip" else schools.from_token(turn.deps.schools, field)
    if field != "skip" and school is None:
        turn.toast("common.invalid_button")
        return
    await turn.save(school=school)
    kept = _open_ticket(turn)
    await turn.move(State.IN_TICKET if kept else State.READY, **kept)
    turn.toast()
    turn.say("onboarding.ready")
