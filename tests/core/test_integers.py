"""Integers as clients write them: ASCII digits only, within what the database holds."""

from __future__ import annotations

import pytest

from relais.core.errors import InvalidField
from relais.core.integers import LARGEST, parse_whole_number, whole_number


@pytest.mark.parametrize(
    ("raw", "value"), [("5", 5), ("-3", -3), ("007", 7), (12, 12), (str(LARGEST), LARGEST)]
)
def test_ascii_digits_and_json_integers_are_read(raw, value):
    assert parse_whole_number(raw) == value


@pytest.mark.parametrize(
    "raw",
    [" 5 ", "٥", "١٢", "5.0", "1_000", "+5", "", "0x10", str(10**30), 2**63, True, 1.0, None],
)
def test_anything_else_is_not_a_whole_number(raw):
    assert parse_whole_number(raw) is None


def test_the_range_is_checked_and_named():
    assert whole_number("3", "length", minimum=1, maximum=5) == 3
    with pytest.raises(InvalidField, match="length must be a whole number from 1 to 5"):
        whole_number("0", "length", minimum=1, maximum=5)
