"""`helpdesk demo` driven like a user would pipe it: an answer, then a ping and a relay."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CONVERSATION = """\
il tablet non si accende
1
voglio parlare con qualcuno
la lavagna digitale fischia
/come volontario
1
ciao, ti aiuto io
/come alunno
grazie!
"""


def run_demo(stdin: str, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "demo", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=cwd,
    )


def test_the_demo_answers_the_pupil_and_pings_the_volunteer():
    result = run_demo(CONVERSATION)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "Prova il bot" in lines[0] and "/come volontario" in lines[1]
    pupil = [line for line in lines if line.startswith("[all'alunno]")]
    volunteer = [line for line in lines if line.startswith("[al volontario ")]
    assert any("caricatore" in line for line in pupil)  # the FAQ's answer
    assert any("Evviva" in line for line in pupil)  # button 1 pressed: solved
    assert any("T-0001" in line for line in volunteer)  # the ping
    assert any("la lavagna digitale fischia" in line for line in volunteer)
    assert "    [1] ✋ Prendo io  [2] ↪️ Passo" in lines
    assert any("(copia) ciao, ti aiuto io" in line for line in pupil)  # relayed as a copy
    assert any("(copia) grazie!" in line for line in volunteer)


def test_numbers_press_only_the_last_messages_buttons_and_photos_are_pretend_both_ways():
    result = run_demo(
        "il tablet non si accende\n7\nvoglio parlare con qualcuno\nla lavagna fischia\n1\n"
        "/foto\n/come volontario\n1\n/foto ecco\n"
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    refused = [line for line in lines if "non c'è un pulsante" in line]
    assert [r.split("pulsante ")[1][0] for r in refused] == ["7", "1"]  # "Manda così" is old
    assert "Domanda: 7" not in result.stdout and "(copia) 1" not in result.stdout
    pupil = [line for line in lines if line.startswith("[all'alunno]")]
    volunteer = [line for line in lines if line.startswith("[al volontario ")]
    assert "[all'alunno] (copia) 📷 [una foto finta]" in pupil  # the volunteer's photo ...
    assert "[all'alunno] ecco" in pupil  # ... with its caption
    assert "[al volontario Giulia Ferraris] (copia) 📷 [una foto finta]" in volunteer  # pupil's
    assert not any("/foto" in line for line in pupil + volunteer)


def test_the_demo_exits_cleanly_at_once_on_empty_input():
    result = run_demo("")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("\n") == 2  # just the two lines of explanation


def test_a_broken_faq_and_rota_get_their_problems_and_exit_1_before_the_demo_starts(
    tmp_path: Path,
):
    (tmp_path / "kb").mkdir()
    (tmp_path / "kb" / "a.yaml").write_text(
        "- id: a\n  questions: {it: [ciao, salve]}\n  answer: {it: x}\n  qestions: 1\n",
        encoding="utf-8",
    )
    (tmp_path / "rota.yaml").write_text("volunteers: []\nshifts: []\n", encoding="utf-8")

    result = run_demo(CONVERSATION, "--kb", "kb", "--rota", "rota.yaml", cwd=tmp_path)

    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr.splitlines() == [
        "cannot load the KB in kb:",
        "  kb/a.yaml:4: entry 'a': unknown field 'qestions' (did you mean 'questions'?)",
        "cannot load the rota in rota.yaml:",
        "  rota.yaml:1: no volunteers are listed: add at least one",
    ]
