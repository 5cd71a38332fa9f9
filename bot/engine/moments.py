"""A moment in words a child understands: "oggi alle 15:00", "domani alle 08:00", "sabato
alle 09:00", never "2026-12-01 08:00:00+01:00".

The escalation layer hands over moments as datetimes in the rota's timezone (when help comes,
the next attempt); only the bot knows the reader's language, so it words them here, counting
days from the bot's clock in that same timezone.
"""

from __future__ import annotations

from datetime import datetime

from bot.texts import Html, Texts

# Beyond this many days ahead a weekday name is ambiguous: the date is given instead.
_WEEKDAY_HORIZON = 6


def in_words(texts: Texts, lang: str, moment: datetime, now: datetime) -> Html:
    days = (moment.date() - now.astimezone(moment.tzinfo).date()).days
    time = f"{moment:%H:%M}"
    if days == 0:
        return texts.get(lang, "time.today", time=time)
    if days == 1:
        return texts.get(lang, "time.tomorrow", time=time)
    if 1 < days <= _WEEKDAY_HORIZON:
        day = texts.get(lang, f"time.weekday_{moment.weekday()}")
        return texts.get(lang, "time.on_weekday", day=day, time=time)
    return texts.get(lang, "time.on_date", date=f"{moment:%d/%m}", time=time)
