"""Retention settings per account, and the purge's bounded units of work: each function
below is one transaction that erases or deletes at most one batch of expired data.

Only settled campaigns are touched: not in moderation, and with no message still waiting or
in flight (queued, held, sending, sent). The credit ledger is never read nor written here."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, delete, exists, or_, select, update

from relais.core.status import CampaignStatus, MessageStatus
from relais.store.account_settings import change_settings, read_settings
from relais.store.tables import (
    campaigns,
    inbound_messages,
    link_clicks,
    message_parts,
    messages,
    retention_settings,
)

FIELDS = ("message", "list", "survey", "campaign")
ENDLESS = "-1"

# Messages that may still be claimed, submitted or receive a receipt: their campaign keeps
# its texts and rows until they are final.
_PENDING = tuple(
    s.value
    for s in (MessageStatus.QUEUED, MessageStatus.HELD, MessageStatus.SENDING, MessageStatus.SENT)
)


@dataclass(frozen=True, slots=True)
class RetentionRow:
    account_id: int
    message: str
    list: str
    survey: str
    campaign: str


@dataclass(frozen=True, slots=True)
class Batch:
    """What one unit of work did, and whether expired rows may remain (`more`)."""

    campaigns: int = 0
    messages: int = 0
    more: bool = False


# --- settings ---------------------------------------------------------------------------


def get_settings(conn: Connection, account_id: int) -> dict[str, str] | None:
    """The account's settings by field, or None when it never set any (all endless)."""
    return read_settings(conn, retention_settings, FIELDS, account_id)


def put_settings(
    conn: Connection, *, account_id: int, changes: Mapping[str, str], now_ms: int
) -> dict[str, str]:
    """Change only the given fields (the others keep their value, endless for a new row);
    all four fields afterwards."""
    change_settings(conn, retention_settings, account_id=account_id, values=changes, now_ms=now_ms)
    stored = get_settings(conn, account_id)
    assert stored is not None
    return stored


def finite_settings(conn: Connection) -> list[RetentionRow]:
    """Settings of the accounts that expire something (survey alone expires nothing)."""
    c = retention_settings.c
    rows = conn.execute(
        select(c.account_id, *(c[f] for f in FIELDS))
        .where(or_(c.message != ENDLESS, c.list != ENDLESS, c.campaign != ENDLESS))
        .order_by(c.account_id)
    ).all()
    return [RetentionRow(*row) for row in rows]


# --- purge --------------------------------------------------------------------------------


def _expired(account_id: int, before_ms: int):
    """Settled campaigns of the account sent before `before_ms`."""
    pending = exists().where(
        messages.c.campaign_id == campaigns.c.id, messages.c.status.in_(_PENDING)
    )
    return (
        campaigns.c.account_id == account_id,
        campaigns.c.send_at < before_ms,
        campaigns.c.status != CampaignStatus.MODERATION.value,
        ~pending,
    )


def _take(rows: Sequence[tuple[int, int]], limit: int, max_messages: int) -> tuple[list[int], bool]:
    """Ids of a prefix of `rows` (id, message count) holding at most `max_messages`
    messages (always at least one campaign), and whether more may remain."""
    taken: list[int] = []
    total = 0
    for campaign_id, count in rows:
        if taken and total + count > max_messages:
            return taken, True
        taken.append(campaign_id)
        total += count
    return taken, len(rows) >= limit


def erase_campaign_texts(
    conn: Connection,
    *,
    account_id: int,
    before_ms: int,
    now_ms: int,
    limit: int,
    max_messages: int,
) -> Batch:
    """Erase what the customer wrote into one batch of expired campaigns: the campaign text
    and tracked links, merged message texts and gsmsmsids; drop their part rows (carrier ids
    kept only for receipts). Numbers, countries, parts, costs, statuses and counters stay."""
    rows = conn.execute(
        select(campaigns.c.id, campaigns.c.sent)
        .where(*_expired(account_id, before_ms), campaigns.c.purged_at.is_(None))
        .order_by(campaigns.c.send_at, campaigns.c.id)
        .limit(limit)
    ).all()
    ids, more = _take(rows, limit, max_messages)
    if not ids:
        return Batch()
    message_ids = select(messages.c.id).where(messages.c.campaign_id.in_(ids))
    conn.execute(delete(message_parts).where(message_parts.c.message_id.in_(message_ids)))
    conn.execute(
        update(messages)
        .where(
            messages.c.campaign_id.in_(ids),
            or_(messages.c.text.is_not(None), messages.c.gsmsmsid.is_not(None)),
        )
        .values(text=None, gsmsmsid=None)
    )
    # The long URLs go too (they may name the recipient): the short links stop redirecting.
    erased = conn.execute(
        update(campaigns)
        .where(campaigns.c.id.in_(ids), campaigns.c.purged_at.is_(None))
        .values(text="", links=None, purged_at=now_ms)
    ).rowcount
    return Batch(campaigns=erased, more=more)


def delete_campaigns(
    conn: Connection, *, account_id: int, before_ms: int, limit: int, max_messages: int
) -> Batch:
    """Delete one batch of expired campaigns with their messages, parts and clicks. Their ledger
    rows stay (credit_ledger.campaign_id is a plain number), so balances do not move."""
    rows = conn.execute(
        select(campaigns.c.id, campaigns.c.sent)
        .where(*_expired(account_id, before_ms))
        .order_by(campaigns.c.id)
        .limit(limit)
    ).all()
    ids, more = _take(rows, limit, max_messages)
    if not ids:
        return Batch()
    message_ids = select(messages.c.id).where(messages.c.campaign_id.in_(ids))
    conn.execute(delete(message_parts).where(message_parts.c.message_id.in_(message_ids)))
    conn.execute(delete(link_clicks).where(link_clicks.c.campaign_id.in_(ids)))
    removed_messages = conn.execute(delete(messages).where(messages.c.campaign_id.in_(ids)))
    removed = conn.execute(delete(campaigns).where(campaigns.c.id.in_(ids)))
    return Batch(campaigns=removed.rowcount, messages=removed_messages.rowcount, more=more)


def erase_inbound_texts(conn: Connection, *, account_id: int, before_ms: int, limit: int) -> Batch:
    """Empty the text of one batch of the account's replies and STOPs received before
    `before_ms`; the sender, time and STOP flag stay (the blacklist is not retention)."""
    ids = (
        conn.execute(
            select(inbound_messages.c.id)
            .where(
                inbound_messages.c.account_id == account_id,
                inbound_messages.c.received_at < before_ms,
                inbound_messages.c.text != "",
            )
            .order_by(inbound_messages.c.id)
            .limit(limit)
        )
        .scalars()
        .all()
    )
    if not ids:
        return Batch()
    erased = conn.execute(
        update(inbound_messages).where(inbound_messages.c.id.in_(ids)).values(text="")
    ).rowcount
    return Batch(messages=erased, more=len(ids) >= limit)
