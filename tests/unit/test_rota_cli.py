"""`helpdesk rota check` and `helpdesk rota show`, run through the real entry point."""

from __future__ import annotations

import textwrap

import pytest

from bot.cli import main
from escalation.rota import SHIPPED_ROTA

BROKEN = """\
volunteers:
  - {name: Ada Verdi, code: ADA-0001, languages: [it]}
  - {name: Carlo Blu, code: ADA-0001, languages: [it]}
shifts:
  - {day: mon, start: "08:00", end: "25:00", volunteers: [ADA-0001]}
"""


def run(capsys, *argv: str) -> tuple[int, list[str]]:
    code = main(["rota", *argv])
    return code, capsys.readouterr().out.splitlines()


def test_check_passes_the_shipped_rota_and_shows_its_warning(capsys):
    code, lines = run(capsys, "check")

    assert code == 0
    assert lines == [
        f"{SHIPPED_ROTA}:171: warning: no shift on sun: questions asked then wait for the next "
        "shift",
        f"{SHIPPED_ROTA}: OK: 13 volunteers, 3 coordinators, 11 shifts; 1 warning",
    ]


def test_check_with_a_broken_school_list_names_its_problem_and_fails(tmp_path, capsys):
    schools = tmp_path / "schools.yaml"
    schools.write_text("schools:\n  - IC Giacosa\n  - also: [Giacosa]\n", encoding="utf-8")

    code, lines = run(capsys, "check", str(SHIPPED_ROTA), "--schools", str(schools))

    assert code == 1
    assert lines[0].startswith(f"{schools}:3: error: ") and "'name'" in lines[0]
    assert lines[-1] == f"{schools}: 1 error: the rota is not checked"


def test_check_warns_about_schools_users_cannot_pick(tmp_path, capsys):
    schools = tmp_path / "schools.yaml"
    schools.write_text("schools: [IC Giacosa, IC Cadorna]\n", encoding="utf-8")

    code, lines = run(capsys, "check", str(SHIPPED_ROTA), "--schools", str(schools))

    assert code == 0
    assert lines[0] == (
        f"{SHIPPED_ROTA}:96: warning: school 'Scuola primaria Via Dolci' is not one users can "
        "pick, so it never matches theirs"
    )
    assert lines[-1] == f"{SHIPPED_ROTA}: OK: 13 volunteers, 3 coordinators, 11 shifts; 10 warnings"


def test_check_lists_every_problem_at_its_line_and_fails(tmp_path, capsys):
    path = tmp_path / "rota.yaml"
    path.write_text(BROKEN, encoding="utf-8")

    code, lines = run(capsys, "check", str(path))

    assert code == 1
    assert lines == [
        f"{path}:3: error: code 'ADA-0001' is already used by Ada Verdi on line 2",
        f"{path}:5: error: end must be a time of day from 00:00 to 24:00 written hours:minutes "
        "(e.g. \"08:30\"), not the text '25:00'",
        f"{path}:1: warning: no coordinators: urgent questions and tickets nobody takes have "
        "nobody to go to",
        f"{path}: 2 errors, 1 warning",
    ]


def test_check_of_a_missing_file_fails_naming_it(tmp_path, capsys):
    path = tmp_path / "missing.yaml"

    code, lines = run(capsys, "check", str(path))

    assert code == 1
    assert lines == [
        f"{path}: error: cannot read the file: No such file or directory",
        f"{path}: 1 error, 0 warnings",
    ]


def test_show_lists_who_is_on_shift_at_a_local_time(capsys):
    code, lines = run(capsys, "show", "--at", "2026-12-01T10:00")

    assert code == 0
    assert lines == [
        "Tue 2026-12-01 10:00 Europe/Rome (09:00 UTC)",
        "quiet hours 21:00-07:30: no",
        "on shift: 3",
        "  Omar Haddad (OH8W-3LTB)  en, it  schools: IC Via Palmieri, Scuola primaria Via "
        "Dolci  skills: accounts, pc",
        "  Francesca Longo (FL4P-7RKY)  it  schools: IC Via Cesari  skills: school-apps",
        "  Davide Mariani (DM3X-5GWE)  it  schools: IC Via Console Marcello  skills: pc, tablet",
    ]


def test_show_in_quiet_hours_says_when_help_comes_back(capsys):
    code, lines = run(capsys, "show", str(SHIPPED_ROTA), "--at", "2026-11-28T22:00:00+00:00")

    assert code == 0
    assert lines == [
        "Sat 2026-11-28 23:00 Europe/Rome (22:00 UTC)",
        "quiet hours 21:00-07:30: yes",
        "on shift: nobody",
        "next help: Mon 2026-11-30 08:00 Europe/Rome",
    ]


def test_show_when_no_shift_is_ever_outside_quiet_hours(tmp_path, capsys):
    path = tmp_path / "rota.yaml"
    path.write_text(
        textwrap.dedent("""\
            volunteers:
              - {name: Ada Verdi, code: ADA-0001, languages: [it]}
            shifts:
              - {day: mon, start: "22:00", end: "23:00", volunteers: [ADA-0001]}
            """),
        encoding="utf-8",
    )

    code, lines = run(capsys, "show", str(path), "--at", "2026-11-30T22:30")

    assert code == 0
    assert lines[1:] == [
        "quiet hours 21:00-07:30: yes",
        "on shift: 1",
        "  Ada Verdi (ADA-0001)  it",
        "next help: never (no shift outside quiet hours)",
    ]


def test_show_refuses_a_broken_rota(tmp_path, capsys):
    path = tmp_path / "rota.yaml"
    path.write_text(BROKEN, encoding="utf-8")

    code, lines = run(capsys, "show", str(path))

    assert code == 1
    assert lines[-1] == f"{path}: 2 errors, 1 warning"


def test_show_rejects_a_time_it_cannot_read(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["rota", "show", "--at", "tuesday morning"])

    assert exited.value.code == 2
    assert "'tuesday morning' is not a date and time such as 2026-12-01T09:30" in (
        capsys.readouterr().err
    )
