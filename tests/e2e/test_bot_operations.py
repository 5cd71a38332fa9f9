"""Running the bot for real: reloads, redeliveries, flood waits and the command menu.

Each test goes through the whole bot (PTB over HTTP, the engine, SQLite) and breaks one
thing the way production breaks it.
"""

from __future__ import annotations

from pathlib import Path

from bot.telegram.menu import load_menus
from tests.e2e.bot_harness import Clock, helpdesk_bot, onboard_pupil, replies, said
from tests.e2e.fake_bot_api import FakeBotApi

PUPIL = 4301
CARLA = 5303  # the coordinator of the test rota
TABLET = "il tablet non si accende"
NEW_ENTRY = """\
- id: printer-jam
  questions: {it: [la stampante ha il foglio incastrato]}
  answer: {it: "Apri lo sportello e tira piano il foglio."}
"""


async def test_reload_with_a_broken_faq_keeps_the_old_one_and_a_fixed_one_is_taken(
    fake_bot_api: FakeBotApi, tmp_path: Path, database_url: str
):
    async with helpdesk_bot(fake_bot_api, tmp_path, Clock(), database_url):
        await replies(
            fake_bot_api, CARLA, lambda: fake_bot_api.user_sends(CARLA, "/volunteer COORD-CCCC")
        )
        await onboard_pupil(fake_bot_api, PUPIL)
        broken = tmp_path / "kb" / "printing.yaml"
        broken.write_text(NEW_ENTRY.replace("questions:", "qestions:"), encoding="utf-8")
        (refused,) = await replies(
            fake_bot_api, CARLA, lambda: fake_bot_api.user_sends(CARLA, "/reload")
        )
        assert "printing.yaml" in (refused.text or "") and "qestions" in (refused.text or "")
        (still,) = await replies(
            fake_bot_api, PUPIL, lambda: fake_bot_api.user_sends(PUPIL, TABLET)
        )
        assert "Collega il caricatore" in (still.text or "")

        broken.write_text(NEW_ENTRY, encoding="utf-8")
        (reloaded,) = await replies(
            fake_bot_api, CARLA, lambda: fake_bot_api.user_sends(CARLA, "/reload")
        )
        assert reloaded.text == said("coordinator.reloaded", entries=5)
        (printer,) = await replies(
            fake_bot_api,
            PUPIL,
            lambda: fake_bot_api.user_sends(PUPIL, "la stampante ha il foglio incastrato"),
        )

    assert printer.text == "Apri lo sportello e tira piano il foglio."


async def test_a_redelivered_update_is_answered_once(
    fake_bot_api: FakeBotApi, tmp_path: Path, database_url: str
):
    async with helpdesk_bot(fake_bot_api, tmp_path, Clock(), database_url):
        await onboard_pupil(fake_bot_api, PUPIL)
        asked: list[int] = []
        (answer,) = await replies(
            fake_bot_api, PUPIL, lambda: asked.append(fake_bot_api.user_sends(PUPIL, TABLET))
        )
        fake_bot_api.redeliver(asked[0])  # as Telegram does when a confirmation was lost
        (after,) = await replies(
            fake_bot_api, PUPIL, lambda: fake_bot_api.user_sends(PUPIL, "/privacy")
        )

    # (test_bot_adapter shows the redelivered update does reach the engine, with its id)
    answers = [m for m in fake_bot_api.sent_to(PUPIL) if m.text == answer.text]
    assert len(answers) == 1
    assert after.text != answer.text


async def test_a_flood_wait_on_the_answer_is_retried_and_it_arrives_once(
    fake_bot_api: FakeBotApi, tmp_path: Path, database_url: str
):
    async with helpdesk_bot(fake_bot_api, tmp_path, Clock(), database_url):
        await onboard_pupil(fake_bot_api, PUPIL)
        fake_bot_api.fail_next("sendMessage", status=429, retry_after=1)
        (answer,) = await replies(
            fake_bot_api, PUPIL, lambda: fake_bot_api.user_sends(PUPIL, TABLET)
        )

    assert "Collega il caricatore" in (answer.text or "")
    statuses = [r.status for r in fake_bot_api.calls("sendMessage")]
    assert statuses.count(429) == 1
    assert [m.text for m in fake_bot_api.sent_to(PUPIL)].count(answer.text) == 1


async def test_every_command_in_the_menu_is_understood(
    fake_bot_api: FakeBotApi, tmp_path: Path, database_url: str
):
    async with helpdesk_bot(fake_bot_api, tmp_path, Clock(), database_url):
        for n, (language, commands) in enumerate(load_menus().items(), start=1):
            chat_id = PUPIL + n  # a chat per language: one chat's commands would flood
            for command in commands:
                (reply,) = await replies(
                    fake_bot_api,
                    chat_id,
                    lambda c=command.command, lang=language, chat=chat_id: fake_bot_api.user_sends(
                        chat, f"/{c}", language_code=lang
                    ),
                )
                assert reply.text != said("common.unknown_command", language), command
