"""The fake Bot API, driven by the real python-telegram-bot: if PTB is happy with it, the
end-to-end tests built on it exercise the same code paths as production."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    Updater,
    filters,
)

from tests.e2e.fake_bot_api import FakeBotApi

PUPIL = 1001
VOLUNTEER = 2002


@asynccontextmanager
async def bot_for(server: FakeBotApi) -> AsyncIterator[Bot]:
    async with Bot(
        server.token, base_url=server.base_url, base_file_url=server.base_file_url
    ) as bot:
        yield bot


@asynccontextmanager
async def polling(server: FakeBotApi, *handlers: object) -> AsyncIterator[Application]:
    """A PTB Application long-polling the fake, with short timeouts so tests stay fast."""
    application = (
        ApplicationBuilder()
        .token(server.token)
        .base_url(server.base_url)
        .base_file_url(server.base_file_url)
        .build()
    )
    for handler in handlers:
        application.add_handler(handler)  # type: ignore[arg-type]
    await application.initialize()
    await application.start()
    await application.updater.start_polling(poll_interval=0, timeout=1)  # type: ignore[union-attr]
    try:
        yield application
    finally:
        await application.updater.stop()  # type: ignore[union-attr]
        await application.stop()
        await application.shutdown()


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None
    await context.bot.send_message(
        message.chat_id, f"echo: {message.text}", reply_to_message_id=message.message_id
    )


async def test_get_me_returns_the_bot_user(fake_bot_api: FakeBotApi) -> None:
    async with bot_for(fake_bot_api) as bot:
        me = await bot.get_me()
    assert me.is_bot
    assert me.username == "scuola_helpdesk_bot"
    # Bot.initialize() calls getMe too
    assert [(r.method, r.status) for r in fake_bot_api.requests] == [("getMe", 200)] * 2


async def test_a_user_message_reaches_the_handler_and_the_reply_is_recorded(
    fake_bot_api: FakeBotApi,
) -> None:
    async with polling(fake_bot_api, MessageHandler(filters.TEXT, echo)):
        fake_bot_api.user_sends(PUPIL, "il tablet nn si accende")
        [call] = await fake_bot_api.wait_for("sendMessage")
    assert call.chat_id == PUPIL
    [reply] = fake_bot_api.sent_to(PUPIL)
    assert reply.text == "echo: il tablet nn si accende"
    assert reply.raw["reply_to_message"]["text"] == "il tablet nn si accende"
    assert reply.message_id == 2  # the pupil's message was 1: ids count per chat


async def test_a_button_press_round_trips(fake_bot_api: FakeBotApi) -> None:
    async def on_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("ok")
        await query.edit_message_text(f"chosen: {query.data}")

    fake_bot_api.add_chat(PUPIL)
    async with polling(fake_bot_api, CallbackQueryHandler(on_press)):
        sent = await bot_sends_choice(fake_bot_api)
        fake_bot_api.user_presses(PUPIL, sent.message_id, "faq:tablet")
        await fake_bot_api.wait_for("editMessageText")
    [answer] = fake_bot_api.callback_answers.values()
    assert answer["text"] == "ok"
    [message] = fake_bot_api.sent_to(PUPIL)
    assert message.text == "chosen: faq:tablet"
    assert message.earlier_texts == ["Quale?"]
    assert message.buttons == []


async def bot_sends_choice(server: FakeBotApi) -> Message:
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Tablet", callback_data="faq:tablet"),
                InlineKeyboardButton("PC", callback_data="faq:pc"),
            ]
        ]
    )
    async with bot_for(server) as bot:
        return await bot.send_message(PUPIL, "Quale?", reply_markup=keyboard)


async def test_sent_buttons_are_echoed_and_pressing_a_missing_one_is_refused(
    fake_bot_api: FakeBotApi,
) -> None:
    fake_bot_api.add_chat(PUPIL)
    sent = await bot_sends_choice(fake_bot_api)
    assert sent.reply_markup is not None
    assert fake_bot_api.sent_to(PUPIL)[0].buttons == [[("Tablet", "faq:tablet"), ("PC", "faq:pc")]]
    with pytest.raises(AssertionError, match="no button 'faq:phone'"):
        fake_bot_api.user_presses(PUPIL, sent.message_id, "faq:phone")


async def test_copy_message_is_recorded_and_forward_is_visible(
    fake_bot_api: FakeBotApi,
) -> None:
    fake_bot_api.add_chat(VOLUNTEER)
    fake_bot_api.user_sends_photo(PUPIL, "photo-1", caption="schermo rotto")
    async with bot_for(fake_bot_api) as bot:
        copied = await bot.copy_message(VOLUNTEER, PUPIL, 1, caption="#42 schermo rotto")
    [copy] = fake_bot_api.sent_to(VOLUNTEER)
    assert copy.message_id == copied.message_id
    assert copy.via == "copyMessage"
    assert copy.text == "#42 schermo rotto"
    assert copy.raw["photo"][-1]["file_id"] == "photo-1"
    assert "forward_origin" not in copy.raw
    assert fake_bot_api.calls("forwardMessage") == []


async def test_copying_a_message_that_does_not_exist_fails(fake_bot_api: FakeBotApi) -> None:
    fake_bot_api.add_chat(VOLUNTEER)
    async with bot_for(fake_bot_api) as bot:
        with pytest.raises(BadRequest, match=r"(?i)message to copy not found"):
            await bot.copy_message(VOLUNTEER, PUPIL, 99)


async def test_429_surfaces_as_retry_after_and_only_once(fake_bot_api: FakeBotApi) -> None:
    fake_bot_api.add_chat(PUPIL)
    fake_bot_api.fail_next("sendMessage", status=429, retry_after=2)
    async with bot_for(fake_bot_api) as bot:
        with pytest.raises(RetryAfter, match="Retry in 2 seconds"):
            await bot.send_message(PUPIL, "ciao")
        await bot.send_message(PUPIL, "ciao")
    assert [r.status for r in fake_bot_api.calls("sendMessage")] == [429, 200]
    assert [m.text for m in fake_bot_api.sent_to(PUPIL)] == ["ciao"]


async def test_500_surfaces_as_network_error(fake_bot_api: FakeBotApi) -> None:
    fake_bot_api.add_chat(PUPIL)
    fake_bot_api.fail_next("sendMessage", status=500)
    async with bot_for(fake_bot_api) as bot:
        with pytest.raises(NetworkError, match="Internal Server Error") as raised:
            await bot.send_message(PUPIL, "ciao")
    assert not isinstance(raised.value, RetryAfter)
    assert fake_bot_api.sent_to(PUPIL) == []


async def test_a_dropped_connection_surfaces_as_network_error(fake_bot_api: FakeBotApi) -> None:
    fake_bot_api.add_chat(PUPIL)
    fake_bot_api.drop_next("sendMessage")
    async with bot_for(fake_bot_api) as bot:
        with pytest.raises(NetworkError):
            await bot.send_message(PUPIL, "ciao")
        await bot.send_message(PUPIL, "di nuovo")
    assert [r.status for r in fake_bot_api.calls("sendMessage")] == [0, 200]
    assert [m.text for m in fake_bot_api.sent_to(PUPIL)] == ["di nuovo"]


async def test_a_slow_answer_surfaces_as_timed_out(fake_bot_api: FakeBotApi) -> None:
    async with bot_for(fake_bot_api) as bot:
        fake_bot_api.delay("getMe", 0.5)
        with pytest.raises(TimedOut):
            await bot.get_me(read_timeout=0.1)


async def test_a_redelivered_update_reaches_the_handler_again(fake_bot_api: FakeBotApi) -> None:
    seen: list[int] = []

    async def record(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        seen.append(update.update_id)
        await echo(update, context)

    async with polling(fake_bot_api, MessageHandler(filters.TEXT, record)):
        first = fake_bot_api.user_sends(PUPIL, "ciao")
        await fake_bot_api.wait_for("sendMessage")
        fake_bot_api.user_sends(PUPIL, "altro")
        await fake_bot_api.wait_for("sendMessage", count=2)
        fake_bot_api.redeliver(first)
        await fake_bot_api.wait_for("sendMessage", count=3)
    assert seen == [first, first + 1, first]


async def test_updates_stay_queued_until_an_offset_confirms_them(
    fake_bot_api: FakeBotApi,
) -> None:
    update_id = fake_bot_api.user_sends(PUPIL, "ciao")
    async with bot_for(fake_bot_api) as bot:
        again = [u.update_id for u in await bot.get_updates()]
        assert again == [update_id]
        assert [u.update_id for u in await bot.get_updates()] == [update_id]
        assert await bot.get_updates(offset=update_id + 1) == ()


async def test_allowed_updates_filters_out_other_update_types(fake_bot_api: FakeBotApi) -> None:
    fake_bot_api.add_chat(PUPIL)
    sent = await bot_sends_choice(fake_bot_api)
    fake_bot_api.user_presses(PUPIL, sent.message_id, "faq:pc")
    text_id = fake_bot_api.user_sends(PUPIL, "ciao")
    async with bot_for(fake_bot_api) as bot:
        updates = await bot.get_updates(allowed_updates=["message"])
    assert [u.update_id for u in updates] == [text_id]


async def test_commands_carry_a_bot_command_entity(fake_bot_api: FakeBotApi) -> None:
    fake_bot_api.user_sends(PUPIL, "/start@scuola_helpdesk_bot ciao")
    async with bot_for(fake_bot_api) as bot:
        [update] = await bot.get_updates()
    assert update.message is not None
    assert update.message.parse_entities() != {}
    assert update.message.text.split()[0] == "/start@scuola_helpdesk_bot"  # type: ignore[union-attr]


async def test_telegram_html_is_checked_and_shown_as_plain_text(
    fake_bot_api: FakeBotApi,
) -> None:
    fake_bot_api.add_chat(PUPIL)
    async with bot_for(fake_bot_api) as bot:
        await bot.send_message(PUPIL, "<b>Ciao</b> &lt;3", parse_mode="HTML")
        with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
            await bot.send_message(PUPIL, "ti voglio bene <3", parse_mode="HTML")
        with pytest.raises(BadRequest, match=r"(?i)unsupported start tag"):
            await bot.send_message(PUPIL, "<div>x</div>", parse_mode="HTML")
    [message] = fake_bot_api.sent_to(PUPIL)
    assert message.text == "Ciao <3"
    assert message.html == "<b>Ciao</b> &lt;3"


async def test_telegram_refusals_are_imitated(fake_bot_api: FakeBotApi) -> None:
    async with bot_for(fake_bot_api) as bot:
        with pytest.raises(BadRequest, match=r"(?i)chat not found"):
            await bot.send_message(VOLUNTEER, "nuovo ticket")
        fake_bot_api.add_chat(PUPIL)
        message = await bot.send_message(PUPIL, "ciao")
        with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
            await bot.edit_message_text("ciao", PUPIL, message.message_id)
        with pytest.raises(BadRequest, match="too long"):
            await bot.send_message(PUPIL, "x" * 4097)
        fake_bot_api.user_blocks_bot(PUPIL)
        with pytest.raises(Forbidden, match="blocked"):
            await bot.send_message(PUPIL, "ciao")


async def test_an_unknown_method_answers_404_by_name(fake_bot_api: FakeBotApi) -> None:
    async with bot_for(fake_bot_api) as bot:
        with pytest.raises(Exception, match="sendDice"):
            await bot.send_dice(PUPIL)
    [call] = fake_bot_api.calls("sendDice")
    assert call.status == 404


async def test_files_upload_and_download(fake_bot_api: FakeBotApi) -> None:
    fake_bot_api.user_sends_voice(PUPIL, "voice-1", content=b"OggS audio")
    async with bot_for(fake_bot_api) as bot:
        voice_file = await bot.get_file("voice-1")
        assert bytes(await voice_file.download_as_bytearray()) == b"OggS audio"
        sent = await bot.send_photo(PUPIL, photo=b"\x89PNG picture", caption="guarda")
    [call] = fake_bot_api.calls("sendPhoto")
    assert call.files == {"photo": b"\x89PNG picture"}
    assert sent.caption == "guarda"
    [message] = fake_bot_api.sent_to(PUPIL)
    assert message.via == "sendPhoto"


async def test_other_media_and_deletion_reach_the_bot(fake_bot_api: FakeBotApi) -> None:
    sticker = fake_bot_api.user_sends_sticker(PUPIL)
    location = fake_bot_api.user_sends_location(PUPIL)
    fake_bot_api.push_raw_update({"update_id": 500, "future_update_type": {"odd": True}})
    async with bot_for(fake_bot_api) as bot:
        updates = await bot.get_updates()
        await bot.delete_message(PUPIL, 1)
        with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
            await bot.delete_message(PUPIL, 1)
    assert [u.update_id for u in updates] == [sticker, location, 500]
    assert updates[0].message.sticker is not None  # type: ignore[union-attr]
    assert updates[1].message.location is not None  # type: ignore[union-attr]
    assert fake_bot_api.messages[PUPIL][1].deleted


async def test_wait_for_timeout_lists_what_the_bot_did(fake_bot_api: FakeBotApi) -> None:
    async with bot_for(fake_bot_api) as bot:
        await bot.get_me()
    with pytest.raises(AssertionError, match=r"got 0; the bot made: getMe\(\) -> 200"):
        await fake_bot_api.wait_for("sendMessage", timeout=0.05)


async def test_webhook_and_commands_are_recorded(fake_bot_api: FakeBotApi) -> None:
    async with bot_for(fake_bot_api) as bot:
        await bot.set_my_commands([("start", "Inizia")], language_code="it")
        await bot.set_webhook("https://example.org/hook")
        assert (await bot.get_webhook_info()).url == "https://example.org/hook"
        with pytest.raises(Exception, match="webhook is active"):
            await bot.get_updates()
        await bot.delete_webhook()
        await bot.delete_my_commands(language_code="it")
    assert fake_bot_api.commands == {}
    assert [r.method for r in fake_bot_api.requests if r.method.endswith("MyCommands")] == [
        "setMyCommands",
        "deleteMyCommands",
    ]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_updates_reach_a_webhook_with_its_secret(fake_bot_api: FakeBotApi) -> None:
    application = (
        ApplicationBuilder()
        .token(fake_bot_api.token)
        .base_url(fake_bot_api.base_url)
        .updater(None)
        .build()
    )
    application.add_handler(MessageHandler(filters.TEXT, echo))
    updater = Updater(application.bot, application.update_queue)
    port = free_port()
    async with application, updater:
        await application.start()
        await updater.start_webhook(
            listen="127.0.0.1",
            port=port,
            url_path="hook",
            webhook_url=f"http://127.0.0.1:{port}/hook",
            secret_token="s3cret",
        )
        update_id = fake_bot_api.user_sends(PUPIL, "via webhook")
        await fake_bot_api.wait_for("sendMessage")
        await updater.stop()
        await application.stop()
    assert fake_bot_api.webhook_deliveries == [(update_id, 200)]
    assert [m.text for m in fake_bot_api.sent_to(PUPIL)] == ["echo: via webhook"]


async def test_a_webhook_that_is_down_gets_the_update_again_later(
    fake_bot_api: FakeBotApi,
) -> None:
    fake_bot_api.webhook_retry_delay = 0.01
    update_id = fake_bot_api.user_sends(PUPIL, "ciao")
    async with bot_for(fake_bot_api) as bot:
        await bot.set_webhook(f"http://127.0.0.1:{free_port()}/down")
        while len(fake_bot_api.webhook_deliveries) < 3:
            await asyncio.sleep(0.01)
        assert (await bot.get_webhook_info()).pending_update_count == 1
        await bot.delete_webhook()
        [update] = await bot.get_updates()
    assert update.update_id == update_id
    assert {status for _, status in fake_bot_api.webhook_deliveries} == {0}
