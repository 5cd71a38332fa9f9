"""The escalation service and user store on SQLAlchemy: what the bot calls (see `api`).

Every public method runs in one transaction and commits before it returns, handing back the
`Effects` the bot must carry out; nothing that matters (timers, pings, exclusions) lives only
in memory. The rules for the next step of the chain are in `chain`, the allowed status
changes in `lifecycle`; this module reads what they need from the database and stores what
they decide. Races are settled by the database: a ticket row is locked (`FOR UPDATE` on
PostgreSQL; SQLite runs one writing transaction at a time) before its chain moves, and
`take` is a conditional UPDATE that only one volunteer can win.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from escalation import chain, lifecycle, stats, sweeper
from escalation.api import (
    Effects,
    EscalationError,
    FrequentQuestion,
    Notice,
    Outcome,
    Ping,
    PingEdit,
    Priority,
    RelayTarget,
    Role,
    Sender,
    Stats,
    TakeResult,
    TicketStatus,
    TicketView,
    UserView,
    VolunteerView,
)
from escalation.models import (
    LIVE_OFFER_STATES,
    AckTimer,
    AuditEntry,
    Offer,
    OfferState,
    ProcessedUpdate,
    QuestionLog,
    Ticket,
    TicketMessage,
    User,
    Volunteer,
)
from escalation.rota import EscalationPolicy, Rota

Clock = Callable[[], datetime]
Sessions = async_sessionmaker[AsyncSession]
SYSTEM = "system"
DEFAULT_LANGUAGE = "it"
_USER_FIELDS = frozenset({"role", "language", "school", "state", "context", "blocked"})


def utc_now() -> datetime:
    return datetime.now(UTC)


def ticket_number(ticket_id: int) -> str:
    return f"T-{ticket_id:04d}"


def ticket_view(ticket: Ticket) -> TicketView:
    return TicketView(
        id=ticket.id,
        number=ticket.number or ticket_number(ticket.id),
        user_id=ticket.user_id or 0,
        status=TicketStatus(ticket.status),
        priority=Priority(ticket.priority),
        language=ticket.language,
        school=ticket.school,
        category=ticket.category,
        question=ticket.question or "",
        tried_entries=tuple(ticket.tried_entries),
        volunteer_id=ticket.volunteer_id,
        created_at=ticket.opened_at,
    )


def user_view(user: User) -> UserView:
    return UserView(
        id=user.id,
        chat_id=user.chat_id,
        pseudonym=user.pseudonym,
        role=Role(user.role) if user.role else None,
        language=user.language,
        school=user.school,
        blocked=user.blocked,
        state=user.state,
        context=dict(user.context),
    )


def volunteer_view(volunteer: Volunteer) -> VolunteerView:
    return VolunteerView(
        id=volunteer.id,
        code=volunteer.code,
        name=volunteer.name,
        chat_id=volunteer.chat_id,
        languages=tuple(volunteer.languages),
        paused=volunteer.paused,
        is_coordinator=volunteer.is_coordinator,
    )


def audit(
    session: AsyncSession,
    at: datetime,
    actor: str,
    action: str,
    ticket: Ticket | None = None,
    **details: Any,
) -> None:
    session.add(
        AuditEntry(
            at=at,
            ticket_id=ticket.id if ticket else None,
            actor=actor,
            action=action,
            details=details,
        )
    )


def _actor(volunteer: Volunteer) -> str:
    return f"volunteer:{volunteer.code}"


def _insert_ignoring_duplicates(session: AsyncSession) -> Any:
    dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
    return dialect.insert(ProcessedUpdate).on_conflict_do_nothing(index_elements=["update_id"])


class SqlUserStore:
    """The bot's users, their conversation state, handled updates and logged questions."""

    def __init__(self, sessions: Sessions, *, clock: Clock = utc_now) -> None:
        self._sessions = sessions
        self._clock = clock

    async def get_or_create_user(self, chat_id: int, language: str) -> UserView:
        now = self._clock()
        async with self._sessions() as session, session.begin():
            user = await session.scalar(select(User).where(User.chat_id == chat_id))
            if user is not None:
                user.last_seen_at = now
                return user_view(user)
        try:
            async with self._sessions() as session, session.begin():
                user = User(
                    chat_id=chat_id,
                    pseudonym=f"utente-{secrets.token_hex(3)}",
                    language=language,
                    state="",
                    context={},
                    blocked=False,
                    created_at=now,
                    last_seen_at=now,
                )
                session.add(user)
            return user_view(user)
        except IntegrityError:  # the same chat's first two updates arrived together
            async with self._sessions() as session:
                return user_view(await session.scalar(select(User).where(User.chat_id == chat_id)))

    async def update_user(self, user_id: int, **fields: Any) -> UserView:
        unknown = set(fields) - _USER_FIELDS
        if unknown:
            raise TypeError(
                f"update_user cannot set {sorted(unknown)}; allowed: {sorted(_USER_FIELDS)}"
            )
        async with self._sessions() as session, session.begin():
            user = await session.get(User, user_id)
            if user is None:
                raise EscalationError("user.unknown", user_id=user_id)
            for name, value in fields.items():
                if name == "role" and value is not None:
                    value = Role(value).value
                setattr(user, name, dict(value) if name == "context" else value)
            user.last_seen_at = self._clock()
            return user_view(user)

    async def forget_user(self, user_id: int) -> None:
        now = self._clock()
        async with self._sessions() as session, session.begin():
            user = await session.get(User, user_id)
            if user is None:
                return
            tickets = (await session.scalars(select(Ticket).where(Ticket.user_id == user_id))).all()
            for ticket in tickets:
                if (
                    ticket.status not in lifecycle.FINISHED
                    or ticket.status == TicketStatus.RESOLVED
                ):
                    ticket.status = lifecycle.transition(ticket.status, TicketStatus.CLOSED)
                    ticket.closed_at = now
                ticket.question = None
                ticket.user_id = None
                ticket.purged_at = now
            ids = [t.id for t in tickets]
            await session.execute(
                update(Offer)
                .where(Offer.ticket_id.in_(ids), Offer.state.in_(LIVE_OFFER_STATES))
                .values(state=OfferState.SUPERSEDED, answered_at=now)
            )
            await session.execute(delete(AckTimer).where(AckTimer.ticket_id.in_(ids)))
            await session.execute(
                update(TicketMessage)
                .where(TicketMessage.ticket_id.in_(ids))
                .values(text=None, file_id=None)
            )
            await session.execute(
                update(QuestionLog)
                .where(QuestionLog.user_id == user_id)
                .values(text=None, user_id=None)
            )
            await session.delete(user)
            audit(session, now, SYSTEM, "user_forgotten", tickets=len(ids))

    async def claim_update(self, update_id: int) -> bool:
        async with self._sessions() as session, session.begin():
            insert = _insert_ignoring_duplicates(session)
            inserted = await session.scalar(
                insert.values(update_id=update_id, at=self._clock()).returning(
                    ProcessedUpdate.update_id
                )
            )
            return inserted is not None

    async def log_question(self, user_id: int, text: str, action: str, entry_id: str | None) -> int:
        async with self._sessions() as session, session.begin():
            row = QuestionLog(
                user_id=user_id, text=text, action=action, entry_id=entry_id, at=self._clock()
            )
            session.add(row)
            await session.flush()
            return row.id

    async def set_outcome(self, question_id: int, outcome: Outcome) -> None:
        async with self._sessions() as session, session.begin():
            await session.execute(
                update(QuestionLog)
                .where(QuestionLog.id == question_id)
                .values(outcome=Outcome(outcome).value)
            )


