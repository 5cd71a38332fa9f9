"""`helpdesk kb match`, `helpdesk kb ask` and `helpdesk kb test`: the matcher seen by maintainers.

`match` is the batch contract of kb-format.md (one JSON line per query, for evaluation tools),
`ask` explains one decision in words, `test` runs a file of regression cases.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from knowledge_base.entry_schema import AUDIENCES
from knowledge_base.loader import SHIPPED_FAQ, load_kb, shown
from knowledge_base.matcher import Decision, Matcher
from knowledge_base.model import KBLoadError
from knowledge_base.report import print_load_failure
from knowledge_base.yamlsource import YamlSyntaxError, read_yaml

SHIPPED_CASES = Path(__file__).parent / "faq_cases.yaml"


def register(kb_commands: argparse._SubParsersAction) -> None:
    """Add the `match`, `ask` and `test` subcommands."""
    match = kb_commands.add_parser(
        "match", help="match queries read from stdin, one JSON line each on stdout"
    )
    _kb_options(match)
    match.set_defaults(handler=run_match)

    ask = kb_commands.add_parser("ask", help="explain how one question is matched")
    ask.add_argument("question")
    _kb_options(ask)
    ask.set_defaults(handler=run_ask)

    test = kb_commands.add_parser("test", help="run a file of regression cases against a KB")
    test.add_argument("cases", nargs="?", type=Path, default=SHIPPED_CASES,
                      help="cases file (default: the shipped faq_cases.yaml)")
    _kb_options(test)
    test.set_defaults(handler=run_test)


def _kb_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--kb", type=Path, default=SHIPPED_FAQ,
                        help="KB directory (default: the shipped FAQ)")
    parser.add_argument("--lang", choices=("it", "en"),
                        help="language of the queries (default: detected)")
    parser.add_argument("--audience", choices=AUDIENCES,
                        help="who asks: entries for others only are left out (default: anyone)")


def _build(kb_dir: Path) -> Matcher | None:
    """The matcher for `kb_dir`, or None after printing the loader's problems."""
    try:
        return Matcher.build(load_kb(kb_dir))
    except KBLoadError as error:
        print_load_failure(kb_dir, error.problems)
        return None


def decision_json(query: str, decision: Decision) -> dict:
    """One line of the batch-matching contract."""
    line = {
        "query": query,
        "action": decision.action,
        "id": decision.entry_id,
        "score": decision.score,
        "candidates": [{"id": c.entry_id, "score": c.score} for c in decision.candidates],
    }
    if decision.action == "clarify":
        line["offered"] = list(decision.offered)
    return line


def run_match(args: argparse.Namespace) -> int:
    matcher = _build(args.kb)
    if matcher is None:
        return 1
    for raw in sys.stdin:
        query = raw.rstrip("\r\n")
        line = decision_json(query, matcher.match(query, args.lang, args.audience))
        print(json.dumps(line, ensure_ascii=False))
    sys.stdout.flush()
    return 0


def run_ask(args: argparse.Namespace) -> int:
    matcher = _build(args.kb)
    if matcher is None:
        return 1
    decision = matcher.match(args.question, args.lang, args.audience)
    print("\n".join(explain(matcher, decision)))
    return 0


