"""Finding a school by what a child types: misspelt, shortened, wrapped in other words or by
another name the school is known by; reading the list, with its other names, from YAML."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from bot.engine.schools import (
    MAX_BUTTONS,
    Schools,
    SchoolsLoadError,
    find,
    from_token,
    load_schools,
    longest_name,
    token,
)

SCHOOLS = Schools(
    (
        "IC Via Console Marcello",
        "IC Giacosa",
        "IC Marcello Candia",
        "IC Via Moisè Loria",
        "Scuola primaria Via Dolci",
    )
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
    schools = Schools(("IC Via Cesari", "IC Via Cesare Battisti"))
    assert [schools[i] for i in find(schools, "cesari", IGNORED)] == ["IC Via Cesari"]


def test_at_most_max_buttons():
    schools = Schools(tuple(f"IC Rossi {n}" for n in range(MAX_BUTTONS + 3)))
    assert len(find(schools, "rossi", IGNORED)) == MAX_BUTTONS


def test_longest_name_counts_the_words_that_name_a_school():
    assert longest_name(SCHOOLS, IGNORED) == 2  # "console marcello", "moise loria"


# --- other names ---

ALSO = Schools(
    ("IC Giacosa", "IC Rinnovata Pizzigoni", "IC Via Russo"),
    {"IC Rinnovata Pizzigoni": ("Castellino",), "IC Via Russo": ("Scuola Rossi", "Via Tigli")},
)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("castellino", ["IC Rinnovata Pizzigoni"]),  # another name, exactly
        ("castelino", ["IC Rinnovata Pizzigoni"]),  # with a typo, as for the official name
        ("la scuola di via tigli", ["IC Via Russo"]),  # wrapped in words that name no school
        ("rossi", ["IC Via Russo"]),
        ("russo", ["IC Via Russo"]),  # the official name still finds it
        ("pizzigoni tigli", []),  # every word must be like a word of one name
    ],
)
def test_another_name_finds_its_school(typed: str, expected: list[str]):
    assert [ALSO[i] for i in find(ALSO, typed, IGNORED)] == expected


def test_other_names_leave_the_official_names_and_their_order():
    assert list(ALSO) == ["IC Giacosa", "IC Rinnovata Pizzigoni", "IC Via Russo"]
    assert from_token(ALSO, token(ALSO, 2)) == "IC Via Russo"


def test_the_longest_name_may_be_another_name():
    assert longest_name(ALSO, IGNORED) == 2  # "scuola rossi" is one word, "via tigli" one too
    longer = Schools(("IC Giacosa",), {"IC Giacosa": ("Plesso Anna Maria Mozzoni",)})
    assert longest_name(longer, IGNORED) == 4


# --- the file ---


def write(tmp_path: Path, yaml_text: str) -> Path:
    path = tmp_path / "schools.yaml"
    path.write_text(textwrap.dedent(yaml_text), encoding="utf-8")
    return path


def test_plain_names_and_names_with_other_names_load_in_file_order(tmp_path: Path):
    path = write(
        tmp_path,
        """\
        schools:
          - IC Giacosa
          - name: IC Rinnovata Pizzigoni
            also: [Castellino, La Rinnovatissima]
          - name: IC Via Russo
          - IC Cadorna
        """,
    )
    schools = load_schools(path)
    assert list(schools) == ["IC Giacosa", "IC Rinnovata Pizzigoni", "IC Via Russo", "IC Cadorna"]
    assert schools.called(1) == ("IC Rinnovata Pizzigoni", "Castellino", "La Rinnovatissima")
    assert schools.called(2) == ("IC Via Russo",)


def test_the_shipped_list_loads():
    schools = load_schools()
    assert "IC Rinnovata Pizzigoni" in schools
    assert len(schools) == len(set(schools))


@pytest.mark.parametrize(
    ("yaml_text", "expected"),
    [
        (
            """\
            schools:
              - IC Giacosa
              - also: [Castellino]
            """,
            ":3: a school written as 'name:' and 'also:' lines is missing 'name' "
            "(its official name, shown on the button)",
        ),
        (
            """\
            schools:
              - name: IC Rinnovata Pizzigoni
                also: Castellino
            """,
            ":3: 'also' must be a list of names, e.g. also: [Scuola Rossi, Via dei Tigli], "
            "not the text 'Castellino'",
        ),
        (
            """\
            schools:
              - name: IC Rinnovata Pizzigoni
                also:
                  - Castellino
                  - 12
            """,
            ":5: a name in 'also' must be a name (text), not the number 12",
        ),
        (
            """\
            schools:
              - name: IC Rinnovata Pizzigoni
                also: [Castellino, [La Rinnovata]]
            """,
            ":3: a name in 'also' must be a name (text), not a list",
        ),
        (
            """\
            schools:
              - IC Giacosa
              - name: IC Rinnovata Pizzigoni
                also: [ic giacosa]
            """,
            ":4: 'ic giacosa' already names the school 'IC Giacosa' (line 2): "
            "a name may find one school only",
        ),
        (
            """\
            schools:
              - name: IC Rinnovata Pizzigoni
                also: [Castellino]
              - name: IC Via Russo
                also: [Castellìno]
            """,
            ":5: 'Castellìno' already names the school 'IC Rinnovata Pizzigoni' (line 3): "
            "a name may find one school only",
        ),
        (
            """\
            schools:
              - IC Giacosa
              - IC Giacosa
            """,
            ":3: 'IC Giacosa' already names the school 'IC Giacosa' (line 2): "
            "a name may find one school only",
        ),
        (
            """\
            schools:
              - name: IC Rinnovata Pizzigoni
                alias: [Castellino]
            """,
            ":3: unknown field 'alias' in a school (did you mean 'also'?): "
            "a school has 'name' and 'also'",
        ),
        (
            """\
            schools:
              - name: yes
            """,
            ":2: 'name' must be a name (text), not true/false (YAML reads yes/no/on/off so; "
            "put text in quotes)",
        ),
        (
            """\
            schools:
              - IC Giacosa
              -
            """,
            ":3: a school must be a name (text), not empty",
        ),
        (
            """\
            school:
              - IC Giacosa
            """,
            ":1: unknown field 'school' (did you mean 'schools'?): the file has only 'schools'",
        ),
        (
            """\
            schools: IC Giacosa
            """,
            ":1: the file needs 'schools:' followed by one '- ' line per school",
        ),
        (
            """\
            schools:
              - "IC Giacosa
            """,
            ":2: a quote opened on this line is never closed",
        ),
    ],
)
def test_a_malformed_file_fails_naming_file_line_and_field(
    tmp_path: Path, yaml_text: str, expected: str
):
    path = write(tmp_path, yaml_text)
    with pytest.raises(SchoolsLoadError) as raised:
        load_schools(path)
    assert str(raised.value) == f"{path}{expected}"


def test_every_problem_is_reported_at_once(tmp_path: Path):
    path = write(
        tmp_path,
        """\
        schools:
          - also: [Castellino]
          - name: IC Via Russo
            also: Rossi
        """,
    )
    with pytest.raises(SchoolsLoadError) as raised:
        load_schools(path)
    assert [p.line for p in raised.value.problems] == [2, 4]


def test_a_missing_file_fails_naming_it(tmp_path: Path):
    path = tmp_path / "schools.yaml"
    with pytest.raises(SchoolsLoadError) as raised:
        load_schools(path)
    assert str(raised.value) == f"{path}: cannot read the file: No such file or directory"


def test_an_empty_file_has_no_schools(tmp_path: Path):
    assert list(load_schools(write(tmp_path, "# nothing yet\n"))) == []