class SqlEscalationService:
    """Tickets and their acknowledgement chain.

    `rota` is called whenever the current rota is needed, so that /reload can swap it; a
    ticket's chain still follows the policy frozen onto it when it opened.
    """

    def __init__(
        self,
        sessions: Sessions,
        rota: Callable[[], Rota],
        *,
        clock: Clock = utc_now,
        worker_id: str | None = None,
        sweep_batch: int = 100,
    ) -> None:
        self._sessions = sessions
        self._rota = rota
        self._clock = clock
        self._worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self._sweep_batch = sweep_batch
        self._synced_rota: Rota | None = None  # only spares a sync per call: a restart re-syncs

    # --- volunteers ---

    async def sync_rota(self) -> None:
        rota = self._rota()
        now = self._clock()
        people: dict[str, dict[str, Any]] = {}
        for v in rota.volunteers:
            people[v.code] = {
                "name": v.name,
                "languages": sorted(v.languages),
                "schools": sorted(v.schools),
                "skills": sorted(v.skills),
                "is_coordinator": False,
            }
        for c in rota.coordinators:
            person = people.setdefault(
                c.code,
                {"name": c.name, "languages": sorted(c.languages), "schools": [], "skills": []},
            )
            person["is_coordinator"] = True
        async with self._sessions() as session, session.begin():
            existing = {v.code: v for v in (await session.scalars(select(Volunteer))).all()}
            for code, fields in people.items():
                row = existing.get(code)
                if row is None:
                    session.add(
                        Volunteer(code=code, active=True, paused=False, updated_at=now, **fields)
                    )
                    continue
                for name, value in fields.items():
                    setattr(row, name, value)
                row.active = True
                row.updated_at = now
            for code, row in existing.items():
                if code not in people and row.active:
                    row.active = False
                    row.updated_at = now
            audit(session, now, SYSTEM, "rota_synced", people=len(people))
        self._synced_rota = rota

    async def _current_rota(self) -> Rota:
        rota = self._rota()
        if rota is not self._synced_rota:
            await self.sync_rota()
        return rota

    async def link_volunteer(self, code: str, chat_id: int) -> VolunteerView | None:
        await self._current_rota()
        async with self._sessions() as session, session.begin():
            volunteer = await session.scalar(
                select(Volunteer).where(Volunteer.code == code, Volunteer.active)
            )
            if volunteer is None:
                audit(session, self._clock(), f"chat:{chat_id}", "link_refused", code=code)
                return None
            await session.execute(
                update(Volunteer)
                .where(Volunteer.chat_id == chat_id, Volunteer.id != volunteer.id)
                .values(chat_id=None)
            )
            volunteer.chat_id = chat_id
            audit(session, self._clock(), _actor(volunteer), "linked")
            return volunteer_view(volunteer)

    async def volunteer_by_chat(self, chat_id: int) -> VolunteerView | None:
        async with self._sessions() as session:
            volunteer = await _volunteer_by_chat(session, chat_id)
            return volunteer_view(volunteer) if volunteer else None

    async def set_paused(self, volunteer_chat_id: int, paused: bool) -> None:
        async with self._sessions() as session, session.begin():
            volunteer = await _require_volunteer(session, volunteer_chat_id)
            volunteer.paused = paused
            audit(session, self._clock(), _actor(volunteer), "paused" if paused else "resumed")

    async def open_tickets_of(self, volunteer_chat_id: int) -> tuple[TicketView, ...]:
        async with self._sessions() as session:
            volunteer = await _require_volunteer(session, volunteer_chat_id)
            return tuple(ticket_view(t) for t in await _tickets_in_progress(session, volunteer))

    # --- the life of a ticket ---

    async def open_ticket(
        self,
        user_id: int,
        question: str,
        *,
        category: str | None = None,
        tried_entries: tuple[str, ...] = (),
        priority: Priority = Priority.NORMAL,
    ) -> tuple[TicketView, Effects]:
        rota = await self._current_rota()
        now = self._clock()
        async with self._sessions() as session, session.begin():
            user = await session.get(User, user_id)
            if user is None:
                raise EscalationError("user.unknown", user_id=user_id)
            ticket = Ticket(
                user_id=user.id,
                school=user.school,
                category=category,
                language=user.language,
                question=question,
                tried_entries=list(tried_entries),
                status=TicketStatus.OPEN,
                priority=Priority(priority).value,
                policy=rota.policy.to_json(),
                current_level=0,
                current_round=0,
                opened_at=now,
            )
            session.add(ticket)
            await session.flush()
            ticket.number = ticket_number(ticket.id)
            audit(
                session, now, f"user:{user.pseudonym}", "opened", ticket, priority=ticket.priority
            )
            effects = await self._escalate(
                session, ticket, chain.START, now, rota, tell_user_if_waiting=True
            )
            if ticket.status == TicketStatus.OPEN:  # the user already hears when help comes
                return ticket_view(ticket), effects
            told = Notice(user.chat_id, user.language, "ticket.opened", {"number": ticket.number})
            return ticket_view(ticket), effects.merge(Effects(notices=(told,)))

    async def record_ping_message(self, offer_id: int, message_id: int) -> None:
        async with self._sessions() as session, session.begin():
            await session.execute(
                update(Offer).where(Offer.id == offer_id).values(message_id=message_id)
            )

    async def take(self, ticket_id: int, volunteer_chat_id: int) -> TakeResult:
        now = self._clock()
        async with self._sessions() as session, session.begin():
            volunteer = await _require_volunteer(session, volunteer_chat_id)
            mine = await _live_offers(session, ticket_id, volunteer.id)
            ticket = await _require_ticket(session, ticket_id)
            if not mine and not volunteer.is_coordinator:
                audit(session, now, _actor(volunteer), "take_refused", ticket, why="no live offer")
                return TakeResult(False, ticket_view(ticket), Effects())
            won = await session.execute(
                update(Ticket)
                .where(
                    Ticket.id == ticket_id,
                    Ticket.status.in_(lifecycle.AWAITING_VOLUNTEER),
                    Ticket.volunteer_id.is_(None),
                )
                .values(status=TicketStatus.ASSIGNED, volunteer_id=volunteer.id, assigned_at=now)
                .execution_options(synchronize_session=False)
            )
            await session.refresh(ticket)
            if won.rowcount != 1:
                audit(session, now, _actor(volunteer), "take_lost", ticket)
                return TakeResult(False, ticket_view(ticket), Effects())
            view = ticket_view(ticket)
            edits = []
            if mine:
                taken, *older = mine
                taken.state, taken.answered_at = OfferState.TAKEN, now
                for offer in older:
                    offer.state, offer.answered_at = OfferState.SUPERSEDED, now
                edits += [_edit(o, view, "taken") for o in mine if o.message_id is not None]
            else:  # a coordinator taking a ticket never offered to them: record who took it
                session.add(
                    Offer(
                        ticket_id=ticket.id,
                        volunteer_id=volunteer.id,
                        level=ticket.current_level,
                        round=ticket.current_round,
                        chat_id=volunteer_chat_id,
                        state=OfferState.TAKEN,
                        sent_at=now,
                        answered_at=now,
                    )
                )
            edits += await _supersede_live_offers(session, ticket, view, now, "taken_by_other")
            await session.execute(delete(AckTimer).where(AckTimer.ticket_id == ticket.id))
            audit(session, now, _actor(volunteer), "taken", ticket)
            user = await session.get(User, ticket.user_id) if ticket.user_id else None
            notices = (
                (
                    Notice(
                        user.chat_id,
                        user.language,
                        "ticket.assigned",
                        {"number": view.number, "volunteer": volunteer.name},
                    ),
                )
                if user
                else ()
            )
            return TakeResult(True, view, Effects(edits=tuple(edits), notices=notices))

    async def pass_ticket(self, ticket_id: int, volunteer_chat_id: int) -> Effects:
        now = self._clock()
        rota = await self._current_rota()
        async with self._sessions() as session, session.begin():
            volunteer = await _require_volunteer(session, volunteer_chat_id)
            ticket = await _lock_ticket(session, ticket_id)
            mine = await _live_offers(session, ticket_id, volunteer.id)
            if not mine:
                return Effects()
            for offer in mine:
                offer.state, offer.answered_at = OfferState.PASSED, now
            view = ticket_view(ticket)
            effects = Effects(edits=tuple(_edit(o, view, "passed") for o in mine if o.message_id))
            audit(session, now, _actor(volunteer), "passed", ticket)
            await session.flush()
            still_pending = await session.scalar(
                select(func.count(Offer.id)).where(
                    Offer.ticket_id == ticket.id, Offer.state == OfferState.PENDING
                )
            )
            chain_running = ticket.status in lifecycle.AWAITING_VOLUNTEER and ticket.current_level
            if chain_running and not still_pending:
                position = chain.Position(ticket.current_level, ticket.current_round)
                effects = effects.merge(await self._escalate(session, ticket, position, now, rota))
            return effects

    async def release(self, ticket_id: int, volunteer_chat_id: int) -> Effects:
        now = self._clock()
        rota = await self._current_rota()
        async with self._sessions() as session, session.begin():
            volunteer = await _require_volunteer(session, volunteer_chat_id)
            ticket = await _lock_ticket(session, ticket_id)
            _require_assignee(ticket, volunteer)
            ticket.status = lifecycle.transition(ticket.status, TicketStatus.RELEASED)
            ticket.volunteer_id = None
            audit(session, now, _actor(volunteer), "released", ticket)
            notices = await _user_notice(session, ticket, "ticket.released")
            effects = await self._escalate(
                session, ticket, chain.START, now, rota, tell_user_if_waiting=True
            )
            return Effects(notices=notices).merge(effects)

    async def close(self, ticket_id: int, volunteer_chat_id: int) -> Effects:
        now = self._clock()
        async with self._sessions() as session, session.begin():
            volunteer = await _require_volunteer(session, volunteer_chat_id)
            ticket = await _lock_ticket(session, ticket_id)
            if ticket.status in lifecycle.AWAITING_VOLUNTEER and volunteer.is_coordinator:
                ticket.status = lifecycle.transition(ticket.status, TicketStatus.CLOSED)
                ticket.closed_at = now
                edits = await _supersede_live_offers(
                    session, ticket, ticket_view(ticket), now, "closed"
                )
                await session.execute(delete(AckTimer).where(AckTimer.ticket_id == ticket.id))
                audit(session, now, _actor(volunteer), "closed_unassigned", ticket)
                notices = await _user_notice(session, ticket, "ticket.closed_by_coordinator")
                return Effects(edits=tuple(edits), notices=notices)
            if not volunteer.is_coordinator:
                _require_assignee(ticket, volunteer)
            ticket.status = lifecycle.transition(ticket.status, TicketStatus.RESOLVED)
            ticket.resolved_at = now
            audit(session, now, _actor(volunteer), "resolved", ticket)
            return Effects(notices=await _user_notice(session, ticket, "ticket.resolved"))

    async def rate(self, ticket_id: int, user_id: int, stars: int, solved: bool) -> None:
        if not 1 <= stars <= 5:
            raise EscalationError("rating.invalid", stars=stars)
        now = self._clock()
        async with self._sessions() as session, session.begin():
            ticket = await _lock_ticket(session, ticket_id)
            if ticket.user_id != user_id:
                raise EscalationError("ticket.not_yours", number=ticket.number)
            if ticket.status == TicketStatus.RESOLVED:
                ticket.status = lifecycle.transition(ticket.status, TicketStatus.CLOSED)
                ticket.closed_at = now
            elif ticket.status != TicketStatus.CLOSED:
                raise EscalationError("ticket.not_resolved", number=ticket.number)
            ticket.rating, ticket.solved = stars, solved
            audit(session, now, SYSTEM, "rated", ticket, stars=stars, solved=solved)

    # --- messages between a user and their volunteer ---

    async def relay(
        self,
        sender: Sender,
        chat_id: int,
        *,
        kind: str,
        text: str | None = None,
        file_id: str | None = None,
        ticket_number: str | None = None,
        message_id: int | None = None,
        reply_to_message_id: int | None = None,
    ) -> RelayTarget | None:
        now = self._clock()
        async with self._sessions() as session, session.begin():
            if Sender(sender) is Sender.USER:
                found = await self._user_relay_target(session, chat_id)
            else:
                found = await self._volunteer_relay_target(
                    session, chat_id, ticket_number, reply_to_message_id
                )
            if found is None:
                return None
            ticket, target_chat, language = found
            if sender == Sender.VOLUNTEER:
                ticket.first_human_reply_at = ticket.first_human_reply_at or now
                if ticket.status == TicketStatus.ASSIGNED:
                    ticket.status = lifecycle.transition(ticket.status, TicketStatus.WAITING_USER)
            elif ticket.status == TicketStatus.WAITING_USER:
                ticket.status = lifecycle.transition(ticket.status, TicketStatus.ASSIGNED)
            message = TicketMessage(
                ticket_id=ticket.id,
                sender=Sender(sender).value,
                kind=kind,
                text=text,
                file_id=file_id,
                source_chat_id=chat_id,
                source_message_id=message_id,
                target_chat_id=target_chat,
                created_at=now,
            )
            session.add(message)
            await session.flush()
            return RelayTarget(ticket_view(ticket), target_chat, language, message_ref=message.id)

    async def _user_relay_target(
        self, session: AsyncSession, chat_id: int
    ) -> tuple[Ticket, int, str] | None:
        user = await session.scalar(select(User).where(User.chat_id == chat_id))
        if user is None:
            return None
        ticket = await session.scalar(
            select(Ticket)
            .where(Ticket.user_id == user.id, Ticket.status.in_(lifecycle.IN_PROGRESS))
            .order_by(Ticket.opened_at.desc(), Ticket.id.desc())
            .limit(1)
            .with_for_update()
        )
        if ticket is None:
            return None
        volunteer = await session.get(Volunteer, ticket.volunteer_id)
        if volunteer is None or volunteer.chat_id is None:
            return None
        return ticket, volunteer.chat_id, (volunteer.languages or [DEFAULT_LANGUAGE])[0]

    async def _volunteer_relay_target(
        self,
        session: AsyncSession,
        chat_id: int,
        number: str | None,
        reply_to_message_id: int | None,
    ) -> tuple[Ticket, int, str] | None:
        volunteer = await _volunteer_by_chat(session, chat_id)
        if volunteer is None:
            return None
        tickets = await _tickets_in_progress(session, volunteer)
        chosen: Ticket | None = None
        if number is not None:
            chosen = next((t for t in tickets if t.number == number.strip().upper()), None)
        elif reply_to_message_id is not None:
            replied = await _ticket_id_for_message(session, chat_id, reply_to_message_id)
            chosen = next((t for t in tickets if t.id == replied), None)
        elif len(tickets) == 1:
            chosen = tickets[0]
        if chosen is None or chosen.user_id is None:
            return None
        user = await session.get(User, chosen.user_id)
        return chosen, user.chat_id, user.language

    async def record_relay_message(self, message_ref: int, message_id: int) -> None:
        async with self._sessions() as session, session.begin():
            await session.execute(
                update(TicketMessage)
                .where(TicketMessage.id == message_ref)
                .values(target_message_id=message_id)
            )

    async def ticket_for_message(self, chat_id: int, message_id: int) -> TicketView | None:
        async with self._sessions() as session:
            ticket_id = await _ticket_id_for_message(session, chat_id, message_id)
            ticket = await session.get(Ticket, ticket_id) if ticket_id else None
            return ticket_view(ticket) if ticket else None

    async def ticket_by_number(self, number: str) -> TicketView | None:
        async with self._sessions() as session:
            ticket = await session.scalar(
                select(Ticket).where(Ticket.number == number.strip().upper())
            )
            return ticket_view(ticket) if ticket else None

    # --- the chain ---

    async def sweep(self, now: datetime | None = None) -> Effects:
        await self._current_rota()
        return await sweeper.sweep(
            self._sessions,
            self._fire_timer,
            now or self._clock(),
            worker=self._worker_id,
            batch=self._sweep_batch,
        )

    async def _fire_timer(
        self, session: AsyncSession, timer_id: int, worker: str, now: datetime
    ) -> Effects:
        """Move on the chain of a claimed timer's ticket, unless the timer has gone stale."""
        ticket_id = await session.scalar(select(AckTimer.ticket_id).where(AckTimer.id == timer_id))
        if ticket_id is None:
            return Effects()  # taken or closed since it was claimed
        ticket = await _lock_ticket(session, ticket_id)
        timer = await session.scalar(
            select(AckTimer)
            .where(AckTimer.id == timer_id, AckTimer.claimed_by == worker)
            .with_for_update()
        )
        if timer is None:
            return Effects()  # another sweeper reclaimed it after our claim went stale
        position = chain.Position(timer.level, timer.round)
        current = chain.Position(ticket.current_level, ticket.current_round)
        if ticket.status not in lifecycle.AWAITING_VOLUNTEER or position != current:
            await session.delete(timer)
            audit(
                session,
                now,
                SYSTEM,
                "stale_timer_ignored",
                ticket,
                timer_level=timer.level,
                timer_round=timer.round,
                status=ticket.status,
            )
            return Effects()
        if position != chain.START:
            timed_out = await session.execute(
                update(Offer)
                .where(
                    Offer.ticket_id == ticket.id,
                    Offer.level == timer.level,
                    Offer.round == timer.round,
                    Offer.state == OfferState.PENDING,
                )
                .values(state=OfferState.EXPIRED)
            )
            audit(
                session,
                now,
                SYSTEM,
                "timed_out",
                ticket,
                level=timer.level,
                round=timer.round,
                offers=timed_out.rowcount,
            )
        return await self._escalate(session, ticket, position, now, self._rota())

    async def _escalate(
        self,
        session: AsyncSession,
        ticket: Ticket,
        after: chain.Position,
        now: datetime,
        rota: Rota,
        *,
        tell_user_if_waiting: bool = False,
    ) -> Effects:
        """Run the chain's next step for a locked ticket and store it (offers, timer, audit).

        When the ticket has to wait, its user hears until when if `tell_user_if_waiting`
        (it was just opened or released) or if every level has been tried in vain.
        """
        policy = EscalationPolicy.from_json(ticket.policy)
        step = chain.next_step(policy, rota, after, await _chain_input(session, ticket, now))
        ticket.current_level, ticket.current_round = step.position.level, step.position.round
        await session.execute(delete(AckTimer).where(AckTimer.ticket_id == ticket.id))
        session.add(
            AckTimer(
                ticket_id=ticket.id,
                due_at=step.due_at,
                level=step.position.level,
                round=step.position.round,
            )
        )
        details = {"reason": step.reason, "due_at": step.due_at.isoformat()}
        if step.skipped:
            details["skipped"] = list(step.skipped)
        if step.kind is chain.StepKind.WAIT:
            if ticket.status == TicketStatus.RELEASED:
                ticket.status = lifecycle.transition(ticket.status, TicketStatus.OPEN)
            audit(session, now, SYSTEM, "waiting", ticket, **details)
            notices = await self._exhausted_notices(session, ticket, step, rota)
            if tell_user_if_waiting or step.exhausted:
                notices += await _user_notice(
                    session,
                    ticket,
                    "ticket.waiting_until",
                    when=chain.local_time(rota, step.due_at),
                )
            return Effects(notices=notices)
        if ticket.status != TicketStatus.OFFERED:
            ticket.status = lifecycle.transition(ticket.status, TicketStatus.OFFERED)
        ticket.first_offered_at = ticket.first_offered_at or now
        by_code = {
            v.code: v
            for v in await session.scalars(
                select(Volunteer).where(Volunteer.code.in_(step.recipients))
            )
        }
        offers = [
            Offer(
                ticket_id=ticket.id,
                volunteer_id=by_code[code].id,
                level=step.position.level,
                round=step.position.round,
                chat_id=by_code[code].chat_id,
                state=OfferState.PENDING,
                sent_at=now,
            )
            for code in step.recipients
        ]
        session.add_all(offers)
        audit(
            session,
            now,
            SYSTEM,
            "offered",
            ticket,
            level=step.position.level,
            round=step.position.round,
            to=list(step.recipients),
            **details,
        )
        await session.flush()
        view = ticket_view(ticket)
        return Effects(pings=tuple(Ping(o.id, o.chat_id, view, o.level) for o in offers))

    async def _exhausted_notices(
        self, session: AsyncSession, ticket: Ticket, step: chain.Step, rota: Rota
    ) -> tuple[Notice, ...]:
        """Tell the coordinators about a ticket nobody took (at the end of the last level)."""
        if not step.exhausted:
            return ()
        coordinators = await session.scalars(
            select(Volunteer).where(
                Volunteer.is_coordinator, Volunteer.active, Volunteer.chat_id.is_not(None)
            )
        )
        params = {"number": ticket.number, "when": chain.local_time(rota, step.due_at)}
        return tuple(
            Notice(
                c.chat_id, (c.languages or [DEFAULT_LANGUAGE])[0], "coordinators.unanswered", params
            )
            for c in coordinators
        )

    # --- reports ---

    async def stats(self) -> Stats:
        async with self._sessions() as session:
            return await stats.coordinator_stats(session, self._clock(), self._rota().timezone)

    async def frequent_unanswered(self, limit: int = 10) -> tuple[FrequentQuestion, ...]:
        async with self._sessions() as session:
            return await stats.frequent_unanswered(
                session, self._clock(), self._rota().timezone, limit
            )


