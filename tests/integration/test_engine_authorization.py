"""Who may do what: volunteers' and coordinators' commands, tickets of one's own, buttons.

Anyone can type any command and any client can send any callback data, so every check here
sends what a curious pupil or a mistaken volunteer could send and then looks in the database
that nothing changed.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from bot.actions import AnswerCallback, Copy, Kind, Send
from escalation.api import TicketStatus
from escalation.models import AuditEntry, QuestionLog, Ticket, User, Volunteer
from tests.conftest import Desk, make_rota
from tests.integration.engine_harness import PUPIL, World, small_world

COORDINATOR = 9001
UNKNOWN_COMMAND = "Non conosco questo comando"
INVALID_BUTTON = "Questo pulsante non vale più"
OTHER_PUPIL = PUPIL + 1


async def open_ticket(chat: World, pupil: int) -> list[int]:
    """`pupil` asks what the FAQ cannot answer and sends it as it is; the chats pinged."""
    await chat.say(pupil, "xyzzy plugh")
    await chat.press(pupil, "Parla con un volontario")  # off-topic
    actions = await chat.press(pupil, "Manda così")
    return [a.chat_id for a in actions if isinstance(a, Send) and a.ping_offer_id is not None]


async def tickets(desk: Desk) -> dict[str, Ticket]:
    async with desk.sessions() as session:
        return {t.number: t for t in await session.scalars(select(Ticket))}


async def count(desk: Desk, column: object) -> int:
    async with desk.sessions() as session:
        return await session.scalar(select(func.count(column)))


def only_reply(actions: list, chat_id: int) -> str:
    """The one message the update got; fails if it got more, or anything went elsewhere."""
    [reply] = actions
    assert isinstance(reply, Send) and reply.chat_id == chat_id
    return reply.text


async def test_pupils_cannot_use_volunteer_commands(desk: Desk, tmp_path: Path):
    chat = small_world(desk, tmp_path)
    helper, _ = await open_ticket(chat, PUPIL)
    await chat.press(helper, "Prendo io")
    before = await tickets(desk)

    for pupil in (PUPIL, OTHER_PUPIL):  # the ticket's own pupil, and a stranger
        for name, args in (("pausa", ""), ("riprendo", ""), ("miei", ""), ("mine", ""),
                           ("ticket", "T-0001")):
            reply = only_reply(await chat.command(pupil, name, args), pupil)
            assert UNKNOWN_COMMAND in reply, (pupil, name)
        for args in ("T-0001", ""):  # a pupil's /chiudi withdraws their own request, if asked
            reply = only_reply(await chat.command(pupil, "chiudi", args), pupil)
            own = pupil == PUPIL
            assert ("Vuoi chiudere" if own else "Non hai richieste aperte") in reply, pupil

    after = await tickets(desk)
    assert (after["T-0001"].status, after["T-0001"].volunteer_id) == (
        before["T-0001"].status, before["T-0001"].volunteer_id
    )
    assert after["T-0001"].status == TicketStatus.ASSIGNED
    async with desk.sessions() as session:
        assert not any(v.paused for v in await session.scalars(select(Volunteer)))
    await chat.say(PUPIL, "ci sei?")  # the conversation goes on as before
    assert isinstance(chat.last(helper).action, Copy)


async def test_only_coordinators_use_coordinator_commands(desk: Desk, tmp_path: Path):
    chat = small_world(desk, tmp_path)
    await open_ticket(chat, PUPIL)
    for outsider in (OTHER_PUPIL, 1001):  # a pupil and a (linked) volunteer
        for name, args in (("stats", ""), ("reload", ""), ("nonrisposte", ""),
                           ("blocca", "T-0001"), ("sblocca", "T-0001")):
            reply = only_reply(await chat.command(outsider, name, args), outsider)
            if outsider == OTHER_PUPIL:
                assert UNKNOWN_COMMAND in reply, (outsider, name)
            else:  # the volunteer is told their own commands, not the pupils' words
                assert "I comandi dei volontari" in reply and "/pausa" in reply, name
                assert UNKNOWN_COMMAND not in reply
    async with desk.sessions() as session:
        assert not any(u.blocked for u in await session.scalars(select(User)))
    reply = only_reply(await chat.command(COORDINATOR, "nonesiste"), COORDINATOR)
    assert "I comandi dei coordinatori" in reply

    reply = only_reply(await chat.command(COORDINATOR, "stats"), COORDINATOR)
    assert "Statistiche" in reply  # the same command works for the coordinator


async def test_a_volunteer_acts_only_on_their_own_tickets(desk: Desk, tmp_path: Path):
    desk.rota.rota = make_rota(volunteers=2)  # both volunteers are pinged for every ticket
    chat = small_world(desk, tmp_path)
    first, second = await open_ticket(chat, PUPIL)
    await chat.press(first, "Prendo io")  # T-0001: the first volunteer's
    stale_ping = next(r for r in chat.inbox[second] if "T-0001" in r.text)
    await open_ticket(chat, OTHER_PUPIL)
    await chat.press(second, "Prendo io")  # T-0002: the second volunteer's
    pupil_copies = len(chat.inbox.get(PUPIL, []))

    reply = only_reply(await chat.command(second, "chiudi", "T-0001"), second)
    assert "non è tua" in reply
    reply = only_reply(await chat.command(second, "ticket", "T-0001"), second)
    assert "non è tra le tue" in reply
    # a reply to their own (edited) ping of T-0001 does not reach T-0001's pupil ...
    await chat.say(second, "ciao, sono io", reply_to_message_id=stale_ping.message_id)
    # ... nor does a reply quoting a message id of the other volunteer's chat
    theirs = chat.last(first).message_id
    await chat.say(second, "ciao di nuovo", reply_to_message_id=theirs)
    await chat.say(second, "e ancora")

    assert len(chat.inbox.get(PUPIL, [])) == pupil_copies  # nothing reached the first pupil
    reached = [r.action for r in chat.inbox[OTHER_PUPIL] if isinstance(r.action, Copy)]
    assert all(c.from_chat_id == second for c in reached)
    found = await tickets(desk)
    assert found["T-0001"].status == TicketStatus.ASSIGNED
    assert found["T-0001"].volunteer_id != found["T-0002"].volunteer_id


async def test_forged_take_and_pass_buttons_cannot_act_on_a_ticket(desk: Desk, tmp_path: Path):
    chat = small_world(desk, tmp_path)
    pinged = await open_ticket(chat, PUPIL)
    outsider = next(c for c in range(1001, 1007) if c not in pinged)  # linked, not offered
    ticket_id = (await tickets(desk))["T-0001"].id

    for data in (f"take:{ticket_id}", f"pass:{ticket_id}"):
        actions = await chat.incoming(outsider, Kind.CALLBACK, callback_data=data,
                                      callback_id="forged")
        assert [type(a) for a in actions] == [AnswerCallback], data
    ticket = (await tickets(desk))["T-0001"]
    assert (ticket.status, ticket.volunteer_id) == (TicketStatus.OFFERED, None)
    async with desk.sessions() as session:
        refused = await session.scalar(
            select(func.count(AuditEntry.id)).where(AuditEntry.action == "take_refused")
        )
    assert refused == 1  # the attempt is on record

    # one who was offered T-0001 cannot take T-0002 by editing the ticket id in the button
    second_pinged = await open_ticket(chat, OTHER_PUPIL)
    second_id = (await tickets(desk))["T-0002"].id
    offered_first_only = [c for c in pinged if c not in second_pinged]
    assert offered_first_only  # the rota spreads pings: T-0002 went to someone else
    actions = await chat.incoming(offered_first_only[0], Kind.CALLBACK,
                                  callback_data=f"take:{second_id}", callback_id="forged")
    assert [type(a) for a in actions] == [AnswerCallback]
    assert (await tickets(desk))["T-0002"].volunteer_id is None

    await chat.press(pinged[0], "Prendo io")  # the genuine button still works
    assert (await tickets(desk))["T-0001"].status == TicketStatus.ASSIGNED


async def test_forged_pupil_buttons_cannot_touch_another_pupils_question_or_ticket(
    desk: Desk, tmp_path: Path
):
    chat = small_world(desk, tmp_path)
    await chat.say(PUPIL, "il tablet non si accende")  # question 1, with feedback buttons
    helper, _ = await open_ticket(chat, OTHER_PUPIL)  # question 2 and T-0001
    await chat.press(helper, "Prendo io")
    await chat.command(helper, "chiudi")  # T-0001 waits for its pupil's rating
    async with desk.sessions() as session:
        first_question = await session.scalar(select(func.min(QuestionLog.id)))

    forged = (
        f"fb:{first_question}:ok",  # another pupil's question
        f"fb:{first_question}:human",
        f"pick:{first_question}:0",
        f"desc:{first_question}",
        "rate:T-0001:y:5",  # another pupil's ticket
        "rate:T-9999:y:5",
        "take:1", "pass:1",  # volunteers' buttons
        "fb:abc:ok", "fb:1", "take:1:2", "rate:T-0001:y:9", "lang:xx", "school:999-ffff",
        "forget", "fb:" + "9" * 12 + ":ok",
    )
    stranger = PUPIL + 7
    for data in forged:
        actions = await chat.incoming(stranger, Kind.CALLBACK, callback_data=data,
                                      callback_id="c")
        [toast] = actions
        assert isinstance(toast, AnswerCallback) and INVALID_BUTTON in (toast.text or ""), data

    async with desk.sessions() as session:
        question = await session.get(QuestionLog, first_question)
        assert question.outcome == "answered"  # not "solved" by a stranger's press
    ticket = (await tickets(desk))["T-0001"]
    assert (ticket.status, ticket.rating) == (TicketStatus.RESOLVED, None)
    assert await count(desk, Ticket.id) == 1  # no ticket opened by a forged "desc" button


async def test_blocked_users_get_no_processing(desk: Desk, tmp_path: Path):
    chat = small_world(desk, tmp_path)
    helper, _ = await open_ticket(chat, PUPIL)
    await chat.press(helper, "Prendo io")
    await chat.command(COORDINATOR, "blocca", "T-0001")
    questions = await count(desk, QuestionLog.id)
    helper_inbox = len(chat.inbox[helper])

    notice = await chat.say(PUPIL, "il tablet non si accende")
    assert "non posso più risponderti" in only_reply(notice, PUPIL)
    for update in (  # (safeguarding still helps them: see test_engine_child_safety)
        chat.say(PUPIL, "il wifi è lento a casa"),
        chat.incoming(PUPIL, Kind.PHOTO, file_id="AgAD"),
        chat.command(PUPIL, "start"),
        chat.command(PUPIL, "aiuto"),
    ):
        assert await update == []
    for data in ("rate:T-0001:y:1", "fb:1:ok", "garbled"):  # a press is answered, silently
        pressed = await chat.incoming(PUPIL, Kind.CALLBACK, callback_data=data, callback_id="c")
        assert pressed == [AnswerCallback("c")]

    assert await count(desk, QuestionLog.id) == questions  # nothing was matched or logged
    assert len(chat.inbox[helper]) == helper_inbox  # nothing reached the volunteer
    assert await count(desk, Ticket.id) == 1 and await count(desk, User.id) >= 1
    user = await desk.users.get_or_create_user(PUPIL, "it")
    assert user.blocked and user.state == "in_ticket"  # state untouched by /start


async def test_blocked_users_can_still_have_their_data_deleted(desk: Desk, tmp_path: Path):
    chat = small_world(desk, tmp_path)
    await open_ticket(chat, PUPIL)
    await chat.command(COORDINATOR, "blocca", "T-0001")
    await chat.say(PUPIL, "ciao")  # the one notice

    await chat.command(PUPIL, "cancella")
    assert "Non si può tornare indietro" in chat.last(PUPIL).text
    await chat.press(PUPIL, "Sì, cancella")

    assert "ho cancellato tutto" in chat.last(PUPIL).text
    async with desk.sessions() as session:
        assert await session.scalar(select(User).where(User.chat_id == PUPIL)) is None
        ticket = (await session.scalars(select(Ticket))).one()
    assert (ticket.user_id, ticket.question) == (None, None)
