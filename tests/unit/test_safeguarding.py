"""Safeguarding: the shipped phrases against real messages, then the matching rules one by one
with a plain word splitter, then what a coordinator sees when a data file is wrong."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
import yaml

from bot.safeguarding import (
    HELPLINES,
    SAFETY_DATA,
    SafeguardingDetector,
    SafetyDataError,
    Trigger,
    keep_small_words_tokenizer,
    load_helplines,
)

CASES = yaml.safe_load((Path(__file__).parent / "test_safeguarding_cases.yaml").read_text())


@pytest.fixture(scope="module")
def shipped() -> SafeguardingDetector:
    return SafeguardingDetector.load(SAFETY_DATA, keep_small_words_tokenizer())


@pytest.mark.parametrize("case", CASES["must_trigger"], ids=lambda c: c["text"])
def test_a_child_at_risk_is_recognised(shipped: SafeguardingDetector, case: dict) -> None:
    found = shipped.check(case["text"], case["lang"])
    assert found is not None
    assert found.category == case["category"]


@pytest.mark.parametrize("case", CASES["must_not_trigger"], ids=lambda c: c["text"])
def test_a_device_question_is_left_to_the_faq(shipped: SafeguardingDetector, case: dict) -> None:
    assert shipped.check(case["text"], case["lang"]) is None


def test_the_case_file_covers_both_languages_generously() -> None:
    for key in ("must_trigger", "must_not_trigger"):
        for lang in ("it", "en"):
            assert sum(c["lang"] == lang for c in CASES[key]) >= 15, (key, lang)


def test_the_shipped_data_has_no_warnings(shipped: SafeguardingDetector) -> None:
    assert shipped.languages == ("en", "it")
    assert shipped.warnings == ()


# --------------------------------------------------------------------- the matching rules


def split(text: str, lang: str) -> list[str]:
    return text.lower().split()


def detector(tmp_path: Path, files: dict[str, str]) -> SafeguardingDetector:
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return SafeguardingDetector.load(tmp_path, split)


RULES = """
categories:
  fear:
    triggers: [ho paura]
    exceptions: [ho paura di cancellare]
  bullying:
    triggers: [mi prendono in giro, prendono]
  threats:
    triggers: [minaccia]
