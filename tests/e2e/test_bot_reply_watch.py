"""A volunteer takes a ticket and never writes, through the real PTB stack: the reminder with
its "Passo" button, the ticket handed to the other volunteer, the pupil told kindly."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.bot_harness import Clock, helpdesk_bot, press, said, sweep
from tests.e2e.fake_bot_api import FakeBotApi
from tests.e2e.test_bot_escalation import (
    CARLA,
    GIULIA,
    MARCO,
    PUPIL,
    is_ping_to,
    link_staff,
    open_ticket,
    take,
)


async def test_the_silent_taker_is_reminded_and_passo_hands_the_ticket_on(
    fake_bot_api: FakeBotApi, tmp_path: Path, database_url: str
):
    clock = Clock()
    async with helpdesk_bot(fake_bot_api, tmp_path, clock, database_url) as application:
        await link_staff(fake_bot_api)
        number = await open_ticket(fake_bot_api)
        await take(fake_bot_api, GIULIA)
        read_before = len(fake_bot_api.sent_to(GIULIA))
        clock.advance(minutes=15)
        await sweep(application)
        await fake_bot_api.wait_for("sendMessage", lambda r: r.chat_id == GIULIA and len(
            fake_bot_api.sent_to(GIULIA)) > read_before)
        reminder = fake_bot_api.sent_to(GIULIA)[-1]

        (released,) = await press(fake_bot_api, GIULIA, reminder, "release:")
        await fake_bot_api.wait_for("sendMessage", is_ping_to(MARCO), count=2)  # pinged again
        await fake_bot_api.wait_for("sendMessage", lambda r: r.chat_id == PUPIL and (
            r.text or "").startswith("Stiamo cercando"))

    assert reminder.text == said("volunteer.reply_reminder", number=number, minutes=15, left=15)
    assert reminder.callback_data == [f"release:{number}"]
    assert released.text == said("volunteer.released", number=number)
    assert fake_bot_api.sent_to(PUPIL)[-1].text == said("ticket.released", number=number)
    pings_to_giulia = [m for m in fake_bot_api.sent_to(GIULIA) if (m.earlier_texts or [m.text])[
        0].startswith("🔔")]
    assert len(pings_to_giulia) == 1  # never offered it again


async def test_still_silent_the_ticket_goes_to_the_other_volunteer_by_itself(
    fake_bot_api: FakeBotApi, tmp_path: Path, database_url: str
):
    clock = Clock()
    async with helpdesk_bot(fake_bot_api, tmp_path, clock, database_url) as application:
        await link_staff(fake_bot_api)
        number = await open_ticket(fake_bot_api)
        await take(fake_bot_api, GIULIA)
        for _ in range(2):  # the reminder, then the hand-back
            clock.advance(minutes=15)
            await sweep(application)
        await fake_bot_api.wait_for("sendMessage", is_ping_to(MARCO), count=2)
        for chat_id, mark in ((GIULIA, "passata a un altro"), (CARLA, "↩️")):
            await fake_bot_api.wait_for("sendMessage", lambda r, c=chat_id, m=mark: (
                r.chat_id == c and m in (r.text or "")))

    assert fake_bot_api.sent_to(PUPIL)[-1].text == said("ticket.released", number=number)
    assert fake_bot_api.sent_to(GIULIA)[-1].text == said("volunteer.handed_on", number=number)
    assert said("coordinators.handed_on", number=number, volunteer="Giulia Test",
                minutes=30) in [m.text for m in fake_bot_api.sent_to(CARLA)]
