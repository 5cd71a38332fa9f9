"""The rota file: loading, every problem a coordinator can make, and the clock (shifts, quiet
hours, daylight saving)."""

from __future__ import annotations

import json
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.engine.schools import load_schools
from escalation.rota import (
    DEFAULT_POLICY,
    DEFAULT_QUIET_HOURS,
    SHIPPED_ROTA,
    EscalationPolicy,
    Level,
    QuietHours,
    Rota,
    RotaLoadError,
    Shift,
    load_rota,
    longest_time_without_help,
)

ONE_VOLUNTEER = """\
volunteers:
  - name: Ada Verdi
    code: ADA-0001
    languages: [it]
coordinators:
  - name: Bea Neri
    code: BEA-0001
    languages: [it, en]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rota.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def rota_with(tmp_path: Path, shifts: str, extra: str = "") -> Rota:
    """ONE_VOLUNTEER with these shifts (flow mappings, one a line) and extra top-level fields."""
    lines = "".join(f"  - {shift}\n" for shift in shifts.strip().splitlines())
    return load_rota(write(tmp_path, ONE_VOLUNTEER + "shifts:\n" + lines + extra))


def problems_of(tmp_path: Path, text: str) -> list[tuple[int, str, str]]:
    with pytest.raises(RotaLoadError) as raised:
        load_rota(write(tmp_path, text))
    return [(p.line, p.message, p.severity) for p in raised.value.problems]


def errors_of(tmp_path: Path, text: str) -> list[tuple[int, str]]:
    return [
        (line, message)
        for line, message, severity in problems_of(tmp_path, text)
        if severity == "error"
    ]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- the shipped rota ---


def test_the_shipped_rota_loads_with_only_the_free_sunday_as_a_warning():
    rota = load_rota(SHIPPED_ROTA, schools=load_schools())

    assert len(rota.volunteers) == 13
    assert [c.name for c in rota.coordinators] == ["Laura Bianchi", "Roberto Sala", "Anna De Luca"]
    assert len(rota.shifts) == 11
    assert rota.policy == DEFAULT_POLICY
    assert rota.timezone.key == "Europe/Rome"
    assert str(rota.quiet_hours) == "21:00-07:30"
    assert [w.message for w in rota.warnings] == [
        "no shift on sun: questions asked then wait for the next shift"
    ]


def test_the_shipped_rota_finds_volunteers_by_code():
    rota = load_rota(SHIPPED_ROTA)

    assert rota.volunteer("ES6H-2NQV").languages == {"en"}
    assert rota.volunteer("NOPE-0000") is None


# --- the file's form ---


def test_a_volunteer_reads_every_field(tmp_path):
    rota = load_rota(
        write(
            tmp_path,
            """\
        volunteers:
          - name: Ada Verdi
            code: ADA-0001
            languages: [IT, en]
            schools: [IC Navigli]
            skills: [Tablet, pc]
        shifts: []
        """,
        )
    )

    [ada] = rota.volunteers
    assert ada.languages == {"it", "en"}
    assert ada.schools == {"IC Navigli"}
    assert ada.skills == {"tablet", "pc"}


def test_unquoted_times_italian_day_names_and_a_shift_ending_at_midnight(tmp_path):
    rota = rota_with(tmp_path, "{day: Venerdì, start: 13:00, end: 24:00, volunteers: [ADA-0001]}")

    [shift] = rota.shifts
    assert (shift.day, shift.start, shift.end) == (4, 13 * 60, 24 * 60)
    assert str(shift) == "fri 13:00-24:00"


def test_escalation_and_quiet_hours_are_read(tmp_path):
    rota = rota_with(
        tmp_path,
        "{day: mon, start: '08:00', end: '13:00', volunteers: [ADA-0001]}",
        """\
escalation:
  levels:
    - {notify: best_match, timeout_minutes: 2.5}
    - {notify: coordinators, timeout_minutes: 20}
  rounds: 3
  expire_after_hours: 36.5
  first_reply_minutes: 7.5
