"""Who is offered a ticket first: each ordering rule on its own, then fairness over many tickets."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta

from escalation.assignment import rank_volunteers
from escalation.rota import Volunteer

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def volunteer(code: str, languages=("it",), schools=(), skills=()) -> Volunteer:
    return Volunteer(
        code, code.title(), frozenset(languages), frozenset(schools), frozenset(skills)
    )


def ranked(candidates, **overrides) -> list[str]:
    arguments = {
        "language": "it",
        "school": None,
        "skill": None,
        "open_tickets": {},
        "last_offered": {},
        "excluded": (),
    }
    arguments.update(overrides)
    return [v.code for v in rank_volunteers(candidates, **arguments)]


def test_speaking_the_users_language_comes_first():
    people = [
        volunteer("AAAA", ["it"], schools=["IC Navigli"], skills=["tablet"]),
        volunteer("BBBB", ["it", "en"]),
    ]

    assert ranked(people, language="en", school="IC Navigli", skill="tablet") == ["BBBB", "AAAA"]


def test_knowing_the_school_comes_before_a_lighter_load():
    people = [volunteer("AAAA"), volunteer("BBBB", schools=["IC Navigli"])]

    assert ranked(people, school="IC Navigli", open_tickets={"BBBB": 3}) == ["BBBB", "AAAA"]


def test_knowing_the_device_counts_like_knowing_the_school():
    people = [
        volunteer("AAAA", schools=["IC Navigli"]),
        volunteer("BBBB", skills=["tablet"]),
        volunteer("CCCC"),
    ]

    order = ranked(people, school="IC Navigli", skill="tablet", open_tickets={"AAAA": 1})

    assert order == ["BBBB", "AAAA", "CCCC"]


def test_schools_match_whatever_the_case_and_spacing_the_user_typed():
    people = [volunteer("AAAA"), volunteer("BBBB", schools=["IC Parco Nord"])]

    assert ranked(people, school="  ic parco  NORD ") == ["BBBB", "AAAA"]


def test_fewest_open_tickets_comes_next():
    people = [volunteer("AAAA"), volunteer("BBBB"), volunteer("CCCC")]

    assert ranked(people, open_tickets={"AAAA": 2, "BBBB": 1}) == ["CCCC", "BBBB", "AAAA"]


def test_among_equals_the_least_recently_offered_goes_first_and_never_offered_before_all():
    people = [volunteer("AAAA"), volunteer("BBBB"), volunteer("CCCC")]
    offered = {"AAAA": T0, "BBBB": T0 - timedelta(hours=1)}

    assert ranked(people, last_offered=offered) == ["CCCC", "BBBB", "AAAA"]


def test_ties_end_on_the_code_whatever_the_input_order():
    people = [volunteer("CCCC"), volunteer("AAAA"), volunteer("BBBB")]
    offered = {code: T0 for code in ("AAAA", "BBBB", "CCCC")}

    assert ranked(people) == ["AAAA", "BBBB", "CCCC"]
    assert ranked(people, last_offered=offered) == ["AAAA", "BBBB", "CCCC"]


def test_volunteers_who_passed_or_let_it_time_out_are_left_out():
    people = [volunteer("AAAA"), volunteer("BBBB"), volunteer("CCCC")]

    assert ranked(people, excluded={"AAAA", "CCCC"}) == ["BBBB"]
    assert ranked(people, excluded={"AAAA", "BBBB", "CCCC"}) == []


def test_a_thousand_tickets_among_ten_equal_volunteers_are_shared_fairly():
    """Each ticket goes to the first ranked; tickets close at random, so loads drift apart and
    the ranking has to bring them back together."""
    people = [volunteer(f"VOL-{n:02d}") for n in range(10)]
    chance = random.Random(20261201)
    open_tickets: Counter[str] = Counter()
    last_offered: dict[str, datetime] = {}
    assigned: Counter[str] = Counter()
    now = T0

    for _ in range(1000):
        now += timedelta(minutes=chance.randint(1, 30))
        for code in list(open_tickets):
            if open_tickets[code] and chance.random() < 0.3:
                open_tickets[code] -= 1
        first = rank_volunteers(
            people,
            language="it",
            school=None,
            skill=None,
            open_tickets=open_tickets,
            last_offered=last_offered,
            excluded=(),
        )[0]
        assigned[first.code] += 1
        open_tickets[first.code] += 1
        last_offered[first.code] = now

    mean = 1000 / len(people)
    assert len(assigned) == 10
    assert max(assigned.values()) <= 1.5 * mean
