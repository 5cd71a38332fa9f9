"""The outbox forgets what Telegram took in batches, never resending it and never deleting a
row still owed (escalation.outbox)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from escalation.outbox import Outbox, Outgoing
from escalation.transactions import Transactions


def reply(chat_id: int, text: str) -> Outgoing:
    return Outgoing(chat_id, "send", {"text": text})


async def test_a_sent_call_is_never_read_again_and_deleted_by_the_drain(
    sessions: async_sessionmaker[AsyncSession],
):
    outbox = Outbox(sessions)
    (first,) = (await outbox.add([reply(1, "a")])).rows
    await outbox.done(first)

    assert await outbox.head(1) is None
    assert await outbox.pending() == []
    assert [q.id for q in await Outbox(sessions).pending()] == [first.id]  # still a row

    (second,) = (await outbox.add([reply(1, "b")])).rows  # an update writes no deletion
    assert [q.payload["text"] for q in await Outbox(sessions).pending()] == ["a", "b"]
    await outbox.done(second)
    await outbox.forget_sent()
    assert await Outbox(sessions).pending() == []


async def test_new_calls_wait_behind_their_chats_unsent_calls_only(
    sessions: async_sessionmaker[AsyncSession],
):
    outbox = Outbox(sessions)
    first = (await outbox.add([reply(1, "a"), reply(2, "a"), reply(3, "a")])).rows
    assert (await outbox.add([])).behind == frozenset()
    await outbox.done(first[0])  # chat 1's call went; chat 2's waits; chat 3's was refused
    await outbox.give_up(first[2], "403 blocked")

    added = await outbox.add([reply(1, "b"), reply(2, "b"), reply(3, "b"), reply(4, "b")])
    assert added.behind == {2}
    added = await outbox.add([reply(1, "c"), reply(5, "c"), reply(5, "d")])  # 1: "b" unsent
    assert added.behind == {1}  # not 5: its second call is behind its first, the same send
    assert [q.payload["text"] for q in added.rows] == ["c", "c", "d"]


async def test_after_a_restart_calls_wait_behind_the_ones_sent_before_it(
    sessions: async_sessionmaker[AsyncSession],
):
    before = Outbox(sessions)
    (sent,) = (await before.add([reply(1, "a")])).rows
    await before.done(sent)  # crashed before deleting it: only `before` knew it went

    after = Outbox(sessions)
    assert (await after.add([reply(1, "b")])).behind == {1}  # the drain sends "a" first
    assert [q.payload["text"] for q in await after.pending()] == ["a", "b"]


async def test_a_call_waits_behind_an_older_unsent_one_under_a_newer_sent_one(
    sessions: async_sessionmaker[AsyncSession],
):
    """A refused call lets the next go; one waiting for a retry holds back the later ones."""
    outbox = Outbox(sessions)
    first, second = (await outbox.add([reply(1, "a"), reply(1, "b")])).rows
    await outbox.retry_later(first, timedelta(0), "flood wait")
    assert (await outbox.add([reply(1, "c")])).behind == {1}
    await outbox.give_up(first, "400")
    await outbox.done(second)
    assert (await outbox.add([reply(1, "d")])).behind == {1}  # "c" still waits
    for queued in await outbox.pending():  # "c" and "d", in order
        await outbox.done(queued)
    assert (await outbox.add([reply(1, "e")])).behind == frozenset()


async def test_a_sent_row_over_an_unsent_one_of_the_same_chat_does_not_hide_it(
    sessions: async_sessionmaker[AsyncSession],
):
    """PostgreSQL: two transactions writing to one chat at once see neither the other's row,
    and both send; the smaller id may then wait for a retry under the other, sent."""
    outbox = Outbox(sessions)
    retried, sent = (await outbox.add([reply(1, "a"), reply(1, "b")])).rows
    await outbox.retry_later(retried, timedelta(0), "timeout")
    await outbox.done(sent)
    assert (await outbox.add([reply(1, "c")])).behind == {1}


async def test_many_older_rows_all_sent_hold_nothing_back(
    sessions: async_sessionmaker[AsyncSession],
):
    outbox = Outbox(sessions)
    for queued in (await outbox.add([reply(1, "a"), reply(1, "b"), reply(1, "c")])).rows:
        await outbox.done(queued)
    assert (await outbox.add([reply(1, "d")])).behind == frozenset()


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
