"""ChatOrderedProcessor on its own: order within a chat, and no chat remembered once idle."""

from __future__ import annotations

import asyncio

from telegram import Chat, Message, Update

from bot.telegram.chat_order import ChatOrderedProcessor


def _update(update_id: int, chat_id: int) -> Update:
    chat = Chat(chat_id, Chat.PRIVATE)
    return Update(update_id, message=Message(update_id, None, chat, text="x"))  # type: ignore[arg-type]


async def test_a_chat_s_updates_run_one_after_another_and_leave_nothing_behind() -> None:
    processor = ChatOrderedProcessor(max_concurrent_updates=8)
    log: list[str] = []

    async def handle(name: str, pause: float) -> None:
        log.append(f"start {name}")
        await asyncio.sleep(pause)
        log.append(f"end {name}")

    await asyncio.gather(
        processor.process_update(_update(1, 7), handle("a1", 0.05)),
        processor.process_update(_update(2, 7), handle("a2", 0)),
        processor.process_update(_update(3, 8), handle("b1", 0)),
        processor.process_update(object(), handle("no chat", 0)),
    )

    assert log.index("end a1") < log.index("start a2")  # in order within chat 7
    assert log.index("end b1") < log.index("end a1")  # chat 8 did not wait for chat 7
    assert processor._chats == {}  # a bot that ran for months keeps no lock per chat it saw
