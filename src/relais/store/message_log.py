"""The per-message log (GET /messages): an account's outbound messages and the replies it
received, in one page, and the replies to one campaign (GET /campaign/:id/mo).

Outbound messages are found through their campaigns: campaigns of the account sent in the
period (ix_campaigns_account_created), then their messages (ix_messages_campaign), so an
account's log never reads another account's rows. Each side is sorted and cut to the page's
end on its own before the two are merged, so the database can stop early.

A message's delivery category is computed here, from its status, its campaign's status and
whether a carrier ever accepted it:

  delivered    delivered
  sent         sent: accepted by the carrier, no final receipt yet
  waiting      queued, sending, or held while its account is suspended
  moderation   held in a campaign under moderation
  denied       cancelled because an operator refused its campaign
  not_sent     cancelled by its owner, or failed before any carrier accepted it (no route,
               submit refused)
  undelivered  failed after a carrier accepted it (receipt of a failure, or expired)

Replies have the category `received`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlalchemy import (
    BigInteger,
    Connection,
    String,
    Text,
    and_,
    case,
    cast,
    false,
    func,
    literal,
    null,
    select,
    union_all,
)

from relais.core.status import CampaignStatus, MessageStatus
from relais.store.tables import campaigns, contacts, inbound_messages, messages

OUT = "sms_mt"
IN = "sms_mo"
RECEIVED = "received"
CATEGORIES = (
    "delivered",
    "sent",
    "waiting",
    "moderation",
    "denied",
    "not_sent",
    "undelivered",
)

m, c, i = messages.c, campaigns.c, inbound_messages.c

_category = case(
    (m.status == MessageStatus.DELIVERED.value, literal("delivered")),
    (m.status == MessageStatus.SENT.value, literal("sent")),
    (
        m.status.in_((MessageStatus.QUEUED.value, MessageStatus.SENDING.value)),
        literal("waiting"),
    ),
    (
        and_(
            m.status == MessageStatus.HELD.value,
            c.status == CampaignStatus.MODERATION.value,
        ),
        literal("moderation"),
    ),
    (m.status == MessageStatus.HELD.value, literal("waiting")),
    (
        and_(
            m.status == MessageStatus.CANCELLED.value,
            c.status == CampaignStatus.REFUSED.value,
        ),
        literal("denied"),
    ),
    (m.status == MessageStatus.CANCELLED.value, literal("not_sent")),
    (m.submitted_at.is_(None), literal("not_sent")),
    else_=literal("undelivered"),
)


@dataclass(frozen=True, slots=True)
class LogFilter:
    account_id: int
    date_start_ms: int
    date_end_ms: int
    destination: str | None = None
    text: str | None = None
    outbound: bool = True
    inbound: bool = True
    country: str | None = None
    category: str | None = None  # one of CATEGORIES: only outbound messages have one


@dataclass(frozen=True, slots=True)
class LogRow:
    type: str  # sms_mt | sms_mo
    id: int
    account_id: int
    campaign_id: int | None
    gsmsmsid: str | None
    contact_id: int | None
    text: str
    cost: int
    country: str | None
    destination: str  # the customer's number: recipient of an sms_mt, sender of an sms_mo
    sender: str  # the campaign's sender, or the number an sms_mo was sent to
    status: str  # the stored status (received for an sms_mo)
    category: str  # see the module docstring
    is_stop: bool
    date: int  # the campaign's send time, or when the reply was received
    dlr_date: int | None  # when the message got its final status
    links: str | None = None  # the campaign's tracked links (store.short_links), sms_mt only


_OUTBOUND_FROM = messages.join(campaigns, campaigns.c.id == m.campaign_id)


def _outbound_where(f: LogFilter) -> list:
    conditions = [
        c.account_id == f.account_id,
        c.send_at >= f.date_start_ms,
        c.send_at <= f.date_end_ms,
    ]
    if f.destination is not None:
        conditions.append(m.destination == f.destination)
    if f.text:
        conditions.append(func.coalesce(m.text, c.text).contains(f.text, autoescape=True))
    if f.country:
        conditions.append(m.country == f.country)
    if f.category:
        conditions.append(_category == f.category)
    return conditions


def _outbound(f: LogFilter):
    return (
        select(
            literal(OUT).label("type"),
            m.id.label("id"),
            m.account_id.label("account_id"),
            m.campaign_id.label("campaign_id"),
            m.gsmsmsid.label("gsmsmsid"),
            m.contact_id.label("contact_id"),
            func.coalesce(m.text, c.text).label("text"),
            m.cost.label("cost"),
            m.country.label("country"),
            m.destination.label("destination"),
            func.coalesce(c.sender, "").label("sender"),
            m.status.label("status"),
            _category.label("category"),
            false().label("is_stop"),
            c.send_at.label("date"),
            m.done_at.label("dlr_date"),
            c.links.label("links"),
        )
        .select_from(_OUTBOUND_FROM)
        .where(*_outbound_where(f))
    )


def _outbound_window(
    conn: Connection, f: LogFilter, *, end: int, sort: str
) -> tuple[LogFilter, int]:
    """How many outbound messages match, and the filter narrowed to the period that holds
    the first `end` of them in the sort order.

    Sorted by date, all messages of a campaign share its send time: the send time of the
    `end`-th message (found by sorting send times alone) bounds the page, and only the
    campaigns from the period's edge to there are read and sorted in full."""
    where = _outbound_where(f)
    total = conn.execute(
        select(func.count()).select_from(_OUTBOUND_FROM).where(*where)
    ).scalar_one()
    if sort.removeprefix("-") != "date" or total <= end:
        return f, total
    descending = sort.startswith("-")
    # The send time of the page's last message: only send times are sorted (or, with an
    # index on the campaigns' send time, walked), never the messages' rows.
    boundary = conn.execute(
        select(c.send_at)
        .select_from(_OUTBOUND_FROM)
        .where(*where)
        .order_by(c.send_at.desc() if descending else c.send_at)
        .offset(end - 1)
        .limit(1)
    ).scalar_one()
    if descending:
        return replace(f, date_start_ms=boundary), total
    return replace(f, date_end_ms=boundary), total


