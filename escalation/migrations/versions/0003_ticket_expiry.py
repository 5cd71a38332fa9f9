"""tickets expire when nobody takes them in time (tickets.expires_at)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 05:00:00.000000

Tickets already waiting for a volunteer get the default deadline, counted from when they
opened: the first time their timer falls due after it, they expire.
"""

from collections.abc import Sequence
from datetime import timedelta

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The default of escalation.rota at the time of this migration (a migration never imports
# code that may change later).
EXPIRE_AFTER = timedelta(hours=72)
WAITING = ("open", "offered", "released")


def upgrade() -> None:
    op.add_column("tickets", sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
    tickets = sa.table(
        "tickets",
        sa.column("id", sa.Integer()),
        sa.column("status", sa.String()),
        sa.column("priority", sa.String()),
        sa.column("opened_at", sa.DateTime(timezone=True)),
        sa.column("expires_at", sa.DateTime(timezone=True)),
    )
    connection = op.get_bind()
    waiting = connection.execute(
        sa.select(tickets.c.id, tickets.c.opened_at).where(
            tickets.c.status.in_(WAITING), tickets.c.priority == "normal"
        )
    ).all()
    for ticket_id, opened_at in waiting:
        connection.execute(
            tickets.update()
            .where(tickets.c.id == ticket_id)
            .values(expires_at=opened_at + EXPIRE_AFTER)
        )


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("expires_at")
