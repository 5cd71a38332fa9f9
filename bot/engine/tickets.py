"""The pupil's side of a hand-over: describe the problem, open the ticket, talk, rate.

The bot says honestly that a person will help, asks for a short description (a photo of the
screen helps a volunteer most), and from then on copies the pupil's messages to whoever took
the ticket, tagged with the ticket number only.
"""

from __future__ import annotations

import html
from typing import NamedTuple

from bot.actions import Action, Copy, Kind, Send
from bot.engine import effects, phrases
from bot.engine.callbacks import Callback, Press
from bot.engine.deps import Deps
from bot.engine.states import State
from bot.engine.turn import Turn
from bot.texts import FALLBACK_LANGUAGE
from escalation.api import Outcome, Priority, RelayTarget, Sender, TicketView, UserView
from escalation.lifecycle import FINISHED, IN_PROGRESS

RELAYED_KINDS = {Kind.TEXT: "text", Kind.PHOTO: "photo", Kind.VOICE: "voice",
                 Kind.DOCUMENT: "document"}
MAX_WAITING = 10  # messages kept for the volunteer while nobody has taken the ticket yet
_MIN_USEFUL_CHARS = 4


class Relayed(NamedTuple):
    """A message between pupil and volunteer; stored as a list while it waits."""

    kind: str
    message_id: int
    text: str | None
    file_id: str | None


async def ask_description(
    turn: Turn, question: str, question_id: int | None = None, tried: tuple[str, ...] = ()
) -> None:
    """Promise a volunteer and ask for a short description; the ticket opens on the reply."""
    pending = {"question": question, "question_id": question_id, "tried": list(tried)}
    await turn.move(State.DESCRIBING, pending=pending)
    button = turn.button("ticket.send_as_is", Press.DESCRIBE_SKIP, question_id or 0)
    turn.say("ticket.describe", ((button,),))


def _useful(turn: Turn, text: str | None) -> bool:
    """False for "boh", "no", "non so": then the original question describes it better."""
    if not text or len(text.strip()) < _MIN_USEFUL_CHARS:
        return False
    return not says_nothing(turn, text)


def says_nothing(turn: Turn, text: str) -> bool:
    """"boh", "non lo so", "niente": one of the user's language's `nothing` phrases."""
    return phrases.is_one_of(turn.deps.texts, text, "nothing", languages=(turn.lang,))


async def describe(turn: Turn) -> None:
    """The reply to "describe the problem": open the ticket; a photo is attached to it."""
    incoming = turn.incoming
    pending = turn.user.context.get("pending") or {}
    question = pending.get("question") or ""
    asked = pending.get("question_id") and question  # a real question, not "un volontario"
    if _useful(turn, incoming.text) and asked and incoming.text not in question:
        question = f"{question}\n{incoming.text}"  # the volunteer reads both, in order
    elif _useful(turn, incoming.text) or not question:
        question = incoming.text or question or turn.text("ticket.no_description")
    await open_for(turn, question, tuple(pending.get("tried", ())),
                   question_id=pending.get("question_id"))
    if incoming.kind is Kind.PHOTO:
        photo = Relayed("photo", incoming.message_id or 0, incoming.text, incoming.file_id)
        current = turn.user.context["ticket"]
        await turn.save(context={**turn.user.context,
                                 "ticket": {**current, "waiting": [list(photo)]}})


async def on_describe_skip(turn: Turn, press: Callback) -> None:
    """"Send it as it is": open the ticket with the question the pupil already asked."""
    pending = turn.user.context.get("pending") or {}
    if turn.state is not State.DESCRIBING or (pending.get("question_id") or 0) != press.number():
        turn.toast("common.invalid_button")
        return
    turn.toast()
    await open_for(turn, pending.get("question") or turn.text("ticket.no_description"),
                   tuple(pending.get("tried", ())), question_id=pending.get("question_id"))


async def open_for(
    turn: Turn,
    question: str,
    tried: tuple[str, ...] = (),
    *,
    category: str | None = None,
    priority: Priority = Priority.NORMAL,
    question_id: int | None = None,
) -> None:
    """Open a ticket and ping the volunteers on shift; the service words the pupil's notice.

    Every ticket's question is in the question log with the outcome "escalated", so /stats
    and /nonrisposte count hand-overs however they started.
    """
    ticket, result = await turn.deps.escalation.open_ticket(
        turn.user.id, question, category=category, tried_entries=tried, priority=priority
    )
    store = turn.deps.store
    if not question_id:  # asked for a person straight away: the description is the question
        question_id = await store.log_question(turn.user.id, question, "escalate", None)
    await store.set_outcome(question_id, Outcome.ESCALATED)
    await turn.move(State.IN_TICKET, ticket={"id": ticket.id, "number": ticket.number,
                                             "waiting": []})
    turn.actions.extend(await effects.render(turn.deps, result))


