"""Flood control: one chat sending too much, too fast gets one polite warning and is then
ignored while it keeps going, so that a pupil holding a key down (or a script) cannot drown
the matcher, the volunteers' queue or Telegram's own rate limits for everybody else. A pupil
who does what the warning asks (one message, then wait) is heard again at once.

The counters live in process memory on purpose, against the project's usual rule: a restart
forgets at most one window (30 seconds) of counting, which is harmless, while storing every
message's time in the database would cost more than the flood it guards against.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

MAX_MESSAGE_CHARS = 2000
"""The most of one message the engine reads. A pupil's question fits in a few lines; past
2,000 characters a text is pasted logs, a chain message or spam. Telegram allows 4,096:
staying well below keeps matching fast and a relayed message readable for a volunteer."""

Verdict = Literal["ok", "warn", "drop"]


@dataclass(slots=True)
class _Chat:
    last_seen: datetime
    recent: deque[datetime] = field(default_factory=deque)  # times inside the window
    muted_until: datetime | None = None


class FloodControl:
    """Counts each chat's messages in a sliding window.

    `check` says "ok" while a chat stays within `max_messages` per `window`; the first
    message beyond gets "warn" (the engine sends one "slow down, please"), and the messages
    after that get "drop" (not processed at all) while they keep coming: until one comes
    after a pause of `calm` (time to read the warning and type one question), or `cooldown`
    after the warning at the latest. Then counting starts afresh. Silence for every message
    of the cooldown would swallow the real question a child writes after the warning, and
    leave them thinking the bot is broken. A message exactly `window` old no longer counts.

    Memory stays bounded: a chat quiet for longer than both the window and the calm has
    nothing worth remembering and is forgotten, and at most `max_chats` chats are kept (the
    least recently seen go first, which can only cut a cooldown short under a flood of
    distinct chats).
    """

    def __init__(
        self,
        max_messages: int = 10,
        window: timedelta = timedelta(seconds=30),
        cooldown: timedelta = timedelta(seconds=60),
        calm: timedelta = timedelta(seconds=5),
        max_chats: int = 10_000,
    ) -> None:
        if max_messages < 1 or max_chats < 1:
            raise ValueError("max_messages and max_chats must be at least 1")
        if min(window, cooldown, calm) <= timedelta(0):
            raise ValueError("window, cooldown and calm must be longer than zero")
        self.max_messages = max_messages
        self.window = window
        self.cooldown = cooldown
        self.calm = calm
        self.max_chats = max_chats
        self._forget_after = max(window, calm)  # then a muted chat's next message is heard
        self._chats: OrderedDict[int, _Chat] = OrderedDict()  # least recently seen first

    def __len__(self) -> int:
        """How many chats are remembered now."""
        return len(self._chats)

    def check(self, chat_id: int, now: datetime) -> Verdict:
        """Count one message from `chat_id` at `now` and say what to do with it."""
        self._forget_idle(now)
        chat = self._chats.pop(chat_id, None) or _Chat(now)
        self._chats[chat_id] = chat
        paused = now - chat.last_seen >= self.calm
        chat.last_seen = now
        if len(self._chats) > self.max_chats:
            self._chats.popitem(last=False)
        if chat.muted_until is not None:
            if now < chat.muted_until and not paused:
                return "drop"
            chat.muted_until = None
        while chat.recent and now - chat.recent[0] >= self.window:
            chat.recent.popleft()
        chat.recent.append(now)
        if len(chat.recent) <= self.max_messages:
            return "ok"
        chat.recent.clear()
        chat.muted_until = now + self.cooldown
        return "warn"

    def _forget_idle(self, now: datetime) -> None:
        while self._chats:
            oldest = next(iter(self._chats.values()))
            if now - oldest.last_seen < self._forget_after:
                return
            self._chats.popitem(last=False)
