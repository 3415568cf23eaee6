from __future__ import annotations

from relais.core.routing import DEFAULT_CONNECTOR, Route, RoutingTable


def choose(table: RoutingTable, destination="33612345678", country="FR", account=1, sender=None):
    return table.choose(destination=destination, country=country, account_id=account, sender=sender)


def test_routing_without_routes_uses_the_builtin_simulator():
    assert choose(RoutingTable(())) == DEFAULT_CONNECTOR


def test_routing_prefers_the_most_specific_match():
    table = RoutingTable(
        (
            Route(1, "fallback"),
            Route(2, "france", country="FR"),
            Route(3, "orange", prefix="3361"),
            Route(4, "orange-vip", prefix="3361", account_id=7),
        )
    )
    assert choose(table) == "orange"
    assert choose(table, account=7) == "orange-vip"
    assert choose(table, destination="33712345678") == "france"
    assert choose(table, destination="4915112345678", country="DE") == "fallback"


def test_routing_priority_beats_specificity():
    table = RoutingTable((Route(1, "cheap", prefix="3361"), Route(2, "premium", priority=5)))
    assert choose(table) == "premium"


def test_routing_by_sender():
    table = RoutingTable((Route(1, "default"), Route(2, "brand", sender="SHOP")))
    assert choose(table, sender="SHOP") == "brand"
    assert choose(table, sender="OTHER") == "default"
    assert choose(table) == "default"


def test_routing_without_fallback_can_find_no_route():
    table = RoutingTable((Route(1, "france", country="FR"),))
    assert choose(table, destination="4915112345678", country="DE") is None
