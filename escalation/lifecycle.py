"""The ticket state machine: which status may follow which, and nothing else (no database).

    open ──► offered ──► assigned ◄──► waiting_user
      │         │           │   │            │
      │         │           │   └─► released ┘ (offered again, from level 1)
      │         ▼           ▼
      └───► expired      resolved ──► closed  (the user rated it, or it was closed for them)

Any ticket that is not finished may be closed directly (a coordinator or a forgotten user).
"""

from __future__ import annotations

from collections.abc import Mapping

from escalation.api import EscalationError, TicketStatus

S = TicketStatus

TRANSITIONS: Mapping[TicketStatus, frozenset[TicketStatus]] = {
    S.OPEN: frozenset({S.OFFERED, S.ASSIGNED, S.CLOSED, S.EXPIRED}),
    S.OFFERED: frozenset({S.OPEN, S.ASSIGNED, S.CLOSED, S.EXPIRED}),
    S.RELEASED: frozenset({S.OPEN, S.OFFERED, S.ASSIGNED, S.CLOSED, S.EXPIRED}),
    S.ASSIGNED: frozenset({S.WAITING_USER, S.RELEASED, S.RESOLVED, S.CLOSED}),
    S.WAITING_USER: frozenset({S.ASSIGNED, S.RELEASED, S.RESOLVED, S.CLOSED}),
    S.RESOLVED: frozenset({S.CLOSED}),
    S.CLOSED: frozenset(),
    S.EXPIRED: frozenset(),
}

# Statuses in which the acknowledgement chain runs and a volunteer may take the ticket.
AWAITING_VOLUNTEER: frozenset[TicketStatus] = frozenset({S.OPEN, S.OFFERED, S.RELEASED})
# Statuses in which a volunteer works on the ticket with the user.
IN_PROGRESS: frozenset[TicketStatus] = frozenset({S.ASSIGNED, S.WAITING_USER})
FINISHED: frozenset[TicketStatus] = frozenset({S.RESOLVED, S.CLOSED, S.EXPIRED})


class IllegalTransition(EscalationError):
    """A status change the state machine does not allow (a bug or a stale button press)."""

    def __init__(self, current: TicketStatus, target: TicketStatus) -> None:
        super().__init__("ticket.illegal_transition", current=str(current), target=str(target))
        self.current = current
        self.target = target


def can_transition(current: TicketStatus | str, target: TicketStatus | str) -> bool:
    return TicketStatus(target) in TRANSITIONS[TicketStatus(current)]


def transition(current: TicketStatus | str, target: TicketStatus | str) -> TicketStatus:
    """`target`, if the machine allows going there from `current`; else IllegalTransition."""
    current, target = TicketStatus(current), TicketStatus(target)
    if target not in TRANSITIONS[current]:
        raise IllegalTransition(current, target)
    return target
