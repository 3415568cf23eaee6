"""Prices per part by country, with "*" and the default, and a message's cost."""

from __future__ import annotations

from relais.core.pricing import DEFAULT_PRICE, message_cost, unit_price


def test_unit_price_falls_back_to_the_star_price_then_the_default() -> None:
    assert unit_price({"FR": 3, "*": 2}, "FR") == 3
    assert unit_price({"FR": 3, "*": 2}, "BE") == 2
    assert unit_price({"FR": 3}, "BE") == DEFAULT_PRICE == 1


def test_a_message_costs_its_parts_times_the_price() -> None:
    assert message_cost(3, 2) == 6
