"""The volunteer rota: who is on shift when, the quiet hours, and how unanswered tickets escalate.

A coordinator edits it by hand as one YAML file (the shipped example, `rota.yaml`, documents
every field). Shifts and quiet hours are wall-clock times in the rota's timezone, because
that is how people agree on them; every question about an instant converts the instant to
local time first, so daylight saving needs no special case. Loading checks the whole file
and reports every problem at once, each with its line, and yields nothing if there is an
error: a running bot keeps the rota it had.
"""

from __future__ import annotations

import bisect
import difflib
import math
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from knowledge_base.model import Problem, Severity
from knowledge_base.yamlsource import (
    YamlDocument,
    YamlPath,
    YamlSyntaxError,
    closest,
    describe,
    did_you_mean,
    read_yaml,
    why_unreadable,
)

SHIPPED_ROTA = Path(__file__).with_name("rota.yaml")

KNOWN_LANGUAGES = ("it", "en")  # the languages the helpdesk has texts in
DEFAULT_TIMEZONE = "Europe/Rome"
DEFAULT_BEST_MATCH_COUNT = 2
# How long a ticket may wait for someone to take it before it expires and its user is told.
DEFAULT_EXPIRE_AFTER = timedelta(hours=72)
# How long the volunteer who took a ticket may stay silent before a reminder; as long again
# after it, and the ticket goes back to the chain.
DEFAULT_FIRST_REPLY = timedelta(minutes=15)

NotifyKind = Literal["best_match", "on_shift", "coordinators"]
NOTIFY_KINDS: tuple[str, ...] = get_args(NotifyKind)

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_ITALIAN_DAYS = ("lun", "mar", "mer", "gio", "ven", "sab", "dom")
_DAY_NUMBERS = {
    name: number
    for names in (
        DAYS,
        _ITALIAN_DAYS,
        ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
        ("lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato", "domenica"),
        ("lunedi", "martedi", "mercoledi", "giovedi", "venerdi"),
    )
    for number, name in enumerate(names)
}
_CODE = re.compile(r"[A-Z0-9-]{4,}")
_CLOCK = re.compile(r"(\d{1,2}):(\d\d)")
_MINUTES_A_DAY = 24 * 60
_MINUTES_A_WEEK = 7 * _MINUTES_A_DAY


@dataclass(frozen=True, slots=True)
class Volunteer:
    code: str  # what the volunteer sends as `/volunteer CODE` to link their Telegram account
    name: str
    languages: frozenset[str]
    schools: frozenset[str]
    skills: frozenset[str]


@dataclass(frozen=True, slots=True)
class Coordinator:
    code: str
    name: str
    languages: frozenset[str]


@dataclass(frozen=True, slots=True)
class Level:
    """One step of the escalation: whom to ping, and how long to wait for someone to take it.

    best_match: the top `count` ranked volunteers on shift; on_shift: every volunteer on
    shift not yet pinged; coordinators: all coordinators. `count` is None except for
    best_match.
    """

    notify: NotifyKind
    count: int | None
    timeout: timedelta


