"""The message files: both languages complete and consistent, parameters escaped."""

from __future__ import annotations

import pytest

from bot.texts import Html, Texts, placeholders

TEXTS = Texts.load()


def test_italian_and_english_are_shipped():
    assert set(TEXTS.languages) == {"it", "en"}


@pytest.mark.parametrize("lang", ["en"])
def test_every_key_exists_in_both_languages(lang: str):
    assert set(TEXTS.templates[lang]) == set(TEXTS.templates["it"])


@pytest.mark.parametrize("key", sorted(TEXTS.templates["it"]))
def test_translations_use_the_same_placeholders(key: str):
    assert placeholders(TEXTS.templates["en"][key]) == placeholders(TEXTS.templates["it"][key])


@pytest.mark.parametrize("key", sorted(TEXTS.phrase_lists["it"]))
def test_phrase_lists_exist_in_both_languages(key: str):
    assert TEXTS.phrase_lists["it"][key] and TEXTS.phrase_lists["en"][key]


def test_user_text_is_escaped_but_html_parameters_are_not():
    text = TEXTS.get("it", "volunteer.mine", lines=Html("<b>T-0001</b>"))
    assert "<b>T-0001</b>" in text
    escaped = TEXTS.get("it", "volunteer.from_user", number="T-1", pseudonym="<a href='x'>")
    assert "&lt;a href='x'&gt;" in escaped


def test_a_language_without_the_file_falls_back_to_italian():
    assert TEXTS.get("fr", "question.solved_button") == TEXTS.get("it", "question.solved_button")


def test_the_escalation_layers_keys_have_texts():
    """Notices and errors of escalation.service are shown by key: every one must exist."""
    for key in ("ticket.opened", "ticket.waiting_until", "ticket.assigned", "ticket.released",
                "ticket.resolved", "ticket.closed_by_coordinator", "coordinators.unanswered",
                "coordinators.safeguarding_in_ticket", "ticket.expired", "coordinators.expired",
                "volunteer.ping_ticket_expired", "ticket.not_yours", "ticket.not_resolved",
                "ticket.unknown", "volunteer.unknown", "rating.invalid",
                "volunteer.reply_reminder", "volunteer.handed_on", "coordinators.urgent_no_reply",
                "coordinators.handed_on", "volunteer.reply_reminder_later",
                "coordinators.urgent_no_reply_later", "coordinators.handed_on_later"):
        assert key in TEXTS.templates["it"], key


def test_every_menu_command_is_one_the_engine_knows():
    from bot.engine.core import USER_COMMANDS
    from bot.telegram.menu import load_menus

    menus = load_menus()
    assert list(menus) == ["it", "en"]
    for menu in menus.values():
        for command in menu:
            assert command.command in USER_COMMANDS and 3 <= len(command.description) <= 256
