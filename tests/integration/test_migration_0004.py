"""Migration 0004: tickets already taken whose volunteer never wrote get the reminder timer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from escalation.migrations import upgrade
from escalation.models import AckTimer, Ticket, TicketMessage, User, Volunteer
from tests.integration.test_migrations import _on_database

TAKEN = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def test_0004_watches_the_first_reply_of_tickets_taken_before_it(database_url: str):
    upgrade(database_url, "0003")
    person = {"languages": [], "schools": [], "skills": [], "active": True, "paused": False,
              "is_coordinator": False, "updated_at": TAKEN}
    users = [
        {"id": n, "chat_id": n, "pseudonym": f"utente-{n}", "language": "it", "blocked": False,
         "state": "", "context": {}, "created_at": TAKEN, "last_seen_at": TAKEN}
        for n in range(1, 6)
    ]
    statuses = ["assigned", "waiting_user", "assigned", "offered", "closed"]
    tickets = [
        {"id": n, "number": f"T-{n:04d}", "user_id": n, "language": "it", "tried_entries": [],
         "status": status, "priority": "normal", "policy": {}, "current_level": 1,
         "current_round": 1, "opened_at": TAKEN - timedelta(hours=1),
         "volunteer_id": None if status == "offered" else 1,
         "assigned_at": None if status == "offered" else TAKEN}
        for n, status in enumerate(statuses, start=1)
    ]
    by_volunteer = [  # ticket 2 answered since taken; ticket 3 only before (an earlier taker)
        {"ticket_id": ticket_id, "sender": "volunteer", "kind": "text", "source_chat_id": 1001,
         "target_chat_id": ticket_id, "created_at": at}
        for ticket_id, at in ((2, TAKEN + timedelta(minutes=3)), (3, TAKEN - timedelta(1)))
    ]
    chain_timers = sa.table(  # ack_timers as 0003 left it, without a kind
        "ack_timers", *(sa.column(c) for c in ("ticket_id", "level", "round")),
        sa.column("due_at", sa.DateTime(timezone=True)),
    )

    def insert(connection):
        connection.execute(sa.insert(Volunteer.__table__), [{"id": 1, "code": "V001",
                                                              "name": "V", **person}])
        connection.execute(sa.insert(User.__table__), users)
        connection.execute(sa.insert(Ticket.__table__), tickets)
        connection.execute(sa.insert(TicketMessage.__table__), by_volunteer)
        connection.execute(chain_timers.insert(), [{"ticket_id": 4, "level": 1, "round": 1,
                                                    "due_at": TAKEN}])
        connection.commit()

    _on_database(database_url, insert)
    upgrade(database_url)

    def timers(connection):
        query = sa.select(AckTimer.ticket_id, AckTimer.kind, AckTimer.due_at)
        return sorted(connection.execute(query).all())

    assert _on_database(database_url, timers) == [
        (1, "reply_reminder", TAKEN + timedelta(minutes=15)),
        (3, "reply_reminder", TAKEN + timedelta(minutes=15)),
        (4, "chain", TAKEN),
    ]
