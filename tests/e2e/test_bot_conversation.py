"""A pupil's conversation through the whole bot: PTB over HTTP, the engine, SQLite.

Onboarding, an answer that works, an answer that does not (next best, then a volunteer),
and a question the bot is unsure about. The FAQ is the small test one in `bot_harness`.
"""

from __future__ import annotations

from pathlib import Path

from tests.e2e.bot_harness import (
    Clock,
    button,
    helpdesk_bot,
    onboard_pupil,
    press,
    replies,
    said,
)
from tests.e2e.fake_bot_api import FakeBotApi

PUPIL = 4101
VOLUNTEERS = (5101, 5102)


async def test_onboarding_asks_role_and_school_with_buttons_and_then_for_the_problem(
    fake_bot_api: FakeBotApi, tmp_path: Path, database_url: str
):
    async with helpdesk_bot(fake_bot_api, tmp_path, Clock(), database_url):
        (welcome,) = await replies(
            fake_bot_api, PUPIL, lambda: fake_bot_api.user_sends(PUPIL, "/start")
        )
        assert welcome.text == said("onboarding.welcome")
        assert button(welcome, "lang:", "en") and button(welcome, "role:", "teacher")

        (english,) = await press(fake_bot_api, PUPIL, welcome, "lang:", "en")
        assert english.text == said("onboarding.welcome", "en")  # the same step, in English
        (schools,) = await press(fake_bot_api, PUPIL, english, "role:pupil")
        assert [label for row in schools.buttons for label, _ in row][-1] == said(
            "onboarding.school_unknown", "en"
        )
        (ready,) = await press(fake_bot_api, PUPIL, schools, "school:skip")

    assert ready.text == said("onboarding.ready", "en")
    assert len(fake_bot_api.callback_answers) == 3  # every press stopped its spinner


async def test_a_question_answered_from_the_faq_then_solved(
    fake_bot_api: FakeBotApi, tmp_path: Path, database_url: str
):
    async with helpdesk_bot(fake_bot_api, tmp_path, Clock(), database_url):
        await onboard_pupil(fake_bot_api, PUPIL)
        (answer,) = await replies(
            fake_bot_api, PUPIL, lambda: fake_bot_api.user_sends(PUPIL, "il tablet nn si accende")
        )
        assert answer.text is not None and "Collega il caricatore" in answer.text
        assert "\n2. Tieni premuto" in answer.text  # the steps keep their lines
        (glad,) = await press(fake_bot_api, PUPIL, answer, "fb:", ":ok")

    assert glad.text == said("question.glad")


async def test_not_solved_gets_the_next_best_answer_then_a_volunteer(
    fake_bot_api: FakeBotApi, tmp_path: Path, database_url: str
):
    async with helpdesk_bot(fake_bot_api, tmp_path, Clock(), database_url):
        for volunteer, code in zip(VOLUNTEERS, ("VOL-AAAA", "VOL-BBBB"), strict=True):
            await replies(
                fake_bot_api,
                volunteer,
                lambda v=volunteer, c=code: fake_bot_api.user_sends(v, f"/volunteer {c}"),
            )
        await onboard_pupil(fake_bot_api, PUPIL)
        # answered with the power fix; the charging one is close behind, so worth a try
        question = "la batteria del tablet è a zero e non si accende"
        (answer,) = await replies(
            fake_bot_api, PUPIL, lambda: fake_bot_api.user_sends(PUPIL, question)
        )
        assert answer.text is not None and "Collega il caricatore" in answer.text
        sorry, next_best = await press(fake_bot_api, PUPIL, answer, "fb:", ":no", count=2)
        assert sorry.text == said("question.try_next")
        assert next_best.text == "Prova un'altra presa e un altro cavo."
        (describe,) = await press(fake_bot_api, PUPIL, next_best, "fb:", ":no")
        assert describe.text == said("ticket.describe")

        await replies(
            fake_bot_api,
            PUPIL,
            lambda: fake_bot_api.user_sends(PUPIL, "il tablet resta nero anche col caricatore"),
        )
        await fake_bot_api.wait_for(
            "sendMessage", lambda r: r.chat_id in VOLUNTEERS and "take:" in str(r.params), count=2
        )

    for volunteer in VOLUNTEERS:
        ping = fake_bot_api.sent_to(volunteer)[-1]
        assert ping.text is not None and "il tablet resta nero anche col caricatore" in ping.text
        assert button(ping, "take:") and button(ping, "pass:")
        assert str(PUPIL) not in ping.text  # volunteers see a pseudonym, never the chat


async def test_an_unsure_match_offers_the_candidates_as_buttons(
    fake_bot_api: FakeBotApi, tmp_path: Path, database_url: str
):
    async with helpdesk_bot(fake_bot_api, tmp_path, Clock(), database_url):
        await onboard_pupil(fake_bot_api, PUPIL)
        (choice,) = await replies(
            fake_bot_api, PUPIL, lambda: fake_bot_api.user_sends(PUPIL, "internet non va")
        )
        assert choice.text == said("question.clarify")
        options = {label: data for row in choice.buttons for label, data in row}
        assert set(options) == {
            "Il wifi della scuola",
            "Il wifi di casa",
            said("question.none_button"),
        }
        home = options["Il wifi di casa"]
        (answer,) = await replies(
            fake_bot_api, PUPIL, lambda: fake_bot_api.user_presses(PUPIL, choice.message_id, home)
        )

    assert answer.text == "Spegni e riaccendi il modem di casa."
    assert button(answer, "fb:", ":ok")


async def test_in_a_group_the_bot_only_offers_a_private_chat(
    fake_bot_api: FakeBotApi, tmp_path: Path, database_url: str
):
    group = -4100
    async with helpdesk_bot(fake_bot_api, tmp_path, Clock(), database_url):
        (reply,) = await replies(
            fake_bot_api,
            group,
            lambda: fake_bot_api.user_sends(group, "/start@scuola_helpdesk_bot", chat_type="group"),
        )

    assert reply.html is not None and "https://t.me/scuola_helpdesk_bot?start=group" in reply.html
