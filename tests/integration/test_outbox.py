"""The outbox forgets what Telegram took in batches, never resending it and never deleting a
row still owed (escalation.outbox)."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from escalation.outbox import Outbox, Outgoing
from escalation.transactions import Transactions


def reply(chat_id: int, text: str) -> Outgoing:
    return Outgoing(chat_id, "send", {"text": text})


async def test_a_sent_call_is_never_read_again_and_deleted_with_the_next_write(
    sessions: async_sessionmaker[AsyncSession],
):
    outbox = Outbox(sessions)
    (first,) = (await outbox.add([reply(1, "a")])).rows
    await outbox.done(first)

    assert await outbox.head(1) is None
    assert await outbox.pending() == []
    assert [q.id for q in await Outbox(sessions).pending()] == [first.id]  # still a row

    (second,) = (await outbox.add([reply(1, "b")])).rows
    assert [q.payload["text"] for q in await Outbox(sessions).pending()] == ["b"]
    await outbox.done(second)
    await outbox.forget_sent()
    assert await Outbox(sessions).pending() == []


async def test_a_deletion_racing_an_update_that_reuses_the_id_deletes_only_what_was_sent(
    sessions: async_sessionmaker[AsyncSession],
):
    outbox = Outbox(sessions)
    (sent,) = (await outbox.add([reply(1, "a")])).rows
    await outbox.done(sent)

    async with Transactions(sessions).unit_of_work():  # an update's transaction
        (owed,) = (await outbox.add([reply(1, "b")])).rows  # SQLite may reuse the id
        forgetting = asyncio.create_task(outbox.forget_sent())  # the drain, meanwhile
        await asyncio.sleep(0)
    await forgetting

    assert [q.id for q in await Outbox(sessions).pending()] == [owed.id]


async def test_a_rolled_back_deletion_is_done_again_later(
    sessions: async_sessionmaker[AsyncSession],
):
    outbox = Outbox(sessions)
    (sent,) = (await outbox.add([reply(1, "a")])).rows
    await outbox.done(sent)
    try:
        async with Transactions(sessions).unit_of_work():
            await outbox.add([reply(2, "b")])
            raise RuntimeError("the update failed")
    except RuntimeError:
        pass
    assert await outbox.pending() == []  # still known as sent
    await outbox.forget_sent()
    assert await Outbox(sessions).pending() == []
