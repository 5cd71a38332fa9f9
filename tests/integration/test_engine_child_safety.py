"""Gaps closed in "safe for children": urgent help in a waiting ticket, quiet logs, blocked users.

Each test drives the real engine on the real escalation service and database, as the adapter
would.
"""

from __future__ import annotations

import logging

import pytest

from bot.safeguarding import SafeguardingDetector, Trigger
from tests.conftest import Desk
from tests.integration.engine_harness import world

PUPIL = 734_215_987  # distinctive digits, to be sure they appear nowhere else
SECRET = "sono Giulietta Bianchi zzzplugh"


class QuotingDetector(SafeguardingDetector):
    """A detector that fails the way a database error does: quoting the text and the chat."""

    def __init__(self) -> None:
        pass

    def check(self, text: str, lang: str | None) -> Trigger | None:
        raise ValueError(f"parameters ({PUPIL}, {text!r}) violate a constraint")


async def test_a_failing_handler_logs_neither_the_text_nor_the_chat_id(
    desk: Desk, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.DEBUG, logger="bot")
    chat = world(desk, safeguarding=QuotingDetector())
    actions = await chat.say(PUPIL, SECRET)

    assert len(actions) == 1 and "Giulietta" not in actions[0].text  # type: ignore[union-attr]
    failures = [r for r in caplog.records if "failed" in r.getMessage()]
    assert failures and "ValueError" in failures[0].getMessage()  # the type and frames stay
    assert "_user_message" in failures[0].getMessage()
    logged = caplog.text + " ".join(str(r.args) for r in caplog.records)
    assert "zzzplugh" not in logged and "Giulietta" not in logged
    assert str(PUPIL) not in logged
