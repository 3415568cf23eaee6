from __future__ import annotations

import pytest

from relais.core.errors import InvalidSender
from relais.core.sender import validate_sender


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, None),
        ("", None),
        ("   ", None),
        ("A", "A"),
        ("Illidan", "Illidan"),
        ("BESTSHOES", "BESTSHOES"),
        ("ABCDEFGHIJK", "ABCDEFGHIJK"),  # 11 characters
        ("  Relais  ", "Relais"),
        ("Shop 24", "Shop 24"),
        ("M.Dupont", "M.Dupont"),
        ("A-B_C&D", "A-B_C&D"),
        ("123abc", "123abc"),
        ("36180", "36180"),  # short code
        ("123", "123"),
        ("33612345678", "33612345678"),
        ("+33612345678", "33612345678"),
        ("123456789012345", "123456789012345"),  # 15 digits
    ],
)
def test_validate_sender_accepts(raw: str | None, expected: str | None) -> None:
    assert validate_sender(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "ABCDEFGHIJKL",  # 12 characters
        "Hello!",
        "Café",
        "Shop@Home",
        "a/b",
        "12",  # too short for a number and no letter
        "1234567890123456",  # 16 digits
        "+33 6 12 34 56 78",
        "+Relais",
        "-_.&",  # no letter
        "Tab\there",
    ],
)
def test_validate_sender_rejects(raw: str) -> None:
    with pytest.raises(InvalidSender, match="11 characters"):
        validate_sender(raw)