not_typos: [minuscia]
"""


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("mi prendono in giro", "mi prendono in giro"),
        ("mi prendono sempre tutti in giro", "mi prendono in giro"),  # two words between
        ("in giro mi prendono", "prendono"),  # out of order: only the shorter phrase
        ("ho molta molta molta paura", None),  # three words between
        ("mi minacia", "minaccia"),  # one letter missing in a long word
        ("mi minuccia", "minaccia"),  # one letter wrong
        ("mi minuscia", None),  # listed under not_typos
        ("ho pura", "ho paura"),  # five letters are enough for a typo
        ("mo prendono in giro", "prendono"),  # shorter words must be exact
        ("ho paura di cancellare", None),  # the exception covers the trigger
        ("ho paura di non cancellare", None),  # exceptions allow gaps too
        ("ho paura di cancellare e ho paura", "ho paura"),  # a second, uncovered trigger
        ("ho paura di cancellare, mi minaccia", "minaccia"),  # other categories unaffected
    ],
)
def test_matching_rules(tmp_path: Path, text: str, found: str | None) -> None:
    result = detector(tmp_path, {"it.yaml": RULES}).check(text, "it")
    assert (result.phrase if result else None) == found


def test_the_longest_phrase_wins_across_categories(tmp_path: Path) -> None:
    found = detector(tmp_path, {"it.yaml": RULES}).check("mi prendono in giro", "it")
    assert found == Trigger("bullying", "mi prendono in giro", "it")


def test_every_language_is_checked_the_users_first(tmp_path: Path) -> None:
    seen: list[str] = []

    def recording_split(text: str, lang: str) -> Sequence[str]:
        seen.append(lang)
        return split(text, lang)

    en = "categories:\n  fear:\n    triggers: [scared]\n"
    it = "categories:\n  fear:\n    triggers: [paura]\n"
    for name, text in {"en.yaml": en, "it.yaml": it}.items():
        (tmp_path / name).write_text(text)
    loaded = SafeguardingDetector.load(tmp_path, recording_split)
    seen.clear()
    assert loaded.check("paura", "en") == Trigger("fear", "paura", "it")
    assert seen == ["en", "it"]
    seen.clear()
    assert loaded.check("scared", "it") == Trigger("fear", "scared", "en")
    assert seen == ["it", "en"]
    assert loaded.check("nothing here", None) is None


def test_the_default_tokenizer_expands_chat_abbreviations_and_keeps_small_words() -> None:
    tokenize = keep_small_words_tokenizer()
    assert tokenize("nn voglio", "it")[0] == "non"
    assert tokenize("voglio morire", "it") != tokenize("morire", "it")
    assert "myself" in tokenize("kill myself", "en")


# --------------------------------------------------------------------- bad data files


def load_error(tmp_path: Path, text: str) -> str:
    with pytest.raises(SafetyDataError) as raised:
        detector(tmp_path, {"it.yaml": text})
    return str(raised.value)


def test_broken_yaml_names_file_and_line(tmp_path: Path) -> None:
    message = load_error(tmp_path, "categories:\n  fear:\n    triggers: [ho paura\n")
    assert f"{tmp_path / 'it.yaml'}:3:" in message
    assert "never closed" in message


def test_every_problem_is_listed_with_its_line(tmp_path: Path) -> None:
    text = (
        "categories:\n"  # 1
        "  fear:\n"  # 2
        "    trigers: [ho paura]\n"  # 3
        "  bullying:\n"  # 4
        "    triggers:\n"  # 5
        "      - bulli\n"  # 6
        "      - 42\n"  # 7
        "      - '   '\n"  # 8
        "    exceptions:\n"  # 9
        "      - il tablet\n"  # 10
        "colour: red\n"  # 11
    )
    lines = load_error(tmp_path, text).splitlines()
    file = tmp_path / "it.yaml"
    assert lines == [
        f"{file}:2: category 'fear' has no triggers",
        f"{file}:3: unknown field 'trigers' in category 'fear' (did you mean 'triggers'?)",
        f"{file}:7: a phrase must be text, but it is the number 42",
        f"{file}:8: a phrase must be text, but it is the text '   '",
        f"{file}:10: exception 'il tablet' contains no trigger of 'bullying', so it changes "
        "nothing: it must include the trigger's words",
        f"{file}:11: unknown field 'colour' at the top of the file",
    ]


def test_a_phrase_with_no_words_left_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "it.yaml").write_text("categories:\n  fear:\n    triggers: ['!!!']\n")
    with pytest.raises(SafetyDataError, match=r"it.yaml:3: '!!!' has no words left to match"):
        SafeguardingDetector.load(tmp_path, keep_small_words_tokenizer())


def test_a_file_without_categories_and_an_empty_directory_are_errors(tmp_path: Path) -> None:
    assert "must start with 'categories:'" in load_error(tmp_path, "- ho paura\n")
    with pytest.raises(SafetyDataError, match=r"no <language>\.yaml trigger file"):
        SafeguardingDetector.load(tmp_path / "missing", split)


def test_two_phrases_that_match_the_same_are_a_warning(tmp_path: Path) -> None:
    loaded = detector(tmp_path, {"it.yaml": "categories:\n  f:\n    triggers: [Paura, paura]\n"})
    [warning] = loaded.warnings
    assert str(warning) == f"{tmp_path / 'it.yaml'}:3: 'paura' matches the same as 'Paura'"


# --------------------------------------------------------------------- helplines


def test_the_shipped_helplines_have_both_languages() -> None:
    helplines = load_helplines(HELPLINES)
    assert [(h.name, h.number) for h in helplines] == [
        ("Telefono Azzurro", "19696"),
        ("Emergenza", "112"),
    ]
    for helpline in helplines:
        assert helpline.number in helpline.label("it")
        assert helpline.label("en") != helpline.label("it")
        assert helpline.label("fr") == helpline.label("it")


def test_a_bad_helpline_file_lists_every_problem(tmp_path: Path) -> None:
    file = tmp_path / "helplines.yaml"
    file.write_text(
        "helplines:\n"
        "  - name: Telefono Azzurro\n"  # 2
        "    number: 19696\n"  # 3
        "    label: {it: chiama}\n"
        "  - name: Emergenza\n"  # 5
        "    numbr: '112'\n"  # 6
        "    label: {}\n"  # 7
    )
    with pytest.raises(SafetyDataError) as raised:
        load_helplines(file)
    assert str(raised.value).splitlines() == [
        f"{file}:3: 'number' must be text in quotes, e.g. \"19696\"",
        f"{file}:5: 'number' must be text in quotes, e.g. \"19696\"",
        f"{file}:6: unknown field 'numbr' (did you mean 'number'?)",
        f"{file}:7: 'label' needs a text per language, e.g. 'it: ...'",
    ]