# --- queries shared by the methods above ---


async def _volunteer_by_chat(session: AsyncSession, chat_id: int) -> Volunteer | None:
    return await session.scalar(
        select(Volunteer).where(Volunteer.chat_id == chat_id, Volunteer.active)
    )


async def _require_volunteer(session: AsyncSession, chat_id: int) -> Volunteer:
    volunteer = await _volunteer_by_chat(session, chat_id)
    if volunteer is None:
        raise EscalationError("volunteer.unknown")
    return volunteer


async def _require_ticket(session: AsyncSession, ticket_id: int) -> Ticket:
    ticket = await session.get(Ticket, ticket_id)
    if ticket is None:
        raise EscalationError("ticket.unknown", ticket_id=ticket_id)
    return ticket


async def _lock_ticket(session: AsyncSession, ticket_id: int) -> Ticket:
    """The ticket, locked until the transaction ends (SQLite: the whole database already is)."""
    ticket = await session.scalar(
        select(Ticket)
        .where(Ticket.id == ticket_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if ticket is None:
        raise EscalationError("ticket.unknown", ticket_id=ticket_id)
    return ticket


def _require_assignee(ticket: Ticket, volunteer: Volunteer) -> None:
    if ticket.volunteer_id != volunteer.id or ticket.status not in lifecycle.IN_PROGRESS:
        raise EscalationError("ticket.not_yours", number=ticket.number)


async def _live_offers(session: AsyncSession, ticket_id: int, volunteer_id: int) -> list[Offer]:
    """The volunteer's offers of the ticket that may still be taken, newest first."""
    return list(
        await session.scalars(
            select(Offer)
            .where(
                Offer.ticket_id == ticket_id,
                Offer.volunteer_id == volunteer_id,
                Offer.state.in_(LIVE_OFFER_STATES),
            )
            .order_by(Offer.id.desc())
        )
    )


async def _supersede_live_offers(
    session: AsyncSession, ticket: Ticket, view: TicketView, now: datetime, reason: str
) -> list[PingEdit]:
    offers = await session.scalars(
        select(Offer).where(Offer.ticket_id == ticket.id, Offer.state.in_(LIVE_OFFER_STATES))
    )
    edits = []
    for offer in offers:
        offer.state, offer.answered_at = OfferState.SUPERSEDED, now
        if offer.message_id is not None:
            edits.append(_edit(offer, view, reason))
    return edits


def _edit(offer: Offer, view: TicketView, reason: str) -> PingEdit:
    return PingEdit(offer.id, offer.chat_id, offer.message_id, view, reason)


async def _tickets_in_progress(session: AsyncSession, volunteer: Volunteer) -> list[Ticket]:
    return list(
        await session.scalars(
            select(Ticket)
            .where(Ticket.volunteer_id == volunteer.id, Ticket.status.in_(lifecycle.IN_PROGRESS))
            .order_by(Ticket.id)
        )
    )


async def _user_notice(
    session: AsyncSession, ticket: Ticket, key: str, **params: Any
) -> tuple[Notice, ...]:
    user = await session.get(User, ticket.user_id) if ticket.user_id else None
    if user is None:
        return ()
    return (Notice(user.chat_id, user.language, key, {"number": ticket.number, **params}),)


async def _ticket_id_for_message(
    session: AsyncSession, chat_id: int, message_id: int
) -> int | None:
    """Which ticket a ping or a relayed message (on either side) belongs to."""
    found = await session.scalar(
        select(Offer.ticket_id).where(Offer.chat_id == chat_id, Offer.message_id == message_id)
    )
    if found is not None:
        return found
    return await session.scalar(
        select(TicketMessage.ticket_id)
        .where(
            or_(
                (TicketMessage.source_chat_id == chat_id)
                & (TicketMessage.source_message_id == message_id),
                (TicketMessage.target_chat_id == chat_id)
                & (TicketMessage.target_message_id == message_id),
            )
        )
        .limit(1)
    )


async def _chain_input(session: AsyncSession, ticket: Ticket, now: datetime) -> chain.ChainInput:
    reachable = await session.scalars(
        select(Volunteer.code).where(
            Volunteer.active, ~Volunteer.paused, Volunteer.chat_id.is_not(None)
        )
    )
    offers = (
        await session.execute(
            select(Volunteer.code, Offer.state)
            .join(Offer, Offer.volunteer_id == Volunteer.id)
            .where(Offer.ticket_id == ticket.id)
        )
    ).all()
    open_tickets = await session.execute(
        select(Volunteer.code, func.count(Ticket.id))
        .join(Ticket, Ticket.volunteer_id == Volunteer.id)
        .where(Ticket.status.in_(lifecycle.IN_PROGRESS))
        .group_by(Volunteer.code)
    )
    last_offered = await session.execute(
        select(Volunteer.code, func.max(Offer.sent_at))
        .join(Offer, Offer.volunteer_id == Volunteer.id)
        .group_by(Volunteer.code)
    )
    return chain.ChainInput(
        now=now,
        urgent=ticket.priority == Priority.URGENT,
        language=ticket.language,
        school=ticket.school,
        skill=ticket.category,
        reachable=frozenset(reachable),
        declined=_codes_in(offers, (OfferState.PASSED, OfferState.TAKEN)),
        offered=_codes_in(offers, LIVE_OFFER_STATES),
        open_tickets=dict(open_tickets.all()),
        last_offered=dict(last_offered.all()),
    )


def _codes_in(offers: Iterable[Any], states: Iterable[str]) -> frozenset[str]:
    wanted = set(states)
    return frozenset(code for code, state in offers if state in wanted)
