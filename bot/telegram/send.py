"""Carry out the engine's actions with the Bot API, in the order the engine gave them.

The engine has already committed its state, so a message Telegram refuses (a volunteer who
blocked the bot, a pupil's deleted chat) is logged and skipped: the next recipient still gets
theirs, and the escalation timers will move on from a ping that never arrived. Flood waits
(429) are retried by the Application's rate limiter before they ever reach this module.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError

from bot.actions import Action, AnswerCallback, Copy, Edit, Engine, Keyboard, Send
from bot.telegram.pseudonym import ChatTagger
from bot.telegram.split import split_message

logger = logging.getLogger(__name__)


class Outbox:
    """Sends, edits and copies messages for the engine, and reports ids it must remember."""

    def __init__(self, bot: Bot, engine: Engine, tag: ChatTagger) -> None:
        self._bot = bot
        self._engine = engine
        self._tag = tag

    async def deliver(self, actions: Iterable[Action]) -> None:
        """Carry out every action; one that Telegram refuses does not stop the rest."""
        for action in actions:
            try:
                await self._perform(action)
            except TelegramError as error:
                logger.warning(
                    "%s for %s refused: %s", type(action).__name__, self._recipient(action), error
                )

    async def _perform(self, action: Action) -> None:
        match action:
            case Send():
                await self._send(action)
            case Edit():
                await self._edit(action)
            case Copy():
                await self._copy(action)
            case AnswerCallback():
                await self._bot.answer_callback_query(action.callback_id, text=action.text)

    async def _send(self, action: Send) -> None:
        parts = split_message(action.text)
        reply = (
            ReplyParameters(action.reply_to_message_id, allow_sending_without_reply=True)
            if action.reply_to_message_id is not None
            else None
        )
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            message = await self._bot.send_message(
                action.chat_id,
                part,
                parse_mode=ParseMode.HTML,
                reply_markup=_markup(action.buttons) if last else None,
                reply_parameters=reply if index == 0 else None,
            )
        if action.ping_offer_id is not None:
            await self._engine.sent(action, message.message_id)

    async def _edit(self, action: Edit) -> None:
        try:
            await self._bot.edit_message_text(
                action.text,
                chat_id=action.chat_id,
                message_id=action.message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=_markup(action.buttons),
            )
        except BadRequest as error:
            if "not modified" not in error.message.lower():  # same text twice is no failure
                raise

    async def _copy(self, action: Copy) -> None:
        copied = await self._bot.copy_message(
            action.to_chat_id,
            action.from_chat_id,
            action.message_id,
            caption=action.caption,
            parse_mode=ParseMode.HTML if action.caption is not None else None,
        )
        if action.ticket_id is not None:
            await self._engine.sent(action, copied.message_id)

    def _recipient(self, action: Action) -> str:
        match action:
            case Send() | Edit():
                return self._tag(action.chat_id)
            case Copy():
                return self._tag(action.to_chat_id)
        return "a button press"


def _markup(buttons: Keyboard) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=b.data) for b in row] for row in buttons]
    )
