"""What the bot may ask of the persistence and escalation layer: plain data, no Telegram types.

The bot's conversation engine talks only to these two protocols; `escalation.users` and
`escalation.service` implement them on SQLAlchemy. A method commits before it returns, unless
it is called inside `UserStore.transaction()`: then every call made while the bot handles one
update commits together, once, before the bot replies, so the bot can reply knowing its state
is safe. Every method that changes something returns the `Effects` the bot must carry out
(messages to send or edit), so that timers, pings and notices never live only in memory.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol


class Role(StrEnum):
    PUPIL = "pupil"
    TEACHER = "teacher"


class TicketStatus(StrEnum):
    OPEN = "open"  # waiting for the first offer (e.g. nobody on shift)
    OFFERED = "offered"  # pings are out, nobody has taken it yet
    ASSIGNED = "assigned"
    WAITING_USER = "waiting_user"  # the volunteer asked something, the user has to answer
    RELEASED = "released"  # handed back by its volunteer: offered again
    RESOLVED = "resolved"
    CLOSED = "closed"
    EXPIRED = "expired"


class Priority(StrEnum):
    NORMAL = "normal"
    URGENT = "urgent"  # safeguarding: straight to the coordinators


class Sender(StrEnum):
    USER = "user"
    VOLUNTEER = "volunteer"


class Outcome(StrEnum):
    """What became of a question the bot handled (for /stats and /nonrisposte)."""

    ANSWERED = "answered"
    CLARIFIED = "clarified"
    SOLVED = "solved"
    NOT_SOLVED = "not_solved"
    ESCALATED = "escalated"


@dataclass(frozen=True, slots=True)
class UserView:
    id: int
    chat_id: int
    pseudonym: str  # what volunteers and logs see, e.g. "alunno-7f3a"
    role: Role | None
    language: str
    school: str | None
    blocked: bool
    state: str  # the conversation engine's state name (a string enum value)
    context: dict[str, Any]  # small JSON-able context of the engine (last suggestions ...)


@dataclass(frozen=True, slots=True)
class VolunteerView:
    id: int
    code: str
    name: str
    chat_id: int | None
    languages: tuple[str, ...]
    paused: bool
    is_coordinator: bool


@dataclass(frozen=True, slots=True)
class TicketView:
    id: int
    number: str  # short public number shown to people, e.g. "T-0042"
    user_id: int
    status: TicketStatus
    priority: Priority
    language: str
    school: str | None
    category: str | None
    question: str
    tried_entries: tuple[str, ...]
    volunteer_id: int | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Ping:
    """Send a volunteer (or coordinator) an offer of a ticket with "take" / "pass" buttons."""

    offer_id: int
    chat_id: int
    ticket: TicketView
    level: int


@dataclass(frozen=True, slots=True)
class PingEdit:
    """Edit an earlier ping: it was taken by someone else, or it timed out."""

    offer_id: int
    chat_id: int
    message_id: int
    ticket: TicketView
    reason: str  # "taken" | "taken_by_other" | "passed" | "expired" | "closed"


@dataclass(frozen=True, slots=True)
class Notice:
    """Tell someone something, by message key of the per-language texts."""

    chat_id: int
    language: str
    key: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Effects:
    pings: tuple[Ping, ...] = ()
    edits: tuple[PingEdit, ...] = ()
    notices: tuple[Notice, ...] = ()

    def merge(self, *others: Effects) -> Effects:
        """These effects followed by `others`, in order."""
        every = (self, *others)
        return Effects(
            pings=tuple(p for e in every for p in e.pings),
            edits=tuple(m for e in every for m in e.edits),
            notices=tuple(n for e in every for n in e.notices),
        )


@dataclass(frozen=True, slots=True)
class TakeResult:
    won: bool  # False: somebody else was faster, or the ticket is no longer open
    ticket: TicketView
    effects: Effects


@dataclass(frozen=True, slots=True)
class RelayTarget:
    """Where a relayed message goes: the bot copies (never forwards) it to `chat_id`.

    After copying, the bot hands the copy's message id to `record_relay_message(message_ref,
    ...)`, so that a reply to the copy can be routed back to the ticket.
    """

    ticket: TicketView
    chat_id: int
    language: str
    message_ref: int | None = None  # the stored ticket_messages row


class EscalationError(Exception):
    """A request the escalation layer refuses; `key` names the per-language text to show."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(f"{key} {params}" if params else key)
        self.key = key
        self.params = params


@dataclass(frozen=True, slots=True)
class Stats:
    """The coordinators' /stats numbers; times are measured from the tickets' timestamps."""

    questions_today: int
    questions_week: int
    answered_by_bot: int  # this week: answered, clarified or solved without a human
    escalated: int  # this week
    expired: int  # this week: tickets nobody took in time (their users were told)
    handed_back: int  # this week: taken tickets that went back because nobody answered
    median_first_reply_seconds: float | None  # tickets opened this week that got a reply
    rated: int
    mean_rating: float | None
    solved_share: float | None  # of the rated tickets, how many said "solved"


@dataclass(frozen=True, slots=True)
class FrequentQuestion:
    text: str
    count: int
    suggested: tuple[str, ...] = ()  # the entries the bot offered for it, most often first


class UserStore(Protocol):
    def transaction(self) -> AbstractAsyncContextManager[None]:
        """One update's unit of work: the store's and the escalation service's calls inside
        share one transaction, committed when it ends; an exception rolls all of it back."""
    async def get_or_create_user(self, chat_id: int, language: str) -> UserView: ...
    async def user_by_pseudonym(self, pseudonym: str) -> UserView | None:
        """The user volunteers know as `pseudonym` (e.g. "utente-7f3a1c")."""
    async def update_user(self, user_id: int, **fields: Any) -> UserView:
        """Set role, language, school, state, context or blocked."""
    async def save_user(self, user: UserView, **fields: Any) -> UserView:
        """`update_user` of the user whose update this is, as `user` shows it (read in this
        transaction): returns `user` with `fields`, without reading the row back."""
    async def forget_user(self, user_id: int) -> None:
        """Delete the user's data (texts, tickets' texts); keep anonymous counts."""
    async def claim_update(self, update_id: int) -> bool:
        """Record a Telegram update id; False if it was already handled (a redelivery)."""
    async def log_question(
        self,
        user_id: int,
        text: str,
        action: str,
        entry_id: str | None,
        outcome: Outcome | None = None,
    ) -> int: ...
    async def set_outcome(self, question_id: int, outcome: Outcome) -> None: ...


class EscalationService(Protocol):
    async def open_ticket(
        self,
        user_id: int,
        question: str,
        *,
        category: str | None = None,
        tried_entries: tuple[str, ...] = (),
        priority: Priority = Priority.NORMAL,
    ) -> tuple[TicketView, Effects]: ...
    async def record_ping_message(self, offer_id: int, message_id: int) -> Effects: ...
    async def take(self, ticket_id: int, volunteer_chat_id: int) -> TakeResult: ...
    async def pass_ticket(self, ticket_id: int, volunteer_chat_id: int) -> Effects: ...
    async def release(self, ticket_id: int, volunteer_chat_id: int) -> Effects: ...
    async def make_urgent(self, ticket_id: int) -> Effects: ...
    async def close(self, ticket_id: int, volunteer_chat_id: int) -> Effects: ...
    async def withdraw(self, user_id: int, ticket_id: int | None = None) -> Effects:
        """The user closes their own ticket (every unfinished one when `ticket_id` is None);
        an urgent ticket named by `ticket_id` stays open and the coordinators are told."""
    async def rate(self, ticket_id: int, user_id: int, stars: int, solved: bool) -> None: ...
    async def relay(
        self,
        sender: Sender,
        chat_id: int,
        *,
        kind: str,  # "text" | "photo" | "voice" | "document"
        text: str | None = None,
        file_id: str | None = None,
        ticket_number: str | None = None,  # which ticket a volunteer answers
        message_id: int | None = None,  # the incoming Telegram message
        reply_to_message_id: int | None = None,  # what it replies to, to pick the ticket
    ) -> RelayTarget | None: ...
    async def record_relay_message(self, message_ref: int, message_id: int) -> None:
        """Remember the id of the copy the bot sent for a `RelayTarget`."""
    async def ticket_for_message(self, chat_id: int, message_id: int) -> TicketView | None:
        """The ticket a ping or a relayed message (either copy) in that chat belongs to."""
    async def ticket_by_number(self, number: str) -> TicketView | None: ...
    async def sync_rota(self) -> None:
        """Upsert the volunteers and coordinators of the current rota (at start and /reload)."""
    async def stats(self) -> Stats: ...
    async def frequent_unanswered(self, limit: int = 10) -> tuple[FrequentQuestion, ...]:
        """This week's most frequent escalated or not-solved questions (/nonrisposte)."""
    async def link_volunteer(self, code: str, chat_id: int) -> VolunteerView | None: ...
    async def volunteer_by_chat(self, chat_id: int) -> VolunteerView | None: ...
    async def set_paused(self, volunteer_chat_id: int, paused: bool) -> None: ...
    async def open_tickets_of(self, volunteer_chat_id: int) -> tuple[TicketView, ...]: ...
    async def sweep(self, now: datetime | None = None) -> Effects:
        """Escalate every acknowledgement that is due (safe to run in several processes)."""
