"""`scheduledDeliveryDate` (dd/mm/YYYY), `time` (0-23) and `minute` (0-55, step 5): the Paris
time a send goes out at, and the marketing window's refusals of such a time (codes 22, 23)."""

from __future__ import annotations

from datetime import datetime

from relais.api.smspartner import errors as codes
from relais.api.smspartner.errors import FieldErrors, PartnerError
from relais.core.integers import parse_whole_number
from relais.core.quiet_hours import CLOSES, OPENS, is_release_day
from relais.core.schedule import PARIS, format_paris


def _integer(raw: str) -> int | None:
    return parse_whole_number(raw)


def scheduled_at(
    date: str | None, time: str | None, minute: str | None, *, now: datetime
) -> datetime | None:
    """The aware instant of a scheduled send, None to send now; PartnerError when the three
    fields cannot name a future time."""
    if date is None:
        if time is not None or minute is not None:
            raise PartnerError(codes.DATE_REQUIRED)
        return None
    try:
        day = datetime.strptime(date, "%d/%m/%Y")
    except ValueError:
        raise PartnerError(codes.DATE_INVALID) from None
    problems = FieldErrors()
    if minute is None:
        problems.add("minute", "La minute est requise")
    if time is None:
        problems.add("time", "L'heure est requise")
    problems.raise_if_any()
    assert time is not None and minute is not None
    hour, minutes = _integer(time), _integer(minute)
    if hour is None or not 0 <= hour <= 23:
        raise PartnerError(codes.TIME_REQUIRED)
    if minutes is None:
        raise PartnerError(codes.MINUTE_INVALID)
    if not 0 <= minutes <= 55 or minutes % 5:
        raise PartnerError(codes.MINUTE_STEP)
    when = day.replace(hour=hour, minute=minutes, tzinfo=PARIS)
    if when < now:
        problems.add(
            "scheduledDeliveryDate",
            f"La date ({date} à {hour}:{minutes:02d}) est anterieure a la date actuelle.",
        )
        problems.raise_if_any()
    return when


def refuse_outside_marketing_window(when: datetime) -> None:
    """A marketing send scheduled by its client at a time the law forbids is refused (codes
    22 and 23); one sent now outside the window is held until it opens (the service)."""
    local = when.astimezone(PARIS)
    if not is_release_day(local.date()):
        raise PartnerError(codes.MARKETING_DAYS)
    if not OPENS <= local.time() < CLOSES:
        raise PartnerError(codes.MARKETING_HOURS)


def as_delay(when: datetime) -> str:
    """The instant in the "Y-m-d H:i:s" Paris form the send service reads."""
    return format_paris(when)
