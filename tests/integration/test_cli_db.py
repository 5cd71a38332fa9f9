"""`helpdesk db ...` and `helpdesk tickets ...` on both databases: output and exit codes."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

import pytest

from bot.cli import main
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
