"""Bounds on credit amounts an operator or a parent account moves: far above any real use,
far below what a 64-bit integer column holds, so a balance can never overflow into an error
(PostgreSQL) or a float (SQLite) and the ledger always sums to the balance."""

from __future__ import annotations

from typing import Any

from relais.core.errors import InvalidField

# One operation moves at most a trillion credits; a balance holds at most a quadrillion.
MAX_CREDIT_AMOUNT = 10**12
MAX_BALANCE = 10**15


def credit_amount(amount: Any, *, zero_allowed: bool = False) -> int:
    """`amount` if it is an integer (not a bool) within ±MAX_CREDIT_AMOUNT (and not 0
    unless allowed)."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise InvalidField("The amount must be a whole number of credits")
    if amount == 0 and not zero_allowed:
        raise InvalidField("The amount must be a non-zero number of credits")
    if abs(amount) > MAX_CREDIT_AMOUNT:
        raise InvalidField(
            f"The amount must be between -{MAX_CREDIT_AMOUNT} and {MAX_CREDIT_AMOUNT}"
        )
    return amount


def refuse_balance_over(balance_after: int) -> None:
    if balance_after > MAX_BALANCE:
        raise InvalidField(f"A balance cannot exceed {MAX_BALANCE} credits")
