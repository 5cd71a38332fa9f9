"""Telegram and the database failing under the whole bot: nothing lost, nothing twice, in order.

The fake Bot API answers 429 with retry_after, 500, or drops the connection when told to; the
real PTB stack maps those to its errors and the outbox retries. The bot runs with quick
retries (the harness's `QUICK_RETRIES`), so the tests wait fractions of a second, not minutes.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram.ext import Application

from bot.engine.assemble import Assembly
from bot.telegram.send import Backoff
from escalation.models import ProcessedUpdate
from escalation.outbox import Outbox
from tests.e2e.bot_harness import (
    QUICK_RETRIES,
    Clock,
    helpdesk_engine,
    onboard_pupil,
    outbox_of,
    replies,
    running_bot,
    said,
)
from tests.e2e.fake_bot_api import ChatMessage, FakeBotApi
from tests.e2e.test_bot_escalation import GIULIA, PUPIL, link_staff, open_ticket, take

FAQ_QUESTION = "il tablet non si accende"


@asynccontextmanager
async def bot_on(
    fake: FakeBotApi, directory: Path, database_url: str, backoff: Backoff = QUICK_RETRIES
) -> AsyncIterator[tuple[Assembly, Application]]:
    """The whole bot; a second one on the same directory and database is a restart."""
    async with (
        helpdesk_engine(directory, Clock(), database_url) as assembly,
        running_bot(fake, assembly.engine, outbox_of(assembly), backoff=backoff) as application,
    ):
        yield assembly, application


async def relaying(fake: FakeBotApi) -> None:
    """Staff linked, a pupil's ticket taken by Giulia, and one message already relayed."""
    await link_staff(fake)
    await open_ticket(fake)
    await take(fake, GIULIA)
    await replies(fake, GIULIA, lambda: fake.user_sends(PUPIL, "ci sei?"), count=2)


async def emptied(outbox: Outbox) -> None:
    """Return once nothing is left to send or retry (a test times out if that never comes)."""
    while await outbox.pending():
        await asyncio.sleep(0.05)


def copies_to(fake: FakeBotApi, chat_id: int) -> list[str | None]:
    return [m.text for m in fake.sent_to(chat_id) if m.via == "copyMessage"]


async def relay(fake: FakeBotApi, text: str) -> ChatMessage:
    """The pupil writes `text`; wait until Giulia has its copy."""
    fake.user_sends(PUPIL, text)
    return await copy_arrives(fake, text)


async def copy_arrives(fake: FakeBotApi, text: str) -> ChatMessage:
    """Giulia's copy of the pupil's `text`, once it is there (retries may come first)."""
    while True:
        found = [m for m in fake.sent_to(GIULIA) if m.via == "copyMessage" and m.text == text]
        if found:
            return found[0]
        await fake.wait_for("copyMessage", count=len(fake.calls("copyMessage")) + 1, timeout=10)


async def test_a_flood_wait_on_a_reply_is_waited_out_and_the_answer_arrives_once(
    fake_bot_api: FakeBotApi, tmp_path: Path, database_url: str
):
    async with bot_on(fake_bot_api, tmp_path, database_url):
        await onboard_pupil(fake_bot_api, PUPIL)
        fake_bot_api.fail_next("sendMessage", status=429, retry_after=1)
        (answer,) = await replies(
            fake_bot_api, PUPIL, lambda: fake_bot_api.user_sends(PUPIL, FAQ_QUESTION)
        )

    tries = [r for r in fake_bot_api.calls("sendMessage") if r.chat_id == PUPIL][-2:]
    assert [r.status for r in tries] == [429, 200]
    assert tries[1].at - tries[0].at >= 1.0  # Telegram's retry_after was honoured
    assert "caricatore" in (answer.text or "")
    assert [m.text for m in fake_bot_api.sent_to(PUPIL)].count(answer.text) == 1


