"""Coordinators' commands: numbers, the FAQ's gaps, reloading data, blocking a user.

/reload never leaves the bot without a FAQ: the new files are loaded beside the old ones
and swapped in only if they are valid; otherwise the reply lists the first errors.
"""

from __future__ import annotations

from bot.engine.turn import Turn
from bot.texts import Html
from knowledge_base.model import KBLoadError

MAX_ERROR_LINES = 10


def _percent(share: float | None) -> str:
    return "–" if share is None else f"{share:.0%}"


def _minutes(seconds: float | None) -> str:
    return "–" if seconds is None else f"{seconds / 60:.0f} min"


async def stats(turn: Turn) -> None:
    """/stats: this week's questions, what the bot solved alone, hand-overs, speed, ratings,
    the hand-overs nobody took in time, and those whose volunteer went quiet."""
    numbers = await turn.deps.escalation.stats()
    counts = turn.text(
        "coordinator.stats",
        today=numbers.questions_today,
        week=numbers.questions_week,
        by_bot=numbers.answered_by_bot,
        escalated=numbers.escalated,
        first_reply=_minutes(numbers.median_first_reply_seconds),
        rated=numbers.rated,
        rating="–" if numbers.mean_rating is None else f"{numbers.mean_rating:.1f}",
        solved=_percent(numbers.solved_share),
    )
    expired = turn.text("coordinator.stats_expired", expired=numbers.expired)
    handed_back = turn.text("coordinator.stats_handed_back", handed_back=numbers.handed_back)
    turn.send(f"{counts}\n{expired}\n{handed_back}")


async def unanswered(turn: Turn) -> None:
    """/nonrisposte: the questions people most often needed a human for: the FAQ's gaps."""
    frequent = await turn.deps.escalation.frequent_unanswered()
    if not frequent:
        turn.say("coordinator.no_gaps")
        return
    lines = [turn.text("coordinator.gap_line", count=f.count, text=f.text[:120]) for f in frequent]
    turn.say("coordinator.gaps", lines=Html("\n".join(lines)))


def _error_lines(error: Exception) -> str:
    lines = [line for line in str(error).splitlines() if line.strip()] or [repr(error)]
    shown = lines[:MAX_ERROR_LINES]
    if len(lines) > MAX_ERROR_LINES:
        shown.append(f"… (+{len(lines) - MAX_ERROR_LINES})")
    return "\n".join(shown)


async def reload(turn: Turn) -> None:
    """/reload: the FAQ and the rota from their files; a broken file changes nothing."""
    problems: list[str] = []
    try:
        turn.deps.knowledge.reload()
    except (KBLoadError, OSError) as error:
        problems.append(_error_lines(error))
    if turn.deps.reload_rota is not None:
        try:
            await turn.deps.reload_rota()
        except Exception as error:  # whatever the rota loader raises, the old rota stays
            problems.append(_error_lines(error))
    if problems:
        turn.say("coordinator.reload_failed", errors="\n".join(problems))
        return
    turn.say("coordinator.reloaded", entries=len(turn.deps.knowledge.kb.entries))


async def _blocked_user_id(turn: Turn, typed: str) -> int | None:
    """The user behind a ticket number ("T-0042") or a pseudonym as pings show it."""
    ticket = await turn.deps.escalation.ticket_by_number(typed)
    if ticket is not None:
        return ticket.user_id or None
    user = await turn.deps.store.user_by_pseudonym(typed)
    return user.id if user else None


async def _set_blocked(turn: Turn, blocked: bool) -> None:
    """/blocca T-0042 or /blocca utente-7f3a1c, and /sblocca: never naming the user to anyone."""
    typed = (turn.incoming.text or "").strip()
    user_id = await _blocked_user_id(turn, typed) if typed else None
    if user_id is None:
        turn.say("coordinator.block_usage")
        return
    user = await turn.deps.store.update_user(user_id, blocked=blocked)
    if not blocked:  # a later block should be announced to them once again
        context = {k: v for k, v in user.context.items() if k != "told_blocked"}
        await turn.deps.store.update_user(user.id, context=context)
    turn.say("coordinator.blocked" if blocked else "coordinator.unblocked",
             pseudonym=user.pseudonym)


async def block(turn: Turn) -> None:
    await _set_blocked(turn, True)


async def unblock(turn: Turn) -> None:
    await _set_blocked(turn, False)
