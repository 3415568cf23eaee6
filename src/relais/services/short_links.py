"""Tracked short links: this instance's links (`RELAIS_SHORT_LINK_BASE`, or the server's own
address), and following one: the long URL, the click and its CLICKER event, all in one
transaction."""

from __future__ import annotations

from relais.config import Settings
from relais.core.errors import NotFound
from relais.core.instant import to_ms
from relais.core.short_links import ShortLinks
from relais.core.user_agents import is_robot, parse_device
from relais.services.events import write_click_event
from relais.services.platform import Platform
from relais.store import short_links as link_store

# Where the server answers short codes when no base of its own is set: `<address>/l/<code>`.
PATH_PREFIX = "/l"


def link_base(settings: Settings) -> str:
    """`RELAIS_SHORT_LINK_BASE`, or the address this server listens on (a wildcard address
    written as loopback) followed by PATH_PREFIX."""
    if settings.short_link_base:
        return settings.short_link_base
    host = {"0.0.0.0": "127.0.0.1", "::": "[::1]", "": "127.0.0.1"}.get(
        settings.host, settings.host
    )
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{settings.port}{PATH_PREFIX}"


async def short_links(platform: Platform) -> ShortLinks:
    """This instance's short links (the key is read once, then cached)."""

    async def load() -> ShortLinks:
        key = await platform.db.read(link_store.read_instance_key)
        if key is None:
            key = await platform.db.write(link_store.instance_key)
        return ShortLinks(link_base(platform.settings), key)

    return await platform.settings_cache.get_or_load("short_links", ShortLinks, load)


async def follow(platform: Platform, *, code: str, user_agent: str, count: bool = True) -> str:
    """The long URL behind `code` (NotFound for a code this instance never gave). A person's
    click is recorded and told to the account's CLICKER webhooks in the same transaction; a
    robot (a link preview), or a visit that is not to be counted (HEAD), is only redirected."""
    links = await short_links(platform)
    decoded = links.decode(code)
    if decoded is None:
        raise NotFound("Unknown short link")
    message_id, position = decoded
    robot = not count or is_robot(user_agent)
    at_ms = to_ms(platform.clock())

    def click(conn) -> tuple[str, int]:
        target = link_store.link_target(conn, message_id=message_id, position=position)
        if target is None:
            raise NotFound("Unknown short link")
        if robot:
            return target.long_url, 0
        device = parse_device(user_agent)
        clicks = link_store.record_click(
            conn,
            target,
            position=position,
            at_ms=at_ms,
            user_agent=user_agent,
            brand=device.brand,
            model=device.model,
            os=device.os,
        )
        events = write_click_event(
            conn, target, short_code=code, clicks=clicks, device=device, at_ms=at_ms
        )
        return target.long_url, events

    long_url, events = await (platform.db.read if robot else platform.db.write)(click)
    if events:
        platform.on_events()
    return long_url