async def test_a_flood_wait_on_a_relay_is_waited_out_and_the_copy_arrives_once(
    fake_bot_api: FakeBotApi, tmp_path: Path, database_url: str
):
    async with bot_on(fake_bot_api, tmp_path, database_url):
        await relaying(fake_bot_api)
        fake_bot_api.fail_next("copyMessage", status=429, retry_after=1)
        await relay(fake_bot_api, "la batteria è a zero")

    tries = [r for r in fake_bot_api.calls("copyMessage") if r.chat_id == GIULIA]
    assert [r.status for r in tries] == [200, 429, 200]  # PTB's limiter did not retry as well
    assert tries[2].at - tries[1].at >= 1.0
    assert copies_to(fake_bot_api, GIULIA) == ["ci sei?", "la batteria è a zero"]


async def test_a_server_error_then_success_delivers_the_answer_once(
    fake_bot_api: FakeBotApi, tmp_path: Path, database_url: str
):
    async with bot_on(fake_bot_api, tmp_path, database_url):
        await onboard_pupil(fake_bot_api, PUPIL)
        fake_bot_api.fail_next("sendMessage", status=500)
        (answer,) = await replies(
            fake_bot_api, PUPIL, lambda: fake_bot_api.user_sends(PUPIL, FAQ_QUESTION)
        )

    tries = [r for r in fake_bot_api.calls("sendMessage") if r.chat_id == PUPIL][-2:]
    assert [r.status for r in tries] == [500, 200]
    assert [m.text for m in fake_bot_api.sent_to(PUPIL)].count(answer.text) == 1


async def test_a_dropped_connection_on_a_relay_delivers_the_copy_once(
    fake_bot_api: FakeBotApi, tmp_path: Path, database_url: str
):
    async with bot_on(fake_bot_api, tmp_path, database_url):
        await relaying(fake_bot_api)
        fake_bot_api.drop_next("copyMessage")
        await relay(fake_bot_api, "si è spento di nuovo")

    assert [r.status for r in fake_bot_api.calls("copyMessage") if r.chat_id == GIULIA] == [
        200, 0, 200,
    ]
    assert copies_to(fake_bot_api, GIULIA) == ["ci sei?", "si è spento di nuovo"]


async def test_the_first_of_two_relays_fails_and_the_second_waits_for_it(
    fake_bot_api: FakeBotApi, tmp_path: Path, database_url: str
):
    async with bot_on(fake_bot_api, tmp_path, database_url):
        await relaying(fake_bot_api)
        fake_bot_api.fail_next("copyMessage", status=502, times=2)
        fake_bot_api.user_sends(PUPIL, "primo")
        await relay(fake_bot_api, "secondo")

    assert copies_to(fake_bot_api, GIULIA) == ["ci sei?", "primo", "secondo"]
    tries = [r.params["message_id"] for r in fake_bot_api.calls("copyMessage")][-4:]
    first, second = sorted(set(tries))
    assert tries == [first, first, first, second]  # "secondo" never overtook "primo"


async def test_a_relay_telegram_failed_is_still_owed_after_a_stop_and_goes_after_a_restart(
    fake_bot_api: FakeBotApi, tmp_path: Path, database_url: str
):
    slow = Backoff(first=timedelta(seconds=2), ceiling=timedelta(seconds=2))
    async with bot_on(fake_bot_api, tmp_path, database_url, backoff=slow) as (assembly, _):
        await relaying(fake_bot_api)
        fake_bot_api.fail_next("copyMessage", status=500)
        fake_bot_api.user_sends(PUPIL, "mi senti?")
        await fake_bot_api.wait_for("copyMessage", lambda r: r.status == 500)
    async with helpdesk_engine(tmp_path, Clock(), database_url) as assembly:  # not serving
        owed = await outbox_of(assembly).pending()
    assert [(q.chat_id, q.kind) for q in owed] == [(GIULIA, "copy")]
    assert copies_to(fake_bot_api, GIULIA) == ["ci sei?"]  # stopped before the retry

    async with bot_on(fake_bot_api, tmp_path, database_url) as (assembly, _):
        copy = await copy_arrives(fake_bot_api, "mi senti?")
        await asyncio.wait_for(emptied(outbox_of(assembly)), 5)  # and it is marked sent

    assert copy.via == "copyMessage"
    assert copies_to(fake_bot_api, GIULIA) == ["ci sei?", "mi senti?"]


