"""Many pupils and volunteers at once through the whole bot while Telegram fails now and then.

The core of `benchmarks/bench_load.py` and of its short run in `test_bot_load.py`. The real
bot (engine, database, outbox, PTB over HTTP) serves the fake Bot API server; the fake plays
the users and, every `fault_every` seconds, breaks one call (a 429 with retry_after, a 500 or
502, a dropped connection) of sendMessage or copyMessage. Most pupils ask FAQ questions; one
in ten opens a ticket and writes to the volunteer who takes it, who answers each message by
replying to its copy. Every message the bot must relay carries a unique text, so at the end
each is counted where it should have arrived: lost is "expected, never arrived", duplicate
is "arrived more than once" (FAQ answers: more answers than questions).
"""

from __future__ import annotations

import asyncio
import itertools
import random
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from telegram.constants import FloodLimit

from bot.telegram.send import DEFAULT_BACKOFF, Backoff
from tests.e2e.bot_harness import (
    SCHOOL_DAY,
    Clock,
    helpdesk_engine,
    outbox_of,
    running_bot,
)
from tests.e2e.fake_bot_api import FakeBotApi

FIRST_PUPIL, FIRST_VOLUNTEER = 20_000_000, 30_000_000
FAQ_QUESTION, FAQ_ANSWER_MARK = "il tablet non si accende", "caricatore"
HOMEWORK = "mi aiuti con i compiti di storia?"  # no FAQ word: the pupil asks for a volunteer
REPLY_TIMEOUT = 60.0  # a reply later than this counts as lost
SETTLE_TIMEOUT = 60.0  # after the run, time for retries to finish before counting


def load_rota(volunteers: int) -> str:
    """`volunteers` volunteers on shift all week; pings go to two at a time."""
    codes = [volunteer_code(n) for n in range(volunteers)]
    people = "".join(f"  - {{name: Volontario {c}, code: {c}, languages: [it]}}\n" for c in codes)
    shifts = "".join(
        f"  - {{day: {day}, start: '00:00', end: '24:00', volunteers: [{', '.join(codes)}]}}\n"
        for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    )
    return (
        "timezone: Europe/Rome\nvolunteers:\n" + people
        + "coordinators:\n  - {name: Coordinatrice, code: COORD-LOAD, languages: [it]}\n"
        + "shifts:\n" + shifts
        + "escalation:\n  levels:\n"
        + "    - {notify: best_match, count: 2, timeout_minutes: 30}\n"
        + "    - {notify: coordinators, timeout_minutes: 30}\n  rounds: 1\n"
        + "quiet_hours: {start: '23:00', end: '06:00'}\n"
    )


def volunteer_code(n: int) -> str:
    return f"VOL-L{n:03d}"


class RunningClock(Clock):
    """A school day that runs at the speed of the wall clock (flood control needs time)."""

    def __init__(self) -> None:
        super().__init__(SCHOOL_DAY)
        self._started = time.monotonic()

    def __call__(self) -> datetime:
        return SCHOOL_DAY + timedelta(seconds=time.monotonic() - self._started)


@dataclass(frozen=True, slots=True)
class LoadSettings:
    pupils: int = 200
    volunteers: int = 10
    seconds: float = 60.0
    think: tuple[float, float] = (6.0, 10.0)  # a pupil reads and types between messages
    ticket_share: float = 0.1
    fault_every: float = 0.5
    overall_max_rate: float = FloodLimit.MESSAGES_PER_SECOND
    backoff: Backoff = DEFAULT_BACKOFF
    drain_seconds: float = 1.0
    seed: int = 7


@dataclass
class LoadResult:
    settings: LoadSettings
    database: str
    faq_asked: int = 0
    relays: int = 0
    lost: int = 0
    duplicates: int = 0
    misrouted: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    reply_latencies: list[float] = field(default_factory=list)
    relay_latencies: list[float] = field(default_factory=list)

    def row(self) -> str:
        """One markdown table row (see `TABLE_HEADER`)."""
        s = self.settings
        return (
            f"| {self.database} | {s.pupils} | {s.volunteers} | {s.seconds:.0f} "
            f"| {self.faq_asked} | {self.relays} "
            f"| {self.faults['429']}/{self.faults['5xx']}/{self.faults['dropped']} "
            f"| {self.lost} | {self.duplicates} | {self.misrouted} "
            f"| {_ms(self.reply_latencies, 50)} | {_ms(self.reply_latencies, 99)} "
            f"| {_ms(self.relay_latencies, 50)} | {_ms(self.relay_latencies, 99)} |"
        )


TABLE_HEADER = (
    "| database | pupils | volunteers | s | FAQ questions | relayed messages "
    "| faults hit (429/5xx/dropped) | lost | duplicates | misrouted "
    "| reply p50 ms | reply p99 ms | relay p50 ms | relay p99 ms |\n"
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
)


