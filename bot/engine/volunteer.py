"""The volunteer's side: link with a code, take or pass pings, talk with the pupil, close.

A volunteer may hold several tickets; a message goes to the ticket of the message it replies
to, else to the ticket chosen with /ticket (kept in the volunteer's context row, so a restart
does not lose it), else to their only open ticket. Pupils receive copies, so they never see
who the volunteer is, and volunteers see pseudonyms, never the child's Telegram identity.
"""

from __future__ import annotations

from bot.engine import effects, tickets
from bot.engine.callbacks import Callback
from bot.engine.turn import Turn
from bot.texts import Html
from escalation.api import Sender, TicketView
from escalation.lifecycle import FINISHED


async def link(turn: Turn) -> None:
    """/volunteer CODE: the rota's code ties this chat to a volunteer."""
    code = (turn.incoming.text or "").strip()
    volunteer = await turn.deps.escalation.link_volunteer(code, turn.chat_id) if code else None
    if volunteer is None:
        turn.say("volunteer.bad_code")
        return
    turn.say("volunteer.linked", name=volunteer.name)


def _current_number(turn: Turn) -> str | None:
    return turn.user.context.get("current_ticket")


async def _set_current(turn: Turn, ticket: TicketView | None) -> None:
    context = {k: v for k, v in turn.user.context.items() if k != "current_ticket"}
    if ticket is not None:
        context["current_ticket"] = ticket.number
    await turn.save(context=context)


async def on_take(turn: Turn, press: Callback) -> None:
    result = await turn.deps.escalation.take(press.number(), turn.chat_id)
    late = "volunteer.already_closed" if result.ticket.status in FINISHED else "volunteer.too_late"
    turn.toast(None if result.won else late)
    if result.won:
        await _set_current(turn, result.ticket)
        turn.say("volunteer.took", number=result.ticket.number)
    turn.actions.extend(await effects.render(turn.deps, result.effects))
    for notice in result.effects.notices:
        if notice.key == "ticket.assigned":  # the pupil's chat: what they wrote while waiting
            turn.actions.extend(
                await tickets.deliver_waiting(turn.deps, notice.chat_id, result.ticket.number)
            )


async def on_pass(turn: Turn, press: Callback) -> None:
    turn.toast()
    result = await turn.deps.escalation.pass_ticket(press.number(), turn.chat_id)
    turn.actions.extend(await effects.render(turn.deps, result))


async def on_release(turn: Turn, press: Callback) -> None:
    """"Passo" under the reminder to write: the ticket goes back to the other volunteers."""
    turn.toast()
    number = press.fields[0]
    held = next(
        (t for t in await turn.deps.escalation.open_tickets_of(turn.chat_id) if t.number == number),
        None,
    )
    if held is None:  # handed on already, or closed
        turn.say("volunteer.not_yours", number=number)
        return
    result = await turn.deps.escalation.release(held.id, turn.chat_id)
    if _current_number(turn) == number:
        await _set_current(turn, None)
    turn.say("volunteer.released", number=number)
    turn.actions.extend(await effects.render(turn.deps, result))


async def relay(turn: Turn) -> None:
    """A volunteer's message: copied to the pupil of the ticket it belongs to."""
    incoming = turn.incoming
    replied = (
        await turn.deps.escalation.ticket_for_message(turn.chat_id, incoming.reply_to_message_id)
        if incoming.reply_to_message_id is not None
        else None
    )
    target = await turn.deps.escalation.relay(
        Sender.VOLUNTEER, turn.chat_id, kind=tickets.RELAYED_KINDS[incoming.kind],
        text=incoming.text, file_id=incoming.file_id, message_id=incoming.message_id,
        ticket_number=replied.number if replied else _current_number(turn),
    )
    if target is None:
        turn.say("volunteer.no_ticket")
        return
    message = tickets.Relayed(tickets.RELAYED_KINDS[incoming.kind], incoming.message_id or 0,
                              incoming.text, incoming.file_id)
    turn.actions.extend(tickets.copies(message, turn.chat_id, target, header=None))


async def switch(turn: Turn) -> None:
    """/ticket T-0042: answer that ticket from now on."""
    number = (turn.incoming.text or "").strip().upper()
    mine = {t.number: t for t in await turn.deps.escalation.open_tickets_of(turn.chat_id)}
    if number not in mine:
        turn.say("volunteer.not_yours", number=number or "?")
        return
    await _set_current(turn, mine[number])
    turn.say("volunteer.switched", number=number)


async def close(turn: Turn) -> None:
    """/chiudi [T-0042]: close the current (or the named) ticket; the pupil is asked to rate it."""
    typed = (turn.incoming.text or "").strip().upper()
    mine = await turn.deps.escalation.open_tickets_of(turn.chat_id)
    ticket = next((t for t in mine if t.number == (typed or _current_number(turn))), None)
    if ticket is None and not typed and len(mine) == 1:
        ticket = mine[0]
    elif ticket is None and typed:  # coordinators may close any ticket; the service checks
        ticket = await turn.deps.escalation.ticket_by_number(typed)
    if ticket is None:
        turn.say("volunteer.which_ticket" if mine else "volunteer.nothing_to_close")
        return
    result = await turn.deps.escalation.close(ticket.id, turn.chat_id)
    await _set_current(turn, None)
    turn.say("volunteer.closed", number=ticket.number)
    turn.actions.extend(await effects.render(turn.deps, result))


async def pause(turn: Turn, paused: bool) -> None:
    """/pausa and /riprendo: no pings while paused; open tickets stay theirs."""
    await turn.deps.escalation.set_paused(turn.chat_id, paused)
    turn.say("volunteer.paused" if paused else "volunteer.resumed")


async def mine(turn: Turn) -> None:
    """/miei: the volunteer's open tickets, the current one marked."""
    tickets_open = await turn.deps.escalation.open_tickets_of(turn.chat_id)
    if not tickets_open:
        turn.say("volunteer.none_open")
        return
    current = _current_number(turn)
    lines = [
        turn.text("volunteer.mine_line", mark="👉 " if t.number == current else "",
                  number=t.number, question=t.question[:80])
        for t in tickets_open
    ]
    turn.say("volunteer.mine", lines=Html("\n".join(lines)))
