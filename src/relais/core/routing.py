"""Which connector carries a message: the most specific route that matches it.

A route names a connector and any of: a destination prefix, a country, an account, a
sender. Blank criteria match everything. Among matching routes the highest `priority`
wins, then the most specific (a longer prefix, then country, account, sender); a route with
no criteria is the fallback. No match means no route: a per-message failure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# When the operator has configured no route at all, traffic goes to the built-in simulator.
DEFAULT_CONNECTOR = "simulator"


@dataclass(frozen=True, slots=True)
class Route:
    id: int
    connector: str
    prefix: str | None = None
    country: str | None = None
    account_id: int | None = None
    sender: str | None = None
    priority: int = 0

    def matches(
        self, *, destination: str, country: str, account_id: int, sender: str | None
    ) -> bool:
        return (
            (self.prefix is None or destination.startswith(self.prefix))
            and (self.country is None or self.country == country)
            and (self.account_id is None or self.account_id == account_id)
            and (self.sender is None or self.sender == (sender or ""))
        )

    def rank(self) -> tuple[int, int, int, int, int]:
        return (
            self.priority,
            len(self.prefix or ""),
            self.country is not None,
            self.account_id is not None,
            self.sender is not None,
        )


@dataclass(frozen=True, slots=True)
class RoutingTable:
    routes: tuple[Route, ...]

    def choose(
        self, *, destination: str, country: str, account_id: int, sender: str | None
    ) -> str | None:
        if not self.routes:
            return DEFAULT_CONNECTOR
        best: Route | None = None
        for route in self.routes:
            if route.matches(
                destination=destination, country=country, account_id=account_id, sender=sender
            ) and (best is None or route.rank() > best.rank()):
                best = route
        return best.connector if best is not None else None


def routing_table(routes: Sequence[Route]) -> RoutingTable:
    return RoutingTable(tuple(routes))