quiet_hours: {start: "22:00", end: "07:00"}
""",
    )

    assert rota.policy == EscalationPolicy(
        (
            Level("best_match", 2, timedelta(seconds=150)),
            Level("coordinators", None, timedelta(minutes=20)),
        ),
        rounds=3,
        expire_after=timedelta(hours=36, minutes=30),
        first_reply=timedelta(minutes=7, seconds=30),
    )
    assert str(rota.quiet_hours) == "22:00-07:00"


def test_a_coordinator_who_takes_shifts_is_listed_twice_with_one_code(tmp_path):
    rota = load_rota(
        write(
            tmp_path,
            """\
        volunteers:
          - {name: Bea Neri, code: BEA-0001, languages: [it]}
        coordinators:
          - {name: Bea Neri, code: BEA-0001, languages: [it]}
        shifts:
          - {day: mon, start: "08:00", end: "13:00", volunteers: [BEA-0001]}
        """,
        )
    )

    assert rota.volunteer("BEA-0001").name == rota.coordinators[0].name == "Bea Neri"


# --- every error, with its exact words and line ---

ERRORS = {
    "invalid YAML": (
        """\
        volunteers: [ADA-0001
        shifts: []
        """,
        [(1, "a '[' list opened on this line is never closed with ']'")],
    ),
    "unknown field": (
        """\
        volunteers:
          - name: Ada Verdi
            code: ADA-0001
            languges: [it]
        shifts: []
        """,
        [(4, "unknown field 'languges' in this volunteer (did you mean 'languages'?)")],
    ),
    "unknown field without a likely meaning": (
        """\
        volunteers:
          - {name: Ada Verdi, code: ADA-0001, languages: [it], phone: 333}
        shifts: []
        """,
        [(2, "unknown field 'phone' in this volunteer")],
    ),
    "missing required field": (
        """\
        volunteers:
          - name: Ada Verdi
            languages: [it]
        shifts: []
        """,
        [(2, "this volunteer is missing the required field 'code'")],
    ),
    "missing volunteers": (
        "shifts: []\n",
        [(1, "the rota is missing the required field 'volunteers'")],
    ),
    "duplicate volunteer code": (
        """\
        volunteers:
          - {name: Ada Verdi, code: ADA-0001, languages: [it]}
          - {name: Carlo Blu, code: ADA-0001, languages: [it]}
        shifts: []
        """,
        [(3, "code 'ADA-0001' is already used by Ada Verdi on line 2")],
    ),
    "a coordinator with a volunteer's code": (
        """\
        volunteers:
          - {name: Ada Verdi, code: ADA-0001, languages: [it]}
        coordinators:
          - {name: Bea Neri, code: ADA-0001, languages: [it]}
        shifts: []
        """,
        [(4, "code 'ADA-0001' is already used by Ada Verdi on line 2")],
    ),
    "badly formed code": (
        """\
        volunteers:
          - {name: Ada Verdi, code: ada1, languages: [it]}
        shifts: []
        """,
        [(2, "code 'ada1' must be at least 4 capital letters, digits or dashes, e.g. VOL-0042")],
    ),
    "shift naming an unknown code": (
        """\
        volunteers:
          - {name: Ada Verdi, code: ADA-0001, languages: [it]}
        shifts:
          - day: mon
            start: "08:00"
            end: "13:00"
            volunteers: [ADA-0001, ADA-0010]
        """,
        [(7, "'ADA-0010' is not the code of any volunteer (did you mean 'ADA-0001'?)")],
    ),
    "shift naming a code in small letters": (
        """\
        volunteers:
          - {name: Ada Verdi, code: ADA-0001, languages: [it]}
        shifts:
          - {day: mon, start: "08:00", end: "13:00", volunteers: [ada-0001]}
        """,
        [(4, "'ada-0001' is not the code of any volunteer (did you mean 'ADA-0001'?)")],
    ),
    "shift naming a coordinator": (
        """\
        volunteers:
          - {name: Ada Verdi, code: ADA-0001, languages: [it]}
        coordinators:
          - {name: Bea Neri, code: BEA-0001, languages: [it]}
        shifts:
          - {day: mon, start: "08:00", end: "13:00", volunteers: [BEA-0001]}
        """,
        [
            (
                6,
                "'BEA-0001' is not the code of any volunteer: Bea Neri is a coordinator; to give "
                "them shifts, list them under volunteers too, with the same code",
            )
        ],
    ),
    "bad day name": (
        """\
        volunteers:
          - {name: Ada Verdi, code: ADA-0001, languages: [it]}
        shifts:
          - {day: mondey, start: "08:00", end: "13:00", volunteers: [ADA-0001]}
        """,
        [
            (
                4,
                "unknown day 'mondey': write mon, tue, wed, thu, fri, sat or sun "
                "(or lun, mar, mer, gio, ven, sab, dom)",
            )
        ],
    ),
    "bad time": (
        """\
        volunteers:
          - {name: Ada Verdi, code: ADA-0001, languages: [it]}
        shifts:
          - {day: mon, start: "25:00", end: 26:00, volunteers: [ADA-0001]}
        """,
        [
            (
                4,
                "start must be a time of day from 00:00 to 23:59 written hours:minutes "
                "(e.g. \"08:30\"), not the text '25:00'",
            ),
            (
                4,
                "end must be a time of day from 00:00 to 24:00 written hours:minutes "
                "(e.g. \"08:30\"), not the text '26:00'",
            ),
        ],
    ),
    "time without a colon": (
        """\
        volunteers:
          - {name: Ada Verdi, code: ADA-0001, languages: [it]}
        shifts:
          - {day: mon, start: 8, end: "13:00", volunteers: [ADA-0001]}
        """,
        [
            (
                4,
                "start must be a time of day from 00:00 to 23:59 written hours:minutes "
                '(e.g. "08:30"), not the number 8',
            )
        ],
    ),
    "end not after start": (
        """\
        volunteers:
          - {name: Ada Verdi, code: ADA-0001, languages: [it]}
        shifts:
          - {day: fri, start: "22:00", end: "02:00", volunteers: [ADA-0001]}
        """,
        [
            (
                4,
                "the shift ends at 02:00, not after it starts at 22:00; shifts cannot cross "
                "midnight: split it into one ending at 24:00 and one starting at 00:00 "
                "the next day",
            )
        ],
    ),
    "unknown language": (
        """\
        volunteers:
          - name: Ada Verdi
            code: ADA-0001
            languages:
              - it
              - ita
        shifts: []
        """,
        [(6, "unknown language 'ita': the helpdesk speaks it, en (did you mean 'it'?)")],
    ),
    "no language": (
        """\
        volunteers:
          - {name: Ada Verdi, code: ADA-0001, languages: []}
        shifts: []
        """,
        [(2, "list at least one language, e.g. languages: [it]")],
    ),
    "unknown escalation level kind": (
        """\
        volunteers:
          - {name: Ada Verdi, code: ADA-0001, languages: [it]}
        shifts: []
        escalation:
          levels:
            - {notify: everyone, timeout_minutes: 5}
            - {notify: coordinator, timeout_minutes: 5}
        """,
        [
            (6, "unknown escalation step 'everyone': use best_match, on_shift or coordinators"),
            (
                7,
                "unknown escalation step 'coordinator': use best_match, on_shift or coordinators "
                "(did you mean 'coordinators'?)",
            ),
        ],
    ),
    "count on a step that notifies everyone": (
        """\
        volunteers:
          - {name: Ada Verdi, code: ADA-0001, languages: [it]}
        shifts: []
        escalation:
          levels:
            - {notify: on_shift, count: 3, timeout_minutes: 5}
        """,
        [(6, "count only applies to best_match: on_shift notifies everyone it names")],
    ),
    "timeout not a positive number": (
        """\
        volunteers:
          - {name: Ada Verdi, code: ADA-0001, languages: [it]}
        shifts: []
        escalation:
          levels:
            - {notify: best_match, timeout_minutes: 0}
            - {notify: on_shift, timeout_minutes: -5}
            - {notify: coordinators, timeout_minutes: five}
        """,
        [
            (6, "timeout_minutes must be a number of minutes greater than 0, not the number 0"),
            (7, "timeout_minutes must be a number of minutes greater than 0, not the number -5"),
            (8, "timeout_minutes must be a number of minutes greater than 0, not the text 'five'"),
        ],
    ),
    "rounds below 1": (
        """\
        volunteers:
          - {name: Ada Verdi, code: ADA-0001, languages: [it]}
        shifts: []
        escalation:
          rounds: 0
        """,
        [(5, "rounds must be a whole number of at least 1, not the number 0")],
    ),
    "expiry not a positive number of hours": (
        """\
        volunteers:
          - {name: Ada Verdi, code: ADA-0001, languages: [it]}
        shifts: []
        escalation:
          expire_after_hours: 0
        """,
        [(5, "expire_after_hours must be a number of hours greater than 0, not the number 0")],
    ),
    "expiry misspelt": (
        """\
        volunteers:
          - {name: Ada Verdi, code: ADA-0001, languages: [it]}
        shifts: []
        escalation:
          expire_after_hour: 48
        """,
        [
            (
                5,
                "unknown field 'expire_after_hour' in escalation "
                "(did you mean 'expire_after_hours'?)",
            )
        ],
    ),
    "first reply time not a positive number of minutes": (
        """\
        volunteers:
          - {name: Ada Verdi, code: ADA-0001, languages: [it]}
        shifts: []
        escalation:
          first_reply_minutes: -5
        """,
        [(5, "first_reply_minutes must be a number of minutes greater than 0, not the number -5")],
    ),
    "first reply time in words": (
        """\
        volunteers:
          - {name: Ada Verdi, code: ADA-0001, languages: [it]}
        shifts: []
        escalation:
          first_reply_minutes: quindici
        """,
        [
            (
                5,
                "first_reply_minutes must be a number of minutes greater than 0, "
                "not the text 'quindici'",
            )
        ],
    ),
    "first reply time misspelt": (
        """\
        volunteers:
          - {name: Ada Verdi, code: ADA-0001, languages: [it]}
        shifts: []
        escalation:
          first_response_minutes: 10
        """,
        [
            (
                5,
                "unknown field 'first_response_minutes' in escalation "
                "(did you mean 'first_reply_minutes'?)",
            )
        ],
    ),
    "bad timezone name": (
        """\
        timezone: Europe/Roma
        volunteers:
          - {name: Ada Verdi, code: ADA-0001, languages: [it]}
        shifts: []
        """,
        [
            (
                1,
                "unknown timezone 'Europe/Roma' (did you mean 'Europe/Rome'?): "
                "use a name such as Europe/Rome",
            )
        ],
    ),
    "a timezone with no likely meaning": (
        """\
        timezone: Europe/Milano
        volunteers:
          - {name: Ada Verdi, code: ADA-0001, languages: [it]}
        shifts: []
        """,
        [(1, "unknown timezone 'Europe/Milano': use a name such as Europe/Rome")],
    ),
    "quiet hours that start when they end": (
        """\
        volunteers:
          - {name: Ada Verdi, code: ADA-0001, languages: [it]}
        shifts: []
        quiet_hours:
          start: "21:00"
          end: "21:00"
        """,
        [(6, "quiet hours start and end at the same time (21:00)")],
    ),
    "a list where fields belong": (
        """\
        volunteers:
          - [Ada Verdi, ADA-0001]
        shifts: []
        """,
        [(2, "this volunteer must be a set of 'field: value' lines, not a list")],
    ),
    "a field written twice": (
        """\
        volunteers:
          - name: Ada Verdi
            name: Ada Rossi
        """,
        [(3, "'name' appears twice here (first on line 2)")],
    ),
    "an empty file": (
        "",
        [(1, "the file is empty: a rota needs at least volunteers: and shifts:")],
    ),
}


@pytest.mark.parametrize("text, expected", ERRORS.values(), ids=ERRORS.keys())
def test_every_error_is_reported_at_its_line_in_plain_words(tmp_path, text, expected):
    assert errors_of(tmp_path, text) == expected


def test_all_problems_are_reported_at_once_in_line_order(tmp_path):
    problems = errors_of(
        tmp_path,
        """\
        timezone: Mars/Olympus
        volunteers:
          - {name: Ada Verdi, code: ADA-0001, languages: [fr]}
        shifts:
          - {day: someday, start: "08:00", end: "13:00", volunteers: [ADA-0001]}
          - day: mon
            start: "13:00"
            end: "08:00"
            volunteers: [NOBODY-1]
        escalation:
          rounds: 0
        """,
    )

    assert [line for line, _ in problems] == [1, 3, 5, 8, 9, 11]


def test_the_error_carries_every_problem_in_its_text(tmp_path):
    path = write(tmp_path, "volunteers: []\nshifts: []\n")

    with pytest.raises(RotaLoadError) as raised:
        load_rota(path)

    assert str(raised.value) == f"{path}:1: no volunteers are listed: add at least one"


def test_a_missing_file_is_a_problem_of_the_whole_file(tmp_path):
    path = tmp_path / "nowhere.yaml"

    with pytest.raises(RotaLoadError) as raised:
        load_rota(path)

    assert [str(p) for p in raised.value.problems] == [
        f"{path}: cannot read the file: No such file or directory"
    ]


def test_languages_the_helpdesk_speaks_are_passed_in(tmp_path):
    path = write(
        tmp_path,
        """\
        volunteers:
          - {name: Ada Verdi, code: ADA-0001, languages: [ar]}
        shifts:
          - {day: mon, start: "08:00", end: "13:00", volunteers: [ADA-0001]}
        coordinators:
          - {name: Bea Neri, code: BEA-0001, languages: [it]}
        """,
    )

    assert load_rota(path, languages=("it", "ar")).volunteers[0].languages == {"ar"}


# --- warnings ---


def test_warnings_for_a_volunteer_in_no_shift_a_day_without_shifts_and_no_coordinators(tmp_path):
    rota = load_rota(
        write(
            tmp_path,
            """\
        volunteers:
          - {name: Ada Verdi, code: ADA-0001, languages: [it]}
          - {name: Carlo Blu, code: CAR-0001, languages: [it]}
        shifts:
          - {day: mon, start: "08:00", end: "13:00", volunteers: [ADA-0001]}
          - {day: tue, start: "08:00", end: "13:00", volunteers: [ADA-0001]}
          - {day: wed, start: "08:00", end: "13:00", volunteers: [ADA-0001]}
          - {day: thu, start: "08:00", end: "13:00", volunteers: [ADA-0001]}
          - {day: fri, start: "08:00", end: "13:00", volunteers: [ADA-0001]}
          - {day: sab, start: "08:00", end: "13:00", volunteers: []}
        """,
        )
    )

    assert [(w.line, w.message, w.severity) for w in rota.warnings] == [
        (
            1,
            "no coordinators: urgent questions and tickets nobody takes have nobody to go to",
            "warning",
        ),
        (
            3,
            "Carlo Blu (CAR-0001) is in no shift, so the bot will never offer them a ticket",
            "warning",
        ),
        (4, "no shift on sat, sun: questions asked then wait for the next shift", "warning"),
        (10, "this shift names no volunteers", "warning"),
    ]


def test_a_school_users_cannot_pick_is_a_warning_with_a_likely_meaning(tmp_path):
    path = write(
        tmp_path,
        ONE_VOLUNTEER.replace(
            "languages: [it]\n", "languages: [it]\n    schools: [IC giacosa, IC Giacomo]\n", 1
        )
        + "shifts:\n  - {day: mon, start: '08:00', end: '13:00', volunteers: [ADA-0001]}\n",
    )

    rota = load_rota(path, schools=("IC Giacosa", "IC Cadorna"))

    assert [(w.line, w.message) for w in rota.warnings][:1] == [
        (
            5,
            "school 'IC Giacomo' is not one users can pick, so it never matches theirs "
            "(did you mean 'IC Giacosa'?)",
        )
    ]


def test_warnings_travel_with_the_errors(tmp_path):
    problems = problems_of(
        tmp_path,
        """\
        volunteers:
          - {name: Ada Verdi, code: ADA-0001, languages: [xx]}
        shifts: []
        """,
    )

    assert {severity for _, _, severity in problems} == {"error", "warning"}


# --- the clock ---

WEEKDAYS_9_TO_1 = "\n".join(
    f"{{day: {day}, start: '08:00', end: '13:00', volunteers: [ADA-0001]}}"
    for day in ("mon", "tue", "wed", "thu", "fri")
)


def test_on_shift_follows_local_time_and_ends_before_the_end_minute():
    rota = load_rota(SHIPPED_ROTA)
    names = lambda at: [v.name for v in rota.on_shift(at)]  # noqa: E731

    # Tuesday 1 December 2026, winter: Rome is UTC+1.
    assert names(utc(2026, 12, 1, 6, 59)) == []
    assert names(utc(2026, 12, 1, 7, 0)) == ["Omar Haddad", "Francesca Longo", "Davide Mariani"]
    assert names(utc(2026, 12, 1, 11, 59, 59)) == [
        "Omar Haddad",
        "Francesca Longo",
        "Davide Mariani",
    ]
    assert names(utc(2026, 12, 1, 12, 0)) == []
    assert names(utc(2026, 12, 1, 13, 0)) == ["Aisha Mensah", "Pietro Fontana", "Elena Costa"]


@pytest.mark.parametrize(
    "day, first_minute_utc",
    [
        (utc(2026, 3, 29), 6),  # last Sunday of March: summer time from 01:00 UTC, UTC+2
        (utc(2026, 10, 25), 7),  # last Sunday of October: winter time from 01:00 UTC, UTC+1
        (utc(2026, 7, 5), 6),
        (utc(2026, 1, 4), 7),
    ],
)
def test_a_morning_shift_keeps_its_local_hours_across_daylight_saving(
    tmp_path, day, first_minute_utc
):
    rota = rota_with(tmp_path, "{day: sun, start: '08:00', end: '13:00', volunteers: [ADA-0001]}")
    start = day + timedelta(hours=first_minute_utc)

    assert rota.on_shift(start - timedelta(seconds=1)) == ()
    assert [v.code for v in rota.on_shift(start)] == ["ADA-0001"]
    assert [v.code for v in rota.on_shift(start + timedelta(hours=4, minutes=59))] == ["ADA-0001"]
    assert rota.on_shift(start + timedelta(hours=5)) == ()


def test_a_night_shift_on_the_spring_change_lasts_one_hour_less(tmp_path):
    rota = rota_with(tmp_path, "{day: sun, start: '00:00', end: '04:00', volunteers: [ADA-0001]}")
    on = lambda at: bool(rota.on_shift(at))  # noqa: E731

    # 00:00 CET is 23:00 UTC; at 01:00 UTC the clocks jump from 02:00 to 03:00; 04:00 CEST is 02:00.
    assert not on(utc(2026, 3, 28, 22, 59))
    assert on(utc(2026, 3, 28, 23, 0))
    assert on(utc(2026, 3, 29, 1, 30))  # 03:30 CEST
    assert not on(utc(2026, 3, 29, 2, 0))


def test_a_night_shift_on_the_autumn_change_covers_the_repeated_hour_twice(tmp_path):
    rota = rota_with(tmp_path, "{day: sun, start: '00:00', end: '04:00', volunteers: [ADA-0001]}")
    on = lambda at: bool(rota.on_shift(at))  # noqa: E731

    # 00:00 CEST is 22:00 UTC; 02:30 happens at 00:30 and 01:30 UTC; 04:00 CET is 03:00 UTC.
    assert not on(utc(2026, 10, 24, 21, 59))
    assert on(utc(2026, 10, 24, 22, 0))
    assert on(utc(2026, 10, 25, 0, 30)) and on(utc(2026, 10, 25, 1, 30))
    assert on(utc(2026, 10, 25, 2, 59))
    assert not on(utc(2026, 10, 25, 3, 0))


def test_quiet_hours_run_across_midnight():
    rota = load_rota(SHIPPED_ROTA)  # 21:00-07:30, Rome in winter is UTC+1

    assert not rota.is_quiet(utc(2026, 12, 1, 19, 59))
    assert rota.is_quiet(utc(2026, 12, 1, 20, 0))
    assert rota.is_quiet(utc(2026, 12, 1, 23, 0))  # local midnight
    assert rota.is_quiet(utc(2026, 12, 2, 6, 29))
    assert not rota.is_quiet(utc(2026, 12, 2, 6, 30))


def test_quiet_hours_within_a_day(tmp_path):
    rota = rota_with(tmp_path, WEEKDAYS_9_TO_1, 'quiet_hours: {start: "12:30", end: "14:00"}\n')

    assert not rota.is_quiet(utc(2026, 7, 1, 10, 29))  # 12:29 CEST
    assert rota.is_quiet(utc(2026, 7, 1, 10, 30))
    assert not rota.is_quiet(utc(2026, 7, 1, 12, 0))
    assert not rota.is_quiet(utc(2026, 7, 1, 23, 0))


def test_next_help_time_after_friday_evening_is_monday_morning(tmp_path):
    rota = rota_with(tmp_path, WEEKDAYS_9_TO_1)

    # Friday 27 November 2026 20:00 in Rome.
    assert rota.next_help_time(utc(2026, 11, 27, 19, 0)) == utc(2026, 11, 30, 7, 0)


def test_next_help_time_over_the_spring_change_keeps_monday_at_eight_local(tmp_path):
    rota = rota_with(tmp_path, WEEKDAYS_9_TO_1)

    # Friday 27 March 2026 20:00 CET -> Monday 30 March 08:00 CEST.
    assert rota.next_help_time(utc(2026, 3, 27, 19, 0)) == utc(2026, 3, 30, 6, 0)


def test_next_help_time_is_now_during_a_shift(tmp_path):
    rota = rota_with(tmp_path, WEEKDAYS_9_TO_1)
    now = datetime(2026, 12, 1, 10, 15, tzinfo=rota.timezone)

    assert rota.next_help_time(now) == now


def test_next_help_time_in_quiet_hours_is_their_end_when_someone_is_on_shift(tmp_path):
    rota = rota_with(tmp_path, "{day: tue, start: '06:00', end: '09:00', volunteers: [ADA-0001]}")

    # Tuesday 1 December 2026, 06:30 in Rome: on shift, but quiet until 07:30.
    assert rota.on_shift(utc(2026, 12, 1, 5, 30))
    assert rota.next_help_time(utc(2026, 12, 1, 5, 30)) == utc(2026, 12, 1, 6, 30)


def test_next_help_time_skips_shifts_with_nobody_and_shifts_inside_quiet_hours(tmp_path):
    rota = rota_with(
        tmp_path,
        """\
{day: mon, start: '22:00', end: '23:00', volunteers: [ADA-0001]}
{day: tue, start: '08:00', end: '13:00', volunteers: []}""",
    )

    assert rota.next_help_time(utc(2026, 12, 1, 0, 0)) is None


def test_next_help_time_without_shifts_is_none(tmp_path):
    rota = load_rota(write(tmp_path, ONE_VOLUNTEER + "shifts: []\n"))

    assert rota.next_help_time(utc(2026, 12, 1, 0, 0)) is None


def test_a_shift_starting_in_the_hour_the_clocks_skip_starts_at_the_jump(tmp_path):
    rota = rota_with(
        tmp_path,
        "{day: sun, start: '02:30', end: '05:00', volunteers: [ADA-0001]}",
        'quiet_hours: {start: "21:00", end: "22:00"}\n',
    )

    # Saturday 28 March 2026 23:00 CET; on Sunday 02:30 never happens: 02:00 CET becomes 03:00.
    assert rota.next_help_time(utc(2026, 3, 28, 22, 0)) == utc(2026, 3, 29, 1, 0)


def test_instants_without_a_timezone_are_refused():
    rota = load_rota(SHIPPED_ROTA)

    for question in (rota.on_shift, rota.is_quiet, rota.next_help_time):
        with pytest.raises(ValueError, match="timezone-aware"):
            question(datetime(2026, 12, 1, 9, 0))


# --- the policy stored on tickets ---


@pytest.mark.parametrize(
    "policy",
    [
        DEFAULT_POLICY,
        EscalationPolicy(
            (
                Level("best_match", 3, timedelta(minutes=2.5)),
                Level("on_shift", None, timedelta(minutes=7)),
                Level("coordinators", None, timedelta(hours=1)),
            ),
            rounds=4,
            expire_after=timedelta(hours=12),
            first_reply=timedelta(minutes=4),
        ),
    ],
)
def test_the_policy_survives_a_json_round_trip(policy):
    stored = json.dumps(policy.to_json())

    assert EscalationPolicy.from_json(json.loads(stored)) == policy


def test_the_default_policy_is_the_documented_one():
    assert DEFAULT_POLICY.to_json() == {
        "levels": [
            {"notify": "best_match", "count": 2, "timeout_seconds": 300.0},
            {"notify": "on_shift", "count": None, "timeout_seconds": 600.0},
            {"notify": "coordinators", "count": None, "timeout_seconds": 900.0},
        ],
        "rounds": 2,
        "expire_after_seconds": 72 * 3600.0,
        "first_reply_seconds": 15 * 60.0,
    }


def test_a_policy_frozen_before_tickets_could_expire_gets_the_default_expiry():
    stored = DEFAULT_POLICY.to_json()
    del stored["expire_after_seconds"]

    assert EscalationPolicy.from_json(stored).expire_after == timedelta(hours=72)


def test_a_policy_frozen_before_replies_were_watched_gets_the_default_first_reply_time():
    stored = DEFAULT_POLICY.to_json()
    del stored["first_reply_seconds"]

    assert EscalationPolicy.from_json(stored).first_reply == timedelta(minutes=15)


def test_the_shipped_rota_gives_volunteers_15_minutes_to_write_first():
    assert load_rota(SHIPPED_ROTA).policy.first_reply == timedelta(minutes=15)


def test_an_expiry_shorter_than_the_escalation_is_a_warning(tmp_path):
    rota = rota_with(
        tmp_path,
        "{day: mon, start: '08:00', end: '13:00', volunteers: [ADA-0001]}",
        """\
escalation:
  levels:
    - {notify: best_match, timeout_minutes: 30}
    - {notify: coordinators, timeout_minutes: 60}
  rounds: 2
  expire_after_hours: 2
""",
    )

    assert rota.policy.expire_after == timedelta(hours=2)
    assert (
        16,
        "tickets expire after 2 hour(s), before the escalation steps have run through "
        "(3 hours): the last steps would never ping anyone",
    ) in [(w.line, w.message) for w in rota.warnings]


def test_the_longest_time_without_help_counts_quiet_hours_and_wraps_round_the_week():
    rota = load_rota(SHIPPED_ROTA)
    saturday_13 = 5 * 24 * 60 + 13 * 60

    assert longest_time_without_help(rota.shifts, rota.quiet_hours) == (saturday_13, 43 * 60)

    sunday_night = (Shift(6, 20 * 60, 24 * 60, ("A",)),)  # quiet from 21:00
    assert longest_time_without_help(sunday_night, QuietHours(21 * 60, 7 * 60)) == (
        6 * 24 * 60 + 21 * 60,
        (7 * 24 - 1) * 60,
    )
    assert longest_time_without_help((), DEFAULT_QUIET_HOURS) is None


def test_help_away_longer_than_the_expiry_is_a_warning(tmp_path):
    rota = rota_with(
        tmp_path,
        """\
{day: mon, start: '08:00', end: '20:00', volunteers: [ADA-0001]}
{day: fri, start: '08:00', end: '20:00', volunteers: [ADA-0001]}""",
        """\
escalation:
  expire_after_hours: 24
""",
    )

    assert (
        13,
        "nobody can be pinged for 84 hours from mon 20:00, longer than tickets may wait "
        "(24 hours, expire_after_hours): questions asked then expire at once",
    ) in [(w.line, w.message) for w in rota.warnings]
