"""The escalation service on SQLAlchemy: tickets and their acknowledgement chain (see `api`).

Every public method runs in one transaction (the update's unit of work when the bot calls it,
see `escalation.transactions`) and hands back the `Effects` the bot must carry out; nothing
that matters (timers, pings, exclusions) lives only in memory. The rules for the next step of
the chain are in `chain` (stored by `offers`), the allowed status changes in `lifecycle`;
this module reads what they need from the database and stores what they decide. Races are
settled by the database: a ticket row is locked (`FOR UPDATE` on PostgreSQL; SQLite runs one
writing transaction at a time) before its chain moves, and `take` is a conditional UPDATE
that only one volunteer can win.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from escalation import chain, lifecycle, offers, relaying, reply_watch, stats, sweeper
from escalation.api import (
    Effects,
    EscalationError,
    FrequentQuestion,
    Notice,
    Priority,
    RelayTarget,
    Sender,
    Stats,
    TakeResult,
    TicketStatus,
    TicketView,
    VolunteerView,
)
from escalation.models import (
    LIVE_OFFER_STATES,
    AckTimer,
    Offer,
    OfferState,
    Ticket,
    TicketMessage,
    TimerKind,
    User,
    Volunteer,
)
from escalation.queries import (
    SYSTEM,
    Clock,
    actor,
    audit,
    live_offers,
    lock_ticket,
    ping_edit,
    require_assignee,
    require_ticket,
    require_volunteer,
    supersede_live_offers,
    ticket_id_for_message,
    tickets_in_progress,
    user_notice,
    utc_now,
    volunteer_for_chat,
)
from escalation.rota import Rota
from escalation.transactions import Sessions, Transactions, when_ended
from escalation.views import ticket_number, ticket_view, volunteer_view

_REMEMBERED_CHATS = 100_000  # chats known to be no volunteer's, at most
_NOT_VOLUNTEER_FOR = timedelta(minutes=5)  # then asked again (another process may link)


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
        self._sessions = sessions  # the sweeper's own transactions, one per timer
        self._transactions = Transactions(sessions)
        self._rota = rota
        self._clock = clock
        self._worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self._sweep_batch = sweep_batch
        self._synced_rota: Rota | None = None  # only spares a sync per call: a restart re-syncs
        # Chats known to be no volunteer's, and since when: every update asks, and nearly all
        # are pupils'. A chat only becomes a volunteer's through `link_volunteer` or
        # `sync_rota`, which empty it here; `_volunteers_changed` counts those, so that a
        # lookup that raced one is not remembered. A link made by another bot process on the
        # same database is seen once the entry is `_NOT_VOLUNTEER_FOR` old.
        self._not_volunteers: dict[int, datetime] = {}
        self._volunteers_changed = 0

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
        async with self._transactions.session() as session:
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
            self._forget_not_volunteers(session)
        self._synced_rota = rota

    async def _current_rota(self) -> Rota:
        rota = self._rota()
        if rota is not self._synced_rota:
            await self.sync_rota()
        return rota

    async def link_volunteer(self, code: str, chat_id: int) -> VolunteerView | None:
        await self._current_rota()
        async with self._transactions.session() as session:
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
            audit(session, self._clock(), actor(volunteer), "linked")
            self._forget_not_volunteers(session)
            return volunteer_view(volunteer)

    async def volunteer_by_chat(self, chat_id: int) -> VolunteerView | None:
        now = self._clock()
        known = self._not_volunteers.get(chat_id)
        if known is not None and now - known < _NOT_VOLUNTEER_FOR:
            return None
        changes = self._volunteers_changed
        async with self._transactions.session() as session:
            volunteer = await volunteer_for_chat(session, chat_id)
            if volunteer is not None:
                return volunteer_view(volunteer)
        if changes == self._volunteers_changed:  # no link or sync began or ended meanwhile
            if len(self._not_volunteers) >= _REMEMBERED_CHATS:
                self._not_volunteers.clear()
            self._not_volunteers[chat_id] = now
        return None

    def _forget_not_volunteers(self, session: AsyncSession) -> None:
        """A volunteer may be linked or reactivated: forget the chats known to be no one's,
        now and again when `session`'s transaction ends (a lookup that read the rows before
        it committed may have remembered one meanwhile)."""

        def forget() -> None:
            self._volunteers_changed += 1
            self._not_volunteers.clear()

        forget()
        when_ended(session, forget, forget)

    async def set_paused(self, volunteer_chat_id: int, paused: bool) -> None:
        async with self._transactions.session() as session:
            volunteer = await require_volunteer(session, volunteer_chat_id)
            volunteer.paused = paused
            audit(session, self._clock(), actor(volunteer), "paused" if paused else "resumed")

    async def open_tickets_of(self, volunteer_chat_id: int) -> tuple[TicketView, ...]:
        async with self._transactions.session() as session:
            volunteer = await require_volunteer(session, volunteer_chat_id)
            return tuple(ticket_view(t) for t in await tickets_in_progress(session, volunteer))

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
        async with self._transactions.session() as session:
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
                expires_at=offers.expiry(rota.policy, priority, now),
            )
            session.add(ticket)
            await session.flush()
            ticket.number = ticket_number(ticket.id)
            audit(
                session, now, f"user:{user.pseudonym}", "opened", ticket, priority=ticket.priority
            )
            effects = await offers.escalate(
                session, ticket, chain.START, now, rota, tell_user_if_waiting=True
            )
            if ticket.status != TicketStatus.OFFERED:  # waiting or expired: the user was told
                return ticket_view(ticket), effects
            told = Notice(user.chat_id, user.language, "ticket.opened", {"number": ticket.number})
            return ticket_view(ticket), effects.merge(Effects(notices=(told,)))

    async def record_ping_message(self, offer_id: int, message_id: int) -> Effects:
        """Remember the ping's message, to edit it when the ticket moves on. A ticket can
        move on (taken by another, closed, expired) between the ping reaching Telegram and
        this call: then the edit it missed is returned, to be made now."""
        async with self._transactions.session() as session:
            offer = await session.get(Offer, offer_id)
            if offer is None:
                return Effects()
            offer.message_id = message_id
            if offer.state in LIVE_OFFER_STATES:
                return Effects()
            ticket = await require_ticket(session, offer.ticket_id)
            return Effects(edits=(ping_edit(offer, ticket_view(ticket), _missed(ticket)),))

    async def take(self, ticket_id: int, volunteer_chat_id: int) -> TakeResult:
        now = self._clock()
        async with self._transactions.session() as session:
            volunteer = await require_volunteer(session, volunteer_chat_id)
            mine = await live_offers(session, ticket_id, volunteer.id)
            ticket = await require_ticket(session, ticket_id)
            if not mine and not volunteer.is_coordinator:
                audit(session, now, actor(volunteer), "take_refused", ticket, why="no live offer")
                return TakeResult(False, ticket_view(ticket), Effects())
            won = await session.execute(
                update(Ticket)
                .where(
                    Ticket.id == ticket_id,
                    Ticket.status.in_(lifecycle.AWAITING_VOLUNTEER),
                    Ticket.volunteer_id.is_(None),
                )
                .values(
                    status=TicketStatus.ASSIGNED,
                    volunteer_id=volunteer.id,
                    assigned_at=now,
                    expires_at=None,  # taken in time; a release sets a new expiry
                )
                .execution_options(synchronize_session=False)
            )
            await session.refresh(ticket)
            if won.rowcount != 1:
                audit(session, now, actor(volunteer), "take_lost", ticket)
                return TakeResult(False, ticket_view(ticket), Effects())
            view = ticket_view(ticket)
            edits = []
            if mine:
                taken, *older = mine
                taken.state, taken.answered_at = OfferState.TAKEN, now
                for offer in older:
                    offer.state, offer.answered_at = OfferState.SUPERSEDED, now
                edits += [ping_edit(o, view, "taken") for o in mine if o.message_id is not None]
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
            edits += await supersede_live_offers(session, ticket, view, now, "taken_by_other")
            await session.execute(delete(AckTimer).where(AckTimer.ticket_id == ticket.id))
            reply_watch.watch(session, ticket, now)  # they must write to the user in time
            audit(session, now, actor(volunteer), "taken", ticket)
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
        async with self._transactions.session() as session:
            volunteer = await require_volunteer(session, volunteer_chat_id)
            ticket = await lock_ticket(session, ticket_id)
            mine = await live_offers(session, ticket_id, volunteer.id)
            if not mine:
                return Effects()
            for offer in mine:
                offer.state, offer.answered_at = OfferState.PASSED, now
            view = ticket_view(ticket)
            edits = tuple(ping_edit(o, view, "passed") for o in mine if o.message_id)
            effects = Effects(edits=edits)
            audit(session, now, actor(volunteer), "passed", ticket)
            await session.flush()
            still_pending = await session.scalar(
                select(func.count(Offer.id)).where(
                    Offer.ticket_id == ticket.id, Offer.state == OfferState.PENDING
                )
            )
            chain_running = ticket.status in lifecycle.AWAITING_VOLUNTEER and ticket.current_level
            if chain_running and not still_pending:
                position = chain.Position(ticket.current_level, ticket.current_round)
                effects = effects.merge(await offers.escalate(session, ticket, position, now, rota))
            return effects

    async def release(self, ticket_id: int, volunteer_chat_id: int) -> Effects:
        now = self._clock()
        rota = await self._current_rota()
        async with self._transactions.session() as session:
            volunteer = await require_volunteer(session, volunteer_chat_id)
            ticket = await lock_ticket(session, ticket_id)
            require_assignee(ticket, volunteer)
            audit(session, now, actor(volunteer), "released", ticket)
            return await offers.hand_back(session, ticket, now, rota)

    async def make_urgent(self, ticket_id: int) -> Effects:
        """Safeguarding in a ticket already open: the coordinators hear at once, at any hour.

        While it waits for a volunteer, its chain restarts at the coordinators (pings already
        out stay takeable). Held by a volunteer, who reads the message, the coordinators are
        told too: a child at risk needs an adult in charge. Once urgent, nothing more: the
        coordinators know already, and the chain keeps after them.
        """
        rota = await self._current_rota()
        now = self._clock()
        async with self._transactions.session() as session:
            ticket = await lock_ticket(session, ticket_id)
            if ticket.status in lifecycle.FINISHED or ticket.priority == Priority.URGENT:
                return Effects()
            audit(session, now, SYSTEM, "made_urgent", ticket, was=ticket.priority)
            ticket.priority = Priority.URGENT.value
            ticket.expires_at = None  # the coordinators keep being pinged until one takes it
            if ticket.status in lifecycle.AWAITING_VOLUNTEER:
                return await offers.escalate(session, ticket, chain.START, now, rota)
            return Effects(
                notices=await offers.coordinator_notices(
                    session, "coordinators.safeguarding_in_ticket", {"number": ticket.number}
                )
            )

    async def close(self, ticket_id: int, volunteer_chat_id: int) -> Effects:
        now = self._clock()
        async with self._transactions.session() as session:
            volunteer = await require_volunteer(session, volunteer_chat_id)
            ticket = await lock_ticket(session, ticket_id)
            if ticket.status in lifecycle.AWAITING_VOLUNTEER and volunteer.is_coordinator:
                ticket.status = lifecycle.transition(ticket.status, TicketStatus.CLOSED)
                ticket.closed_at = now
                edits = await supersede_live_offers(
                    session, ticket, ticket_view(ticket), now, "closed"
                )
                await session.execute(delete(AckTimer).where(AckTimer.ticket_id == ticket.id))
                audit(session, now, actor(volunteer), "closed_unassigned", ticket)
                notices = await user_notice(session, ticket, "ticket.closed_by_coordinator")
                return Effects(edits=tuple(edits), notices=notices)
            if not volunteer.is_coordinator:
                require_assignee(ticket, volunteer)
            ticket.status = lifecycle.transition(ticket.status, TicketStatus.RESOLVED)
            ticket.resolved_at = now
            audit(session, now, actor(volunteer), "resolved", ticket)
            return Effects(notices=await user_notice(session, ticket, "ticket.resolved"))

    async def withdraw(self, user_id: int, ticket_id: int | None = None) -> Effects:
        """The user no longer wants help: their ticket (every unfinished one when `ticket_id`
        is None, as /cancella needs) is closed, pings still out are edited as closed, the
        volunteer holding it is told, and for an urgent ticket the coordinators too.

        An urgent ticket named by `ticket_id` (/chiudi) stays open: a child in danger may be
        told to close it by the very person they are in danger from, so the coordinators are
        only told the child asked. /cancella still closes it, because forgetting comes first.
        """
        now = self._clock()
        async with self._transactions.session() as session:
            user = await session.get(User, user_id)
            if user is None:
                raise EscalationError("user.unknown", user_id=user_id)
            query = select(Ticket.id).where(
                Ticket.user_id == user_id, Ticket.status.not_in(lifecycle.FINISHED)
            )
            if ticket_id is not None:
                ticket = await require_ticket(session, ticket_id)
                if ticket.user_id != user_id:
                    raise EscalationError("ticket.not_yours", number=ticket.number)
                query = query.where(Ticket.id == ticket_id)
            effects = Effects()
            for found in (await session.scalars(query.order_by(Ticket.id))).all():
                ticket = await lock_ticket(session, found)
                if ticket.status in lifecycle.FINISHED:  # finished since it was listed
                    continue
                params = {"number": ticket.number}
                if ticket_id is not None and ticket.priority == Priority.URGENT:
                    audit(session, now, f"user:{user.pseudonym}", "withdraw_refused", ticket)
                    return Effects(notices=await offers.coordinator_notices(
                        session, "coordinators.asked_to_close_urgent", params
                    ))
                ticket.status = lifecycle.transition(ticket.status, TicketStatus.CLOSED)
                ticket.closed_at = now
                edits = await supersede_live_offers(
                    session, ticket, ticket_view(ticket), now, "closed"
                )
                await session.execute(delete(AckTimer).where(AckTimer.ticket_id == ticket.id))
                audit(session, now, f"user:{user.pseudonym}", "withdrawn", ticket)
                holder = await session.get(Volunteer, ticket.volunteer_id) if (
                    ticket.volunteer_id
                ) else None
                notices = reply_watch._to_taker(holder, "volunteer.withdrawn", params) if (
                    holder
                ) else ()
                if ticket.priority == Priority.URGENT:
                    notices += await offers.coordinator_notices(
                        session, "coordinators.withdrawn_urgent", params
                    )
                effects = effects.merge(Effects(edits=tuple(edits), notices=notices))
            return effects

    async def rate(self, ticket_id: int, user_id: int, stars: int, solved: bool) -> None:
        if not 1 <= stars <= 5:
            raise EscalationError("rating.invalid", stars=stars)
        now = self._clock()
        async with self._transactions.session() as session:
            ticket = await lock_ticket(session, ticket_id)
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
        async with self._transactions.session() as session:
            if Sender(sender) is Sender.USER:
                found = await relaying.user_relay_target(session, chat_id)
            else:
                found = await relaying.volunteer_relay_target(
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
            if sender == Sender.USER:  # the taker must answer it in time
                await reply_watch.user_wrote(session, ticket, now)
            return RelayTarget(ticket_view(ticket), target_chat, language, message_ref=message.id)

    async def record_relay_message(self, message_ref: int, message_id: int) -> None:
        async with self._transactions.session() as session:
            await session.execute(
                update(TicketMessage)
                .where(TicketMessage.id == message_ref)
                .values(target_message_id=message_id)
            )

    async def ticket_for_message(self, chat_id: int, message_id: int) -> TicketView | None:
        async with self._transactions.session() as session:
            ticket_id = await ticket_id_for_message(session, chat_id, message_id)
            ticket = await session.get(Ticket, ticket_id) if ticket_id else None
            return ticket_view(ticket) if ticket else None

    async def ticket_by_number(self, number: str) -> TicketView | None:
        async with self._transactions.session() as session:
            ticket = await session.scalar(
                select(Ticket).where(Ticket.number == number.strip().upper())
            )
            return ticket_view(ticket) if ticket else None

    # --- the chain ---

    async def sweep(self, now: datetime | None = None) -> Effects:
        """Each claimed timer in a transaction of its own, never in a unit of work: one
        broken ticket must not undo the others' escalation."""
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
        """Move on the chain of a claimed timer's ticket, or watch its taker's replies
        (`reply_watch`), unless the timer has gone stale."""
        ticket_id = await session.scalar(select(AckTimer.ticket_id).where(AckTimer.id == timer_id))
        if ticket_id is None:
            return Effects()  # taken or closed since it was claimed
        ticket = await lock_ticket(session, ticket_id)
        timer = await session.scalar(
            select(AckTimer)
            .where(AckTimer.id == timer_id, AckTimer.claimed_by == worker)
            .with_for_update()
        )
        if timer is None:
            return Effects()  # another sweeper reclaimed it after our claim went stale
        if timer.kind != TimerKind.CHAIN:
            return await reply_watch.fire(session, ticket, timer, now, self._rota())
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
        return await offers.escalate(session, ticket, position, now, self._rota())

    # --- reports ---

    async def stats(self) -> Stats:
        async with self._transactions.session() as session:
            return await stats.coordinator_stats(session, self._clock(), self._rota().timezone)

    async def frequent_unanswered(self, limit: int = 10) -> tuple[FrequentQuestion, ...]:
        async with self._transactions.session() as session:
            return await stats.frequent_unanswered(
                session, self._clock(), self._rota().timezone, limit
            )


def _missed(ticket: Ticket) -> str:
    """Why a ping recorded late is no longer takeable (the reasons of `PingEdit`)."""
    if ticket.status == TicketStatus.EXPIRED:
        return "ticket_expired"
    if ticket.status in lifecycle.FINISHED:
        return "closed"
    return "taken_by_other"