@dataclass(frozen=True, slots=True)
class EscalationPolicy:
    """The steps, run `rounds` times; then the ticket waits for the next shift, until it has
    waited `expire_after` without anyone taking it: then it expires and its user is told.
    Whoever takes it has `first_reply` to write to the user (and to answer each later
    message of theirs), then a reminder and as long again, then it is handed back to the
    chain.

    A ticket keeps the policy it opened with (`to_json` is stored on it), so editing the
    rota never changes an escalation already under way.
    """

    levels: tuple[Level, ...]
    rounds: int
    expire_after: timedelta = DEFAULT_EXPIRE_AFTER
    first_reply: timedelta = DEFAULT_FIRST_REPLY

    @property
    def one_pass(self) -> timedelta:
        """How long every level of every round takes when nobody answers a ping."""
        return sum((level.timeout for level in self.levels), timedelta()) * self.rounds

    def to_json(self) -> dict[str, Any]:
        return {
            "levels": [
                {
                    "notify": level.notify,
                    "count": level.count,
                    "timeout_seconds": level.timeout.total_seconds(),
                }
                for level in self.levels
            ],
            "rounds": self.rounds,
            "expire_after_seconds": self.expire_after.total_seconds(),
            "first_reply_seconds": self.first_reply.total_seconds(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EscalationPolicy:
        levels = tuple(
            Level(item["notify"], item["count"], timedelta(seconds=item["timeout_seconds"]))
            for item in data["levels"]
        )
        # Policies frozen before these fields existed lack them: they get the defaults.
        expire_after = data.get("expire_after_seconds")
        first_reply = data.get("first_reply_seconds")
        return cls(
            levels,
            data["rounds"],
            DEFAULT_EXPIRE_AFTER if expire_after is None else timedelta(seconds=expire_after),
            DEFAULT_FIRST_REPLY if first_reply is None else timedelta(seconds=first_reply),
        )


DEFAULT_POLICY = EscalationPolicy(
    levels=(
        Level("best_match", DEFAULT_BEST_MATCH_COUNT, timedelta(minutes=5)),
        Level("on_shift", None, timedelta(minutes=10)),
        Level("coordinators", None, timedelta(minutes=15)),
    ),
    rounds=2,
)


@dataclass(frozen=True, slots=True)
class Shift:
    """A weekly slot in local wall-clock time. Times are minutes after local midnight, so
    that a shift can end at 24:00; a shift never crosses midnight."""

    day: int  # 0 = Monday
    start: int
    end: int
    volunteers: tuple[str, ...]  # codes

    def covers(self, day: int, minute: int) -> bool:
        return day == self.day and self.start <= minute < self.end

    def __str__(self) -> str:
        return f"{DAYS[self.day]} {format_clock(self.start)}-{format_clock(self.end)}"


@dataclass(frozen=True, slots=True)
class QuietHours:
    """When nobody is pinged, in local wall-clock minutes; may run across midnight."""

    start: int
    end: int

    def covers(self, minute: int) -> bool:
        if self.start < self.end:
            return self.start <= minute < self.end
        return minute >= self.start or minute < self.end

    def __str__(self) -> str:
        return f"{format_clock(self.start)}-{format_clock(self.end)}"


DEFAULT_QUIET_HOURS = QuietHours(21 * 60, 7 * 60 + 30)


@dataclass(frozen=True, slots=True)
class Rota:
    volunteers: tuple[Volunteer, ...]
    coordinators: tuple[Coordinator, ...]
    shifts: tuple[Shift, ...]
    policy: EscalationPolicy
    quiet_hours: QuietHours
    timezone: ZoneInfo
    warnings: tuple[Problem, ...] = ()

    def volunteer(self, code: str) -> Volunteer | None:
        return next((v for v in self.volunteers if v.code == code), None)

    def on_shift(self, at: datetime) -> tuple[Volunteer, ...]:
        """The volunteers on shift at the instant `at` (timezone-aware), in rota order."""
        local = self._local(at)
        minute = local.hour * 60 + local.minute
        codes = {
            code
            for shift in self.shifts
            if shift.covers(local.weekday(), minute)
            for code in shift.volunteers
        }
        return tuple(v for v in self.volunteers if v.code in codes)

    def is_quiet(self, at: datetime) -> bool:
        local = self._local(at)
        return self.quiet_hours.covers(local.hour * 60 + local.minute)

    def next_help_time(self, at: datetime) -> datetime | None:
        """The earliest instant (UTC) at or after `at` outside quiet hours with someone on
        shift; None if there is no such moment in the week.

        Whether help is available changes only when a shift starts or ends or quiet hours
        start or end, and help can only begin at a shift's start or at the end of quiet
        hours, so those moments over the next week are the only candidates besides `at`.
        """
        first_day = self._local(at).date()
        at = at.astimezone(UTC)
        starts = {s.start for s in self.shifts if s.volunteers} | {self.quiet_hours.end}
        candidates = {at}
        for day in (first_day + timedelta(days=n) for n in range(8)):
            for minute in starts:
                candidates.add(self._instant(day, minute))
        return next(
            (
                moment
                for moment in sorted(candidates)
                if moment >= at and not self.is_quiet(moment) and self.on_shift(moment)
            ),
            None,
        )

    def _local(self, at: datetime) -> datetime:
        if at.tzinfo is None:
            raise ValueError("the rota needs timezone-aware instants (the database keeps UTC)")
        return at.astimezone(self.timezone)

    def _instant(self, day: date, minute: int) -> datetime:
        """The first instant (UTC) whose local wall-clock time on `day` is `minute` or later.

        A time that exists twice (clocks going back) gives its first occurrence; a time the
        clocks skip (going forward) gives the moment of the jump.
        """
        wall = datetime.combine(day, time()) + timedelta(minutes=minute)
        after_jump = wall.replace(tzinfo=self.timezone).astimezone(UTC)
        if after_jump.astimezone(self.timezone).replace(tzinfo=None) == wall:
            return after_jump
        before_jump = wall.replace(tzinfo=self.timezone, fold=1).astimezone(UTC)
        step = timedelta(minutes=1)
        steps = range((after_jump - before_jump) // step + 1)
        jump = bisect.bisect_left(
            steps,
            True,
            key=lambda n: (
                (before_jump + n * step).astimezone(self.timezone).replace(tzinfo=None) >= wall
            ),
        )
        return before_jump + jump * step


def _line(problem: Problem) -> int:
    return problem.line


def school_key(name: str) -> str:
    """A school name as compared: users and coordinators differ in case and spacing."""
    return " ".join(name.split()).casefold()


def _hours(duration: timedelta) -> str:
    return f"{duration.total_seconds() / 3600:g}"


def format_clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def longest_time_without_help(
    shifts: tuple[Shift, ...], quiet_hours: QuietHours
) -> tuple[int, int] | None:
    """The longest stretch of the week in which nobody can be pinged (no shift, or quiet
    hours), as (its start in minutes from Monday 00:00, its length in minutes); None when
    there is no such stretch, or no help at all."""
    helped = bytearray(_MINUTES_A_WEEK)
    for shift in shifts:
        if shift.volunteers:
            start = shift.day * _MINUTES_A_DAY
            helped[start + shift.start : start + shift.end] = b"\1" * (shift.end - shift.start)
    quiet = quiet_hours.start, quiet_hours.end
    quiet_parts = [quiet] if quiet[0] < quiet[1] else [(quiet[0], _MINUTES_A_DAY), (0, quiet[1])]
    for day in range(7):
        for start, end in quiet_parts:
            offset = day * _MINUTES_A_DAY
            helped[offset + start : offset + end] = bytes(end - start)
    if 1 not in helped:
        return None
    first = helped.index(1)  # the week turned to start with help, so no stretch wraps round
    turned = bytes(helped[first:] + helped[:first])
    stretches = [(m.start(), m.end() - m.start()) for m in re.finditer(b"\0+", turned)]
    if not stretches:
        return None
    start, length = max(stretches, key=lambda stretch: stretch[1])
    return (start + first) % _MINUTES_A_WEEK, length


class RotaLoadError(Exception):
    """The rota has errors: carries every problem found (warnings too), never a partial rota."""

    def __init__(self, problems: tuple[Problem, ...]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems if p.severity == "error"))


def load_rota(
    path: Path,
    *,
    languages: Collection[str] = KNOWN_LANGUAGES,
    schools: Collection[str] | None = None,
) -> Rota:
    """Read and check a rota file; raises RotaLoadError listing every problem, each at its line.

    `languages` are the ones a volunteer may list (those the helpdesk speaks). `schools`, if
    given, are the names users pick their school from: a volunteer's school outside them is
    a warning, since it could never match a user's.
    """
    try:
        document = read_yaml(path)
    except (YamlSyntaxError, OSError) as error:
        raise RotaLoadError((Problem(path, *why_unreadable(error)),)) from None
    reader = _RotaReader(path, document, languages, schools)
    rota = reader.read()
    problems = tuple(sorted(reader.problems, key=_line))
    if rota is None or any(p.severity == "error" for p in problems):
        raise RotaLoadError(problems)
    return rota


# The fields each part of the file may have: required first, then optional.
_Schema = tuple[tuple[str, ...], tuple[str, ...]]
_TOP = (("volunteers", "shifts"), ("timezone", "coordinators", "escalation", "quiet_hours"))
_VOLUNTEER = (("name", "code", "languages"), ("schools", "skills"))
_COORDINATOR = (("name", "code", "languages"), ())
_SHIFT = (("day", "start", "end", "volunteers"), ())
_ESCALATION = ((), ("levels", "rounds", "expire_after_hours", "first_reply_minutes"))
_LEVEL = (("notify", "timeout_minutes"), ("count",))
_QUIET_HOURS = (("start", "end"), ())


class _RotaReader:
    """Turns a parsed rota file into a Rota, noting every problem instead of stopping at one."""

    def __init__(
        self,
        path: Path,
        document: YamlDocument,
        languages: Collection[str],
        schools: Collection[str] | None,
    ) -> None:
        self.path = path
        self.document = document
        self.languages = languages
        self.schools = None if schools is None else {school_key(s): s for s in schools}
        self.problems: list[Problem] = []
        self.codes: dict[str, tuple[str, YamlPath]] = {}  # code -> (name, where first listed)

    def read(self) -> Rota | None:
        if self.document.value is None:
            self._problem((), "the file is empty: a rota needs at least volunteers: and shifts:")
            return None
        top = self._fields((), "the rota", _TOP)
        if top is None:
            return None
        volunteers = tuple(self._volunteers(top))
        coordinators = tuple(self._coordinators(top))
        shifts = tuple(self._shifts(top, {v.code for v in volunteers}))
        policy = self._policy(top)
        quiet_hours = self._quiet_hours(top)
        timezone = self._timezone(top)
        if not any(p.severity == "error" for p in self.problems):
            # With an entry in error left out, these would only echo that error.
            self._warn_about_gaps(volunteers, shifts)
            self._warn_about_help_away_past_the_expiry(top, shifts, quiet_hours, policy)
        if not coordinators:
            self._problem(
                ("coordinators",),
                "no coordinators: urgent questions and tickets nobody takes have nobody to go to",
                "warning",
            )
        warnings = sorted((p for p in self.problems if p.severity == "warning"), key=_line)
        return Rota(
            volunteers, coordinators, shifts, policy, quiet_hours, timezone, tuple(warnings)
        )

    # --- the parts of the file ---

    def _volunteers(self, top: dict[str, Any]) -> Iterator[Volunteer]:
        items = self._list(top, ("volunteers",))
        if not items and "volunteers" in top:
            self._problem(("volunteers",), "no volunteers are listed: add at least one")
        for index, _ in enumerate(items):
            where = ("volunteers", index)
            fields = self._fields(where, "this volunteer", _VOLUNTEER)
            if fields is None:
                continue
            name, code, languages = self._person(fields, where, "volunteer")
            schools = self._schools(fields, (*where, "schools"))
            skills = frozenset(self._words(fields, (*where, "skills"), lower=True))
            if name and code and languages is not None:
                yield Volunteer(code, name, languages, schools, skills)

    def _schools(self, fields: dict[str, Any], where: YamlPath) -> frozenset[str]:
        names = self._words(fields, where, lower=False)
        for index, name in enumerate(names):
            if self.schools is not None and school_key(name) not in self.schools:
                self._problem(
                    (*where, index),
                    f"school '{name}' is not one users can pick, so it never matches theirs"
                    f"{did_you_mean(name, self.schools.values())}",
                    "warning",
                )
        return frozenset(names)

    def _coordinators(self, top: dict[str, Any]) -> Iterator[Coordinator]:
        for index, _ in enumerate(self._list(top, ("coordinators",))):
            where = ("coordinators", index)
            fields = self._fields(where, "this coordinator", _COORDINATOR)
            if fields is None:
                continue
            name, code, languages = self._person(fields, where, "coordinator")
            if name and code and languages is not None:
                yield Coordinator(code, name, languages)

    def _person(
        self, fields: dict[str, Any], where: YamlPath, role: str
    ) -> tuple[str | None, str | None, frozenset[str] | None]:
        """Name, code and languages, shared by volunteers and coordinators. A code names one
        person: a coordinator who also takes shifts is listed in both places, same code and
        name."""
        name = self._text(fields, (*where, "name"))
        code = self._code(fields, (*where, "code"), name, role)
        languages = self._languages(fields, (*where, "languages"))
        return name, code, languages

    def _code(
        self, fields: dict[str, Any], where: YamlPath, name: str | None, role: str
    ) -> str | None:
        code = self._text(fields, where)
        if code is None:
            return None
        if not _CODE.fullmatch(code):
            self._problem(
                where,
                f"code '{code}' must be at least 4 capital letters, digits or dashes, "
                "e.g. VOL-0042",
            )
            return None
        if code in self.codes:
            other, first = self.codes[code]
            same_person_other_role = first[0] != f"{role}s" and other == name
            if not same_person_other_role:
                line = self.document.line_of(first)
                self._problem(where, f"code '{code}' is already used by {other} on line {line}")
                return None
        else:
            self.codes[code] = (name or "someone", where)
        return code

    def _languages(self, fields: dict[str, Any], where: YamlPath) -> frozenset[str] | None:
        languages = self._words(fields, where, lower=True)
        known = []
        for index, language in enumerate(languages):
            if language in self.languages:
                known.append(language)
            else:
                self._problem(
                    (*where, index),
                    f"unknown language '{language}': the helpdesk speaks "
                    f"{', '.join(self.languages)}{did_you_mean(language, self.languages)}",
                )
        if where[-1] in fields and not languages:
            self._problem(where, "list at least one language, e.g. languages: [it]")
        return frozenset(known) if len(known) == len(languages) and known else None

    def _shifts(self, top: dict[str, Any], volunteer_codes: set[str]) -> Iterator[Shift]:
        for index, _ in enumerate(self._list(top, ("shifts",))):
            where = ("shifts", index)
            fields = self._fields(where, "this shift", _SHIFT)
            if fields is None:
                continue
            day = self._day(fields, (*where, "day"))
            start = self._clock(fields, (*where, "start"), latest=_MINUTES_A_DAY - 1)
            end = self._clock(fields, (*where, "end"), latest=_MINUTES_A_DAY)
            if start is not None and end is not None and end <= start:
                self._problem(
                    (*where, "end"),
                    f"the shift ends at {format_clock(end)}, not after it starts at "
                    f"{format_clock(start)}; shifts cannot cross midnight: split it into "
                    "one ending at 24:00 and one starting at 00:00 the next day",
                )
                end = None
            codes = self._shift_codes(fields, (*where, "volunteers"), volunteer_codes)
            if day is not None and start is not None and end is not None and codes is not None:
                yield Shift(day, start, end, codes)

    def _shift_codes(
        self, fields: dict[str, Any], where: YamlPath, volunteer_codes: set[str]
    ) -> tuple[str, ...] | None:
        codes = self._words(fields, where, lower=False)
        if where[-1] in fields and not codes:
            self._problem(where, "this shift names no volunteers", "warning")
        unknown = [code for code in codes if code not in volunteer_codes]
        for index, code in enumerate(codes):
            name, listed_at = self.codes.get(code, ("", ("",)))
            if code in volunteer_codes or listed_at[0] == "volunteers":
                continue  # a known volunteer, or one whose entry has its own error
            if listed_at[0] == "coordinators":
                hint = (
                    f": {name} is a coordinator; to give them shifts, "
                    "list them under volunteers too, with the same code"
                )
            else:
                hint = did_you_mean(code.upper(), volunteer_codes)
            self._problem((*where, index), f"'{code}' is not the code of any volunteer{hint}")
        return None if unknown else tuple(dict.fromkeys(codes))

    def _policy(self, top: dict[str, Any]) -> EscalationPolicy:
        fields = self._section(top, "escalation", _ESCALATION)
        if fields is None:
            return DEFAULT_POLICY
        levels = DEFAULT_POLICY.levels
        if "levels" in fields:
            items = self._list(fields, ("escalation", "levels"))
            if not items:
                self._problem(("escalation", "levels"), "list at least one escalation step")
            read = [self._level(("escalation", "levels", i)) for i, _ in enumerate(items)]
            levels = tuple(level for level in read if level is not None)
        rounds = DEFAULT_POLICY.rounds
        if "rounds" in fields:
            rounds = self._whole_number(fields, ("escalation", "rounds")) or rounds
        where = ("escalation", "expire_after_hours")
        expire_after = self._duration(fields, where, "hours") or DEFAULT_EXPIRE_AFTER
        first_reply = (
            self._duration(fields, ("escalation", "first_reply_minutes"), "minutes")
            or DEFAULT_FIRST_REPLY
        )
        policy = EscalationPolicy(levels, rounds, expire_after, first_reply)
        if levels and expire_after < policy.one_pass:
            self._problem(
                where if where[-1] in fields else ("escalation",),
                f"tickets expire after {_hours(expire_after)} hour(s), before the escalation "
                f"steps have run through ({_hours(policy.one_pass)} hours): the last steps "
                "would never ping anyone",
                "warning",
            )
        return policy

    def _level(self, where: YamlPath) -> Level | None:
        fields = self._fields(where, "this escalation step", _LEVEL)
        if fields is None:
            return None
        notify = self._text(fields, (*where, "notify"))
        if notify is not None and notify not in NOTIFY_KINDS:
            self._problem(
                (*where, "notify"),
                f"unknown escalation step '{notify}': use best_match, on_shift or coordinators"
                f"{did_you_mean(notify, NOTIFY_KINDS)}",
            )
            notify = None
        count = DEFAULT_BEST_MATCH_COUNT if notify == "best_match" else None
        if "count" in fields:
            if notify == "best_match":
                count = self._whole_number(fields, (*where, "count"))
            elif notify is not None:
                self._problem(
                    (*where, "count"),
                    f"count only applies to best_match: {notify} notifies everyone it names",
                )
        timeout = self._duration(fields, (*where, "timeout_minutes"), "minutes")
        if notify is None or (notify == "best_match" and count is None) or timeout is None:
            return None
        return Level(notify, count, timeout)  # type: ignore[arg-type]

    def _quiet_hours(self, top: dict[str, Any]) -> QuietHours:
        fields = self._section(top, "quiet_hours", _QUIET_HOURS)
        if fields is None:
            return DEFAULT_QUIET_HOURS
        latest = _MINUTES_A_DAY - 1
        start = self._clock(fields, ("quiet_hours", "start"), latest=latest)
        end = self._clock(fields, ("quiet_hours", "end"), latest=latest)
        if start is None or end is None:
            return DEFAULT_QUIET_HOURS
        if start == end:
            self._problem(
                ("quiet_hours", "end"),
                f"quiet hours start and end at the same time ({format_clock(start)})",
            )
        return QuietHours(start, end)

    def _timezone(self, top: dict[str, Any]) -> ZoneInfo:
        name = self._text(top, ("timezone",)) if "timezone" in top else DEFAULT_TIMEZONE
        try:
            return ZoneInfo(name or DEFAULT_TIMEZONE)
        except (ZoneInfoNotFoundError, ValueError):
            # Ignoring case, and strictly: "Europe/Milano" is as close to Minsk as to anything.
            zones = {zone.lower(): zone for zone in available_timezones()}
            near = difflib.get_close_matches((name or "").lower(), zones, n=1, cutoff=0.85)
            hint = f" (did you mean '{zones[near[0]]}'?)" if near else ""
            self._problem(
                ("timezone",),
                f"unknown timezone '{name}'{hint}: use a name such as Europe/Rome",
            )
            return ZoneInfo(DEFAULT_TIMEZONE)

    def _warn_about_gaps(
        self, volunteers: tuple[Volunteer, ...], shifts: tuple[Shift, ...]
    ) -> None:
        """Volunteers in no shift and days without one (call only on a rota without errors,
        where every volunteer listed was read, in order)."""
        in_shifts = {code for shift in shifts for code in shift.volunteers}
        for index, volunteer in enumerate(volunteers):
            if volunteer.code not in in_shifts:
                self._problem(
                    ("volunteers", index),
                    f"{volunteer.name} ({volunteer.code}) is in no shift, "
                    "so the bot will never offer them a ticket",
                    "warning",
                )
        days = {shift.day for shift in shifts if shift.volunteers}
        if len(days) < len(DAYS):
            empty = ", ".join(name for number, name in enumerate(DAYS) if number not in days)
            self._problem(
                ("shifts",),
                f"no shift on {empty}: questions asked then wait for the next shift",
                "warning",
            )

    def _warn_about_help_away_past_the_expiry(
        self,
        top: dict[str, Any],
        shifts: tuple[Shift, ...],
        quiet_hours: QuietHours,
        policy: EscalationPolicy,
    ) -> None:
        """Questions asked when nobody can be pinged until after their expiry expire at once."""
        away = longest_time_without_help(shifts, quiet_hours)
        if away is None or away[1] < policy.expire_after.total_seconds() / 60:
            return
        start, length = away
        escalation = top.get("escalation")
        where: YamlPath = (
            ("escalation", "expire_after_hours")
            if isinstance(escalation, dict) and "expire_after_hours" in escalation
            else ("shifts",)
        )
        day, minute = divmod(start, _MINUTES_A_DAY)
        self._problem(
            where,
            f"nobody can be pinged for {_hours(timedelta(minutes=length))} hours from "
            f"{DAYS[day]} {format_clock(minute)}, longer than tickets may wait "
            f"({_hours(policy.expire_after)} hours, expire_after_hours): questions asked then "
            "expire at once",
            "warning",
        )

    # --- values ---

    def _problem(self, where: YamlPath, message: str, severity: Severity = "error") -> None:
        self.problems.append(Problem(self.path, self.document.line_of(where), message, severity))

    def _value(self, where: YamlPath) -> Any:
        value = self.document.value
        for key in where:
            value = value[key]
        return value

    def _fields(self, where: YamlPath, what: str, schema: _Schema) -> dict[str, Any] | None:
        """The mapping at `where` if it is one; unknown and missing fields are problems."""
        value = self._value(where)
        if not isinstance(value, dict):
            self._problem(
                where, f"{what} must be a set of 'field: value' lines, not {describe(value)}"
            )
            return None
        required, optional = schema
        misspelt = set()
        for key in value:
            if key not in required and key not in optional:
                known = required + optional
                self._problem(
                    (*where, key), f"unknown field '{key}' in {what}{did_you_mean(key, known)}"
                )
                misspelt.add(closest(key, known))
        for key in required:
            if key not in value and key not in misspelt:  # a typo is reported once, above
                self._problem(where, f"{what} is missing the required field '{key}'")
        return value

    def _section(self, top: dict[str, Any], name: str, schema: _Schema) -> dict[str, Any] | None:
        """An optional top-level group of fields; None when absent or not a mapping."""
        return self._fields((name,), name, schema) if name in top else None

    def _list(self, fields: dict[str, Any], where: YamlPath) -> list[Any]:
        value = fields.get(where[-1])
        if value is None or isinstance(value, list):
            return value or []
        self._problem(
            where, f"'{where[-1]}' must be a list (lines starting with '- '), not {describe(value)}"
        )
        return []

    def _text(self, fields: dict[str, Any], where: YamlPath) -> str | None:
        value = fields.get(where[-1])
        if isinstance(value, str) and value.strip():
            return value.strip()
        if where[-1] in fields:
            self._problem(where, f"'{where[-1]}' must be text, not {describe(value)}")
        return None

    def _words(self, fields: dict[str, Any], where: YamlPath, *, lower: bool) -> list[str]:
        """A list of short texts; a single text is read as a list of one."""
        value = fields.get(where[-1])
        if value is None:
            return []
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(i, str | int) for i in items):
            self._problem(
                where, f"'{where[-1]}' must be a list such as [a, b], not {describe(value)}"
            )
            return []
        words = [str(item).strip() for item in items]
        return [word.lower() for word in words] if lower else words

    def _day(self, fields: dict[str, Any], where: YamlPath) -> int | None:
        name = self._text(fields, where)
        if name is None:
            return None
        number = _DAY_NUMBERS.get(name.lower())
        if number is None:
            self._problem(
                where,
                f"unknown day '{name}': write mon, tue, wed, thu, fri, sat or sun "
                "(or lun, mar, mer, gio, ven, sab, dom)",
            )
        return number

    def _clock(self, fields: dict[str, Any], where: YamlPath, *, latest: int) -> int | None:
        """Minutes after midnight of an 'HH:MM' time, up to `latest`."""
        value = fields.get(where[-1])
        if isinstance(value, int) and not isinstance(value, bool) and value >= 60:
            # YAML 1.1 reads an unquoted 13:00 as the base-60 number 780: take it back.
            value = format_clock(value)
        match = _CLOCK.fullmatch(value.strip()) if isinstance(value, str) else None
        if match and int(match[2]) < 60 and int(match[1]) * 60 + int(match[2]) <= latest:
            return int(match[1]) * 60 + int(match[2])
        if where[-1] in fields:
            self._problem(
                where,
                f"{where[-1]} must be a time of day from 00:00 to {format_clock(latest)} "
                f'written hours:minutes (e.g. "08:30"), not {describe(value)}',
            )
        return None

    def _whole_number(self, fields: dict[str, Any], where: YamlPath) -> int | None:
        value = fields.get(where[-1])
        if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
            return value
        self._problem(
            where, f"{where[-1]} must be a whole number of at least 1, not {describe(value)}"
        )
        return None

    def _duration(
        self, fields: dict[str, Any], where: YamlPath, unit: Literal["minutes", "hours"]
    ) -> timedelta | None:
        """A number of `unit` greater than 0; None (a problem, if given) otherwise."""
        value = fields.get(where[-1])
        if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < math.inf:
            return timedelta(**{unit: value})
        if where[-1] in fields:
            self._problem(
                where,
                f"{where[-1]} must be a number of {unit} greater than 0, not {describe(value)}",
            )
        return None
