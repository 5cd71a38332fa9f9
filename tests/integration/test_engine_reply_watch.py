"""A volunteer who takes a ticket and never writes, as they, the pupil and the others see it."""

from __future__ import annotations

from pathlib import Path

from bot.actions import Copy
from tests.conftest import Desk
from tests.integration.engine_harness import PUPIL, World, small_world
from tests.integration.test_engine_ticket_expiry import tick
from tests.integration.test_engine_tickets import open_a_ticket

COORDINATOR = 9001


async def taken(chat: World) -> tuple[int, list[int]]:
    """The pupil's ticket T-0001, taken by the first volunteer pinged; (taker, the others)."""
    pinged = await open_a_ticket(chat)
    await chat.press(pinged[0], "Prendo io")
    return pinged[0], pinged[1:]


async def test_the_silent_taker_is_reminded_in_their_words_with_a_way_to_hand_it_back(
    desk: Desk, tmp_path: Path
):
    chat = small_world(desk, tmp_path)
    taker, _ = await taken(chat)
    pupil_read = chat.texts(PUPIL)

    await tick(chat, desk, minutes=15)

    reminder = chat.last(taker)
    assert reminder.text == (
        "⏰ Hai preso la richiesta <b>T-0001</b> 15 minuti fa, ma non hai ancora scritto "
        "niente: chi l'ha chiesta sta aspettando.\n"
        "Scrivi qui adesso (rispondi a un suo messaggio o usa /ticket T-0001). Se non puoi, "
        "premi «Passo» e la diamo a un altro volontario.\n"
        "Se non scrivi entro 15 minuti, passa da sola a un altro."
    )
    assert [b.label for b in reminder.buttons] == ["↪️ Passo"]
    assert chat.texts(PUPIL) == pupil_read  # the pupil is not bothered with it


async def test_passo_under_the_reminder_hands_the_ticket_to_the_others(
    desk: Desk, tmp_path: Path
):
    chat = small_world(desk, tmp_path)
    taker, _ = await taken(chat)
    await tick(chat, desk, minutes=15)
    others_before = {c: len(box) for c, box in chat.inbox.items()}

    await chat.press(taker, "Passo")

    assert chat.last(taker).text == (
        "Hai passato la richiesta <b>T-0001</b>: la diamo a un altro volontario. Grazie!"
    )
    assert chat.last(PUPIL).text == (
        "Stiamo cercando un altro volontario per la richiesta <b>T-0001</b>. Aspetta un pochino."
    )
    pinged = [c for c, box in chat.inbox.items() for r in box[others_before.get(c, 0):]
              if any("Prendo io" in b.label for b in r.buttons)]
    assert len(pinged) == 2 and taker not in pinged
    await chat.press(taker, "Passo")  # pressed again: it is no longer theirs
    assert "non è tra le tue aperte" in chat.last(taker).text
    await tick(chat, desk, minutes=15)  # the reminder's timer went with the ticket
    assert "passata a un altro" not in chat.last(taker).text


async def test_still_silent_the_ticket_is_handed_on_and_the_pupil_told_kindly(
    desk: Desk, tmp_path: Path
):
    chat = small_world(desk, tmp_path)
    taker, _ = await taken(chat)
    await tick(chat, desk, minutes=15)
    chat.clear()

    await tick(chat, desk, minutes=15)

    assert chat.last(PUPIL).text == (
        "Stiamo cercando un altro volontario per la richiesta <b>T-0001</b>. Aspetta un pochino."
    )
    assert chat.last(taker).text == (
        "La richiesta <b>T-0001</b> è passata a un altro volontario, perché non hai scritto in "
        "tempo. Nessun problema: la prossima volta, se non puoi, premi «Passo»."
    )
    assert chat.last(COORDINATOR).text == (
        f"↩️ La richiesta <b>T-0001</b> torna ai volontari: Volunteer {taker - 1000} l'aveva "
        "presa, ma non ha scritto niente in 30 minuti."
    )
    pings = [(c, r) for c, box in chat.inbox.items() for r in box if r.buttons]
    assert len(pings) == 2 and taker not in {c for c, _ in pings}
    assert all("T-0001" in r.text for _, r in pings)

    await chat.say(taker, "eccomi, scusa!")  # too late: it is no longer theirs
    assert "Non hai una richiesta" in chat.last(taker).text
    assert chat.last(PUPIL).text.startswith("Stiamo cercando")  # nothing reached the pupil

    await chat.command(COORDINATOR, "stats")
    assert chat.last(COORDINATOR).text.endswith(
        "Passate ad altri volontari perché nessuno rispondeva: 1"
    )


async def test_a_taker_who_writes_is_left_alone(desk: Desk, tmp_path: Path):
    chat = small_world(desk, tmp_path)
    taker, _ = await taken(chat)
    await chat.say(taker, "Ciao! Che cosa fa la lavagna?")
    assert isinstance(chat.last(PUPIL).action, Copy)  # the pupil got it
    chat.clear()

    await tick(chat, desk, minutes=15)
    await tick(chat, desk, minutes=15)

    assert chat.inbox == {}


async def test_a_taker_quiet_after_the_pupils_next_message_is_reminded_with_passo_too(
    desk: Desk, tmp_path: Path
):
    chat = small_world(desk, tmp_path)
    taker, _ = await taken(chat)
    await chat.say(taker, "Ciao! Hai provato a riavviarlo?")
    await chat.say(PUPIL, "sì ma non va ancora")

    await tick(chat, desk, minutes=15)

    reminder = chat.last(taker)
    assert "T-0001" in reminder.text and "aspetta la tua risposta" in reminder.text
    assert [b.label for b in reminder.buttons] == ["↪️ Passo"]