def _ms(values: list[float], percentile: int) -> str:
    if len(values) < 2:
        return "-"
    return f"{statistics.quantiles(values, n=100)[percentile - 1] * 1000:.0f}"


class _LoadFake(FakeBotApi):
    """The fake server, telling the simulation of every message the bot wrote, when stored."""

    def __init__(self) -> None:
        super().__init__()
        self.on_message: Callable[[int, dict[str, Any], str], None] = lambda *_: None

    def _bot_message(
        self, params: dict[str, Any], content: dict[str, Any], *, via: str, html: str | None = None
    ) -> dict[str, Any]:
        message = super()._bot_message(params, content, via=via, html=html)
        self.on_message(message["chat"]["id"], message, via)
        return message


class _Simulation:
    """The users: pupils as tasks, volunteers reacting to what the bot sends them."""

    def __init__(self, fake: _LoadFake, settings: LoadSettings, result: LoadResult) -> None:
        self.fake = fake
        self.settings = settings
        self.result = result
        self.rng = random.Random(settings.seed)
        self.inbox: defaultdict[int, asyncio.Queue[dict[str, Any]]] = defaultdict(asyncio.Queue)
        self.answers: Counter[int] = Counter()  # FAQ answers per pupil
        self.asked: Counter[int] = Counter()
        self.expected: dict[str, tuple[int | None, float]] = {}  # text -> (chat or any, sent)
        self.arrived: Counter[str] = Counter()
        self.arrived_in: dict[str, int] = {}
        self.volunteers = {FIRST_VOLUNTEER + n for n in range(settings.volunteers)}
        fake.on_message = self.seen

    # ------------------------------------------------------------------ what the bot wrote

    def seen(self, chat_id: int, message: dict[str, Any], via: str) -> None:
        text = message.get("text") or message.get("caption") or ""
        if text in self.expected and via == "copyMessage":
            self.arrived[text] += 1
            self.arrived_in[text] = chat_id
            if self.arrived[text] == 1:
                self.result.relay_latencies.append(time.perf_counter() - self.expected[text][1])
        if chat_id in self.volunteers:
            self._volunteer_reacts(chat_id, message, text, via)
        elif FAQ_ANSWER_MARK in text:
            self.answers[chat_id] += 1
        self.inbox[chat_id].put_nowait(message)

    def _volunteer_reacts(
        self, chat_id: int, message: dict[str, Any], text: str, via: str
    ) -> None:
        """Take every ping after a moment; answer each relayed message by replying to it."""
        loop = asyncio.get_running_loop()
        for data in _callback_data(message):
            if data.startswith("take:"):
                loop.call_later(
                    self.rng.uniform(0.2, 0.6),
                    lambda d=data: self.fake.user_presses(
                        chat_id, message["message_id"], d, strict=False
                    ),
                )
        if via == "copyMessage" and text.startswith("p"):
            answer = f"re {text}"
            pupil = int(text[1:].split("-")[0])
            loop.call_later(
                self.rng.uniform(1.0, 2.0),
                lambda: self._send(chat_id, answer, pupil, reply_to=message["message_id"]),
            )

    def _send(self, chat_id: int, text: str, to: int | None, **sender: Any) -> None:
        self.expected[text] = (to, time.perf_counter())
        self.fake.user_sends(chat_id, text, **sender)

    # ------------------------------------------------------------------ the pupils

    async def onboard(self, chat_id: int) -> None:
        """/start, pupil, school unknown (not timed, no faults yet)."""
        welcome = await self.exchange(chat_id, lambda: self.fake.user_sends(chat_id, "/start"))
        schools = await self._press(chat_id, welcome, "role:pupil")
        await self._press(chat_id, schools, "school:skip")

    async def faq_pupil(self, chat_id: int, end: float) -> None:
        while await self._think(end):
            self.asked[chat_id] += 1
            self.result.faq_asked += 1
            started = time.perf_counter()
            try:
                await self.exchange(chat_id, lambda: self.fake.user_sends(chat_id, FAQ_QUESTION))
            except TimeoutError:
                continue  # counted as lost at the end
            self.result.reply_latencies.append(time.perf_counter() - started)

    async def ticket_pupil(self, chat_id: int, end: float) -> None:
        off_topic = await self.exchange(chat_id, lambda: self.fake.user_sends(chat_id, HOMEWORK))
        describe = await self._press(chat_id, off_topic, "fb:")  # "talk to a volunteer"
        await self._press(chat_id, describe, "desc:")
        for n in itertools.count(1):
            if not await self._think(end):
                return
            self._send(chat_id, f"p{chat_id}-{n}", None)

    async def _think(self, end: float) -> bool:
        await asyncio.sleep(self.rng.uniform(*self.settings.think))
        return time.monotonic() < end

    async def exchange(self, chat_id: int, act: Callable[[], object]) -> dict[str, Any]:
        """Do `act`; the bot's next message in the chat."""
        inbox = self.inbox[chat_id]
        while not inbox.empty():
            inbox.get_nowait()
        act()
        return await asyncio.wait_for(inbox.get(), REPLY_TIMEOUT)

    async def _press(self, chat_id: int, message: dict[str, Any], prefix: str) -> dict[str, Any]:
        (data,) = [d for d in _callback_data(message) if d.startswith(prefix)]
        return await self.exchange(
            chat_id, lambda: self.fake.user_presses(chat_id, message["message_id"], data)
        )

    # ------------------------------------------------------------------ the count

    def count(self) -> None:
        result = self.result
        result.relays = len(self.expected)
        for text, (to, _) in self.expected.items():
            arrived = self.arrived[text]
            result.lost += arrived == 0
            result.duplicates += max(arrived - 1, 0)
            result.misrouted += arrived > 0 and to is not None and self.arrived_in[text] != to
        for chat_id, asked in self.asked.items():
            result.lost += max(asked - self.answers[chat_id], 0)
            result.duplicates += max(self.answers[chat_id] - asked, 0)

    def settled(self) -> bool:
        return all(self.arrived[text] for text in self.expected)


