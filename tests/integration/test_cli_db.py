"""`helpdesk db ...` and `helpdesk tickets ...` on both databases: output and exit codes."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from bot.cli import main
from escalation.api import Outcome
from escalation.db import create_engine, session_factory
from escalation.service import SqlEscalationService
from escalation.users import SqlUserStore
from tests.conftest import MONDAY_10, TEST_POLICY, FakeClock, RotaHolder, make_rota


def _open_a_ticket(url: str, rota: RotaHolder | None = None, **service_options: object) -> str:
    async def run() -> str:
        engine = create_engine(url)
        try:
            sessions = session_factory(engine)
            user = await SqlUserStore(sessions).get_or_create_user(5, "it")
            service = SqlEscalationService(sessions, rota or RotaHolder(), **service_options)
            ticket, _ = await service.open_ticket(user.id, "il   tablet\nnon si accende")
            return ticket.number
        finally:
            await engine.dispose()

    return asyncio.run(run())


def test_upgrade_list_show_and_purge(database_url: str, capsys: pytest.CaptureFixture[str]):
    assert main(["db", "upgrade", "--database-url", database_url]) == 0
    number = _open_a_ticket(database_url)
    capsys.readouterr()

    assert main(["tickets", "list", "--database-url", database_url]) == 0
    listed = capsys.readouterr().out
    assert main(["tickets", "list", "--status", "closed", "--database-url", database_url]) == 0
    none_closed = capsys.readouterr().out
    assert main(["tickets", "show", number.lower(), "--database-url", database_url]) == 0
    shown = capsys.readouterr().out
    assert main(["db", "purge", "--days", "0", "--database-url", database_url]) == 0
    purged = capsys.readouterr().out

    assert number in listed and "il tablet non si accende" in listed
    assert none_closed == ""
    assert shown.startswith(f"{number}  ")
    assert "opened" in shown and "expires_at" in shown
    assert purged.startswith("purged 0 ticket(s)")  # the ticket is still open


def test_expired_tickets_are_listed_with_when_they_ended(
    database_url: str, capsys: pytest.CaptureFixture[str]
):
    assert main(["db", "upgrade", "--database-url", database_url]) == 0
    one_hour = replace(TEST_POLICY, expire_after=timedelta(hours=1))
    night = FakeClock(MONDAY_10 + timedelta(hours=13))  # nobody on shift within the hour
    number = _open_a_ticket(
        database_url, rota=RotaHolder(make_rota(policy=one_hour)), clock=night
    )
    capsys.readouterr()

    assert main(["tickets", "list", "--status", "expired", "--database-url", database_url]) == 0
    listed = capsys.readouterr().out
    assert main(["tickets", "show", number, "--database-url", database_url]) == 0
    shown = capsys.readouterr().out

    assert number in listed and " expired " in listed
    assert shown.startswith(f"{number}  expired")
    assert "closed_at: 2026-11-30 22:00:00 UTC" in shown
    assert "system expired" in shown


def test_show_unknown_ticket_exits_1(database_url: str, capsys: pytest.CaptureFixture[str]):
    assert main(["db", "upgrade", "--database-url", database_url]) == 0

    assert main(["tickets", "show", "T-9999", "--database-url", database_url]) == 1
    assert "no ticket T-9999" in capsys.readouterr().err


def test_a_database_without_schema_exits_1(database_url: str, capsys: pytest.CaptureFixture[str]):
    assert main(["tickets", "list", "--database-url", database_url]) == 1
    assert "helpdesk db upgrade" in capsys.readouterr().err


def test_database_url_comes_from_the_environment(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert main(["db", "upgrade"]) == 0
    assert main(["tickets", "list"]) == 0


def test_negative_days_is_a_usage_error(capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit) as exit_:
        main(["db", "purge", "--days", "-1"])
    assert exit_.value.code == 2
    assert "days must be 0 or more" in capsys.readouterr().err


def _log_questions(url: str, questions: list[tuple[str, str | None, Outcome | None]]) -> None:
    async def run() -> None:
        engine = create_engine(url)
        try:
            users = SqlUserStore(session_factory(engine))
            user = await users.get_or_create_user(6, "it")
            for text, entry_id, outcome in questions:
                await users.log_question(user.id, text, "match", entry_id, outcome)
        finally:
            await engine.dispose()

    asyncio.run(run())


def test_gaps_counts_the_same_words_together_and_writes_cases_to_label(
    database_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
):
    assert main(["db", "upgrade", "--database-url", database_url]) == 0
    capsys.readouterr()
    assert main(["gaps", "--database-url", database_url]) == 0
    empty = capsys.readouterr().out
    _log_questions(database_url, [
        ("Il tablet SCOTTA!!", "tablet-slow", Outcome.NOT_SOLVED),
        ("il tablet scotta", None, Outcome.ESCALATED),
        ("come creo un corso", None, Outcome.ESCALATED),
        ("il wifi non va", "wifi-cant-connect", Outcome.SOLVED),
    ])

    assert main(["gaps", "--database-url", database_url]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert main(["gaps", "--cases", "--database-url", database_url]) == 0
    cases_file = tmp_path / "gaps.yaml"
    cases_file.write_text(capsys.readouterr().out, encoding="utf-8")

    assert empty.startswith("no unsolved questions")
    assert listed[1:] == [
        "    2x  Il tablet SCOTTA!!  (the bot suggested tablet-slow)",
        "    1x  come creo un corso",
    ]
    cases = yaml.safe_load(cases_file.read_text(encoding="utf-8"))
    assert cases == [
        {"query": "Il tablet SCOTTA!!", "expect": None},
        {"query": "come creo un corso", "expect": None},
    ]
    # the file is a cases file `helpdesk kb test` reads (each case fails or passes, no error)
    assert main(["kb", "test", str(cases_file)]) in (0, 1)  # 2 would be a bad file
