"""Relais counts credits; SMSPartner clients read euros. One credit (the price of one SMS
part to France by default) is shown as CREDIT_EUR euros (docs/smspartner.md, decisions)."""

from __future__ import annotations

from typing import Final

CREDIT_EUR: Final = 0.045
CURRENCY: Final = "EUR"


def euros(credits: int) -> float:
    return round(credits * CREDIT_EUR, 3)


def euros_text(credits: int) -> str:
    """A balance as SMSPartner writes it: a string with three decimals."""
    return f"{credits * CREDIT_EUR:.3f}"
