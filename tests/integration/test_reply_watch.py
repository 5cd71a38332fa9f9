"""A taken ticket whose volunteer never writes, or stops answering the pupil: one reminder,
then it goes back to the chain."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from escalation.api import Effects, Priority, Sender, TicketStatus
from escalation.models import AckTimer, Ticket, TimerKind
from tests.conftest import TEST_POLICY, Desk, volunteer_chat
from tests.integration.test_escalation_chain import audit_actions, sweepers_in_other_processes
from tests.integration.test_ticket_expiry import count, notices

PUPIL_CHAT = 1
COORDINATOR_CHAT = 9001


async def taken(desk: Desk, user_chat: int = PUPIL_CHAT, question: str = "wifi"):
    """A ticket opened by `user_chat` and taken by the first volunteer pinged; (ticket, taker)."""
    ticket, opened = await desk.service.open_ticket(await desk.user(user_chat), question)
    taker = opened.pings[0].chat_id
    assert (await desk.service.take(ticket.id, taker)).won
    return ticket, taker


async def write(desk: Desk, volunteer: int, text: str = "Ciao! Che cosa vedi sullo schermo?"):
    assert await desk.service.relay(Sender.VOLUNTEER, volunteer, kind="text", text=text)


async def pupil_writes(desk: Desk, text: str = "Si vede tutto nero"):
    assert await desk.service.relay(Sender.USER, PUPIL_CHAT, kind="text", text=text)


async def timer_of(desk: Desk, ticket_id: int) -> AckTimer | None:
    async with desk.sessions() as session:
        return await session.scalar(select(AckTimer).where(AckTimer.ticket_id == ticket_id))


async def answered_once(desk: Desk):
    """A ticket whose taker answered, then heard nothing for 15 minutes (its timer dropped)."""
    ticket, taker = await taken(desk)
    await write(desk, taker)
    assert await desk.service.sweep(desk.clock.advance(minutes=15)) == Effects()
    assert await timer_of(desk, ticket.id) is None  # nothing waits
    return ticket, taker


async def test_a_silent_taker_is_reminded_once_when_the_time_is_up(desk: Desk):
    ticket, taker = await taken(desk)

    assert await desk.service.sweep(desk.clock.advance(minutes=14, seconds=59)) == Effects()
    reminded = await desk.service.sweep(desk.clock.advance(seconds=1))

    assert reminded.pings == () and reminded.edits == ()
    [reminder] = reminded.notices
    assert (reminder.chat_id, reminder.language, reminder.key) == (
        taker,
        "it",
        "volunteer.reply_reminder",
    )
    assert reminder.params == {"number": ticket.number, "minutes": 15, "left": 15}
    assert await desk.service.sweep(desk.clock.advance(minutes=14)) == Effects()  # once
    assert (await desk.service.ticket_by_number(ticket.number)).volunteer_id is not None
    assert await count(desk, "reply_reminded") == 1


async def test_a_taker_who_wrote_in_time_hears_nothing_and_keeps_the_ticket(desk: Desk):
    ticket, taker = await taken(desk)
    desk.clock.advance(minutes=10)
    await write(desk, taker)

    assert await desk.service.sweep(desk.clock.advance(minutes=5)) == Effects()
    assert await timer_of(desk, ticket.id) is None  # dropped, not set again
    assert await desk.service.sweep(desk.clock.advance(hours=2)) == Effects()
    status = (await desk.service.ticket_by_number(ticket.number)).status
    assert status is TicketStatus.WAITING_USER
    assert await count(desk, "reply_reminded") == 0


async def test_a_reply_after_the_reminder_keeps_the_ticket(desk: Desk):
    ticket, taker = await taken(desk)
    await desk.service.sweep(desk.clock.advance(minutes=15))
    await write(desk, taker, "Scusa il ritardo!")

    assert await desk.service.sweep(desk.clock.advance(minutes=15)) == Effects()
    assert (await desk.service.ticket_by_number(ticket.number)).status is (
        TicketStatus.WAITING_USER
    )
    assert await count(desk, "handed_back") == 0


async def test_still_silent_after_as_long_again_the_ticket_goes_back_to_the_chain(desk: Desk):
    ticket, taker = await taken(desk)
    await desk.service.sweep(desk.clock.advance(minutes=15))  # the reminder
    assert await desk.service.sweep(desk.clock.advance(minutes=14, seconds=59)) == Effects()

    handed = await desk.service.sweep(desk.clock.advance(seconds=1))

    assert notices(handed) == [
        (PUPIL_CHAT, "ticket.released"),  # kindly: another volunteer is being found
        (taker, "volunteer.handed_on"),
        (COORDINATOR_CHAT, "coordinators.handed_on"),
    ]
    coordinators = next(n for n in handed.notices if n.key == "coordinators.handed_on")
    assert coordinators.params == {"number": ticket.number, "volunteer": "Volunteer 1",
                                   "minutes": 30}
    assert len(handed.pings) == 2 and taker not in {p.chat_id for p in handed.pings}
    assert {p.level for p in handed.pings} == {1}  # as for a new ticket
    view = await desk.service.ticket_by_number(ticket.number)
    assert (view.status, view.volunteer_id) == (TicketStatus.OFFERED, None)
    assert await desk.service.open_tickets_of(taker) == ()  # no longer in their load
    async with desk.sessions() as session:
        row = await session.get(Ticket, ticket.id)
        assert row.expires_at == desk.clock.now + TEST_POLICY.expire_after  # a new expiry
    timer = await timer_of(desk, ticket.id)
    assert (timer.kind, timer.level) == (TimerKind.CHAIN, 1)
    assert (await audit_actions(desk, ticket.id))[-3:] == ["reply_reminded", "handed_back",
                                                            "offered"]
    assert (await desk.service.stats()).handed_back == 1  # the coordinators' /stats counts it


async def test_the_handed_back_ticket_never_goes_to_its_silent_taker_again(desk: Desk):
    ticket, taker = await taken(desk)
    await desk.service.sweep(desk.clock.advance(minutes=15))
    handed = await desk.service.sweep(desk.clock.advance(minutes=15))
    pinged = {p.chat_id for p in handed.pings}
    for minutes in (5, 10, 15):  # every level of the chain: everyone on shift, coordinators
        pinged |= {p.chat_id for p in (await desk.service.sweep(desk.clock.advance(
            minutes=minutes))).pings}

    everyone_else = {volunteer_chat(n) for n in range(1, 7)} - {taker} | {COORDINATOR_CHAT}
    assert pinged == everyone_else
    assert not (await desk.service.take(ticket.id, taker)).won
    other = next(iter(pinged - {COORDINATOR_CHAT}))
    assert (await desk.service.take(ticket.id, other)).won


async def test_whoever_takes_it_next_gets_a_full_time_of_their_own(desk: Desk):
    """The first taker's messages do not count for the second one."""
    ticket, first = await taken(desk)
    await write(desk, first)
    desk.clock.advance(minutes=20)
    released = await desk.service.release(ticket.id, first)
    second = released.pings[0].chat_id
    desk.clock.advance(minutes=3)
    assert (await desk.service.take(ticket.id, second)).won

    assert await desk.service.sweep(desk.clock.advance(minutes=14)) == Effects()
    reminded = await desk.service.sweep(desk.clock.advance(minutes=1))
    assert notices(reminded) == [(second, "volunteer.reply_reminder")]


