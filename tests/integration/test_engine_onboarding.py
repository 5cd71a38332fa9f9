"""Onboarding: language, role and school in at most three taps; groups get a private link."""

from __future__ import annotations

from bot.actions import Kind, Send
from tests.conftest import Desk
from tests.integration.engine_harness import PUPIL, world


async def test_start_to_first_question_in_three_taps(desk: Desk):
    chat = world(desk)
    await chat.command(PUPIL, "start")
    assert "Ciao" in chat.last(PUPIL).text
    taps = 0
    for label in ("English", "pupil"):
        await chat.press(PUPIL, label)
        taps += 1
    assert "Which school" in chat.last(PUPIL).text
    await chat.say(PUPIL, "console")  # typing a few letters narrows the list
    assert [b.label for b in chat.last(PUPIL).buttons] == [
        "🏫 IC Via Console Marcello",
        "🤷 I don't know",
    ]
    await chat.press(PUPIL, "Console")
    taps += 1
    assert taps <= 3
    assert "tell me the problem" in chat.last(PUPIL).text

    user = await desk.users.get_or_create_user(PUPIL, "it")
    assert (user.language, user.role, user.school, user.state) == (
        "en", "pupil", "IC Via Console Marcello", "ready"
    )


async def test_a_child_may_skip_the_school(desk: Desk):
    chat = world(desk)
    await chat.command(PUPIL, "start")
    await chat.press(PUPIL, "alunno")
    await chat.press(PUPIL, "Non lo so")
    user = await desk.users.get_or_create_user(PUPIL, "it")
    assert (user.role, user.school, user.state) == ("pupil", None, "ready")


async def test_a_question_typed_during_onboarding_is_answered(desk: Desk):
    chat = world(desk)
    await chat.command(PUPIL, "start")
    await chat.say(PUPIL, "il tablet non si accende")
    assert "caricatore" in chat.last(PUPIL).text
    assert "Risolto" in chat.last(PUPIL).buttons[0].label


async def test_settings_change_the_role_later(desk: Desk):
    chat = world(desk)
    await chat.command(PUPIL, "start")
    await chat.press(PUPIL, "alunno")
    await chat.press(PUPIL, "Non lo so")
    await chat.command(PUPIL, "impostazioni")
    await chat.press(PUPIL, "insegnante")
    user = await desk.users.get_or_create_user(PUPIL, "it")
    assert user.role == "teacher"


async def test_a_group_chat_only_gets_a_private_link(desk: Desk):
    chat = world(desk)
    actions = await chat.incoming(-500, Kind.COMMAND, command="start", private=False)
    assert len(actions) == 1 and isinstance(actions[0], Send)
    assert "https://t.me/scuola_test_bot?start=group" in actions[0].text


async def test_a_redelivered_update_is_ignored(desk: Desk):
    from bot.actions import Incoming

    chat = world(desk)
    update = Incoming(7, PUPIL, Kind.COMMAND, command="start")
    assert await chat.engine.handle(update)
    assert await chat.engine.handle(update) == []