def _inbound(f: LogFilter):
    query = (
        select(
            literal(IN).label("type"),
            i.id.label("id"),
            i.account_id.label("account_id"),
            m.campaign_id.label("campaign_id"),
            cast(null(), String).label("gsmsmsid"),
            m.contact_id.label("contact_id"),
            i.text.label("text"),
            literal(0).label("cost"),
            m.country.label("country"),
            i.source.label("destination"),
            i.destination.label("sender"),
            literal(RECEIVED).label("status"),
            literal(RECEIVED).label("category"),
            i.is_stop.label("is_stop"),
            i.received_at.label("date"),
            cast(null(), BigInteger).label("dlr_date"),
            cast(null(), Text).label("links"),
        )
        .select_from(inbound_messages.outerjoin(messages, m.id == i.message_id))
        .where(
            i.account_id == f.account_id,
            i.received_at >= f.date_start_ms,
            i.received_at <= f.date_end_ms,
        )
    )
    if f.destination is not None:
        query = query.where(i.source == f.destination)
    if f.text:
        query = query.where(i.text.contains(f.text, autoescape=True))
    if f.country:
        query = query.where(m.country == f.country)
    return query


SORTABLE = ("date", "destination", "sender", "status")


def _order(columns, sort: str):
    """ORDER BY the sort key (`-` prefix: descending), then type and id for a stable page."""
    descending = sort.startswith("-")
    key = {"status": "category"}.get(sort.removeprefix("-"), sort.removeprefix("-"))
    keys = (columns[key], columns["type"], columns["id"])
    return [k.desc() for k in keys] if descending else list(keys)


def log_page(
    conn: Connection, f: LogFilter, *, start: int, length: int, sort: str
) -> tuple[list[LogRow], int]:
    """One page of the log and how many rows match the filter."""
    end = start + length
    sides = []
    total = 0
    if f.outbound:
        window, count = _outbound_window(conn, f, end=end, sort=sort)
        total += count
        if count:
            sides.append(_outbound(window))
    # Replies have no delivery category: a status filter keeps outbound messages only.
    if f.inbound and f.category is None:
        replies = _inbound(f)
        count = conn.execute(select(func.count()).select_from(replies.subquery())).scalar_one()
        total += count
        if count:
            sides.append(replies)
    if not sides or start >= total:
        return [], total
    # Each side sorted and cut to the end of the page first: the merge reads at most
    # 2 × (start + length) rows.
    cut = []
    for side in sides:
        whole = side.subquery()
        first = select(*whole.c).order_by(*_order(whole.c, sort)).limit(end).subquery()
        cut.append(select(*first.c))
    merged = (union_all(*cut) if len(cut) > 1 else cut[0]).subquery()
    rows = conn.execute(
        select(*merged.c).order_by(*_order(merged.c, sort)).offset(start).limit(length)
    ).all()
    return [LogRow(**row._mapping) for row in rows], total


def list_ids_of(conn: Connection, contact_ids: Sequence[int]) -> dict[int, int]:
    """The list each of these contacts belongs to (contacts deleted since are absent)."""
    if not contact_ids:
        return {}
    rows = conn.execute(
        select(contacts.c.id, contacts.c.list_id).where(contacts.c.id.in_(list(contact_ids)))
    )
    return {contact_id: list_id for contact_id, list_id in rows}


@dataclass(frozen=True, slots=True)
class Reply:
    id: int
    source: str
    text: str
    received_at: int


def campaign_replies(conn: Connection, *, account_id: int, campaign_id: int) -> list[Reply]:
    """Replies (not STOPs) answering one of the campaign's messages, oldest first: the
    account's replies (ix_inbound_account) joined to their message by its key."""
    rows = conn.execute(
        select(i.id, i.source, i.text, i.received_at)
        .select_from(inbound_messages.join(messages, m.id == i.message_id))
        .where(
            i.account_id == account_id,
            m.campaign_id == campaign_id,
            i.is_stop == false(),
        )
        .order_by(i.id)
    ).all()
    return [Reply(*row) for row in rows]