async def test_a_ticket_keeps_the_first_reply_time_it_opened_with(desk: Desk):
    desk.rota.edit(policy=replace(TEST_POLICY, first_reply=timedelta(minutes=5)))
    quick, _ = await taken(desk)
    desk.rota.edit(policy=TEST_POLICY)  # 15 minutes for tickets opened from now on
    slow, _ = await taken(desk, 2, "tablet")

    reminded = await desk.service.sweep(desk.clock.advance(minutes=5))

    assert [n.params["number"] for n in reminded.notices] == [quick.number]
    assert reminded.notices[0].params["left"] == 5
    later = await desk.service.sweep(desk.clock.advance(minutes=10))  # quick's handed back
    reminders = [n.params["number"] for n in later.notices if n.key.endswith("reply_reminder")]
    assert reminders == [slow.number]


@pytest.mark.parametrize("later", ["", "_later"], ids=["first reply", "later message"])
async def test_an_urgent_ticket_tells_the_coordinators_at_the_reminder(desk: Desk, later: str):
    ticket, taker = await (answered_once(desk) if later else taken(desk))
    made_urgent = await desk.service.make_urgent(ticket.id)
    assert notices(made_urgent) == [(COORDINATOR_CHAT, "coordinators.safeguarding_in_ticket")]
    if later:  # the taker answered once, then the child wrote again
        await pupil_writes(desk, "Ho paura")

    reminded = await desk.service.sweep(desk.clock.advance(minutes=15))

    assert notices(reminded) == [
        (taker, f"volunteer.reply_reminder{later}"),
        (COORDINATOR_CHAT, f"coordinators.urgent_no_reply{later}"),
    ]
    assert reminded.notices[1].params == {"number": ticket.number, "volunteer": "Volunteer 1",
                                          "minutes": 15, "left": 15}
    handed = await desk.service.sweep(desk.clock.advance(minutes=15))
    assert [p.chat_id for p in handed.pings] == [COORDINATOR_CHAT]  # urgent: the coordinators


