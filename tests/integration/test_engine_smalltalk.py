"""Small talk: greetings, thanks, vague complaints and wordless messages get a kind word,
never a ticket or a guessed answer."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from escalation.models import QuestionLog, Ticket
from tests.conftest import Desk
from tests.integration.engine_harness import PUPIL, world


async def count(desk: Desk, model: type) -> int:
    async with desk.sessions() as session:
        return await session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize(
    ("message", "reply"),
    [
        ("ciao", "Scrivimi il problema"),
        ("Buongiornooo a tutti!!", "Scrivimi il problema"),
        ("hello", "Scrivimi il problema"),
        ("grazie mille 😊", "Di niente"),
        ("ok grazie ciao", "Di niente"),
        ("thx", "Di niente"),
        ("ok", "Quando vuoi"),
        ("???", "Non ho capito"),
        ("3", "Non ho capito"),
        ("😭😭", "Non ho capito"),
        ("nn funziona niente!!", "Dimmi qualcosa in più"),
        ("il coso nn va", "Dimmi qualcosa in più"),
        ("ho un problema", "Dimmi qualcosa in più"),
        ("aiutoooo", "Dimmi qualcosa in più"),
        ("help, it doesn't work", "Tell me a bit more"),  # clearly English: English
    ],
)
async def test_small_talk_gets_a_reply_and_opens_nothing(desk: Desk, message: str, reply: str):
    chat = world(desk)
    await chat.say(PUPIL, message)
    assert reply in chat.last(PUPIL).text
    assert len(chat.texts(PUPIL)) == 1
    assert await count(desk, Ticket) == 0
    assert await count(desk, QuestionLog) == 0  # not a question: /nonrisposte stays clean


async def test_a_greeting_with_a_question_is_a_question(desk: Desk):
    chat = world(desk)
    await chat.say(PUPIL, "ciao il tablet nn si accende")
    assert "✅ Risolto" in [b.label for b in chat.last(PUPIL).buttons]
    assert await count(desk, QuestionLog) == 1


@pytest.mark.parametrize(
    "question", ["il tablet non funziona", "non sento niente", "non carica", "wifi non va"]
)
async def test_a_complaint_that_names_something_is_a_question(desk: Desk, question: str):
    chat = world(desk)
    await chat.say(PUPIL, question)
    assert "Dimmi qualcosa in più" not in chat.last(PUPIL).text
    assert await count(desk, QuestionLog) == 1


async def test_small_talk_is_answered_in_the_users_language(desk: Desk):
    chat = world(desk)
    await chat.command(PUPIL, "start")
    await chat.press(PUPIL, "English")
    chat.clear()
    await chat.say(PUPIL, "grazie")
    assert chat.last(PUPIL).text.startswith("You're welcome")


async def test_inside_a_ticket_thanks_reach_the_volunteer_not_the_bot(desk: Desk):
    chat = world(desk)
    await chat.say(PUPIL, "voglio parlare con qualcuno")
    await chat.say(PUPIL, "il wifi non va da ieri")
    await chat.say(PUPIL, "grazie")
    assert "Di niente" not in chat.last(PUPIL).text
    assert await count(desk, Ticket) == 1


@pytest.mark.parametrize(
    "message",
    [
        "quanto fa 7 per 8",
        "raccontami una barzelletta",
        "che tempo fa domani a milano",  # entries only like it letter by letter, no word
        "chi era giulio cesare",  # "chi" read as an English word is no shared word
        "qual è la capitale della francia",
    ],
)
async def test_off_topic_says_what_the_bot_is_for_with_a_volunteer_one_tap_away(
    desk: Desk, message: str
):
    chat = world(desk)
    await chat.say(PUPIL, message)
    reply = chat.last(PUPIL)
    assert "Io aiuto con tablet, computer, internet" in reply.text
    assert [b.label for b in reply.buttons] == ["🙋 Parla con un volontario"]
    assert await count(desk, Ticket) == 0

    await chat.press(PUPIL, "Parla con un volontario")
    assert "persona vera" in chat.last(PUPIL).text  # asked to describe: the ticket is next


@pytest.mark.parametrize(
    "message", ["la fotocopiatrice è inceppata", "la lavagna digitale fa un fischio"]
)
async def test_a_device_problem_in_words_the_faq_lacks_goes_to_a_volunteer(
    desk: Desk, message: str
):
    chat = world(desk)
    await chat.say(PUPIL, message)
    assert "persona vera" in chat.last(PUPIL).text  # asked to describe it for a volunteer


async def test_a_child_who_writes_english_is_answered_in_english_from_then_on(desk: Desk):
    chat = world(desk)  # a new user whose Telegram client said nothing: Italian
    await chat.say(PUPIL, "my tablet won't turn on at all")
    assert "✅ Solved" in [b.label for b in chat.last(PUPIL).buttons]
    await chat.say(PUPIL, "grazie")  # no telling words: the language stays English
    assert chat.last(PUPIL).text.startswith("You're welcome")


async def test_a_child_in_danger_writing_english_reads_the_helplines_in_english(desk: Desk):
    chat = world(desk)
    await chat.say(PUPIL, "someone is bullying me in the class chat")
    assert chat.texts(PUPIL)[0].startswith("You did the right thing")
