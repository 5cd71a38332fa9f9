"""Flood control with an injected clock: the verdicts, the calm and the cooldown that end a
flood's silence, and bounded memory."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.flood import MAX_MESSAGE_CHARS, FloodControl

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
PUPIL = 1001


def at(seconds: float) -> datetime:
    return START + timedelta(seconds=seconds)


def verdicts(flood: FloodControl, times: list[float], chat_id: int = PUPIL) -> list[str]:
    return [flood.check(chat_id, at(t)) for t in times]


def test_a_flood_that_keeps_going_is_dropped_until_the_cooldown_ends() -> None:
    flood = FloodControl(max_messages=10, window=timedelta(seconds=30))
    burst = verdicts(flood, [i * 0.5 for i in range(15)])
    assert burst == ["ok"] * 10 + ["warn"] + ["drop"] * 4
    # never a pause of 5 s: the warning came at 5 s, the cooldown of 60 s ends at 65 s
    assert verdicts(flood, [*range(8, 65, 4), 64.9, 65.0, 65.5]) == ["drop"] * 16 + ["ok"] * 2


def test_a_message_after_a_pause_is_heard_again_at_once() -> None:
    """What the warning asks: one message, then wait. The question typed after reading it is
    not swallowed by the cooldown."""
    flood = FloodControl(max_messages=3, window=timedelta(seconds=30))
    assert verdicts(flood, [0, 1, 2, 3, 4]) == ["ok", "ok", "ok", "warn", "drop"]
    assert verdicts(flood, [8.9, 14]) == ["drop", "ok"]  # 4.9 s is no pause; 5.1 s is


def test_counting_starts_afresh_after_the_silence() -> None:
    flood = FloodControl(max_messages=3, window=timedelta(seconds=30))
    assert verdicts(flood, [0, 1, 2, 3]) == ["ok", "ok", "ok", "warn"]
    assert verdicts(flood, [10, 11, 12, 13, 14]) == ["ok", "ok", "ok", "warn", "drop"]


def test_a_steady_pace_under_the_limit_is_never_warned() -> None:
    flood = FloodControl(max_messages=10, window=timedelta(seconds=30))
    assert set(verdicts(flood, [i * 3.0 for i in range(200)])) == {"ok"}


def test_a_message_exactly_one_window_old_no_longer_counts() -> None:
    flood = FloodControl(max_messages=2, window=timedelta(seconds=30))
    assert verdicts(flood, [0, 10, 30, 40]) == ["ok", "ok", "ok", "ok"]
    assert flood.check(PUPIL, at(40)) == "warn"  # 30, 40, 40: three inside the window


def test_chats_are_counted_separately() -> None:
    flood = FloodControl(max_messages=2, window=timedelta(seconds=30))
    assert verdicts(flood, [0, 1, 2]) == ["ok", "ok", "warn"]
    assert verdicts(flood, [3, 4], chat_id=2002) == ["ok", "ok"]
    assert flood.check(PUPIL, at(5)) == "drop"


def test_quiet_chats_are_forgotten() -> None:
    flood = FloodControl(window=timedelta(seconds=30), calm=timedelta(seconds=5))
    for chat_id in range(1000):
        flood.check(chat_id, at(0))
    assert len(flood) == 1000
    flood.check(5, at(29))
    assert len(flood) == 1000  # not yet quiet for the window's length
    flood.check(5, at(30))
    assert len(flood) == 1


def test_a_muted_chat_is_not_forgotten_while_its_flood_goes_on() -> None:
    flood = FloodControl(max_messages=1, window=timedelta(seconds=30))
    assert verdicts(flood, [0, 1]) == ["ok", "warn"]
    assert set(verdicts(flood, list(range(4, 44, 4)))) == {"drop"}
    flood.check(2002, at(42))  # forgets whoever has been quiet long enough
    assert flood.check(PUPIL, at(43)) == "drop"


def test_memory_is_capped_under_a_flood_of_distinct_chats() -> None:
    flood = FloodControl(max_chats=100)
    for chat_id in range(10_000):
        flood.check(chat_id, at(chat_id * 0.001))
    assert len(flood) == 100


@pytest.mark.parametrize(
    "arguments",
    [
        {"max_messages": 0},
        {"max_chats": 0},
        {"window": timedelta(0)},
        {"cooldown": timedelta(seconds=-1)},
        {"calm": timedelta(0)},
    ],
)
def test_settings_that_make_no_sense_are_refused(arguments: dict) -> None:
    with pytest.raises(ValueError, match="must be"):
        FloodControl(**arguments)


def test_the_length_cap_is_below_telegrams_own_limit() -> None:
    assert 500 <= MAX_MESSAGE_CHARS < 4096