async def test_a_coordinator_who_took_it_is_reminded_as_its_taker_only(desk: Desk):
    ticket, _ = await desk.service.open_ticket(await desk.user(), "aiuto", priority=Priority.URGENT)
    assert (await desk.service.take(ticket.id, COORDINATOR_CHAT)).won

    reminded = await desk.service.sweep(desk.clock.advance(minutes=15))

    assert notices(reminded) == [(COORDINATOR_CHAT, "volunteer.reply_reminder")]


async def test_a_ticket_closed_without_a_word_is_not_reminded(desk: Desk):
    ticket, taker = await taken(desk)
    await desk.service.close(ticket.id, taker)

    assert await desk.service.sweep(desk.clock.advance(minutes=15)) == Effects()
    assert await timer_of(desk, ticket.id) is None


async def test_two_concurrent_sweepers_remind_and_hand_back_each_ticket_once(
    desk: Desk, database_url
):
    tickets = [await taken(desk, 100 + n, f"q{n}") for n in range(8)]
    async with sweepers_in_other_processes(desk, database_url) as sweepers:
        now = desk.clock.advance(minutes=15)
        reminders = await asyncio.gather(*(s.sweep(now) for s in sweepers))
        now = desk.clock.advance(minutes=15)
        hand_backs = await asyncio.gather(*(s.sweep(now) for s in sweepers))
        again = await asyncio.gather(*(s.sweep(now) for s in sweepers))

    reminded = Counter(n.params["number"] for e in reminders for n in e.notices)
    assert reminded == {ticket.number: 1 for ticket, _ in tickets}
    told = Counter((n.chat_id, n.key) for e in hand_backs for n in e.notices)
    assert {k: v for k, v in told.items() if k[1] == "ticket.released"} == {
        (100 + n, "ticket.released"): 1 for n in range(8)
    }
    assert told[(COORDINATOR_CHAT, "coordinators.handed_on")] == 8
    assert again == [Effects(), Effects()]
    assert await count(desk, "reply_reminded") == await count(desk, "handed_back") == 8


async def test_the_reminder_is_in_italian_for_who_speaks_it_else_in_their_language(desk: Desk):
    speaks = {"V001": {"en"}, "V002": {"en", "it"}}
    desk.rota.edit(volunteers=tuple(replace(v, languages=frozenset(speaks.get(v.code, {"it"})))
                                    for v in desk.rota.rota.volunteers))
    for chat, taker in ((7, volunteer_chat(1)), (8, volunteer_chat(2))):
        user = await desk.users.get_or_create_user(chat, "en")
        ticket, opened = await desk.service.open_ticket(user.id, "my tablet is broken")
        assert taker in {p.chat_id for p in opened.pings}  # the English speakers first
        assert (await desk.service.take(ticket.id, taker)).won

    reminded = await desk.service.sweep(desk.clock.advance(minutes=15))

    assert sorted((n.chat_id, n.language) for n in reminded.notices) == [
        (volunteer_chat(1), "en"),
        (volunteer_chat(2), "it"),
    ]


