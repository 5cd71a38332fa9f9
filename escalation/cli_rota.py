"""`helpdesk rota check` and `helpdesk rota show`: a coordinator tries an edit of the rota
before the bot loads it.

    helpdesk rota check [FILE] [--schools FILE]   every problem as FILE:LINE: severity: message;
                                                  exit 1 on errors
    helpdesk rota show [FILE] [--at ISO]          who is on shift now (or at a time), quiet hours
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path

from escalation.rota import SHIPPED_ROTA, Rota, RotaLoadError, Volunteer, load_rota
from knowledge_base.report import count, print_problems, split_problems


def register(commands: argparse._SubParsersAction) -> None:
    """Add the `rota` command group."""
    rota = commands.add_parser("rota", help="check the volunteer rota, see who is on shift")
    rota_commands = rota.add_subparsers(dest="rota_command", required=True, metavar="ROTA_COMMAND")
    file_help = "the rota file (default: the shipped example, escalation/rota.yaml)"

    check = rota_commands.add_parser("check", help="list every problem in a rota file")
    check.add_argument("file", nargs="?", type=Path, default=SHIPPED_ROTA, help=file_help)
    check.add_argument(
        "--schools",
        type=Path,
        help="the schools users pick from (default: the bot's list, bot/schools.yaml)",
    )
    check.set_defaults(handler=check_rota)

    show = rota_commands.add_parser("show", help="who is on shift now or at a given time")
    show.add_argument("file", nargs="?", type=Path, default=SHIPPED_ROTA, help=file_help)
    show.add_argument(
        "--at",
        type=_iso_time,
        help="a date and time such as 2026-12-01T09:30 (rota time unless it has an offset)",
    )
    show.set_defaults(handler=show_rota)


def check_rota(args: argparse.Namespace) -> int:
    from bot.engine.schools import SchoolsLoadError, load_schools  # the bot owns the list

    try:
        schools = load_schools(args.schools)
    except SchoolsLoadError as error:
        print_problems(error.problems)
        print(f"{args.schools}: {count(len(error.problems), 'error')}: the rota is not checked")
        return 1
    rota = _load(args.file, schools=schools)
    if rota is None:
        return 1
    counts = ", ".join(
        count(len(items), noun)
        for items, noun in (
            (rota.volunteers, "volunteer"),
            (rota.coordinators, "coordinator"),
            (rota.shifts, "shift"),
        )
    )
    print(f"{args.file}: OK: {counts}; {count(len(rota.warnings), 'warning')}")
    return 0


def show_rota(args: argparse.Namespace) -> int:
    rota = _load(args.file, quiet_if_fine=True)
    if rota is None:
        return 1
    at: datetime = args.at or datetime.now(UTC)
    if at.tzinfo is None:
        at = at.replace(tzinfo=rota.timezone)
    print(f"{_when(at, rota)} ({at.astimezone(UTC):%H:%M} UTC)")
    print(f"quiet hours {rota.quiet_hours}: {'yes' if rota.is_quiet(at) else 'no'}")
    on_shift = rota.on_shift(at)
    print(f"on shift: {len(on_shift) or 'nobody'}")
    for volunteer in on_shift:
        print(f"  {_describe(volunteer)}")
    if rota.is_quiet(at) or not on_shift:
        help_time = rota.next_help_time(at)
        later = _when(help_time, rota) if help_time else "never (no shift outside quiet hours)"
        print(f"next help: {later}")
    return 0


def _load(
    path: Path, *, schools: tuple[str, ...] | None = None, quiet_if_fine: bool = False
) -> Rota | None:
    """The rota, after printing its problems; None if it has errors (summary printed too)."""
    try:
        rota = load_rota(path, schools=schools)
    except RotaLoadError as error:
        errors, warnings = split_problems(error.problems)
        print_problems(error.problems)
        print(f"{path}: {count(len(errors), 'error')}, {count(len(warnings), 'warning')}")
        return None
    if not quiet_if_fine:
        print_problems(rota.warnings)
    return rota


def _describe(volunteer: Volunteer) -> str:
    parts = [f"{volunteer.name} ({volunteer.code})", ", ".join(sorted(volunteer.languages))]
    if volunteer.schools:
        parts.append("schools: " + ", ".join(sorted(volunteer.schools)))
    if volunteer.skills:
        parts.append("skills: " + ", ".join(sorted(volunteer.skills)))
    return "  ".join(parts)


def _when(at: datetime, rota: Rota) -> str:
    return f"{at.astimezone(rota.timezone):%a %Y-%m-%d %H:%M} {rota.timezone.key}"


def _iso_time(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not a date and time such as 2026-12-01T09:30"
        ) from None
