"""Small KB directories for the loader and CLI tests, written under the current directory.

The tests chdir into tmp_path, so messages name files as a maintainer sees them: kb/a.yaml.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

EVAL_KB = Path(__file__).parents[2] / ".." / "shared" / "eval" / "kb"


def write_kb_file(name: str, text: str) -> Path:
    """Write `text` (dedented) to kb/<name>, creating directories as needed."""
    path = Path("kb") / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path
