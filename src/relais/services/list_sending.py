"""Campaigns to contact lists (SMSFactor POST /send/lists and /send/lists/simulate).

Each contact of the caller's lists gets the campaign text with `[info1]`..`[info4]` replaced
by its own fields (a missing field by nothing), and is priced on that merged text: parts can
differ from one contact to the next. A number in several lists (or twice in one) is sent
once; its other entries count in `duplicated`. The filters and counters are those of
services/sending.py: `invalid` (here: a merged text longer than the allowed parts),
`duplicated`, `not_allowed`, `blacklisted`, `npai` (the NPAI list, and contacts a receipt
flagged), `flood`, `country_limit`. Marketing gets the STOP notice and the marketing window.

A list may hold a million contacts, so nothing holds them all: contacts are streamed by
(list_id, id) keyset pages and each page is merged, filtered, priced and written on its own.
One transaction would be atomic, but on SQLite it would block every other write for the
tens of seconds it takes; instead (docs/sending-rules.md, "List campaigns"):

1. survey: one read-only pass merges, filters and prices every page (this is the whole of a
   simulation) and spools the planned messages to a temporary file, a page at a time;
2. one transaction stores the campaign as `preparing` with its lists and debits that price
   up front; if the balance does not cover it nothing at all is stored;
3. each spooled page is then written in its own transaction, which reads the opt-out lists,
   the flood counts and the country caps again (a STOP that arrived meanwhile is honoured),
   and adds its cost and counters to the campaign row;
4. one transaction closes the campaign (queued, scheduled or moderation) and refunds what
   the debit took beyond the cost of the messages written (recipients filtered meanwhile).

A page can only lose messages between survey and write, so a campaign never costs more than
its debit. A process that dies mid-way leaves its campaign `preparing`: `recover_preparing`
closes such campaigns the same way, so the payer is charged exactly for the messages stored.
"""

from __future__ import annotations

import asyncio
import marshal
import re
import tempfile
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from operator import itemgetter
from typing import BinaryIO

from relais.core.encoding import segment_count
from relais.core.instant import to_ms
from relais.core.routing import RoutingTable
from relais.core.schedule import parse_delay
from relais.core.sender import validate_sender
from relais.core.status import CampaignStatus, MessageStatus
from relais.errors import InvalidField, MissingField, NotFound
from relais.services.account_policy import AccountPolicy, account_policy
from relais.services.accounts import refuse_debit, refuse_suspended_sub_account
from relais.services.connectors import current_table
from relais.services.credits import price_table, unit_price
from relais.services.platform import AccountRef, Platform
from relais.services.sending import (
    FloodLimits,
    SendReport,
    apply_country_caps,
    cap_room,
    check_parts,
    moderation_reason,
    parse_pushtype,
    release_time,
    usage_keys,
    with_balance_check,
    with_stop_notice,
)
from relais.store import account_policy as policy_store
from relais.store import accounts as account_store
from relais.store import campaigns as campaign_store
from relais.store import ledger
from relais.store import list_sending as store
from relais.store.campaigns import COUNTERS

MAX_LISTS = 100
PAGE_SIZE = 10_000
# A campaign still `preparing` this long after its creation belongs to a dead process.
STALE_AFTER = timedelta(hours=1)

# Where a planned message (a tuple in store.MESSAGE_COLUMNS order) keeps these.
_COUNTRY = store.MESSAGE_COLUMNS.index("country")
_STATUS = store.MESSAGE_COLUMNS.index("status")

