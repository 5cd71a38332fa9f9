from pathlib import Path

import pytest

from bot.cli import build_parser, main


def test_helpdesk_lists_the_kb_command():
    assert "kb" in build_parser().format_help()


@pytest.mark.parametrize(
    "command", [["gaps"], ["tickets", "list"], ["tickets", "show", "T-0001"], ["db", "purge"]]
)
def test_a_database_command_on_a_fresh_clone_says_so_and_leaves_no_file_behind(
    command: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)

    assert main(command) == 1
    assert capsys.readouterr().err == (
        "helpdesk: there is no database at sqlite+aiosqlite:///helpdesk.sqlite3 "
        "(helpdesk.sqlite3 does not exist): create it with `helpdesk db upgrade`, or give "
        "--database-url or DATABASE_URL\n"
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("url", ["helpdesk.sqlite3", "sqlite:helpdesk", "mysql+nodriver://x"])
def test_a_database_url_that_is_not_one_is_a_usage_error(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    monkeypatch.chdir(tmp_path)
    assert main(["tickets", "list", "--database-url", url]) == 2
    assert capsys.readouterr().err.startswith(
        "helpdesk: --database-url or $DATABASE_URL is not a database URL such as "
    )
    assert list(tmp_path.iterdir()) == []
