"""The ticket state machine: legal moves go through, illegal ones raise a domain error."""

from __future__ import annotations

import pytest

from escalation.api import EscalationError, TicketStatus
from escalation.lifecycle import (
    AWAITING_VOLUNTEER,
    FINISHED,
    TRANSITIONS,
    IllegalTransition,
    can_transition,
    transition,
)

S = TicketStatus
LEGAL = [(current, target) for current, targets in TRANSITIONS.items() for target in targets]
ILLEGAL = [(current, target) for current in S for target in S if target not in TRANSITIONS[current]]


def test_every_status_has_a_row():
    assert set(TRANSITIONS) == set(S)


@pytest.mark.parametrize(("current", "target"), LEGAL)
def test_legal_transition_returns_the_target(current, target):
    assert transition(current, target) is target
    assert can_transition(current.value, target.value)


@pytest.mark.parametrize(("current", "target"), ILLEGAL)
def test_illegal_transition_raises(current, target):
    with pytest.raises(IllegalTransition) as error:
        transition(current, target)
    assert (error.value.current, error.value.target) == (current, target)
    assert isinstance(error.value, EscalationError)
    assert error.value.key == "ticket.illegal_transition"


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (S.OFFERED, S.ASSIGNED),
        (S.ASSIGNED, S.WAITING_USER),
        (S.WAITING_USER, S.ASSIGNED),
        (S.ASSIGNED, S.RELEASED),
        (S.RELEASED, S.OFFERED),
        (S.ASSIGNED, S.RESOLVED),
        (S.RESOLVED, S.CLOSED),
    ],
)
def test_the_usual_path_is_allowed(current, target):
    assert can_transition(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [(S.CLOSED, S.OPEN), (S.RESOLVED, S.ASSIGNED), (S.OPEN, S.RESOLVED), (S.EXPIRED, S.OFFERED)],
)
def test_finished_or_skipped_steps_are_refused(current, target):
    assert not can_transition(current, target)


def test_finished_tickets_go_nowhere_but_resolved_can_close():
    assert all(TRANSITIONS[s] <= {S.CLOSED} for s in FINISHED)
    assert not AWAITING_VOLUNTEER & FINISHED


def test_unknown_status_is_a_value_error():
    with pytest.raises(ValueError):
        transition("lost", "open")
