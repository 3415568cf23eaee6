"""Relais counts credits; SMSPartner clients read euros. One credit (the price of one SMS
part to France by default) is shown as CREDIT_EUR euros (docs/smspartner.md, decisions)."""

from __future__ import annotations

from relais.core.smspartner_callbacks import CREDIT_EUR, CURRENCY, euros

__all__ = ["CREDIT_EUR", "CURRENCY", "euros", "euros_text"]


def euros_text(credits: int) -> str:
    """A balance as SMSPartner writes it: a string with three decimals."""
    return f"{credits * CREDIT_EUR:.3f}"
