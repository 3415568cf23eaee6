"""The marketing window: 08:00-20:00 Europe/Paris, Monday to Saturday, no public holidays."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from relais.core.quiet_hours import is_release_day, next_release
from relais.core.schedule import PARIS


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


@pytest.mark.parametrize(
    ("asked", "released"),
    [
        # Saturday 11 July 2026: 19:59 is inside, 20:00 is closed until Monday 08:00.
        (paris(2026, 7, 11, 19, 59), paris(2026, 7, 11, 19, 59)),
        (paris(2026, 7, 11, 19, 59, 59), paris(2026, 7, 11, 19, 59, 59)),
        (paris(2026, 7, 11, 20, 0), paris(2026, 7, 13, 8, 0)),
        # Sunday: never.
        (paris(2026, 7, 12, 10, 0), paris(2026, 7, 13, 8, 0)),
        # Monday evening before 14 July (a Tuesday in 2026): Wednesday morning.
        (paris(2026, 7, 13, 20, 30), paris(2026, 7, 15, 8, 0)),
        (paris(2026, 7, 14, 12, 0), paris(2026, 7, 15, 8, 0)),
        # Easter Monday (6 April 2026): Saturday evening waits until Tuesday.
        (paris(2026, 4, 4, 20, 0), paris(2026, 4, 7, 8, 0)),
        (paris(2026, 4, 6, 9, 0), paris(2026, 4, 7, 8, 0)),
        # New Year's Day (a Thursday in 2026), and New Year's Eve after closing.
        (paris(2026, 1, 1, 10, 0), paris(2026, 1, 2, 8, 0)),
        (paris(2025, 12, 31, 21, 0), paris(2026, 1, 2, 8, 0)),
        # Early morning of an ordinary Tuesday: the same day at 08:00.
        (paris(2026, 7, 7, 6, 30), paris(2026, 7, 7, 8, 0)),
        (paris(2026, 7, 7, 7, 59, 59), paris(2026, 7, 7, 8, 0)),
        # Inside the window (a delay that itself falls in it): unchanged.
        (paris(2026, 7, 7, 8, 0), paris(2026, 7, 7, 8, 0)),
        (paris(2026, 7, 7, 14, 15, 16), paris(2026, 7, 7, 14, 15, 16)),
    ],
)
def test_next_release_opens_at_the_next_marketing_window(asked, released):
    assert next_release(asked) == released


def test_next_release_answers_in_the_time_zone_it_was_asked_in():
    # Saturday 20:00 Paris = 18:00 UTC in summer; Monday 08:00 Paris = 06:00 UTC.
    asked = datetime(2026, 7, 11, 18, 0, tzinfo=UTC)
    released = next_release(asked)
    assert released == datetime(2026, 7, 13, 6, 0, tzinfo=UTC)
    assert released.tzinfo is UTC


def test_next_release_across_the_spring_clock_change_is_monday_0800_summer_time():
    # Sunday 29 March 2026 is the change to CEST: Saturday 20:00 CET -> Monday 08:00 CEST.
    released = next_release(datetime(2026, 3, 28, 19, 0, tzinfo=UTC))
    assert released == datetime(2026, 3, 30, 6, 0, tzinfo=UTC)


def test_next_release_refuses_a_naive_datetime():
    with pytest.raises(ValueError, match="aware"):
        next_release(datetime(2026, 7, 7, 12, 0))


@pytest.mark.parametrize(
    ("day", "open_"),
    [
        (date(2026, 7, 11), True),  # Saturday
        (date(2026, 7, 12), False),  # Sunday
        (date(2026, 7, 14), False),  # Fête nationale
        (date(2026, 4, 6), False),  # Easter Monday
        (date(2026, 5, 1), False),
        (date(2026, 12, 25), False),
        (date(2027, 1, 1), False),
        (date(2026, 12, 24), True),
    ],
)
def test_release_days_exclude_sundays_and_french_public_holidays(day, open_):
    assert is_release_day(day) is open_
