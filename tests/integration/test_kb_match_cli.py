"""`helpdesk kb match|ask|test` on a KB written to disk, through bot.cli.main and a subprocess."""

import json
import subprocess
import sys
import textwrap

import pytest

from bot.cli import main
from knowledge_base.cli_match import explain
from knowledge_base.loader import load_kb
from knowledge_base.matcher import Matcher
from knowledge_base.settings import MatchSettings

KB = """\
category: tablet
entries:
  - id: tablet-no-power
    title: {it: Il tablet non si accende, en: The tablet won't turn on}
    questions:
      it: [il tablet non si accende, schermo nero, non parte più]
      en: [my tablet won't turn on]
    answer: {it: Tieni premuto il tasto., en: Hold the power button.}
  - id: printer-jam
    questions:
      it: [la stampante inceppa la carta]
    not_questions:
      it: [la stampante non ha più inchiostro]
    answer: {it: Apri lo sportello e togli il foglio.}
"""


@pytest.fixture
def kb_dir(tmp_path):
    root = tmp_path / "kb"
    root.mkdir()
    (root / "faq.yaml").write_text(KB, encoding="utf-8")
    return root


def write_cases(tmp_path, text):
    path = tmp_path / "cases.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_match_writes_one_json_line_per_query_in_order(kb_dir, monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", iter(["il tablet nn si accende\n", "compiti di storia\n"]))
    assert main(["kb", "match", "--kb", str(kb_dir)]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["query"] for line in lines] == ["il tablet nn si accende", "compiti di storia"]
    assert (lines[0]["action"], lines[0]["id"]) == ("answer", "tablet-no-power")
    assert lines[0]["candidates"][0] == {"id": "tablet-no-power", "score": lines[0]["score"]}
    assert (lines[1]["action"], lines[1]["id"]) == ("escalate", None)


def test_match_runs_as_a_command(kb_dir):
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "kb", "match", "--kb", str(kb_dir), "--lang", "en"],
        input="my tablet wont turn on\n", capture_output=True, text=True, check=True,
    )
    line = json.loads(done.stdout)
    assert (line["action"], line["id"]) == ("answer", "tablet-no-power")


def test_match_on_a_missing_kb_says_why_and_exits_1(tmp_path, capsys):
    assert main(["kb", "match", "--kb", str(tmp_path / "nowhere")]) == 1
    assert "nowhere" in capsys.readouterr().err


def test_ask_explains_the_decision(kb_dir, capsys):
    assert main(["kb", "ask", "la stampante inceppa", "--kb", str(kb_dir)]) == 0
    out = capsys.readouterr().out
    assert "decision: answer printer-jam" in out
    assert "matched words: stampante, inceppa" in out
    assert "answer threshold" in out


def test_ask_explains_an_answer_on_a_lead_in_confidence(kb_dir):
    matcher = Matcher.build(load_kb(kb_dir), MatchSettings(answer_ratio=50.0))
    decision = matcher.match("il tablet non si accende, la stampante sì")  # all of a phrasing
    assert decision.action == "answer" and len(decision.candidates) == 2
    lines = explain(matcher, decision)
    assert "says all of one of its phrasings" in lines[-1]
    assert "if the answer does not help: none close: a volunteer" in lines


def test_ask_says_when_a_not_question_kept_the_entry_from_an_answer(kb_dir, capsys):
    assert main(["kb", "ask", "la stampante è senza inchiostro", "--kb", str(kb_dir)]) == 0
    out = capsys.readouterr().out
    assert "decision: answer" not in out
    assert ('not answered: printer-jam lists "la stampante non ha più inchiostro" under '
            "not_questions") in out


def test_ask_explains_an_escalation(kb_dir, capsys):
    assert main(["kb", "ask", "ciao come stai", "--kb", str(kb_dir)]) == 0
    assert "clarify threshold" in capsys.readouterr().out


def test_test_passes_when_every_case_passes(kb_dir, tmp_path, capsys):
    cases = write_cases(tmp_path, """\
        - query: "il tablet nn si accende"
          expect: tablet-no-power
        - query: "mi aiuti con i compiti di storia?"
          expect: null
        - query: "stampante inceppata"
          expect: [printer-jam, tablet-no-power]
        """)
    assert main(["kb", "test", str(cases), "--kb", str(kb_dir)]) == 0
    assert "3 of 3 cases pass" in capsys.readouterr().out


def test_test_lists_failures_and_exits_1(kb_dir, tmp_path, capsys):
    cases = write_cases(tmp_path, """\
        - query: "il tablet nn si accende"
          expect: printer-jam
        """)
    assert main(["kb", "test", str(cases), "--kb", str(kb_dir)]) == 1
    out = capsys.readouterr().out
    assert "cases.yaml:1" in out
    assert "answered tablet-no-power" in out
    assert "0 of 1 cases pass" in out


@pytest.mark.parametrize("text", [
    "- query: x\n",
    "query: x\nexpect: null\n",
    "- query: [unclosed\n",
    "- query: x\n  expect: no-such-entry\n",
])
def test_test_rejects_a_bad_cases_file_with_exit_2(kb_dir, tmp_path, capsys, text):
    cases = tmp_path / "cases.yaml"
    cases.write_text(text, encoding="utf-8")
    assert main(["kb", "test", str(cases), "--kb", str(kb_dir)]) == 2
    assert "cases.yaml" in capsys.readouterr().err


def test_test_on_a_broken_kb_gives_the_loaders_errors_and_exit_1(tmp_path, capsys):
    root = tmp_path / "kb"
    root.mkdir()
    (root / "faq.yaml").write_text("entries:\n  - id: x\n    qestions: {it: [a]}\n",
                                   encoding="utf-8")
    cases = write_cases(tmp_path, "- query: a\n  expect: null\n")
    assert main(["kb", "test", str(cases), "--kb", str(root)]) == 1
    assert "faq.yaml" in capsys.readouterr().err
