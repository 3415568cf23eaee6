"""Connectors and routes as the operator configures them, and the routing table senders use.

Changes apply without a restart: senders read the table through a cache dropped when the
operator tables' epoch moves, and the dispatcher re-reads connector definitions every few
seconds. Every change is audited as the operator who made it."""

from __future__ import annotations

import re
from typing import Any

from relais.core.instant import to_ms
from relais.core.routing import Route, RoutingTable, routing_table
from relais.errors import InvalidField, NotFound
from relais.services.accounts import validate_country
from relais.services.platform import Platform
from relais.store import audit, cache_epochs
from relais.store import connectors as connector_store

CONNECTOR_KINDS = ("smpp", "simulator")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,49}$")
_TABLE_KEY = "routing"


async def current_table(platform: Platform) -> RoutingTable:
    async def load() -> RoutingTable:
        return routing_table(await platform.db.read(connector_store.list_routes))

    return await platform.settings_cache.get_or_load(_TABLE_KEY, load)  # type: ignore[return-value]


async def _operator_write(
    platform: Platform, work, *, actor: str, action: str, details: dict[str, Any]
):
    """Run an operator's change to connectors or routes with its audit row and cache epoch."""
    now_ms = to_ms(platform.clock())

    def audited(conn):
        result = work(conn)
        if result is not None and result is not False:
            cache_epochs.bump(conn, cache_epochs.OPERATOR_TABLES)
            audit.record(conn, actor=actor, action=action, now_ms=now_ms, details=details)
        return result

    result = await platform.db.write(audited)
    platform.forget_cached(cache_epochs.OPERATOR_TABLES)
    return result


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
    now_ms = to_ms(platform.clock())
    created = await _operator_write(
        platform,
        lambda conn: [
            connector_store.put_connector(
                conn, name=name, kind=kind, settings=settings, enabled=enabled, now_ms=now_ms
            )
        ],
        actor=actor,
        action="connector.put",
        # Only the setting names: values may hold carrier passwords.
        details={"name": name, "kind": kind, "settings": sorted(settings), "enabled": enabled},
    )
    return created[0]


async def list_connectors(platform: Platform) -> list[connector_store.ConnectorRow]:
    return await platform.db.read(connector_store.list_connectors)


async def remove_connector(platform: Platform, *, actor: str, name: str) -> int:
    """Remove a connector and its routes; its waiting messages are routed again (or fail
    with no route). Returns how many waiting messages were moved."""

    def work(conn) -> int | None:
        if not connector_store.remove_connector(conn, name):
            return None
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

    moved = await _operator_write(
        platform, work, actor=actor, action="connector.remove", details={"name": name}
    )
    if moved is None:
        raise NotFound(f"No connector named {name}")
    return moved


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
    return await _operator_write(
        platform,
        lambda conn: connector_store.add_route(conn, route),
        actor=actor,
        action="route.add",
        details=details,
    )


async def list_routes(platform: Platform) -> list[Route]:
    return await platform.db.read(connector_store.list_routes)


async def remove_route(platform: Platform, *, actor: str, route_id: int) -> None:
    removed = await _operator_write(
        platform,
        lambda conn: connector_store.remove_route(conn, route_id),
        actor=actor,
        action="route.remove",
        details={"route_id": route_id},
    )
    if not removed:
        raise NotFound(f"No route {route_id}")
