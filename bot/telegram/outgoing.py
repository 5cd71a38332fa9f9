"""The engine's actions as outbox rows (one Bot API call each) and back.

A long text is split here, before it is stored, so that each row is one call: a retry then
repeats only the part that failed, never the parts the chat has already read. The reply goes
on the first part, the buttons and the ping's message id on the last.
"""

from __future__ import annotations

from typing import Any

from bot.actions import Button, Copy, Edit, Keyboard, Send
from bot.telegram.split import split_message
from escalation.outbox import Outgoing

SEND, COPY, EDIT = "send", "copy", "edit"

Owed = Send | Copy | Edit


def to_outgoing(action: Owed) -> list[Outgoing]:
    """The rows that carry out `action`, in the order they must reach the chat."""
    match action:
        case Send():
            parts = split_message(action.text)
            last = len(parts) - 1
            return [
                Outgoing(
                    action.chat_id,
                    SEND,
                    {
                        "text": part,
                        "buttons": _plain(action.buttons) if index == last else [],
                        "reply_to": action.reply_to_message_id if index == 0 else None,
                        "ping_offer_id": action.ping_offer_id if index == last else None,
                    },
                )
                for index, part in enumerate(parts)
            ]
        case Copy():
            return [
                Outgoing(
                    action.to_chat_id,
                    COPY,
                    {
                        "from_chat_id": action.from_chat_id,
                        "message_id": action.message_id,
                        "caption": action.caption,
                        "ticket_id": action.ticket_id,
                    },
                )
            ]
        case Edit():
            return [
                Outgoing(
                    action.chat_id,
                    EDIT,
                    {
                        "message_id": action.message_id,
                        "text": action.text,
                        "buttons": _plain(action.buttons),
                    },
                )
            ]


def from_outgoing(item: Outgoing) -> Owed:
    """The action one row stands for (a Send is a single part by now)."""
    payload = item.payload
    if item.kind == SEND:
        return Send(
            item.chat_id,
            payload["text"],
            buttons=_keyboard(payload["buttons"]),
            ping_offer_id=payload["ping_offer_id"],
            reply_to_message_id=payload["reply_to"],
        )
    if item.kind == COPY:
        return Copy(
            payload["from_chat_id"],
            payload["message_id"],
            item.chat_id,
            caption=payload["caption"],
            ticket_id=payload["ticket_id"],
        )
    if item.kind == EDIT:
        return Edit(
            item.chat_id, payload["message_id"], payload["text"], _keyboard(payload["buttons"])
        )
    raise ValueError(f"unknown outbox row kind {item.kind!r}")


def _plain(buttons: Keyboard) -> list[list[list[str]]]:
    return [[[b.label, b.data] for b in row] for row in buttons]


def _keyboard(rows: list[list[Any]]) -> Keyboard:
    return tuple(tuple(Button(label, data) for label, data in row) for row in rows)
