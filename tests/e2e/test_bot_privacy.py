"""Through the whole bot: staff never read a pupil's Telegram name or id, relays are copies.

The engine is never told a pupil's name (the adapter drops it); this test checks the promise
where it matters, on every call the real bot makes to Telegram for a volunteer's or a
coordinator's chat, while a pupil with a real first name is helped.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.e2e.bot_harness import Clock, helpdesk_bot, replies
from tests.e2e.fake_bot_api import ChatMessage, FakeBotApi

PUPIL = 73_421_598  # distinctive digits, to be sure they appear nowhere in staff chats
NAME = "Giulietta"
GIULIA, MARCO, CARLA = 5301, 5302, 5303  # volunteer, volunteer, coordinator
STAFF = {GIULIA: "VOL-AAAA", MARCO: "VOL-BBBB", CARLA: "COORD-CCCC"}


def pupil_sends(fake: FakeBotApi, text: str) -> Callable[[], object]:
    return lambda: fake.user_sends(PUPIL, text, first_name=NAME)


async def pupil_presses(fake: FakeBotApi, message: ChatMessage, prefix: str) -> ChatMessage:
    (data,) = [d for d in message.callback_data if d.startswith(prefix)]
    (reply,) = await replies(
        fake, PUPIL,
        lambda: fake.user_presses(PUPIL, message.message_id, data, first_name=NAME),
    )
    return reply


async def test_staff_never_read_the_pupils_name_or_telegram_id(
    fake_bot_api: FakeBotApi, tmp_path: Path, database_url: str
):
    fake = fake_bot_api
    async with helpdesk_bot(fake, tmp_path, Clock(), database_url):
        for chat_id, code in STAFF.items():
            link = f"/volunteer {code}"
            await replies(fake, chat_id, lambda c=chat_id, t=link: fake.user_sends(c, t))
        (welcome,) = await replies(fake, PUPIL, pupil_sends(fake, "/start"))
        schools = await pupil_presses(fake, welcome, "role:pupil")
        await pupil_presses(fake, schools, "school:skip")
        homework = pupil_sends(fake, "mi aiuti con i compiti di storia?")
        (off_topic,) = await replies(fake, PUPIL, homework)
        describe = await pupil_presses(fake, off_topic, "fb:")  # "talk to a volunteer"
        await pupil_presses(fake, describe, "desc:")
        await fake.wait_for("sendMessage", lambda r: r.chat_id == GIULIA
                            and "take:" in str(r.params.get("reply_markup")))
        (ping,) = [m for m in fake.sent_to(GIULIA) if m.callback_data]
        (take,) = [d for d in ping.callback_data if d.startswith("take:")]
        await replies(fake, GIULIA, lambda: fake.user_presses(GIULIA, ping.message_id, take))
        await replies(fake, GIULIA, pupil_sends(fake, f"mi chiamo {NAME}, ciao"), count=2)
        await replies(
            fake, GIULIA,
            lambda: fake.user_sends_photo(PUPIL, "screen", caption="ecco", first_name=NAME),
        )
        await replies(fake, PUPIL, lambda: fake.user_sends(GIULIA, "Ciao! Ti aiuto io"))
        await replies(fake, GIULIA, lambda: fake.user_sends(GIULIA, "/miei"))
        await replies(fake, CARLA, lambda: fake.user_sends(CARLA, "/nonrisposte"))
        await replies(fake, GIULIA, lambda: fake.user_sends(GIULIA, "/chiudi"))

    to_staff = [r for r in fake.requests if r.chat_id in STAFF]
    assert {r.method for r in to_staff} >= {"sendMessage", "copyMessage", "editMessageText"}
    for request in to_staff:
        said = json.dumps(request.params, ensure_ascii=False)
        if request.method == "copyMessage":  # the pupil's own words, as they typed them
            said = json.dumps({k: v for k, v in request.params.items()
                               if k not in ("from_chat_id",)}, ensure_ascii=False)
        assert str(PUPIL) not in said, request
    for chat_id in STAFF:
        for message in fake.sent_to(chat_id):
            seen = json.dumps(message.raw, ensure_ascii=False)
            assert str(PUPIL) not in seen and "forward_origin" not in seen, message.raw
            if message.via != "copyMessage" or "mi chiamo" not in (message.text or ""):
                assert NAME not in seen, message.raw  # only where the pupil typed it
    assert not fake.calls("forwardMessage")
