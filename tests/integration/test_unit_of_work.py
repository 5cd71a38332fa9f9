"""One update, one transaction: the engine commits once before replying, or rolls all back."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.actions import Action, Incoming, Kind, Send
from bot.engine.deps import Knowledge
from escalation.api import Outcome
from escalation.models import AuditEntry, ProcessedUpdate, QuestionLog, User
from escalation.outbox import Outbox, Outgoing
from tests.conftest import Desk
from tests.integration.engine_harness import PUPIL, shipped_knowledge, small_world, world


@contextmanager
def commits(engine: AsyncEngine) -> Iterator[list[None]]:
    """Every COMMIT the database receives meanwhile, one item each."""
    seen: list[None] = []

    def on_commit(_connection: object) -> None:
        seen.append(None)

    event.listen(engine.sync_engine, "commit", on_commit)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "commit", on_commit)


async def count(desk: Desk, statement) -> int:
    async with desk.sessions() as session:
        return await session.scalar(statement) or 0


async def test_an_update_commits_once_before_the_reply(
    desk: Desk, engine: AsyncEngine, tmp_path: Path
):
    chat = small_world(desk, tmp_path)
    await chat.say(PUPIL, "il tablet non si accende")
    with commits(engine) as seen:
        await chat.say(PUPIL, "il tablet non si carica")  # claim, user, log, outcome, context
    assert "caricatore" in chat.last(PUPIL).text
    assert len(seen) == 1
    with commits(engine) as seen:
        await chat.press(PUPIL, "Risolto")
    assert len(seen) == 1


class _BrokenMatcher:
    def match(self, query: str, lang: str | None = None, audience: str | None = None) -> object:
        raise RuntimeError("matcher bug")


async def test_a_failing_update_leaves_nothing_and_its_redelivery_is_handled_again(desk: Desk):
    chat = world(desk, knowledge=Knowledge(lambda: (shipped_knowledge()[0], _BrokenMatcher())))
    update = Incoming(777, PUPIL, Kind.TEXT, text="il tablet non si accende", message_id=5)
    error = chat.engine.deps.texts.get("it", "common.error")

    first = await chat.engine.handle(update)
    again = await chat.engine.handle(update)

    assert first == again == [Send(PUPIL, error)]  # one kind reply, each time
    assert await count(desk, select(func.count()).select_from(ProcessedUpdate)) == 0
    assert await count(desk, select(func.count()).select_from(User)) == 0
    assert await count(desk, select(func.count()).select_from(QuestionLog)) == 0


async def test_a_handled_update_is_not_handled_twice(desk: Desk, tmp_path: Path):
    chat = small_world(desk, tmp_path)
    update = Incoming(778, PUPIL, Kind.TEXT, text="il tablet non si accende", message_id=6)
    assert await chat.engine.handle(update)
    assert await chat.engine.handle(update) == []


async def test_calls_in_one_transaction_are_seen_by_each_other_and_rolled_back_together(
    desk: Desk,
):
    with pytest.raises(RuntimeError, match="abandoned"):
        async with desk.users.transaction():
            user = await desk.users.get_or_create_user(4242, "it")
            async with desk.users.transaction():  # an inner one joins the outer one
                question = await desk.users.log_question(user.id, "wifi?", "answer", None)
            await desk.users.set_outcome(question, Outcome.ANSWERED)
            assert (await desk.users.user_by_pseudonym(user.pseudonym)) == user
            raise RuntimeError("abandoned")
    assert await desk.users.user_by_pseudonym(user.pseudonym) is None
    assert await count(desk, select(func.count()).select_from(QuestionLog)) == 0


async def test_calls_outside_a_transaction_commit_on_their_own(desk: Desk):
    user = await desk.users.get_or_create_user(4343, "en")
    question = await desk.users.log_question(
        user.id, "my tablet", "answer", None, outcome=Outcome.ANSWERED
    )
    async with desk.sessions() as session:
        logged = await session.get(QuestionLog, question)
    assert (logged.user_id, logged.outcome) == (user.id, Outcome.ANSWERED)


async def test_what_the_adapter_keeps_commits_with_the_update_in_its_one_transaction(
    desk: Desk, engine: AsyncEngine, tmp_path: Path
):
    chat = small_world(desk, tmp_path)
    outbox = Outbox(desk.sessions)  # a session factory of its own, on the same database
    update = Incoming(779, PUPIL, Kind.TEXT, text="il tablet non si accende", message_id=7)

    async def keep(actions: list[Action]) -> None:
        rows = [Outgoing(a.chat_id, "send", {"text": a.text}) for a in actions]
        await outbox.add(rows)

    with commits(engine) as seen:
        actions = await chat.engine.handle(update, keep)
    assert len(seen) == 1
    assert [(q.chat_id, q.payload["text"]) for q in await outbox.pending()] == [
        (PUPIL, actions[0].text)
    ]


async def test_a_failing_keep_rolls_the_update_back_and_its_redelivery_is_handled_again(
    desk: Desk, tmp_path: Path
):
    chat = small_world(desk, tmp_path)
    update = Incoming(780, PUPIL, Kind.TEXT, text="il tablet non si accende", message_id=8)
    error = chat.engine.deps.texts.get("it", "common.error")

    async def broken_keep(actions: list[Action]) -> None:
        raise RuntimeError("outbox bug")

    assert await chat.engine.handle(update, broken_keep) == [Send(PUPIL, error)]
    assert await count(desk, select(func.count()).select_from(ProcessedUpdate)) == 0
    assert await count(desk, select(func.count()).select_from(QuestionLog)) == 0
    assert "accensione" in (await chat.engine.handle(update))[0].text  # handled afresh


async def test_orm_and_plain_calls_in_one_transaction_commit_and_roll_back_together(desk: Desk):
    """The store's plain statements run on the transaction's connection, the calls that work
    with ORM objects on a session joined to it: one commit, or one rollback, for both."""
    user = await desk.users.get_or_create_user(4444, "it")
    with pytest.raises(RuntimeError, match="abandoned"):
        async with desk.users.transaction():
            await desk.users.log_question(user.id, "wifi?", "answer", None)  # plain
            await desk.users.forget_user(user.id)  # ORM: deletes the user, writes the audit
            raise RuntimeError("abandoned")
    assert await desk.users.user_by_pseudonym(user.pseudonym) == user
    assert await count(desk, select(func.count()).select_from(QuestionLog)) == 0

    async with desk.users.transaction():
        await desk.users.log_question(user.id, "wifi?", "answer", None)
        await desk.users.forget_user(user.id)
    assert await desk.users.user_by_pseudonym(user.pseudonym) is None
    forgotten = select(func.count()).where(AuditEntry.action == "user_forgotten")
    assert await count(desk, forgotten) == 1
    assert await count(desk, select(func.count()).where(QuestionLog.text.is_(None))) == 1
