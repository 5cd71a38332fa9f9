"""Turn a Telegram Update into the engine's plain `Incoming`, or None when it is not for us.

Only this module reads Telegram's message types, so the conversation engine never sees them.
Updates the bot does not serve (edited messages, channel posts, membership changes, commands
addressed to another bot in a group) become None and are dropped before the engine.
"""

from __future__ import annotations

import re
from dataclasses import replace

from telegram import CallbackQuery, Message, Update
from telegram.constants import ChatType

from bot.actions import Incoming, Kind

# "/cmd", "/cmd@SomeBot", "/cmd args": Telegram command names are 1-32 of [A-Za-z0-9_].
_COMMAND = re.compile(r"/(?P<name>[A-Za-z0-9_]{1,32})(?:@(?P<bot>\w+))?(?:\s+(?P<args>.*))?", re.S)


def to_incoming(update: Update, bot_username: str | None) -> Incoming | None:
    """The engine's view of `update`; None for updates the bot ignores."""
    if update.callback_query is not None:
        return _from_callback(update.update_id, update.callback_query)
    if update.message is not None:
        return _from_message(update.update_id, update.message, bot_username)
    return None


def _from_callback(update_id: int, query: CallbackQuery) -> Incoming | None:
    if query.data is None:  # game buttons carry no data; the bot offers none
        return None
    message = query.message
    return Incoming(
        update_id=update_id,
        chat_id=message.chat.id if message is not None else query.from_user.id,
        kind=Kind.CALLBACK,
        private=message is None or message.chat.type == ChatType.PRIVATE,
        message_id=message.message_id if message is not None else None,
        callback_data=query.data,
        callback_id=query.id,
        language_code=query.from_user.language_code,
    )


def _from_message(update_id: int, message: Message, bot_username: str | None) -> Incoming | None:
    private = message.chat.type == ChatType.PRIVATE
    other = Incoming(
        update_id=update_id,
        chat_id=message.chat.id,
        kind=Kind.OTHER,
        private=private,
        message_id=message.message_id,
        reply_to_message_id=(
            message.reply_to_message.message_id if message.reply_to_message else None
        ),
        language_code=message.from_user.language_code if message.from_user else None,
    )
    if message.text is not None:
        command = _COMMAND.fullmatch(message.text)
        if command is None:
            return replace(other, kind=Kind.TEXT, text=message.text)
        addressee = command["bot"]
        if not private and addressee and addressee.lower() != (bot_username or "").lower():
            return None  # "/start@OtherBot" in a group is another bot's business
        args = (command["args"] or "").strip()
        return replace(other, kind=Kind.COMMAND, command=command["name"].lower(), text=args or None)
    if message.photo:
        largest = max(message.photo, key=lambda size: size.width * size.height)
        return replace(other, kind=Kind.PHOTO, file_id=largest.file_id, text=message.caption)
    if message.voice is not None:
        return replace(other, kind=Kind.VOICE, file_id=message.voice.file_id)
    if message.document is not None:
        return replace(
            other, kind=Kind.DOCUMENT, file_id=message.document.file_id, text=message.caption
        )
    if message.sticker is not None:
        return replace(other, kind=Kind.STICKER, file_id=message.sticker.file_id)
    if message.location is not None:
        return replace(other, kind=Kind.LOCATION)
    return other
