"""
Sender ids: the name or number a message appears to come from.

Carriers accept an alphanumeric originator of at most 11 characters (it is packed into an
11-octet field) or a phone number. Checking here, at the API, turns what would be a carrier
rejection minutes later into a clear error while nothing is stored yet.
"""

from __future__ import annotations

import re
from typing import Final

from relais.core.errors import InvalidSender

__all__ = ["validate_sender"]

_ALPHANUMERIC: Final = re.compile(r"[A-Za-z0-9 .\-_&]{1,11}", re.ASCII)
_LETTER: Final = re.compile(r"[A-Za-z]", re.ASCII)
_NUMERIC: Final = re.compile(r"\+?(\d{3,15})", re.ASCII)
_ALLOWED: Final = (
    "The sender must be 1 to 11 characters among ASCII letters, digits, space and . - _ & "
    'with at least one letter, or a phone number of 3 to 15 digits with an optional leading "+"'
)


def validate_sender(raw: str | None) -> str | None:
    """The sender to store, None for the platform default; InvalidSender when not allowed.

    Surrounding spaces are dropped; a numeric sender is stored without its "+".
    """
    if raw is None:
        return None
    text = raw.strip()
    if not text:
        return None
    numeric = _NUMERIC.fullmatch(text)
    if numeric is not None:
        return numeric.group(1)
    if _ALPHANUMERIC.fullmatch(text) and _LETTER.search(text):
        return text
    raise InvalidSender(f"{_ALLOWED}; got {text[:40]!r}.")
