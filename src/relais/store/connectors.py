"""Connector definitions, routes, and the leases that give each bind one owner."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, insert, or_, select, update

from relais.core.routing import Route
from relais.store.tables import campaigns, connector_leases, connectors, messages, routes


@dataclass(frozen=True, slots=True)
class ConnectorRow:
    name: str
    kind: str
    settings: dict[str, Any]
    enabled: bool
    updated_at: int


def list_connectors(conn: Connection) -> list[ConnectorRow]:
    return [
        ConnectorRow(r.name, r.kind, json.loads(r.settings), r.enabled, r.updated_at)
        for r in conn.execute(select(connectors).order_by(connectors.c.name))
    ]


def put_connector(
    conn: Connection, *, name: str, kind: str, settings: dict[str, Any], enabled: bool, now_ms: int
) -> bool:
    """Create or replace a connector; True when it was created."""
    values = {
        "kind": kind,
        "settings": json.dumps(settings, sort_keys=True),
        "enabled": enabled,
        "updated_at": now_ms,
    }
    updated = conn.execute(
        update(connectors).where(connectors.c.name == name).values(**values)
    ).rowcount
    if updated:
        return False
    conn.execute(insert(connectors).values(name=name, **values))
    return True


def remove_connector(conn: Connection, name: str) -> bool:
    conn.execute(delete(routes).where(routes.c.connector == name))
    conn.execute(delete(connector_leases).where(connector_leases.c.connector == name))
    return bool(conn.execute(delete(connectors).where(connectors.c.name == name)).rowcount)


def list_routes(conn: Connection) -> list[Route]:
    return [
        Route(r.id, r.connector, r.prefix, r.country, r.account_id, r.sender, r.priority)
        for r in conn.execute(select(routes).order_by(routes.c.id))
    ]


def add_route(conn: Connection, route: Route) -> int:
    return conn.execute(
        insert(routes)
        .values(
            connector=route.connector,
            prefix=route.prefix,
            country=route.country,
            account_id=route.account_id,
            sender=route.sender,
            priority=route.priority,
        )
        .returning(routes.c.id)
    ).scalar_one()


def remove_route(conn: Connection, route_id: int) -> bool:
    return bool(conn.execute(delete(routes).where(routes.c.id == route_id)).rowcount)


# Messages not yet claimed: queued, or held by a suspension or moderation.
_WAITING = ("queued", "held")


def queued_for(conn: Connection, connector: str) -> list[tuple[int, int, str, str, str | None]]:
    """(id, account, destination, country, sender) of messages still waiting for
    `connector`, so they can be routed again when it goes away."""
    return [
        (r.id, r.account_id, r.destination, r.country, r.sender)
        for r in conn.execute(
            select(
                messages.c.id,
                messages.c.account_id,
                messages.c.destination,
                messages.c.country,
                campaigns.c.sender,
            )
            .join(campaigns, campaigns.c.id == messages.c.campaign_id)
            .where(messages.c.connector == connector, messages.c.status.in_(_WAITING))
        )
    ]


def reassign(conn: Connection, assignments: dict[int, str | None]) -> None:
    for message_id, connector in assignments.items():
        conn.execute(
            update(messages)
            .where(messages.c.id == message_id, messages.c.status.in_(_WAITING))
            .values(connector=connector)
        )


# --- leases ---------------------------------------------------------------------------


def acquire_lease(
    conn: Connection, *, connector: str, owner: str, now_ms: int, ttl_ms: int, state: str = "{}"
) -> bool:
    """Take or renew the lease of `connector` for `owner` (storing its latest `state`);
    False if another owner holds a lease that has not lapsed."""
    taken = conn.execute(
        update(connector_leases)
        .where(
            connector_leases.c.connector == connector,
            or_(connector_leases.c.owner == owner, connector_leases.c.expires_at < now_ms),
        )
        .values(owner=owner, expires_at=now_ms + ttl_ms, state=state)
    ).rowcount
    if taken:
        return True
    exists = conn.execute(
        select(connector_leases.c.owner).where(connector_leases.c.connector == connector)
    ).first()
    if exists:
        return False
    conn.execute(
        insert(connector_leases).values(
            connector=connector, owner=owner, expires_at=now_ms + ttl_ms, state=state
        )
    )
    return True


def release_lease(conn: Connection, *, connector: str, owner: str) -> None:
    conn.execute(
        delete(connector_leases).where(
            connector_leases.c.connector == connector, connector_leases.c.owner == owner
        )
    )


@dataclass(frozen=True, slots=True)
class LeaseRow:
    connector: str
    owner: str
    expires_at: int
    state: dict[str, Any]


def lease_holders(conn: Connection) -> dict[str, LeaseRow]:
    return {
        r.connector: LeaseRow(r.connector, r.owner, r.expires_at, json.loads(r.state or "{}"))
        for r in conn.execute(select(connector_leases))
    }
