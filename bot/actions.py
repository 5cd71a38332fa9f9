"""What goes into and out of the conversation engine: plain data, no Telegram types.

The Telegram adapter turns an Update into an `Incoming`, calls the engine, and carries out the
returned actions in order; the console demo does the same with stdin and stdout. Keeping this
boundary small is what lets the conversation logic be tested fast and driven from a console.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class Kind(StrEnum):
    TEXT = "text"
    COMMAND = "command"  # text starting with "/": `command` holds the name, `text` the rest
    CALLBACK = "callback"  # a button press: `callback_data` and `callback_id`
    PHOTO = "photo"
    VOICE = "voice"
    DOCUMENT = "document"
    STICKER = "sticker"
    LOCATION = "location"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Incoming:
    update_id: int
    chat_id: int
    kind: Kind
    private: bool = True  # False in groups: the bot only offers a button to talk privately
    message_id: int | None = None
    text: str | None = None  # message text or photo caption; command arguments for COMMAND
    command: str | None = None  # lower-cased, without "/" and "@botname"
    file_id: str | None = None
    callback_data: str | None = None
    callback_id: str | None = None
    reply_to_message_id: int | None = None
    language_code: str | None = None  # the Telegram client's language, a hint for new users

    def __post_init__(self) -> None:
        # PostgreSQL refuses NUL in text, so a NUL would fail every write of this update and
        # the user would get an error instead of an answer; a NUL carries no meaning anyway.
        if self.text is not None and "\x00" in self.text:
            object.__setattr__(self, "text", self.text.replace("\x00", ""))


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    data: str  # packed callback data, at most 64 bytes (Telegram's limit)


Keyboard = tuple[tuple[Button, ...], ...]  # rows of buttons


@dataclass(frozen=True, slots=True)
class Send:
    chat_id: int
    text: str  # Telegram HTML; the adapter splits texts over 4,096 characters
    buttons: Keyboard = ()
    ping_offer_id: int | None = None  # a volunteer ping: record the sent message id for it
    reply_to_message_id: int | None = None


@dataclass(frozen=True, slots=True)
class Edit:
    chat_id: int
    message_id: int
    text: str
    buttons: Keyboard = ()


@dataclass(frozen=True, slots=True)
class Copy:
    """Relay a message by copying it: the recipient never sees who sent it."""

    from_chat_id: int
    message_id: int
    to_chat_id: int
    caption: str | None = None  # replaces the caption of a photo, e.g. tagged with the ticket
    ticket_id: int | None = None  # record the copied message id against this ticket


@dataclass(frozen=True, slots=True)
class AnswerCallback:
    callback_id: str
    text: str | None = None


Action = Send | Edit | Copy | AnswerCallback
Keep = Callable[[list[Action]], Awaitable[None]]


class Engine(Protocol):
    """The conversation engine as the adapters (Telegram, console) see it."""

    async def handle(self, incoming: Incoming, keep: Keep | None = None) -> list[Action]:
        """Everything to do for one update; state is committed before this returns.

        `keep` is called with the actions just before that commit and inside the same
        transaction (the Telegram adapter stores them in its outbox there); if it fails, the
        update is rolled back like any failure. An engine may also return without calling it.
        """

    async def tick(self) -> list[Action]:
        """Run the escalation sweeper (called periodically by the adapter's job queue)."""

    async def sent(self, action: Send | Copy, message_id: int) -> list[Action]:
        """Record the Telegram id of a message sent for a ping or a relay; what to do now
        that it is known (edit a ping whose ticket moved on while it was being sent)."""