def _callback_data(message: dict[str, Any]) -> list[str]:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [b["callback_data"] for row in rows for b in row if "callback_data" in b]


async def _inject_faults(fake: FakeBotApi, every: float, end: float) -> None:
    faults = itertools.cycle(
        [
            lambda: fake.fail_next("sendMessage", status=429, retry_after=1),
            lambda: fake.fail_next("copyMessage", status=500),
            lambda: fake.drop_next("sendMessage"),
            lambda: fake.fail_next("sendMessage", status=502),
            lambda: fake.drop_next("copyMessage"),
            lambda: fake.fail_next("copyMessage", status=429, retry_after=1),
        ]
    )
    while time.monotonic() < end:
        await asyncio.sleep(every)
        next(faults)()


def _faults_hit(fake: FakeBotApi) -> Counter[str]:
    hit: Counter[str] = Counter()
    for request in fake.requests:
        if request.method in ("sendMessage", "copyMessage"):
            if request.status == 429:
                hit["429"] += 1
            elif request.status in (500, 502):
                hit["5xx"] += 1
            elif request.status == 0:
                hit["dropped"] += 1
    return hit


async def run_load(settings: LoadSettings, directory: Path, database_url: str) -> LoadResult:
    """Serve `settings.pupils` pupils and the volunteers for `settings.seconds`, then count."""
    result = LoadResult(settings, database_url.split(":", 1)[0].split("+")[0])
    (directory / "rota.yaml").write_text(load_rota(settings.volunteers), encoding="utf-8")
    fake = _LoadFake()
    await fake.start()
    try:
        async with (
            helpdesk_engine(directory, RunningClock(), database_url) as assembly,
            running_bot(
                fake,
                assembly.engine,
                outbox_of(assembly),
                drain_seconds=settings.drain_seconds,
                backoff=settings.backoff,
                overall_max_rate=settings.overall_max_rate,
            ),
        ):
            simulation = _Simulation(fake, settings, result)
            await _play(simulation, settings)
            outbox = outbox_of(assembly)
            deadline = time.monotonic() + SETTLE_TIMEOUT
            while (not simulation.settled() or await outbox.pending()) and (
                time.monotonic() < deadline
            ):
                await asyncio.sleep(0.2)
            simulation.count()
            result.faults = _faults_hit(fake)
    finally:
        await fake.stop()
    return result


async def _play(simulation: _Simulation, settings: LoadSettings) -> None:
    fake = simulation.fake
    for n, chat_id in enumerate(sorted(simulation.volunteers)):
        fake.add_chat(chat_id)
        link = f"/volunteer {volunteer_code(n)}"
        await simulation.exchange(chat_id, lambda c=chat_id, t=link: fake.user_sends(c, t))
    pupils = range(FIRST_PUPIL, FIRST_PUPIL + settings.pupils)
    await asyncio.gather(*(simulation.onboard(chat_id) for chat_id in pupils))
    end = time.monotonic() + settings.seconds
    every = max(round(1 / settings.ticket_share), 1) if settings.ticket_share else 0
    roles = [
        (simulation.ticket_pupil if every and i % every == 0 else simulation.faq_pupil)(c, end)
        for i, c in enumerate(pupils)
    ]
    await asyncio.gather(_inject_faults(fake, settings.fault_every, end), *roles)