async def make_urgent(turn: Turn) -> None:
    """Safeguarding in the pupil's open ticket: the coordinators hear at once (see the service)."""
    ticket_id = turn.user.context["ticket"]["id"]
    result = await turn.deps.escalation.make_urgent(ticket_id)
    turn.actions.extend(await effects.render(turn.deps, result))


def copies(
    message: Relayed, from_chat_id: int, target: RelayTarget, header: str | None
) -> list[Send | Copy]:
    """Copy (never forward) a message; a text gets `header` before it, media as a caption."""
    ref = target.message_ref
    if header is None:
        return [Copy(from_chat_id, message.message_id, target.chat_id, ticket_id=ref)]
    if message.kind == "text":
        return [Send(target.chat_id, header),
                Copy(from_chat_id, message.message_id, target.chat_id, ticket_id=ref)]
    caption = f"{header}\n{html.escape(message.text)}" if message.text else header
    return [Copy(from_chat_id, message.message_id, target.chat_id, caption=caption,
                 ticket_id=ref)]


async def _relay(deps: Deps, user: UserView, number: str, message: Relayed) -> list[Send | Copy]:
    """Hand one pupil message to the service; copies for the volunteer, if one has the ticket."""
    target = await deps.escalation.relay(
        Sender.USER, user.chat_id, kind=message.kind, text=message.text,
        file_id=message.file_id, message_id=message.message_id,
    )
    if target is None:
        return []
    lang = await effects.volunteer_language(deps, target.chat_id)
    header = deps.texts.get(lang, "volunteer.from_user", number=number, pseudonym=user.pseudonym)
    return copies(message, user.chat_id, target, header)


async def relay_from_user(turn: Turn, *, urgent: bool = False) -> bool:
    """Pass a pupil's message to their volunteer; False if the ticket is over (start afresh).

    Before anyone has taken the ticket, messages wait in the pupil's context and are copied to
    the volunteer who takes it (see `deliver_waiting`). An `urgent` message (or any in an
    urgent ticket) is acknowledged without promising "the volunteer": coordinators read it.
    """
    incoming = turn.incoming
    current = turn.user.context.get("ticket") or {}
    ticket = await _open_ticket(turn)
    if ticket is None:
        await turn.move(State.READY)
        return False
    # a safeguarding text reaches here on any kind that carries text: relay it as text
    message = Relayed(RELAYED_KINDS.get(incoming.kind, "text"), incoming.message_id or 0,
                      incoming.text, incoming.file_id)
    relayed = await _relay(turn.deps, turn.user, ticket.number, message) if (
        ticket.status in IN_PROGRESS
    ) else []
    if relayed:
        turn.actions.extend(relayed)
        return True
    waiting = [*current.get("waiting", []), list(message)][-MAX_WAITING:]
    await turn.save(context={**turn.user.context, "ticket": {**current, "waiting": waiting}})
    urgent = urgent or ticket.priority == Priority.URGENT
    turn.say("ticket.noted_urgent" if urgent else "ticket.noted", number=ticket.number)
    return True


async def _open_ticket(turn: Turn) -> TicketView | None:
    """The user's ticket (kept in their context) while it is not finished, else None."""
    current = turn.user.context.get("ticket") or {}
    ticket = await turn.deps.escalation.ticket_by_number(current["number"]) if current else None
    return None if ticket is None or ticket.status in FINISHED else ticket


def helplines_shown(turn: Turn) -> bool:
    """The helplines were shown in the pupil's open ticket: once is enough for a ticket."""
    return bool((turn.user.context.get("ticket") or {}).get("helplines"))


async def showed_helplines(turn: Turn) -> None:
    """Remember in the open ticket's context that its pupil has seen the helplines."""
    context = turn.user.context
    await turn.save(context={**context, "ticket": {**context["ticket"], "helplines": True}})


