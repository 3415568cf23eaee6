"""Integers as clients write them: ASCII digits only (Python's int() also takes " 5 ", "٥"
and "1_000"), within a range the database can hold, or a clear error. Every page size,
offset, id, ttl and count read from a request goes through `whole_number`."""

from __future__ import annotations

import re

from relais.core.errors import InvalidField

# The largest value any integer column or OFFSET is asked to hold.
LARGEST = 2**62
_DIGITS = re.compile(r"-?[0-9]{1,19}", re.ASCII)


def parse_whole_number(raw: object) -> int | None:
    """`raw` as an int when it is a JSON integer (not a bool) or a text of ASCII digits with
    an optional leading minus, within ±LARGEST; None otherwise."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, str) and _DIGITS.fullmatch(raw):
        value = int(raw)
    else:
        return None
    return value if -LARGEST <= value <= LARGEST else None


def whole_number(raw: object, what: str, *, minimum: int = 0, maximum: int = LARGEST) -> int:
    """`raw` read by `parse_whole_number` and within [minimum, maximum]; InvalidField naming
    `what` otherwise."""
    value = parse_whole_number(raw)
    if value is None or not minimum <= value <= maximum:
        shown = raw[:40] if isinstance(raw, str) else raw
        raise InvalidField(
            f"{what} must be a whole number from {minimum} to {maximum}, not {shown!r}"
        )
    return value
