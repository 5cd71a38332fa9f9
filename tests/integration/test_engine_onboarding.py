"""Onboarding: language, role and school in at most three taps; groups get a private link."""

from __future__ import annotations

from bot.actions import Kind, Send
from bot.engine.schools import Schools, load_schools
from tests.conftest import Desk
from tests.integration.engine_harness import PUPIL, World, world


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


async def choosing_school(chat, role: str = "alunno") -> None:
    await chat.command(PUPIL, "start")
    await chat.press(PUPIL, role)


async def test_a_misspelt_or_wrapped_school_name_is_found(desk: Desk):
    chat = world(desk)
    await choosing_school(chat)
    await chat.say(PUPIL, "giacossa")
    assert [b.label for b in chat.last(PUPIL).buttons] == ["🏫 IC Giacosa", "🤷 Non lo so"]
    await picked_by_typing(desk, chat, "la scuola di via console marcello",
                           "IC Via Console Marcello")


async def picked_by_typing(desk: Desk, chat: World, typed: str, school: str) -> None:
    """`typed` offers `school` alone (and "Non lo so"); pressing it keeps it as the school."""
    await chat.say(PUPIL, typed)
    assert [b.label for b in chat.last(PUPIL).buttons] == [f"🏫 {school}", "🤷 Non lo so"]
    await chat.press(PUPIL, school)
    user = await desk.users.get_or_create_user(PUPIL, "it")
    assert (user.school, user.state) == (school, "ready")


async def test_an_unknown_school_is_asked_again_never_sent_to_a_volunteer(desk: Desk):
    chat = world(desk)
    await choosing_school(chat)
    await chat.say(PUPIL, "manzoni")
    assert "Non trovo questa scuola" in chat.last(PUPIL).text
    assert [b.label for b in chat.last(PUPIL).buttons] == ["🤷 Non lo so"]
    await chat.say(PUPIL, "via dolci")
    assert [b.label for b in chat.last(PUPIL).buttons] == [
        "🏫 Scuola primaria Via Dolci", "🤷 Non lo so"
    ]
    user = await desk.users.get_or_create_user(PUPIL, "it")
    assert user.state == "choosing_school"
    assert await desk.service.ticket_by_number("T-0001") is None


async def test_another_name_of_a_school_finds_it_and_the_official_name_is_kept(desk: Desk):
    shipped = load_schools()
    chat = world(desk, schools=Schools(shipped.names, {"IC Via Russo": ("Via dei Tigli",)}))
    await choosing_school(chat)
    await picked_by_typing(desk, chat, "la scuola di via dei tili", "IC Via Russo")  # misspelt


async def test_a_word_of_the_official_name_needs_no_other_name(desk: Desk):
    """As the schools file says: "la Pizzigoni" finds IC Rinnovata Pizzigoni as it is."""
    chat = world(desk)
    await choosing_school(chat)
    await picked_by_typing(desk, chat, "la Pizzigoni", "IC Rinnovata Pizzigoni")


async def test_typing_non_lo_so_skips_the_school(desk: Desk):
    chat = world(desk)
    await choosing_school(chat)
    await chat.say(PUPIL, "non lo so")
    assert "Ora scrivimi il problema" in chat.last(PUPIL).text
    user = await desk.users.get_or_create_user(PUPIL, "it")
    assert (user.school, user.state) == (None, "ready")


async def test_a_question_while_asked_for_the_school_skips_it_and_is_handled(desk: Desk):
    chat = world(desk)
    await choosing_school(chat)
    await chat.say(PUPIL, "la lavagna digitale fa un fischio")  # longer than any school's name
    assert "persona vera" in chat.last(PUPIL).text  # the FAQ has nothing: a volunteer helps
    user = await desk.users.get_or_create_user(PUPIL, "it")
    assert (user.school, user.state) == (None, "describing")

    await choosing_school(chat)
    await chat.say(PUPIL, "il tablet non si accende")  # short, but the FAQ answers it
    assert "caricatore" in chat.last(PUPIL).text
    user = await desk.users.get_or_create_user(PUPIL, "it")
    assert user.state == "ready"


async def test_a_school_missing_from_the_list_is_no_question(desk: Desk):
    """The FAQ's "did you mean..." for an unknown name is no reason to leave the step."""
    chat = world(desk)
    await choosing_school(chat)
    for typed in ("parini", "la scuola gandhi", "scuola parini"):
        assert chat.engine.deps.knowledge.matcher.match(typed).action == "clarify"
        await chat.say(PUPIL, typed)
        assert "Non trovo questa scuola" in chat.last(PUPIL).text, typed
        assert [b.label for b in chat.last(PUPIL).buttons] == ["🤷 Non lo so"]
    user = await desk.users.get_or_create_user(PUPIL, "it")
    assert user.state == "choosing_school"


async def test_i_dont_remember_skips_the_school_in_any_language(desk: Desk):
    chat = world(desk)
    typed_by_child = ("nn lo so", "non mi ricordo", "non ricordo", "I don't know", "no idea",
                      "dunno", "Boh!", "non ne ho idea", "Non so come si chiama")
    for child, typed in enumerate(typed_by_child, start=PUPIL):  # one chat each: flood control
        await chat.command(child, "start")
        await chat.press(child, "alunno")
        await chat.say(child, typed)
        assert "Ora scrivimi il problema" in chat.last(child).text, typed
        user = await desk.users.get_or_create_user(child, "it")
        assert (user.school, user.state) == (None, "ready"), typed


async def test_teachers_are_asked_where_they_teach(desk: Desk):
    chat = world(desk)
    await choosing_school(chat, "insegnante")
    assert "In quale scuola insegni?" in chat.last(PUPIL).text
    await chat.press(PUPIL, "English")
    await chat.command(PUPIL, "start")
    await chat.press(PUPIL, "teacher")
    assert "Which school do you teach at?" in chat.last(PUPIL).text
    await chat.press(PUPIL, "pupil")  # the old keyboard: pupils are asked where they go
    assert "Which school do you go to?" in chat.last(PUPIL).text


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
