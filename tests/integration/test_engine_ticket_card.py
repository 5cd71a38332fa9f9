"""The volunteer's ticket card: both the question and the description, the kind of problem
in words, and 'not known' wording that fits the school and the type alike."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from bot.engine.effects import ticket_summary
from escalation.api import Priority
from tests.conftest import Desk
from tests.integration.engine_harness import PUPIL, make_deps, small_world


async def test_the_card_keeps_the_question_and_names_the_suggested_entrys_category(
    desk: Desk, tmp_path: Path
):
    chat = small_world(desk, tmp_path)
    await chat.say(PUPIL, "il wifi è lento a casa")  # answered by wifi-home (connectivity)
    await chat.press(PUPIL, "Parla con un volontario")
    actions = await chat.say(PUPIL, "il router fa una lucina rossa")
    [ping, *_] = [a for a in actions if getattr(a, "ping_offer_id", None) is not None]
    assert "il wifi è lento a casa\nil router fa una lucina rossa" in ping.text
    assert "Tipo: internet e wifi" in ping.text  # the ticket has no category: the entry's
    assert "Scuola: non si sa" in ping.text


async def test_categories_are_worded_per_language_and_unknown_ones_stay_codes(desk: Desk):
    user_id = await desk.user()
    ticket, _ = await desk.service.open_ticket(user_id, "mi prendono in giro",
                                               category="safeguarding:bullying",
                                               priority=Priority.URGENT)
    deps = make_deps(desk)
    assert "Tipo: sicurezza: bullismo" in ticket_summary(deps, "it", ticket)
    assert "Type: safety: bullying" in ticket_summary(deps, "en", ticket)
    assert "Tipo: danni (rotto" in ticket_summary(deps, "it", replace(ticket, category="damage"))
    custom = replace(ticket, category="robotica", priority=Priority.NORMAL)
    assert "Tipo: robotica" in ticket_summary(deps, "it", custom)
    unknown = replace(ticket, category=None, priority=Priority.NORMAL)
    assert "Tipo: non si sa" in ticket_summary(deps, "it", unknown)


async def test_asking_for_a_person_is_not_kept_as_the_question(desk: Desk, tmp_path: Path):
    chat = small_world(desk, tmp_path)
    await chat.say(PUPIL, "voglio parlare con qualcuno")
    actions = await chat.say(PUPIL, "la lavagna digitale fischia")
    [ping, *_] = [a for a in actions if getattr(a, "ping_offer_id", None) is not None]
    assert "Domanda: la lavagna digitale fischia" in ping.text
    assert "qualcuno" not in ping.text
