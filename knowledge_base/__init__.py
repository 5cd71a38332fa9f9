"""The FAQ: loading, normalisation and matching. `load_index` is what the bot needs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from knowledge_base.matcher import Matcher
    from knowledge_base.model import KnowledgeBase
    from knowledge_base.settings import MatchSettings


@dataclass(frozen=True, slots=True)
class KnowledgeIndex:
    """A loaded KB and its matcher, swapped together on reload so they never disagree."""

    kb: KnowledgeBase
    matcher: Matcher


def load_index(path: Path, settings: MatchSettings | None = None) -> KnowledgeIndex:
    """Load the KB under `path` (raises KBLoadError) and build its matcher."""
    from knowledge_base.loader import load_kb
    from knowledge_base.matcher import Matcher

    kb = load_kb(path)
    return KnowledgeIndex(kb, Matcher.build(kb, settings))
