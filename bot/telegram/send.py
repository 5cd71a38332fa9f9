"""Carry out the engine's actions with the Bot API, through the outbox, in order per chat.

Messages, copies and edits are written to the outbox (escalation.outbox) first and deleted
only once Telegram accepted them, so none is lost to a crash or an outage. A chat's calls go
out oldest first and one at a time: one that must wait holds back the later ones.
- 429 (flood wait): wait what Telegram asked, then try again. This is the only retry of a
  429; the Application's rate limiter only paces requests (see `app.py`).
- 5xx, timeouts, a dropped connection: try again after 1, 2, 4 ... seconds, at most 5 minutes.
- Anything else Telegram refuses (403 blocked by the user, 400 chat not found): recorded as
  failed, not tried again, and the chat's next call goes. The escalation timers move on from
  a ping that never arrived.
A timeout after Telegram took the message means it goes twice: delivery is at least once
(so does a hard crash before the outbox deleted what Telegram took, see escalation.outbox).
Button toasts (answerCallbackQuery) are answered at once and never stored: they expire fast.
When the database is down the outbox cannot be written, so the replies (by then the engine's
"try again in a minute") are sent directly, once.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections import Counter, defaultdict
from collections.abc import Iterable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.exc import SQLAlchemyError
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

from bot.actions import Action, AnswerCallback, Copy, Edit, Engine, Incoming, Keyboard, Send
from bot.telegram.outgoing import Owed, from_outgoing, to_outgoing
from bot.telegram.pseudonym import ChatTagger
from escalation.outbox import Added, Outbox, Outgoing, Queued

logger = logging.getLogger(__name__)

# Bot API method names are case-insensitive; PTB's do_api_request warns about a name that is
# also one of its methods ("sendMessage"), here deliberately called without its Message.
SEND_MESSAGE = "sendmessage"


@dataclass(frozen=True, slots=True)
class Backoff:
    """How long to wait before the next try of a call that failed for a passing reason."""

    first: timedelta = timedelta(seconds=1)
    ceiling: timedelta = timedelta(minutes=5)

    def after(self, attempts: int) -> timedelta:
        """The wait after the `attempts`-th failure (1, 2, 4 ... times `first`)."""
        return min(self.first * 2 ** min(attempts, 30), self.ceiling)


DEFAULT_BACKOFF = Backoff()


class Courier:
    """Sends, edits and copies messages for the engine, and reports ids it must remember."""

    def __init__(
        self,
        bot: Bot,
        engine: Engine,
        tag: ChatTagger,
        outbox: Outbox,
        backoff: Backoff = DEFAULT_BACKOFF,
    ) -> None:
        self._bot = bot
        self._engine = engine
        self._tag = tag
        self._outbox = outbox
        self._backoff = backoff
        # One sender per chat at a time. A lock per chat that ever wrote: a few hundred bytes
        # each, and nothing a restart must keep.
        self._busy: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._reserved: Counter[int] = Counter()  # chats whose new rows an update will send

    async def serve(self, incoming: Incoming) -> None:
        """Let the engine handle `incoming`, its replies stored in the outbox inside the
        update's own transaction, then answer and send them."""
        kept: list[tuple[list[Action], list[Outgoing], Added, _Reservation]] = []

        async def keep(actions: list[Action]) -> None:
            owed = [action for action in actions if not isinstance(action, AnswerCallback)]
            rows = [row for action in owed for row in to_outgoing(action)]
            added = await self._outbox.add(rows)
            # Committed rows are visible to the drain: it keeps off until we hold the chats.
            kept.append((actions, rows, added, _Reservation(self._reserved, rows)))

        try:
            actions = await self._engine.handle(incoming, keep)
            if not kept or kept[0][0] is not actions:  # not kept, or rolled back after all
                await self.deliver(actions)
                return
            _, rows, added, reservation = kept[0]
            await self._answer_presses(actions)
            await self._send_queued(rows, added, reservation)
        finally:
            for *_, reservation in kept:
                reservation.release()

    async def deliver(self, actions: Iterable[Action]) -> None:
        """Answer button presses, queue everything else, then send what the chats can take."""
        owed = await self._answer_presses(actions)
        await self._send_queued([row for action in owed for row in to_outgoing(action)])

    async def _answer_presses(self, actions: Iterable[Action]) -> list[Owed]:
        """Answer the button presses among `actions` (never stored); the others, in order."""
        owed: list[Owed] = []
        for action in actions:
            if isinstance(action, AnswerCallback):
                await self._answer(action)
            else:
                owed.append(action)
        return owed

    async def _send_queued(
        self,
        rows: list[Outgoing],
        added: Added | None = None,
        reservation: _Reservation | None = None,
    ) -> None:
        """Send `rows` once their chats are ours, queueing them first unless `added` says
        they already are (then `reservation` kept the drain off them until now)."""
        chats = sorted({row.chat_id for row in rows})  # one order of locking: no deadlock
        async with AsyncExitStack() as holding:
            for chat_id in chats:
                await holding.enter_async_context(self._busy[chat_id])
            if reservation is not None:
                reservation.release()
            if added is None:
                try:
                    added = await self._outbox.add(rows)
                except SQLAlchemyError as error:
                    logger.error("Outbox unavailable (%s): sending once, directly",
                                 type(error).__name__)
                    for row in rows:
                        await self._attempt_once(from_outgoing(row))
                    return
            for chat_id in chats:
                if chat_id in added.behind:
                    await self._send_due(chat_id)
                else:  # nothing older waits: send the rows as they are, no need to read back
                    await self._send_each([q for q in added.rows if q.chat_id == chat_id])

    async def drain(self) -> None:
        """Send whatever is due in every chat: after a restart, and on a timer for retries;
        and delete what Telegram took meanwhile (the outbox does so in batches)."""
        await self._outbox.forget_sent()
        chats = [c for c in await self._outbox.due_chats() if not self._taken(c)]
        await asyncio.gather(*(self.flush(chat) for chat in chats))  # a busy chat: its sender

    async def flush(self, chat_id: int) -> None:
        """Send the chat's due calls in order, until one has to wait or none is left, or an
        update's sender is about to take the chat over."""
        async with self._busy[chat_id]:  # the update handler and the drain job may meet
            await self._send_due(chat_id, yielding=True)

    def _taken(self, chat_id: int) -> bool:
        return self._busy[chat_id].locked() or chat_id in self._reserved

    async def _send_due(self, chat_id: int, *, yielding: bool = False) -> None:
        """Send from the head of the chat's queue; `yielding` (the drain) stops as soon as an
        update's sender reserved the chat, checked after each read: what it read may be that
        sender's rows."""
        while (queued := await self._outbox.head(chat_id)) is not None:
            if yielding and chat_id in self._reserved:
                return
            if not await self._try(queued):
                return

    async def _send_each(self, rows: list[Queued]) -> None:
        """Send the rows in order; at the first that must wait, the rest wait behind it."""
        for queued in rows:
            if not await self._try(queued):
                return

    async def _try(self, queued: Queued) -> bool:
        """One attempt; False when the chat must wait for a retry."""
        action = from_outgoing(queued)
        try:
            message_id = await self._perform(action)
        except RetryAfter as error:
            wait = _seconds(error)
            logger.warning("Flood wait for %s: again in %s s", self._recipient(action), wait)
            await self._outbox.retry_later(queued, timedelta(seconds=wait), str(error))
            return False
        except NetworkError as error:  # 5xx, timeouts, no network
            wait = self._backoff.after(queued.attempts)
            logger.warning(
                "%s for %s failed (%s): again in %s s",
                queued.kind, self._recipient(action), error, wait.total_seconds(),
            )
            await self._outbox.retry_later(queued, wait, str(error))
            return False
        except TelegramError as error:
            logger.warning("%s for %s refused: %s", queued.kind, self._recipient(action), error)
            await self._outbox.give_up(queued, str(error))
            return True
        if message_id is not None:
            await self._remember(action, message_id)
        await self._outbox.done(queued)
        return True

    async def _attempt_once(self, action: Owed) -> None:
        try:
            await self._perform(action)
        except TelegramError as error:
            logger.warning("%s for %s failed: %s", type(action).__name__,
                           self._recipient(action), error)

    async def _remember(self, action: Owed, message_id: int) -> None:
        """Tell the engine the id of a ping or relay; a failure must not resend the message.
        What the engine asks for in return is queued: this sender holds the chat now, the
        drain sends it within `drain_seconds`."""
        if not isinstance(action, Send | Copy):
            return
        try:
            follow_ups = await self._engine.sent(action, message_id)
            owed = await self._answer_presses(follow_ups)
            if owed:
                await self._outbox.add([row for a in owed for row in to_outgoing(a)])
        except Exception:
            logger.exception("Recording the message id of a %s failed", type(action).__name__)

    async def _answer(self, action: AnswerCallback) -> None:
        try:
            await self._bot.answer_callback_query(action.callback_id, text=action.text)
        except TelegramError as error:
            logger.warning("Answering a button press failed: %s", error)

    async def _perform(self, action: Owed) -> int | None:
        """Make the call; the id of the new message when the engine asked to know it."""
        match action:
            case Send():
                return await self._send(action)
            case Edit():
                await self._edit(action)
            case Copy():
                return await self._copy(action)
        return None

    async def _send(self, action: Send) -> int | None:
        """sendMessage, its answer left as JSON: PTB's `send_message` would build a Message
        and a keyboard's objects (about 0.17 CPU ms a reply) where we need only the id.
        Still PTB's own request path: the rate limiter, the errors as exceptions."""
        call: dict[str, object] = {"chat_id": action.chat_id, "text": action.text,
                                   "parse_mode": ParseMode.HTML}
        if action.buttons:
            call["reply_markup"] = {"inline_keyboard": _keyboard_json(action.buttons)}
        if action.reply_to_message_id is not None:
            call["reply_parameters"] = {"message_id": action.reply_to_message_id,
                                        "allow_sending_without_reply": True}
        sent = await self._bot.do_api_request(SEND_MESSAGE, api_kwargs=call)
        return sent["message_id"] if action.ping_offer_id is not None else None

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

    async def _copy(self, action: Copy) -> int | None:
        copied = await self._bot.copy_message(
            action.to_chat_id,
            action.from_chat_id,
            action.message_id,
            caption=action.caption,
            parse_mode=ParseMode.HTML if action.caption is not None else None,
        )
        return copied.message_id if action.ticket_id is not None else None

    def _recipient(self, action: Owed) -> str:
        return self._tag(action.to_chat_id if isinstance(action, Copy) else action.chat_id)


class _Reservation:
    """Chats whose just committed rows an update's sender is about to send: the drain must
    not send them first (they would go twice)."""

    def __init__(self, counts: Counter[int], rows: list[Outgoing]) -> None:
        self._counts = counts
        self._chats = {row.chat_id for row in rows}
        counts.update(self._chats)

    def release(self) -> None:
        """Once; calling it again does nothing."""
        chats, self._chats = self._chats, set()
        for chat_id in chats:
            self._counts[chat_id] -= 1
            if not self._counts[chat_id]:
                del self._counts[chat_id]


def _seconds(error: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 warns that the int form will become a timedelta
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        retry_after = error.retry_after
    return retry_after.total_seconds() if isinstance(retry_after, timedelta) else retry_after


def _keyboard_json(buttons: Keyboard) -> list[list[dict[str, str]]]:
    return [[{"text": b.label, "callback_data": b.data} for b in row] for row in buttons]


def _markup(buttons: Keyboard) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=b.data) for b in row] for row in buttons]
    )
