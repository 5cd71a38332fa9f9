from bot.cli import build_parser


def test_helpdesk_lists_the_kb_command():
    assert "kb" in build_parser().format_help()
