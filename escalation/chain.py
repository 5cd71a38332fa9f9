"""The acknowledgement chain, one step at a time, as pure functions of the frozen policy.

Like Grafana OnCall's escalation snapshot: when a ticket opens, the rota's policy is frozen
onto it; every time its acknowledgement timer falls due (or the last pinged volunteer passes),
`next_step` says what happens next: ping these volunteers and look again at `due_at`, wait
until somebody is on shift, or give up: a ticket nobody took by its `expires_at` expires, and
so does one that would have to wait past it (nobody on shift before then). The caller stores
the step and writes its `reason` to the audit log, so that "nobody on shift" is as visible as
a ping. Who is on shift and the quiet hours come from the current rota; the levels, counts,
timeouts, rounds and expiry only from the frozen policy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from escalation.assignment import rank_volunteers
from escalation.rota import DEFAULT_BEST_MATCH_COUNT, EscalationPolicy, Level, Rota, Volunteer

# When the rota names no future shift at all, look again this often (never drop a ticket).
NO_HELP_RECHECK = timedelta(hours=1)
# Resolution of the search for the end of the current shift (see `_next_new_help`).
SHIFT_PROBE = timedelta(minutes=15)
SHIFT_PROBE_HORIZON = timedelta(days=8)


class StepKind(StrEnum):
    PING = "ping"
    WAIT = "wait"
    EXPIRE = "expire"  # nobody took it in time: stop, and tell the user and the coordinators


@dataclass(frozen=True, slots=True, order=True)
class Position:
    """Where a ticket is in its chain: level and round counted from 1; (0, 0) before level 1."""

    level: int
    round: int


START = Position(0, 0)


@dataclass(frozen=True, slots=True)
class ChainInput:
    """What the chain needs to know about the ticket and the volunteers, read by the caller."""

    now: datetime
    urgent: bool
    language: str
    school: str | None
    skill: str | None
    reachable: frozenset[str]  # codes with a linked chat, not paused, still in the rota
    declined: frozenset[str]  # passed on this ticket or released it: never offered it again
    offered: frozenset[str]  # hold a live or timed-out ping of this ticket
    open_tickets: Mapping[str, int]
    last_offered: Mapping[str, datetime]
    expires_at: datetime | None = None  # None: never (urgent tickets)


@dataclass(frozen=True, slots=True)
class Step:
    kind: StepKind
    position: Position  # the level now pinged; START while waiting
    recipients: tuple[str, ...]  # codes to ping, best first
    due_at: datetime  # when the chain looks at the ticket again
    reason: str  # for the audit log
    skipped: tuple[str, ...] = ()  # levels passed over because nobody was left there
    exhausted: bool = False  # every level of every round was tried: the coordinators hear


def next_step(policy: EscalationPolicy, rota: Rota, after: Position, inp: ChainInput) -> Step:
    """The step that follows `after` (START for a new or released ticket)."""
    if inp.urgent:
        return _urgent_step(policy, rota, after, inp)
    if inp.expires_at is None:
        return _normal_step(policy, rota, after, inp)
    deadline = _local(rota, inp.expires_at)
    if inp.now >= inp.expires_at:
        return _expire(inp.now, f"nobody took it by {deadline}")
    step = _normal_step(policy, rota, after, inp)
    if step.kind is StepKind.WAIT and step.due_at >= inp.expires_at:
        # nobody could be pinged before it expires: say so now, not when it is too late
        return _expire(inp.now, f"{step.reason}, past its expiry at {deadline}")
    if step.due_at > inp.expires_at:
        return replace(step, due_at=inp.expires_at)  # the pings stay takeable until then
    return step


def _normal_step(policy: EscalationPolicy, rota: Rota, after: Position, inp: ChainInput) -> Step:
    if rota.is_quiet(inp.now):
        return _wait(rota, inp.now, "quiet hours")
    on_shift = rota.on_shift(inp.now)
    if not on_shift:
        return _wait(rota, inp.now, "nobody on shift")
    skipped: list[str] = []
    position: Position | None = after
    while (position := _advance(policy, position)) is not None:
        level = policy.levels[position.level - 1]
        recipients = _recipients(level, rota, on_shift, inp)
        if recipients:
            return Step(
                StepKind.PING,
                position,
                recipients,
                inp.now + level.timeout,
                f"level {position.level} ({level.notify}), round {position.round}",
                tuple(skipped),
            )
        skipped.append(f"level {position.level} ({level.notify}), round {position.round}: nobody")
    resume = _next_new_help(rota, inp.now)
    return Step(
        StepKind.WAIT,
        START,
        (),
        resume,
        f"nobody took it after {policy.rounds} round(s): waiting until {_local(rota, resume)}",
        tuple(skipped),
        exhausted=True,
    )


def _advance(policy: EscalationPolicy, position: Position) -> Position | None:
    if position.level < len(policy.levels) and position != START:
        return Position(position.level + 1, position.round)
    next_round = position.round + 1
    return Position(1, next_round) if next_round <= policy.rounds else None


def _recipients(
    level: Level, rota: Rota, on_shift: tuple[Volunteer, ...], inp: ChainInput
) -> tuple[str, ...]:
    excluded = inp.declined | inp.offered
    if level.notify == "coordinators":
        return tuple(
            c.code for c in rota.coordinators if c.code in inp.reachable and c.code not in excluded
        )
    ranked = rank_volunteers(
        [v for v in on_shift if v.code in inp.reachable],
        language=inp.language,
        school=inp.school,
        skill=inp.skill,
        open_tickets=inp.open_tickets,
        last_offered=inp.last_offered,
        excluded=excluded,
    )
    if level.notify == "best_match":
        ranked = ranked[: level.count or DEFAULT_BEST_MATCH_COUNT]
    return tuple(v.code for v in ranked)


def _urgent_step(policy: EscalationPolicy, rota: Rota, after: Position, inp: ChainInput) -> Step:
    """Safeguarding: the coordinators, at any hour, round after round until one takes it."""
    level_number, level = _coordinators_level(policy)
    round_number = after.round + 1 if after.round < policy.rounds else 1
    recipients = tuple(
        c.code for c in rota.coordinators if c.code in inp.reachable and c.code not in inp.declined
    )
    if not recipients:
        return Step(
            StepKind.WAIT,
            START,
            (),
            inp.now + level.timeout,
            "urgent: no coordinator reachable (link a chat): trying again",
            exhausted=True,
        )
    return Step(
        StepKind.PING,
        Position(level_number, round_number),
        recipients,
        inp.now + level.timeout,
        f"urgent: coordinators, round {round_number}",
    )


def _coordinators_level(policy: EscalationPolicy) -> tuple[int, Level]:
    for number, level in enumerate(policy.levels, start=1):
        if level.notify == "coordinators":
            return number, level
    last = policy.levels[-1]
    return len(policy.levels), Level(notify="coordinators", count=None, timeout=last.timeout)


def _expire(now: datetime, why: str) -> Step:
    return Step(StepKind.EXPIRE, START, (), now, why)


def _wait(rota: Rota, now: datetime, why: str) -> Step:
    until = rota.next_help_time(now)
    if until is None or until <= now:
        until = now + NO_HELP_RECHECK
        why = f"{why} and no shift ahead in the rota"
    return Step(StepKind.WAIT, START, (), until, f"{why}: waiting until {_local(rota, until)}")


def _next_new_help(rota: Rota, now: datetime) -> datetime:
    """When help other than the people already tried may come: the first moment after `now`
    at which the set of volunteers on shift changes, then the next time help is available."""
    current = {v.code for v in rota.on_shift(now)}
    probe = now
    while probe - now < SHIFT_PROBE_HORIZON:
        probe += SHIFT_PROBE
        if rota.is_quiet(probe) or {v.code for v in rota.on_shift(probe)} != current:
            help_at = rota.next_help_time(probe)
            if help_at is not None and help_at > now:
                return help_at
            break
    return now + NO_HELP_RECHECK


def local_time(rota: Rota, moment: datetime) -> datetime:
    """`moment` in the rota's timezone, for the texts people read."""
    return moment.astimezone(rota.timezone)


def _local(rota: Rota, moment: datetime) -> str:
    return local_time(rota, moment).strftime("%Y-%m-%d %H:%M")
