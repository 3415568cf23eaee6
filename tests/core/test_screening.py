"""The one screening pipeline: the order of the filters, the anti-flood limits and the
monthly country caps, without a database."""

from __future__ import annotations

from operator import itemgetter

import pytest

from relais.core.screening import COUNTERS, CapRoom, CapScope, FloodLimits, Screening


def test_counters_are_the_campaign_columns_in_their_order() -> None:
    assert COUNTERS == (
        "blacklisted",
        "duplicated",
        "npai",
        "invalid",
        "not_allowed",
        "flood",
        "country_limit",
    )


@pytest.mark.parametrize(
    ("country", "flags", "counter"),
    [
        ("BE", (True, True, False, True), "not_allowed"),
        ("FR", (True, True, False, True), "blacklisted"),
        ("FR", (False, True, False, True), "npai"),
        ("FR", (False, False, False, True), "invalid"),
        ("FR", (False, False, True, True), "flood"),
        ("FR", (False, False, True, False), None),
    ],
)
def test_verdict_names_the_first_filter_that_drops_a_recipient(country, flags, counter) -> None:
    listed, unreachable, fits, flooded = flags
    screening = Screening(allowed_countries=frozenset({"FR"}))
    assert screening.verdict(country, listed, unreachable, fits, flooded) == counter


def test_verdict_without_allowed_countries_lets_every_country_through() -> None:
    assert Screening().verdict("JP") is None


def test_flood_limits_count_every_message_and_those_with_the_same_text() -> None:
    limits = FloodLimits(per_hour=3, same_text=2)
    assert not limits.floods(2, 1)
    assert limits.floods(3, 0)
    assert limits.floods(2, 2)
    assert limits.floods_texts({"a": 1, "b": 2}, "c")
    assert limits.floods_texts({"a": 2}, "a")
    assert not limits.floods_texts({"a": 1}, "a")
    assert not limits.floods_texts(None, "a")


def test_flood_limits_of_zero_are_off_and_have_no_window() -> None:
    assert FloodLimits().window(10_000_000) is None
    assert not FloodLimits().floods(1000, 1000)
    assert FloodLimits(per_hour=1).window(10_000_000) == (6_400_000, 13_600_000)


def caps() -> Screening:
    """An account capped at 3 FR a month, within a parent capped at 2 FR and 1 BE."""
    return Screening(
        cap_scopes=(CapScope(7, {"FR": 3}), CapScope(1, {"FR": 2, "BE": 1})),
    )


def test_cap_room_is_the_tightest_scope_left() -> None:
    assert caps().cap_room({(7, "FR"): 2}) == {"FR": 1, "BE": 1}
    assert caps().cap_room({(1, "FR"): 5}) == {"FR": 0, "BE": 1}
    assert caps().cap_room({}) == {"FR": 2, "BE": 1}


def test_usage_keys_and_usage_of_touch_only_the_capped_countries_sent_to() -> None:
    screening = caps()
    assert sorted(screening.usage_keys(["FR", "DE"])) == [(1, "FR"), (7, "FR")]
    assert screening.usage_of({"FR": 2, "DE": 5}) == {(7, "FR"): 2, (1, "FR"): 2}


def test_country_caps_keep_the_rows_within_the_room_and_count_the_rest() -> None:
    rows = [
        {"country": "FR", "status": "queued"},
        {"country": "FR", "status": "route_not_available"},
        {"country": "FR", "status": "queued"},
        {"country": "FR", "status": "queued"},
        {"country": "DE", "status": "queued"},
    ]
    kept, usage, limited = caps().apply_country_caps(
        rows, {}, country_of=itemgetter("country"), status_of=itemgetter("status")
    )
    assert kept == rows[:3] + rows[4:]
    assert (usage, limited) == ({(7, "FR"): 2, (1, "FR"): 2}, 1)


def test_cap_room_is_used_up_message_by_message() -> None:
    room = CapRoom({"FR": 1})
    assert room.take("FR")
    assert not room.take("FR")
    assert not room.take("BE")
    assert room.taken == {"FR": 1}