async def test_what_telegram_took_is_deleted_by_a_stop_so_a_restart_sends_nothing_again(
    fake_bot_api: FakeBotApi, tmp_path: Path, database_url: str
):
    async with bot_on(fake_bot_api, tmp_path, database_url):
        await onboard_pupil(fake_bot_api, PUPIL)
        await replies(fake_bot_api, PUPIL, lambda: fake_bot_api.user_sends(PUPIL, FAQ_QUESTION))
    async with helpdesk_engine(tmp_path, Clock(), database_url) as assembly:  # not serving
        assert await outbox_of(assembly).pending() == []  # taken calls are deleted in batches


async def test_a_volunteer_who_blocked_the_bot_is_recorded_once_per_message_not_retried(
    fake_bot_api: FakeBotApi, tmp_path: Path, database_url: str
):
    async with bot_on(fake_bot_api, tmp_path, database_url) as (assembly, _):
        await relaying(fake_bot_api)
        fake_bot_api.user_blocks_bot(GIULIA)
        for count, text in enumerate(("mi rispondi?", "ci sei ancora?"), start=1):
            fake_bot_api.user_sends(PUPIL, text)
            await fake_bot_api.wait_for("copyMessage", lambda r: r.status == 403, count=count)
        outbox = outbox_of(assembly)
        await asyncio.wait_for(emptied(outbox), 5)  # nothing is left to retry
        failed = await outbox.failed()

    refused = [r for r in fake_bot_api.requests if r.chat_id == GIULIA and r.status == 403]
    copies = [r.params["message_id"] for r in refused if r.method == "copyMessage"]
    assert len(copies) == len(set(copies)) == 2  # each message tried once, the second too
    assert [kind for _, kind, _ in failed if kind == "copy"] == ["copy", "copy"]
    assert len(failed) == len(refused)  # every refusal recorded, none tried again
    assert {(chat, error) for chat, _, error in failed} == {
        (GIULIA, "Forbidden: bot was blocked by the user")
    }


@contextmanager
def database_failing(database: AsyncEngine, after_statements: int) -> Iterator[list[int]]:
    """The database fails from the `after_statements`+1-th statement on, as if it went away.

    Yields a list that collects how many statements were refused.
    """
    seen, refused = [0], []

    def fail(*_: Any) -> None:
        seen[0] += 1
        if seen[0] > after_statements:
            refused.append(seen[0])
            raise OperationalError("injected", None, ConnectionError("database unreachable"))

    event.listen(database.sync_engine, "before_cursor_execute", fail)
    try:
        yield refused
    finally:
        event.remove(database.sync_engine, "before_cursor_execute", fail)


async def test_the_database_failing_mid_update_asks_to_try_again_and_writes_nothing(
    fake_bot_api: FakeBotApi, tmp_path: Path, database_url: str
):
    async with bot_on(fake_bot_api, tmp_path, database_url) as (assembly, _):
        await onboard_pupil(fake_bot_api, PUPIL)
        update_ids: list[int] = []
        with database_failing(assembly.database, after_statements=3) as refused:
            (sorry,) = await replies(
                fake_bot_api,
                PUPIL,
                lambda: update_ids.append(fake_bot_api.user_sends(PUPIL, FAQ_QUESTION)),
            )
        async with assembly.database.connect() as connection:
            claimed = await connection.scalar(
                select(ProcessedUpdate.update_id).where(ProcessedUpdate.update_id == update_ids[0])
            )
        fake_bot_api.redeliver(update_ids[0])  # Telegram's at-least-once, or the pupil again
        await fake_bot_api.wait_for("sendMessage", lambda r: r.chat_id == PUPIL and
                                    "caricatore" in (r.text or ""))

    assert sorry.text == said("common.database_down")
    assert refused  # the failure did hit the update
    assert claimed is None  # its claim was rolled back with the rest: the retry is handled
