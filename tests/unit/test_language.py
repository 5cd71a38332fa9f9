"""Which language a message is clearly written in (bot.engine.language.written_in)."""

from __future__ import annotations

import pytest

from bot.engine.language import written_in

LANGUAGES = ("it", "en")


@pytest.mark.parametrize(
    ("text", "clearly"),
    [
        ("someone is bullying me in the class chat", "en"),
        ("my tablet wont turn on", "en"),
        ("i want to kill myself", "en"),
        ("il tablet nn si accende", "it"),
        ("la prof mi ha detto di scriverti", "it"),
    ],
)
def test_a_clear_message_sets_the_language_whatever_the_users(text: str, clearly: str):
    assert written_in(LANGUAGES, "it", text) == clearly
    assert written_in(LANGUAGES, "en", text) == clearly


@pytest.mark.parametrize(
    "text",
    ["hello", "ok", "wifi", "password wifi", "in classe a scuola", "no", "my mom hits me"],
)
def test_a_message_without_two_telling_words_keeps_the_users_language(text: str):
    assert written_in(LANGUAGES, "it", text) == "it"
    assert written_in(LANGUAGES, "en", text) == "en"


def test_a_mixed_message_keeps_the_users_language_if_it_has_any_of_its_words():
    assert written_in(LANGUAGES, "it", "the wifi in classe non va") == "it"
    assert written_in(LANGUAGES, "en", "the wifi in classe non va") == "en"


def test_a_safeguarding_phrase_of_a_language_counts_as_one_telling_word():
    assert written_in(LANGUAGES, "it", "my mom hits me", hint="en") == "en"
    assert written_in(LANGUAGES, "it", "mi hanno mandato una foto nude", hint="en") == "it"
    assert written_in(LANGUAGES, "it", "nudes", hint="en") == "it"  # one is not enough
