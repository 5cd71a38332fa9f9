"""Checks that come before any conversation: groups, blocked users, floods, odd content.

Each guard either lets the message through (returns False) or has fully dealt with it,
with at most one kind reply, so that no odd input reaches the FAQ or a volunteer.
"""

from __future__ import annotations

from bot.actions import Kind
from bot.engine import privacy
from bot.engine.callbacks import InvalidCallback, Press, parse
from bot.engine.turn import Turn

_MESSAGES = frozenset(Kind) - {Kind.CALLBACK}  # a press must always be answered


async def blocked(turn: Turn) -> bool:
    """A blocked user gets one notice, then silence; they may still have their data deleted.

    A block stops misuse, not help: a message safeguarding recognises goes on and is handled
    as anyone's would be (helplines, an urgent ticket), and their next other message is told
    of the block again, lest they think the chat open. Their button presses are answered
    without a word, so no spinner turns forever.
    """
    if not turn.user.blocked or _forgetting(turn):
        return False
    if _in_danger(turn):
        context = {k: v for k, v in turn.user.context.items() if k != "told_blocked"}
        await turn.save(context=context)
        return False
    if turn.incoming.kind is Kind.CALLBACK:
        turn.toast()
        return True
    if not turn.user.context.get("told_blocked"):
        await turn.save(context={**turn.user.context, "told_blocked": True})
        turn.say("guard.blocked")
    return True


def _forgetting(turn: Turn) -> bool:
    """/cancella or its confirming buttons: a right that blocking does not take away."""
    incoming = turn.incoming
    if incoming.kind is Kind.COMMAND:
        return incoming.command in privacy.FORGET_COMMANDS
    if incoming.kind is not Kind.CALLBACK:
        return False
    try:
        return parse(incoming.callback_data).press is Press.FORGET
    except InvalidCallback:
        return False


def _in_danger(turn: Turn) -> bool:
    """A message or caption that safeguarding recognises (commands and presses never are)."""
    incoming = turn.incoming
    if incoming.kind in (Kind.CALLBACK, Kind.COMMAND) or not incoming.text:
        return False
    return turn.deps.safeguarding.check(incoming.text, turn.lang) is not None


def flooding(turn: Turn) -> bool:
    """Too many messages too fast: one polite "slow down", then nothing until it calms."""
    if turn.incoming.kind not in _MESSAGES:
        return False
    verdict = turn.deps.flood.check(turn.chat_id, turn.deps.clock())
    if verdict == "warn":
        turn.say("guard.slow_down")
    return verdict != "ok"


def too_long(turn: Turn) -> bool:
    if len(turn.incoming.text or "") <= turn.deps.max_message_chars:
        return False
    turn.say("guard.too_long", limit=turn.deps.max_message_chars)
    return True
