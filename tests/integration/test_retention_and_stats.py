"""Retention forgets old texts but keeps the counts; /stats and /nonrisposte add up."""

from __future__ import annotations

from sqlalchemy import func, select

from escalation.api import Outcome, Sender
from escalation.models import Ticket, TicketMessage
from escalation.retention import purge
from tests.conftest import Desk


async def _solved_ticket(desk: Desk, chat: int, question: str) -> int:
    user_id = await desk.user(chat)
    ticket, opened = await desk.service.open_ticket(user_id, question)
    helper = opened.pings[0].chat_id
    await desk.service.take(ticket.id, helper)
    desk.clock.advance(minutes=3)
    await desk.service.relay(Sender.VOLUNTEER, helper, kind="text", text="riavvia il router")
    await desk.service.relay(Sender.USER, chat, kind="photo", file_id="AgADphoto")
    await desk.service.close(ticket.id, helper)
    await desk.service.rate(ticket.id, user_id, 4, solved=True)
    return ticket.id


async def test_purge_forgets_texts_of_old_finished_tickets_only(desk: Desk):
    old = await _solved_ticket(desk, 61, "wifi lento a scuola")
    desk.clock.advance(days=31)
    recent = await _solved_ticket(desk, 62, "tablet bloccato")
    still_open, _ = await desk.service.open_ticket(await desk.user(63), "password dimenticata")
    desk.clock.advance(days=5)  # the old ticket is 36 days old, the recent one 5

    report = await purge(desk.sessions, desk.clock(), older_than_days=30)

    assert (report.tickets, report.messages) == (1, 2)
    async with desk.sessions() as session:
        questions = dict((await session.execute(select(Ticket.id, Ticket.question))).all())
        old_messages = (
            await session.execute(
                select(TicketMessage.text, TicketMessage.file_id).where(
                    TicketMessage.ticket_id == old
                )
            )
        ).all()
        message_count = await session.scalar(select(func.count(TicketMessage.id)))
        old_ticket = await session.get(Ticket, old)
    assert questions == {
        old: None,
        recent: "tablet bloccato",
        still_open.id: "password dimenticata",
    }
    assert old_messages == [(None, None), (None, None)]
    assert message_count == 4
    assert (old_ticket.rating, old_ticket.solved, old_ticket.closed_at is not None) == (
        4,
        True,
        True,
    )
    again = await purge(desk.sessions, desk.clock(), older_than_days=30)
    assert again.tickets == 0


async def test_stats_count_the_week_and_the_first_human_reply(desk: Desk):
    user_id = await desk.user(70)
    for text, outcome in [
        ("come accendo il tablet", Outcome.ANSWERED),
        ("Il WIFI non va", Outcome.ESCALATED),
        ("il wifi  non va", Outcome.NOT_SOLVED),
        ("stampante", Outcome.ESCALATED),
        ("grazie", None),
    ]:
        question = await desk.users.log_question(user_id, text, "match", None)
        if outcome:
            await desk.users.set_outcome(question, outcome)
    await _solved_ticket(desk, 71, "wifi")

    stats = await desk.service.stats()
    frequent = await desk.service.frequent_unanswered(limit=5)

    assert (stats.questions_today, stats.questions_week, stats.answered_by_bot) == (5, 5, 1)
    assert stats.escalated == 1
    assert stats.expired == 0
    assert stats.median_first_reply_seconds == 180
    assert (stats.rated, stats.mean_rating, stats.solved_share) == (1, 4, 1.0)
    assert [(q.text, q.count) for q in frequent] == [("Il WIFI non va", 2), ("stampante", 1)]


async def test_last_weeks_questions_are_not_counted_this_week(desk: Desk):
    user_id = await desk.user(72)
    await desk.users.log_question(user_id, "vecchia domanda", "match", None)
    desk.clock.advance(days=7)

    stats = await desk.service.stats()

    assert (stats.questions_today, stats.questions_week) == (0, 0)
    assert stats.median_first_reply_seconds is None
    assert stats.mean_rating is None
