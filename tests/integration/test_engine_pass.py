"""A volunteer passes a ticket and nobody else is free: the pupil is told the truth."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from escalation.rota import EscalationPolicy, Level
from tests.conftest import Desk, make_rota
from tests.integration.engine_harness import PUPIL, small_world
from tests.integration.test_engine_withdraw import open_a_ticket

ALONE = EscalationPolicy(levels=(Level("best_match", 2, timedelta(minutes=5)),), rounds=1)


async def test_a_pass_with_nobody_else_free_does_not_say_the_volunteers_are_away(
    desk: Desk, tmp_path: Path
):
    desk.rota.rota = make_rota(volunteers=1, policy=ALONE)  # on shift, but alone
    chat = small_world(desk, tmp_path)
    [volunteer] = await open_a_ticket(chat)
    await chat.press(volunteer, "Passo")
    told = chat.last(PUPIL).text
    assert "In questo momento nessun volontario è libero" in told
    assert "non ci sono" not in told
