"""Hand-over to volunteers through the whole bot: pings, taking, relaying, closing, timeouts.

Two volunteers and a coordinator from the test rota link their chats with /volunteer; the
clock is the harness's, moved by hand, and the sweeper job is run on demand.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from tests.e2e.bot_harness import (
    TEST_ROTA,
    Clock,
    button,
    helpdesk_bot,
    onboard_pupil,
    press,
    replies,
    said,
    sweep,
)
from tests.e2e.fake_bot_api import ChatMessage, FakeBotApi, Request

PUPIL = 4201
GIULIA, MARCO, CARLA = 5201, 5202, 5203  # volunteer, volunteer, coordinator
CODES = {GIULIA: "VOL-AAAA", MARCO: "VOL-BBBB", CARLA: "COORD-CCCC"}
HOMEWORK = "mi aiuti con i compiti di storia?"  # no FAQ word: a volunteer is one tap away


def is_ping_to(chat_id: int) -> Callable[[Request], bool]:
    return lambda r: r.chat_id == chat_id and "take:" in str(r.params.get("reply_markup"))


async def link_staff(fake: FakeBotApi) -> None:
    for chat_id, code in CODES.items():
        await replies(
            fake, chat_id, lambda c=chat_id, k=code: fake.user_sends(c, f"/volunteer {k}")
        )


async def open_ticket(fake: FakeBotApi, question: str = HOMEWORK) -> str:
    """A pupil asks what the FAQ cannot answer and sends it as it is; returns the number."""
    await onboard_pupil(fake, PUPIL)
    (off_topic,) = await replies(fake, PUPIL, lambda: fake.user_sends(PUPIL, question))
    (describe,) = await press(fake, PUPIL, off_topic, "fb:", ":human")  # "a volunteer"
    (opened,) = await press(fake, PUPIL, describe, "desc:")
    await fake.wait_for("sendMessage", is_ping_to(GIULIA))
    await fake.wait_for("sendMessage", is_ping_to(MARCO))
    number = re.search(r"T-\d+", opened.text or "")
    assert number is not None, opened.text
    return number.group()


def ping_of(fake: FakeBotApi, chat_id: int) -> ChatMessage:
    """The volunteer's ping, as it reads now (it may have been edited since)."""
    (ping,) = [
        m for m in fake.sent_to(chat_id) if (m.earlier_texts or [m.text])[0].startswith("🔔")
    ]
    return ping


async def take(fake: FakeBotApi, chat_id: int) -> ChatMessage:
    """The volunteer presses "take" on their ping; returns the confirmation."""
    (took,) = await press(fake, chat_id, ping_of(fake, chat_id), "take:")
    return took


async def test_both_volunteers_are_pinged_one_takes_and_the_others_ping_is_edited(
    fake_bot_api: FakeBotApi, tmp_path: Path, database_url: str
):
    async with helpdesk_bot(fake_bot_api, tmp_path, Clock(), database_url):
        await link_staff(fake_bot_api)
        number = await open_ticket(fake_bot_api)
        for volunteer in (GIULIA, MARCO):
            ping = ping_of(fake_bot_api, volunteer)
            assert number in (ping.text or "") and HOMEWORK in (ping.text or "")
        assert not [m for m in fake_bot_api.sent_to(CARLA) if m.buttons]  # level 2 not yet

        took = await take(fake_bot_api, GIULIA)
        assert took.text == said("volunteer.took", number=number)
        await fake_bot_api.wait_for("editMessageText", lambda r: r.chat_id == MARCO)
        stale = ping_of(fake_bot_api, MARCO)
        assert stale.text == said("volunteer.ping_taken_by_other", number=number)
        assert stale.buttons == []

        # Marco's client still showed the button: pressing it late loses politely.
        fake_bot_api.user_presses(
            MARCO, stale.message_id, button_data(fake_bot_api, MARCO), strict=False
        )
        await fake_bot_api.wait_for(
            "answerCallbackQuery", count=len(fake_bot_api.callback_answers) + 1
        )

    assert said("volunteer.too_late") in [
        a.get("text") for a in fake_bot_api.callback_answers.values()
    ]
    assert fake_bot_api.sent_to(PUPIL)[-1].text == said("ticket.assigned", number=number)


def button_data(fake: FakeBotApi, chat_id: int) -> str:
    """The "take" data of a volunteer's ping, before or after it was edited."""
    for request in fake.calls("sendMessage"):
        if request.chat_id == chat_id and "take:" in str(request.params.get("reply_markup")):
            match = re.search(r"take:\d+", str(request.params["reply_markup"]))
            assert match is not None
            return match.group()
    raise AssertionError(f"no ping to {chat_id}")


async def _taken_ticket(fake: FakeBotApi) -> str:
    await link_staff(fake)
    number = await open_ticket(fake)
    await take(fake, GIULIA)
    return number


