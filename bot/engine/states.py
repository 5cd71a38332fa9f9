"""Where a conversation stands, persisted by name in `UserView.state`.

A string enum, not numbers: inserting a state later must not change what stored rows mean.

    NEW --/start--> CHOOSING_ROLE --role--> CHOOSING_SCHOOL --school/skip--> READY
    READY --question--> READY (answer, clarify) | DESCRIBING (escalate)
    DESCRIBING --description/photo/skip--> IN_TICKET --ticket finished--> READY
    any --/cancella + yes button--> forgotten (the next message starts again at NEW)
"""

from __future__ import annotations

from enum import StrEnum


class State(StrEnum):
    NEW = "new"
    CHOOSING_ROLE = "choosing_role"
    CHOOSING_SCHOOL = "choosing_school"
    READY = "ready"
    DESCRIBING = "describing"  # asked for a short description before opening a ticket
    IN_TICKET = "in_ticket"  # messages go to the volunteer

    @classmethod
    def of(cls, name: str) -> State:
        """The stored state, or NEW for a name this version does not know."""
        try:
            return cls(name)
        except ValueError:
            return cls.NEW
