from __future__ import annotations

from datetime import UTC, datetime

import pytest

from relais.core.errors import ConfigError
from relais.core.webhook_retry import (
    DEFAULT_SCHEDULE,
    Outcome,
    classify_answer,
    next_attempt_delay,
    parse_retry_after,
    parse_schedule,
)

NOW = datetime(2015, 10, 21, 7, 0, tzinfo=UTC)


def test_default_schedule_is_standard_webhooks():
    assert DEFAULT_SCHEDULE == (5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600)


@pytest.mark.parametrize(
    ("raw", "schedule"),
    [
        (None, DEFAULT_SCHEDULE),
        ("", DEFAULT_SCHEDULE),
        ("  ", DEFAULT_SCHEDULE),
        ("5", (5.0,)),
        ("5,300, 1800", (5.0, 300.0, 1800.0)),
        ("0.2,0.5", (0.2, 0.5)),
    ],
)
def test_parse_schedule(raw, schedule):
    assert parse_schedule(raw) == schedule


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("5,,300", "'' is not a number"),
        ("5,abc", "'abc' is not a number"),
        ("0", "'0' is not a positive"),
        ("5,-1", "'-1' is not a positive"),
        ("nan", "'nan' is not a positive"),
        ("inf", "'inf' is not a positive"),
        ("5,", "'' is not a number"),
    ],
)
def test_parse_schedule_refuses_bad_values(raw, message):
    with pytest.raises(ConfigError, match="RELAIS_WEBHOOK_RETRY_SCHEDULE") as raised:
        parse_schedule(raw)
    assert message in raised.value.detail


@pytest.mark.parametrize(
    ("attempt", "jitter", "delay"),
    [
        (1, 0.5, 5.0),
        (1, 0.0, 4.5),
        (1, 1.0, 5.5),
        (2, 0.5, 300.0),
        (3, 0.25, 1800 * 0.95),
        (7, 0.5, 36000.0),
        (7, 1.0, 39600.0),
        (1, -3.0, 4.5),  # a draw out of [0, 1] is clamped
        (1, 7.0, 5.5),
    ],
)
def test_next_attempt_delay_follows_the_schedule_with_jitter(attempt, jitter, delay):
    assert next_attempt_delay(attempt, DEFAULT_SCHEDULE, jitter=jitter) == pytest.approx(delay)


@pytest.mark.parametrize(("attempt", "schedule"), [(8, DEFAULT_SCHEDULE), (3, (1.0, 2.0))])
def test_next_attempt_delay_is_none_once_retries_are_exhausted(attempt, schedule):
    assert next_attempt_delay(attempt, schedule, retry_after=10.0) is None


def test_next_attempt_delay_counts_failed_attempts_from_one():
    with pytest.raises(ValueError):
        next_attempt_delay(0)


@pytest.mark.parametrize(
    ("attempt", "retry_after", "delay"),
    [
        (1, 120.0, 120.0),  # later than the schedule: the receiver's wish
        (2, 10.0, 300.0),  # sooner than the schedule: the schedule
        (1, 0.0, 5.0),
        (1, 10**9, 86400.0),  # never more than a day
    ],
)
def test_retry_after_is_a_floor(attempt, retry_after, delay):
    assert next_attempt_delay(attempt, retry_after=retry_after) == delay


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120.0),
        (" 0 ", 0.0),
        ("86401", 86400.0),
        ("99999999999999999999", 86400.0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 1680.0),
        ("Wednesday, 21-Oct-15 07:28:00 GMT", 1680.0),
        ("Wed Oct 21 07:28:00 2015", 1680.0),
        ("Wed, 21 Oct 2015 06:00:00 GMT", 0.0),  # in the past
        ("Fri, 23 Oct 2015 07:00:00 GMT", 86400.0),
        (None, None),
        ("", None),
        ("soon", None),
        ("-5", None),
        ("1.5", None),
        ("١٢٠", None),  # digits, but not ASCII ones
        ("Wed, 32 Oct 2015 07:28:00 GMT", None),
    ],
)
def test_parse_retry_after(header, seconds):
    assert parse_retry_after(header, now=NOW) == seconds


@pytest.mark.parametrize(
    ("http_code", "outcome"),
    [
        (200, Outcome.DELIVERED),
        (201, Outcome.DELIVERED),
        (204, Outcome.DELIVERED),
        (299, Outcome.DELIVERED),
        (410, Outcome.GONE),
        (None, Outcome.RETRY),
        (100, Outcome.RETRY),
        (199, Outcome.RETRY),
        (301, Outcome.RETRY),
        (302, Outcome.RETRY),
        (400, Outcome.RETRY),
        (404, Outcome.RETRY),
        (429, Outcome.RETRY),
        (500, Outcome.RETRY),
        (503, Outcome.RETRY),
    ],
)
def test_classify_answer(http_code, outcome):
    assert classify_answer(http_code) == outcome
