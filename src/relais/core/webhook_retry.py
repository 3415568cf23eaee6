"""
When a webhook event is tried again, and what an answer means. The first attempt is made at
once; each failure waits the next delay of the schedule, ±10 % so that events failed together
do not all come back together. The default schedule is Standard Webhooks' (5 s, 5 min,
30 min, 2 h, 5 h, 10 h, 10 h: 8 attempts over about 27 h 35 min before the event is marked
failed); `RELAIS_WEBHOOK_RETRY_SCHEDULE` replaces it.

A receiver's `Retry-After` (RFC 9110 §10.2.3) is honoured as a lower bound: the retry is never
sooner than it asks, never sooner than the schedule, and never more than a day away.

Pure: the current time and the random draw for the jitter are given by the caller.
"""

from __future__ import annotations

import enum
import math
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Final

from relais.core.errors import ConfigError

__all__ = [
    "DEFAULT_SCHEDULE",
    "JITTER",
    "MAX_RETRY_AFTER",
    "Outcome",
    "classify_answer",
    "next_attempt_delay",
    "parse_retry_after",
    "parse_schedule",
]

# Seconds to wait before each retry: the n-th failure waits DEFAULT_SCHEDULE[n - 1].
DEFAULT_SCHEDULE: Final[tuple[float, ...]] = (5, 300, 1800, 7200, 18000, 36000, 36000)
JITTER: Final = 0.10
MAX_RETRY_AFTER: Final = 86400.0
SCHEDULE_VARIABLE: Final = "RELAIS_WEBHOOK_RETRY_SCHEDULE"
_DELTA_SECONDS: Final = re.compile(r"[0-9]+")


class Outcome(enum.StrEnum):
    """What one attempt's HTTP answer means for the event and its endpoint."""

    DELIVERED = "delivered"  # any 2xx: done, never sent again
    GONE = "gone"  # 410: the receiver says the endpoint is gone; pause the webhook
    RETRY = "retry"  # anything else, and no answer at all (refused, timeout, reset)


def classify_answer(http_code: int | None) -> Outcome:
    """2xx delivers, 410 pauses the endpoint, everything else (3xx included: redirects are
    not followed) and no answer (None) is retried."""
    if http_code is not None and 200 <= http_code <= 299:
        return Outcome.DELIVERED
    if http_code == 410:
        return Outcome.GONE
    return Outcome.RETRY


def parse_schedule(raw: str | None) -> tuple[float, ...]:
    """`RELAIS_WEBHOOK_RETRY_SCHEDULE`: comma-separated positive seconds ("5,300,1800";
    decimals allowed, e.g. "0.2,0.5" in tests). Unset or blank: the default schedule."""
    if raw is None or not raw.strip():
        return DEFAULT_SCHEDULE
    delays: list[float] = []
    for item in raw.split(","):
        text = item.strip()
        try:
            delay = float(text)
        except ValueError:
            raise ConfigError(
                f"{SCHEDULE_VARIABLE}: {text!r} is not a number of seconds "
                '(expected comma-separated positive seconds, e.g. "5,300,1800")'
            ) from None
        if not math.isfinite(delay) or delay <= 0:
            raise ConfigError(f"{SCHEDULE_VARIABLE}: {text!r} is not a positive number of seconds")
        delays.append(delay)
    return tuple(delays)


def next_attempt_delay(
    attempt: int,
    schedule: tuple[float, ...] = DEFAULT_SCHEDULE,
    *,
    retry_after: float | None = None,
    jitter: float = 0.5,
) -> float | None:
    """
    Seconds from now to the next attempt after `attempt` attempts have failed (1 after the
    first), or None when the schedule is exhausted and the event has failed for good.
    `jitter` is the caller's uniform draw in [0, 1] (`random.random()`): 0 shortens the
    scheduled delay by 10 %, 1 lengthens it by 10 %, 0.5 keeps it. `retry_after` (seconds,
    from `parse_retry_after`) is a floor.
    """
    if attempt < 1:
        raise ValueError(f"attempt counts failed attempts from 1, not {attempt}")
    if attempt > len(schedule):
        return None
    draw = min(max(jitter, 0.0), 1.0)
    delay = schedule[attempt - 1] * (1 + JITTER * (2 * draw - 1))
    if retry_after is not None:
        delay = max(delay, min(retry_after, MAX_RETRY_AFTER))
    return delay


def parse_retry_after(header: str | None, *, now: datetime) -> float | None:
    """
    A `Retry-After` header in seconds from `now`: delta-seconds ("120") or an HTTP date
    ("Wed, 21 Oct 2015 07:28:00 GMT", and the obsolete RFC 850 and asctime forms, read as
    GMT). A date in the past gives 0; anything over a day gives a day; an absent, empty or
    unreadable header gives None (the schedule alone applies).
    """
    if header is None or not header.strip():
        return None
    text = header.strip()
    if _DELTA_SECONDS.fullmatch(text):
        return min(float(text), MAX_RETRY_AFTER)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    seconds = (when - now).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)
