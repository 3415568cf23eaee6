"""What a message costs: credits per SMS part by destination country, times its parts.

The price table maps ISO country codes to credits per part; "*" is the price everywhere
else, and `DEFAULT_PRICE` the price when the table has neither. An unroutable message
costs nothing (it fails at once): the send paths price only those that go out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

__all__ = ["DEFAULT_PRICE", "message_cost", "unit_price"]

DEFAULT_PRICE: Final = 1


def unit_price(table: Mapping[str, int], country: str) -> int:
    """Credits per part to `country`."""
    price = table.get(country)
    if price is None:
        price = table.get("*", DEFAULT_PRICE)
    return price


def message_cost(parts: int, price: int) -> int:
    """What a message of `parts` SMS parts costs at `price` credits per part."""
    return parts * price
