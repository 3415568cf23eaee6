"""
When marketing SMS may go out in France: 08:00 to 20:00 Europe/Paris, Monday to Saturday,
never on Sundays nor on French public holidays (api_reference §1.11, the `holidays`
package's national calendar for France: New Year, Easter Monday, 1 and 8 May, Ascension,
Whit Monday, 14 July, 15 August, 1 and 11 November, Christmas).

A marketing send asked for outside that window is not refused: it is held until the window
next opens (`next_release`). Alert traffic is never held, so nothing here applies to it.
Pure: the instant is passed in, nothing reads a clock.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Final

import holidays

from relais.core.schedule import PARIS

__all__ = ["CLOSES", "OPENS", "is_release_day", "next_release"]

OPENS: Final = time(8, 0)
CLOSES: Final = time(20, 0)  # the window is [08:00, 20:00): at 20:00 it is closed
_SUNDAY: Final = 6

# Years are filled in as they are asked for (holidays' `expand`), so any date works.
_FRANCE: Final = holidays.country_holidays("FR")


def is_release_day(day: date) -> bool:
    """Whether marketing SMS may go out on this Paris calendar day at all."""
    return day.weekday() != _SUNDAY and day not in _FRANCE


def next_release(instant: datetime) -> datetime:
    """The first instant at or after `instant` inside the marketing window, in `instant`'s
    time zone: `instant` itself when the window is open, else the next 08:00 Paris time on a
    day that is neither a Sunday nor a public holiday."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("instant must be an aware datetime")
    local = instant.astimezone(PARIS)
    day = local.date()
    if is_release_day(day):
        if local.time() < OPENS:
            return _opening(day).astimezone(instant.tzinfo)
        if local.time() < CLOSES:
            return instant
    day += timedelta(days=1)
    while not is_release_day(day):
        day += timedelta(days=1)
    return _opening(day).astimezone(instant.tzinfo)


def _opening(day: date) -> datetime:
    # 08:00 always exists in Paris (the DST changes happen at 02:00 and 03:00).
    return datetime.combine(day, OPENS, tzinfo=PARIS)