async def deliver_waiting(deps: Deps, user_chat_id: int, number: str) -> list[Action]:
    """Copy what a pupil wrote while waiting to the volunteer who has just taken ticket `number`."""
    user = await deps.store.get_or_create_user(user_chat_id, FALLBACK_LANGUAGE)
    current = user.context.get("ticket") or {}
    if current.get("number") != number or not current.get("waiting"):
        return []
    actions: list[Action] = []
    for fields in current["waiting"]:
        actions.extend(await _relay(deps, user, number, Relayed(*fields)))
    await deps.store.update_user(
        user.id, context={**user.context, "ticket": {**current, "waiting": []}}
    )
    return actions


async def ask_to_withdraw(turn: Turn) -> None:
    """/chiudi from a pupil: close their open request, after a confirming tap; while the bot
    is still waiting for the description, simply do not hand over."""
    if turn.state is State.DESCRIBING:
        await turn.move(State.READY)
        turn.say("ticket.handover_cancelled")
        return
    ticket = await _open_ticket(turn)
    if ticket is None:
        turn.say("ticket.nothing_to_withdraw")
        return
    if ticket.priority == Priority.URGENT:
        await _keep_urgent_open(turn, ticket.id)
        return
    buttons = ((
        turn.button("ticket.withdraw_yes", Press.WITHDRAW, ticket.number, "y"),
        turn.button("ticket.withdraw_no", Press.WITHDRAW, ticket.number, "n"),
    ),)
    turn.say("ticket.withdraw_confirm", buttons, number=ticket.number)


async def on_withdraw(turn: Turn, press: Callback) -> None:
    number, confirmed = press.fields
    ticket = await turn.deps.escalation.ticket_by_number(number)
    if ticket is None or ticket.user_id != turn.user.id or ticket.status in FINISHED:
        turn.toast("common.invalid_button")
        return
    turn.toast()
    if confirmed != "y":
        turn.say("ticket.withdraw_kept", number=number)
        return
    if ticket.priority == Priority.URGENT:  # became urgent after the question was asked
        await _keep_urgent_open(turn, ticket.id)
        return
    result = await turn.deps.escalation.withdraw(turn.user.id, ticket.id)
    if (turn.user.context.get("ticket") or {}).get("number") == number:
        await turn.move(State.READY)
    turn.say("ticket.withdrawn", number=number)
    turn.actions.extend(await effects.render(turn.deps, result))


async def _keep_urgent_open(turn: Turn, ticket_id: int) -> None:
    """An urgent ticket is not the child's to close (someone may have told them to): say kindly
    that an adult may still write, and let the service tell the coordinators they asked."""
    result = await turn.deps.escalation.withdraw(turn.user.id, ticket_id)
    turn.say("ticket.urgent_stays_open")
    turn.actions.extend(await effects.render(turn.deps, result))


async def on_solved(turn: Turn, press: Callback) -> None:
    """After the volunteer closed: solved or not, then the stars; "not solved" also offers a
    volunteer again, so the child is never left with only a goodbye."""
    turn.toast()
    number, solved = press.fields
    stars = tuple(
        turn.button("ticket.star", Press.RATE, number, solved, n, stars="⭐" * n)
        for n in range(1, 6)
    )
    if solved == "y":
        turn.say("ticket.ask_rating", (stars,))
        return
    again = turn.button("ticket.again", Press.AGAIN, number)
    turn.say("ticket.ask_rating_not_solved", ((again,), stars))


async def on_again(turn: Turn, press: Callback) -> None:
    """"Talk to a volunteer again": a new hand-over with the closed ticket's question, as
    /aiuto starts one; the stars stay there to press."""
    ticket = await turn.deps.escalation.ticket_by_number(press.fields[0])
    if ticket is None or ticket.user_id != turn.user.id:
        turn.toast("common.invalid_button")
        return
    turn.toast()
    if await _open_ticket(turn) is not None:
        turn.say("ticket.already_open")  # pressed twice, or a new ticket is under way
        return
    await ask_description(turn, ticket.question)


async def on_rate(turn: Turn, press: Callback) -> None:
    number, solved, stars = press.fields
    ticket = await turn.deps.escalation.ticket_by_number(number)
    if ticket is None or ticket.user_id != turn.user.id:
        turn.toast("common.invalid_button")
        return
    turn.toast()
    await turn.deps.escalation.rate(ticket.id, turn.user.id, int(stars), solved == "y")
    if (turn.user.context.get("ticket") or {}).get("number") == number:
        await turn.move(State.READY)
    turn.say("ticket.thanks")
