"""`helpdesk kb check` and `helpdesk kb stats`: what a maintainer sees, and the exit codes."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bot.cli import main
from tests.unit.kb_files import EVAL_KB, write_kb_file

TWO_ENTRIES = """\
category: tablet
entries:
  - id: tablet-no-power
    questions:
      it: [il tablet non si accende, schermo nero, non parte]
      en: [my tablet does not turn on, black screen]
    answer: {it: Collega il caricatore., en: Plug in the charger.}
    keywords: [batteria, Power]
    title: {it: Il tablet non si accende, en: The tablet won't turn on}
  - id: tablet-slow
    questions:
      it: [il tablet è lento, va piano]
      en: [the tablet is slow, it lags]
    answer: {it: Riavvialo., en: Restart it.}
    keywords: [lento, power]
    title: {it: Il tablet è lento, en: The tablet is slow}
"""
ONE_PHRASING = """\
- id: wifi-down
  category: connectivity
  questions:
    it: [il wifi non va]
  answer: {it: Riavvia il router.}
  title: {it: Il wifi non va}
"""


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str]]:
    code = main(argv)
    return code, capsys.readouterr().out.splitlines()


def test_check_passes_a_good_kb(capsys):
    assert run(capsys, "kb", "check", str(EVAL_KB)) == (
        0,
        ["OK: 41 entries in 7 files, no warnings"],
    )


def test_check_passes_the_shipped_faq_by_default(capsys):
    code, lines = run(capsys, "kb", "check")
    assert code == 0
    assert lines[-1].startswith("OK: ")


def test_check_prints_errors_first_then_warnings_then_a_summary(capsys):
    write_kb_file("a.yaml", TWO_ENTRIES)
    write_kb_file("b.yaml", ONE_PHRASING + "- id: Wifi Slow\n  questions: {it: [lento]}\n")
    assert run(capsys, "kb", "check", "kb") == (
        1,
        [
            "kb/b.yaml:7: error: entry 'Wifi Slow': the id 'Wifi Slow' may contain only "
            "lowercase letters, digits and '-', e.g. 'wifi-slow'",
            "kb/b.yaml:7: error: entry 'Wifi Slow': missing required field 'answer'",
            "kb/b.yaml:3: warning: entry 'wifi-down': no 'en' questions, while 2 of 3 entries "
            "have them",
            "kb/b.yaml:4: warning: entry 'wifi-down': 'questions.it' has only one phrasing; "
            "a few other wordings help the bot recognise the question",
            "2 errors, 2 warnings in 1 file",
        ],
    )


def test_warnings_pass_unless_strict(capsys):
    write_kb_file("a.yaml", TWO_ENTRIES + textwrap.indent(ONE_PHRASING, "  "))
    code, lines = run(capsys, "kb", "check", "kb")
    assert (code, lines[-1]) == (0, "OK: 3 entries in 1 file, 2 warnings")
    code, lines = run(capsys, "kb", "check", "--strict", "kb")
    assert (code, lines[-1]) == (
        1,
        "0 errors, 2 warnings in 1 file (--strict: warnings fail the check)",
    )


def test_check_of_a_missing_directory(capsys):
    assert run(capsys, "kb", "check", "nowhere") == (
        1,
        [
            "nowhere: error: no such directory: give the directory that holds the FAQ files",
            "1 error, 0 warnings in 1 file",
        ],
    )


def test_stats_shows_categories_languages_phrasings_and_keywords(capsys):
    write_kb_file("a.yaml", TWO_ENTRIES)
    write_kb_file("more/b.yaml", ONE_PHRASING)
    write_kb_file(
        "_synonyms.yaml", "it:\n  - [tablet, tab]\n  - [lento, piano]\nen:\n  - [slow, laggy]\n"
    )
    assert run(capsys, "kb", "stats", "kb") == (
        0,
        [
            "kb: 3 entries in 3 files",
            "",
            "category      entries  it  en",
            "connectivity        1   1   0",
            "tablet              2   2   2",
            "all                 3   3   2",
            "",
            "phrasings per entry: min 1, median 4, max 5",
            "fewest phrasings: wifi-down (1), tablet-slow (4), tablet-no-power (5)",
            "no 'en' questions: wifi-down",
            "keywords: 4 (3 different), in 2 of 3 entries",
            "synonym groups: it 2, en 1",
        ],
    )


def test_stats_of_a_broken_kb_lists_its_errors(capsys):
    write_kb_file("a.yaml", "- id: tablet-no-power\n")
    code = main(["kb", "stats", "kb"])
    assert code == 1
    assert capsys.readouterr().err.splitlines() == [
        "cannot load the KB in kb:",
        "  kb/a.yaml:1: entry 'tablet-no-power': missing required field 'questions'",
        "  kb/a.yaml:1: entry 'tablet-no-power': missing required field 'answer'",
        "run `helpdesk kb check` for the details",
    ]


def test_the_installed_helpdesk_command_checks_a_kb():
    write_kb_file("a.yaml", TWO_ENTRIES.replace("answer: {it: Riavvialo., en: Restart it.}", ""))
    helpdesk = Path(sys.executable).parent / "helpdesk"
    result = subprocess.run(
        [str(helpdesk), "kb", "check", "kb"], capture_output=True, text=True, check=False
    )
    assert (result.returncode, result.stdout.splitlines()) == (
        1,
        [
            "kb/a.yaml:10: error: entry 'tablet-slow': missing required field 'answer'",
            "1 error, 0 warnings in 1 file",
        ],
    )


def test_a_cases_file_that_is_not_yaml_is_located_like_a_faq_file(capsys):
    Path("cases.yaml").write_text("- query: il tablet\n  expect: [tablet-no-power\n")
    assert main(["kb", "test", "cases.yaml"]) == 2
    assert capsys.readouterr().err == (
        "cases.yaml:2: invalid YAML: a '[' list opened on this line is never closed with ']'\n"
    )
