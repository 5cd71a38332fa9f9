"""Coordinators: /reload keeps the old FAQ when the new one is broken, /stats, /nonrisposte."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import Desk
from tests.integration.engine_harness import PUPIL, SMALL_KB, small_world, write_kb

COORDINATOR = 9001


async def test_reload_with_a_broken_kb_keeps_the_old_one(desk: Desk, tmp_path: Path):
    chat = small_world(desk, tmp_path)
    write_kb(tmp_path / "kb", SMALL_KB.replace("questions:", "qestions:", 1))
    await chat.command(COORDINATOR, "reload")
    reply = chat.last(COORDINATOR).text
    assert "restano le versioni di prima" in reply
    assert "entries.yaml" in reply and "qestions" in reply  # file and field are named
    await chat.say(PUPIL, "il tablet non si accende")
    assert "Tieni premuto" in chat.last(PUPIL).text


async def test_reload_with_a_good_kb_swaps_it(desk: Desk, tmp_path: Path):
    chat = small_world(desk, tmp_path)
    write_kb(tmp_path / "kb", SMALL_KB.replace("Prova un altro caricatore.", "Cambia cavo."))
    await chat.command(COORDINATOR, "reload")
    assert "Ricaricati FAQ (5 voci)" in chat.last(COORDINATOR).text
    await chat.say(PUPIL, "il tablet non si carica")
    assert chat.last(PUPIL).text == "Cambia cavo."


async def test_reload_is_for_coordinators_only(desk: Desk, tmp_path: Path):
    chat = small_world(desk, tmp_path)
    await chat.command(1001, "reload")
    told = chat.last(1001).text
    assert "I comandi dei volontari" in told and "Ricaricati" not in told  # their own list


async def test_stats_and_the_faqs_gaps(desk: Desk, tmp_path: Path):
    chat = small_world(desk, tmp_path)
    await chat.say(PUPIL, "il tablet non si accende")
    await chat.press(PUPIL, "Risolto")
    await chat.say(PUPIL + 1, "la lavagna fischia")  # no FAQ word, but a device: a volunteer
    await chat.press(PUPIL + 1, "Manda così")

    await chat.command(COORDINATOR, "stats")
    stats = chat.last(COORDINATOR).text
    assert "Domande oggi: 2" in stats and "passate ai volontari: 1" in stats

    await chat.command(COORDINATOR, "nonrisposte")
    assert "1× la lavagna fischia" in chat.last(COORDINATOR).text


async def test_a_coordinator_closes_a_ticket_nobody_took(desk: Desk, tmp_path: Path):
    chat = small_world(desk, tmp_path)
    await chat.say(PUPIL, "xyzzy")
    await chat.press(PUPIL, "Parla con un volontario")  # off-topic
    await chat.press(PUPIL, "Manda così")
    await chat.command(1001, "chiudi", "T-0001")  # a volunteer cannot: it is not theirs
    assert "non è tua" in chat.last(1001).text
    await chat.command(COORDINATOR, "chiudi", "T-0001")
    assert "Hai chiuso la richiesta <b>T-0001</b>" in chat.last(COORDINATOR).text
    assert "è stata chiusa" in chat.last(PUPIL).text


async def test_a_coordinator_blocks_and_unblocks_by_pseudonym(desk: Desk, tmp_path: Path):
    chat = small_world(desk, tmp_path)
    await chat.say(PUPIL, "xyzzy")
    await chat.press(PUPIL, "Parla con un volontario")  # off-topic
    await chat.press(PUPIL, "Manda così")
    await chat.press(1001, "Prendo")
    await chat.say(PUPIL, "si è rotto")
    header = chat.texts(1001)[-2]  # the pupil's copy comes after the header naming them
    pseudonym = header.split("· ")[1].rstrip(":")
    assert pseudonym.startswith("utente-")

    await chat.command(COORDINATOR, "blocca", pseudonym)
    assert chat.last(COORDINATOR).text == f"🚫 Bloccato {pseudonym}."
    assert (await desk.users.user_by_pseudonym(pseudonym)).blocked
    await chat.command(COORDINATOR, "sblocca", pseudonym.upper())
    assert chat.last(COORDINATOR).text == f"✅ Sbloccato {pseudonym}."
    assert not (await desk.users.user_by_pseudonym(pseudonym)).blocked
    await chat.command(COORDINATOR, "blocca", "utente-nessuno")
    assert "pseudonimo" in chat.last(COORDINATOR).text
