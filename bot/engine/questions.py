"""A question gets the FAQ's fix, a choice between close entries, or an honest hand-over.

The matcher decides (answer / clarify / escalate); this module words the decision for a
child, remembers what was suggested (in the user's context, so a restart loses nothing) and
logs every question with its outcome for /stats and /nonrisposte.
"""

from __future__ import annotations

import functools
from typing import Any

from bot.actions import Keyboard
from bot.engine import language, tickets
from bot.engine.callbacks import Callback, Press
from bot.engine.markup import to_html
from bot.engine.turn import Turn
from escalation.api import Outcome
from knowledge_base.matcher import Decision
from knowledge_base.model import Entry
from knowledge_base.normalise import words

MAX_OFFERED = 3


def _feedback_buttons(turn: Turn, question_id: int) -> Keyboard:
    return (
        (
            turn.button("question.solved_button", Press.FEEDBACK, question_id, "ok"),
            turn.button("question.not_solved_button", Press.FEEDBACK, question_id, "no"),
        ),
        (turn.button("question.human_button", Press.FEEDBACK, question_id, "human"),),
    )


async def ask(turn: Turn, text: str) -> None:
    """Match the question and answer, offer choices, or start a hand-over."""
    decision = turn.deps.knowledge.matcher.match(text, audience=turn.user.role)
    kb = turn.deps.knowledge.kb
    store = turn.deps.store
    entry = kb.get(decision.entry_id) if decision.entry_id else None
    ranked = [c.entry_id for c in decision.candidates if kb.get(c.entry_id) is not None]
    answered = decision.action == "answer" and entry is not None
    clarified = not answered and decision.action == "clarify" and bool(ranked)
    outcome = Outcome.ANSWERED if answered else Outcome.CLARIFIED if clarified else None
    question_id = await store.log_question(
        turn.user.id, text, decision.action, entry.id if entry else None, outcome
    )
    if answered:
        # "not solved" may try the next entry only if the matcher found it a credible
        # alternative (close to the top); one far behind, often about another device, is not
        spare = [i for i in decision.runners_up if kb.get(i) is not None]
        await _answer(turn, entry, question_id, text, tried=[entry.id], spare=spare)
    elif clarified:
        offered = [e for e in map(kb.get, decision.offered or ranked) if e][:MAX_OFFERED]
        await _offer(turn, question_id, text, offered)
    elif _off_topic_question(decision, text):
        await _off_topic(turn, question_id, text)
    else:
        await tickets.ask_description(turn, text, question_id=question_id)


def _off_topic_question(decision: Decision, text: str) -> bool:
    """About nothing the helpdesk does: no entry shares a word with it beyond the function
    words of its language (candidates may come only from letters that look alike, "che tempo
    fa domani a milano", or from a function word read as one of the other language, "chi"),
    and it names no device, connection or school app (the lexicon's `devices`: "la lavagna
    digitale fa un fischio" goes to a volunteer though no entry knows its words)."""
    reading = language.normaliser(decision.language)
    shared = {w for c in decision.candidates for w in c.matched_words}
    if shared - reading.function_words:
        return False
    return not any(reading.stem(w) in _device_stems(decision.language) for w in words(text))


@functools.cache
def _device_stems(lang: str) -> frozenset[str]:
    reading = language.normaliser(lang)
    return frozenset(reading.stem(w) for w in reading.lexicon.devices)


async def _off_topic(turn: Turn, question_id: int, text: str) -> None:
    """Say what the bot is for, with a volunteer one tap away, rather than hand every joke
    and homework question ("quanto fa 7 per 8") to the volunteers as a ticket."""
    await _remember(turn, id=question_id, text=text, tried=[], spare=[])
    human = turn.button("question.human_button", Press.FEEDBACK, question_id, "human")
    turn.say("question.off_topic", ((human,),))


async def _answer(
    turn: Turn,
    entry: Entry,
    question_id: int,
    text: str,
    tried: list[str],
    spare: list[str],
    *,
    retried: bool = False,
) -> None:
    """Send the entry's fix; an `escalate: true` entry also opens a ticket straight away."""
    answer = to_html(entry.answer_in(turn.lang))
    if entry.escalate:
        turn.send(answer)
        await tickets.open_for(turn, text, tried=tuple(tried), category=entry.category,
                               question_id=question_id)
        return
    await _remember(turn, id=question_id, text=text, tried=tried, retried=retried,
                    spare=[e for e in spare if e not in tried])
    turn.send(answer, _feedback_buttons(turn, question_id))


async def _offer(turn: Turn, question_id: int, text: str, offered: list[Entry]) -> None:
    """Up to three titles as buttons, plus "none of these"; the choice is kept by position."""
    rows = [
        (turn.button("question.option", Press.PICK, question_id, i, title=e.title_in(turn.lang)),)
        for i, e in enumerate(offered)
    ]
    rows.append((turn.button("question.none_button", Press.PICK, question_id, "none"),))
    ids = [e.id for e in offered]
    await _remember(turn, id=question_id, text=text, tried=[], offered=ids, spare=ids)
    turn.say("question.clarify", tuple(rows))


async def _remember(turn: Turn, **question: Any) -> None:
    await turn.save(context={**turn.user.context, "question": question})


def _current(turn: Turn, press: Callback) -> dict[str, Any] | None:
    """The remembered question a button belongs to; None for a button of an older question."""
    question = turn.user.context.get("question")
    if isinstance(question, dict) and question.get("id") == press.number(0):
        return question
    return None


async def on_pick(turn: Turn, press: Callback) -> None:
    """A title from the clarify buttons, or "none of these" (which hands over)."""
    question = _current(turn, press)
    choice = press.fields[1]
    offered = question.get("offered", []) if question else []
    if question is None or (choice != "none" and int(choice) >= len(offered)):
        turn.toast("common.invalid_button")
        return
    turn.toast()
    if choice == "none":
        await turn.deps.store.set_outcome(question["id"], Outcome.NOT_SOLVED)
        await tickets.ask_description(turn, question["text"], question["id"], tuple(offered))
        return
    entry = turn.deps.knowledge.kb.get(offered[int(choice)])
    if entry is None:
        turn.say("common.invalid_button")
        return
    await turn.deps.store.set_outcome(question["id"], Outcome.ANSWERED)
    await _answer(turn, entry, question["id"], question["text"], [entry.id], question["spare"])


async def on_feedback(turn: Turn, press: Callback) -> None:
    """Solved, not solved (a credible runner-up once, then a volunteer), or "talk to a
    volunteer"."""
    question = _current(turn, press)
    if question is None:
        turn.toast("common.invalid_button")
        return
    turn.toast()
    verdict = press.fields[1]
    store = turn.deps.store
    if verdict == "ok":
        await store.set_outcome(question["id"], Outcome.SOLVED)
        await turn.save(context={k: v for k, v in turn.user.context.items() if k != "question"})
        turn.say("question.glad")
        return
    await store.set_outcome(question["id"], Outcome.NOT_SOLVED)
    spare = [e for e in question["spare"] if e not in question["tried"]]
    next_entry = turn.deps.knowledge.kb.get(spare[0]) if spare else None
    if verdict == "no" and next_entry is not None and not question.get("retried"):
        turn.say("question.try_next")
        await _answer(turn, next_entry, question["id"], question["text"],
                      [*question["tried"], next_entry.id], spare, retried=True)
        return
    await tickets.ask_description(
        turn, question["text"], question["id"], tuple(question["tried"])
    )
