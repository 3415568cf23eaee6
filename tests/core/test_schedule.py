from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from relais.core.errors import InvalidDelay
from relais.core.schedule import PARIS, format_paris, parse_delay

NOW = datetime(2024, 1, 10, 12, 0, tzinfo=UTC)


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # Paris wall time: +01:00 in winter, +02:00 in summer
        ("2024-01-15 10:00:00", _utc(2024, 1, 15, 9, 0)),
        ("2024-08-06 10:06:05", _utc(2024, 8, 6, 8, 6, 5)),
        ("2024-08-06 10:06", _utc(2024, 8, 6, 8, 6)),
        ("  2024-08-06 10:06:05  ", _utc(2024, 8, 6, 8, 6, 5)),
        ("2024-08-06T10:06:05", _utc(2024, 8, 6, 8, 6, 5)),
        ("2024-08-06T10:06", _utc(2024, 8, 6, 8, 6)),
        # explicit offsets
        ("2024-06-15T15:00:00+00:00", _utc(2024, 6, 15, 15, 0)),
        ("2024-08-06T10:06:05Z", _utc(2024, 8, 6, 10, 6, 5)),
        ("2024-08-06T10:06Z", _utc(2024, 8, 6, 10, 6)),
        ("2024-08-06T10:06:05.250Z", datetime(2024, 8, 6, 10, 6, 5, 250000, tzinfo=UTC)),
        ("2024-08-06T10:06:05.123456789Z", datetime(2024, 8, 6, 10, 6, 5, 123456, tzinfo=UTC)),
        ("2024-08-06T12:06:05+02:00", _utc(2024, 8, 6, 10, 6, 5)),
        ("2024-08-06T05:06:05-0500", _utc(2024, 8, 6, 10, 6, 5)),
        ("2024-08-06T12:06:05+02", _utc(2024, 8, 6, 10, 6, 5)),
        ("2024-08-06 12:06:05+02:00", _utc(2024, 8, 6, 10, 6, 5)),
        # DST: 2024-03-31 02:30 does not exist in Paris; fold=0 reads it with +01:00
        ("2024-03-31 02:30:00", _utc(2024, 3, 31, 1, 30)),
        # 2024-10-27 02:30 happens twice; fold=0 is the first one, still +02:00
        ("2024-10-27 02:30:00", _utc(2024, 10, 27, 0, 30)),
    ],
)
def test_parse_delay_table(raw: str, expected: datetime) -> None:
    result = parse_delay(raw, now=NOW)
    assert result == expected
    assert result is not None and result.utcoffset() == timedelta(0)


@pytest.mark.parametrize("raw", [None, "", "   ", "\t\n"])
def test_parse_delay_empty_means_now(raw: str | None) -> None:
    assert parse_delay(raw, now=NOW) is None


def test_parse_delay_dst_gap_gives_a_real_instant() -> None:
    result = parse_delay("2024-03-31 02:30:00", now=NOW)
    assert result is not None
    assert format_paris(result) == "2024-03-31 03:30:00"


@pytest.mark.parametrize(
    "raw",
    [
        "tomorrow",
        "2024-08-06",
        "06/08/2024 10:00",
        "2024-8-6 10:06:05",
        "2024-13-01 10:00:00",
        "2024-02-30 10:00:00",
        "2024-08-06 24:00:00",
        "2024-08-06 10:60:00",
        "2024-08-06T10:06:05+25:00",
        "2024-08-06T10:06:05 Europe/Paris",
        "1722938765",
        "２０２４-08-06 10:06:05",
    ],
)
def test_parse_delay_rejects_unparseable_text(raw: str) -> None:
    with pytest.raises(InvalidDelay):
        parse_delay(raw, now=NOW)


def test_parse_delay_rejects_the_past() -> None:
    with pytest.raises(InvalidDelay, match="The delay is in the past"):
        parse_delay("2024-01-10 12:59:59", now=NOW)  # 11:59:59 UTC


def test_parse_delay_accepts_exactly_now() -> None:
    assert parse_delay("2024-01-10 13:00:00", now=NOW) == NOW


def test_parse_delay_compares_with_now_in_any_zone() -> None:
    now = NOW.astimezone(timezone(timedelta(hours=-5)))
    assert parse_delay("2024-01-10T12:00:01Z", now=now) == _utc(2024, 1, 10, 12, 0, 1)


def test_parse_delay_requires_aware_now() -> None:
    with pytest.raises(ValueError, match="aware"):
        parse_delay("2024-08-06 10:06:05", now=datetime(2024, 1, 1))


@pytest.mark.parametrize(
    ("instant", "text"),
    [
        (_utc(2024, 1, 15, 9, 0), "2024-01-15 10:00:00"),
        (_utc(2024, 8, 6, 8, 6, 5), "2024-08-06 10:06:05"),
        (datetime(2024, 8, 6, 8, 6, 5, 999999, tzinfo=UTC), "2024-08-06 10:06:05"),
        (datetime(2024, 8, 6, 10, 6, 5, tzinfo=PARIS), "2024-08-06 10:06:05"),
    ],
)
def test_format_paris_table(instant: datetime, text: str) -> None:
    assert format_paris(instant) == text


def test_format_paris_round_trips_parse_delay() -> None:
    text = "2025-12-24 18:30:00"
    result = parse_delay(text, now=NOW)
    assert result is not None
    assert format_paris(result) == text


def test_format_paris_requires_aware_datetime() -> None:
    with pytest.raises(ValueError, match="aware"):
        format_paris(datetime(2024, 1, 1))