async def test_a_taker_who_answered_once_then_went_quiet_is_reminded_then_handed_back(
    desk: Desk,
):
    ticket, taker = await answered_once(desk)
    desk.clock.advance(minutes=5)
    await pupil_writes(desk)
    await pupil_writes(desk, "Ci sei?")  # the same wait: still one timer

    assert await desk.service.sweep(desk.clock.advance(minutes=14, seconds=59)) == Effects()
    reminded = await desk.service.sweep(desk.clock.advance(seconds=1))

    assert notices(reminded) == [(taker, "volunteer.reply_reminder_later")]
    assert reminded.notices[0].params == {"number": ticket.number, "minutes": 15, "left": 15}
    assert await desk.service.sweep(desk.clock.advance(minutes=14, seconds=59)) == Effects()
    handed = await desk.service.sweep(desk.clock.advance(seconds=1))
    assert notices(handed) == [
        (PUPIL_CHAT, "ticket.released"),
        (taker, "volunteer.handed_on"),
        (COORDINATOR_CHAT, "coordinators.handed_on_later"),
    ]
    assert handed.notices[2].params == {"number": ticket.number, "volunteer": "Volunteer 1",
                                        "minutes": 30}
    assert (await desk.service.ticket_by_number(ticket.number)).volunteer_id is None


async def test_a_taker_who_answers_the_later_message_in_time_hears_nothing(desk: Desk):
    ticket, taker = await answered_once(desk)
    await pupil_writes(desk)
    desk.clock.advance(minutes=10)
    await write(desk, taker, "Prova a riavviarlo")

    assert await desk.service.sweep(desk.clock.advance(minutes=5)) == Effects()
    assert await timer_of(desk, ticket.id) is None
    assert await desk.service.sweep(desk.clock.advance(hours=2)) == Effects()
    assert await count(desk, "reply_reminded") == 0


async def test_a_pupil_message_right_after_an_answer_gets_its_full_time(desk: Desk):
    """The timer of the wait just answered falls due first: it is set again, not fired."""
    ticket, taker = await taken(desk)
    desk.clock.advance(minutes=12)
    await write(desk, taker)
    written = desk.clock.advance(minutes=2)
    await pupil_writes(desk)

    assert await desk.service.sweep(desk.clock.advance(minutes=1)) == Effects()  # taking + 15
    timer = await timer_of(desk, ticket.id)
    assert (timer.kind, timer.due_at, timer.claimed_by) == (
        TimerKind.REPLY_REMINDER, written + timedelta(minutes=15), None)
    assert await desk.service.sweep(desk.clock.advance(minutes=13, seconds=59)) == Effects()
    reminded = await desk.service.sweep(desk.clock.advance(seconds=1))
    assert notices(reminded) == [(taker, "volunteer.reply_reminder_later")]
    assert reminded.notices[0].params["minutes"] == 15


async def reminded_then_answered(desk: Desk):
    """Reminded at 15 minutes, answered at 20, the pupil writes again at 25; (ticket, taker)."""
    ticket, taker = await taken(desk)
    assert notices(await desk.service.sweep(desk.clock.advance(minutes=15))) == [
        (taker, "volunteer.reply_reminder")]
    desk.clock.advance(minutes=5)
    await write(desk, taker, "Scusa il ritardo!")
    desk.clock.advance(minutes=5)
    await pupil_writes(desk)
    return ticket, taker


async def test_an_answer_after_the_reminder_starts_the_cycle_again(desk: Desk):
    ticket, taker = await reminded_then_answered(desk)

    assert await desk.service.sweep(desk.clock.advance(minutes=5)) == Effects()  # the deadline
    assert await desk.service.sweep(desk.clock.advance(minutes=9, seconds=59)) == Effects()
    reminded = await desk.service.sweep(desk.clock.advance(seconds=1))  # the message + 15

    assert notices(reminded) == [(taker, "volunteer.reply_reminder_later")]
    assert (await desk.service.ticket_by_number(ticket.number)).volunteer_id is not None
    handed = await desk.service.sweep(desk.clock.advance(minutes=15))
    assert (taker, "volunteer.handed_on") in notices(handed)


async def test_a_late_sweeper_reminds_of_an_unanswered_later_message_before_handing_back(
    desk: Desk,
):
    ticket, taker = await reminded_then_answered(desk)

    reminded = await desk.service.sweep(desk.clock.advance(minutes=20))  # the deadline + 15

    assert notices(reminded) == [(taker, "volunteer.reply_reminder_later")]
    assert reminded.notices[0].params == {"number": ticket.number, "minutes": 20, "left": 15}
    assert await desk.service.sweep(desk.clock.advance(minutes=14)) == Effects()
    handed = await desk.service.sweep(desk.clock.advance(minutes=1))
    assert (taker, "volunteer.handed_on") in notices(handed)

