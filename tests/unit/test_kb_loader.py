"""load_kb: every mistake a maintainer can make, reported with file, line and field."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from knowledge_base.loader import load_kb
from knowledge_base.model import KBLoadError, KnowledgeBase
from tests.unit.kb_files import EVAL_KB, write_kb_file

GOOD_ENTRY = """\
- id: tablet-no-power
  questions:
    it: [il tablet non si accende, schermo nero]
    en: [my tablet does not turn on, black screen]
  answer:
    it: Collega il caricatore.
    en: Plug in the charger.
  title: {it: Il tablet non si accende, en: The tablet won't turn on}
"""


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Paths in messages are shown relative to the current directory: kb/a.yaml."""
    monkeypatch.chdir(tmp_path)


def errors_of(text: str, name: str = "a.yaml") -> list[str]:
    write_kb_file(name, text)
    with pytest.raises(KBLoadError) as caught:
        load_kb(Path("kb"))
    return [str(problem) for problem in caught.value.errors]


def warnings_of(*files: tuple[str, str]) -> list[str]:
    for name, text in files:
        write_kb_file(name, text)
    return [str(problem) for problem in load_kb(Path("kb")).warnings]


def entry(**fields: str) -> str:
    """A one-entry file: the good entry with some fields replaced (a value of '' drops it);
    its title comes last, so that it moves no other field's line."""
    lines = {
        "id": "id: tablet-no-power",
        "questions": "questions:\n    it: [il tablet non si accende, schermo nero]"
        "\n    en: [my tablet does not turn on, black screen]",
        "answer": "answer:\n    it: Collega il caricatore.\n    en: Plug in the charger.",
    }
    lines.update(fields)
    lines.setdefault("title", "title: {it: Il tablet, en: The tablet}")
    return "- " + "\n  ".join(text for text in lines.values() if text) + "\n"


# --- a good KB -------------------------------------------------------------------------


def test_the_development_kb_loads_without_problems():
    kb = load_kb(EVAL_KB)
    assert len(kb.entries) == 41
    assert kb.warnings == ()
    assert len(kb.synonyms["it"]) == 20
    assert ("wifi", "wi-fi", "wireless", "wlan") in kb.synonyms["en"]


def test_an_entry_file_with_category_and_every_optional_field():
    write_kb_file(
        "tablet.yaml",
        """\
        category: tablet
        entries:
          - id: tablet-screen-broken
            title: {it: Schermo rotto, en: Broken screen}
            questions:
              it: [lo schermo è rotto, vetro crepato]
              en: [the screen is broken, cracked glass]
            answer:
              it: |
                1. Non usarlo.
              en: |
                1. Do not use it.
            keywords: [schermo, screen]
            audience: [pupil, teacher]
            escalate: true
          - id: tablet-slow
            category: performance
            questions: {it: [il tablet è lento, va piano], en: [tablet is slow, it lags]}
            answer: {it: Riavvialo., en: Restart it.}
        """,
    )
    kb = load_kb(Path("kb"))
    broken, slow = kb.entries
    assert broken.category == "tablet"
    assert broken.title["en"] == "Broken screen"
    assert broken.questions["it"] == ("lo schermo è rotto", "vetro crepato")
    assert broken.answer["it"] == "1. Non usarlo."
    assert broken.keywords == ("schermo", "screen")
    assert broken.audience == frozenset({"pupil", "teacher"})
    assert broken.escalate is True
    assert (broken.source, broken.line) == (Path("kb/tablet.yaml"), 3)
    assert (slow.category, slow.escalate, slow.audience) == ("performance", False, frozenset())
    assert kb.files == (Path("kb/tablet.yaml"),)


def test_not_questions_are_kept_per_language_and_default_to_none():
    text = entry(not_questions="not_questions:\n    it: [il tablet non si spegne, '  è acceso ']")
    slow = entry(id="id: tablet-slow",
                 questions="questions:\n    it: [è lento, va piano]\n    en: [slow, it lags]")
    write_kb_file("a.yaml", text + slow)
    kb = load_kb(Path("kb"))
    assert kb.warnings == ()
    with_them, without = kb.entries
    assert dict(with_them.not_questions) == {"it": ("il tablet non si spegne", "è acceso")}
    assert without.not_questions == {}
    with pytest.raises(TypeError):
        with_them.not_questions["en"] = ("off",)  # type: ignore[index]


def test_a_bare_list_of_entries_is_an_entry_file():
    write_kb_file("a.yaml", GOOD_ENTRY)
    kb = load_kb(Path("kb"))
    assert [e.id for e in kb.entries] == ["tablet-no-power"]
    assert kb.entries[0].category is None


def test_files_are_read_recursively_in_sorted_order():
    write_kb_file("z.yml", entry(id="id: z-entry"))
    write_kb_file("b/deeper/a.yaml", entry(id="id: b-entry"))
    write_kb_file("a.yaml", entry(id="id: a-entry"))
    write_kb_file("notes.txt", "not a KB file")
    kb = load_kb(Path("kb"))
    assert [e.id for e in kb.entries] == ["a-entry", "b-entry", "z-entry"]
    assert kb.files == (Path("kb/a.yaml"), Path("kb/b/deeper/a.yaml"), Path("kb/z.yml"))


def test_synonyms_come_from_the_settings_file_even_in_a_subdirectory():
    write_kb_file("a.yaml", GOOD_ENTRY)
    write_kb_file(
        "settings/_synonyms.yaml", "it:\n  - [wifi, wi-fi, rete]\nen:\n  - [laptop, pc]\n"
    )
    kb = load_kb(Path("kb"))
    assert dict(kb.synonyms) == {"it": (("wifi", "wi-fi", "rete"),), "en": (("laptop", "pc"),)}
    assert len(kb.entries) == 1


def test_the_loaded_kb_cannot_be_changed():
    write_kb_file("a.yaml", GOOD_ENTRY)
    kb = load_kb(Path("kb"))
    assert isinstance(kb.entries, tuple)
    with pytest.raises(TypeError):
        kb.entries[0].questions["fr"] = ("bonjour",)  # type: ignore[index]
    with pytest.raises(TypeError):
        kb.synonyms["it"] = ()  # type: ignore[index]


def test_absolute_paths_inside_the_current_directory_are_shown_relative(tmp_path: Path):
    write_kb_file("a.yaml", entry(answer="answer: {it: Collega il caricatore.}"))
    with pytest.raises(KBLoadError) as caught:
        load_kb(tmp_path / "kb")
    assert str(caught.value.errors[0]).startswith("kb/a.yaml:5: ")


# --- errors ----------------------------------------------------------------------------


def test_invalid_yaml_names_the_line_and_says_what_is_wrong_in_plain_words():
    assert errors_of("- id: a\n  answer: it: text\n") == [
        "kb/a.yaml:2: invalid YAML: a ':' where none is expected: put text that contains "
        "': ' in quotes, or check the line above for a missing ':'"
    ]


def test_an_unclosed_quote_is_reported_where_it_was_opened():
    assert errors_of("- id: a\n  title: {it: 'Il tablet}\n  questions: x\n") == [
        "kb/a.yaml:2: invalid YAML: a quote opened on this line is never closed"
    ]


def test_a_tab_in_the_indentation_is_named():
    assert errors_of("- id: a\n\tquestions: x\n") == [
        "kb/a.yaml:2: invalid YAML: a tab character: indent with spaces only"
    ]


def test_a_key_written_twice_in_one_entry_is_an_error():
    assert errors_of(GOOD_ENTRY + "  answer: {it: x}\n") == [
        "kb/a.yaml:9: invalid YAML: 'answer' appears twice here (first on line 5)"
    ]


def test_a_broken_file_does_not_stop_the_others_from_being_checked():
    write_kb_file("a.yaml", "- id: [a, b\n  questions: x\n")
    write_kb_file("b.yaml", entry(answer="answer: {it: Collega il caricatore.}"))
    write_kb_file("c.yaml", entry(id="id: other-entry"))
    with pytest.raises(KBLoadError) as caught:
        load_kb(Path("kb"))
    assert [str(p) for p in caught.value.errors] == [
        "kb/a.yaml:1: invalid YAML: a '[' list opened on this line is never closed with ']'",
        "kb/b.yaml:5: entry 'tablet-no-power': 'answer' has no 'en' text, but 'questions' has 'en'",
    ]


def test_a_duplicate_id_names_both_places():
    write_kb_file("a.yaml", GOOD_ENTRY)
    assert errors_of("# the same entry again\n" + GOOD_ENTRY, name="b.yaml") == [
        "kb/b.yaml:2: entry 'tablet-no-power': the id is already used at kb/a.yaml:1"
    ]


def test_an_answer_missing_for_a_language_that_has_questions():
    assert errors_of(entry(answer="answer:\n    it: Collega il caricatore.")) == [
        "kb/a.yaml:5: entry 'tablet-no-power': 'answer' has no 'en' text, but 'questions' has 'en'"
    ]


def test_empty_questions_and_a_language_with_an_empty_list():
    assert errors_of(entry(questions="questions: {}", answer="answer: {it: x}")) == [
        "kb/a.yaml:2: entry 'tablet-no-power': 'questions' is empty"
    ]
    assert errors_of(entry(questions="questions:\n    it: [tablet spento, nero]\n    en: []")) == [
        "kb/a.yaml:4: entry 'tablet-no-power': 'questions.en' is empty"
    ]


def test_not_questions_are_checked_like_questions():
    wrong = entry(not_questions="not_questions:\n    it: []\n    en: [tablet off, 3]")
    assert errors_of(wrong) == [
        "kb/a.yaml:9: entry 'tablet-no-power': 'not_questions.it' is empty",
        "kb/a.yaml:10: entry 'tablet-no-power': 'not_questions.en' item 2 must be text, "
        "but it is the number 3",
    ]
    assert errors_of(entry(not_questions="not_questions: il tablet non si spegne")) == [
        "kb/a.yaml:8: entry 'tablet-no-power': 'not_questions' must be a mapping of languages "
        "(it: ..., en: ...), but it is the text 'il tablet non si spegne'"
    ]


def test_a_phrasing_both_in_questions_and_in_not_questions():
    text = entry(not_questions="not_questions:\n    it: [tablet spento, 'Schermo  NERO!']"
                 "\n    en: [schermo nero]")
    assert errors_of(text) == [
        "kb/a.yaml:9: entry 'tablet-no-power': 'not_questions.it' item 2 'Schermo  NERO!' is "
        "also under 'questions.it'; a way of asking is either for this entry or not"
    ]


def test_questions_with_no_value_at_all_are_empty():
    assert errors_of(entry(questions="questions:")) == [
        "kb/a.yaml:2: entry 'tablet-no-power': 'questions' is empty"
    ]


def test_an_unknown_field_suggests_the_field_meant():
    typo = entry(questions="qestions:\n    it: [il tablet non si accende, schermo nero]")
    assert errors_of(typo.replace("    en: Plug in the charger.\n", "")) == [
        "kb/a.yaml:2: entry 'tablet-no-power': unknown field 'qestions' (did you mean 'questions'?)"
    ]


def test_an_unknown_field_with_no_near_miss_lists_the_fields():
    assert errors_of(entry(colour="colour: red")) == [
        "kb/a.yaml:8: entry 'tablet-no-power': unknown field 'colour'; the fields are "
        "id, title, questions, not_questions, answer, keywords, audience, escalate, category"
    ]


def test_missing_required_fields():
    text = entry(id="") + entry(id="id: no-questions", questions="") + entry(answer="")
    assert errors_of(text) == [
        "kb/a.yaml:1: entry #1: missing required field 'id'",
        "kb/a.yaml:8: entry 'no-questions': missing required field 'questions'",
        "kb/a.yaml:13: entry 'tablet-no-power': missing required field 'answer'",
    ]


def test_an_id_must_be_lowercase_letters_digits_and_dashes():
    assert errors_of(entry(id="id: Tablet Non Si Accende!")) == [
        "kb/a.yaml:1: entry 'Tablet Non Si Accende!': the id 'Tablet Non Si Accende!' may "
        "contain only lowercase letters, digits and '-', e.g. 'tablet-non-si-accende'"
    ]


def test_wrong_types_say_what_was_expected_and_what_was_found():
    text = entry(
        questions="questions:\n    it: il tablet non si accende\n    en: [tablet off, black]",
        answer="answer: Collega il caricatore.",
        keywords="keywords: [batteria, 42]",
    )
    assert errors_of(text) == [
        "kb/a.yaml:3: entry 'tablet-no-power': 'questions.it' must be a list (one '- ' line "
        "per item), but it is the text 'il tablet non si accende'",
        "kb/a.yaml:5: entry 'tablet-no-power': 'answer' must be a mapping of languages "
        "(it: ..., en: ...), but it is the text 'Collega il caricatore.'",
        "kb/a.yaml:6: entry 'tablet-no-power': 'keywords' item 2 must be text, "
        "but it is the number 42",
    ]


def test_an_entry_field_indented_under_another_gets_a_hint():
    text = entry(
        answer="answer:\n    it: Collega il caricatore.\n    en: Plug in.\n"
        "    keywords: [batteria, carica]",
        questions="questions:\n    it: [il tablet non si accende, schermo nero]"
        "\n    en: [my tablet does not turn on, black screen]\n    audience: [pupil]",
    )
    assert errors_of(text) == [
        "kb/a.yaml:5: entry 'tablet-no-power': 'questions.audience' is not a language; "
        "is 'audience' indented too far? it belongs to the entry, at the same level as "
        "'questions'",
        "kb/a.yaml:9: entry 'tablet-no-power': 'answer.keywords' must be text, but it is a "
        "list; is 'keywords' indented too far? it belongs to the entry, at the same level as "
        "'answer'",
    ]


def test_a_field_indented_under_questions_is_not_read_as_a_language():
    text = entry(
        questions="questions:\n    it: [il tablet non si accende, schermo nero]"
        "\n    en: [my tablet does not turn on, black screen]\n    keywords: [batteria]",
    )
    write_kb_file("a.yaml", text)
    with pytest.raises(KBLoadError) as caught:
        load_kb(Path("kb"))
    assert [str(problem) for problem in caught.value.problems] == [  # no 'keywords' language
        "kb/a.yaml:5: entry 'tablet-no-power': 'questions.keywords' is not a language; "
        "is 'keywords' indented too far? it belongs to the entry, at the same level as "
        "'questions'",
    ]


def test_a_required_field_indented_under_the_title_is_missing_and_misplaced():
    text = entry(
        questions="",
        title="title:\n    it: Il tablet\n    questions:\n      it: [il tablet non si accende]",
    )
    assert errors_of(text) == [
        "kb/a.yaml:1: entry 'tablet-no-power': missing required field 'questions'",
        "kb/a.yaml:7: entry 'tablet-no-power': 'title.questions' must be text, but it is a "
        "mapping; is 'questions' indented too far? it belongs to the entry, at the same level "
        "as 'title'",
    ]


def test_yes_and_no_read_as_booleans_are_explained():
    assert errors_of(entry(answer="answer:\n    it: Sì\n    en: No")) == [
        "kb/a.yaml:7: entry 'tablet-no-power': 'answer.en' must be text, but it is true/false "
        "(YAML reads yes/no/on/off so; put text in quotes)"
    ]


def test_an_unknown_audience():
    assert errors_of(entry(audience="audience: [pupils, parent]")) == [
        "kb/a.yaml:8: entry 'tablet-no-power': unknown audience 'pupils' "
        "(did you mean 'pupil'?); use pupil or teacher",
        "kb/a.yaml:8: entry 'tablet-no-power': unknown audience 'parent'; use pupil or teacher",
    ]


def test_escalate_must_be_true_or_false():
    assert errors_of(entry(escalate="escalate: 'si'")) == [
        "kb/a.yaml:8: entry 'tablet-no-power': 'escalate' must be true or false, "
        "but it is the text 'si'"
    ]


def test_empty_answer_and_phrasing_texts():
    text = entry(
        questions="questions:\n    it: [il tablet non si accende, '  ']\n    en: [dead, black]",
        answer="answer:\n    it: ''\n    en:",
    )
    assert errors_of(text) == [
        "kb/a.yaml:3: entry 'tablet-no-power': 'questions.it' item 2 is empty",
        "kb/a.yaml:6: entry 'tablet-no-power': 'answer.it' is empty",
        "kb/a.yaml:7: entry 'tablet-no-power': 'answer.en' is empty",
    ]


def test_a_language_key_must_be_a_code():
    assert errors_of(entry(title="title: {no: Nope}")) == [
        "kb/a.yaml:8: entry 'tablet-no-power': 'title' has a language that is true/false "
        "(YAML reads yes/no/on/off so; put text in quotes), not a code such as it or en"
    ]


def test_the_shape_of_an_entry_file():
    assert errors_of("categoria: tablet\nentries: 3\n") == [
        "kb/a.yaml:1: unknown top-level field 'categoria' (did you mean 'category'?); "
        "a file has category: and entries:",
        "kb/a.yaml:2: 'entries' must be a list of entries, but it is the number 3",
    ]
    assert errors_of("category: tablet\nentrie:\n" + textwrap.indent(GOOD_ENTRY, "  ")) == [
        "kb/a.yaml:2: unknown top-level field 'entrie' (did you mean 'entries'?); "
        "a file has category: and entries:"
    ]
    assert errors_of("just some text\n") == [
        "kb/a.yaml:1: an entry file must be a list of entries, but it is the text 'just some text'"
    ]
    assert errors_of("# tablets\ncategory: [tablet]\n") == [
        "kb/a.yaml:1: no 'entries:' list (or write the file as a bare list)",
        "kb/a.yaml:2: 'category' must be text, but it is a list",
    ]


def test_a_file_that_is_not_utf8():
    Path("kb").mkdir()
    Path("kb/a.yaml").write_bytes(b"- id: a\n  title: {it: perch\xe9}\n")
    with pytest.raises(KBLoadError) as caught:
        load_kb(Path("kb"))
    assert (
        str(caught.value)
        == "kb/a.yaml:2: invalid YAML: the file is not UTF-8 text; save it as UTF-8"
    )


def test_an_entry_must_be_a_mapping():
    assert errors_of(GOOD_ENTRY + "- tablet-slow\n") == [
        "kb/a.yaml:9: entry #2 must be a mapping of fields (id:, questions:, answer:), "
        "but it is the text 'tablet-slow'"
    ]


def test_a_directory_with_no_entries():
    write_kb_file("_synonyms.yaml", "it:\n  - [wifi, rete]\n")
    write_kb_file("empty.yaml", "# nothing yet\n")
    with pytest.raises(KBLoadError) as caught:
        load_kb(Path("kb"))
    assert [str(p) for p in caught.value.errors] == ["kb: no entries found (2 YAML files here)"]
    Path("empty").mkdir()
    with pytest.raises(KBLoadError) as caught:
        load_kb(Path("empty"))
    assert str(caught.value) == "empty: no entries found (no *.yaml or *.yml files here)"


def test_a_path_that_does_not_exist_or_is_a_file():
    with pytest.raises(KBLoadError) as caught:
        load_kb(Path("nowhere"))
    assert str(caught.value) == (
        "nowhere: no such directory: give the directory that holds the FAQ files"
    )
    faq = write_kb_file("a.yaml", GOOD_ENTRY)
    with pytest.raises(KBLoadError) as caught:
        load_kb(faq)
    assert str(caught.value) == (
        "kb/a.yaml: is a file, not a directory: give the directory that holds the FAQ files"
    )


def test_every_problem_of_every_file_is_reported_at_once_and_nothing_is_loaded():
    write_kb_file("a.yaml", entry(escalate="escalate: maybe") + entry(id="id: Bad_Id"))
    write_kb_file("b.yaml", entry(id="id: other", qestions="qestions: {}"))
    with pytest.raises(KBLoadError) as caught:
        load_kb(Path("kb"))
    assert [(p.file.name, p.line) for p in caught.value.errors] == [
        ("a.yaml", 8),
        ("a.yaml", 10),
        ("b.yaml", 8),
    ]
    assert "Bad_Id" in str(caught.value)


def test_a_failed_reload_leaves_the_kb_already_loaded_as_it_was():
    write_kb_file("a.yaml", GOOD_ENTRY)
    loaded = load_kb(Path("kb"))
    write_kb_file("a.yaml", GOOD_ENTRY.replace("Plug in the charger.", "''"))
    write_kb_file("b.yaml", entry(id="id: tablet-slow"))
    with pytest.raises(KBLoadError):
        load_kb(Path("kb"))
    assert [e.id for e in loaded.entries] == ["tablet-no-power"]
    assert loaded.entries[0].answer["en"] == "Plug in the charger."


# --- warnings --------------------------------------------------------------------------


def test_warnings_do_not_fail_the_load_and_errors_carry_them_too():
    write_kb_file("a.yaml", GOOD_ENTRY)
    write_kb_file("_synonims.yaml", "it: []\n")
    kb = load_kb(Path("kb"))
    assert isinstance(kb, KnowledgeBase)
    assert [str(w) for w in kb.warnings] == [
        "kb/_synonims.yaml: unknown settings file, ignored (did you mean '_synonyms'?); "
        "known: _synonyms.yaml"
    ]
    write_kb_file("b.yaml", entry(id="id: Bad"))
    with pytest.raises(KBLoadError) as caught:
        load_kb(Path("kb"))
    assert [(p.file.name, p.severity) for p in caught.value.problems] == [
        ("_synonims.yaml", "warning"),
        ("b.yaml", "error"),
    ]


def test_the_same_phrasing_under_two_entries():
    other = entry(
        id="id: tablet-dead",
        questions="questions:\n    it: [Il tablet NON si accende!!, è morto]\n    en: [dead, gone]",
    )
    assert warnings_of(("a.yaml", GOOD_ENTRY), ("b.yaml", other)) == [
        "kb/b.yaml:3: entry 'tablet-dead': the phrasing 'Il tablet NON si accende!!' is also "
        "under entry 'tablet-no-power' (kb/a.yaml:3)"
    ]


def test_accents_and_spacing_do_not_hide_a_repeated_phrasing():
    other = entry(
        id="id: tablet-dead",
        questions="questions:\n    it: [tablet morto, 'schèrmo   nero.']\n    en: [dead, gone]",
    )
    assert warnings_of(("a.yaml", GOOD_ENTRY), ("b.yaml", other)) == [
        "kb/b.yaml:3: entry 'tablet-dead': the phrasing 'schèrmo   nero.' is also "
        "under entry 'tablet-no-power' (kb/a.yaml:3)"
    ]


def test_a_single_phrasing_in_a_language():
    text = entry(
        questions="questions:\n    it: [il tablet non si accende]\n    en: [no power, dead]"
    )
    assert warnings_of(("a.yaml", text)) == [
        "kb/a.yaml:3: entry 'tablet-no-power': 'questions.it' has only one phrasing; "
        "a few other wordings help the bot recognise the question"
    ]


def test_an_entry_whose_languages_differ_from_the_rest():
    italian_only = entry(
        id="id: wifi-down",
        questions="questions:\n    it: [il wifi non va, niente rete]",
        answer="answer: {it: Riavvia il router.}",
    )
    extra_french = entry(
        id="id: pc-slow",
        questions="questions:\n    it: [il pc è lento, va piano]\n    en: [slow pc, laggy pc]"
        "\n    fr: [pc lent, trop lent]",
        answer="answer: {it: Riavvia., en: Restart., fr: Redémarrez.}",
        title="title: {it: Il pc è lento, en: Slow pc, fr: Pc lent}",
    )
    assert warnings_of(("a.yaml", GOOD_ENTRY + italian_only + extra_french)) == [
        "kb/a.yaml:10: entry 'wifi-down': no 'en' questions, while 2 of 3 entries have them",
        "kb/a.yaml:15: entry 'pc-slow': questions in 'fr', which only 1 of 3 entries have",
    ]


def test_a_title_missing_a_language_and_an_answer_with_an_extra_one():
    text = entry(
        title="title: {it: Il tablet non si accende}",
        answer="answer: {it: Collega., en: Plug in., de: Einstecken.}",
    )
    assert warnings_of(("a.yaml", text)) == [
        "kb/a.yaml:5: entry 'tablet-no-power': 'answer' has 'de' text, but 'questions' has no 'de'",
        "kb/a.yaml:6: entry 'tablet-no-power': 'title' has no 'en' text, but 'questions' has 'en'",
    ]


def test_an_entry_without_a_title_is_a_warning_at_the_entry():
    untitled = entry(id="id: tablet-slow", title="",
                     questions="questions:\n    it: [è lento, va piano]\n    en: [slow, it lags]")
    assert warnings_of(("a.yaml", GOOD_ENTRY + untitled)) == [
        "kb/a.yaml:9: entry 'tablet-slow': no 'title'; buttons that offer this entry show its "
        "first phrasing",
    ]


def test_not_questions_in_a_language_the_entry_has_no_questions_in():
    text = entry(not_questions="not_questions:\n    it: [tablet acceso]\n    fr: [tablette]")
    assert warnings_of(("a.yaml", text)) == [
        "kb/a.yaml:10: entry 'tablet-no-power': 'not_questions' has 'fr' phrasings, "
        "but 'questions' has no 'fr': they are never used"
    ]


def test_a_synonym_in_two_groups_of_one_language():
    synonyms = "it:\n  - [wifi, wi-fi, rete]\n  - [internet, Rete]\nen:\n  - [net, internet]\n"
    assert warnings_of(("a.yaml", GOOD_ENTRY), ("_synonyms.yaml", synonyms)) == [
        "kb/_synonyms.yaml:3: 'Rete' is in two 'it' synonym groups (also at kb/_synonyms.yaml:2)"
    ]


def test_a_malformed_synonyms_file_is_an_error():
    write_kb_file("a.yaml", GOOD_ENTRY)
    assert errors_of("it:\n  - [wifi, rete]\n  - wifi\nen: wifi\n", name="_synonyms.yaml") == [
        "kb/_synonyms.yaml:3: 'it' group 2 must be a list of words like [wifi, wi-fi]",
        "kb/_synonyms.yaml:4: 'en' must be a list of synonym groups, but it is the text 'wifi'",
    ]


def test_an_empty_entry_file_is_a_warning():
    assert warnings_of(("a.yaml", GOOD_ENTRY), ("b.yaml", "# soon\n")) == [
        "kb/b.yaml: the file is empty"
    ]
