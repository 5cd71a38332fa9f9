"""`helpdesk rota|db|tickets ...`: tools for coordinators.

    helpdesk db upgrade                       create or migrate the database schema
    helpdesk db purge [--days 30]             forget texts of finished tickets older than that
    helpdesk tickets list [--status offered]  the latest tickets, one line each
    helpdesk tickets show T-0042              one ticket with its offers and audit trail
    helpdesk gaps [--days 7] [--cases]        what users asked that the FAQ did not solve

The database is `--database-url`, else $DATABASE_URL, else the SQLite file helpdesk.sqlite3;
`postgresql://...` URLs are fine (the async driver is chosen for you). Exit status 0 on
success, 1 when the ticket is not found or the database cannot be used, 2 on bad usage.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from escalation import cli_rota
from escalation.api import FrequentQuestion, TicketStatus
from escalation.dburl import DEFAULT_DATABASE_URL, missing_sqlite_file, shown_url
from escalation.dburl import database_url as configured_url

LIST_LIMIT = 50
GAPS_LIMIT = 30


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

    gaps = commands.add_parser(
        "gaps", parents=[url], help="what users asked that the FAQ did not solve",
        description="The questions handed to a volunteer or marked not solved, the same words "
        "counted together, most frequent first: the FAQ's gaps.",
    )
    gaps.add_argument("--days", type=_days, default=7, help="look this many days back (7)")
    gaps.add_argument("--limit", type=int, default=GAPS_LIMIT,
                      help=f"at most this many questions ({GAPS_LIMIT})")
    gaps.add_argument("--cases", action="store_true",
                      help="print them as regression cases to label (for `helpdesk kb test`)")
    gaps.set_defaults(handler=lambda args: _run(args, _gaps))


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
    print(f"database at {shown_url(url)} is at revision {args.revision}")
    return 0


def _run(
    args: argparse.Namespace, command: Callable[[Any, argparse.Namespace], Awaitable[int]]
) -> int:
    """Run `command` on the database; one that is not there is never created here."""
    from sqlalchemy.exc import ArgumentError, SQLAlchemyError

    from escalation.db import create_engine, session_factory

    url = database_url(args)

    async def main() -> int:
        engine = create_engine(url)
        try:
            return await command(session_factory(engine), args)
        finally:
            await engine.dispose()

    try:
        if (missing := missing_sqlite_file(url)) is not None:
            print(
                f"helpdesk: there is no database at {shown_url(url)} ({missing} does not "
                "exist): create it with `helpdesk db upgrade`, or give --database-url or "
                "DATABASE_URL",
                file=sys.stderr,
            )
            return 1
        return asyncio.run(main())
    except (ArgumentError, ValueError):  # not a URL at all (which could hold a password)
        print(
            "helpdesk: --database-url or $DATABASE_URL is not a database URL such as "
            f"{DEFAULT_DATABASE_URL} or postgresql://user@host/db",
            file=sys.stderr,
        )
        return 2
    except (SQLAlchemyError, OSError) as error:
        print(
            f"helpdesk: cannot use the database at {shown_url(url)}: "
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


async def _gaps(sessions: Any, args: argparse.Namespace) -> int:
    from escalation.stats import unanswered_since

    since = datetime.now(UTC) - timedelta(days=args.days)
    async with sessions() as session:
        gaps = await unanswered_since(session, since, args.limit)
    if args.cases:
        print(_as_cases(gaps, args.days))
        return 0
    if not gaps:
        print(f"no unsolved questions in the last {args.days} day(s)")
        return 0
    print(f"unsolved questions in the last {args.days} day(s), most frequent first:")
    for gap in gaps:
        tried = f"  (the bot suggested {', '.join(gap.suggested)})" if gap.suggested else ""
        print(f"{gap.count:>5}x  {_clip(gap.text)}{tried}")
    return 0


def _as_cases(gaps: Sequence[FrequentQuestion], days: int) -> str:
    """A regression cases file to finish by hand: every `expect` needs a maintainer's word."""
    lines = [
        f"# Unsolved questions of the last {days} day(s), from `helpdesk gaps --cases`.",
        "# For each: set `expect` to the entry that should answer it (add the entry to the FAQ",
        "# first if none does), or leave null if the bot must not answer it; then run",
        "# `helpdesk kb test THIS_FILE`.",
    ]
    for gap in gaps:
        lines.append(f"- query: {json.dumps(gap.text, ensure_ascii=False)}")
        note = f"asked {gap.count}x"
        if gap.suggested:
            note += f"; the bot suggested {', '.join(gap.suggested)}"
        lines.append(f"  expect: null  # TODO: {note}")
    return "\n".join(lines)


def _clip(text: str | None, width: int = 60) -> str:
    if text is None:
        return "(purged)"
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"

