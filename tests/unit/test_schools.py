"""Finding a school by what a child types: misspelt, shortened or wrapped in other words."""

from __future__ import annotations

import pytest

from bot.engine.schools import MAX_BUTTONS, find, longest_name

SCHOOLS = (
    "IC Via Console Marcello",
    "IC Giacosa",
    "IC Marcello Candia",
    "IC Via Moisè Loria",
    "Scuola primaria Via Dolci",
)
IGNORED = frozenset({"ic", "via", "scuola", "primaria", "la", "di", "mia"})


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("giacossa", ["IC Giacosa"]),  # one letter too many
        ("GIACOSA", ["IC Giacosa"]),
        ("cons", ["IC Via Console Marcello"]),  # the start of a word
        ("consolle", ["IC Via Console Marcello"]),
        ("la scuola di via console marcello", ["IC Via Console Marcello"]),
        ("marcello", ["IC Via Console Marcello", "IC Marcello Candia"]),  # both, in file order
        ("moise", ["IC Via Moisè Loria"]),  # accents do not matter
        ("via dolci", ["Scuola primaria Via Dolci"]),  # a street name
        ("manzoni", []),
        ("via", []),  # only words that name no school
        ("co", []),  # too short to be a start
        ("il tablet della giacosa", []),  # every word must be like a word of the name
    ],
)
def test_find(typed: str, expected: list[str]):
    assert [SCHOOLS[i] for i in find(SCHOOLS, typed, IGNORED)] == expected


def test_an_exact_name_comes_without_its_look_alikes():
    schools = ("IC Via Cesari", "IC Via Cesare Battisti")
    assert [schools[i] for i in find(schools, "cesari", IGNORED)] == ["IC Via Cesari"]


def test_at_most_max_buttons():
    schools = tuple(f"IC Rossi {n}" for n in range(MAX_BUTTONS + 3))
    assert len(find(schools, "rossi", IGNORED)) == MAX_BUTTONS


def test_longest_name_counts_the_words_that_name_a_school():
    assert longest_name(SCHOOLS, IGNORED) == 2  # "console marcello", "moise loria"
