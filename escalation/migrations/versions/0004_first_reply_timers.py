"""a ticket's timer also watches its taker's first reply (ack_timers.kind)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 06:00:00.000000

Existing timers are the chain's. Tickets already taken whose volunteer has not written to
the user since taking them get the reminder timer, due the default time after they were
taken: one the volunteer forgot long ago is reminded at the first sweep, and handed back
to the chain if there is still no reply after the same time again.
"""

from collections.abc import Sequence
from datetime import timedelta

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The default of escalation.rota at the time of this migration (a migration never imports
# code that may change later).
FIRST_REPLY = timedelta(minutes=15)
IN_PROGRESS = ("assigned", "waiting_user")


def upgrade() -> None:
    op.add_column(
        "ack_timers",
        sa.Column("kind", sa.String(length=16), server_default="chain", nullable=False),
    )
    tickets = sa.table(
        "tickets",
        sa.column("id", sa.Integer()),
        sa.column("status", sa.String()),
        sa.column("user_id", sa.Integer()),
        sa.column("volunteer_id", sa.Integer()),
        sa.column("assigned_at", sa.DateTime(timezone=True)),
    )
    messages = sa.table(
        "ticket_messages",
        sa.column("ticket_id", sa.Integer()),
        sa.column("sender", sa.String()),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    timers = sa.table(
        "ack_timers",
        sa.column("ticket_id", sa.Integer()),
        sa.column("kind", sa.String()),
        sa.column("due_at", sa.DateTime(timezone=True)),
        sa.column("level", sa.Integer()),
        sa.column("round", sa.Integer()),
    )
    replied = (
        sa.select(messages.c.ticket_id)
        .where(
            messages.c.ticket_id == tickets.c.id,
            messages.c.sender == "volunteer",
            messages.c.created_at >= tickets.c.assigned_at,
        )
        .exists()
    )
    timed = sa.select(timers.c.ticket_id).where(timers.c.ticket_id == tickets.c.id).exists()
    connection = op.get_bind()
    silent = connection.execute(
        sa.select(tickets.c.id, tickets.c.assigned_at).where(
            tickets.c.status.in_(IN_PROGRESS),
            tickets.c.user_id.is_not(None),
            tickets.c.volunteer_id.is_not(None),
            tickets.c.assigned_at.is_not(None),
            ~replied,
            ~timed,
        )
    ).all()
    if silent:
        connection.execute(
            timers.insert(),
            [
                {
                    "ticket_id": ticket_id,
                    "kind": "reply_reminder",
                    "due_at": assigned_at + FIRST_REPLY,
                    "level": 0,
                    "round": 0,
                }
                for ticket_id, assigned_at in silent
            ],
        )


def downgrade() -> None:
    op.execute("DELETE FROM ack_timers WHERE kind != 'chain'")
    with op.batch_alter_table("ack_timers") as batch:
        batch.drop_column("kind")