def explain(matcher: Matcher, decision: Decision) -> list[str]:
    """The decision in words: what the bot would do, the candidates, and which rule decided."""
    s = matcher.settings
    lines = [f"decision: {decision.action}"
             + (f" {decision.entry_id}" if decision.entry_id else "")
             + f"  (language {decision.language}, top score {decision.score})"]
    for rank, candidate in enumerate(decision.candidates, 1):
        entry = matcher.kb.get(candidate.entry_id)
        title = entry.title_in(decision.language) if entry else ""
        words = ", ".join(candidate.matched_words) or "-"
        lines.append(f"  {rank}. {candidate.score:5.1f}  {candidate.entry_id}  \"{title}\"")
        lines.append(f"         matched words: {words}")
    second = decision.candidates[1].score if len(decision.candidates) > 1 else 0.0
    lead = round(decision.score / second, 2) if second else None
    leads = f"leads the next entry {lead}x" if lead else "has no rival"
    sure = (f"confidence {decision.confidence} (top score {decision.score} discounted for "
            "what question and phrasing leave unmatched)")
    if decision.action == "answer":
        how = f"the top score {leads} (at least {s.answer_ratio}x needed)"
        if lead and lead < s.answer_ratio:
            how = (f"the question says all of one of its phrasings and its confidence leads "
                   f"every other candidate's at least {s.confidence_lead}x (the top score "
                   f"{leads}, less than {s.answer_ratio}x)")
        why = f"{sure} >= answer threshold {s.answer_threshold}, and {how}"
        runners_up = ", ".join(decision.runners_up) or "none close: a volunteer"
        lines.append(f"if the answer does not help: {runners_up}")
    elif decision.action == "clarify":
        if decision.blocked_by:
            reason = "the top entry may not be answered (see above)"
        elif decision.guessed:
            reason = ("every word the top entry shares with the question was read as a typo "
                      "of one of its words: a guess is offered, never answered")
        elif decision.confidence < s.answer_threshold:
            reason = f"{sure} < answer threshold {s.answer_threshold}"
        else:
            reason = (f"the top score {leads}, less than the {s.answer_ratio}x needed, and no "
                      f"whole phrasing said with a {s.confidence_lead}x lead in confidence")
        why = (f"{reason}; top score {decision.score} >= clarify threshold "
               f"{s.clarify_threshold}: offering {', '.join(decision.offered)}")
    else:
        why = (f"top score {decision.score} < clarify threshold {s.clarify_threshold}: "
               "nothing fits, hand over to a volunteer")
    if decision.blocked_by:
        top = decision.candidates[0].entry_id
        lines.append(f"not answered: {top} lists \"{decision.blocked_by}\" under not_questions, "
                     "and it fits the question at least as well as any of its questions")
    lines.append(f"why: {why}")
    return lines


@dataclass(frozen=True, slots=True)
class Case:
    """One regression case: a query and the entry ids that answer it (empty: none does)."""

    query: str
    expect: frozenset[str]
    line: int


class CasesError(Exception):
    """A cases file that cannot be read, with the place and the reason."""


def load_cases(path: Path) -> list[Case]:
    """Read a cases file in the format of kb-format.md ("Evaluation cases")."""
    try:
        doc = read_yaml(path)
    except OSError as error:
        raise CasesError(f"{shown(path)}: cannot read the cases file ({error.strerror})") from None
    except YamlSyntaxError as error:  # located and worded as for the FAQ's own files
        raise CasesError(f"{shown(path)}:{error.line}: invalid YAML: {error.explanation}") from None
    data = doc.value
    if not isinstance(data, list):
        raise CasesError(f"{shown(path)}:1: expected a list of cases (- query: ..., expect: ...)")
    cases = []
    for number, item in enumerate(data, 1):
        line = doc.line_of((number - 1,))
        if not isinstance(item, dict) or "query" not in item or "expect" not in item:
            raise CasesError(f"{shown(path)}:{line}: case {number} needs `query` and `expect`")
        expect = item["expect"]
        wanted = expect if isinstance(expect, list) else [] if expect is None else [expect]
        cases.append(Case(" ".join(str(item["query"]).split()),
                          frozenset(str(i) for i in wanted), line))
    return cases


def case_passes(case: Case, decision: Decision) -> bool:
    """Answered right or offered among the buttons; for `expect: null`, simply not answered."""
    if not case.expect:
        return decision.action != "answer"
    if decision.action == "answer":
        return decision.entry_id in case.expect
    return decision.action == "clarify" and bool(case.expect & set(decision.offered))


def run_test(args: argparse.Namespace) -> int:
    try:
        cases = load_cases(args.cases)
    except CasesError as error:
        print(error, file=sys.stderr)
        return 2
    matcher = _build(args.kb)
    if matcher is None:
        return 1
    unknown = sorted({i for c in cases for i in c.expect} - {e.id for e in matcher.kb.entries})
    if unknown:
        print(f"{shown(args.cases)}: expected ids not in the KB: {', '.join(unknown)}",
              file=sys.stderr)
        return 2
    decisions = ((c, matcher.match(c.query, args.lang, args.audience)) for c in cases)
    failures = [(c, d) for c, d in decisions if not case_passes(c, d)]
    for case, decision in failures:
        print(_failure_line(args.cases, case, decision))
    print(f"{len(cases) - len(failures)} of {len(cases)} cases pass")
    return 1 if failures else 0


def _failure_line(path: Path, case: Case, decision: Decision) -> str:
    want = ", ".join(sorted(case.expect)) or "no answer"
    got = {
        "answer": f"answered {decision.entry_id}",
        "clarify": f"offered {', '.join(decision.offered)}",
        "escalate": "escalated",
    }[decision.action]
    return f"FAIL {shown(path)}:{case.line}: {case.query!r}: want {want}, got {got}"
