"""First contact: language, role and school in at most three taps, changeable with /impostazioni.

A child should reach their question quickly, so every step is a button, the school can be
skipped ("Non lo so", typed or pressed), and a question typed halfway through is answered
anyway. While the bot asks for the school, typed words are looked up in the school list
tolerantly (`schools.find`); words that name no school get "I can't find it, try again" unless
they are plainly a question (longer than any school's name, a "?", or something the FAQ
answers): then the school is skipped and the question answered, so no child is trapped. A
mere "did you mean..." of the FAQ is no sign of a question: one or two unknown words
("parini") are far likelier a school missing from the list. "I don't remember", typed in any
language, skips the school like the button.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bot.actions import Button, Keyboard
from bot.engine import phrases, schools, smalltalk
from bot.engine.callbacks import Callback, Press, pack
from bot.engine.states import State
from bot.engine.turn import Turn
from escalation.api import Role
from knowledge_base.normalise import load_lexicon

_LANGUAGE_LABELS = {"it": "🇮🇹 Italiano", "en": "🇬🇧 English"}
_SCHOOL_WORDS = "school_words"  # phrase lists: "scuola", "via", "ic" ... name no school


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
    teacher = "_teacher" if press.fields[0] == Role.TEACHER else ""  # "In quale scuola insegni?"
    if len(all_schools) <= schools.MAX_BUTTONS:
        turn.say(f"onboarding.ask_school_short{teacher}",
                 _school_buttons(turn, range(len(all_schools))))
    else:
        turn.say(f"onboarding.ask_school{teacher}", _school_buttons(turn, ()))


def _school_buttons(turn: Turn, positions: Iterable[int]) -> Keyboard:
    rows = [
        (turn.button("onboarding.school", Press.SCHOOL, schools.token(turn.deps.schools, i),
                     name=turn.deps.schools[i]),)
        for i in positions
    ]
    rows.append((turn.button("onboarding.school_unknown", Press.SCHOOL, "skip"),))
    return tuple(rows)


def _ignored_words(turn: Turn) -> frozenset[str]:
    """Words that name no school, in every language: articles, "scuola", "via", "ic" ..."""
    texts = turn.deps.texts
    return frozenset().union(
        *(load_lexicon(lang).stopwords for lang in texts.languages),
        phrases.vocabulary(texts, _SCHOOL_WORDS),
    )


def _a_question(turn: Turn, text: str, ignored: frozenset[str]) -> bool:
    """Plainly not a school's name: longer than every name, a "?", or what the FAQ answers."""
    longest = schools.longest_name(turn.deps.schools, ignored)
    if "?" in text or len(schools.significant_words(text, ignored)) > longest:
        return True
    return turn.deps.knowledge.matcher.match(text, audience=turn.user.role).action == "answer"


def _does_not_know(turn: Turn, text: str) -> bool:
    """"non lo so", "nn mi ricordo", "dunno": a `dont_know` or `nothing` phrase, any language."""
    return phrases.is_one_of(turn.deps.texts, text, "dont_know", "nothing")


async def typed_school(turn: Turn, text: str) -> bool:
    """While choosing a school, typed words find it; False to handle `text` as a message.

    "non lo so" skips the school like the button; small talk and plain questions leave the
    step to the rest of the engine (a question skips the school first, see the module).
    """
    if turn.state is not State.CHOOSING_SCHOOL:
        return False
    ignored = _ignored_words(turn)
    found = schools.find(turn.deps.schools, text, ignored)
    if found:
        turn.say("onboarding.schools_found", _school_buttons(turn, found))
        return True
    if _does_not_know(turn, text):
        await _leave_school_step(turn, None)
        return True
    if smalltalk.kind_of(turn, text) is not None:
        return False
    if _a_question(turn, text, ignored):
        await _leave_school_step(turn, turn.user.school, ready=False)
        return False
    turn.say("onboarding.school_not_found", _school_buttons(turn, ()))
    return True


async def on_school(turn: Turn, press: Callback) -> None:
    field = press.fields[0]
    school = None if field == "skip" else schools.from_token(turn.deps.schools, field)
    if field != "skip" and school is None:
        turn.toast("common.invalid_button")
        return
    turn.toast()
    await _leave_school_step(turn, school)


async def _leave_school_step(turn: Turn, school: str | None, *, ready: bool = True) -> None:
    """Keep the school (None: not known) and go on; `ready` says so to the user."""
    await turn.save(school=school)
    kept = _open_ticket(turn)
    await turn.move(State.IN_TICKET if kept else State.READY, **kept)
    if ready:
        turn.say("onboarding.ready")
