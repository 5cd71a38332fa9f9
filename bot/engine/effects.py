"""Turn the escalation layer's `Effects` (pings, ping edits, notices) into messages.

The escalation service decides who must hear what and records it; this module only words it,
in the recipient's language. A volunteer sees the pseudonym and the ticket number, never the
child's Telegram name or id.
"""

from __future__ import annotations

import logging
from datetime import datetime

from bot.actions import Action, Button, Edit, Keyboard, Send
from bot.engine import moments
from bot.engine.callbacks import Press, pack
from bot.engine.deps import Deps
from bot.texts import FALLBACK_LANGUAGE, Html
from escalation.api import Effects, Priority, TicketView

logger = logging.getLogger(__name__)


async def volunteer_language(deps: Deps, chat_id: int) -> str:
    """Italian for everyone who speaks it (the team's language), else their first language."""
    volunteer = await deps.escalation.volunteer_by_chat(chat_id)
    if volunteer is None or not volunteer.languages or FALLBACK_LANGUAGE in volunteer.languages:
        return FALLBACK_LANGUAGE
    return volunteer.languages[0]


def ticket_summary(deps: Deps, lang: str, ticket: TicketView) -> Html:
    """What a volunteer needs to pick up a ticket: number, school, device, question, tries."""
    texts = deps.texts
    entries = [e for e in map(deps.knowledge.kb.get, ticket.tried_entries) if e is not None]
    tried = [entry.title_in(lang) for entry in entries]
    unknown = texts.get(lang, "volunteer.not_given")
    category = ticket.category or next((e.category for e in entries if e.category), None)
    return texts.get(
        lang,
        "volunteer.summary_urgent" if ticket.priority is Priority.URGENT else "volunteer.summary",
        number=ticket.number,
        school=ticket.school or unknown,
        category=category_in_words(deps, lang, category) if category else unknown,
        question=ticket.question,
        tried=", ".join(tried) or texts.get(lang, "volunteer.nothing_tried"),
    )


def category_in_words(deps: Deps, lang: str, category: str) -> str:
    """"danni" for damage, "bullismo" for safeguarding:bullying (the `categories` texts); a
    custom FAQ's category the texts do not know is shown as it is."""
    key = f"categories.{category.replace(':', '.')}"
    return deps.texts.get(lang, key) if deps.texts.has(lang, key) else category


def rating_buttons(deps: Deps, lang: str, number: str) -> Keyboard:
    """"Is it solved?" under the notice that the volunteer closed the ticket."""
    return ((
        Button(deps.texts.get(lang, "ticket.solved_yes"), pack(Press.SOLVED, number, "y")),
        Button(deps.texts.get(lang, "ticket.solved_no"), pack(Press.SOLVED, number, "n")),
    ),)


def release_button(deps: Deps, lang: str, number: str) -> Keyboard:
    """"Passo" under the reminder to write to the user: hand the ticket back."""
    return ((Button(deps.texts.get(lang, "volunteer.pass"), pack(Press.RELEASE, number)),),)


# Notices that carry buttons, by key: the keyboard for the ticket number they are about.
NOTICE_BUTTONS = {
    "ticket.resolved": rating_buttons,
    "volunteer.reply_reminder": release_button,
    "volunteer.reply_reminder_later": release_button,
}


async def render(deps: Deps, effects: Effects) -> list[Action]:
    """Messages for every ping, edit and notice, in that order."""
    actions: list[Action] = []
    for ping in effects.pings:
        lang = await volunteer_language(deps, ping.chat_id)
        buttons = (
            (
                Button(deps.texts.get(lang, "volunteer.take"), pack(Press.TAKE, ping.ticket.id)),
                Button(deps.texts.get(lang, "volunteer.pass"), pack(Press.PASS, ping.ticket.id)),
            ),
        )
        text = deps.texts.get(
            lang, "volunteer.ping", summary=ticket_summary(deps, lang, ping.ticket)
        )
        actions.append(Send(ping.chat_id, text, buttons, ping_offer_id=ping.offer_id))
    for edit in effects.edits:
        lang = await volunteer_language(deps, edit.chat_id)
        text = deps.texts.get(
            lang, f"volunteer.ping_{edit.reason}", number=edit.ticket.number
        )
        actions.append(Edit(edit.chat_id, edit.message_id, text))
    for notice in effects.notices:
        try:
            params = {
                name: moments.in_words(deps.texts, notice.language, value, deps.clock())
                if isinstance(value, datetime) else value
                for name, value in notice.params.items()
            }
            text = deps.texts.get(notice.language, notice.key, **params)
        except KeyError:  # a key the message files lack: a bug to fix, not a reason to stop
            logger.error("No text for notice %r", notice.key)
            continue
        make = NOTICE_BUTTONS.get(notice.key)
        buttons = make(deps, notice.language, notice.params["number"]) if make else ()
        actions.append(Send(notice.chat_id, text, buttons))
    return actions
