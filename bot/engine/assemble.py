"""Build a ready engine from files and a database URL: the one place that wires the parts.

`helpdesk run` and `helpdesk demo` both start here, so the demo exercises exactly the
engine the Telegram bot serves. Nothing is created at import time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.engine.core import ConversationEngine
from bot.engine.deps import Deps, Knowledge
from bot.engine.schools import load_schools
from bot.texts import Texts
from escalation.queries import utc_now
from escalation.retention import DEFAULT_RETENTION_DAYS
from escalation.rota import Rota, load_rota
from escalation.service import SqlEscalationService
from escalation.users import SqlUserStore


class RotaFile:
    """The current rota, read from its file; /reload reads it again (the old one stays on error).

    `adjust` lets the demo put its volunteer on shift without editing the shipped file.
    """

    def __init__(self, path: Path, adjust: Callable[[Rota], Rota] = lambda rota: rota) -> None:
        self._path = path
        self._adjust = adjust
        self.rota = adjust(load_rota(path))

    def __call__(self) -> Rota:
        return self.rota

    def reload(self) -> None:
        self.rota = self._adjust(load_rota(self._path))


@dataclass(frozen=True, slots=True)
class Assembly:
    engine: ConversationEngine
    service: SqlEscalationService
    store: SqlUserStore
    rota: RotaFile
    database: AsyncEngine


async def assemble(
    database: AsyncEngine,
    *,
    kb_path: Path,
    rota: RotaFile,
    bot_username: str,
    clock: Callable[[], datetime] = utc_now,
    retention_days: int = DEFAULT_RETENTION_DAYS,
) -> Assembly:
    """The engine over `database` (its schema already created), the KB and the rota;
    `retention_days` is what /privacy tells users (the purge job must use the same)."""
    from bot.flood import MAX_MESSAGE_CHARS, FloodControl
    from bot.safeguarding import (
        HELPLINES,
        SAFETY_DATA,
        SafeguardingDetector,
        keep_small_words_tokenizer,
        load_helplines,
    )
    from escalation.db import session_factory

    sessions = session_factory(database)
    store = SqlUserStore(sessions, clock=clock)
    service = SqlEscalationService(sessions, rota, clock=clock)
    await service.sync_rota()

    async def reload_rota() -> None:
        rota.reload()
        await service.sync_rota()

    deps = Deps(
        store=store,
        escalation=service,
        knowledge=Knowledge.from_path(kb_path),
        texts=Texts.load(),
        safeguarding=SafeguardingDetector.load(SAFETY_DATA, keep_small_words_tokenizer()),
        flood=FloodControl(),
        schools=load_schools(),
        helplines=load_helplines(HELPLINES),
        bot_username=bot_username,
        clock=clock,
        max_message_chars=MAX_MESSAGE_CHARS,
        reload_rota=reload_rota,
        retention_days=retention_days,
    )
    return Assembly(ConversationEngine(deps), service, store, rota, database)
