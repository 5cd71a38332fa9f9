"""Moments in words: today, tomorrow, a weekday within the week, else the date."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.engine.moments import in_words
from bot.texts import Texts
from tests.conftest import ROME

TEXTS = Texts.load()
# Monday 23:30 in UTC, but already Tuesday 00:30 in Milan, where the rota's days are counted.
NOW = datetime(2026, 12, 1, 0, 30, tzinfo=ROME).astimezone(UTC)


def milan(day: int, hour: int) -> datetime:
    return datetime(2026, 12, day, hour, 0, tzinfo=ROME)


@pytest.mark.parametrize(
    ("moment", "it", "en"),
    [
        (milan(1, 8), "oggi alle 08:00", "today at 08:00"),
        (milan(2, 8), "domani alle 08:00", "tomorrow at 08:00"),
        (milan(5, 9), "sabato alle 09:00", "on Saturday at 09:00"),
        (milan(7, 8), "lunedì alle 08:00", "on Monday at 08:00"),
        (milan(8, 8), "il 08/12 alle 08:00", "on 08/12 at 08:00"),  # a week on: the date
    ],
)
def test_moments_in_words_count_days_in_the_moments_timezone(moment, it, en):
    assert in_words(TEXTS, "it", moment, NOW) == it
    assert in_words(TEXTS, "en", moment, NOW) == en
