"""Chats remembered as no volunteer's (escalation.service): a link, a rota sync or time undo it."""

from __future__ import annotations

from tests.conftest import Desk, volunteer_chat

NEWCOMER = 4242


async def test_a_chat_seen_as_a_pupils_is_recognised_once_it_links(desk: Desk):
    assert await desk.service.volunteer_by_chat(NEWCOMER) is None
    assert await desk.service.volunteer_by_chat(NEWCOMER) is None  # remembered
    code = desk.rota.rota.volunteers[0].code
    assert (await desk.service.link_volunteer(code, NEWCOMER)).code == code
    assert (await desk.service.volunteer_by_chat(NEWCOMER)).code == code
    assert await desk.service.volunteer_by_chat(volunteer_chat(1)) is None  # moved to NEWCOMER


async def test_a_volunteer_back_on_the_rota_is_recognised_again(desk: Desk):
    everyone = desk.rota.rota.volunteers
    desk.rota.edit(volunteers=everyone[1:])
    await desk.service.sync_rota()
    assert await desk.service.volunteer_by_chat(volunteer_chat(1)) is None
    desk.rota.edit(volunteers=everyone)
    await desk.service.sync_rota()
    assert (await desk.service.volunteer_by_chat(volunteer_chat(1))).code == everyone[0].code


async def test_a_link_made_by_another_process_is_seen_within_minutes(desk: Desk):
    assert await desk.service.volunteer_by_chat(NEWCOMER) is None
    other = desk.another("worker-2")
    code = desk.rota.rota.volunteers[1].code
    await other.link_volunteer(code, NEWCOMER)
    desk.clock.advance(minutes=5)
    assert (await desk.service.volunteer_by_chat(NEWCOMER)).code == code


async def test_a_link_counts_as_a_change_so_a_lookup_racing_it_is_not_remembered(desk: Desk):
    service = desk.service
    code = desk.rota.rota.volunteers[2].code

    async with service._transactions.unit_of_work():  # the link and the lookup interleave
        assert await service.volunteer_by_chat(NEWCOMER) is None
        service._not_volunteers.clear()
        changed = service._volunteers_changed
        await service.link_volunteer(code, NEWCOMER)
        assert service._volunteers_changed > changed
    assert (await service.volunteer_by_chat(NEWCOMER)).code == code
