"""`helpdesk rota|db|tickets ...`: tools for coordinators.

    helpdesk db upgrade                       create or migrate the database schema
    helpdesk db purge [--days 30]             forget texts of finished tickets older than that
    helpdesk tickets list [--status offered]  the latest tickets, one line each
    helpdesk tickets show T-0042              one ticket with its offers and audit trail

The database is `--database-url`, else $DATABASE_URL, else the SQLite file helpdesk.sqlite3;
`postgresql://...` URLs are fine (the async driver is chosen for you). Exit status 0 on
success, 1 when the ticket is not found or the database cannot be used, 2 on bad usage.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from escalation import cli_rota
from escalation.api import TicketStatus
from escalation.dburl import DEFAULT_DATABASE_URL
from escalation.dburl import database_url as configured_url

LIST_LIMIT = 50


def register(commands: argparse._SubParsersAction) -> None:
    cli_rota.register(commands)
    url = argparse.ArgumentParser(add_help=False)
    url.add_argument(
        "--database-url",
        default=None,
        help=f"database URL (default: $DATABASE_URL or {DEFAULT_DATABASE_URL})",
    )

    db = commands.add_parser("db", help="create, migrate or purge the database")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="DB_COMMAND")
    upgrade = db_commands.add_parser("upgrade", parents=[url], help="apply the migrations")
    upgrade.add_argument("--revision", default="head", help="target revision (default: head)")
    upgrade.set_defaults(handler=_upgrade)
    purge = db_commands.add_parser(
        "purge", parents=[url], help="delete old texts and attachments, keep the counts"
    )
    purge.add_argument("--days", type=_days, default=30, help="keep this many days (30)")
    purge.set_defaults(handler=lambda args: _run(args, _purge))

    tickets = commands.add_parser("tickets", help="look at tickets")
    ticket_commands = tickets.add_subparsers(
        dest="tickets_command", required=True, metavar="TICKETS_COMMAND"
    )
    listing = ticket_commands.add_parser("list", parents=[url], help="the latest tickets")
    listing.add_argument("--status", choices=[s.value for s in TicketStatus])
    listing.set_defaults(handler=lambda args: _run(args, _list_tickets))
    show = ticket_commands.add_parser("show", parents=[url], help="one ticket in detail")
    show.add_argument("number", help="the ticket number, e.g. T-0042")
    show.set_defaults(handler=lambda args: _run(args, _show_ticket))


def _days(text: str) -> int:
    days = int(text)
    if days < 0:
        raise argparse.ArgumentTypeError("days must be 0 or more")
    return days


def database_url(args: argparse.Namespace) -> str:
    return configured_url(args.database_url)


def _upgrade(args: argparse.Namespace) -> int:
    from escalation.migrations import upgrade

    url = database_url(args)
    try:
        upgrade(url, args.revision)
    except Exception as error:  # the message is all the coordinator can act on
        print(f"helpdesk db upgrade: {error}", file=sys.stderr)
        return 1
    print(f"database at {_safe(url)} is at revision {args.revision}")
    return 0


def _run(
    args: argparse.Namespace, command: Callable[[Any, argparse.Namespace], Awaitable[int]]
) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from escalation.db import create_engine, session_factory

    async def main() -> int:
        engine = create_engine(database_url(args))
        try:
            return await command(session_factory(engine), args)
        finally:
            await engine.dispose()

    try:
        return asyncio.run(main())
    except (SQLAlchemyError, OSError) as error:
        print(
            f"helpdesk: cannot use the database at {_safe(database_url(args))}: "
            f"{str(error).splitlines()[0]} (did you run `helpdesk db upgrade`?)",
            file=sys.stderr,
        )
        return 1


async def _purge(sessions: Any, args: argparse.Namespace) -> int:
    from escalation.retention import purge

    report = await purge(sessions, datetime.now(UTC), args.days)
    print(
        f"purged {report.tickets} ticket(s), {report.messages} message(s), "
        f"{report.questions} logged question(s), {report.contexts} idle user context(s) and "
        f"{report.failed_outbox} refused outbox call(s) older than {args.days} day(s)"
    )
    return 0


async def _list_tickets(sessions: Any, args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from escalation.models import Ticket

    query = select(Ticket).order_by(Ticket.id.desc()).limit(LIST_LIMIT)
    if args.status:
        query = query.where(Ticket.status == args.status)
    async with sessions() as session:
        for ticket in reversed((await session.scalars(query)).all()):
            print(
                f"{ticket.number}  {ticket.opened_at:%Y-%m-%d %H:%M}  {ticket.status:<12} "
                f"{ticket.priority:<6} {_clip(ticket.question)}"
            )
    return 0


async def _show_ticket(sessions: Any, args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from escalation.models import AuditEntry, Offer, Ticket, Volunteer

    async with sessions() as session:
        ticket = await session.scalar(
            select(Ticket).where(Ticket.number == args.number.strip().upper())
        )
        if ticket is None:
            print(f"helpdesk tickets show: no ticket {args.number}", file=sys.stderr)
            return 1
        print(f"{ticket.number}  {ticket.status}  priority {ticket.priority}")
        print(f"  question: {ticket.question if ticket.question is not None else '(purged)'}")
        print(f"  language {ticket.language}, school {ticket.school}, category {ticket.category}")
        print(f"  chain at level {ticket.current_level}, round {ticket.current_round}")
        for name in ("opened_at", "first_offered_at", "assigned_at", "first_human_reply_at",
                     "resolved_at", "closed_at", "expires_at"):  # fmt: skip
            if (moment := getattr(ticket, name)) is not None:
                print(f"  {name}: {moment:%Y-%m-%d %H:%M:%S} UTC")
        offers = await session.execute(
            select(Offer, Volunteer.code)
            .join(Volunteer, Offer.volunteer_id == Volunteer.id)
            .where(Offer.ticket_id == ticket.id)
            .order_by(Offer.id)
        )
        for offer, code in offers:
            print(f"  offer L{offer.level}R{offer.round} {code}: {offer.state}")
        audit = await session.scalars(
            select(AuditEntry).where(AuditEntry.ticket_id == ticket.id).order_by(AuditEntry.id)
        )
        for entry in audit:
            print(f"  {entry.at:%H:%M:%S} {entry.actor} {entry.action} {entry.details or ''}")
    return 0


def _clip(text: str | None, width: int = 60) -> str:
    if text is None:
        return "(purged)"
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _safe(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
