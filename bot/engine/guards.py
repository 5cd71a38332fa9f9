"""Checks that come before any conversation: groups, blocked users, floods, odd content.

Each guard either lets the message through (returns False) or has fully dealt with it,
with at most one kind reply, so that no odd input reaches the FAQ or a volunteer.
"""

from __future__ import annotations

from bot.actions import Kind
from bot.engine.turn import Turn

_MESSAGES = frozenset(Kind) - {Kind.CALLBACK}  # a press must always be answered


async def blocked(turn: Turn) -> bool:
    """A blocked user gets one notice, then silence."""
    if not turn.user.blocked:
        return False
    if not turn.user.context.get("told_blocked"):
        await turn.save(context={**turn.user.context, "told_blocked": True})
        turn.say("guard.blocked")
    return True


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
