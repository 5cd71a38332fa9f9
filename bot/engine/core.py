"""The conversation engine: route one `Incoming` to its handler, in an explicit order.

Order matters and is written once, here: redeliveries and group chats first, then blocked
users (whose messages still pass when safeguarding recognises them), floods and over-long
messages, then button presses, commands, and finally ordinary messages, where safeguarding
is checked before anything else reads the text. An update is one transaction, committed
before the replies go out (the adapter's outbox rows with it); whatever goes wrong, all of it
is rolled back, the user gets at most one kind reply and the error is logged for the
developers.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from sqlalchemy.exc import InterfaceError, OperationalError

from bot.actions import Action, AnswerCallback, Copy, Incoming, Keep, Kind, Send
from bot.engine import (
    coordinator,
    effects,
    guards,
    language,
    onboarding,
    phrases,
    privacy,
    questions,
    smalltalk,
    tickets,
    volunteer,
)
from bot.engine.callbacks import Callback, InvalidCallback, Press, parse
from bot.engine.deps import Deps
from bot.engine.states import State
from bot.engine.turn import Turn
from bot.redact import redacted
from bot.texts import FALLBACK_LANGUAGE, Html
from escalation.api import EscalationError, Priority, VolunteerView

logger = logging.getLogger(__name__)

Handler = Callable[[Turn], Awaitable[None]]
PressHandler = Callable[[Turn, Callback], Awaitable[None]]


async def _help(turn: Turn) -> None:
    """/aiuto: a person, whatever the state (an open ticket just continues)."""
    if turn.state is State.IN_TICKET:
        turn.say("ticket.already_open")
        return
    question = (turn.user.context.get("question") or {})
    await tickets.ask_description(turn, question.get("text") or turn.incoming.text or "")


USER_COMMANDS: dict[str, Handler] = {
    "start": onboarding.start,
    "impostazioni": onboarding.start,
    "settings": onboarding.start,
    "aiuto": _help,
    "help": _help,
    "privacy": privacy.explain,
    **dict.fromkeys(privacy.FORGET_COMMANDS, privacy.ask_to_forget),
    "volunteer": volunteer.link,
    "chiudi": tickets.ask_to_withdraw,  # a volunteer's /chiudi is theirs (checked first)
    "close": tickets.ask_to_withdraw,
    "volontario": volunteer.link,
}


async def _pause(turn: Turn) -> None:
    await volunteer.pause(turn, True)


async def _resume(turn: Turn) -> None:
    await volunteer.pause(turn, False)


VOLUNTEER_COMMANDS: dict[str, Handler] = {
    "chiudi": volunteer.close,
    "close": volunteer.close,
    "pausa": _pause,
    "pause": _pause,
    "riprendo": _resume,
    "resume": _resume,
    "miei": volunteer.mine,
    "mine": volunteer.mine,
    "ticket": volunteer.switch,
}
COORDINATOR_COMMANDS: dict[str, Handler] = {
    "stats": coordinator.stats,
    "reload": coordinator.reload,
    "nonrisposte": coordinator.unanswered,
    "blocca": coordinator.block,
    "sblocca": coordinator.unblock,
}
USER_PRESSES: dict[Press, PressHandler] = {
    Press.LANGUAGE: onboarding.on_language,
    Press.ROLE: onboarding.on_role,
    Press.SCHOOL: onboarding.on_school,
    Press.FEEDBACK: questions.on_feedback,
    Press.PICK: questions.on_pick,
    Press.DESCRIBE_SKIP: tickets.on_describe_skip,
    Press.SOLVED: tickets.on_solved,
    Press.RATE: tickets.on_rate,
    Press.AGAIN: tickets.on_again,
    Press.FORGET: privacy.on_forget,
    Press.WITHDRAW: tickets.on_withdraw,
}
VOLUNTEER_PRESSES: dict[Press, PressHandler] = {
    Press.TAKE: volunteer.on_take,
    Press.PASS: volunteer.on_pass,
    Press.RELEASE: volunteer.on_release,
}


def _language_hint(incoming: Incoming) -> str:
    return "en" if (incoming.language_code or "").startswith("en") else FALLBACK_LANGUAGE


class ConversationEngine:
    """The `bot.actions.Engine` for Telegram and the console demo alike."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def handle(self, incoming: Incoming, keep: Keep | None = None) -> list[Action]:
        lang = _language_hint(incoming)
        try:
            async with self.deps.store.transaction():  # commits once, before the bot replies
                actions = await self._handle(incoming)
                if keep is not None:
                    await keep(actions)  # the replies commit with the update, or neither
                return actions
        except EscalationError as error:  # a refusal with its own words (a stale ticket ...)
            logger.info("Update %s refused: %s", incoming.update_id, error)
            known = self.deps.texts.has(lang, error.key)
            text = self.deps.texts.get(lang, error.key if known else "common.error",
                                       **error.params)
        except (OperationalError, InterfaceError) as error:  # the database is down: rolled back
            logger.error("Handling update %s failed: no database: %s", incoming.update_id,
                         redacted(error))  # never the message: SQL errors quote parameters
            text = self.deps.texts.get(lang, "common.database_down")
        except Exception as error:  # the one global handler: log it, say one kind sentence
            # (the update's changes are rolled back, its claim too: a redelivery is handled)
            logger.error("Handling update %s failed: %s", incoming.update_id, redacted(error))
            text = self.deps.texts.get(lang, "common.error")
        failed: list[Action] = [Send(incoming.chat_id, text)]
        if incoming.callback_id is not None:
            failed.insert(0, AnswerCallback(incoming.callback_id))
        return failed

    async def tick(self) -> list[Action]:
        return await effects.render(self.deps, await self.deps.escalation.sweep(self.deps.clock()))

    async def sent(self, action: Send | Copy, message_id: int) -> list[Action]:
        if isinstance(action, Send) and action.ping_offer_id is not None:
            missed = await self.deps.escalation.record_ping_message(
                action.ping_offer_id, message_id
            )
            return await effects.render(self.deps, missed)
        if isinstance(action, Copy) and action.ticket_id is not None:
            # Copy.ticket_id carries the relay's message_ref (see tickets.copies)
            await self.deps.escalation.record_relay_message(action.ticket_id, message_id)
        return []

    async def _handle(self, incoming: Incoming) -> list[Action]:
        deps = self.deps
        if not await deps.store.claim_update(incoming.update_id):
            return []  # Telegram delivered this update again: it was handled already
        if not incoming.private:
            return self._group_reply(incoming)
        staff = await deps.escalation.volunteer_by_chat(incoming.chat_id)
        user = await deps.store.get_or_create_user(incoming.chat_id, _language_hint(incoming))
        turn = Turn(incoming, user, deps)
        if staff is None and (
            await guards.blocked(turn) or guards.flooding(turn) or guards.too_long(turn)
        ):
            return turn.actions  # volunteers are trusted: they may write long explanations
        if incoming.kind is Kind.CALLBACK:
            await self._press(turn, staff)
        elif incoming.kind is Kind.COMMAND:
            await self._command(turn, staff)
        elif staff is not None:
            await self._staff_message(turn)
        else:
            await self._user_message(turn)
        return turn.actions

    def _group_reply(self, incoming: Incoming) -> list[Action]:
        """In a group, only a link to a private chat: questions there would be public."""
        if incoming.kind not in (Kind.COMMAND, Kind.TEXT):
            return []
        link = Html(f"https://t.me/{self.deps.bot_username}?start=group")
        text = self.deps.texts.get(_language_hint(incoming), "group.private_only", link=link)
        return [Send(incoming.chat_id, text)]

    async def _press(self, turn: Turn, staff: VolunteerView | None) -> None:
        try:
            press = parse(turn.incoming.callback_data)
        except InvalidCallback:
            turn.toast("common.invalid_button")
            return
        handler = USER_PRESSES.get(press.press)
        if handler is None and staff is not None:
            handler = VOLUNTEER_PRESSES.get(press.press)
        if handler is None:
            turn.toast("common.invalid_button")
            return
        await handler(turn, press)

    async def _command(self, turn: Turn, staff: VolunteerView | None) -> None:
        name = turn.incoming.command or ""
        handler = None
        if staff is not None and staff.is_coordinator:
            handler = COORDINATOR_COMMANDS.get(name)
        if handler is None and staff is not None:
            handler = VOLUNTEER_COMMANDS.get(name)
        handler = handler or USER_COMMANDS.get(name)
        if handler is None:  # staff are reminded of their own commands
            key = "common.unknown_command"
            if staff is not None:
                key = f"{'coordinator' if staff.is_coordinator else 'volunteer'}.unknown_command"
            turn.say(key)
            return
        await handler(turn)

    async def _staff_message(self, turn: Turn) -> None:
        if turn.incoming.kind in tickets.RELAYED_KINDS:
            await volunteer.relay(turn)
        else:
            turn.say("guard.only_text")

    async def _user_message(self, turn: Turn) -> None:
        kind = turn.incoming.kind
        text = turn.incoming.text or ""
        if kind is Kind.TEXT:
            await language.follow(turn, text)  # before any reply, the helplines included
        if text and await self._safeguarding(turn, text):  # captions too
            return
        in_ticket = turn.state is State.IN_TICKET and kind in tickets.RELAYED_KINDS
        if in_ticket and await tickets.relay_from_user(turn):
            return
        if turn.state is State.DESCRIBING and kind in (Kind.TEXT, Kind.PHOTO):
            await tickets.describe(turn)
        elif kind is Kind.PHOTO:
            turn.say("guard.photo_without_ticket")
        elif kind is not Kind.TEXT or not text.strip():
            turn.say("guard.only_text")
        elif self._wants_a_person(turn, text):
            await tickets.ask_description(turn, text)
        elif await onboarding.typed_school(turn, text):
            return
        elif not smalltalk.reply(turn, text):
            await questions.ask(turn, text)

    async def _safeguarding(self, turn: Turn, text: str) -> bool:
        """A child in danger is never answered from the FAQ: helplines (once per ticket) and
        an urgent ticket."""
        trigger = self.deps.safeguarding.check(text, turn.lang)
        if trigger is None:
            return False
        if turn.incoming.kind is Kind.TEXT and trigger.lang != turn.lang:
            await language.follow(turn, text, hint=trigger.lang)  # the helplines in it
        shown = tickets.helplines_shown(turn)
        if not shown:
            self._say_helplines(turn)
        if turn.state is State.IN_TICKET and await tickets.relay_from_user(turn, urgent=True):
            await tickets.make_urgent(turn)  # whoever reads it, the coordinators hear too
            await tickets.showed_helplines(turn)
            return True
        if shown:  # that ticket is over: the new one starts with them
            self._say_helplines(turn)
        question_id = await self.deps.store.log_question(turn.user.id, text, "safeguarding", None)
        await tickets.open_for(turn, text, category=f"safeguarding:{trigger.category}",
                               priority=Priority.URGENT, question_id=question_id)
        await tickets.showed_helplines(turn)
        return True

    def _say_helplines(self, turn: Turn) -> None:
        helplines = "\n".join(
            turn.text("safety.helpline", label=h.label(turn.lang))
            for h in self.deps.helplines
        )
        turn.say("safety.reply", helplines=Html(helplines))

    def _wants_a_person(self, turn: Turn, text: str) -> bool:
        """"voglio parlare con qualcuno", "un umano", "talk to a person" (per-language lists)."""
        return phrases.contains_one_of(self.deps.texts, text, "ask_for_a_person")
