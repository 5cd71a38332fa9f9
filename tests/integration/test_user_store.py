"""The bot's users: created once per chat, their engine state kept across restarts."""

from __future__ import annotations

import pytest

from escalation.api import EscalationError, Role
from escalation.users import SqlUserStore
from tests.conftest import Desk


async def test_a_chat_gets_one_user_with_a_pseudonym(desk: Desk):
    first = await desk.users.get_or_create_user(12345, "it")
    again = await desk.users.get_or_create_user(12345, "en")

    assert again.id == first.id
    assert again.language == "it"  # the stored choice wins over the Telegram hint
    assert first.pseudonym.startswith("utente-")
    assert str(12345) not in first.pseudonym


async def test_state_and_context_survive_a_new_store(desk: Desk):
    user = await desk.users.get_or_create_user(7, "it")
    await desk.users.update_user(
        user.id, role=Role.TEACHER, school="IC Rinnovata Pizzigoni", state="asking",
        context={"suggested": ["wifi-01", "tablet-03"]},
    )  # fmt: skip

    reloaded = await SqlUserStore(desk.sessions, clock=desk.clock).get_or_create_user(7, "it")

    assert (reloaded.role, reloaded.school, reloaded.state) == (
        Role.TEACHER,
        "IC Rinnovata Pizzigoni",
        "asking",
    )
    assert reloaded.context == {"suggested": ["wifi-01", "tablet-03"]}


async def test_update_user_refuses_unknown_fields_and_users(desk: Desk):
    user = await desk.users.get_or_create_user(8, "it")

    with pytest.raises(TypeError, match="chat_id"):
        await desk.users.update_user(user.id, chat_id=9)
    with pytest.raises(EscalationError) as unknown:
        await desk.users.update_user(user.id + 100, blocked=True)
    assert unknown.value.key == "user.unknown"


async def test_save_user_gives_the_view_a_reload_gives(desk: Desk):
    user = await desk.users.get_or_create_user(11, "it")
    async with desk.users.transaction():
        saved = await desk.users.save_user(
            user, role="teacher", state="asking", context={"tried": ("wifi-01",), 3: None}
        )
        saved = await desk.users.save_user(saved, language="en")
    reloaded = await desk.users.get_or_create_user(11, "it")

    assert saved == reloaded
    assert (saved.role, saved.language, saved.context) == (
        Role.TEACHER, "en", {"tried": ["wifi-01"], "3": None}
    )  # fmt: skip


async def test_save_user_refuses_unknown_fields_and_a_forgotten_user(desk: Desk):
    user = await desk.users.get_or_create_user(12, "it")
    with pytest.raises(TypeError, match="chat_id"):
        await desk.users.save_user(user, chat_id=9)
    await desk.users.forget_user(user.id)
    with pytest.raises(EscalationError) as unknown:
        await desk.users.save_user(user, state="asking")
    assert unknown.value.key == "user.unknown"


async def test_a_user_is_found_by_the_pseudonym_volunteers_see(desk: Desk):
    user = await desk.users.get_or_create_user(9, "it")
    other = await desk.users.get_or_create_user(10, "it")

    assert await desk.users.user_by_pseudonym(user.pseudonym) == user
    assert await desk.users.user_by_pseudonym(f" {other.pseudonym.upper()} ") == other
    assert await desk.users.user_by_pseudonym("utente-000000x") is None


async def test_a_taken_pseudonym_is_drawn_again_within_the_updates_transaction(desk: Desk):
    drawn = iter(["utente-aaaaaaaa", "utente-aaaaaaaa", "utente-aaaaaaaa", "utente-bbbbbbbb"])
    store = SqlUserStore(desk.sessions, clock=desk.clock, pseudonyms=lambda: next(drawn))

    async with store.transaction():  # as the engine runs an update: a clash must not abort it
        first = await store.get_or_create_user(501, "it")
        second = await store.get_or_create_user(502, "it")
        await store.log_question(second.id, "ciao", "answer", None)

    assert (first.pseudonym, second.pseudonym) == ("utente-aaaaaaaa", "utente-bbbbbbbb")
    assert (await store.user_by_pseudonym("utente-bbbbbbbb")).id == second.id  # type: ignore[union-attr]


async def test_pseudonyms_that_keep_clashing_fail_loudly(desk: Desk):
    store = SqlUserStore(desk.sessions, clock=desk.clock, pseudonyms=lambda: "utente-aaaaaaaa")
    await store.get_or_create_user(501, "it")

    with pytest.raises(RuntimeError, match="no free pseudonym"):
        await store.get_or_create_user(502, "it")
