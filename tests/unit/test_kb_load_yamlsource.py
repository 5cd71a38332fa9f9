"""yamlsource: plain values, and the line of every key and item for error messages."""

from __future__ import annotations

import pytest

from knowledge_base.yamlsource import YamlSyntaxError, describe, did_you_mean, parse_yaml

TEXT = """\
# a comment
entries:
  - id: tablet-no-power
    answer:
      en: |
        Plug it in.
    keywords: [a,
      b]
  - 42
"""


def test_values_are_plain_python():
    assert parse_yaml(TEXT).value == {
        "entries": [
            {"id": "tablet-no-power", "answer": {"en": "Plug it in.\n"}, "keywords": ["a", "b"]},
            42,
        ]
    }


def test_every_key_and_item_has_its_line():
    doc = parse_yaml(TEXT)
    assert doc.line_of(("entries",)) == 2
    assert doc.line_of(("entries", 0)) == 3
    assert doc.line_of(("entries", 0, "answer", "en")) == 5
    assert doc.line_of(("entries", 0, "keywords", 1)) == 8
    assert doc.line_of(("entries", 1)) == 9


def test_a_missing_path_points_at_its_nearest_enclosing_item():
    assert parse_yaml(TEXT).line_of(("entries", 0, "questions", "it")) == 3


def test_an_empty_document_is_none():
    doc = parse_yaml("# nothing\n")
    assert (doc.value, doc.line_of(("anything",))) == (None, 1)


def test_a_key_twice_in_one_mapping_is_a_syntax_error():
    with pytest.raises(YamlSyntaxError) as caught:
        parse_yaml("a: 1\nb:\n  c: 2\n  c: 3\n")
    assert (caught.value.line, caught.value.explanation) == (
        4,
        "'c' appears twice here (first on line 3)",
    )


def test_tags_are_refused():
    with pytest.raises(YamlSyntaxError) as caught:
        parse_yaml("a: !!python/name:os.system x\n")
    assert caught.value.explanation == "YAML tags (!!...) and '<<' merges are not allowed"


def test_markdown_bold_at_the_start_of_a_value_is_explained():
    for text in ("a: ok\nb: *Important*: unplug it\n", "a: ok\nb: *Unplug* it\n"):
        with pytest.raises(YamlSyntaxError) as caught:
            parse_yaml(text)
        assert (caught.value.line, caught.value.explanation) == (
            2,
            "a value starts with '*' or '&', which YAML reads as a reference: put it in quotes",
        )


def test_describe_and_did_you_mean():
    assert [describe(v) for v in (None, 3, "si", [], {})] == [
        "empty",
        "the number 3",
        "the text 'si'",
        "a list",
        "a mapping",
    ]
    assert did_you_mean("qestions", ["id", "questions"]) == " (did you mean 'questions'?)"
    assert did_you_mean("colour", ["id", "questions"]) == ""
