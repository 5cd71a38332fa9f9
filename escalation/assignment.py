"""Who is offered a ticket first: a pure ranking, so that fairness can be tested without a database.

Speaking the user's language matters most (a pupil cannot be helped in a language they do not
read); knowing the school or the device comes next; then the load is spread: fewest open
tickets first, and among equals the volunteer offered a ticket longest ago, so that nobody is
pinged every time just because their code sorts first.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime

from escalation.rota import Volunteer, school_key


def rank_volunteers(
    candidates: Sequence[Volunteer],
    *,
    language: str,
    school: str | None,
    skill: str | None,
    open_tickets: Mapping[str, int],
    last_offered: Mapping[str, datetime],
    excluded: Collection[str],
) -> list[Volunteer]:
    """The candidates best first, leaving out `excluded` codes (they passed on this ticket or
    let it time out, and are never offered it again).

    Schools compare without regard to case or spacing (`school_key`).
    `last_offered` times must be all timezone-aware or all naive; a code missing from it has
    never been offered anything and goes first among equals. Ties end on the code, so the
    same inputs always give the same order.
    """
    wanted_school = school_key(school) if school else None

    def covers(volunteer: Volunteer) -> bool:
        knows_school = wanted_school is not None and wanted_school in {
            school_key(s) for s in volunteer.schools
        }
        return knows_school or (skill is not None and skill in volunteer.skills)

    def rank(volunteer: Volunteer) -> tuple:
        offered = last_offered.get(volunteer.code)
        return (
            language not in volunteer.languages,
            not covers(volunteer),
            open_tickets.get(volunteer.code, 0),
            offered is not None,  # never offered: before anyone offered at any time
            offered,
            volunteer.code,
        )

    return sorted((v for v in candidates if v.code not in excluded), key=rank)