_FIELD = re.compile(r"\[info([1-4])\]", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ListSubmission:
    """A list send as a dialect understood it, before any rule is applied."""

    text: str
    list_ids: Sequence[int]
    sender: str | None = None
    pushtype: str | None = None
    delay: str | None = None
    force_unicode: bool = False


class Template:
    """A text with `[info1]`..`[info4]` fields (any case), merged per contact."""

    __slots__ = ("_format", "fields", "text")

    def __init__(self, text: str) -> None:
        pieces = _FIELD.split(text)
        self.text = text
        self.fields: tuple[int, ...] = tuple(int(n) - 1 for n in pieces[1::2])
        # str.format does the merge in C: literals escaped, fields as {0}..{3}.
        literals = [piece.replace("{", "{{").replace("}", "}}") for piece in pieces[0::2]]
        out = [literals[0]]
        for index, literal in zip(self.fields, literals[1:], strict=True):
            out.append(f"{{{index}}}")
            out.append(literal)
        self._format = "".join(out).format

    @property
    def constant(self) -> bool:
        return not self.fields

    def merge(self, infos: Sequence[str | None]) -> str:
        """The text with each field replaced by the contact's info (None: nothing)."""
        i1, i2, i3, i4 = infos
        return self._format(i1 or "", i2 or "", i3 or "", i4 or "")


@dataclass(frozen=True, slots=True)
class _Context:
    """Everything a page needs that does not change during the campaign."""

    account_id: int
    template: Template
    force_unicode: bool
    max_parts: int
    policy: AccountPolicy
    routes: RoutingTable
    prices: dict[str, int]
    sender: str | None
    limits: FloodLimits
    window: tuple[int, int] | None
    # How long after its campaign's send time a message may still be due (retries).
    reach_ms: int
    now_ms: int
    status: str  # of the messages that will go out: queued, or held for moderation


@dataclass(slots=True)
class _Page:
    """What one page of contacts gave: counters, cost, messages (as insert tuples), the
    numbers it saw first, and messages per capped country."""

    counters: dict[str, int]
    cost: int = 0
    queued: int = 0
    messages: list[tuple] = field(default_factory=list)
    seen: set[int] = field(default_factory=set)
    capped: dict[str, int] = field(default_factory=dict)


def _plan(
    ctx: _Context,
    rows: Sequence[tuple],
    recent: dict[str, dict[str, int]],
    seen: set[int],
    room: dict[str, int],
    *,
    build: bool,
) -> _Page:
    """Merge, filter and price one page. Pure: `seen` and `room` (what each capped country
    may still take) are only read."""
    counts = dict.fromkeys(("total", "sent", *COUNTERS), 0)
    page = _Page(counts)
    new_seen = page.seen
    template, policy, limits = ctx.template, ctx.policy, ctx.limits
    template_text, merge, force_unicode = template.text, template.merge, ctx.force_unicode
    allowed = policy.allowed_countries
    capped = policy.capped_countries if policy.cap_scopes else frozenset()
    constant = template.constant
    if constant:
        # One text for everyone: priced once.
        _, fixed_parts = segment_count(template_text, force_unicode=force_unicode)
    # Without routes every message goes to the default connector: no need to ask per row.
    routes = ctx.routes if ctx.routes.routes else None
    connector = (
        None
        if routes is not None
        else ctx.routes.choose(
            destination="", country="", account_id=ctx.account_id, sender=ctx.sender
        )
    )
    unit: dict[str, int] = {}
    unroutable = MessageStatus.ROUTE_NOT_AVAILABLE.value
    messages = page.messages
    append = messages.append
    status = ctx.status
    cost_total = queued = 0
    duplicated = not_allowed = blacklisted = unreachable_count = invalid = flood = limited = 0
    for contact_id, destination, country, i1, i2, i3, i4, flagged, listed, unreachable in rows:
        key = int(destination)
        if key in seen or key in new_seen:
            duplicated += 1
            continue
        new_seen.add(key)
        if allowed is not None and country not in allowed:
            not_allowed += 1
            continue
        if listed:
            blacklisted += 1
            continue
        if flagged or unreachable:
            unreachable_count += 1
            continue
        if constant:
            body, parts = template_text, fixed_parts
        else:
            body = merge((i1, i2, i3, i4))
            parts = segment_count(body, force_unicode=force_unicode)[1]
            if parts > ctx.max_parts:
                invalid += 1
                continue
        if recent:
            by_text = recent.get(destination)
            if by_text and limits.floods(sum(by_text.values()), by_text.get(body, 0)):
                flood += 1
                continue
        if routes is not None:
            connector = routes.choose(
                destination=destination,
                country=country,
                account_id=ctx.account_id,
                sender=ctx.sender,
            )
        if connector is None:
            message_status, cost, done, error = unroutable, 0, ctx.now_ms, "no route"
        else:
            price = unit.get(country)
            if price is None:
                price = unit[country] = unit_price(ctx.prices, country)
            if country in capped:
                used = page.capped.get(country, 0)
                if used >= room.get(country, 0):
                    limited += 1
                    continue
                page.capped[country] = used + 1
            message_status, cost, done, error = status, parts * price, None, None
            queued += 1
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
    filtered = duplicated + not_allowed + blacklisted + unreachable_count + invalid + flood
    counts.update(
        total=len(rows),
        sent=len(rows) - filtered - limited,
        duplicated=duplicated,
        not_allowed=not_allowed,
        blacklisted=blacklisted,
        npai=unreachable_count,
        invalid=invalid,
        flood=flood,
        country_limit=limited,
    )
    page.cost = cost_total
    page.queued = queued
    return page


def _report(counts: dict[str, int]) -> SendReport:
    report = SendReport(
        ticket=None, cost=counts["cost"], credits=0, total=counts["total"], sent=counts["sent"]
    )
    for name in COUNTERS:
        report.counters[name] = counts[name]
    return report


async def send_lists(
    platform: Platform,
    *,
    account: AccountRef,
    submission: ListSubmission,
    simulate: bool = False,
) -> SendReport:
    """Merge, filter, price and (unless simulating) store a campaign to the account's lists.

    A list that is not the account's own (another account's, a sub-account's or its
    parent's) is not found: nothing is stored and nothing is taken."""
    now = platform.clock()
    now_ms = to_ms(now)
    text = submission.text
    if text is None or text == "":
        raise MissingField("The text is missing")
    list_ids = list(dict.fromkeys(submission.list_ids))
    if not list_ids:
        raise MissingField("There is no list")
    if len(list_ids) > MAX_LISTS:
        raise InvalidField(f"At most {MAX_LISTS} lists per campaign")
    pushtype = parse_pushtype(submission.pushtype)
    settings = platform.settings
    policy = await account_policy(platform, account.id)
    sender = validate_sender(submission.sender) or policy.default_sender
    send_at = release_time(now, parse_delay(submission.delay, now=now), pushtype)
    body = with_stop_notice(text, pushtype=pushtype, notice=settings.stop_notice)
    template = Template(body)
    # The text with every field empty must fit; a contact whose fields make it too long is
    # counted invalid.
    empty = template.merge(("",) * 4)
    encoding, parts = segment_count(empty, force_unicode=submission.force_unicode)
    check_parts(parts, max_parts=settings.max_parts, pushtype=pushtype, notice=settings.stop_notice)
    lists = await platform.db.read(
        lambda conn: store.owned_lists(conn, account_id=account.id, list_ids=list_ids)
    )
    missing = [i for i in list_ids if i not in lists]
    if missing:
        raise NotFound(f"No list with id {missing[0]}")
    due_ms = to_ms(send_at) if send_at is not None else now_ms
    limits = FloodLimits.of(platform)
    ctx = _Context(
        account_id=account.id,
        template=template,
        force_unicode=submission.force_unicode,
        max_parts=settings.max_parts,
        policy=policy,
        routes=await current_table(platform),
        prices=await price_table(platform),
        sender=sender,
        limits=limits,
        window=limits.window(due_ms),
        reach_ms=settings.validity_hours * store.HOUR_MS,
        now_ms=now_ms,
        status=MessageStatus.QUEUED.value,
    )
    bounds = [(list_id, lists[list_id]) for list_id in list_ids]
    month = policy_store.month_of(now_ms)
    with tempfile.TemporaryFile(prefix="relais-list-") as spool:
        survey, queued = await _survey(
            platform, ctx, bounds, month=month, spool=None if simulate else spool
        )
        report = _report(survey)
        if simulate:
            return await with_balance_check(platform, account, report)
        return await _store(
            platform,
            ctx,
            spool,
            account=account,
            survey=survey,
            queued=queued,
            campaign={
                "account_id": account.id,
                "kind": "list",
                "text": body,
                "sender": sender,
                "pushtype": pushtype.value,
                "encoding": encoding.value,
                "status": store.PREPARING,
                "send_at": due_ms,
                "created_at": now_ms,
                "cost": 0,
                "total": 0,
                "sent": 0,
            },
            text=text,
            list_ids=list_ids,
            month=month,
            scheduled=send_at is not None,
        )


def _closing_status(moderation_reason: str | None, *, scheduled: bool) -> str:
    """The status a list campaign gets once all its messages are written."""
    if moderation_reason is not None:
        return CampaignStatus.MODERATION.value
    return (CampaignStatus.SCHEDULED if scheduled else CampaignStatus.QUEUED).value


async def _store(
    platform: Platform,
    ctx: _Context,
    spool: BinaryIO,
    *,
    account: AccountRef,
    survey: dict[str, int],
    queued: int,
    campaign: dict,
    text: str,
    list_ids: list[int],
    month: str,
    scheduled: bool,
) -> SendReport:
    """Create the campaign with its up-front debit, write the spooled pages, close it."""
    prepaid = survey["cost"]
    policy = ctx.policy

    def create(conn) -> tuple[int, str | None]:
        reason = moderation_reason(conn, policy, account.id, text, queued > 0)
        campaign_id = campaign_store.insert_campaign(
            conn, {**campaign, "moderation_reason": reason}
        )
        refuse_suspended_sub_account(conn, account)
        paid = ledger.debit_if_covered(
            conn,
            account_id=account.billing_account_id,
            amount=prepaid,
            campaign_id=campaign_id,
            now_ms=ctx.now_ms,
        )
        if paid is None:
            raise refuse_debit(conn, account.billing_account_id)
        store.add_campaign_lists(conn, campaign_id=campaign_id, list_ids=list_ids)
        return campaign_id, reason

    campaign_id, reason = await platform.db.write(create)
    status = _closing_status(reason, scheduled=scheduled)
    if reason is not None:
        ctx = replace(ctx, status=MessageStatus.HELD.value)
    try:
        await _write_pages(
            platform, ctx, spool, campaign_id=campaign_id, due_ms=campaign["send_at"], month=month
        )
    finally:
        counts, credits = await _finish(
            platform, account=account, campaign_id=campaign_id, status=status
        )
    report = _report(counts)
    report.ticket = campaign_id
    report.credits = credits
    report.moderation_reason = reason
    if report.sent and not scheduled and reason is None:
        platform.on_queued()
    return report


async def _pages(
    platform: Platform,
    ctx: _Context,
    bounds: list[tuple[int, int]],
    *,
    room: dict[str, int],
    build: bool,
) -> AsyncIterator[_Page]:
    """The campaign's contacts as planned pages, list after list, each page by its own short
    read. The next page is read while this one is planned and used (two pages at most in
    memory): the database works while Python merges."""
    seen: set[int] = set()

    def reader(list_id: int, after: int, upto: int):
        def read(conn):
            return store.contact_page(
                conn,
                account_id=ctx.account_id,
                list_id=list_id,
                after=after,
                upto=upto,
                limit=PAGE_SIZE,
                window=ctx.window,
                reach_ms=ctx.reach_ms,
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
                page = _plan(ctx, rows, recent, seen, room, build=build)
                seen |= page.seen
                for country, n in page.capped.items():
                    room[country] -= n
                yield page
    finally:
        if pending is not None:
            await asyncio.gather(pending, return_exceptions=True)


async def _survey(
    platform: Platform,
    ctx: _Context,
    bounds: list[tuple[int, int]],
    *,
    month: str,
    spool: BinaryIO | None,
) -> tuple[dict[str, int], int]:
    """The read-only pass: what the campaign sends and costs now, and how many of its
    messages go out (a campaign with none is never held for moderation). With a `spool`,
    each page's messages are written to it (marshal, one page at a time), so the write pass
    neither reads the lists nor merges again: what is sent is the lists as they were priced."""
    policy = ctx.policy
    room: dict[str, int] = {}
    if policy.cap_scopes:
        keys = usage_keys(policy, set(policy.capped_countries))
        used = await platform.db.read(
            lambda conn: policy_store.read_usage(conn, keys=keys, month=month)
        )
        room = cap_room(policy, used)
    totals = dict.fromkeys(store.COUNTED, 0)
    queued = 0
    pages = _pages(platform, ctx, bounds, room=room, build=spool is not None)
    try:
        async for page in pages:
            for name, n in page.counters.items():
                totals[name] += n
            totals["cost"] += page.cost
            queued += page.queued
            if spool is not None:
                _spool_page(spool, page.messages, page.counters)
    finally:
        await pages.aclose()
    if spool is not None:
        spool.seek(0)
    return totals, queued


_LENGTH = 8  # bytes of the size that precedes each spooled page


def _spool_page(spool: BinaryIO, messages: list[tuple], counters: dict[str, int]) -> None:
    # One marshal blob per page with its size: marshal.load on a file object reads item by
    # item through Python calls (2 s per 300,000 messages), marshal.loads of bytes does not.
    blob = marshal.dumps((messages, counters))
    spool.write(len(blob).to_bytes(_LENGTH, "little"))
    spool.write(blob)


def _spooled(spool: BinaryIO) -> Iterator[tuple[list[tuple], dict[str, int]]]:
    while size := spool.read(_LENGTH):
        yield marshal.loads(spool.read(int.from_bytes(size, "little")))


class _Closed(Exception):
    """The campaign was closed (by the recovery sweep) while it was being written."""


def _screen_again(
    conn,
    ctx: _Context,
    messages: list[tuple],
    counters: dict[str, int],
    *,
    campaign_id: int,
    month: str,
):
    """In the page's transaction: drop the planned messages whose number was blacklisted or
    put on the NPAI list since the page was read, those a concurrent send now floods, and
    those beyond a monthly country cap. (kept messages, counters, usage per cap counter).
    Pure but for its reads: the same page gives the same result twice."""
    counts = dict(counters)
    numbers = [message[0] for message in messages]
    listed, unreachable = store.listed_among(conn, account_id=ctx.account_id, numbers=numbers)
    recent: dict[str, dict[str, int]] = {}
    if ctx.window is not None and numbers:
        store.lock_flood(conn, account_id=ctx.account_id)
        if store.flood_possible(
            conn,
            account_id=ctx.account_id,
            window=ctx.window,
            reach_ms=ctx.reach_ms,
            exclude_campaign=campaign_id,
        ):
            recent = store.recent_texts(
                conn, account_id=ctx.account_id, numbers=numbers, window=ctx.window
            )
    kept = messages
    if listed or unreachable or recent:
        kept = []
        template_text = ctx.template.text
        for message in messages:
            destination = message[0]
            if destination in listed:
                counts["blacklisted"] += 1
            elif destination in unreachable:
                counts["npai"] += 1
            elif (by_text := recent.get(destination)) and ctx.limits.floods(
                sum(by_text.values()), by_text.get(message[2] or template_text, 0)
            ):
                counts["flood"] += 1
            else:
                kept.append(message)
                continue
            counts["sent"] -= 1
    usage: dict[tuple[int, str], int] = {}
    policy = ctx.policy
    if policy.cap_scopes:
        keys = usage_keys(policy, (message[_COUNTRY] for message in kept))
        used = policy_store.lock_usage(conn, keys=keys, month=month)
        # Planned messages are queued unless unroutable: only those use a cap.
        kept, usage, limited = apply_country_caps(
            kept,
            policy,
            used,
            country_of=itemgetter(_COUNTRY),
            status_of=itemgetter(_STATUS),
        )
        counts["country_limit"] += limited
        counts["sent"] -= limited
    if ctx.status != MessageStatus.QUEUED.value:  # held for moderation
        queued = MessageStatus.QUEUED.value
        kept = [(*m[:5], ctx.status, *m[6:]) if m[5] == queued else m for m in kept]
    return kept, counts, usage


async def _write_pages(
    platform: Platform,
    ctx: _Context,
    spool: BinaryIO,
    *,
    campaign_id: int,
    due_ms: int,
    month: str,
) -> None:
    """Write the spooled pages, each in its own transaction; the next page is loaded while
    the previous one is written. Each page only drops messages (the opt-outs, flood counts
    and caps read again in its transaction), so the campaign never costs more than its
    up-front debit."""

    def writer(messages: list[tuple], counters: dict[str, int]):
        def write(conn) -> None:
            kept, counts, usage = _screen_again(
                conn, ctx, messages, counters, campaign_id=campaign_id, month=month
            )
            cost = sum(message[4] for message in kept)
            if not store.add_to_preparing(
                conn, campaign_id=campaign_id, amounts={**counts, "cost": cost}
            ):
                raise _Closed()
            store.insert_message_rows(
                conn, campaign_id=campaign_id, account_id=ctx.account_id, due_at=due_ms, rows=kept
            )
            if usage:
                policy_store.add_usage(conn, amounts=usage, month=month)

        return asyncio.ensure_future(platform.db.write(write))

    in_flight = None
    try:
        for messages, counters in _spooled(spool):
            if in_flight is not None:
                await in_flight
            in_flight = writer(messages, counters)
        if in_flight is not None:
            await in_flight
        in_flight = None
    except _Closed:
        in_flight = None
    finally:
        if in_flight is not None:
            await asyncio.gather(in_flight, return_exceptions=True)


async def _finish(
    platform: Platform, *, account: AccountRef, campaign_id: int, status: str
) -> tuple[dict[str, int], int]:
    """Close the campaign with `status`, refunding what was paid beyond its messages; its
    counters and the payer's balance."""
    now_ms = to_ms(platform.clock())

    def finish(conn):
        store.finish_preparing(conn, campaign_id=campaign_id, status=status, now_ms=now_ms)
        counts = store.campaign_counts(conn, campaign_id=campaign_id)
        return counts, account_store.get_balance(conn, account.billing_account_id)

    return await platform.db.write(finish)


async def recover_preparing(platform: Platform) -> int:
    """Close the list campaigns a dead process left `preparing` (created over STALE_AFTER
    ago): each keeps the messages it holds, gets the status it would have had, and its payer
    is refunded what was paid beyond them. How many were closed. Safe to run from every
    process at any time: closing is conditional on the status, so it happens once."""
    now = platform.clock()
    now_ms = to_ms(now)
    before = to_ms(now - STALE_AFTER)
    stale = await platform.db.read(lambda conn: store.stale_preparing(conn, created_before=before))
    closed = 0
    for campaign_id, send_at, reason in stale:
        status = _closing_status(reason, scheduled=send_at > now_ms)

        def finish(conn, campaign_id=campaign_id, status=status):
            return store.finish_preparing(
                conn, campaign_id=campaign_id, status=status, now_ms=now_ms
            )

        if await platform.db.write(finish) is not None:
            closed += 1
    return closed


__all__ = [
    "MAX_LISTS",
    "PAGE_SIZE",
    "ListSubmission",
    "Template",
    "recover_preparing",
    "send_lists",
]
