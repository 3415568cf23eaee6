"""Connectors and routes as the operator configures them, and the routing table senders use.

Changes apply without a restart: senders read the table through a cache dropped when the
operator tables' epoch moves, and the dispatcher re-reads connector definitions every few
seconds. Every change is audited as the operator who made it."""

from __future__ import annotations

import re
from typing import Any

from relais.core.errors import InvalidField, NotFound
from relais.core.routing import Route, RoutingTable, routing_table
from relais.services.accounts import validate_country
from relais.services.operator_actions import operator_write
from relais.services.platform import Platform
from relais.store import cache_epochs
from relais.store import connectors as connector_store

CONNECTOR_KINDS = ("smpp", "simulator")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,49}$")
_TABLE_KEY = "routing"


async def current_table(platform: Platform) -> RoutingTable:
    async def load() -> RoutingTable:
        return routing_table(await platform.db.read(connector_store.list_routes))

    return await platform.settings_cache.get_or_load(_TABLE_KEY, RoutingTable, load)


def validate_name(name: str) -> str:
    if not _NAME.match(name):
        raise InvalidField("A connector name is 1-50 lower-case letters, digits, '.', '_' or '-'")
    return name


async def put_connector(
    platform: Platform,
    *,
    actor: str,
    name: str,
    kind: str,
    settings: dict[str, Any],
    enabled: bool = True,
) -> bool:
    """Create or replace a connector definition; True when it is new. The settings must
    already have been validated by the connector kind (see delivery.connectors.factory)."""
    validate_name(name)
    if kind not in CONNECTOR_KINDS:
        raise InvalidField(f"Unknown connector kind {kind!r}: use one of {CONNECTOR_KINDS}")
    return await operator_write(
        platform,
        lambda conn, now_ms: connector_store.put_connector(
            conn, name=name, kind=kind, settings=settings, enabled=enabled, now_ms=now_ms
        ),
        actor=actor,
        action="connector.put",
        # Only the setting names: values may hold carrier passwords.
        details={"name": name, "kind": kind, "settings": sorted(settings), "enabled": enabled},
        epoch=cache_epochs.OPERATOR_TABLES,
    )


async def list_connectors(platform: Platform) -> list[connector_store.ConnectorRow]:
    return await platform.db.read(connector_store.list_connectors)


async def lease_holders(platform: Platform) -> dict[str, connector_store.LeaseRow]:
    """Which process holds each connector's bind, with the state it last reported."""
    return await platform.db.read(connector_store.lease_holders)


async def remove_connector(platform: Platform, *, actor: str, name: str) -> int:
    """Remove a connector and its routes; its waiting messages are routed again (or fail
    with no route). Returns how many waiting messages were moved."""

    def change(conn, _: int) -> int:
        if not connector_store.remove_connector(conn, name):
            raise NotFound(f"No connector named {name}")
        table = routing_table(connector_store.list_routes(conn))
        waiting = connector_store.queued_for(conn, name)
        connector_store.reassign(
            conn,
            {
                mid: table.choose(
                    destination=dest, country=country, account_id=account, sender=sender
                )
                for mid, account, dest, country, sender in waiting
            },
        )
        return len(waiting)

    return await operator_write(
        platform,
        change,
        actor=actor,
        action="connector.remove",
        details=lambda moved: {"name": name, "rerouted_messages": moved},
        epoch=cache_epochs.OPERATOR_TABLES,
    )


async def add_route(
    platform: Platform,
    *,
    actor: str,
    connector: str,
    prefix: str | None = None,
    country: str | None = None,
    account_id: int | None = None,
    sender: str | None = None,
    priority: int = 0,
) -> int:
    if prefix is not None and not (prefix.isdigit() and 1 <= len(prefix) <= 16):
        raise InvalidField("A route prefix is 1-16 digits of the international number")
    if country is not None:
        country = validate_country(country)
    route = Route(0, validate_name(connector), prefix, country, account_id, sender, priority)
    details = {
        "connector": route.connector,
        "prefix": prefix,
        "country": country,
        "account_id": account_id,
        "sender": sender,
        "priority": priority,
    }
    return await operator_write(
        platform,
        lambda conn, _: connector_store.add_route(conn, route),
        actor=actor,
        action="route.add",
        details=lambda route_id: {"route_id": route_id, **details},
        epoch=cache_epochs.OPERATOR_TABLES,
    )


async def list_routes(platform: Platform) -> list[Route]:
    return await platform.db.read(connector_store.list_routes)


async def remove_route(platform: Platform, *, actor: str, route_id: int) -> None:
    def change(conn, _: int) -> None:
        if not connector_store.remove_route(conn, route_id):
            raise NotFound(f"No route {route_id}")

    await operator_write(
        platform,
        change,
        actor=actor,
        action="route.remove",
        details={"route_id": route_id},
        epoch=cache_epochs.OPERATOR_TABLES,
    )
