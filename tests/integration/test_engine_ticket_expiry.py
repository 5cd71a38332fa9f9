"""A ticket nobody takes in time, as the pupil, the volunteers and the coordinator see it."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from tests.conftest import TEST_POLICY, Desk
from tests.integration.engine_harness import PUPIL, World, small_world
from tests.integration.test_engine_tickets import open_a_ticket

COORDINATOR = 9001


async def tick(chat: World, desk: Desk, **delta: float) -> None:
    """Let time pass and run the sweeper, as the bot's repeating job does."""
    desk.clock.advance(**delta)
    await chat.deliver(await chat.engine.tick())


async def test_the_pupil_hears_kindly_when_nobody_took_the_ticket_in_time(
    desk: Desk, tmp_path: Path
):
    desk.rota.edit(policy=replace(TEST_POLICY, expire_after=timedelta(minutes=20)))
    chat = small_world(desk, tmp_path)
    pinged = await open_a_ticket(chat)
    await chat.say(PUPIL, "ci sei?")
    assert "Ho aggiunto il messaggio alla richiesta <b>T-0001</b>" in chat.last(PUPIL).text

    await tick(chat, desk, minutes=5)  # level 2
    await tick(chat, desk, minutes=10)  # the coordinators
    assert "Nessun volontario" not in chat.last(PUPIL).text
    await tick(chat, desk, minutes=5)  # 20 minutes: expired

    told = chat.last(PUPIL).text
    assert "Nessun volontario ha potuto rispondere in tempo" in told and "<b>T-0001</b>" in told
    assert "chiedi a un insegnante" in told and "riscrivimi la domanda" in told
    for volunteer in pinged:
        ping = chat.inbox[volunteer][0]
        assert ping.text == (
            "La richiesta <b>T-0001</b> è scaduta: nessuno l'ha presa in tempo. "
            "Chi l'aveva chiesta è stato avvisato."
        )
        assert ping.buttons == []
    assert "⌛ La richiesta <b>T-0001</b> è scaduta" in chat.last(COORDINATOR).text

    await tick(chat, desk, hours=1)  # nothing more for anyone
    assert chat.last(PUPIL).text == told

    await chat.say(PUPIL, "il tablet non si accende")  # a new question, not a note on T-0001
    assert "Tieni premuto" in chat.last(PUPIL).text

    await chat.command(COORDINATOR, "stats")
    assert "Scadute (nessuno le ha prese in tempo): 1" in chat.last(COORDINATOR).text


async def test_a_pupil_asking_at_night_hears_in_words_when_help_comes(desk: Desk, tmp_path: Path):
    desk.clock.advance(hours=13)  # Monday 23:00 in Milan: the volunteers start at 08:00
    chat = small_world(desk, tmp_path)

    assert await open_a_ticket(chat) == []

    assert chat.last(PUPIL).text == (
        "Ho preso la tua richiesta <b>T-0001</b>. In questo momento nessun volontario è libero:\n"
        "ti rispondono domani alle 08:00, qui in questa chat. Se non ti serve più, scrivi /chiudi."
    )
