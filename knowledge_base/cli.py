"""`helpdesk kb ...`: tools for the maintainers of the FAQ.

`check` is what a maintainer runs after editing the YAML (and CI runs on every change):
every error and warning, located, then one summary line and an exit code. `stats` shows
where the FAQ is thin: categories, languages, entries with few phrasings.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections import Counter
from pathlib import Path

from knowledge_base import cli_match
from knowledge_base.loader import SHIPPED_FAQ, load_kb, shown
from knowledge_base.model import KBLoadError, KnowledgeBase
from knowledge_base.report import count, print_load_failure, print_problems, split_problems

_FEWEST_SHOWN = 5


def register(commands: argparse._SubParsersAction) -> None:
    kb = commands.add_parser("kb", help="check, inspect and query a knowledge base")
    kb_commands = kb.add_subparsers(dest="kb_command", required=True, metavar="KB_COMMAND")

    check = kb_commands.add_parser("check", help="validate a KB: every error and warning")
    _directory_argument(check)
    check.add_argument("--strict", action="store_true", help="warnings fail the check too")
    check.set_defaults(handler=run_check)

    stats = kb_commands.add_parser("stats", help="entries per category and language, phrasings")
    _directory_argument(stats)
    stats.set_defaults(handler=run_stats)

    cli_match.register(kb_commands)


def _directory_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "directory",
        nargs="?",
        type=Path,
        default=SHIPPED_FAQ,
        metavar="DIR",
        help="the KB directory (default: the shipped FAQ)",
    )


def run_check(args: argparse.Namespace) -> int:
    """Print errors, then warnings, then a summary; exit 1 on errors (or warnings if strict)."""
    try:
        kb: KnowledgeBase | None = load_kb(args.directory)
        problems = kb.warnings
    except KBLoadError as error:
        kb, problems = None, error.problems
    errors, warnings = split_problems(problems)
    print_problems(problems)
    if kb is None or (args.strict and warnings):
        files = count(len({p.file for p in problems}), "file")
        strict = "" if errors else " (--strict: warnings fail the check)"
        print(
            f"{count(len(errors), 'error')}, {count(len(warnings), 'warning')} in {files}{strict}"
        )
        return 1
    print(f"OK: {_size(kb)}, {count(len(warnings), 'warning') if warnings else 'no warnings'}")
    return 0


def run_stats(args: argparse.Namespace) -> int:
    """Print the shape of a KB; a KB that does not load gets its errors instead."""
    try:
        kb = load_kb(args.directory)
    except KBLoadError as error:
        print_load_failure(args.directory, error.problems)
        print("run `helpdesk kb check` for the details", file=sys.stderr)
        return 1
    print(f"{shown(kb.root)}: {_size(kb)}")
    print()
    print(_category_table(kb))
    print()
    for line in _phrasing_lines(kb) + _coverage_lines(kb):
        print(line)
    return 0


def _category_table(kb: KnowledgeBase) -> str:
    """Entries per category, and how many of them have questions in each language."""
    entries: Counter[str] = Counter()
    with_language: Counter[tuple[str, str]] = Counter()
    for entry in kb.entries:
        category = entry.category or "(none)"
        entries[category] += 1
        with_language.update((category, lang) for lang in entry.languages)
    languages = kb.languages
    rows: list[list[object]] = [
        [category, entries[category], *(with_language[category, lang] for lang in languages)]
        for category in sorted(entries)
    ]
    totals = [sum(with_language[category, lang] for category in entries) for lang in languages]
    rows.append(["all", len(kb.entries), *totals])
    return _table(["category", "entries", *languages], rows)


def _phrasing_lines(kb: KnowledgeBase) -> list[str]:
    counts = {e.id: sum(len(p) for p in e.questions.values()) for e in kb.entries}
    fewest = sorted(counts.items(), key=lambda item: item[1])[:_FEWEST_SHOWN]
    values = counts.values()
    return [
        f"phrasings per entry: min {min(values)}, median {statistics.median(values):g}, "
        f"max {max(values)}",
        "fewest phrasings: " + ", ".join(f"{entry_id} ({count})" for entry_id, count in fewest),
    ]


def _coverage_lines(kb: KnowledgeBase) -> list[str]:
    missing = {lang: [e.id for e in kb.entries if lang not in e.questions] for lang in kb.languages}
    lines = [f"no '{lang}' questions: {', '.join(ids)}" for lang, ids in missing.items() if ids]
    keywords = [k.casefold() for e in kb.entries for k in e.keywords]
    with_keywords = sum(1 for e in kb.entries if e.keywords)
    synonyms = ", ".join(f"{lang} {len(groups)}" for lang, groups in kb.synonyms.items())
    return [
        *(lines or ["every entry has questions in every language"]),
        f"keywords: {len(keywords)} ({len(set(keywords))} different), "
        f"in {with_keywords} of {len(kb.entries)} entries",
        f"synonym groups: {synonyms or 'none'}",
    ]


def _table(header: list[str], rows: list[list[object]]) -> str:
    """Plain-text columns: the first left-aligned, the numbers right-aligned."""
    cells = [[str(cell) for cell in row] for row in [header, *rows]]
    widths = [max(len(row[column]) for row in cells) for column in range(len(header))]
    return "\n".join(
        "  ".join(
            [
                row[0].ljust(widths[0]),
                *(c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)),
            ]
        )
        for row in cells
    )


def _size(kb: KnowledgeBase) -> str:
    return f"{count(len(kb.entries), 'entry', 'entries')} in {count(len(kb.files), 'file')}"

