"""Rules of a send request that need no database: text, pushtype, parts, release time."""

from __future__ import annotations

from datetime import datetime

import pytest

from relais.core.errors import InvalidField, MissingField
from relais.core.schedule import PARIS
from relais.core.send_rules import check_parts, parse_pushtype, release_time, require_text
from relais.core.status import PushType

SUNDAY_NIGHT = datetime(2026, 7, 5, 22, 0, tzinfo=PARIS)
MONDAY_OPENING = datetime(2026, 7, 6, 8, 0, tzinfo=PARIS)


def test_text_is_required() -> None:
    assert require_text("Hi") == "Hi"
    with pytest.raises(MissingField):
        require_text("")


def test_pushtype_is_alert_or_marketing() -> None:
    assert parse_pushtype(None) is PushType.ALERT
    assert parse_pushtype("advertising") is PushType.MARKETING
    with pytest.raises(InvalidField):
        parse_pushtype("spam")


def test_parts_beyond_the_limit_are_refused_naming_the_notice_of_marketing() -> None:
    check_parts(2, max_parts=2, pushtype=PushType.MARKETING, notice="STOP")
    with pytest.raises(InvalidField, match="with the STOP notice"):
        check_parts(3, max_parts=2, pushtype=PushType.MARKETING, notice="STOP")


def test_marketing_outside_the_window_waits_for_its_opening() -> None:
    assert release_time(SUNDAY_NIGHT, None, PushType.MARKETING) == MONDAY_OPENING
    assert release_time(SUNDAY_NIGHT, None, PushType.ALERT) is None
    assert release_time(MONDAY_OPENING, None, PushType.MARKETING) is None