async def test_messages_are_relayed_both_ways_as_copies_photos_included(
    fake_bot_api: FakeBotApi, tmp_path: Path, database_url: str
):
    async with helpdesk_bot(fake_bot_api, tmp_path, Clock(), database_url):
        number = await _taken_ticket(fake_bot_api)
        header, text_copy = await replies(
            fake_bot_api, GIULIA, lambda: fake_bot_api.user_sends(PUPIL, "è per domani!"), count=2
        )
        (photo_copy,) = await replies(
            fake_bot_api,
            GIULIA,
            lambda: fake_bot_api.user_sends_photo(PUPIL, "pupil-screen", caption="ecco lo schermo"),
        )
        (answer_copy,) = await replies(
            fake_bot_api,
            PUPIL,
            lambda: fake_bot_api.user_sends(GIULIA, "Apri il libro a pagina 12"),
        )
        (photo_back,) = await replies(
            fake_bot_api, PUPIL, lambda: fake_bot_api.user_sends_photo(GIULIA, "volunteer-hint")
        )

    assert number in (header.text or "") and str(PUPIL) not in (header.text or "")
    assert text_copy.text == "è per domani!" and text_copy.via == "copyMessage"
    assert photo_copy.raw["photo"][-1]["file_id"] == "pupil-screen"
    assert number in (photo_copy.text or "") and "ecco lo schermo" in (photo_copy.text or "")
    assert answer_copy.text == "Apri il libro a pagina 12" and answer_copy.via == "copyMessage"
    assert photo_back.raw["photo"][-1]["file_id"] == "volunteer-hint"
    assert not fake_bot_api.calls("forwardMessage")
    assert all("forward_origin" not in m.raw for m in fake_bot_api.sent_to(PUPIL))


async def test_the_volunteer_closes_and_the_pupil_rates(
    fake_bot_api: FakeBotApi, tmp_path: Path, database_url: str
):
    async with helpdesk_bot(fake_bot_api, tmp_path, Clock(), database_url):
        number = await _taken_ticket(fake_bot_api)
        (closed,) = await replies(
            fake_bot_api, GIULIA, lambda: fake_bot_api.user_sends(GIULIA, "/chiudi")
        )
        assert closed.text == said("volunteer.closed", number=number)
        await fake_bot_api.wait_for(
            "sendMessage",
            lambda r: r.chat_id == PUPIL and number in (r.text or "") and "solved" in str(r.params),
        )
        resolved = fake_bot_api.sent_to(PUPIL)[-1]
        assert resolved.text == said("ticket.resolved", number=number)
        (stars,) = await press(fake_bot_api, PUPIL, resolved, "solved:", ":y")
        assert stars.text == said("ticket.ask_rating")
        (thanks,) = await press(fake_bot_api, PUPIL, stars, "rate:", ":5")

    assert thanks.text == said("ticket.thanks")


async def test_nobody_takes_it_so_the_coordinator_is_pinged_after_the_timeout(
    fake_bot_api: FakeBotApi, tmp_path: Path, database_url: str
):
    clock = Clock()
    async with helpdesk_bot(fake_bot_api, tmp_path, clock, database_url) as application:
        await link_staff(fake_bot_api)
        number = await open_ticket(fake_bot_api)
        clock.advance(minutes=9)
        await sweep(application)
        assert not [r for r in fake_bot_api.calls("sendMessage") if is_ping_to(CARLA)(r)]
        clock.advance(minutes=2)
        await sweep(application)
        await fake_bot_api.wait_for("sendMessage", is_ping_to(CARLA))

    ping = ping_of(fake_bot_api, CARLA)
    assert number in (ping.text or "") and button(ping, "take:")


async def test_a_restart_mid_ticket_carries_on_from_the_database(
    fake_bot_api: FakeBotApi, tmp_path: Path, database_url: str
):
    clock = Clock()
    async with helpdesk_bot(fake_bot_api, tmp_path, clock, database_url):
        number = await _taken_ticket(fake_bot_api)

    async with helpdesk_bot(
        fake_bot_api, tmp_path, clock, database_url
    ):  # a new process, same database
        header, copy = await replies(
            fake_bot_api, GIULIA, lambda: fake_bot_api.user_sends(PUPIL, "ci sei ancora?"), count=2
        )
        (back,) = await replies(
            fake_bot_api, PUPIL, lambda: fake_bot_api.user_sends(GIULIA, "Sì, eccomi")
        )

    assert number in (header.text or "") and copy.text == "ci sei ancora?"
    assert back.text == "Sì, eccomi"


async def test_a_ticket_nobody_takes_in_time_expires_and_everyone_is_told(
    fake_bot_api: FakeBotApi, tmp_path: Path, database_url: str
):
    rota = TEST_ROTA.replace("  rounds: 1\n", "  rounds: 1\n  expire_after_hours: 0.5\n")
    assert rota != TEST_ROTA
    (tmp_path / "rota.yaml").write_text(rota, encoding="utf-8")
    clock = Clock()
    async with helpdesk_bot(fake_bot_api, tmp_path, clock, database_url) as application:
        await link_staff(fake_bot_api)
        number = await open_ticket(fake_bot_api)
        clock.advance(minutes=10)
        await sweep(application)
        await fake_bot_api.wait_for("sendMessage", is_ping_to(CARLA))
        clock.advance(minutes=10)  # nobody left; the next help is past the 30 minutes
        await sweep(application)
        for chat_id in (PUPIL, CARLA):  # the user's sorry, the coordinator's notice
            await fake_bot_api.wait_for("sendMessage", lambda r, c=chat_id: (
                r.chat_id == c and ("😔" in (r.text or "") or "⌛" in (r.text or ""))
            ))
        await fake_bot_api.wait_for("editMessageText", count=3)  # the three pings

    assert fake_bot_api.sent_to(PUPIL)[-1].text == said("ticket.expired", number=number)
    for chat_id in (GIULIA, MARCO, CARLA):
        ping = ping_of(fake_bot_api, chat_id)
        assert ping.text == said("volunteer.ping_ticket_expired", number=number)
        assert ping.buttons == []
    assert said("coordinators.expired", number=number) in [
        m.text for m in fake_bot_api.sent_to(CARLA)
    ]
