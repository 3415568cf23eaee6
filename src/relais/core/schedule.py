"""
Send times: the `delay` field clients give, and the date format the API answers with.

SMSFactor documents `delay` as "Y-m-d H:i:s" in Europe/Paris; SDKs and integrations also send ISO
8601, with or without an offset. Everything is turned into an aware UTC instant here so storage
and the dispatcher never deal with local time. The current time is a parameter: `core` has no
clock.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Final
from zoneinfo import ZoneInfo

from relais.core.errors import InvalidDelay

__all__ = ["PARIS", "format_paris", "parse_delay"]

PARIS: Final = ZoneInfo("Europe/Paris")

_API_FORMAT: Final = "%Y-%m-%d %H:%M:%S"
_ACCEPTED: Final = (
    'Use "Y-m-d H:i:s" in Europe/Paris time (e.g. "2024-08-06 10:06:05") '
    'or ISO 8601 (e.g. "2024-08-06T08:06:05Z")'
)
_DELAY: Final = re.compile(
    r"(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})"
    r"[ T](?P<hour>\d{2}):(?P<minute>\d{2})"
    r"(?::(?P<second>\d{2})(?:[.,](?P<fraction>\d+))?)?"
    r"(?P<offset>Z|z|[+-]\d{2}(?::?\d{2})?)?",
    re.ASCII,
)


def parse_delay(raw: str | None, *, now: datetime) -> datetime | None:
    """The UTC instant to send at, or None to send now.

    Accepts "Y-m-d H:i[:s]" and ISO 8601 ("T" separator, optional seconds and fraction,
    optional "Z" or "+hh:mm" offset). Without an offset the time is Europe/Paris wall time; a
    time skipped by the spring DST change is read with the offset in force before it
    (zoneinfo's fold=0), so "02:30" on that night means 03:30 CEST; a repeated autumn time means
    its first occurrence. Raises InvalidDelay for other text and for instants before `now`.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be an aware datetime")
    if raw is None or not raw.strip():
        return None
    text = raw.strip()
    match = _DELAY.fullmatch(text)
    if match is None:
        raise InvalidDelay(f"The delay {text[:40]!r} is not a date and time. {_ACCEPTED}.")
    try:
        when = _instant(match)
    except (ValueError, OverflowError):  # Feb 30, or year 9999 pushed past 9999 by an offset
        raise InvalidDelay(f"The delay {text[:40]!r} is not a valid date and time.") from None
    if when < now:
        raise InvalidDelay("The delay is in the past")
    return when


def _instant(match: re.Match[str]) -> datetime:
    """The UTC instant a matched delay names; ValueError for impossible dates or offsets."""
    fraction = (match["fraction"] or "").ljust(6, "0")[:6]
    local = datetime(
        int(match["year"]),
        int(match["month"]),
        int(match["day"]),
        int(match["hour"]),
        int(match["minute"]),
        int(match["second"] or 0),
        int(fraction),
    )
    offset = match["offset"]
    if offset is None:
        return local.replace(tzinfo=PARIS).astimezone(UTC)
    return local.replace(tzinfo=_zone(offset)).astimezone(UTC)


def _zone(offset: str) -> timezone:
    """A fixed zone for "Z", "+hh", "+hhmm" or "+hh:mm"."""
    if offset in ("Z", "z"):
        return UTC
    digits = offset[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if hours > 23 or minutes > 59:
        raise ValueError("offset out of range")
    delta = timedelta(hours=hours, minutes=minutes)
    return timezone(-delta if offset[0] == "-" else delta)


def format_paris(dt: datetime) -> str:
    """An instant as the API's "Y-m-d H:i:s" in Europe/Paris wall time."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError("dt must be an aware datetime")
    return dt.astimezone(PARIS).strftime(_API_FORMAT)
