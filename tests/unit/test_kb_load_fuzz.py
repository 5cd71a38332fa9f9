"""Whatever a maintainer writes, load_kb answers with a KB or with located problems.

Random YAML built from the entry fields (and some that are not) must never crash the
loader with anything but KBLoadError, and every problem must point at a real line.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from knowledge_base.entry_schema import FIELDS
from knowledge_base.loader import load_kb
from knowledge_base.model import KBLoadError

# Text without the rare characters YAML also counts as line breaks (NEL, LS, PS), so that
# the test can count lines as an editor does.
_TEXT = st.text(st.characters(exclude_characters="\x85\u2028\u2029"), max_size=12)
_KEYS = st.sampled_from([*FIELDS, "it", "en", "entries", "qestions", "no"]) | _TEXT
_SCALARS = st.none() | st.booleans() | st.integers() | _TEXT
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEYS, inner, max_size=5),
    max_leaves=25,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=_VALUES | st.lists(st.dictionaries(_KEYS, _VALUES, max_size=8), max_size=3))
def test_any_yaml_value_gives_a_kb_or_located_problems(document):
    text = yaml.safe_dump(document, allow_unicode=True)
    with tempfile.TemporaryDirectory() as directory:
        (Path(directory) / "a.yaml").write_text(text, encoding="utf-8")
        try:
            kb = load_kb(Path(directory))
        except KBLoadError as error:
            problems = error.problems
            assert error.errors
        else:
            problems = kb.warnings
            assert kb.entries
    line_count = max(text.count("\n"), 1)
    assert all(0 <= problem.line <= line_count for problem in problems)
    assert all(problem.message for problem in problems)


@settings(max_examples=150, deadline=None)
@given(text=st.text(alphabet=st.sampled_from("- :{}[]'\"#*&!|>\n\tab1"), max_size=60))
def test_any_text_gives_a_kb_or_located_problems(text):
    with tempfile.TemporaryDirectory() as directory:
        (Path(directory) / "a.yaml").write_text(text, encoding="utf-8")
        try:
            load_kb(Path(directory))
        except KBLoadError as error:
            assert all(p.line <= text.count("\n") + 1 for p in error.problems)
