"""The acknowledgement chain as pure steps: levels, timeouts, rounds, shifts and quiet hours."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import replace
from datetime import date, datetime, time, timedelta

from escalation.chain import START, ChainInput, Position, StepKind, local_time, next_step
from escalation.rota import Shift
from tests.conftest import MONDAY_10, ROME, TEST_POLICY, make_rota

ROTA = make_rota()
EVERYONE = frozenset({v.code for v in ROTA.volunteers} | {"C001"})


def chain_input(now: datetime = MONDAY_10, **changes) -> ChainInput:
    base = ChainInput(
        now=now,
        urgent=False,
        language="it",
        school=None,
        skill=None,
        reachable=EVERYONE,
        declined=frozenset(),
        offered=frozenset(),
        open_tickets={},
        last_offered={},
    )
    return replace(base, **changes)


def at_rome(day: int, hour: int, minute: int = 0) -> datetime:
    """Milan wall-clock time `day` days after Monday 30 November 2026."""
    return datetime.combine(date(2026, 11, 30) + timedelta(days=day), time(hour, minute), ROME)


def test_first_step_pings_the_two_best_matches_for_the_first_timeout():
    step = next_step(TEST_POLICY, ROTA, START, chain_input())

    assert step.kind is StepKind.PING
    assert step.position == Position(1, 1)
    assert step.recipients == ("V001", "V002")
    assert step.due_at == MONDAY_10 + timedelta(minutes=5)


def test_levels_follow_each_other_with_their_own_timeouts():
    first = next_step(TEST_POLICY, ROTA, START, chain_input())
    offered = frozenset(first.recipients)
    later = MONDAY_10 + timedelta(minutes=5)

    second = next_step(TEST_POLICY, ROTA, first.position, chain_input(later, offered=offered))
    offered |= set(second.recipients)
    third = next_step(TEST_POLICY, ROTA, second.position, chain_input(later, offered=offered))

    assert second.position == Position(2, 1)
    assert second.recipients == ("V003", "V004", "V005", "V006")
    assert second.due_at == later + timedelta(minutes=10)
    assert third.position == Position(3, 1)
    assert third.recipients == ("C001",)
    assert third.due_at == later + timedelta(minutes=15)


def test_second_round_pings_whoever_is_left_then_the_chain_waits_for_another_shift():
    some_offered = frozenset({"V001", "V002", "V003", "V004", "V005", "V006"})
    round_two = next_step(TEST_POLICY, ROTA, Position(3, 1), chain_input(offered=some_offered))
    assert round_two.position == Position(3, 2)  # levels 1 and 2 of round 2 had nobody left
    assert round_two.recipients == ("C001",)
    assert len(round_two.skipped) == 2

    everyone = chain_input(offered=EVERYONE)
    exhausted = next_step(TEST_POLICY, ROTA, Position(3, 2), everyone)
    assert exhausted.kind is StepKind.WAIT
    assert exhausted.exhausted
    assert exhausted.position == START
    assert local_time(ROTA, exhausted.due_at) == at_rome(1, 8)  # Tuesday's shift


def test_declined_and_unreachable_volunteers_are_never_pinged():
    step = next_step(
        TEST_POLICY,
        ROTA,
        START,
        chain_input(declined=frozenset({"V001"}), reachable=EVERYONE - {"V002"}),
    )
    assert step.recipients == ("V003", "V004")


def test_no_ping_in_quiet_hours_but_a_wait_until_the_next_shift():
    late = at_rome(0, 23)
    step = next_step(TEST_POLICY, ROTA, START, chain_input(late))

    assert step.kind is StepKind.WAIT
    assert step.recipients == ()
    assert local_time(ROTA, step.due_at) == at_rome(1, 8)
    assert step.reason.startswith("quiet hours: waiting until 2026-12-01 08:00")


def test_no_ping_when_nobody_is_on_shift():
    tuesday_only = make_rota(shifts=(Shift(1, 14 * 60, 16 * 60, ("V001",)),))
    step = next_step(TEST_POLICY, tuesday_only, START, chain_input())

    assert step.kind is StepKind.WAIT
    assert local_time(ROTA, step.due_at) == at_rome(1, 14)
    assert "nobody on shift" in step.reason


def test_a_rota_without_shifts_is_rechecked_not_dropped():
    step = next_step(TEST_POLICY, make_rota(shifts=()), START, chain_input())

    assert step.kind is StepKind.WAIT
    assert step.due_at > MONDAY_10
    assert "no shift ahead" in step.reason


def test_urgent_goes_to_the_coordinators_at_night_round_after_round():
    night = at_rome(0, 3)
    first = next_step(TEST_POLICY, ROTA, START, chain_input(night, urgent=True))
    again = next_step(
        TEST_POLICY,
        ROTA,
        first.position,
        chain_input(night, urgent=True, offered=frozenset({"C001"})),
    )

    assert first.kind is StepKind.PING and first.recipients == ("C001",)
    assert first.position == Position(3, 1)
    assert again.recipients == ("C001",) and again.position == Position(3, 2)


def test_urgent_without_a_reachable_coordinator_retries():
    step = next_step(
        TEST_POLICY, ROTA, START, chain_input(urgent=True, reachable=EVERYONE - {"C001"})
    )
    assert step.kind is StepKind.WAIT and step.exhausted
    assert step.due_at == MONDAY_10 + timedelta(minutes=15)


def test_the_policy_given_is_the_one_followed():
    short = replace(TEST_POLICY, levels=(replace(TEST_POLICY.levels[0], count=1),), rounds=1)
    first = next_step(short, ROTA, START, chain_input())
    after = next_step(short, ROTA, first.position, chain_input(offered=frozenset({"V001"})))

    assert first.recipients == ("V001",)
    assert after.kind is StepKind.WAIT and after.exhausted


def test_fairness_over_a_thousand_simulated_tickets():
    """Whoever takes a ticket first is mostly the top-ranked; nobody gets more than 1.5x
    the mean share, even when a third of the first pings go unanswered."""
    rng = random.Random(7)
    now = MONDAY_10
    open_tickets: Counter[str] = Counter()
    last_offered: dict[str, datetime] = {}
    in_progress: list[str] = []
    taken: Counter[str] = Counter()
    for _ in range(1000):
        now += timedelta(seconds=rng.randint(1, 30))
        step = next_step(
            TEST_POLICY,
            ROTA,
            START,
            chain_input(now, open_tickets=dict(open_tickets), last_offered=dict(last_offered)),
        )
        for code in step.recipients:
            last_offered[code] = now
        taker = step.recipients[0] if rng.random() > 1 / 3 else step.recipients[-1]
        taken[taker] += 1
        open_tickets[taker] += 1
        in_progress.append(taker)
        if len(in_progress) > 4:  # tickets get solved a few tickets later
            open_tickets[in_progress.pop(rng.randrange(len(in_progress)))] -= 1

    mean = sum(taken.values()) / len(ROTA.volunteers)
    assert set(taken) == {v.code for v in ROTA.volunteers}
    assert max(taken.values()) <= 1.5 * mean


# --- expiry ---


def test_a_ticket_past_its_expiry_expires_instead_of_pinging():
    step = next_step(TEST_POLICY, ROTA, START, chain_input(expires_at=MONDAY_10))

    assert step.kind is StepKind.EXPIRE
    assert step.recipients == ()
    assert "nobody took it by 2026-11-30 10:00" in step.reason


def test_a_level_running_past_the_expiry_is_cut_short_at_it():
    expires_at = MONDAY_10 + timedelta(minutes=3)

    step = next_step(TEST_POLICY, ROTA, START, chain_input(expires_at=expires_at))

    assert step.kind is StepKind.PING
    assert step.recipients == ("V001", "V002")
    assert step.due_at == expires_at  # the pings stay takeable until then


def test_a_wait_ending_after_the_expiry_expires_now_and_one_before_it_waits():
    night = at_rome(0, 23)  # quiet hours; the shift starts Tuesday 08:00

    too_late = next_step(TEST_POLICY, ROTA, START, chain_input(night, expires_at=at_rome(1, 8)))
    in_time = next_step(
        TEST_POLICY, ROTA, START, chain_input(night, expires_at=at_rome(1, 8, 1))
    )

    assert too_late.kind is StepKind.EXPIRE
    assert too_late.due_at == night
    assert "quiet hours" in too_late.reason and "past its expiry" in too_late.reason
    assert in_time.kind is StepKind.WAIT
    assert local_time(ROTA, in_time.due_at) == at_rome(1, 8)


def test_urgent_tickets_ignore_the_expiry():
    step = next_step(TEST_POLICY, ROTA, START, chain_input(urgent=True, expires_at=MONDAY_10))

    assert step.kind is StepKind.PING
    assert step.recipients == ("C001",)
