"""The one error handler: log what broke, never what a child wrote, and keep polling.

Exception messages can carry user text (an SQL error quotes its parameters, a KeyError its
key), so only the exception type and the traceback's frames are logged, plus the message of
Telegram's own errors, which never quote users. The chat appears as a pseudonymous tag.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.redact import redacted
from bot.telegram.pseudonym import ChatTagger

logger = logging.getLogger(__name__)

ErrorHandler = Callable[[object, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]


def error_logger(tag: ChatTagger) -> ErrorHandler:
    """An error handler for the Application that logs `tag`-pseudonymised reports."""

    async def log_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        logger.error("%s failed: %s", _origin(update, context, tag), _describe(context.error))

    return log_error


def _origin(update: object, context: ContextTypes.DEFAULT_TYPE, tag: ChatTagger) -> str:
    """An update (chat pseudonymised), the sweeper job, or polling itself (update None)."""
    if not isinstance(update, Update):
        return f"Job {context.job.name}" if context.job is not None else "Fetching updates"
    chat = update.effective_chat
    where = f" from {tag(chat.id)}" if chat is not None else ""
    return f"Handling update {update.update_id}{where}"


def _describe(error: BaseException | None) -> str:
    detail = error.message if isinstance(error, TelegramError) else None
    return redacted(error, detail)
