"""What the engine needs from the outside world, passed in so tests and the demo choose it.

The engine creates nothing itself: the store, the escalation service, the knowledge base, the
safety checks and the clock all come from whoever builds it (the Telegram runner, the demo,
a test), following the "dependencies passed in" rule.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from bot.engine.schools import Schools
from bot.safeguarding import Helpline
from bot.texts import Texts
from escalation.api import EscalationService, UserStore
from escalation.retention import DEFAULT_RETENTION_DAYS
from knowledge_base.model import KnowledgeBase


class Matching(Protocol):
    def match(self, query: str, lang: str | None = None, audience: str | None = None) -> Any: ...


class Safeguarding(Protocol):
    def check(self, text: str, lang: str) -> Any: ...


class Flood(Protocol):
    def check(self, chat_id: int, now: datetime) -> str: ...


KnowledgeSource = Callable[[], tuple[KnowledgeBase, Matching]]


class Knowledge:
    """The KB and its matcher, swapped together on /reload; a failed load keeps the old pair."""

    def __init__(self, source: KnowledgeSource) -> None:
        self._source = source
        self.kb, self.matcher = source()

    @classmethod
    def from_path(cls, path: Path) -> Knowledge:
        """Load the KB under `path` (raises KBLoadError) and re-read it there on reload."""
        from knowledge_base.loader import load_kb
        from knowledge_base.matcher import Matcher

        def source() -> tuple[KnowledgeBase, Matching]:
            kb = load_kb(path)
            return kb, Matcher.build(kb)

        return cls(source)

    def reload(self) -> None:
        """Load again; raises (KBLoadError) and changes nothing if the new files are broken."""
        kb, matcher = self._source()
        self.kb, self.matcher = kb, matcher


@dataclass(frozen=True, slots=True)
class Deps:
    store: UserStore
    escalation: EscalationService
    knowledge: Knowledge
    texts: Texts
    safeguarding: Safeguarding
    flood: Flood
    schools: Schools  # from bot/schools.yaml
    helplines: tuple[Helpline, ...]  # from bot/helplines.yaml
    bot_username: str  # for the t.me link offered in group chats
    clock: Callable[[], datetime]
    max_message_chars: int
    reload_rota: Callable[[], Awaitable[None]] | None = None  # raises with readable errors
    retention_days: int = DEFAULT_RETENTION_DAYS  # told to users in /privacy
