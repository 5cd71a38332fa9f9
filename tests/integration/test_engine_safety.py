"""Safety and privacy: safeguarding before the FAQ, odd content, forget me, forged buttons."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from bot.actions import AnswerCallback, Kind, Send
from escalation.api import Priority
from escalation.models import QuestionLog, Ticket, User
from tests.conftest import Desk
from tests.integration.engine_harness import PUPIL, small_world


async def test_safeguarding_is_never_answered_from_the_faq(desk: Desk, tmp_path: Path):
    chat = small_world(desk, tmp_path)
    actions = await chat.say(PUPIL, "il tablet non si accende e papà mi picchia")
    reply = chat.texts(PUPIL)[0]
    assert "19696" in reply and "Tieni premuto" not in "".join(chat.texts(PUPIL))
    async with desk.sessions() as session:
        ticket = (await session.scalars(select(Ticket))).one()
    assert ticket.priority == Priority.URGENT
    assert ticket.category is not None and ticket.category.startswith("safeguarding")
    pinged = {a.chat_id for a in actions if isinstance(a, Send) and a.ping_offer_id}
    assert 9001 in pinged  # urgent: straight to the coordinator


async def test_a_child_writing_english_about_danger_reads_the_helplines_in_english(
    desk: Desk, tmp_path: Path
):
    """An Italian phone, an English message with one English function word: the trigger
    found in the English list tells the language."""
    chat = small_world(desk, tmp_path)
    await chat.say(PUPIL, "my dad hits me", language_code="it")
    assert chat.texts(PUPIL)[0].startswith("You did the right thing telling me.")
    user = await desk.users.get_or_create_user(PUPIL, "it")
    assert user.language == "en"  # what follows comes in English too


async def test_an_italian_message_with_an_english_trigger_word_stays_italian(
    desk: Desk, tmp_path: Path
):
    chat = small_world(desk, tmp_path)
    await chat.say(PUPIL, "mi hanno mandato delle nudes", language_code="it")
    user = await desk.users.get_or_create_user(PUPIL, "it")
    assert user.language == "it"


async def test_stickers_voice_documents_and_locations_get_one_kind_reply(
    desk: Desk, tmp_path: Path
):
    chat = small_world(desk, tmp_path)
    for kind in (Kind.STICKER, Kind.VOICE, Kind.DOCUMENT, Kind.LOCATION, Kind.OTHER):
        actions = await chat.incoming(PUPIL, kind, file_id="x")
        assert len(actions) == 1 and "solo i messaggi scritti" in actions[0].text  # type: ignore[union-attr]
    actions = await chat.incoming(PUPIL, Kind.PHOTO, file_id="p")
    assert len(actions) == 1 and "foto" in actions[0].text  # type: ignore[union-attr]


async def test_a_photo_while_describing_goes_with_the_ticket(desk: Desk, tmp_path: Path):
    chat = small_world(desk, tmp_path)
    await chat.say(PUPIL, "xyzzy plugh")
    await chat.press(PUPIL, "Parla con un volontario")  # off-topic
    actions = await chat.incoming(PUPIL, Kind.PHOTO, file_id="AgADscreen")
    helper = next(a.chat_id for a in actions if isinstance(a, Send) and a.ping_offer_id)
    taken = await chat.press(helper, "Prendo io")
    copies = [a for a in taken if type(a).__name__ == "Copy"]
    assert len(copies) == 1 and copies[0].to_chat_id == helper  # type: ignore[union-attr]


async def test_too_long_a_message_is_refused_kindly(desk: Desk, tmp_path: Path):
    chat = small_world(desk, tmp_path)
    limit = chat.engine.deps.max_message_chars
    actions = await chat.say(PUPIL, "a" * (limit + 1))
    assert len(actions) == 1 and "più corto" in actions[0].text  # type: ignore[union-attr]


async def test_flooding_gets_one_slow_down_then_silence(desk: Desk, tmp_path: Path):
    chat = small_world(desk, tmp_path)
    replies = [await chat.say(PUPIL, f"messaggio {n}") for n in range(40)]
    slow_downs = [r for r in replies if r and "Piano piano" in r[0].text]  # type: ignore[union-attr]
    assert len(slow_downs) == 1
    assert replies[-1] == []


async def test_a_question_written_after_the_slow_down_is_answered(desk: Desk, tmp_path: Path):
    chat = small_world(desk, tmp_path)
    for n in range(12):
        await chat.say(PUPIL, f"ciao {n}")
    assert "Piano piano" in chat.last(PUPIL).text
    desk.clock.advance(seconds=8)  # reads the warning, types one question
    await chat.say(PUPIL, "il tablet non si accende")
    assert "Piano piano" not in chat.last(PUPIL).text
    assert "✅ Risolto" in [b.label for b in chat.last(PUPIL).buttons]  # the fix


async def test_forget_me_asks_first_then_deletes(desk: Desk, tmp_path: Path):
    chat = small_world(desk, tmp_path)
    await chat.say(PUPIL, "il tablet non si accende")
    await chat.command(PUPIL, "cancella")
    await chat.press(PUPIL, "No")
    async with desk.sessions() as session:
        assert await session.scalar(select(func.count(User.id))) == 1
    await chat.command(PUPIL, "cancella")
    await chat.press(PUPIL, "Sì, cancella")
    assert "ho cancellato tutto" in chat.last(PUPIL).text
    async with desk.sessions() as session:
        assert await session.scalar(select(func.count(User.id))) == 0


async def test_privacy_explains_in_a_childs_words(desk: Desk, tmp_path: Path):
    chat = small_world(desk, tmp_path)
    await chat.command(PUPIL, "privacy")
    assert "30 giorni" in chat.last(PUPIL).text


async def test_forged_callback_data_is_refused_kindly(desk: Desk, tmp_path: Path):
    chat = small_world(desk, tmp_path)
    for data in ("take:1", "fb:999:ok", "rate:T-0001:y:5", "💣", "x" * 200, None):
        actions = await chat.incoming(PUPIL, Kind.CALLBACK, callback_data=data, callback_id="c")
        [toast] = actions
        assert isinstance(toast, AnswerCallback) and "non vale più" in (toast.text or "")


async def test_a_blocked_user_gets_one_notice_then_nothing(desk: Desk, tmp_path: Path):
    chat = small_world(desk, tmp_path)
    await chat.say(PUPIL, "xyzzy")
    await chat.press(PUPIL, "Parla con un volontario")  # off-topic
    await chat.press(PUPIL, "Manda così")
    await chat.command(9001, "blocca", "T-0001")
    assert "Bloccato utente-" in chat.last(9001).text
    first = await chat.say(PUPIL, "ciao")
    second = await chat.say(PUPIL, "ciao??")
    assert len(first) == 1 and second == []
    await chat.command(9001, "sblocca", "T-0001")
    assert await chat.say(PUPIL, "il tablet non si accende")


async def test_odd_input_never_raises(desk: Desk, tmp_path: Path):
    chat = small_world(desk, tmp_path)
    for kind in Kind:
        actions = await chat.incoming(PUPIL + 5, kind)
        assert len([a for a in actions if not isinstance(a, AnswerCallback)]) <= 1


async def test_a_nul_character_is_dropped_not_an_error(desk: Desk, tmp_path: Path):
    """PostgreSQL refuses NUL in text: the question is still logged and answered."""
    chat = small_world(desk, tmp_path)
    await chat.say(PUPIL, "il tablet non\x00 si accende")
    assert chat.last(PUPIL).text == "<b>Tieni premuto</b> il tasto di accensione per 15 secondi."
    async with desk.sessions() as session:
        [logged] = (await session.scalars(select(QuestionLog.text))).all()
    assert logged == "il tablet non si accende"
