"""The survey of a list campaign: its contacts read page by page, each merged, screened
(core.screening) and priced, in one read-only pass. It is the whole of a simulation; for a
send it also spools the planned messages (spool.py) that the write pass stores.

The loop over contacts is the hot path of a campaign to a million contacts: it keeps its
per-contact work to the merge, one screening verdict and the route and price lookups."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from sqlalchemy import Connection

from relais.core.encoding import segment_count
from relais.core.pricing import message_cost, unit_price
from relais.core.screening import COUNTERS, DUPLICATED, CapRoom
from relais.core.status import MessageStatus
from relais.core.templates import Template
from relais.services.platform import Platform
from relais.services.sending.common import Prepared
from relais.services.sending.spool import spool_page
from relais.store import account_policy as policy_store
from relais.store import list_campaigns as list_store

PAGE_SIZE = 10_000


@dataclass(frozen=True, slots=True)
class ListSend:
    """Everything a page needs that does not change during the campaign."""

    account_id: int
    plan: Prepared
    template: Template
    force_unicode: bool
    window: tuple[int, int] | None
    status: str  # of the messages that will go out: queued, or held for moderation


@dataclass(slots=True)
class Page:
    """What one page of contacts gave: counters, cost, how many messages go out, and its
    messages (as insert tuples in store.list_campaigns.MESSAGE_COLUMNS order)."""

    counters: dict[str, int]
    cost: int = 0
    queued: int = 0
    messages: list[tuple] = field(default_factory=list)


def plan_page(
    ctx: ListSend,
    rows: Sequence[tuple],
    recent: dict[str, dict[str, int]],
    seen: set[int],
    room: CapRoom,
    *,
    build: bool,
) -> Page:
    """Merge, screen and price one page; the numbers it meets are added to `seen` and the
    messages it keeps in a capped country taken from `room`."""
    counts = dict.fromkeys(("total", "sent", *COUNTERS), 0)
    page = Page(counts)
    plan, template = ctx.plan, ctx.template
    screening = plan.screening
    verdict, floods_texts = screening.verdict, screening.limits.floods_texts
    template_text, merge, force_unicode = template.text, template.merge, ctx.force_unicode
    max_parts, as_sent = plan.max_parts, plan.as_sent
    capped = screening.capped_countries
    constant = template.constant
    if constant:
        # One text for everyone: priced once (its parts were checked before the survey).
        _, fixed_parts = segment_count(plan.as_sent(template_text), force_unicode=force_unicode)
    # Without routes every message goes to the default connector: no need to ask per row.
    routes = plan.routes if plan.routes.routes else None
    connector = (
        None
        if routes is not None
        else plan.routes.choose(
            destination="", country="", account_id=ctx.account_id, sender=plan.sender
        )
    )
    unit: dict[str, int] = {}
    unroutable = MessageStatus.ROUTE_NOT_AVAILABLE.value
    append = page.messages.append
    status = ctx.status
    cost_total = queued = kept = 0
    for contact_id, destination, country, i1, i2, i3, i4, flagged, listed, unreachable in rows:
        key = int(destination)
        if key in seen:
            counts[DUPLICATED] += 1
            continue
        seen.add(key)
        if constant:
            body, parts = template_text, fixed_parts
        else:
            body = merge((i1, i2, i3, i4))
            parts = segment_count(as_sent(body), force_unicode=force_unicode)[1]
        dropped = verdict(
            country,
            listed,
            flagged or unreachable,
            parts <= max_parts,
            floods_texts(recent.get(destination), body) if recent else False,
        )
        if dropped is not None:
            counts[dropped] += 1
            continue
        if routes is not None:
            connector = routes.choose(
                destination=destination,
                country=country,
                account_id=ctx.account_id,
                sender=plan.sender,
            )
        if connector is None:
            message_status, cost, done, error = unroutable, 0, plan.now_ms, "no route"
        else:
            if country in capped and not room.take(country):
                counts["country_limit"] += 1
                continue
            price = unit.get(country)
            if price is None:
                price = unit[country] = unit_price(plan.prices, country)
            message_status, cost, done, error = status, message_cost(parts, price), None, None
            queued += 1
        kept += 1
        cost_total += cost
        if build:
            text = None if body == template_text else body
            append(
                (
                    destination,
                    country,
                    text,
                    parts,
                    cost,
                    message_status,
                    connector,
                    done,
                    error,
                    contact_id,
                )
            )
    counts["total"] = len(rows)
    counts["sent"] = kept
    page.cost = cost_total
    page.queued = queued
    return page


async def pages(
    platform: Platform,
    ctx: ListSend,
    bounds: list[tuple[int, int]],
    *,
    room: CapRoom,
    build: bool,
) -> AsyncGenerator[Page, None]:
    """The campaign's contacts as planned pages, list after list, each page by its own short
    read. The next page is read while this one is planned and used (two pages at most in
    memory): the database works while Python merges."""
    # Numbers as ints: a million of them take ~70 MB as a set of ints, ~110 MB as str.
    seen: set[int] = set()

    def reader(list_id: int, after: int, upto: int) -> asyncio.Future[Any]:
        def read(conn: Connection) -> Any:
            return list_store.contact_page(
                conn,
                account_id=ctx.account_id,
                list_id=list_id,
                after=after,
                upto=upto,
                limit=PAGE_SIZE,
                window=ctx.window,
                reach_ms=ctx.plan.reach_ms,
            )

        return asyncio.ensure_future(platform.db.read(read))

    pending = None
    try:
        for list_id, upto in bounds:
            pending = reader(list_id, 0, upto)
            while True:
                rows, recent = await pending
                pending = None
                if not rows:
                    break
                pending = reader(list_id, rows[-1][0], upto)
                yield plan_page(ctx, rows, recent, seen, room, build=build)
    finally:
        if pending is not None:
            await asyncio.gather(pending, return_exceptions=True)


async def survey(
    platform: Platform,
    ctx: ListSend,
    bounds: list[tuple[int, int]],
    *,
    month: str,
    spool: BinaryIO | None,
) -> tuple[dict[str, int], int]:
    """The read-only pass: what the campaign sends and costs now, and how many of its
    messages go out (a campaign with none is never held for moderation). With a `spool`,
    each page's messages are written to it, so the write pass neither reads the lists nor
    merges again: what is sent is the lists as they were priced."""
    screening = ctx.plan.screening
    room = CapRoom({})
    if screening.cap_scopes:
        keys = screening.usage_keys(screening.capped_countries)
        used = await platform.db.read(
            lambda conn: policy_store.read_usage(conn, keys=keys, month=month)
        )
        room = CapRoom(screening.cap_room(used))
    totals = dict.fromkeys(list_store.COUNTED, 0)
    queued = 0
    planned = pages(platform, ctx, bounds, room=room, build=spool is not None)
    try:
        async for page in planned:
            for name, n in page.counters.items():
                totals[name] += n
            totals["cost"] += page.cost
            queued += page.queued
            if spool is not None:
                spool_page(spool, page.messages, page.counters)
    finally:
        await planned.aclose()
    if spool is not None:
        spool.seek(0)
    return totals, queued
