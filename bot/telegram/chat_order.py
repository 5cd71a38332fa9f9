"""Updates of different chats handled at the same time, each chat's in the order they came.

python-telegram-bot handles one update at a time by default: while one reply travels to
Telegram and back (tens of milliseconds from Milan, more when Telegram is slow), every other
pupil waits and the bot sits idle. PTB can handle updates concurrently, but then two updates
of the same chat may overtake each other (a button press handled before the message it
belongs to). This processor, PTB's extension point for exactly that, lets updates of
different chats run together and queues each chat's behind one another, in the order PTB
fetched them: PTB starts an update's task in that order and both the semaphore limiting
them and the chats' locks wake their waiters first come, first served.

The database keeps concurrent updates apart as it keeps two bot processes apart (one
transaction each, the ticket rows locked where two may meet); on SQLite a transaction waits
for the lock without blocking the others (escalation.sqlite_driver).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

MAX_CONCURRENT_UPDATES = 256  # PTB's own figure for `concurrent_updates(True)`


class ChatOrderedProcessor(BaseUpdateProcessor):
    """Concurrent across chats, in order within a chat (an update without a chat: with the
    others without one)."""

    __slots__ = ("_chats",)

    def __init__(self, max_concurrent_updates: int = MAX_CONCURRENT_UPDATES) -> None:
        super().__init__(max_concurrent_updates)
        self._chats: dict[int | None, _ChatQueue] = {}  # only chats with an update in hand

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        key = chat.id if chat is not None else None
        queue = self._chats.get(key)
        if queue is None:
            queue = self._chats[key] = _ChatQueue()
        queue.holders += 1
        try:
            async with queue.lock:
                await coroutine
        finally:
            queue.holders -= 1
            if not queue.holders:
                del self._chats[key]

    async def initialize(self) -> None:
        """Nothing to set up: the chats' queues come and go with their updates."""

    async def shutdown(self) -> None:
        """Nothing to release (PTB waits for the updates in hand before it shuts down)."""


class _ChatQueue:
    __slots__ = ("holders", "lock")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.holders = 0  # updates of the chat being handled or waiting
