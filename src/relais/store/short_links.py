"""Tracked short links in the database: the instance key of the codes, what a code leads
to (its message, campaign and contact), the clicks, and the counts the reports show."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass

import orjson
from sqlalchemy import Connection, func, insert, select

from relais.store.tables import campaigns, contacts, instance_keys, link_clicks, messages

KEY_NAME = "short_links"


def read_instance_key(conn: Connection) -> bytes | None:
    """The key of this instance's short codes, shared by every process on the database
    (the migration makes it)."""
    found = conn.execute(
        select(instance_keys.c.secret).where(instance_keys.c.name == KEY_NAME)
    ).scalar_one_or_none()
    return None if found is None else bytes(found)


def instance_key(conn: Connection) -> bytes:
    """The instance key, made now if the database has none (one not made by migrations)."""
    found = read_instance_key(conn)
    if found is not None:
        return found
    secret = secrets.token_bytes(32)
    conn.execute(insert(instance_keys).values(name=KEY_NAME, secret=secret))
    return secret


def links_json(links: Sequence[str]) -> str | None:
    """How a campaign row keeps its long URLs (None without any)."""
    return orjson.dumps(list(links)).decode() if links else None


def link_count(stored: str | None) -> int:
    """How many tracked links a campaign row's `links` holds."""
    return len(orjson.loads(stored)) if stored else 0


@dataclass(frozen=True, slots=True)
class LinkTarget:
    """What a short code leads to: the long URL and what a CLICKER event names."""

    message_id: int
    account_id: int
    campaign_id: int
    gsmsmsid: str | None
    long_url: str
    infos: tuple[str, str, str, str]


def link_target(conn: Connection, *, message_id: int, position: int) -> LinkTarget | None:
    """The link `position` of message `message_id`, if that message has one."""
    row = conn.execute(
        select(
            messages.c.account_id,
            messages.c.campaign_id,
            messages.c.gsmsmsid,
            campaigns.c.links,
            contacts.c.info1,
            contacts.c.info2,
            contacts.c.info3,
            contacts.c.info4,
        )
        .select_from(
            messages.join(campaigns, campaigns.c.id == messages.c.campaign_id).outerjoin(
                contacts, contacts.c.id == messages.c.contact_id
            )
        )
        .where(messages.c.id == message_id)
    ).first()
    if row is None or not row.links:
        return None
    links = orjson.loads(row.links)
    if position >= len(links):
        return None
    return LinkTarget(
        message_id=message_id,
        account_id=row.account_id,
        campaign_id=row.campaign_id,
        gsmsmsid=row.gsmsmsid,
        long_url=links[position],
        infos=(row.info1 or "", row.info2 or "", row.info3 or "", row.info4 or ""),
    )


def record_click(
    conn: Connection,
    target: LinkTarget,
    *,
    position: int,
    at_ms: int,
    user_agent: str,
    brand: str,
    model: str,
    os: str,
) -> int:
    """Store one click; how many the link has now, this one included."""
    conn.execute(
        insert(link_clicks).values(
            message_id=target.message_id,
            campaign_id=target.campaign_id,
            position=position,
            clicked_at=at_ms,
            user_agent=user_agent[:500],
            brand=brand[:50],
            model=model[:100],
            os=os[:50],
        )
    )
    return conn.execute(
        select(func.count()).where(
            link_clicks.c.message_id == target.message_id, link_clicks.c.position == position
        )
    ).scalar_one()


def campaign_clicks(conn: Connection, campaign_ids: Sequence[int]) -> dict[int, tuple[int, int]]:
    """(clicks, recipients who clicked) of each campaign that has clicks."""
    if not campaign_ids:
        return {}
    rows = conn.execute(
        select(
            link_clicks.c.campaign_id,
            func.count(),
            func.count(func.distinct(link_clicks.c.message_id)),
        )
        .where(link_clicks.c.campaign_id.in_(campaign_ids))
        .group_by(link_clicks.c.campaign_id)
    )
    return {row[0]: (row[1], row[2]) for row in rows}
