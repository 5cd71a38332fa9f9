"""How the command line shows problems in hand-edited YAML (the FAQ, the rota), one way for all.

`kb check` and `rota check` print the same `FILE:LINE: severity: message` lines, errors
before warnings, so a maintainer who knows one knows the other.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

from knowledge_base.loader import shown
from knowledge_base.model import Problem


def split_problems(problems: Iterable[Problem]) -> tuple[list[Problem], list[Problem]]:
    """(errors, warnings), each in the order given."""
    problems = list(problems)
    return (
        [p for p in problems if p.severity == "error"],
        [p for p in problems if p.severity == "warning"],
    )


def print_problems(problems: Iterable[Problem]) -> None:
    """Every problem as `FILE:LINE: severity: message`, errors before warnings."""
    errors, warnings = split_problems(problems)
    for problem in errors + warnings:
        print(f"{problem.where}: {problem.severity}: {problem.message}")


def print_load_failure(path: Path, problems: Iterable[Problem], what: str = "the KB") -> None:
    """For commands that need a loaded file (the KB, the rota): its errors on stderr, briefly."""
    print(f"cannot load {what} in {shown(path)}:", file=sys.stderr)
    for problem in split_problems(problems)[0]:
        print(f"  {problem}", file=sys.stderr)


def count(number: int, singular: str, plural: str | None = None) -> str:
    """'1 error', '2 errors', '3 entries' (with `plural`)."""
    return f"{number} {singular if number == 1 else plural or singular + 's'}"
