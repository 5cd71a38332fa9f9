"""The shipped regression cases (knowledge_base/faq_cases.yaml) against the shipped FAQ.

One test per case, so a failure names the query.
"""

import pytest

from knowledge_base.cli_match import SHIPPED_CASES, case_passes, load_cases
from knowledge_base.loader import SHIPPED_FAQ, load_kb
from knowledge_base.matcher import Matcher

CASES = load_cases(SHIPPED_CASES)


@pytest.fixture(scope="module")
def matcher():
    return Matcher.build(load_kb(SHIPPED_FAQ))


@pytest.mark.parametrize("case", CASES, ids=[f"line{c.line}" for c in CASES])
def test_shipped_case(matcher, case):
    decision = matcher.match(case.query)
    assert case_passes(case, decision), (decision.action, decision.entry_id, decision.offered)
